//! snnc's reference interpreter: runs any IR [`Graph`](snnc_ir::Graph) forward ([`run`]) and in
//! reverse mode ([`grad`], backpropagation through time). It is the living definition of the
//! semantics that the compiled engines are checked against (SPEC §5), so it is written to be
//! simple and obviously correct rather than fast.
//!
//! # Values
//!
//! Every value is held as an f64 array together with its declared dtype, and **every op's
//! result is rounded to the dtype of the value it defines** (f32: `x as f32`; i64: truncation
//! toward zero; bool: `x != 0` as 0/1). A float32 graph therefore behaves like float32 storage:
//! elementwise ops match float32 arithmetic exactly, and reductions (Gemm, MatMul) are
//! accumulated in f64 and rounded once. Integers are exact below 2⁵³. Gradients are
//! accumulated in f64 and never rounded until they are returned.
//!
//! # Forward rules
//!
//! Primitive ops follow ONNX: Gemm (alpha, beta, transA/B, C broadcast), MatMul (NumPy batch
//! broadcasting, 1-D operands), broadcasting Add/Sub/Mul/Div (integer Div truncates; a zero
//! divisor is an error), Greater/Less (false on NaN), Cast (float → int truncates toward zero,
//! → bool is `x ≠ 0`), Where, Gather (negative indices count from the end; out of range is an
//! error naming the node), Unsqueeze, Squeeze, Concat, Reshape, Transpose, Constant, Identity,
//! Relu, Sigmoid, Tanh. `Spike` is Θ(x) = 1 if x > 0 else 0 (0, −0 and NaN give 0).
//!
//! The window ops (docs/conv.md): `Conv` (1-D/2-D, strides, per-side padding, dilation,
//! groups, optional bias) accumulates each output element in f64 and rounds it once, like Gemm;
//! `SumPool`, `AveragePool` (`count_include_pad` or the count of taps inside the input) and
//! `MaxPool` (padding is −∞) reduce each window of each channel. Their reverse rules: Conv gives
//! ∂X (the transposed convolution), ∂W and ∂bias; the sum and average pools spread each output
//! gradient over the window's taps (divided by the divisor); MaxPool routes it to the window's
//! first largest tap.
//!
//! The `snn` ops (SPEC §1, §2) run per neuron n, with threshold `th = v_th[n]` and reset
//! `r = v_reset[n]`, from v₋₁ = V0 (default `r`) and z₋₁ = Z0 (default 0):
//!
//! | order | one step with input current I_t |
//! |---|---|
//! | fire then integrate | s = v_{t−1} − th; z_t = Θ(s); v̂ = (1 − z_t)·v_{t−1} + z_t·r; v_t = v̂ + I_t |
//! | integrate then fire | v̂ = v_{t−1} + I_t; s = v̂ − th; z_t = Θ(s); v_t = (1 − z_t)·v̂ + z_t·r |
//!
//! Feed-forward layers take I_t = x_t; recurrent ones I_t = x_t·Wᵀ + z_{t−1}·Rᵀ. Each
//! arithmetic result inside a step is rounded like the primitive-op spelling of the step would
//! round it, so an `IAF` equals a chain of `IAFFeedForwardStep`s and the unrolled
//! Sub/Greater/Cast/Sub/Mul/Mul/Add/Add graph. `Z_T` is the last step's spikes, `V_T` its
//! potential. `IAFStep(X, Z, V, W, R)` is one recurrent step from spikes Z and potential V.
//!
//! The fused ops the optimizer introduces: `Linear` and `SpikeLinear` compute X·op(W) + bias
//! over the rows of X [..., K] (one f64 accumulation per element, rounded once, like Gemm);
//! `SpikeReset` is the fire-and-reset half of an integrate-then-fire step (the step above with
//! I_t = 0), giving Z and the reset potential with the same roundings.
//!
//! # Reverse rules
//!
//! Nodes are visited in reverse order; each value's gradient is the sum over its uses. Broadcast
//! operands get the gradient summed back to their shape; Gather scatters-adds; Concat splits;
//! Where routes the gradient to x where the condition holds and to y elsewhere (the condition
//! gets none); Div differentiates both operands; Relu passes where x > 0; Identity, Reshape,
//! Squeeze, Unsqueeze and Transpose move the gradient back. Integer values never carry a
//! gradient; Cast to or from an integer, and float → bool, stop it.
//!
//! **The surrogate of plain exports.** A model exported without the `snn` ops (SPEC §3) spells
//! the spike `Cast(Greater(a, b), to = float)`: there is no Θ with a surrogate in the graph, and
//! the user chooses one at compile time ([`GradOptions::surrogate`]). The interpreter defines:
//!
//! * `Greater(a, b)` passes gradient as if its output were Θ(a − b):
//!   ∂a = g·σ'(a − b), ∂b = −g·σ'(a − b), with g the gradient arriving at the bool output and σ'
//!   the surrogate's derivative ([`Surrogate::derivative`](snnc_ir::Surrogate::derivative));
//! * `Less(a, b)` likewise as Θ(b − a): ∂a = −g·σ'(b − a), ∂b = g·σ'(b − a);
//! * `Cast` from bool to float (and bool to bool) passes the gradient through to the bool value,
//!   as does Cast float → float. A bool value's gradient only ever comes from such casts (and
//!   from Identity or the shape ops applied to bools), so a comparison feeding Where's condition
//!   contributes nothing.
//!
//! `Spike` uses its own surrogate: ∂x = g·σ'(x).
//!
//! **The reset of plain exports.** An export loses `detach()` as well (SPEC §1.1), so whether
//! a cell's reset is differentiated through its spike is also chosen at compile time
//! ([`GradOptions::reset_grad`], `--reset-grad`). In the graph the reset is ordinary arithmetic
//! on the spike, so with `detached` the interpreter finds it structurally and drops the
//! gradient along exactly those edges (the spike's other uses keep theirs):
//!
//! * A **spike** is the output of a float `Greater`/`GreaterOrEqual`/`Less`/`LessOrEqual` (or of
//!   `Spike`), together with what `Cast` and `Identity` make of it. Its **potential** is the
//!   set of elementwise ancestors of the comparison's operands: the operands themselves and
//!   every value reached backwards through elementwise ops other than comparisons (Add, Sub,
//!   Mul, Div, Neg, Abs, Sign, Floor, Max, Min, Clip, Cast, Where, Not, Identity, Relu,
//!   Sigmoid, Tanh), never through Gemm/MatMul/Linear, shape ops, Concat, Slice or Gather, and
//!   with constants (initializers and `Constant` outputs) left out.
//! * A use of a spike by node n is a **reset use** when n is elementwise and n, or a node
//!   elementwise-downstream of it (not crossing a `Greater`/`Less`-family comparison or `Spike`,
//!   which make the next spike), also consumes a value — other than one computed from this
//!   use, and not a constant — that has an elementwise ancestor in the potential.
//!
//! So `(1−z)·v̂ + z·vr`, `v̂ − z·th`, `v̂·(z == 0)`, `Where(z, vr, v̂)` and snnTorch's reset
//! (the previous step's comparison, subtracted from `β·v + I`, which is computed from that
//! potential) are reset uses, while the spike's uses by the next layer's Gemm, by a recurrent
//! Gemm and by Unsqueeze/Concat into the output sequence are not. `attached` (the default)
//! differentiates every use. The `snn` ops and `SpikeReset` carry their own `reset_grad`.
//!
//! **Multiple spikes in plain exports.** sinabs' spike count `[v > 0]·trunc(v / th)` is
//! exported as `Cast(Greater(v, 0))·(Sign(d)·Floor(Abs(d)))` with d = v (th = 1) or v / th.
//! `Floor` has no gradient, so the ops' own rules would give the count none; SPEC §1.1 gives it
//! the surrogate's derivative at v − th. The reverse pass recognises that product (either
//! operand order, a comparison with a constant 0) and differentiates it as one op:
//! ∂count/∂v = σ'(v − th), and nothing through the comparison or the truncation.
//!
//! **The `snn` ops** are differentiated by hand, running the step equations backwards in time
//! (gradients reach X, V0, Z0, W, R; for the step ops X, Z, V, W, R). The equations below are
//! those of the op's default attribute `reset_grad = attached`; with `detached` the reset's
//! term gv·(r − ·) of gz' is dropped.
//! With gz = ∂L/∂z_t (including what z_t feeds into the next step through R) and gv = ∂L/∂v_t:
//!
//! * fire then integrate: ∂I_t = gv; gz' = gz + gv·(r − v_{t−1});
//!   ∂v_{t−1} = gv·(1 − z_t) + gz'·σ'(s);
//! * integrate then fire: gz' = gz + gv·(r − v̂); ∂v̂ = gv·(1 − z_t) + gz'·σ'(s);
//!   ∂v_{t−1} = ∂I_t = ∂v̂;
//! * recurrent current: ∂x_t = ∂I_t·W, ∂W += ∂I_tᵀ·x_t, ∂R += ∂I_tᵀ·z_{t−1},
//!   ∂z_{t−1} = ∂I_t·R.
//!
//! `SpikeReset` uses the integrate-then-fire rule for ∂v̂ (its threshold and reset are
//! attributes, so they get no gradient); `Linear` and `SpikeLinear` use Gemm's rule over the
//! rows of X (∂X also for `SpikeLinear`: the spikes' surrogate needs it).
//!
//! # Limits
//!
//! The graph is walked iteratively (no recursion), so chains of any length run. A node whose
//! result would exceed [`snnc_ir::MAX_ELEMENTS`] elements is refused.

#![warn(missing_docs)]

mod backward;
mod broadcast;
mod contract;
mod error;
mod exec;
mod forward;
mod grad;
mod iaf;
mod margins;
mod matches;
mod multi_counts;
mod near;
mod record;
mod reset_layers;
mod reset_uses;
mod value;
mod window;

pub use contract::{required_gradients, Contract};
pub use error::InterpError;
pub use exec::run;
pub use grad::{grad, GradOptions, Gradients};
pub use margins::spike_margins;
pub use matches::{
    compare_grad, compare_output, compare_output_except, grad_distance, grad_rel_error,
};
pub use near::{excused, Excused};
pub use record::record_cells;
pub use reset_layers::{detach_resets, reset_layers, ResetLayer};
pub use reset_uses::{reset_uses, Use};
