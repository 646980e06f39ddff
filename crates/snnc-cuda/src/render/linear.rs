//! Linear algebra steps: matrix products, Gemm's epilogue, linear layers (dense, and
//! event-driven for spikes), the event-driven weight gradient, the bias gradient.

use snnc_plan::{BiasK, LinearK, MmK, SpikeDwK, SpikeSrc, SumRowsK};

use super::gemm::{gemm, Entry, Gemm};
use super::source::{grid1, lit, words, Kb, Launch, Out, BLOCK};
use crate::CudaError;

/// [`MmK`]: one tiled product per entry.
pub(crate) fn mm(out: &mut Out<'_>, k: &MmK) -> Result<Vec<Launch>, CudaError> {
    let g = Gemm {
        m: k.m,
        n: k.n,
        k: k.k,
        a: (k.a.buf, k.a.rs, k.a.cs),
        b: (k.b.buf, k.b.rs, k.b.cs),
        c: k.c,
        c_rs: k.c_rs,
        alpha: k.alpha,
        entries: k
            .entries
            .iter()
            .map(|e| Entry { a_off: e.a_off, b_off: e.b_off, c_off: e.c_off, acc: e.acc })
            .collect(),
    };
    gemm(out, "mm", &g)
}

/// [`BiasK`]: `y = alpha·y + beta·C` in place.
pub(crate) fn bias(out: &mut Out<'_>, k: &BiasK) -> Result<Vec<Launch>, CudaError> {
    let total = k.rows * k.cols;
    if total == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(out.step, "bias");
    let cv = match k.c {
        Some(c) => {
            kb.read("c", c);
            format!("{} * c[i * {}LL + j * {}LL]", lit(k.beta), k.c_rs, k.c_cs)
        }
        None => "0.0f".into(),
    };
    kb.write("y", k.y);
    let update = if k.alpha == 1.0 {
        "y[e] + cv".to_string()
    } else {
        format!("{} * y[e] + cv", lit(k.alpha))
    };
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       const i64 i = e / {cols}LL, j = e % {cols}LL;\n\
         \x20       const float cv = {cv};\n\
         \x20       y[e] = {update};\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
        cols = k.cols,
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// `y[r, o] += bias[o]` over `[rows, n]`.
fn add_bias(out: &mut Out<'_>, k: &LinearK, bias: snnc_plan::BufId) -> Vec<Launch> {
    let total = k.rows * k.n;
    let mut kb = Kb::new(out.step, "linear_bias");
    kb.read("bias", bias);
    kb.write("y", k.y);
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) y[e] = y[e] + bias[e % {n}LL];\n\
         }}",
        sig = kb.signature(BLOCK),
        n = k.n,
    );
    out.push(&code);
    vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)]
}

/// The dense launches of a [`LinearK`]: the product, then the bias.
pub(crate) fn linear_dense(out: &mut Out<'_>, k: &LinearK) -> Result<Vec<Launch>, CudaError> {
    if k.rows == 0 || k.n == 0 {
        return Ok(Vec::new());
    }
    let b = if k.trans_b { (k.w, 1, k.k) } else { (k.w, k.n, 1) };
    let g = Gemm {
        m: k.rows,
        n: k.n,
        k: k.k,
        a: (k.x, k.k, 1),
        b,
        c: k.y,
        c_rs: k.n,
        alpha: 1.0,
        entries: vec![Entry { a_off: 0, b_off: 0, c_off: 0, acc: false }],
    };
    let mut l = gemm(out, "linear", &g)?;
    if let Some(bias) = k.bias {
        l.extend(add_bias(out, k, bias));
    }
    Ok(l)
}

