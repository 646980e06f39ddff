//! Integrate-and-fire kernels, which compute the leaky cell of SPEC §1.2 (the IF cell is its
//! special case): forward (saving what backward needs) and reverse time. A cell with a
//! synaptic current (`params.leak.has_current()`) has a second state U: its initial value
//! (`u0`) and final value (`u_last`), and their gradients, are buffers of the kernels; a cell
//! without one has none of them.

use snnc_ir::IafParams;

use crate::BufId;

/// A feed-forward IAF layer over `[t, b, n]` (an `IAF` op, or one `IAFFeedForwardStep` with
/// `t = 1`). Absent outputs are not computed. `v_pre` and `z_bits` are saved for the backward
/// pass (the pre-reset potentials and the bit-packed spikes): the pre-reset potentials are all
/// the backward pass needs, for every leak (it is linear in v and u). For a leaky integrator
/// (`spikes = none`) `z` is its per-step output, the potentials.
#[derive(Debug, Clone, PartialEq)]
pub struct IafK {
    /// Time steps.
    pub t: usize,
    /// Batch rows.
    pub b: usize,
    /// Neurons.
    pub n: usize,
    /// Neuron parameters.
    pub params: IafParams,
    /// Input current `[t, b, n]`.
    pub x: BufId,
    /// Initial potential `[b, n]`.
    pub v0: Option<BufId>,
    /// Spikes `[t, b, n]`.
    pub z: Option<BufId>,
    /// Final potential `[b, n]`.
    pub v_last: Option<BufId>,
    /// Saved pre-reset potentials `[t, b, n]`.
    pub v_pre: Option<BufId>,
    /// Saved spikes, bit-packed.
    pub z_bits: Option<BufId>,
    /// Initial synaptic current `[b, n]` (a cell with a current only).
    pub u0: Option<BufId>,
    /// Final synaptic current `[b, n]` (a cell with a current only).
    pub u_last: Option<BufId>,
}

/// A recurrent IAF layer (`IAFRecurrent`, or one `IAFStep` with `t = 1`): `cur = x·Wᵀ` by one
/// GEMM into the step's scratch buffer, then the event-driven recurrent time loop.
#[derive(Debug, Clone, PartialEq)]
pub struct RecK {
    /// Time steps.
    pub t: usize,
    /// Batch rows.
    pub b: usize,
    /// Neurons H.
    pub h: usize,
    /// Input features I.
    pub i: usize,
    /// Neuron parameters.
    pub params: IafParams,
    /// Input `[t, b, i]`.
    pub x: BufId,
    /// Input weights `[h, i]`.
    pub w: BufId,
    /// Recurrent weights `[h, h]`.
    pub r: BufId,
    /// R packed at compile time (index into the plan's packed weights); else packed per run.
    pub r_pack: Option<u32>,
    /// Initial potential `[b, h]`.
    pub v0: Option<BufId>,
    /// Initial spikes `[b, h]`.
    pub z0: Option<BufId>,
    /// Scratch for `x·Wᵀ`, `[t, b, h]`.
    pub cur: BufId,
    /// Spikes `[t, b, h]`.
    pub z: Option<BufId>,
    /// Final potential `[b, h]`.
    pub v_last: Option<BufId>,
    /// Final spikes `[b, h]`.
    pub z_last: Option<BufId>,
    /// Saved pre-reset potentials `[t, b, h]`.
    pub v_pre: Option<BufId>,
    /// Saved spikes, bit-packed.
    pub z_bits: Option<BufId>,
    /// Initial synaptic current `[b, h]` (a cell with a current only).
    pub u0: Option<BufId>,
    /// Final synaptic current `[b, h]` (a cell with a current only).
    pub u_last: Option<BufId>,
}

