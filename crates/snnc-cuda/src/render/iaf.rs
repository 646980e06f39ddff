//! Feed-forward integrate-and-fire kernels: the fused sequence forward (one thread per neuron,
//! the whole time loop in registers, spikes bit-packed with a warp ballot), its reverse-time
//! kernel, `SpikeReset`, and packing spikes to bits.

use snnc_ir::{Dialect, IafParams, Spikes, StepText};
use snnc_plan::{IafBackK, IafK, PackK, ResetK};

use super::cell::Cell;
use super::prelude::{surrogate_f32, ERR_NOT_BINARY};
use super::source::{err, grid1, param_table, words, Kb, Launch, Out, BLOCK};
use crate::CudaError;

/// Threads per block of the sequence kernels (a multiple of 32: a warp covers 32 neurons of
/// one batch row, one word of spikes).
const SEQ_BLOCK: u32 = 128;

/// The grid of a sequence kernel over `[b, n]`: x over neurons, y over batch rows.
fn seq_grid(step: usize, kernel: &'static str, b: usize, n: usize) -> Result<[u32; 3], CudaError> {
    if b > 65535 {
        return Err(err(step, kernel, format!("batch {b} is past the grid limit 65535")));
    }
    let x = n.div_ceil(SEQ_BLOCK as usize);
    if x > i32::MAX as usize {
        return Err(err(step, kernel, format!("{n} neurons are past the grid limit")));
    }
    Ok([x as u32, b as u32, 1])
}

/// The threshold and reset of neuron `n` (tables for per-neuron values).
fn params(out: &mut Out<'_>, p: &IafParams) -> (String, String) {
    let (t1, th) = param_table(out, "th", &p.v_th, "n");
    let (t2, r) = param_table(out, "reset", &p.v_reset, "n");
    out.code.push_str(&t1);
    out.code.push_str(&t2);
    (th, r)
}

