//! Building the IR graph: constants, initializers and single-output nodes with fresh names.

use ndarray::{ArrayD, IxDyn};
use snnc_ir::{DType, Graph, IrError, Op, Tensor, ValueId};

use crate::Array;

/// The graph under construction, with the batch size.
pub(crate) struct Emit {
    /// The graph.
    pub g: Graph,
    /// The batch size B.
    pub batch: usize,
    count: usize,
}

impl Emit {
    /// An empty graph called `name`.
    pub fn new(name: &str, batch: usize) -> Self {
        Emit { g: Graph::new(name), batch, count: 0 }
    }

    fn fresh(&mut self, base: &str) -> String {
        self.count += 1;
        format!("{base}#{}", self.count)
    }

    /// A node applying `op` to `inputs`, named after `base`; its one output.
    pub fn op(&mut self, base: &str, op: Op, inputs: &[ValueId]) -> Result<ValueId, IrError> {
        let name = self.fresh(base);
        let out = self.g.add_node(
            &name,
            op,
            inputs.iter().map(|&i| Some(i)).collect(),
            &[Some(&name)],
        )?;
        Ok(out[0].expect("the output was named"))
    }

    /// As [`Emit::op`], with the output value called exactly `name`.
    pub fn op_named(&mut self, name: &str, op: Op, inputs: &[ValueId]) -> Result<ValueId, IrError> {
        let node = self.fresh(name);
        let out =
            self.g.add_node(&node, op, inputs.iter().map(|&i| Some(i)).collect(), &[Some(name)])?;
        Ok(out[0].expect("the output was named"))
    }

    /// A constant node holding `t`.
    pub fn constant(&mut self, base: &str, t: Tensor) -> Result<ValueId, IrError> {
        self.op(base, Op::Constant { value: t }, &[])
    }

    /// A float constant of `a`: a scalar when every element agrees, else `a`'s shape.
    pub fn param(&mut self, base: &str, a: &Array) -> Result<ValueId, IrError> {
        match a.uniform() {
            Some(x) => self.constant(base, Tensor::scalar_f32(x)),
            None => self.constant(base, f32_tensor(&a.shape, &a.data)),
        }
    }

    /// The scalar int64 index `t` (for a Gather over time).
    pub fn index(&mut self, t: usize) -> Result<ValueId, IrError> {
        let a = ArrayD::from_shape_vec(IxDyn(&[]), vec![t as i64]).expect("scalar");
        self.constant(&format!("t{t}"), Tensor::I64(a))
    }

    /// Zeros of shape `[B, shape...]`.
    pub fn zeros(&mut self, base: &str, shape: &[usize]) -> Result<ValueId, IrError> {
        let mut s = vec![self.batch];
        s.extend_from_slice(shape);
        self.constant(base, Tensor::zeros(DType::F32, &s))
    }

    /// A trainable weight called `name`.
    pub fn weight(&mut self, name: &str, a: &Array) -> Result<ValueId, IrError> {
        self.g.add_initializer(name, f32_tensor(&a.shape, &a.data))
    }

    /// `a + b`, where `None` is a zero.
    pub fn add(
        &mut self,
        base: &str,
        a: Option<ValueId>,
        b: Option<ValueId>,
    ) -> Result<Option<ValueId>, IrError> {
        Ok(match (a, b) {
            (Some(a), Some(b)) => Some(self.op(base, Op::Add, &[a, b])?),
            (x, None) | (None, x) => x,
        })
    }
}

fn f32_tensor(shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).expect("shape and data agree"))
}
