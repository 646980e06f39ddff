//! 2-D convolution (1-D arrives as height 1): forward, input gradient, weight and bias
//! gradients, as gathers so that every result element has one writer: no atomics, and the same
//! sums in the same order on every run. The forward kernel gathers the taps of an output (the
//! plan's `event` hint is a CPU choice: a gather reads every tap anyway); the input gradient
//! gathers, for each input element, the outputs whose windows read it; the weight and bias
//! gradients give one block to each element, its threads striding over images and output
//! positions, then a fixed-order tree sum in shared memory. The same formulations as the WGSL
//! kernels (`snnc-wgpu`'s `src/wgsl/conv.rs`), which are tested against naive loops.

use snnc_plan::{BufId, ConvDwK, ConvDxK, ConvGeom, ConvK};

use super::source::{err, grid1, Kb, Launch, Out, BLOCK};
use crate::CudaError;

/// The partial sum of a thread with nothing to sum.
const EMPTY: &str = "        float s = 0.0f;\n";

/// Most blocks of a one-block-per-element grid (the blocks loop over the rest).
const MAX_BLOCKS: usize = 1 << 20;

/// The elements of x, w and y of a geometry, refusing one no kernel can run (zero groups,
/// channels not split evenly, a zero stride or dilation) or whose sizes overflow.
fn sizes(step: usize, kernel: &'static str, g: &ConvGeom) -> Result<[usize; 3], CudaError> {
    let bad = |m: &str| err(step, kernel, format!("{m} (invalid plan)"));
    if g.group == 0 || !g.c.is_multiple_of(g.group) || !g.m.is_multiple_of(g.group) {
        return Err(bad(&format!(
            "{} input and {} output channels do not split into {} groups",
            g.c, g.m, g.group
        )));
    }
    if g.sh == 0 || g.sw == 0 || g.dh == 0 || g.dw == 0 {
        return Err(bad("a convolution with a zero stride or dilation"));
    }
    let prod = |d: &[usize]| d.iter().try_fold(1usize, |a, &v| a.checked_mul(v));
    let reach = [
        prod(&[g.oh, g.sh]).zip(prod(&[g.kh, g.dh])).and_then(|(a, b)| a.checked_add(b)),
        prod(&[g.ow, g.sw]).zip(prod(&[g.kw, g.dw])).and_then(|(a, b)| a.checked_add(b)),
    ];
    let all = [
        prod(&[g.n, g.c, g.h, g.w]),
        prod(&[g.m, g.c / g.group, g.kh, g.kw]),
        prod(&[g.n, g.m, g.oh, g.ow]),
    ];
    if reach.iter().chain(&all).any(|v| v.is_none_or(|v| v > i64::MAX as usize / 4)) {
        return Err(bad("convolution sizes overflow"));
    }
    Ok(all.map(|v| v.unwrap_or(0)))
}

/// Checks that buffer `b` holds `want` elements.
pub(crate) fn need(
    step: usize,
    kernel: &'static str,
    len: &dyn Fn(BufId) -> Option<usize>,
    b: BufId,
    want: usize,
    what: &str,
) -> Result<(), CudaError> {
    match len(b) {
        Some(n) if n == want => Ok(()),
        Some(n) => Err(err(
            step,
            kernel,
            format!("{what}: expected {want} elements, got {n} (invalid plan)"),
        )),
        None => Err(err(step, kernel, format!("{what}: no buffer {} (invalid plan)", b.0))),
    }
}

/// The geometry's constants, declared at the top of a kernel body (all i64).
fn consts(g: &ConvGeom) -> String {
    let (cg, mg) = (g.c / g.group, g.m / g.group);
    let vals = [
        ("C", g.c),
        ("H", g.h),
        ("W", g.w),
        ("M", g.m),
        ("OH", g.oh),
        ("OW", g.ow),
        ("KH", g.kh),
        ("KW", g.kw),
        ("SH", g.sh),
        ("SW", g.sw),
        ("PH", g.ph),
        ("PW", g.pw),
        ("DH", g.dh),
        ("DW", g.dw),
        ("CG", cg),
        ("MG", mg),
    ];
    let list: Vec<String> = vals.iter().map(|(n, v)| format!("{n} = {v}LL")).collect();
    format!("    const i64 {};\n", list.join(", "))
}

