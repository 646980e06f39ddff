//! The window kernels through the engine (inputs bound by name, steps rendered and dispatched
//! in one command buffer, outputs read back) against the reference interpreter: a hand-built
//! program `Conv → pool`, then the pool's gradient, the convolution's input gradient and its
//! weight and bias gradients, over convolutions with strides, asymmetric padding, dilation,
//! groups, 1-D and leading time axes, followed by every kind of pool.
//!
//! The programs are made by hand so that the engine's dispatch of these kernels is tested
//! independently of the plan compiler's lowering; the host plan only supplies the input and
//! output signatures the engine binds.

use std::borrow::Cow;

use snnc_ir::Tensor;
use snnc_plan::{
    Buf, BufId, BufLoc, ConvDwK, ConvDxK, ConvGeom, ConvK, Kernel, Plan, PoolBackK, PoolGeom,
    PoolK, PoolOp, Program, Stats, Step, NEED_ALWAYS,
};

use crate::Engine;

/// A convolution layer followed by a pool, in the text IR's terms: 2-D when `h` is `Some`.
struct Case {
    label: &'static str,
    /// Leading axes (images), channels, spatial extent (`[h, w]`, or `[w]` for 1-D).
    lead: Vec<usize>,
    c: usize,
    m: usize,
    size: Vec<usize>,
    kernel: Vec<usize>,
    strides: Vec<usize>,
    /// ONNX order: every axis's begin, then every axis's end.
    pads: Vec<usize>,
    dilations: Vec<usize>,
    group: usize,
    bias: bool,
    pool: PoolOp,
    pool_kernel: Vec<usize>,
    pool_strides: Vec<usize>,
    pool_pads: Vec<usize>,
}

fn list(v: &[usize]) -> String {
    format!("[{}]", v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))
}

