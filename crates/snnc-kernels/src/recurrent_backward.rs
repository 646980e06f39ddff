//! The reverse-time kernel of the recurrent layer of the leaky cell (SPEC §1.2; the
//! integrate-and-fire cell is its special case) and its weight gradient. The elementwise
//! reverse step is the feed-forward layer's ([`back_block`]); with a synaptic current,
//! `g_cur_t = ∂L/∂u_t`, since `u_t = α·u_{t−1} + cur_t + z_{t−1}·Rᵀ`.

use crate::error::{check_len, product};
use crate::family::{integrator, with_family, with_leak, Fam, Lk};
use crate::iaf::SeqDims;
use crate::iaf_backward::back_block;
use crate::simd::multiversion;
use crate::spike_dw::{spike_linear_dw, DwLayout};
use crate::spike_linear::{LinearDims, SpikeInput, SpikePath};
use crate::surrogate::{with_deriv, Deriv};
use crate::threads::{for_each_task, DisjointMut};
use crate::{sgemm, IafCell, KernelError, SpikeBitsView, Threads};

/// Upstream gradients of the recurrent layer's outputs (`None` = zero).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecurrentUpstream<'a> {
    /// Of Z, `[T, B, H]`.
    pub gz: Option<&'a [f32]>,
    /// Of V_T, `[B, H]`.
    pub gv_last: Option<&'a [f32]>,
    /// Of Z_T, `[B, H]`.
    pub gz_last: Option<&'a [f32]>,
    /// Of U_T, `[B, H]` (a cell with a synaptic current only).
    pub gu_last: Option<&'a [f32]>,
}

/// What the recurrent forward kernel saved, plus the initial spikes.
#[derive(Debug, Clone, Copy)]
pub struct RecurrentSaved<'a> {
    /// Pre-reset potentials `[T, B, H]` ([`IafOutputs::v_pre`](crate::IafOutputs)).
    pub v_pre: &'a [f32],
    /// The spikes z_0 … z_{T−1}, bit-packed (`T·B` rows × H).
    pub z_bits: SpikeBitsView<'a>,
    /// The initial spikes Z0 `[B, H]` the forward pass used (`None` = zero).
    pub z0: Option<&'a [f32]>,
}

/// Where the recurrent backward kernel writes.
#[derive(Debug)]
pub struct RecurrentGrads<'a> {
    /// ∂L/∂cur `[T, B, H]` (= ∂L/∂I_t): the plan turns it into ∂X = g_cur·W and
    /// ∂W = g_curᵀ·X with GEMMs (or [`spike_linear_dw`] when X is spikes).
    pub g_cur: &'a mut [f32],
    /// ∂L/∂V0 `[B, H]`.
    pub gv0: Option<&'a mut [f32]>,
    /// ∂L/∂Z0 `[B, H]`.
    pub gz0: Option<&'a mut [f32]>,
    /// ∂L/∂R `[H, H]` in R's own layout (`gr[h·H + j]`), overwritten.
    pub gr: Option<&'a mut [f32]>,
    /// ∂L/∂U0 `[B, H]` (a cell with a synaptic current only).
    pub gu0: Option<&'a mut [f32]>,
}

/// The state of the reverse time loop, `[B, H]` each: ∂L/∂v, the current's gradient carried
/// back, ∂L/∂v̂ of the last step (a V_T reported before the reset).
struct Grads<'a> {
    gv: DisjointMut<'a, f32>,
    gu: DisjointMut<'a, f32>,
    gvh: Option<&'a [f32]>,
    g_cur: DisjointMut<'a, f32>,
}