/// [`IafK`]: the fused forward sequence.
pub(crate) fn iaf(out: &mut Out<'_>, k: &IafK) -> Result<Vec<Launch>, CudaError> {
    let grid = seq_grid(out.step, "iaf", k.b, k.n)?;
    if k.n == 0 || k.b == 0 {
        return Ok(Vec::new());
    }
    if k.z_bits.is_some() && k.params.family.spikes == Spikes::Multi {
        // Spike counts are not bits; the lowering never asks for them.
        let msg = "spikes = multi emits spike counts, which cannot be bit-packed (invalid plan)";
        return Err(err(out.step, "iaf", msg.to_string()));
    }
    let (th, r) = params(out, &k.params);
    let cell = Cell::new(&k.params, false);
    let leak = cell.decls(out, "n", Some("live"), "    ");
    let mut kb = Kb::new(out.step, "iaf");
    kb.read("x", k.x);
    for (p, b) in [("v0", k.v0), ("u0", k.u0)] {
        if let Some(b) = b {
            kb.read(p, b);
        }
    }
    for (p, b) in [("z", k.z), ("v_last", k.v_last), ("v_pre", k.v_pre), ("u_last", k.u_last)] {
        if let Some(b) = b {
            kb.write(p, b);
        }
    }
    check_u(out.step, "iaf", &cell, k.u0.is_some() || k.u_last.is_some())?;
    if let Some(b) = k.z_bits {
        kb.bits_write("z_bits", b);
    }
    let (t, bn, n, w) = (k.t, k.b, k.n, words(k.n));
    let v_init = if k.v0.is_some() { "v0[st]" } else { "r" };
    let mut body = String::new();
    if k.z.is_some() {
        body.push_str(&format!("            z[off] = {};\n", cell.out("zf")));
    }
    if k.v_pre.is_some() {
        body.push_str("            v_pre[off] = u;\n");
    }
    // The leaky cell's state beyond v: the synaptic current, and v̂ of the last step when it
    // is V_T. Empty for the IF cell.
    let mut state = leak;
    let mut after = String::new();
    if cell.current() {
        let u0 = if k.u0.is_some() { "u0[st]" } else { "0.0f" };
        state.push_str(&format!("    float syn = live ? {u0} : 0.0f;\n"));
    }
    if cell.before() {
        state.push_str("    float vh = v;\n");
        after.push_str("        vh = u;\n");
    }
    let bits = if k.z_bits.is_some() {
        format!(
            "        const u32 word = __ballot_sync(0xffffffffu, live && zf != 0.0f);\n\
             \x20       if ((threadIdx.x & 31) == 0 && n < {n}LL) z_bits[(t * {bn}LL + b) * {w}LL + n / 32] = word;\n"
        )
    } else {
        String::new()
    };
    let mut last = String::new();
    if k.v_last.is_some() {
        last.push_str(if cell.before() {
            "    if (live) v_last[st] = vh;\n"
        } else {
            "    if (live) v_last[st] = v;\n"
        });
    }
    if k.u_last.is_some() {
        last.push_str("    if (live) u_last[st] = syn;\n");
    }
    // The loads of the next PIPE steps are issued before the current PIPE steps are computed:
    // with one thread per neuron there are too few warps to hide memory latency otherwise.
    let code = format!(
        "{sig} {{\n\
         \x20   const i64 n = (i64)blockIdx.x * {SEQ_BLOCK} + threadIdx.x;\n\
         \x20   const i64 b = blockIdx.y;\n\
         \x20   const bool live = n < {n}LL;\n\
         \x20   // The state index (`s` is the surrogate's argument in the step).\n\
         \x20   const i64 st = b * {n}LL + n;\n\
         \x20   const float th = live ? {th} : 0.0f;\n\
         \x20   const float r = live ? {r} : 0.0f;\n\
         \x20   float v = live ? {v_init} : 0.0f;\n\
         {state}\
         \x20   float xn[{PIPE}];\n\
         \x20   #pragma unroll\n\
         \x20   for (int j = 0; j < {PIPE}; ++j) xn[j] = (live && j < {t}LL) ? x[((i64)j * {bn}LL + b) * {n}LL + n] : 0.0f;\n\
         \x20   for (i64 t0 = 0; t0 < {t}LL; t0 += {PIPE}) {{\n\
         \x20       float xc[{PIPE}];\n\
         \x20       #pragma unroll\n\
         \x20       for (int j = 0; j < {PIPE}; ++j) {{\n\
         \x20           xc[j] = xn[j];\n\
         \x20           const i64 tn = t0 + {PIPE} + j;\n\
         \x20           xn[j] = (live && tn < {t}LL) ? x[(tn * {bn}LL + b) * {n}LL + n] : 0.0f;\n\
         \x20       }}\n\
         \x20       #pragma unroll\n\
         \x20       for (int j = 0; j < {PIPE}; ++j) {{\n\
         \x20       const i64 t = t0 + j;\n\
         \x20       if (t < {t}LL) {{\n\
         \x20       const i64 off = (t * {bn}LL + b) * {n}LL + n;\n\
         \x20       const float xv = xc[j];\n\
         {step}\
         {after}\
         \x20       if (live) {{\n{body}        }}\n\
         {bits}\
         \x20       }}\n\
         \x20       }}\n\
         \x20   }}\n\
         {last}}}",
        sig = kb.signature(SEQ_BLOCK),
        step = cell.step(k.params.order, "zf", "        "),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid, [SEQ_BLOCK, 1, 1], 0)])
}

/// Time steps whose loads a sequence kernel issues ahead of computing them (see [`iaf`]).
/// Measured on an H200 (Linear(512, 512) + IAF, T = 500, B = 16) before this: the forward
/// kernel took 0.06 ms and the reverse one 0.23 ms, about one memory latency per step.
const PIPE: usize = 8;

