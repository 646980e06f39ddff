//! Hand-built programs of the window kernels (convolution and pooling, forward and gradients)
//! over many geometries: strides, asymmetric padding, dilation, groups, 1-D as height 1,
//! every pooling op, with and without bias and accumulation. The plan compiler does not lower
//! the IR's `Conv` and pools here, so the programs are made step by step over arena buffers.

use snnc_plan::{
    Buf, BufId, BufLoc, ConvDwK, ConvDxK, ConvGeom, ConvK, Kernel, Plan, PoolBackK, PoolGeom,
    PoolK, PoolOp, Program, Stats, Step, NEED_ALWAYS,
};

/// A plan to render hand-built programs under (the renderer reads only its name).
pub fn host_plan() -> Plan {
    let src = "graph window {\n  input x: f32[2]\n  y = Identity(x)\n  output y\n}\n";
    let g = snnc_text::parse_str(src, None, "<window>").unwrap_or_else(|e| panic!("{e}"));
    snnc_plan::compile(&g, &Default::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The convolution geometry with the output extent of padding `(ph, pb)` rows and `(pw, pr)`
/// columns (ONNX's formula).
pub fn conv_geom(
    [n, c, h, w, m]: [usize; 5],
    [kh, kw, sh, sw]: [usize; 4],
    [ph, pb, pw, pr]: [usize; 4],
    [dh, dw, group]: [usize; 3],
) -> ConvGeom {
    let oh = (h + ph + pb - dh * (kh - 1) - 1) / sh + 1;
    let ow = (w + pw + pr - dw * (kw - 1) - 1) / sw + 1;
    ConvGeom { n, c, h, w, m, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, group }
}

/// The pooling geometry with the output extent of padding `(ph, pb)` rows and `(pw, pr)`
/// columns.
pub fn pool_geom(
    [n, h, w]: [usize; 3],
    [kh, kw, sh, sw]: [usize; 4],
    [ph, pb, pw, pr]: [usize; 4],
) -> PoolGeom {
    let oh = (h + ph + pb - kh) / sh + 1;
    let ow = (w + pw + pr - kw) / sw + 1;
    PoolGeom { n, h, w, oh, ow, kh, kw, sh, sw, ph, pw }
}

/// Convolutions: a padded 3×3, strides with asymmetric padding, dilation and two groups, a
/// depthwise one, a 1-D one (height 1), a stride wider than the kernel, and a CNN-sized 5×5
/// layer over many images (T·B).
pub fn conv_cases() -> Vec<ConvGeom> {
    vec![
        conv_geom([2, 3, 5, 6, 4], [3, 3, 1, 1], [1, 1, 1, 1], [1, 1, 1]),
        conv_geom([2, 4, 7, 6, 6], [3, 2, 2, 1], [1, 0, 2, 1], [2, 1, 2]),
        conv_geom([2, 4, 5, 5, 4], [3, 3, 1, 1], [2, 2, 2, 2], [2, 2, 4]),
        conv_geom([3, 2, 1, 11, 3], [1, 3, 1, 2], [0, 0, 1, 2], [1, 2, 1]),
        conv_geom([2, 2, 8, 8, 2], [2, 2, 3, 3], [0, 0, 0, 0], [1, 1, 1]),
        conv_geom([64, 2, 34, 34, 12], [5, 5, 2, 2], [2, 2, 2, 2], [1, 1, 1]),
    ]
}

/// Poolings: 2×2 stride 2, 3×3 stride 2 with padding, a 1-D window (height 1), overlapping
/// 3×2 windows at stride 1 with asymmetric padding.
pub fn pool_cases() -> Vec<PoolGeom> {
    vec![
        pool_geom([6, 8, 8], [2, 2, 2, 2], [0, 0, 0, 0]),
        pool_geom([4, 7, 9], [3, 3, 2, 2], [1, 1, 1, 1]),
        pool_geom([5, 1, 12], [1, 3, 1, 2], [0, 0, 1, 1]),
        pool_geom([3, 6, 5], [3, 2, 1, 1], [1, 0, 0, 1]),
    ]
}

/// Every pooling op.
pub const POOL_OPS: [PoolOp; 4] =
    [PoolOp::Sum, PoolOp::AvgIncludePad, PoolOp::AvgExcludePad, PoolOp::Max];

/// A program under construction: arena buffers back to back, steps in order.
#[derive(Default)]
pub struct Builder {
    bufs: Vec<Buf>,
    steps: Vec<Step>,
    arena: usize,
}

impl Builder {
    /// A new arena buffer of `len` elements.
    pub fn buf(&mut self, len: usize) -> BufId {
        self.bufs.push(Buf { loc: BufLoc::Arena { off: self.arena }, len });
        self.arena += len;
        BufId(self.bufs.len() as u32 - 1)
    }

    /// Appends a step running `kernel`.
    pub fn step(&mut self, kernel: Kernel) {
        self.steps.push(Step { node: 0, need: NEED_ALWAYS, kernel });
    }

    /// The program (every step counted as forward).
    pub fn finish(self) -> Program {
        Program {
            bufs: self.bufs,
            forward_len: self.steps.len(),
            steps: self.steps,
            arena_len: self.arena,
            bits_slots: 0,
            outputs: Vec::new(),
            grads: Vec::new(),
            stats: Stats::default(),
        }
    }
}

/// Every convolution kernel of `g`: the forward pass (with a bias when `bias`), the input
/// gradient (accumulating when `acc`), the weight and bias gradients (accumulating when `acc`)
/// and the weight gradient alone.
pub fn conv_steps(b: &mut Builder, g: &ConvGeom, bias: bool, acc: bool) {
    let xn = g.n * g.c * g.h * g.w;
    let wn = g.m * (g.c / g.group) * g.kh * g.kw;
    let yn = g.n * g.m * g.oh * g.ow;
    let (x, w, y) = (b.buf(xn), b.buf(wn), b.buf(yn));
    let bb = bias.then(|| b.buf(g.m));
    b.step(Kernel::Conv(ConvK { g: *g, x, w, bias: bb, y, event: !bias }));
    let dx = b.buf(xn);
    b.step(Kernel::ConvDx(ConvDxK { g: *g, dy: y, w, dx, acc }));
    let (dw, db) = (b.buf(wn), b.buf(g.m));
    b.step(Kernel::ConvDw(ConvDwK { g: *g, dy: y, x, dw: Some(dw), db: Some(db), acc }));
    b.step(Kernel::ConvDw(ConvDwK { g: *g, dy: y, x, dw: Some(dw), db: None, acc: !acc }));
}

/// The forward and gradient kernels of `op` over `g` (the gradient accumulating when `acc`).
pub fn pool_steps(b: &mut Builder, g: &PoolGeom, op: PoolOp, acc: bool) {
    let (x, y) = (b.buf(g.n * g.h * g.w), b.buf(g.n * g.oh * g.ow));
    b.step(Kernel::Pool(PoolK { op, g: *g, x, y }));
    let dx = b.buf(g.n * g.h * g.w);
    b.step(Kernel::PoolBack(PoolBackK { op, g: *g, x, dy: y, dx, acc }));
}

/// One program with every convolution case's kernels (biases and accumulation alternating).
pub fn conv_program() -> Program {
    let mut b = Builder::default();
    for (i, g) in conv_cases().iter().enumerate() {
        conv_steps(&mut b, g, i % 2 == 0, i % 2 == 1);
    }
    b.finish()
}

/// One program with every pooling case's kernels for every op (accumulation alternating).
pub fn pool_program() -> Program {
    let mut b = Builder::default();
    for (i, g) in pool_cases().iter().enumerate() {
        for (j, op) in POOL_OPS.into_iter().enumerate() {
            pool_steps(&mut b, g, op, (i + j) % 2 == 1);
        }
    }
    b.finish()
}

/// A convolution whose output has no rows: no forward launch, an input gradient gathering
/// nothing, and parameter gradients that are empty sums.
pub fn edge_program() -> Program {
    let mut b = Builder::default();
    let g = ConvGeom { oh: 0, ..conv_geom([2, 4, 5, 5, 6], [3, 3, 1, 1], [1, 1, 1, 1], [1, 1, 2]) };
    conv_steps(&mut b, &g, true, true);
    b.finish()
}
