//! 2-D pooling (1-D arrives as height 1): sum, the two averages and max, forward and the input
//! gradient, as gathers: the forward kernel one thread per output window, the gradient one
//! thread per input element summing its share of every window that contains it (no atomics);
//! max's gradient finds each such window's chosen tap again from `x` (the first largest in
//! row-major order, or the first NaN, as the reference). The same formulations as the WGSL
//! kernels (`snnc-wgpu`'s `src/wgsl/pool.rs`), which are tested against naive loops.

use snnc_plan::{BufId, PoolBackK, PoolGeom, PoolK, PoolOp};

use super::conv::need;
use super::source::{err, grid1, lit, Kb, Launch, Out, BLOCK};
use crate::CudaError;

/// The elements of x and y, refusing a geometry no kernel can run (a zero stride or an empty
/// window) or whose sizes overflow.
fn sizes(step: usize, kernel: &'static str, g: &PoolGeom) -> Result<[usize; 2], CudaError> {
    if g.sh == 0 || g.sw == 0 || g.kh == 0 || g.kw == 0 {
        let msg = "a pooling with a zero stride or an empty window (invalid plan)";
        return Err(err(step, kernel, msg));
    }
    let prod = |d: &[usize]| d.iter().try_fold(1usize, |a, &v| a.checked_mul(v));
    let all = [
        prod(&[g.n, g.h, g.w]),
        prod(&[g.n, g.oh, g.ow]),
        prod(&[g.oh, g.sh]).and_then(|v| v.checked_add(g.kh)),
        prod(&[g.ow, g.sw]).and_then(|v| v.checked_add(g.kw)),
        prod(&[g.kh, g.kw]),
    ];
    if all.iter().any(|v| v.is_none_or(|v| v > i64::MAX as usize / 4)) {
        return Err(err(step, kernel, "pooling sizes overflow (invalid plan)"));
    }
    Ok([all[0].unwrap_or(0), all[1].unwrap_or(0)])
}

/// The geometry's constants (i64) for the kernels and the helpers of step `step`.
fn consts(g: &PoolGeom) -> String {
    let vals = [
        ("H", g.h),
        ("W", g.w),
        ("OH", g.oh),
        ("OW", g.ow),
        ("KH", g.kh),
        ("KW", g.kw),
        ("SH", g.sh),
        ("SW", g.sw),
        ("PH", g.ph),
        ("PW", g.pw),
    ];
    let list: Vec<String> = vals.iter().map(|(n, v)| format!("{n} = {v}LL")).collect();
    format!("    const i64 {};\n", list.join(", "))
}

/// `snnc_sNNNN_pick(xb, oy, ox)`: the plane offset of the tap max pooling chooses in window
/// (oy, ox) of the plane `xb`: the first largest in row-major order, or the first NaN; −1 for a
/// window wholly in the padding.
fn pick_fn(step: usize, g: &PoolGeom) -> String {
    format!(
        "__device__ __forceinline__ i64 snnc_s{step:04}_pick(const float* __restrict__ xb, i64 oy, i64 ox) {{\n\
         {consts}\
         \x20   float best = 0.0f;\n\
         \x20   i64 at = -1;\n\
         \x20   for (i64 ky = 0; ky < KH; ++ky) {{\n\
         \x20       const i64 iy = oy * SH + ky - PH;\n\
         \x20       if (iy < 0 || iy >= H) continue;\n\
         \x20       for (i64 kx = 0; kx < KW; ++kx) {{\n\
         \x20           const i64 ix = ox * SW + kx - PW;\n\
         \x20           if (ix < 0 || ix >= W) continue;\n\
         \x20           const float v = xb[iy * W + ix];\n\
         \x20           if (isnan(v)) return iy * W + ix;\n\
         \x20           if (at < 0 || v > best) {{ best = v; at = iy * W + ix; }}\n\
         \x20       }}\n\
         \x20   }}\n\
         \x20   return at;\n\
         }}\n",
        consts = consts(g),
    )
}

/// `snnc_sNNNN_taps(oy, ox)`: how many taps of window (oy, ox) lie inside the input.
fn taps_fn(step: usize, g: &PoolGeom) -> String {
    format!(
        "__device__ __forceinline__ i64 snnc_s{step:04}_taps(i64 oy, i64 ox) {{\n\
         {consts}\
         \x20   const i64 rows = min(oy * SH - PH + KH, H) - max(oy * SH - PH, 0LL);\n\
         \x20   const i64 cols = min(ox * SW - PW + KW, W) - max(ox * SW - PW, 0LL);\n\
         \x20   return max(rows, 0LL) * max(cols, 0LL);\n\
         }}\n",
        consts = consts(g),
    )
}