/// [`ConvK`]: one thread per output element sums its taps (channels, then rows, then columns,
/// in increasing order), then adds the bias.
pub(crate) fn conv(
    out: &mut Out<'_>,
    k: &ConvK,
    len: &dyn Fn(BufId) -> Option<usize>,
) -> Result<Vec<Launch>, CudaError> {
    let (step, g) = (out.step, &k.g);
    let [xn, wn, yn] = sizes(step, "conv", g)?;
    need(step, "conv", len, k.x, xn, "x")?;
    need(step, "conv", len, k.w, wn, "w")?;
    need(step, "conv", len, k.y, yn, "y")?;
    if let Some(b) = k.bias {
        need(step, "conv", len, b, g.m, "bias")?;
    }
    if yn == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(step, "conv");
    kb.read("x", k.x);
    kb.read("w", k.w);
    let bias = match k.bias {
        Some(b) => {
            kb.read("bias", b);
            "s + bias[o]"
        }
        None => "s",
    };
    kb.write("y", k.y);
    let code = format!(
        "{sig} {{\n\
         {consts}\
         \x20   SNNC_FOR(e, {yn}LL) {{\n\
         \x20       const i64 ox = e % OW, oy = (e / OW) % OH, o = (e / (OW * OH)) % M, img = e / (OW * OH * M);\n\
         \x20       const float* xb = x + (img * C + (o / MG) * CG) * H * W;\n\
         \x20       const float* wb = w + o * CG * KH * KW;\n\
         \x20       float s = 0.0f;\n\
         \x20       for (i64 c = 0; c < CG; ++c) {{\n\
         \x20           for (i64 ky = 0; ky < KH; ++ky) {{\n\
         \x20               const i64 iy = oy * SH + ky * DH - PH;\n\
         \x20               if (iy < 0 || iy >= H) continue;\n\
         \x20               for (i64 kx = 0; kx < KW; ++kx) {{\n\
         \x20                   const i64 ix = ox * SW + kx * DW - PW;\n\
         \x20                   if (ix < 0 || ix >= W) continue;\n\
         \x20                   s += xb[(c * H + iy) * W + ix] * wb[(c * KH + ky) * KW + kx];\n\
         \x20               }}\n\
         \x20           }}\n\
         \x20       }}\n\
         \x20       y[e] = {bias};\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
        consts = consts(g),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(yn), [BLOCK, 1, 1], 0)])
}

/// [`ConvDxK`]: one thread per input element gathers `dy·w` over the outputs of its group whose
/// windows read it (output channels, then kernel rows, then columns, increasing). Tap ky of
/// output row oy reads input row oy·sh + ky·dh − ph, so input row iy is read by output row
/// (iy + ph − ky·dh) / sh when that divides exactly and is in range.
pub(crate) fn conv_dx(
    out: &mut Out<'_>,
    k: &ConvDxK,
    len: &dyn Fn(BufId) -> Option<usize>,
) -> Result<Vec<Launch>, CudaError> {
    let (step, g) = (out.step, &k.g);
    let [xn, wn, yn] = sizes(step, "conv-dx", g)?;
    need(step, "conv-dx", len, k.dy, yn, "dy")?;
    need(step, "conv-dx", len, k.w, wn, "w")?;
    need(step, "conv-dx", len, k.dx, xn, "dx")?;
    if xn == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(step, "conv_dx");
    kb.read("dy", k.dy);
    kb.read("w", k.w);
    kb.write("dx", k.dx);
    let store = if k.acc { "dx[e] + s" } else { "s" };
    let code = format!(
        "{sig} {{\n\
         {consts}\
         \x20   SNNC_FOR(e, {xn}LL) {{\n\
         \x20       const i64 ix = e % W, iy = (e / W) % H, ci = (e / (W * H)) % C, img = e / (W * H * C);\n\
         \x20       const i64 grp = ci / CG, c = ci % CG, ty = iy + PH, tx = ix + PW;\n\
         \x20       float s = 0.0f;\n\
         \x20       for (i64 oo = 0; oo < MG; ++oo) {{\n\
         \x20           const i64 o = grp * MG + oo;\n\
         \x20           const float* db = dy + (img * M + o) * OH * OW;\n\
         \x20           const float* wb = w + (o * CG + c) * KH * KW;\n\
         \x20           for (i64 ky = 0; ky < KH && ky * DH <= ty; ++ky) {{\n\
         \x20               const i64 ry = ty - ky * DH, oy = ry / SH;\n\
         \x20               if (ry % SH != 0 || oy >= OH) continue;\n\
         \x20               for (i64 kx = 0; kx < KW && kx * DW <= tx; ++kx) {{\n\
         \x20                   const i64 rx = tx - kx * DW, ox = rx / SW;\n\
         \x20                   if (rx % SW != 0 || ox >= OW) continue;\n\
         \x20                   s += db[oy * OW + ox] * wb[ky * KW + kx];\n\
         \x20               }}\n\
         \x20           }}\n\
         \x20       }}\n\
         \x20       dx[e] = {store};\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
        consts = consts(g),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(xn), [BLOCK, 1, 1], 0)])
}