fn shape(v: &[usize]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

/// `[h, w]`-style values padded to 2-D: a 1-D axis is the width, the height 1 (`one`).
fn two(v: &[usize], one: usize) -> [usize; 2] {
    if v.len() == 1 {
        [one, v[0]]
    } else {
        [v[0], v[1]]
    }
}

/// Begin and end padding of each of the two axes (`[top, left]`, `[bottom, right]`).
fn two_pads(p: &[usize]) -> ([usize; 2], [usize; 2]) {
    let k = p.len() / 2;
    (two(&p[..k], 0), two(&p[k..], 0))
}

impl Case {
    fn images(&self) -> usize {
        self.lead.iter().product()
    }

    fn conv_geom(&self) -> ConvGeom {
        let [h, w] = two(&self.size, 1);
        let [kh, kw] = two(&self.kernel, 1);
        let [sh, sw] = two(&self.strides, 1);
        let [dh, dw] = two(&self.dilations, 1);
        let ([ph, pw], [pb, pr]) = two_pads(&self.pads);
        let oh = (h + ph + pb - dh * (kh - 1) - 1) / sh + 1;
        let ow = (w + pw + pr - dw * (kw - 1) - 1) / sw + 1;
        let (n, c, m, group) = (self.images(), self.c, self.m, self.group);
        ConvGeom { n, c, h, w, m, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, group }
    }

    fn pool_geom(&self) -> PoolGeom {
        let cg = self.conv_geom();
        let [kh, kw] = two(&self.pool_kernel, 1);
        let [sh, sw] = two(&self.pool_strides, 1);
        let ([ph, pw], [pb, pr]) = two_pads(&self.pool_pads);
        let (h, w) = (cg.oh, cg.ow);
        let (oh, ow) = ((h + ph + pb - kh) / sh + 1, (w + pw + pr - kw) / sw + 1);
        PoolGeom { n: cg.n * cg.m, h, w, oh, ow, kh, kw, sh, sw, ph, pw }
    }

    /// Spatial dims of a tensor of extent `[h, w]` in this case's rank.
    fn spatial(&self, h: usize, w: usize) -> Vec<usize> {
        if self.size.len() == 1 {
            vec![w]
        } else {
            vec![h, w]
        }
    }

    fn x_shape(&self) -> Vec<usize> {
        [self.lead.clone(), vec![self.c], self.size.clone()].concat()
    }

    fn w_shape(&self) -> Vec<usize> {
        [vec![self.m, self.c / self.group], self.kernel.clone()].concat()
    }

    fn p_shape(&self) -> Vec<usize> {
        let p = self.pool_geom();
        [self.lead.clone(), vec![self.m], self.spatial(p.oh, p.ow)].concat()
    }

    /// The layer as the reference runs it.
    fn graph(&self) -> snnc_ir::Graph {
        let bias = if self.bias { format!("  input b: f32[{}]\n", self.m) } else { String::new() };
        let (pool, extra) = match self.pool {
            PoolOp::Sum => ("SumPool", String::new()),
            PoolOp::AvgIncludePad => ("AveragePool", ", count_include_pad = true".into()),
            PoolOp::AvgExcludePad => ("AveragePool", ", count_include_pad = false".into()),
            PoolOp::Max => ("MaxPool", String::new()),
        };
        let src = format!(
            "graph window {{\n  input x: f32[{xs}]\n  input w: f32[{ws}]\n{bias}  \
             c = Conv(x, w{b}) {{strides = {s}, pads = {p}, dilations = {d}, group = {g}}}\n  \
             p = {pool}(c) {{kernel_shape = {pk}, strides = {ps}, pads = {pp}{extra}}}\n  \
             output p\n}}\n",
            xs = shape(&self.x_shape()),
            ws = shape(&self.w_shape()),
            b = if self.bias { ", b" } else { "" },
            s = list(&self.strides),
            p = list(&self.pads),
            d = list(&self.dilations),
            g = self.group,
            pk = list(&self.pool_kernel),
            ps = list(&self.pool_strides),
            pp = list(&self.pool_pads),
        );
        snnc_text::parse_str(&src, None, "<window>").unwrap_or_else(|e| panic!("{e}\n{src}"))
    }

    /// The plan whose signatures the engine binds: inputs x, w, (b,) the pool's upstream
    /// gradient `gp`; outputs p, dx, dw (, db), each the shape of what lands there.
    fn host_plan(&self) -> Plan {
        let mut src = format!(
            "graph host {{\n  input x: f32[{}]\n  input w: f32[{}]\n",
            shape(&self.x_shape()),
            shape(&self.w_shape())
        );
        if self.bias {
            src.push_str(&format!("  input b: f32[{}]\n", self.m));
        }
        src.push_str(&format!("  input gp: f32[{}]\n", shape(&self.p_shape())));
        src.push_str("  p = Identity(gp)\n  dx = Identity(x)\n  dw = Identity(w)\n");
        src.push_str(if self.bias {
            "  db = Identity(b)\n  output p, dx, dw, db\n}\n"
        } else {
            "  output p, dx, dw\n}\n"
        });
        let g = snnc_text::parse_str(&src, None, "<host>").unwrap_or_else(|e| panic!("{e}\n{src}"));
        snnc_plan::compile(&g, &Default::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Conv, pool, pool gradient, conv input gradient, conv weight (and bias) gradients.
    fn program(&self) -> Program {
        let (cg, pg) = (self.conv_geom(), self.pool_geom());
        let mut bufs = Vec::new();
        let mut arena = 0;
        let mut add = |loc: Option<u32>, len: usize| {
            let loc = loc.map(BufLoc::Input).unwrap_or_else(|| {
                arena += len;
                BufLoc::Arena { off: arena - len }
            });
            bufs.push(Buf { loc, len });
            BufId(bufs.len() as u32 - 1)
        };
        let (xn, yn) = (cg.n * cg.c * cg.h * cg.w, cg.n * cg.m * cg.oh * cg.ow);
        let wn = cg.m * (cg.c / cg.group) * cg.kh * cg.kw;
        let pn = pg.n * pg.oh * pg.ow;
        let (x, w) = (add(Some(0), xn), add(Some(1), wn));
        let b = self.bias.then(|| add(Some(2), cg.m));
        let gp = add(Some(2 + u32::from(self.bias)), pn);
        let (y, p, dy, dx, dw) =
            (add(None, yn), add(None, pn), add(None, yn), add(None, xn), add(None, wn));
        let db = self.bias.then(|| add(None, cg.m));
        let kernels = [
            Kernel::Conv(ConvK { g: cg, x, w, bias: b, y, event: false }),
            Kernel::Pool(PoolK { op: self.pool, g: pg, x: y, y: p }),
            Kernel::PoolBack(PoolBackK { op: self.pool, g: pg, x: y, dy: gp, dx: dy, acc: false }),
            Kernel::ConvDx(ConvDxK { g: cg, dy, w, dx, acc: false }),
            Kernel::ConvDw(ConvDwK { g: cg, dy, x, dw: Some(dw), db, acc: false }),
        ];
        let steps: Vec<Step> =
            kernels.into_iter().map(|kernel| Step { node: 0, need: NEED_ALWAYS, kernel }).collect();
        Program {
            bufs,
            forward_len: steps.len(),
            steps,
            arena_len: arena,
            bits_slots: 0,
            outputs: [Some(p), Some(dx), Some(dw), db].into_iter().flatten().collect(),
            grads: Vec::new(),
            stats: Stats::default(),
        }
    }
}

/// Deterministic values in [−1, 1).
fn data(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let v = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect();
    Tensor::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), v).unwrap())
}

