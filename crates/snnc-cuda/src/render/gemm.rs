//! The dense product: a shared-memory tiled kernel (16 × 16 tiles), one grid layer per product
//! of a batch. Each launch also carries [`GemmDesc`]s so that the runtime can use cuBLAS.

use snnc_plan::BufId;

use super::source::{lit, Arg, GemmDesc, GemmOperand, Kb, Launch, Out};
use crate::CudaError;

/// Tile edge.
const TILE: usize = 16;

/// One product of a [`Gemm`]: operand offsets and accumulation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub a_off: usize,
    pub b_off: usize,
    pub c_off: usize,
    pub acc: bool,
}

/// `C (+)= alpha·A·B` for each entry: A `m × k` (strides `a_rs`, `a_cs`), B `k × n`, C
/// row-major with row stride `c_rs`.
#[derive(Debug, Clone)]
pub(crate) struct Gemm {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: (BufId, usize, usize),
    pub b: (BufId, usize, usize),
    pub c: BufId,
    pub c_rs: usize,
    pub alpha: f32,
    pub entries: Vec<Entry>,
}

/// Renders the kernel `snnc_s{step}_{what}` for `g` and returns its launch (none when there is
/// nothing to compute).
pub(crate) fn gemm(out: &mut Out<'_>, what: &str, g: &Gemm) -> Result<Vec<Launch>, CudaError> {
    if g.m == 0 || g.n == 0 || g.entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut kb = Kb::new(out.step, what);
    kb.read("A", g.a.0);
    kb.read("B", g.b.0);
    kb.write("C", g.c);
    let name = kb.name().to_string();
    let e = g.entries.len();
    let (offs, acc) = if e == 1 {
        let x = g.entries[0];
        (
            format!(
                "        const i64 ao = {}LL, bo = {}LL, co = {}LL;\n",
                x.a_off, x.b_off, x.c_off
            ),
            format!("        const bool acc = {};\n", x.acc),
        )
    } else {
        let mut t = format!("__device__ const i64 {name}_off[{}] = {{", 3 * e);
        for (i, x) in g.entries.iter().enumerate() {
            if i % 4 == 0 {
                t.push_str("\n   ");
            }
            t.push_str(&format!(" {}LL, {}LL, {}LL,", x.a_off, x.b_off, x.c_off));
        }
        t.push_str("\n};\n");
        t.push_str(&format!("__device__ const unsigned char {name}_acc[{e}] = {{"));
        for (i, x) in g.entries.iter().enumerate() {
            if i % 16 == 0 {
                t.push_str("\n   ");
            }
            t.push_str(&format!(" {},", u8::from(x.acc)));
        }
        t.push_str("\n};\n");
        out.code.push_str(&t);
        (
            format!(
                "        const i64 ao = {name}_off[3 * e], bo = {name}_off[3 * e + 1], \
                 co = {name}_off[3 * e + 2];\n"
            ),
            format!("        const bool acc = {name}_acc[e] != 0;\n"),
        )
    };
    let (m, n, k) = (g.m, g.n, g.k);
    let (ars, acs, brs, bcs) = (g.a.1, g.a.2, g.b.1, g.b.2);
    let mb = m.div_ceil(TILE);
    let scaled = if g.alpha == 1.0 { "sum".to_string() } else { format!("{} * sum", lit(g.alpha)) };
    let code = format!(
        "{sig} {{\n\
         \x20   __shared__ float As[{TILE}][{TILE} + 1];\n\
         \x20   __shared__ float Bs[{TILE}][{TILE} + 1];\n\
         \x20   const int tx = threadIdx.x, ty = threadIdx.y;\n\
         \x20   for (i64 e = blockIdx.z; e < {e}LL; e += gridDim.z) {{\n\
         {offs}{acc}\
         \x20   for (i64 by = blockIdx.y; by < {mb}LL; by += gridDim.y) {{\n\
         \x20       const i64 row = by * {TILE} + ty, col = (i64)blockIdx.x * {TILE} + tx;\n\
         \x20       float sum = 0.0f;\n\
         \x20       for (i64 p0 = 0; p0 < {k}LL; p0 += {TILE}) {{\n\
         \x20           const i64 pa = p0 + tx, pb = p0 + ty;\n\
         \x20           As[ty][tx] = (row < {m}LL && pa < {k}LL) ? A[ao + row * {ars}LL + pa * {acs}LL] : 0.0f;\n\
         \x20           Bs[ty][tx] = (pb < {k}LL && col < {n}LL) ? B[bo + pb * {brs}LL + col * {bcs}LL] : 0.0f;\n\
         \x20           __syncthreads();\n\
         \x20           #pragma unroll\n\
         \x20           for (int q = 0; q < {TILE}; ++q) sum += As[ty][q] * Bs[q][tx];\n\
         \x20           __syncthreads();\n\
         \x20       }}\n\
         \x20       if (row < {m}LL && col < {n}LL) {{\n\
         \x20           float* c = C + co + row * {c_rs}LL + col;\n\
         \x20           const float v = {scaled};\n\
         \x20           *c = acc ? *c + v : v;\n\
         \x20       }}\n\
         \x20   }}\n\
         \x20   }}\n\
         }}",
        sig = kb.signature((TILE * TILE) as u32),
        c_rs = g.c_rs,
    );
    out.push(&code);
    let grid = [n.div_ceil(TILE) as u32, mb.min(65535) as u32, e.min(65535) as u32];
    let mut l = kb.launch(grid, [TILE as u32, TILE as u32, 1], 0);
    l.gemm = g
        .entries
        .iter()
        .map(|x| GemmDesc {
            m,
            n,
            k,
            a: GemmOperand { arg: Arg::Buf(g.a.0), off: x.a_off, rs: ars, cs: acs },
            b: GemmOperand { arg: Arg::Buf(g.b.0), off: x.b_off, rs: brs, cs: bcs },
            c: Arg::Buf(g.c),
            c_off: x.c_off,
            c_rs: g.c_rs,
            alpha: g.alpha,
            acc: x.acc,
        })
        .collect();
    Ok(vec![l])
}