multiversion! {
    /// The elementwise reverse step `t` of batch row `b`: `gz = gZ_t + gzn` (for a leaky
    /// integrator, whose per-step output is its potential, just gZ_t, which joins gv), then
    /// [`back_block`] writes `g_cur[t, b]` and updates `gv[b]` and `gu[b]`.
    fn back_row<D: Deriv, F: Fam, K: Lk>(
        cell: &IafCell,
        d: D,
        _f: F,
        _k: K,
        dims: SeqDims,
        v_pre: &[f32],
        gz_up: Option<&[f32]>,
        gzn: &[f32],
        g: &Grads<'_>,
        t: usize,
        b: usize,
    ) {
        let h = dims.n;
        let off = (t * dims.b + b) * h;
        let mut gz =
            if integrator::<F>() { vec![0f32; h] } else { gzn[b * h..(b + 1) * h].to_vec() };
        if let Some(g) = gz_up {
            for (a, &u) in gz.iter_mut().zip(&g[off..off + h]) {
                *a += u;
            }
        }
        let gvh = g.gvh.filter(|_| t + 1 == dims.t).map(|x| &x[b * h..(b + 1) * h]);
        // SAFETY: in this step, this task alone owns batch row b.
        let (gv, gu) = unsafe { (g.gv.range(b * h, h), g.gu.range(b * h, h)) };
        // SAFETY: as above.
        let gi = unsafe { g.g_cur.range(off, h) };
        let p = cell.block(0, h);
        back_block::<D, F, K>(cell.order, d, p, &v_pre[off..off + h], &gz, gvh, gv, gu, gi);
    }
}

/// The inputs of the reverse time loop.
struct Reverse<'a> {
    dims: SeqDims,
    r: &'a [f32],
    v_pre: &'a [f32],
    gz: Option<&'a [f32]>,
    gvh: Option<&'a [f32]>,
    threads: Threads,
}

/// The reverse time loop: per step the elementwise reverse of every batch row, then
/// `gzn = gI_t·R`.
#[allow(clippy::too_many_arguments)]
fn reverse_loop<D: Deriv, F: Fam, K: Lk>(
    cell: &IafCell,
    d: D,
    f: F,
    k: K,
    w: &Reverse<'_>,
    g_cur: &mut [f32],
    gv: &mut [f32],
    gu: &mut [f32],
    gzn: &mut [f32],
) -> Result<(), KernelError> {
    let (dims, h) = (w.dims, w.dims.n);
    let state = dims.b * h;
    for t in (0..dims.t).rev() {
        {
            let g = Grads {
                gv: DisjointMut::new(gv),
                gu: DisjointMut::new(gu),
                gvh: w.gvh,
                g_cur: DisjointMut::new(g_cur),
            };
            let gzn = &*gzn;
            for_each_task(dims.b, |b| back_row(cell, d, f, k, dims, w.v_pre, w.gz, gzn, &g, t, b));
        }
        let gi = &g_cur[t * state..(t + 1) * state];
        sgemm(dims.b, h, h, gi, h, 1, w.r, h, 1, gzn, h, false, w.threads)?;
    }
    Ok(())
}