/// [`IafBackK`]: the reverse-time sequence from the saved pre-reset potentials.
pub(crate) fn iaf_back(out: &mut Out<'_>, k: &IafBackK) -> Result<Vec<Launch>, CudaError> {
    let grid = seq_grid(out.step, "iaf-back", k.b, k.n)?;
    if k.n == 0 || k.b == 0 {
        return Ok(Vec::new());
    }
    let (th, r) = params(out, &k.params);
    let cell = Cell::new(&k.params, true);
    let mut state = cell.decls(out, "n", None, "    ");
    let sg = format!("snnc_s{:04}_sg", out.step);
    out.code.push_str(&surrogate_f32(&sg, k.params.surrogate));
    let mut kb = Kb::new(out.step, "iaf_back");
    kb.read("v_pre", k.v_pre);
    for (p, b) in [("gz", k.gz), ("gv_last", k.gv_last), ("gu_last", k.gu_last)] {
        if let Some(b) = b {
            kb.read(p, b);
        }
    }
    kb.write("gx", k.gx);
    for (p, b) in [("gv0", k.gv0), ("gu0", k.gu0)] {
        if let Some(b) = b {
            kb.write(p, b);
        }
    }
    check_u(out.step, "iaf-back", &cell, k.gu_last.is_some() || k.gu0.is_some())?;
    let (t, bn, n) = (k.t, k.b, k.n);
    let mut gv_init = if k.gv_last.is_some() { "gv_last[st]" } else { "0.0f" };
    // A V_T reported before the reset is v̂ of the last step, not the state v_T: its
    // gradient joins the reverse step's there.
    let last_step = format!("t == {}LL", t.saturating_sub(1));
    let gh = if cell.before() && k.gv_last.is_some() {
        state.push_str("    const float gh = gv_last[st];\n");
        gv_init = "0.0f";
        Some((last_step.as_str(), "gh"))
    } else {
        None
    };
    if cell.current() {
        let gu = if k.gu_last.is_some() { "gu_last[st]" } else { "0.0f" };
        state.push_str(&format!("    float gu = {gu};\n"));
    }
    let mut last = String::new();
    if k.gv0.is_some() {
        last.push_str("    gv0[st] = gv;\n");
    }
    if k.gu0.is_some() {
        last.push_str("    gu0[st] = gu;\n");
    }
    let gz_at = |t: &str| {
        if k.gz.is_some() {
            format!("gz[({t} * {bn}LL + b) * {n}LL + n]")
        } else {
            "0.0f".to_string()
        }
    };
    let (gz_first, gz_next) = (gz_at("tf"), gz_at("tn"));
    let code = format!(
        "{sig} {{\n\
         \x20   const i64 n = (i64)blockIdx.x * {SEQ_BLOCK} + threadIdx.x;\n\
         \x20   const i64 b = blockIdx.y;\n\
         \x20   if (n >= {n}LL) return;\n\
         \x20   // The state index (`s` is the surrogate's argument in the step).\n\
         \x20   const i64 st = b * {n}LL + n;\n\
         \x20   const float th = {th};\n\
         \x20   const float r = {r};\n\
         \x20   float gv = {gv_init};\n\
         {state}\
         \x20   float un[{PIPE}], gn[{PIPE}];\n\
         \x20   #pragma unroll\n\
         \x20   for (int j = 0; j < {PIPE}; ++j) {{\n\
         \x20       const i64 tf = {t}LL - 1 - j;\n\
         \x20       un[j] = tf >= 0 ? v_pre[(tf * {bn}LL + b) * {n}LL + n] : 0.0f;\n\
         \x20       gn[j] = tf >= 0 ? {gz_first} : 0.0f;\n\
         \x20   }}\n\
         \x20   for (i64 t0 = {t}LL - 1; t0 >= 0; t0 -= {PIPE}) {{\n\
         \x20       float uc[{PIPE}], gc[{PIPE}];\n\
         \x20       #pragma unroll\n\
         \x20       for (int j = 0; j < {PIPE}; ++j) {{\n\
         \x20           uc[j] = un[j];\n\
         \x20           gc[j] = gn[j];\n\
         \x20           const i64 tn = t0 - {PIPE} - j;\n\
         \x20           un[j] = tn >= 0 ? v_pre[(tn * {bn}LL + b) * {n}LL + n] : 0.0f;\n\
         \x20           gn[j] = tn >= 0 ? {gz_next} : 0.0f;\n\
         \x20       }}\n\
         \x20       #pragma unroll\n\
         \x20       for (int j = 0; j < {PIPE}; ++j) {{\n\
         \x20       const i64 t = t0 - j;\n\
         \x20       if (t >= 0) {{\n\
         \x20       const i64 off = (t * {bn}LL + b) * {n}LL + n;\n\
         \x20       const float u = uc[j];\n\
         \x20       const float gzv = gc[j];\n\
         \x20       const float g = gv;\n\
         {back}\
         \x20       gx[off] = gi;\n\
         \x20       gv = back;\n\
         \x20       }}\n\
         \x20       }}\n\
         \x20   }}\n\
         {last}}}",
        sig = kb.signature(SEQ_BLOCK),
        back = cell.back(k.params.order, &sg, gh, "        "),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid, [SEQ_BLOCK, 1, 1], 0)])
}

