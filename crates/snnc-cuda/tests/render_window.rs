//! The window kernels' rendering without NVRTC: the programs of `common::window` render
//! deterministically, every launch names a kernel defined once with one parameter per
//! argument and bounded by its block; empty tensors launch nothing (or store empty sums);
//! geometries no kernel can run and buffers of the wrong size are refused with an error that
//! names the step, the kernel and the fault.

mod common;

use common::window::*;
use snnc_cuda::{render_program, CudaError, ProgramSource};
use snnc_plan::{
    ConvDwK, ConvDxK, ConvGeom, ConvK, Kernel, PoolBackK, PoolGeom, PoolK, PoolOp, Program,
};

fn render(prog: &Program) -> Result<ProgramSource, CudaError> {
    render_program(&host_plan(), prog, "window")
}

/// The parameter count of kernel `name` in `code`.
fn params(code: &str, name: &str) -> usize {
    let head = format!(" {name}(");
    let at = code.find(&head).unwrap_or_else(|| panic!("{name} is not defined"));
    let rest = &code[at + head.len()..];
    rest[..rest.find(')').expect("closing parenthesis")].split(',').count()
}

#[test]
fn window_programs_render_deterministically_with_consistent_launches() {
    for prog in [conv_program(), pool_program()] {
        let a = render(&prog).unwrap();
        assert_eq!(a, render(&prog.clone()).unwrap(), "rendering is a pure function");
        assert_eq!(a.steps.len(), prog.steps.len());
        for (i, s) in a.steps.iter().enumerate() {
            let want = match &prog.steps[i].kernel {
                Kernel::ConvDw(k) => usize::from(k.dw.is_some()) + usize::from(k.db.is_some()),
                _ => 1,
            };
            assert_eq!(s.launches.len(), want, "step {i}");
            for l in &s.launches {
                assert_eq!(a.code.matches(&format!(") {}(", l.kernel)).count(), 1, "{}", l.kernel);
                assert!(l.kernel.starts_with(&format!("snnc_s{i:04}_")), "{}", l.kernel);
                assert_eq!(params(&a.code, &l.kernel), l.args.len(), "{}", l.kernel);
                let threads = l.block.iter().product::<u32>();
                let bound = format!("__launch_bounds__({threads}) {}(", l.kernel);
                assert!(a.code.contains(&bound), "{}: bounded by {threads}", l.kernel);
                assert!(l.grid.iter().all(|&g| g >= 1) && l.grid[1] == 1 && l.grid[2] == 1);
                assert_eq!(l.shared_bytes, 0, "{}: static shared memory only", l.kernel);
            }
        }
    }
}

/// The error of rendering the one-step program of `kernel` over buffers of `lens`.
fn refusal(lens: &[usize], kernel: Kernel) -> String {
    let mut b = Builder::default();
    for &n in lens {
        b.buf(n);
    }
    b.step(kernel);
    match render(&b.finish()) {
        Err(e @ CudaError::Render { step: 0, .. }) => e.to_string(),
        other => panic!("expected a render error of step 0, got {other:?}"),
    }
}

fn geom() -> ConvGeom {
    conv_geom([2, 4, 5, 5, 6], [3, 3, 1, 1], [1, 1, 1, 1], [1, 1, 2])
}

/// Buffer lengths of [`geom`]: x, w, y, bias.
const LENS: [usize; 4] = [2 * 4 * 25, 6 * 2 * 9, 2 * 6 * 25, 6];

fn conv(g: ConvGeom) -> Kernel {
    use snnc_plan::BufId as B;
    Kernel::Conv(ConvK { g, x: B(0), w: B(1), bias: Some(B(3)), y: B(2), event: false })
}

