//! How each op makes and passes on the masks of undecided elements (see [`super`]).

use ndarray::{ArrayD, Zip};
use snnc_ir::{infer_types, Graph, Node, Op, TensorType, ValueId};

use super::{iaf, within, Mask, NEAR};
use crate::broadcast::view_as;
use crate::forward::eval::eval;
use crate::forward::linear::{gemm, linear, matmul};
use crate::iaf::reset;
use crate::value::Arg;

/// The state of [`super::excused`]'s pass: a mask per value, the threshold magnitude of each
/// `Sub(u, c)` result (|c|, for the comparisons of the `v − v_th` spelling), and the count of
/// undecided decisions.
pub(crate) struct Walk {
    masks: Vec<Mask>,
    thresholds: Vec<Option<ArrayD<f64>>>,
    pub(crate) decisions: usize,
}

/// 1.0 where `b`, else 0.0.
fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// `None` when `m` has no set element.
fn nonempty(m: ArrayD<f64>) -> Mask {
    m.iter().any(|&x| x != 0.0).then_some(m)
}

/// The union of `masks`, each broadcast to `shape`.
fn union(masks: &[Option<&ArrayD<f64>>], shape: &[usize]) -> Result<Mask, String> {
    let mut out: Option<ArrayD<f64>> = None;
    for m in masks.iter().flatten() {
        let m = view_as(m, shape)?;
        match &mut out {
            None => out = Some(m.to_owned()),
            Some(o) => Zip::from(o).and(&m).for_each(|o, &x| *o = o.max(x)),
        }
    }
    Ok(out.and_then(nonempty))
}

/// 1.0 where `data` is non-zero (NaN included) or `mask` is set: the factors through which a
/// changed element of the other operand of a product reaches the result.
fn reaches(data: &ArrayD<f64>, mask: Option<&ArrayD<f64>>) -> ArrayD<f64> {
    match mask {
        None => data.mapv(|x| flag(x != 0.0)),
        Some(m) => Zip::from(data).and(m).map_collect(|&x, &m| flag(x != 0.0 || m != 0.0)),
    }
}

impl Walk {
    pub(crate) fn new(g: &Graph) -> Self {
        let n = g.values().len();
        Walk { masks: vec![None; n], thresholds: vec![None; n], decisions: 0 }
    }

    /// The mask of value `id` (`None`: no element depends on an undecided spike).
    pub(crate) fn mask(&self, id: ValueId) -> Option<&ArrayD<f64>> {
        self.masks.get(id.0).and_then(|m| m.as_ref())
    }

    fn threshold(&self, node: &Node, i: usize) -> Option<&ArrayD<f64>> {
        let id = node.inputs.get(i).copied().flatten()?;
        self.thresholds.get(id.0).and_then(|t| t.as_ref())
    }

    /// Computes the masks of `node`'s outputs from its inputs `args` and their masks.
    pub(crate) fn node(&mut self, node: &Node, args: &[Option<Arg>]) -> Result<(), String> {
        let ins: Vec<Option<&ArrayD<f64>>> =
            node.inputs.iter().map(|s| s.and_then(|id| self.mask(id))).collect();
        let types: Vec<Option<&TensorType>> = args.iter().map(|a| a.map(|a| a.ty)).collect();
        let outs = infer_types(&node.op, &types)?;
        let shape = outs.first().map(|t| t.shape.clone()).unwrap_or_default();
        let data = |i: usize| {
            args.get(i).copied().flatten().map(|a| a.data).ok_or(format!("input {i} is missing"))
        };
        let float =
            |i: usize| args.get(i).copied().flatten().is_some_and(|a| a.ty.dtype.is_float());
        let mut undecided = 0;
        let masks: Vec<Mask> = match &node.op {
            Op::Iaf(p) | Op::IafRecurrent(p) | Op::IafFeedForwardStep(p) | Op::IafStep(p) => {
                let (masks, n) = iaf::masks(&node.op, p, args, &ins)?;
                undecided += n;
                masks
            }
            Op::Gemm { .. } | Op::MatMul | Op::Linear { .. } | Op::SpikeLinear { .. } => {
                vec![contraction(&node.op, args, &ins, &shape)?]
            }
            Op::Conv(_) | Op::Pool(_) => vec![super::window::mask(&node.op, args, &ins, &shape)?],
            Op::Gather { .. }
            | Op::Slice(_)
            | Op::Unsqueeze { .. }
            | Op::Squeeze { .. }
            | Op::Reshape { .. }
            | Op::Concat { .. }
            | Op::Transpose { .. } => vec![moved(&node.op, args, &ins, &outs)?],
            Op::Greater | Op::Less | Op::GreaterOrEqual | Op::LessOrEqual if float(0) => {
                let (a, b) = (data(0)?, data(1)?);
                let (a, b) = (view_as(a, &shape)?, view_as(b, &shape)?);
                let scale = |i: usize| self.threshold(node, i).map(|t| view_as(t, &shape));
                let one = ArrayD::ones(shape.clone());
                let (ta, tb) = (scale(0).transpose()?, scale(1).transpose()?);
                let (ta, tb) = (ta.unwrap_or(one.view()), tb.unwrap_or(one.view()));
                let own =
                    Zip::from(&a).and(&b).and(&ta).and(&tb).map_collect(|&a, &b, &ta, &tb| {
                        let tol = NEAR * a.abs().max(b.abs()).max(ta).max(tb).max(1.0);
                        flag(within(a - b, tol))
                    });
                vec![own_and_inputs(own, &ins, &shape, &mut undecided)?]
            }
            Op::Spike { .. } => {
                let x = data(0)?;
                let own = match self.threshold(node, 0) {
                    None => x.mapv(|x| flag(within(x, NEAR))),
                    Some(t) => {
                        let t = view_as(t, x.shape())?;
                        Zip::from(x)
                            .and(&t)
                            .map_collect(|&x, &t| flag(within(x, NEAR * t.max(1.0))))
                    }
                };
                vec![own_and_inputs(own, &ins, &shape, &mut undecided)?]
            }
            Op::SpikeReset(p) => {
                let v = data(0)?;
                let n = reset::neurons(v)?;
                let dtype =
                    args.first().copied().flatten().map(|a| a.ty.dtype).ok_or("no input")?;
                let c = reset::cell(p, dtype, n)?;
                // `iter` visits elements in logical row-major order: the neuron is the index mod N.
                let flags = v.iter().enumerate().map(|(k, &u)| {
                    let f = c.step(k % n, u, 0.0, 0.0);
                    flag(c.undecided(k % n, u, f.s))
                });
                let own = ArrayD::from_shape_vec(v.raw_dim(), flags.collect())
                    .map_err(|e| e.to_string())?;
                let m = own_and_inputs(own, &ins, &shape, &mut undecided)?;
                vec![m.clone(), m]
            }
            _ => {
                let m = union(&ins, &shape)?;
                vec![m; outs.len()]
            }
        };
        self.decisions += undecided;
        if matches!(node.op, Op::Sub) && float(1) {
            if let Some(out) = node.outputs.first().copied().flatten() {
                self.thresholds[out.0] = Some(data(1)?.mapv(f64::abs));
            }
        }
        for (slot, m) in node.outputs.iter().zip(masks) {
            if let Some(id) = slot {
                self.masks[id.0] = m;
            }
        }
        Ok(())
    }
}