impl IafCell {
    /// Backpropagation through time of the recurrent layer (`dims.n` = H).
    ///
    /// `r` is R `[H, H]` in its own layout (row `h` = the weights into neuron `h`). From
    /// `t = T−1` down to 0: `gz = gZ_t + gI_{t+1}·R` (plus gZ_T at the last step); the
    /// elementwise reverse step (batch rows in parallel) writes `g_cur[t] = gI_t`; then
    /// `gI_t·R` for all batch rows is one [`sgemm`]. After the loop: `gv0`, and `gz0 = gI_0·R`.
    /// Then `gR = Σ_t gI_tᵀ·z_{t−1}` is computed event-driven on the saved spikes for `t ≥ 1`
    /// ([`spike_linear_dw`]) and densely for the `Z0` term.
    pub fn recurrent_backward(
        &self,
        dims: SeqDims,
        r: &[f32],
        saved: RecurrentSaved<'_>,
        up: RecurrentUpstream<'_>,
        grads: RecurrentGrads<'_>,
        threads: Threads,
    ) -> Result<(), KernelError> {
        self.check_dims(dims)?;
        self.check_recurrent()?;
        self.check_current("gu_last", up.gu_last.is_some())?;
        self.check_current("gu0", grads.gu0.is_some())?;
        let (seq, state, h) = (dims.seq_len()?, dims.state_len()?, dims.n);
        let hh = product("R [H,H]", &[h, h])?;
        check_len("r [H,H]", r.len(), hh)?;
        check_len("v_pre [T,B,H]", saved.v_pre.len(), seq)?;
        check_len("g_cur [T,B,H]", grads.g_cur.len(), seq)?;
        if saved.z_bits.rows() != dims.t * dims.b || saved.z_bits.cols() != h {
            let (rows, cols) = (saved.z_bits.rows(), saved.z_bits.cols());
            let msg = format!("{rows}×{cols} bits, expected {}×{h}", dims.t * dims.b);
            return Err(KernelError::Layout { what: "z_bits", msg });
        }
        let states = [
            ("z0 [B,H]", saved.z0),
            ("gv_last [B,H]", up.gv_last),
            ("gz_last [B,H]", up.gz_last),
            ("gu_last [B,H]", up.gu_last),
        ];
        for (what, s) in states {
            if let Some(s) = s {
                check_len(what, s.len(), state)?;
            }
        }
        if let Some(g) = up.gz {
            check_len("gz [T,B,H]", g.len(), seq)?;
        }
        let outs =
            [("gv0 [B,H]", &grads.gv0), ("gz0 [B,H]", &grads.gz0), ("gu0 [B,H]", &grads.gu0)];
        for (what, g) in outs {
            if let Some(g) = g {
                check_len(what, g.len(), state)?;
            }
        }
        if let Some(g) = &grads.gr {
            check_len("gr [H,H]", g.len(), hh)?;
        }
        let RecurrentGrads { g_cur, gv0, gz0, gr, gu0 } = grads;
        // A V_T reported before the reset is v̂ of the last step, not the state v_T.
        let before = self.v_out == snnc_ir::VOut::BeforeReset;
        let gv_last = up.gv_last.filter(|_| !before);
        let mut gv = gv_last.map_or_else(|| vec![0f32; state], <[f32]>::to_vec);
        let mut gu = up.gu_last.map_or_else(|| vec![0f32; state], <[f32]>::to_vec);
        let mut gzn = up.gz_last.map_or_else(|| vec![0f32; state], <[f32]>::to_vec);
        let gvh = up.gv_last.filter(|_| before);
        let w = Reverse { dims, r, v_pre: saved.v_pre, gz: up.gz, gvh, threads };
        threads.install(|| {
            with_deriv!(self.surrogate, |d| with_family!(self.member, |F| with_leak!(
                self.leaky,
                |K| reverse_loop(self, d, F::IT, K::IT, &w, g_cur, &mut gv, &mut gu, &mut gzn)
            )))
        })??;
        if let Some(o) = gv0 {
            o.copy_from_slice(&gv);
        }
        if let Some(o) = gu0 {
            o.copy_from_slice(&gu);
        }
        if let Some(o) = gz0 {
            o.copy_from_slice(&gzn);
        }
        let Some(gr) = gr else { return Ok(()) };
        if dims.t == 0 {
            gr.fill(0.0);
            return Ok(());
        }
        let rows = (dims.t - 1) * dims.b;
        let prev = saved.z_bits.slice_rows(0, rows)?;
        let ld = LinearDims { rows, inputs: h, outputs: h };
        let (g0, g_rest) = g_cur.split_at(state);
        let x = SpikeInput::Bits(prev);
        spike_linear_dw(ld, g_rest, x, gr, DwLayout::OutIn, false, SpikePath::Event, threads)?;
        if let Some(z0) = saved.z0 {
            sgemm(h, h, dims.b, g0, 1, h, z0, h, 1, gr, h, true, threads)?;
        }
        Ok(())
    }
}
