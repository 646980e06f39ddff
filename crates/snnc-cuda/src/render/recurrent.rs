//! Recurrent integrate-and-fire kernels. Each step needs all of the previous step's spikes, so
//! one thread block owns one batch row for the whole sequence: its threads hold the potentials
//! of their neurons in registers, the previous step's spikes live in shared memory as words,
//! and the recurrent current of neuron h is the sum of `R[h, j]` over the spiking `j`, in
//! increasing `j` like the CPU kernel.

use snnc_ir::Spikes;
use snnc_plan::{RecBackK, RecK};

use super::cell::Cell;
use super::gemm::{gemm, Entry, Gemm};
use super::iaf::check_u;
use super::prelude::surrogate_f32;
use super::source::{err, grid1, param_table, words, Kb, Launch, Out, BLOCK};
use crate::CudaError;

/// Most neurons per thread (registers per thread grow with it).
const MAX_PER_THREAD: usize = 16;

/// Threads per block and neurons per thread for `h` neurons.
fn shape(step: usize, kernel: &'static str, b: usize, h: usize) -> Result<(u32, usize), CudaError> {
    let threads = h.div_ceil(32).clamp(1, 32) * 32;
    let per = h.div_ceil(threads).max(1);
    if per > MAX_PER_THREAD {
        let most = MAX_PER_THREAD * 1024;
        return Err(err(step, kernel, format!("{h} neurons: at most {most} per recurrent layer")));
    }
    if b > i32::MAX as usize {
        return Err(err(step, kernel, format!("batch {b} is past the grid limit")));
    }
    Ok((threads as u32, per))
}