/// The tree sum of the block's partial sums `s` into `red[0]`, in a fixed order.
fn reduce() -> String {
    format!(
        "\x20       red[threadIdx.x] = s;\n\
         \x20       __syncthreads();\n\
         \x20       for (int h = {half}; h > 0; h >>= 1) {{\n\
         \x20           if ((int)threadIdx.x < h) red[threadIdx.x] += red[threadIdx.x + h];\n\
         \x20           __syncthreads();\n\
         \x20       }}\n",
        half = BLOCK / 2
    )
}

/// A kernel with one block per element `q` of `0..total` (a block loops over the elements
/// `gridDim.x` apart): `body` leaves the thread's partial sum in `s`, and `red[0]`, the
/// block's sum, goes to `dst[q]` (added when `acc`).
fn per_block(total: usize, body: &str, dst: &str, acc: bool) -> String {
    let store = if acc { format!("{dst}[q] + red[0]") } else { "red[0]".to_string() };
    format!(
        "\x20   __shared__ float red[{BLOCK}];\n\
         \x20   for (i64 q = blockIdx.x; q < {total}LL; q += gridDim.x) {{\n\
         {body}\
         {reduce}\
         \x20       if (threadIdx.x == 0) {dst}[q] = {store};\n\
         \x20       __syncthreads();\n\
         \x20   }}\n",
        reduce = reduce(),
    )
}

/// [`ConvDwK`]: one block per weight element, then one per bias element.
pub(crate) fn conv_dw(
    out: &mut Out<'_>,
    k: &ConvDwK,
    len: &dyn Fn(BufId) -> Option<usize>,
) -> Result<Vec<Launch>, CudaError> {
    let (step, g) = (out.step, &k.g);
    let [xn, wn, yn] = sizes(step, "conv-dw", g)?;
    need(step, "conv-dw", len, k.dy, yn, "dy")?;
    need(step, "conv-dw", len, k.x, xn, "x")?;
    // Positions each block visits: every image's output plane.
    let npos = g.n * g.oh * g.ow;
    let grid = |n: usize| [n.clamp(1, MAX_BLOCKS) as u32, 1, 1];
    let mut launches = Vec::new();
    if let Some(dw) = k.dw {
        need(step, "conv-dw", len, dw, wn, "dw")?;
        if wn > 0 {
            let mut kb = Kb::new(step, "conv_dw");
            kb.read("dy", k.dy);
            kb.read("x", k.x);
            kb.write("dw", dw);
            let body = format!(
                "\x20       const i64 kx = q % KW, ky = (q / KW) % KH, c = (q / (KW * KH)) % CG, o = q / (KW * KH * CG);\n\
                 \x20       const float* xb = x + ((o / MG) * CG + c) * H * W;\n\
                 \x20       const float* db = dy + o * OH * OW;\n\
                 \x20       float s = 0.0f;\n\
                 \x20       for (i64 p = threadIdx.x; p < {npos}LL; p += {BLOCK}) {{\n\
                 \x20           const i64 ox = p % OW, oy = (p / OW) % OH, img = p / (OW * OH);\n\
                 \x20           const i64 iy = oy * SH + ky * DH - PH, ix = ox * SW + kx * DW - PW;\n\
                 \x20           if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;\n\
                 \x20           s += db[(img * M * OH + oy) * OW + ox] * xb[(img * C * H + iy) * W + ix];\n\
                 \x20       }}\n"
            );
            // No output positions: every sum is empty (and no index is divided by a zero
            // extent, even in code that never runs).
            let body = if npos == 0 { EMPTY.to_string() } else { body };
            let code = format!(
                "{sig} {{\n{consts}{loop_}}}",
                sig = kb.signature(BLOCK),
                consts = consts(g),
                loop_ = per_block(wn, &body, "dw", k.acc),
            );
            out.push(&code);
            launches.push(kb.launch(grid(wn), [BLOCK, 1, 1], 0));
        }
    }
    if let Some(db) = k.db {
        need(step, "conv-dw", len, db, g.m, "db")?;
        if g.m > 0 {
            let mut kb = Kb::new(step, "conv_db");
            kb.read("dy", k.dy);
            kb.write("db", db);
            let body = format!(
                "\x20       float s = 0.0f;\n\
                 \x20       for (i64 p = threadIdx.x; p < {npos}LL; p += {BLOCK}) {{\n\
                 \x20           s += dy[((p / (OH * OW)) * M + q) * OH * OW + p % (OH * OW)];\n\
                 \x20       }}\n"
            );
            let body = if npos == 0 { EMPTY.to_string() } else { body };
            let code = format!(
                "{sig} {{\n{consts}{loop_}}}",
                sig = kb.signature(BLOCK),
                consts = consts(g),
                loop_ = per_block(g.m, &body, "db", k.acc),
            );
            out.push(&code);
            launches.push(kb.launch(grid(g.m), [BLOCK, 1, 1], 0));
        }
    }
    Ok(launches)
}