#[test]
fn invalid_convolutions_are_refused() {
    use snnc_plan::BufId as B;
    let e = refusal(&LENS, conv(ConvGeom { group: 3, ..geom() }));
    assert!(e.contains("(conv)") && e.contains("do not split into 3 groups"), "{e}");
    let e = refusal(&LENS, conv(ConvGeom { group: 0, ..geom() }));
    assert!(e.contains("do not split into 0 groups"), "{e}");
    let e = refusal(&LENS, conv(ConvGeom { sw: 0, ..geom() }));
    assert!(e.contains("zero stride or dilation"), "{e}");
    let dx = Kernel::ConvDx(ConvDxK {
        g: ConvGeom { dh: 0, ..geom() },
        dy: B(2),
        w: B(1),
        dx: B(0),
        acc: false,
    });
    let e = refusal(&LENS, dx);
    assert!(e.contains("(conv-dx)") && e.contains("zero stride or dilation"), "{e}");
    let huge = ConvGeom { n: usize::MAX / 2, ..geom() };
    let e = refusal(&LENS, conv(huge));
    assert!(e.contains("sizes overflow"), "{e}");
    let e = refusal(&[LENS[0], LENS[1] + 1, LENS[2], LENS[3]], conv(geom()));
    assert!(e.contains("w: expected 108 elements, got 109"), "{e}");
    let e = refusal(&LENS[..3], conv(geom()));
    assert!(e.contains("bias: no buffer 3"), "{e}");
    let dw = ConvDwK { g: geom(), dy: B(2), x: B(0), dw: Some(B(1)), db: Some(B(0)), acc: true };
    let e = refusal(&LENS, Kernel::ConvDw(dw));
    assert!(e.contains("(conv-dw)") && e.contains("db: expected 6 elements, got 200"), "{e}");
}

#[test]
fn invalid_poolings_are_refused() {
    use snnc_plan::BufId as B;
    let g = pool_geom([3, 6, 6], [2, 2, 2, 2], [0, 0, 0, 0]);
    let pool = |g: PoolGeom| Kernel::Pool(PoolK { op: PoolOp::Sum, g, x: B(0), y: B(1) });
    let e = refusal(&[108, 27], pool(PoolGeom { sh: 0, ..g }));
    assert!(e.contains("(pool)") && e.contains("zero stride or an empty window"), "{e}");
    let e = refusal(&[108, 27], pool(PoolGeom { kw: 0, ..g }));
    assert!(e.contains("empty window"), "{e}");
    let e = refusal(&[108, 26], pool(g));
    assert!(e.contains("y: expected 27 elements, got 26"), "{e}");
    let back = |op, x| PoolBackK { op, g, x, dy: B(1), dx: B(0), acc: false };
    // Max reads the forward input; the other ops do not, so its buffer is not checked.
    let e = refusal(&[108, 27, 5], Kernel::PoolBack(back(PoolOp::Max, B(2))));
    assert!(e.contains("(pool-back)") && e.contains("x: expected 108 elements, got 5"), "{e}");
    let mut b = Builder::default();
    let (dx, dy, other) = (b.buf(108), b.buf(27), b.buf(5));
    let k = PoolBackK { op: PoolOp::AvgExcludePad, g, x: other, dy, dx, acc: true };
    b.step(Kernel::PoolBack(k));
    assert_eq!(render(&b.finish()).unwrap().steps[0].launches.len(), 1);
}

#[test]
fn empty_tensors_launch_nothing_and_empty_sums_store_zero() {
    // No output rows: the forward pass has nothing to do; the input gradient is a gather of
    // nothing and the parameter gradients are empty sums, all still stored.
    let src = render(&edge_program()).unwrap();
    let counts: Vec<usize> = src.steps.iter().map(|s| s.launches.len()).collect();
    assert_eq!(counts, [0, 1, 2, 1]);
    for l in &src.steps[2].launches {
        let at = src.code.find(&format!(" {}(", l.kernel)).unwrap();
        let body = &src.code[at..];
        let body = &body[..body.find("extern \"C\"").unwrap_or(body.len())];
        assert!(!body.contains("p < "), "{}: no positions to visit", l.kernel);
        assert!(body.contains("float s = 0.0f;") && body.contains("red[0];"), "{}", l.kernel);
    }
    // No images: nothing but the parameter gradients.
    let mut b = Builder::default();
    conv_steps(&mut b, &ConvGeom { n: 0, ..geom() }, true, false);
    let counts: Vec<usize> =
        render(&b.finish()).unwrap().steps.iter().map(|s| s.launches.len()).collect();
    assert_eq!(counts, [0, 0, 2, 1]);
    // An empty pooling launches nothing.
    let g = pool_geom([0, 6, 6], [2, 2, 2, 2], [0, 0, 0, 0]);
    let mut b = Builder::default();
    pool_steps(&mut b, &g, PoolOp::Max, true);
    let src = render(&b.finish()).unwrap();
    assert!(src.steps.iter().all(|s| s.launches.is_empty()));
}
