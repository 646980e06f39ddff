//! Which output elements SPEC §5 lets a compiled engine get differently from the reference: those
//! that are, or depend on, a spike decision the reference takes within 1e-5·max(1, |v_th|) of
//! its threshold.
//!
//! A mask of "undecided" elements travels through the reference graph beside the values: each
//! decision (a float `Greater`/`Less`, `Spike`, `SpikeReset`, the `snn` ops) sets the elements
//! whose own Θ argument is within the tolerance, and every op passes on the masks of its
//! inputs to the elements of its result they reach ([`ops`], [`iaf`]). A flip anywhere
//! upstream legitimately changes what follows it, through later layers and later time steps.

mod iaf;
mod ops;
mod window;

use ndarray::ArrayD;
use snnc_ir::{Graph, Tensor};

use crate::exec::forward;
use crate::value::Arg;
use crate::InterpError;

/// SPEC §5's relative tolerance on a Θ argument: a decision within `NEAR·max(1, |v_th|)` of its
/// threshold may go either way on an engine that sums in another order.
pub(crate) const NEAR: f64 = 1e-5;

/// Whether the Θ argument `x` is within `tol` of zero; NaN is (a decision on NaN is as
/// The masks `owned` as the arguments of an op whose value arguments are `args` (each mask
/// takes its value's type; absent values stay absent).
pub(crate) fn mask_args<'a>(
    owned: &'a [Option<ArrayD<f64>>],
    args: &[Option<Arg<'a>>],
) -> Vec<Option<Arg<'a>>> {
    owned
        .iter()
        .zip(args)
        .map(|(m, a)| Some(Arg { data: m.as_ref()?, ty: a.as_ref()?.ty }))
        .collect()
}

/// uncertain as one at the threshold).
pub(crate) fn within(x: f64, tol: f64) -> bool {
    x.is_nan() || x.abs() <= tol
}

/// A mask per value: `None` when no element depends on an undecided spike, else 1.0 where one
/// does and 0.0 elsewhere (f64, so that the ops' own shape rules can move it).
pub(crate) type Mask = Option<ArrayD<f64>>;

/// The result of [`excused`]: for each graph output, the elements that depend on a reference
/// decision within SPEC §5's tolerance of its threshold.
#[derive(Debug, Clone, Default)]
pub struct Excused {
    /// Per graph output (in graph output order): its name and, where any element is excused,
    /// the mask of those elements (same shape as the output).
    pub outputs: Vec<(String, Option<ArrayD<bool>>)>,
    /// How many decisions (elements of a comparison, neuron steps of an `snn` op) the reference
    /// took within the tolerance; 0 means no spike may flip anywhere.
    pub decisions: usize,
}

impl Excused {
    /// The excused elements of output `name`, or `None` when every element must match.
    pub fn mask(&self, name: &str) -> Option<&ArrayD<bool>> {
        self.outputs.iter().find(|(n, _)| n == name).and_then(|(_, m)| m.as_ref())
    }

    /// Whether no decision of the reference is within the tolerance, so that every spike must
    /// agree and gradients are defined "with spikes unflipped".
    pub fn none(&self) -> bool {
        self.decisions == 0
    }
}

/// Runs `g` on `inputs` and finds, per output element, whether SPEC §5 excuses it: whether it is
/// or depends on a spike decision whose Θ argument is within 1e-5·max(1, |v_th|) of zero (NaN
/// counts as zero).
///
/// The threshold of each decision: `v_th` of the neuron for the `snn` ops and `SpikeReset`;
/// for a comparison `Greater(a, b)`/`Less(a, b)` (the spike of plain exports) the larger of
/// |a| and |b|, and of |c| where an operand is `Sub(u, c)` (the `v − v_th` spelling); for
/// `Spike(x)` that |c| of a `Sub` producing x. Dependence follows the data: elementwise ops
/// combine their operands' masks with broadcasting, shape ops move them like data, contractions
/// (Gemm, MatMul, Linear, the recurrent current) spread a masked element to every result it
/// reaches through a non-zero factor, and the `snn` ops carry a neuron's mask to all its later
/// steps.
pub fn excused(g: &Graph, inputs: &[(String, Tensor)]) -> Result<Excused, InterpError> {
    let mut walk = ops::Walk::new(g);
    forward(g, inputs, false, |node, args| walk.node(node, args))?;
    let outputs = g
        .outputs()
        .iter()
        .map(|&id| {
            let m = walk.mask(id).map(|m| m.mapv(|x| x != 0.0));
            (g.value(id).name.clone(), m.filter(|m| m.iter().any(|&x| x)))
        })
        .collect();
    Ok(Excused { outputs, decisions: walk.decisions })
}