/// [`ResetK`]: the spike(s) and reset of the kernel's family member at `u = v̂ + 0` (the
/// reference's).
pub(crate) fn reset(out: &mut Out<'_>, k: &ResetK) -> Result<Vec<Launch>, CudaError> {
    let total = k.rows * k.n;
    if total == 0 || (k.z.is_none() && k.v_out.is_none()) {
        return Ok(Vec::new());
    }
    let (t1, th) = param_table(out, "th", &k.v_th, "j");
    let (t2, r) = param_table(out, "reset", &k.v_reset, "j");
    // The amount the subtract reset removes: the threshold unless the cell has its own.
    let amount = k.reset_amount.as_ref().unwrap_or(&k.v_th);
    let (t3, rd) = param_table(out, "reset_amount", amount, "j");
    out.code.push_str(&t1);
    out.code.push_str(&t2);
    out.code.push_str(&t3);
    let t = StepText::with_amount(Dialect::CudaF32, k.family, "zf", "rd");
    let mut kb = Kb::new(out.step, "spike_reset");
    kb.read("v", k.v);
    let mut stores = String::new();
    if let Some(b) = k.z {
        kb.write("z", b);
        stores.push_str("        z[i] = zf;\n");
    }
    if let Some(b) = k.v_out {
        kb.write("v_out", b);
        stores.push_str(&format!("        v_out[i] = {};\n", t.reset));
    }
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(i, {total}LL) {{\n\
         \x20       const i64 j = i % {n}LL;\n\
         \x20       const float th = {th};\n\
         \x20       const float r = {r};\n\
         \x20       const float rd = {rd};\n\
         \x20       const float u = 0.0f + v[i];\n\
         \x20       const float s = u - th;\n\
         \x20       const float zf = {spike};\n\
         {stores}\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
        n = k.n,
        spike = t.spike,
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// [`PackK`]: 0/1 data to spike words; any other value is an error of the run.
pub(crate) fn pack(out: &mut Out<'_>, k: &PackK) -> Result<Vec<Launch>, CudaError> {
    let w = words(k.cols);
    let total = k.rows * w;
    if total == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(out.step, "pack_bits");
    kb.read("src", k.src);
    kb.bits_write("dst", k.dst);
    kb.err();
    let (cols, step) = (k.cols, out.step);
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(i, {total}LL) {{\n\
         \x20       const i64 row = i / {w}LL, c0 = (i % {w}LL) * 32;\n\
         \x20       u32 word = 0;\n\
         \x20       for (int c = 0; c < 32 && c0 + c < {cols}LL; ++c) {{\n\
         \x20           const float x = src[row * {cols}LL + c0 + c];\n\
         \x20           if (x == 1.0f) word |= 1u << c;\n\
         \x20           else if (x != 0.0f) SNNC_FAIL({ERR_NOT_BINARY}, {step});\n\
         \x20       }}\n\
         \x20       dst[i] = word;\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// Refuses a synaptic-current buffer (`present`) for a cell without a current.
pub(crate) fn check_u(
    step: usize,
    kernel: &'static str,
    cell: &Cell<'_>,
    present: bool,
) -> Result<(), CudaError> {
    if present && !cell.current() {
        let msg = "a synaptic current's state for a cell without one (invalid plan)";
        return Err(err(step, kernel, msg.to_string()));
    }
    Ok(())
}