/// [`RecK`]: `cur = x·Wᵀ` (one product over all `T·B` rows), then the time loop.
pub(crate) fn recurrent(out: &mut Out<'_>, k: &RecK) -> Result<Vec<Launch>, CudaError> {
    let (threads, per) = shape(out.step, "iaf-recurrent", k.b, k.h)?;
    if k.params.family.spikes == Spikes::Multi {
        // The previous step's spikes travel as bits, which spike counts are not; the
        // lowering refuses these layers.
        let msg = "spikes = multi in a recurrent layer (invalid plan)".to_string();
        return Err(err(out.step, "iaf-recurrent", msg));
    }
    let cur = Gemm {
        m: k.t * k.b,
        n: k.h,
        k: k.i,
        a: (k.x, k.i, 1),
        b: (k.w, 1, k.i),
        c: k.cur,
        c_rs: k.h,
        alpha: 1.0,
        entries: vec![Entry { a_off: 0, b_off: 0, c_off: 0, acc: false }],
    };
    let mut launches = gemm(out, "rec_cur", &cur)?;
    if k.h == 0 || k.b == 0 {
        return Ok(launches);
    }
    let (t1, th) = param_table(out, "th", &k.params.v_th, "h");
    let (t2, r) = param_table(out, "reset", &k.params.v_reset, "h");
    out.code.push_str(&t1);
    out.code.push_str(&t2);
    let cell = Cell::new(&k.params, false);
    let leak = cell.decls(out, "h", None, "                ");
    let mut kb = Kb::new(out.step, "iaf_recurrent");
    kb.read("cur", k.cur);
    kb.read("R", k.r);
    for (p, b) in [("v0", k.v0), ("z0", k.z0), ("u0", k.u0)] {
        if let Some(b) = b {
            kb.read(p, b);
        }
    }
    let outs = [("z", k.z), ("v_last", k.v_last), ("z_last", k.z_last), ("v_pre", k.v_pre)];
    for (p, b) in outs.into_iter().chain([("u_last", k.u_last)]) {
        if let Some(b) = b {
            kb.write(p, b);
        }
    }
    check_u(out.step, "iaf-recurrent", &cell, k.u0.is_some() || k.u_last.is_some())?;
    if let Some(b) = k.z_bits {
        kb.bits_write("z_bits", b);
    }
    let (t, bn, h, w) = (k.t, k.b, k.h, words(k.h));
    let v_init = if k.v0.is_some() { "v0[b * H + h]" } else { "r" };
    let first = if k.z0.is_some() {
        "                    for (i64 j = 0; j < H; ++j) {\n\
         \x20                       const float zj = z0[b * H + j];\n\
         \x20                       if (zj != 0.0f) rec += zj * R[h * H + j];\n\
         \x20                   }\n"
    } else {
        ""
    };
    let mut stores = String::new();
    if k.z.is_some() {
        stores.push_str(&format!("                z[off] = {};\n", cell.out("zf")));
    }
    // V_T before the reset is v̂ of the last step.
    let before = cell.before() && t > 0;
    if k.v_last.is_some() && before {
        stores.push_str(&format!("                if (t == {}LL) v_last[b * H + h] = u;\n", t - 1));
    }
    // The leaky cell's synaptic currents, in registers like the potentials; none for the IF
    // cell.
    let (mut u_decl, mut u_init, mut u_load, mut u_store): (String, String, String, String) =
        Default::default();
    if cell.current() {
        let u0 = if k.u0.is_some() { "u0[b * H + h]" } else { "0.0f" };
        u_decl = format!("    float us[{per}];\n");
        u_init = format!("        us[q] = h < H ? {u0} : 0.0f;\n");
        u_load = "                float syn = us[q];\n".to_string();
        u_store = "                us[q] = syn;\n".to_string();
    }
    if k.v_pre.is_some() {
        stores.push_str("                v_pre[off] = u;\n");
    }
    let save_bits = if k.z_bits.is_some() {
        "                z_bits[(t * BATCH + b) * W + wi] = word;\n"
    } else {
        ""
    };
    let mut last = String::new();
    if k.v_last.is_some() && !before {
        last.push_str("            v_last[b * H + h] = vs[q];\n");
    }
    if k.u_last.is_some() {
        last.push_str("            u_last[b * H + h] = us[q];\n");
    }
    if k.z_last.is_some() && t > 0 {
        last.push_str("            z_last[b * H + h] = zs[q];\n");
    }
    let code = format!(
        "{sig} {{\n\
         \x20   const i64 H = {h}LL, W = {w}LL, BATCH = {bn}LL;\n\
         \x20   extern __shared__ u32 spikes[];\n\
         \x20   const i64 b = blockIdx.x;\n\
         \x20   float vs[{per}], zs[{per}];\n\
         {u_decl}\
         \x20   #pragma unroll\n\
         \x20   for (int q = 0; q < {per}; ++q) {{\n\
         \x20       const i64 h = threadIdx.x + (i64)q * {threads};\n\
         \x20       const float r = h < H ? {r} : 0.0f;\n\
         \x20       vs[q] = h < H ? {v_init} : 0.0f;\n\
         \x20       zs[q] = 0.0f;\n\
         {u_init}\
         \x20   }}\n\
         \x20   int cur_half = 0;\n\
         \x20   for (i64 t = 0; t < {t}LL; ++t) {{\n\
         \x20       const u32* prev = spikes + cur_half * W;\n\
         \x20       u32* next = spikes + (1 - cur_half) * W;\n\
         \x20       #pragma unroll\n\
         \x20       for (int q = 0; q < {per}; ++q) {{\n\
         \x20           const i64 h = threadIdx.x + (i64)q * {threads};\n\
         \x20           const bool live = h < H;\n\
         \x20           float xv = 0.0f, zf = 0.0f;\n\
         \x20           if (live) {{\n\
         \x20               const float th = {th};\n\
         \x20               const float r = {r};\n\
         {leak}\
         \x20               float rec = 0.0f;\n\
         \x20               if (t == 0) {{\n\
         {first}\
         \x20               }} else {{\n\
         \x20                   for (i64 wi = 0; wi < W; ++wi) {{\n\
         \x20                       u32 bits = prev[wi];\n\
         \x20                       while (bits) {{\n\
         \x20                           const i64 j = wi * 32 + (__ffs(bits) - 1);\n\
         \x20                           bits &= bits - 1;\n\
         \x20                           rec += R[h * H + j];\n\
         \x20                       }}\n\
         \x20                   }}\n\
         \x20               }}\n\
         \x20               const i64 off = (t * BATCH + b) * H + h;\n\
         \x20               xv = rec + cur[off];\n\
         \x20               float v = vs[q];\n\
         {u_load}\
         {step}\
         \x20               vs[q] = v;\n\
         {u_store}\
         \x20               zs[q] = zf_;\n\
         \x20               zf = zf_;\n\
         {stores}\
         \x20           }}\n\
         \x20           const u32 word = __ballot_sync(0xffffffffu, zf != 0.0f);\n\
         \x20           const i64 wi = (threadIdx.x + (i64)q * {threads}) / 32;\n\
         \x20           if ((threadIdx.x & 31) == 0 && wi < W) {{\n\
         \x20               next[wi] = word;\n\
         {save_bits}\
         \x20           }}\n\
         \x20       }}\n\
         \x20       __syncthreads();\n\
         \x20       cur_half = 1 - cur_half;\n\
         \x20   }}\n\
         \x20   #pragma unroll\n\
         \x20   for (int q = 0; q < {per}; ++q) {{\n\
         \x20       const i64 h = threadIdx.x + (i64)q * {threads};\n\
         \x20       if (h < H) {{\n\
         {last}\
         \x20       }}\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(threads),
        step = cell.step(k.params.order, "zf_", "                "),
    );
    out.push(&code);
    launches.push(kb.launch([k.b as u32, 1, 1], [threads, 1, 1], (2 * w * 4) as u32));
    Ok(launches)
}