/// Runs `case` on the engine and the reference; the mismatches.
fn check(case: &Case) -> Vec<String> {
    let label = case.label;
    let mut inputs = vec![
        ("x".to_string(), data(&case.x_shape(), 1)),
        ("w".to_string(), data(&case.w_shape(), 2)),
    ];
    if case.bias {
        inputs.push(("b".to_string(), data(&[case.m], 3)));
    }
    let seed = data(&case.p_shape(), 4);
    let g = case.graph();
    let want = snnc_interp::run(&g, &inputs).unwrap_or_else(|e| panic!("{label}: {e}"));
    let seeds = [("p".to_string(), seed.clone())];
    let want_g = snnc_interp::grad(&g, &inputs, &seeds, &Default::default())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let plan = case.host_plan();
    let engine = Engine::new(&plan).unwrap_or_else(|e| panic!("{label}: {e}"));
    let mut given = inputs.clone();
    given.push(("gp".to_string(), seed));
    let ins = plan.bind_inputs(&given).unwrap_or_else(|e| panic!("{label}: {e}"));
    let seeds = vec![Cow::Borrowed(&[][..]); plan.outputs().len()];
    let (got, _) = engine
        .execute(&case.program(), ins, seeds, NEED_ALWAYS)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let mut fails = Vec::new();
    let find = |n: &str| got.iter().find(|(m, _)| m == n).map(|(_, t)| t).expect("output");
    if let Err(e) = snnc_interp::compare_output("p", find("p"), &want[0].1, false) {
        fails.push(format!("{label}: {e}"));
    }
    for (name, out) in [("x", "dx"), ("w", "dw"), ("b", "db")] {
        let Some((_, w)) = want_g.grads.iter().find(|(n, _)| n == name) else { continue };
        if let Err(e) = snnc_interp::compare_grad(name, find(out), w) {
            fails.push(format!("{label}: {e}"));
        }
    }
    fails
}

#[allow(clippy::too_many_arguments)]
fn case(
    label: &'static str,
    [lead, size]: [&[usize]; 2],
    [c, m, group]: [usize; 3],
    [kernel, strides, pads, dilations]: [&[usize]; 4],
    bias: bool,
    pool: PoolOp,
    [pool_kernel, pool_strides, pool_pads]: [&[usize]; 3],
) -> Case {
    Case {
        label,
        lead: lead.to_vec(),
        c,
        m,
        size: size.to_vec(),
        kernel: kernel.to_vec(),
        strides: strides.to_vec(),
        pads: pads.to_vec(),
        dilations: dilations.to_vec(),
        group,
        bias,
        pool,
        pool_kernel: pool_kernel.to_vec(),
        pool_strides: pool_strides.to_vec(),
        pool_pads: pool_pads.to_vec(),
    }
}

#[test]
fn conv_and_pool_forward_and_backward_match_the_reference() {
    let cases = [
        case(
            "3x3 pad 1, max 2x2",
            [&[2], &[6, 6]],
            [2, 3, 1],
            [&[3, 3], &[1, 1], &[1, 1, 1, 1], &[1, 1]],
            true,
            PoolOp::Max,
            [&[2, 2], &[2, 2], &[0, 0, 0, 0]],
        ),
        case(
            "strided dilated grouped, average without padding taps",
            [&[2, 2], &[7, 8]],
            [4, 6, 2],
            [&[3, 2], &[2, 1], &[1, 2, 0, 1], &[1, 2]],
            false,
            PoolOp::AvgExcludePad,
            [&[3, 3], &[2, 2], &[1, 1, 1, 1]],
        ),
        case(
            "depthwise, average with padding taps",
            [&[3], &[5, 5]],
            [3, 3, 3],
            [&[3, 3], &[1, 1], &[2, 2, 2, 2], &[2, 2]],
            true,
            PoolOp::AvgIncludePad,
            [&[2, 3], &[1, 2], &[1, 0, 1, 1]],
        ),
        case(
            "1-D, sum",
            [&[2, 2], &[11]],
            [2, 4, 1],
            [&[3], &[2], &[1, 2], &[2]],
            true,
            PoolOp::Sum,
            [&[2], &[2], &[0, 1]],
        ),
    ];
    let fails: Vec<String> = cases.iter().flat_map(check).collect();
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}