/// A decision's result mask: its own undecided elements `own` (added to `count`) and its
/// inputs'.
fn own_and_inputs(
    own: ArrayD<f64>,
    ins: &[Option<&ArrayD<f64>>],
    shape: &[usize],
    count: &mut usize,
) -> Result<Mask, String> {
    *count += own.iter().filter(|&&x| x != 0.0).count();
    let mut all = ins.to_vec();
    all.push(Some(&own));
    union(&all, shape)
}

/// Shape ops move a mask exactly like its data: the op itself runs on the masks (Gather's
/// indices stay the data; an undecided index may pick any element, so it masks everything).
fn moved(
    op: &Op,
    args: &[Option<Arg>],
    ins: &[Option<&ArrayD<f64>>],
    outs: &[TensorType],
) -> Result<Mask, String> {
    if ins.iter().all(Option::is_none) {
        return Ok(None);
    }
    let shape = outs.first().map(|t| t.shape.as_slice()).unwrap_or(&[]);
    if matches!(op, Op::Gather { .. }) && ins.get(1).copied().flatten().is_some() {
        return Ok(Some(ArrayD::ones(shape)));
    }
    let owned: Vec<Option<ArrayD<f64>>> = args
        .iter()
        .zip(ins)
        .enumerate()
        .map(|(i, (a, m))| {
            a.map(|a| match m {
                _ if matches!(op, Op::Gather { .. }) && i == 1 => a.data.clone(),
                Some(m) => (*m).clone(),
                None => ArrayD::zeros(a.data.raw_dim()),
            })
        })
        .collect();
    let margs = super::mask_args(&owned, args);
    let y = eval(op, &margs, outs)?.into_iter().next().ok_or("no output")?;
    Ok(nonempty(y))
}

/// A contraction (Gemm, MatMul, Linear, SpikeLinear): a result element is undecided when an
/// undecided element of one factor meets a non-zero (or undecided) element of the other in
/// its sum, or its bias element is undecided. A factor of exactly zero hides any change of the
/// other.
fn contraction(
    op: &Op,
    args: &[Option<Arg>],
    ins: &[Option<&ArrayD<f64>>],
    shape: &[usize],
) -> Result<Mask, String> {
    let m = |i: usize| ins.get(i).copied().flatten();
    if (0..3).all(|i| m(i).is_none()) {
        return Ok(None);
    }
    let data = |i: usize| {
        args.get(i).copied().flatten().map(|a| a.data).ok_or(format!("input {i} is missing"))
    };
    let (a, b) = (data(0)?, data(1)?);
    let product = |x: &ArrayD<f64>, y: &ArrayD<f64>| -> Result<ArrayD<f64>, String> {
        match op {
            Op::Gemm { trans_a, trans_b, .. } => gemm(x, y, None, (1.0, 0.0), (*trans_a, *trans_b)),
            Op::MatMul => matmul(x, y, shape),
            Op::Linear { trans_b } | Op::SpikeLinear { trans_b } => {
                linear(x, y, None, *trans_b, shape)
            }
            other => Err(format!("{} is not a contraction", other.name())),
        }
    };
    let (mut scale, mut bias_scale) = (1.0, 1.0);
    if let Op::Gemm { alpha, beta, .. } = op {
        (scale, bias_scale) = (f64::from(*alpha), f64::from(*beta));
    }
    let mut y = ArrayD::<f64>::zeros(shape);
    if scale != 0.0 {
        if let Some(ma) = m(0) {
            y = y + product(ma, &reaches(b, m(1)))?;
        }
        if let Some(mb) = m(1) {
            y = y + product(&reaches(a, m(0)), mb)?;
        }
    }
    if let (Some(mc), true) = (m(2), bias_scale != 0.0) {
        y = y + view_as(mc, shape)?;
    }
    Ok(nonempty(y.mapv_into(|x| flag(x > 0.0))))
}