/// [`PoolK`]: one thread per output window.
pub(crate) fn pool(
    out: &mut Out<'_>,
    k: &PoolK,
    len: &dyn Fn(BufId) -> Option<usize>,
) -> Result<Vec<Launch>, CudaError> {
    let (step, g) = (out.step, &k.g);
    let [xn, yn] = sizes(step, "pool", g)?;
    need(step, "pool", len, k.x, xn, "x")?;
    need(step, "pool", len, k.y, yn, "y")?;
    if yn == 0 {
        return Ok(Vec::new());
    }
    let value = match k.op {
        PoolOp::Max => {
            out.code.push_str(&pick_fn(step, g));
            // An empty window's maximum is −∞, as the reference's.
            format!(
                "\x20       const i64 at = snnc_s{step:04}_pick(xb, oy, ox);\n\
                 \x20       const float v = at < 0 ? __int_as_float(0xff800000) : xb[at];\n"
            )
        }
        op => {
            let div = match op {
                PoolOp::AvgIncludePad => format!(" / {}", lit((g.kh * g.kw) as f32)),
                PoolOp::AvgExcludePad => {
                    out.code.push_str(&taps_fn(step, g));
                    format!(" / (float)snnc_s{step:04}_taps(oy, ox)")
                }
                _ => String::new(),
            };
            format!(
                "\x20       float s = 0.0f;\n\
                 \x20       for (i64 ky = 0; ky < KH; ++ky) {{\n\
                 \x20           const i64 iy = oy * SH + ky - PH;\n\
                 \x20           if (iy < 0 || iy >= H) continue;\n\
                 \x20           for (i64 kx = 0; kx < KW; ++kx) {{\n\
                 \x20               const i64 ix = ox * SW + kx - PW;\n\
                 \x20               if (ix < 0 || ix >= W) continue;\n\
                 \x20               s += xb[iy * W + ix];\n\
                 \x20           }}\n\
                 \x20       }}\n\
                 \x20       const float v = s{div};\n"
            )
        }
    };
    let mut kb = Kb::new(step, "pool");
    kb.read("x", k.x);
    kb.write("y", k.y);
    let code = format!(
        "{sig} {{\n\
         {consts}\
         \x20   SNNC_FOR(e, {yn}LL) {{\n\
         \x20       const i64 ox = e % OW, oy = (e / OW) % OH, pl = e / (OW * OH);\n\
         \x20       const float* xb = x + pl * H * W;\n\
         {value}\
         \x20       y[e] = v;\n\
         \x20   }}\n\
         }}",
        sig = kb.signature(BLOCK),
        consts = consts(g),
    );
    out.push(&code);
    Ok(vec![kb.launch(grid1(yn), [BLOCK, 1, 1], 0)])
}

/// [`PoolBackK`]: one thread per input element sums, over the windows that contain it (rows,
/// then columns, increasing), its share of each window's gradient. Window (oy, ox) covers the
/// padded rows oy·sh .. oy·sh + kh, so padded row ty = iy + ph lies in the windows from
/// ⌈(ty + 1 − kh) / sh⌉ to ⌊ty / sh⌋. The window loops stay rolled: unrolled, the slow path
/// of every IEEE division of the averages (`--prec-div=true`) spills registers.
pub(crate) fn pool_back(
    out: &mut Out<'_>,
    k: &PoolBackK,
    len: &dyn Fn(BufId) -> Option<usize>,
) -> Result<Vec<Launch>, CudaError> {
    let (step, g) = (out.step, &k.g);
    let [xn, yn] = sizes(step, "pool-back", g)?;
    if k.op == PoolOp::Max {
        need(step, "pool-back", len, k.x, xn, "x")?;
    }
    need(step, "pool-back", len, k.dy, yn, "dy")?;
    need(step, "pool-back", len, k.dx, xn, "dx")?;
    if xn == 0 {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(step, "pool_back");
    let share = match k.op {
        PoolOp::Sum => "g".to_string(),
        PoolOp::AvgIncludePad => format!("g / {}", lit((g.kh * g.kw) as f32)),
        PoolOp::AvgExcludePad => {
            out.code.push_str(&taps_fn(step, g));
            format!("g / (float)snnc_s{step:04}_taps(oy, ox)")
        }
        PoolOp::Max => {
            out.code.push_str(&pick_fn(step, g));
            kb.read("x", k.x);
            format!("(snnc_s{step:04}_pick(x + pl * H * W, oy, ox) == me ? g : 0.0f)")
        }
    };
    kb.read("dy", k.dy);
    kb.write("dx", k.dx);
    let store = if k.acc { "dx[e] + s" } else { "s" };
    let code = format!(
        "{sig} {{\n\
         {consts}\
         \x20   SNNC_FOR(e, {xn}LL) {{\n\
         \x20       const i64 ix = e % W, iy = (e / W) % H, pl = e / (W * H), me = iy * W + ix;\n\
         \x20       const i64 ty = iy + PH, tx = ix + PW;\n\
         \x20       const i64 oy0 = ty + 1 > KH ? (ty + SH - KH) / SH : 0, oy1 = min(ty / SH + 1, OH);\n\
         \x20       const i64 ox0 = tx + 1 > KW ? (tx + SW - KW) / SW : 0, ox1 = min(tx / SW + 1, OW);\n\
         \x20       float s = 0.0f;\n\
         \x20       #pragma unroll 1\n\
         \x20       for (i64 oy = oy0; oy < oy1; ++oy) {{\n\
         \x20           #pragma unroll 1\n\
         \x20           for (i64 ox = ox0; ox < ox1; ++ox) {{\n\
         \x20               const float g = dy[(pl * OH + oy) * OW + ox];\n\
         \x20               s += {share};\n\
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