/// The event-driven launch of a [`LinearK`]: `y[r, o] = (Σ_{i : x[r, i] ≠ 0} x[r, i]·W(o, i)) +
/// bias[o]`, inputs in increasing order; a warp shares one row, so the test of `x[r, i]` is
/// uniform and inactive inputs cost one broadcast load.
pub(crate) fn linear_event(out: &mut Out<'_>, k: &LinearK) -> Result<Vec<Launch>, CudaError> {
    let total = k.rows * k.n;
    if total == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(out.step, "spike_linear");
    kb.read("x", k.x);
    kb.read("w", k.w);
    let bias = match k.bias {
        Some(b) => {
            kb.read("bias", b);
            " + bias[o]"
        }
        None => "",
    };
    kb.write("y", k.y);
    let (kk, n) = (k.k, k.n);
    let wv = if k.trans_b { format!("w[o * {kk}LL + i]") } else { format!("w[i * {n}LL + o]") };
    let code = format!(
        "{sig} {{\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       const i64 r = e / {n}LL, o = e % {n}LL;\n\
         \x20       const float* xr = x + r * {kk}LL;\n\
         \x20       float acc = 0.0f;\n\
         \x20       for (i64 i = 0; i < {kk}LL; ++i) {{\n\
         \x20           const float xv = xr[i];\n\
         \x20           if (xv != 0.0f) acc += xv * {wv};\n\
         \x20       }}\n\
         \x20       y[e] = acc{bias};\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// The event-driven launch of a [`SpikeDwK`]: each weight's gradient is the sum of the output
/// gradients of the rows where its input fired, in increasing row order.
pub(crate) fn spike_dw_event(out: &mut Out<'_>, k: &SpikeDwK) -> Result<Vec<Launch>, CudaError> {
    let total = k.k * k.n;
    if total == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(out.step, "spike_dw");
    kb.read("g", k.g);
    let (rows, kk, n) = (k.rows, k.k, k.n);
    let (test, term) = match k.x {
        SpikeSrc::Bits(b) => {
            kb.bits_read("xb", b);
            let w = words(kk);
            (format!("(xb[r * {w}LL + i / 32] >> (i % 32)) & 1u"), "g[r * N + o]".to_string())
        }
        SpikeSrc::Dense(b) => {
            kb.read("x", b);
            ("x[r * K + i] != 0.0f".to_string(), "x[r * K + i] * g[r * N + o]".to_string())
        }
    };
    kb.write("dw", k.dw);
    let (index, update) = if k.trans_b {
        ("const i64 o = e / K, i = e % K;", if k.acc { "dw[e] + acc" } else { "acc" })
    } else {
        ("const i64 i = e / N, o = e % N;", if k.acc { "dw[e] + acc" } else { "acc" })
    };
    let code = format!(
        "{sig} {{\n\
         \x20   const i64 K = {kk}LL, N = {n}LL;\n\
         \x20   SNNC_FOR(e, {total}LL) {{\n\
         \x20       {index}\n\
         \x20       float acc = 0.0f;\n\
         \x20       for (i64 r = 0; r < {rows}LL; ++r) {{\n\
         \x20           if ({test}) acc += {term};\n\
         \x20       }}\n\
         \x20       dw[e] = {update};\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(total), [BLOCK, 1, 1], 0)])
}

/// The dense launch of a [`SpikeDwK`] on f32 input: `dW (+)= gᵀ·x` as one product.
pub(crate) fn spike_dw_dense(
    out: &mut Out<'_>,
    k: &SpikeDwK,
    x: snnc_plan::BufId,
) -> Result<Vec<Launch>, CudaError> {
    let entry = vec![Entry { a_off: 0, b_off: 0, c_off: 0, acc: k.acc }];
    let g = if k.trans_b {
        Gemm {
            m: k.n,
            n: k.k,
            k: k.rows,
            a: (k.g, 1, k.n),
            b: (x, k.k, 1),
            c: k.dw,
            c_rs: k.k,
            alpha: 1.0,
            entries: entry,
        }
    } else {
        Gemm {
            m: k.k,
            n: k.n,
            k: k.rows,
            a: (x, 1, k.k),
            b: (k.g, k.n, 1),
            c: k.dw,
            c_rs: k.n,
            alpha: 1.0,
            entries: entry,
        }
    };
    gemm(out, "dw", &g)
}

/// Threads per block of [`sum_rows`]: 32 columns × [`SUM_LANES`] row lanes.
const SUM_BLOCK: u32 = 1024;

/// Row lanes of [`sum_rows`]: each sums every `SUM_LANES`-th row.
const SUM_LANES: u32 = SUM_BLOCK / 32;

/// [`SumRowsK`]: `dst[c] (+)= Σ_r g[r, c]`. A block of 1024 threads takes 32 columns; each of
/// its 32 warps sums every 32nd row in increasing order (coalesced, 8 loads in flight), then
/// the 32 partial sums are added in warp order, so the result never depends on timing. The
/// sums are latency-bound: one thread per column took 0.27 ms for 8000 × 512 on an H200, and
/// 8 warps per block 0.09 ms.
pub(crate) fn sum_rows(out: &mut Out<'_>, k: &SumRowsK) -> Result<Vec<Launch>, CudaError> {
    if k.cols == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(out.step, "sum_rows");
    kb.read("g", k.g);
    kb.write("dst", k.dst);
    let update = if k.acc { "dst[c] + acc" } else { "acc" };
    let code = format!(
        "{sig} {{\n\
         \x20   __shared__ float part[{SUM_LANES}][32];\n\
         \x20   const int col = threadIdx.x & 31, lane = threadIdx.x >> 5;\n\
         \x20   for (i64 c0 = (i64)blockIdx.x * 32; c0 < {cols}LL; c0 += (i64)gridDim.x * 32) {{\n\
         \x20       const i64 c = c0 + col;\n\
         \x20       float acc = 0.0f;\n\
         \x20       if (c < {cols}LL) {{\n\
         \x20           #pragma unroll 8\n\
         \x20           for (i64 r = lane; r < {rows}LL; r += {SUM_LANES}) acc += g[r * {cols}LL + c];\n\
         \x20       }}\n\
         \x20       part[lane][col] = acc;\n\
         \x20       __syncthreads();\n\
         \x20       if (lane == 0 && c < {cols}LL) {{\n\
         \x20           acc = part[0][col];\n\
         \x20           for (int l = 1; l < {SUM_LANES}; ++l) acc += part[l][col];\n\
         \x20           dst[c] = {update};\n\
         \x20       }}\n\
         \x20       __syncthreads();\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(SUM_BLOCK),
        cols = k.cols,
        rows = k.rows,
    );
    out.push(&code);
    let tiles = k.cols.div_ceil(32).clamp(1, 1 << 20) as u32;
    Ok(vec![kb.launch([tiles, 1, 1], [SUM_BLOCK, 1, 1], 0)])
}