/// `SpikeReset` over `rows` rows of `n` neurons: the spike(s) and reset of family member
/// `family` ([`snnc_ir::neuron`]); Norse's is `z = Θ(v̂ − th)`, `v = (1 − z)·v̂ + z·r`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResetK {
    /// Rows (the product of the leading axes).
    pub rows: usize,
    /// Neurons (the last axis).
    pub n: usize,
    /// Threshold(s), 1 or n.
    pub v_th: Vec<f32>,
    /// Reset potential(s), 1 or n.
    pub v_reset: Vec<f32>,
    /// Threshold, reset, reset gradient and spike count.
    pub family: snnc_ir::Family,
    /// What the `subtract` reset removes per spike, 1 or n values; `None`: v_th.
    pub reset_amount: Option<Vec<f32>>,
    /// Input potentials v̂.
    pub v: BufId,
    /// Spikes.
    pub z: Option<BufId>,
    /// Reset potentials.
    pub v_out: Option<BufId>,
}

/// Packs 0/1 data `[rows, cols]` into bits (a spike-linear layer's input, saved for dW).
#[derive(Debug, Clone, PartialEq)]
pub struct PackK {
    /// The spikes.
    pub src: BufId,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// The bits buffer.
    pub dst: BufId,
}

/// Reverse time of a feed-forward IAF layer from its saved pre-reset potentials; also the
/// backward of `SpikeReset` (`t = 1`, integrate-then-fire, `v_pre` = the op's input).
/// Overwrites `gx`, `gv0` and `gu0`.
#[derive(Debug, Clone, PartialEq)]
pub struct IafBackK {
    /// Time steps.
    pub t: usize,
    /// Batch rows.
    pub b: usize,
    /// Neurons.
    pub n: usize,
    /// Neuron parameters (their surrogate is the backward of Θ).
    pub params: IafParams,
    /// Pre-reset potentials `[t, b, n]`.
    pub v_pre: BufId,
    /// Gradient of the spikes `[t, b, n]`.
    pub gz: Option<BufId>,
    /// Gradient of the final potential `[b, n]`.
    pub gv_last: Option<BufId>,
    /// Gradient of the input current `[t, b, n]`.
    pub gx: BufId,
    /// Gradient of the initial potential `[b, n]`.
    pub gv0: Option<BufId>,
    /// Gradient of the final synaptic current `[b, n]` (a cell with a current only).
    pub gu_last: Option<BufId>,
    /// Gradient of the initial synaptic current `[b, n]` (a cell with a current only).
    pub gu0: Option<BufId>,
}

/// Reverse time of a recurrent IAF layer: writes `g_cur = ∂L/∂(x·Wᵀ)` (for the dX and dW
/// products that follow), and overwrites `gv0`, `gz0`, `gr`, `gu0` when present.
#[derive(Debug, Clone, PartialEq)]
pub struct RecBackK {
    /// Time steps.
    pub t: usize,
    /// Batch rows.
    pub b: usize,
    /// Neurons H.
    pub h: usize,
    /// Neuron parameters.
    pub params: IafParams,
    /// Recurrent weights `[h, h]`.
    pub r: BufId,
    /// Saved pre-reset potentials.
    pub v_pre: BufId,
    /// Saved bit-packed spikes.
    pub z_bits: BufId,
    /// The initial spikes the forward pass used.
    pub z0: Option<BufId>,
    /// Gradient of the spikes `[t, b, h]`.
    pub gz: Option<BufId>,
    /// Gradient of the final potential.
    pub gv_last: Option<BufId>,
    /// Gradient of the final spikes.
    pub gz_last: Option<BufId>,
    /// Output: gradient of the input current `[t, b, h]`.
    pub g_cur: BufId,
    /// Gradient of the initial potential.
    pub gv0: Option<BufId>,
    /// Gradient of the initial spikes.
    pub gz0: Option<BufId>,
    /// Gradient of R.
    pub gr: Option<BufId>,
    /// Gradient of the final synaptic current `[b, h]` (a cell with a current only).
    pub gu_last: Option<BufId>,
    /// Gradient of the initial synaptic current `[b, h]` (a cell with a current only).
    pub gu0: Option<BufId>,
}