/// [`RecBackK`]: the reverse time loop (one block per batch row; `gz_{t−1} += gI_t·R` computed
/// by each thread for its neurons), then the gradient of R from the saved spike words.
pub(crate) fn recurrent_back(out: &mut Out<'_>, k: &RecBackK) -> Result<Vec<Launch>, CudaError> {
    let (threads, per) = shape(out.step, "iaf-recurrent-back", k.b, k.h)?;
    if k.h == 0 {
        return Ok(Vec::new());
    }
    let (t, bn, h, w) = (k.t, k.b, k.h, words(k.h));
    let mut launches = Vec::new();
    if k.b > 0 {
        let (t1, th) = param_table(out, "th", &k.params.v_th, "h");
        let (t2, r) = param_table(out, "reset", &k.params.v_reset, "h");
        out.code.push_str(&t1);
        out.code.push_str(&t2);
        let cell = Cell::new(&k.params, true);
        let mut leak = cell.decls(out, "h", None, "                ");
        let sg = format!("snnc_s{:04}_sg", out.step);
        out.code.push_str(&surrogate_f32(&sg, k.params.surrogate));
        let mut kb = Kb::new(out.step, "iaf_recurrent_back");
        kb.read("R", k.r);
        kb.read("v_pre", k.v_pre);
        let ins = [("gz", k.gz), ("gv_last", k.gv_last), ("gz_last", k.gz_last)];
        for (p, b) in ins.into_iter().chain([("gu_last", k.gu_last)]) {
            if let Some(b) = b {
                kb.read(p, b);
            }
        }
        kb.write("g_cur", k.g_cur);
        for (p, b) in [("gv0", k.gv0), ("gz0", k.gz0), ("gu0", k.gu0)] {
            if let Some(b) = b {
                kb.write(p, b);
            }
        }
        check_u(out.step, "iaf-recurrent-back", &cell, k.gu_last.is_some() || k.gu0.is_some())?;
        let mut gv_init = if k.gv_last.is_some() { "gv_last[b * H + h]" } else { "0.0f" };
        let gz_init = if k.gz_last.is_some() { "gz_last[b * H + h]" } else { "0.0f" };
        // A leaky integrator's output is its potential, not spikes: the recurrent gradient
        // gI·R of its (zero) spikes reaches nothing.
        let gzv = match (k.gz.is_some(), cell.integrator()) {
            (true, false) => "gzn[q] + gz[off]",
            (false, false) => "gzn[q]",
            (true, true) => "gz[off]",
            (false, true) => "0.0f",
        };
        // A V_T reported before the reset is v̂ of the last step: its gradient joins the
        // reverse step's there instead of starting gv.
        let last_step = format!("t == {}LL", t.saturating_sub(1));
        let gh = if cell.before() && k.gv_last.is_some() {
            leak.push_str("                const float gh = gv_last[b * H + h];\n");
            gv_init = "0.0f";
            Some((last_step.as_str(), "gh"))
        } else {
            None
        };
        let (mut u_decl, mut u_init, mut u_load, mut u_store): (String, String, String, String) =
            Default::default();
        if cell.current() {
            let gu = if k.gu_last.is_some() { "gu_last[b * H + h]" } else { "0.0f" };
            u_decl = format!("    float gus[{per}];\n");
            u_init = format!("        gus[q] = h < H ? {gu} : 0.0f;\n");
            u_load = "                float gu = gus[q];\n".to_string();
            u_store = "                gus[q] = gu;\n".to_string();
        }
        let mut last = String::new();
        if k.gu0.is_some() {
            last.push_str("            gu0[b * H + h] = gus[q];\n");
        }
        if k.gv0.is_some() {
            last.push_str("            gv0[b * H + h] = gvs[q];\n");
        }
        if k.gz0.is_some() {
            last.push_str("            gz0[b * H + h] = gzn[q];\n");
        }
        let code = format!(
            "{sig} {{\n\
             \x20   const i64 H = {h}LL, BATCH = {bn}LL;\n\
             \x20   const i64 b = blockIdx.x;\n\
             \x20   float gvs[{per}], gzn[{per}];\n\
             {u_decl}\
             \x20   #pragma unroll\n\
             \x20   for (int q = 0; q < {per}; ++q) {{\n\
             \x20       const i64 h = threadIdx.x + (i64)q * {threads};\n\
             \x20       gvs[q] = h < H ? {gv_init} : 0.0f;\n\
             \x20       gzn[q] = h < H ? {gz_init} : 0.0f;\n\
             {u_init}\
             \x20   }}\n\
             \x20   for (i64 t = {t}LL - 1; t >= 0; --t) {{\n\
             \x20       #pragma unroll\n\
             \x20       for (int q = 0; q < {per}; ++q) {{\n\
             \x20           const i64 h = threadIdx.x + (i64)q * {threads};\n\
             \x20           if (h < H) {{\n\
             \x20               const float th = {th};\n\
             \x20               const float r = {r};\n\
             {leak}\
             \x20               const i64 off = (t * BATCH + b) * H + h;\n\
             \x20               const float u = v_pre[off];\n\
             \x20               const float gzv = {gzv};\n\
             \x20               const float g = gvs[q];\n\
             {u_load}\
             {back}\
             \x20               g_cur[off] = gi;\n\
             \x20               gvs[q] = back;\n\
             {u_store}\
             \x20           }}\n\
             \x20       }}\n\
             \x20       __syncthreads();\n\
             \x20       const float* gi_row = g_cur + (t * BATCH + b) * H;\n\
             \x20       #pragma unroll\n\
             \x20       for (int q = 0; q < {per}; ++q) {{\n\
             \x20           const i64 j = threadIdx.x + (i64)q * {threads};\n\
             \x20           if (j < H) {{\n\
             \x20               float acc = 0.0f;\n\
             \x20               for (i64 hh = 0; hh < H; ++hh) acc += gi_row[hh] * R[hh * H + j];\n\
             \x20               gzn[q] = acc;\n\
             \x20           }}\n\
             \x20       }}\n\
             \x20   }}\n\
             \x20   #pragma unroll\n\
             \x20   for (int q = 0; q < {per}; ++q) {{\n\
             \x20       const i64 h = threadIdx.x + (i64)q * {threads};\n\
             \x20       if (h < H) {{\n\
             {last}\
             \x20       }}\n\
             \x20   }}\n\
             }}",
            sig = kb.signature(threads),
            back = cell.back(k.params.order, &sg, gh, "                "),
        );
        out.push(&code);
        launches.push(kb.launch([k.b as u32, 1, 1], [threads, 1, 1], 0));
    }
    if let Some(gr) = k.gr {
        launches.extend(grad_r(out, k, gr, t, bn, h, w));
    }
    Ok(launches)
}

