//! Before the passes: constants, the buffers of graph inputs and constants, which nodes
//! matter, how often each value is used, and which values depend on what gradients.

use std::collections::HashSet;

use snnc_ir::{DType, Graph, Op, Tensor};

use crate::lower::ctx::{Lower, Shared, Spec};
use crate::plan::ConstData;
use crate::{PlanError, NEED_INPUTS, NEED_PARAMS};

fn const_data(name: &str, t: &Tensor) -> ConstData {
    let data = match t {
        Tensor::F32(a) => a.iter().copied().collect(),
        other => other.to_f64().iter().map(|&x| x as f32).collect(),
    };
    ConstData { name: name.to_string(), dtype: t.dtype(), shape: t.shape().to_vec(), data }
}

/// Every initializer and `Constant` node value as a plan constant.
pub(crate) fn shared(g: &Graph) -> Result<Shared, PlanError> {
    let mut s = Shared::default();
    for (&id, t) in g.initializers() {
        s.const_of.insert(id, s.consts.len() as u32);
        s.consts.push(const_data(&g.value(id).name, t));
    }
    for node in g.nodes() {
        if let (Op::Constant { value }, Some(o)) = (&node.op, node.output(0)) {
            s.const_of.insert(o, s.consts.len() as u32);
            s.consts.push(const_data(&g.value(o).name, value));
        }
    }
    Ok(s)
}

/// Buffers of inputs and constants, live nodes, use counts and gradient dependence.
pub(crate) fn values(l: &mut Lower) {
    let g = l.g;
    for (i, &id) in g.inputs().iter().enumerate() {
        l.val[id.0] = Some(l.buf(Spec::Input(i as u32), l.len_of(id)));
        if g.ty(id).dtype.is_float() {
            l.dep[id.0] = NEED_INPUTS;
        }
    }
    let inputs: HashSet<_> = g.inputs().iter().copied().collect();
    let consts: Vec<_> = l.shared.const_of.iter().map(|(&v, &c)| (v, c)).collect();
    for (v, c) in consts {
        l.val[v.0] = Some(l.buf(Spec::Const(c), l.len_of(v)));
        let init = g.initializer(v).is_some() && !inputs.contains(&v);
        if init && g.ty(v).dtype.is_float() {
            l.dep[v.0] = NEED_PARAMS;
        }
    }
    let mut needed = vec![false; g.values().len()];
    for &o in g.outputs() {
        needed[o.0] = true;
        l.uses[o.0] += 1;
    }
    for (ni, node) in g.nodes().iter().enumerate().rev() {
        let live = node.outputs.iter().flatten().any(|o| needed[o.0]);
        l.live[ni] = live;
        if live {
            for i in node.inputs.iter().flatten() {
                needed[i.0] = true;
                l.uses[i.0] += 1;
            }
        }
    }
    for (ni, node) in g.nodes().iter().enumerate() {
        if !l.live[ni] {
            continue;
        }
        let d = if blocks_gradient(&node.op) {
            0
        } else {
            node.inputs.iter().flatten().fold(0, |d, i| d | l.dep[i.0])
        };
        for o in node.outputs.iter().flatten() {
            l.dep[o.0] = if g.ty(*o).dtype == DType::I64 { 0 } else { d };
        }
    }
}

/// Ops whose derivative is zero everywhere it exists (piecewise constant, boolean, or
/// PyTorch's `detach()`): nothing upstream gets a gradient through them, so their outputs
/// depend on no gradient and the backward pass neither computes the gradients that reach
/// them nor adds their zero terms (a target they alone feed reads as zeros).
fn blocks_gradient(op: &Op) -> bool {
    matches!(op, Op::Sign | Op::Floor | Op::Equal | Op::Not | Op::Detach | Op::Constant { .. })
}