/// `gR[h, j] = Σ_{r : z_{r, j} = 1} g_cur[B + r, h]` over the saved spikes of steps
/// `0..T−1`, in increasing `r`, plus `Σ_b g_cur[b, h]·z0[b, j]` when Z0 is given.
fn grad_r(
    out: &mut Out<'_>,
    k: &RecBackK,
    gr: snnc_plan::BufId,
    t: usize,
    bn: usize,
    h: usize,
    w: usize,
) -> Vec<Launch> {
    let mut kb = Kb::new(out.step, "iaf_recurrent_grad_r");
    kb.read("g_cur", k.g_cur);
    kb.bits_read("z_bits", k.z_bits);
    if let Some(b) = k.z0 {
        kb.read("z0", b);
    }
    kb.write("gr", gr);
    let rows = t.saturating_sub(1) * bn;
    let z0 = if k.z0.is_some() && t > 0 {
        format!(
            "        float s = 0.0f;\n\
             \x20       for (i64 b = 0; b < {bn}LL; ++b) s += g_cur[b * H + h] * z0[b * H + j];\n\
             \x20       acc = acc + s;\n"
        )
    } else {
        String::new()
    };
    let total = h * h;
    let code = format!(
        "{sig} {{\n\
         \x20   const i64 H = {h}LL, W = {w}LL;\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       const i64 hh = e / H, j = e % H;\n\
         \x20       const i64 h = hh;\n\
         \x20       float acc = 0.0f;\n\
         \x20       for (i64 r = 0; r < {rows}LL; ++r) {{\n\
         \x20           if ((z_bits[r * W + j / 32] >> (j % 32)) & 1u) acc += g_cur[({bn}LL + r) * H + h];\n\
         \x20       }}\n\
         {z0}\
         \x20       gr[e] = acc;\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)]
}
