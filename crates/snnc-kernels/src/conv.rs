//! 2-D convolution, forward: event-driven (scatter the kernel of each nonzero input into the
//! outputs it reaches) below a measured density, im2col + GEMM above it. Parallel over
//! images; each image's path depends on its own data only.

use rayon::prelude::*;

use crate::conv_event::{event_image, pack_taps, EventTaps};
use crate::conv_geom::{ConvDims, ConvSizes};
use crate::error::check_len;
use crate::gemm::sgemm_seq;
use crate::simd::multiversion;
use crate::{KernelError, Threads};

/// The density (nonzero inputs over all inputs of an image) up to which [`ConvPath::Auto`]
/// scatters events in the forward pass. Measured with `cargo bench -p snnc-kernels --bench
/// conv` on the N-MNIST CNN's three layers (1600 images each, see docs/conv.md): the event
/// path is faster at 30 % on every layer and slower at 50 % on the first two.
pub const CONV_EVENT_CROSSOVER: f64 = 0.3;

/// The density up to which [`conv2d_dw`](crate::conv2d_dw) gathers dW event-driven. Measured
/// as [`CONV_EVENT_CROSSOVER`]: the event path is faster at 30 % (the densest point measured)
/// on every layer.
pub const CONV_DW_EVENT_CROSSOVER: f64 = 0.3;

/// Images per parallel task (task boundaries depend on the shape only).
pub(crate) const IMGS: usize = 4;

/// The output pixels a forward task's dense GEMM should span at least: small images (the 8×8
/// planes of a CNN's third layer) are batched beyond [`IMGS`] until their product is this
/// wide, since a GEMM of a few hundred columns runs far below the GEMM's speed.
const GEMM_COLS: usize = 1024;

/// Images per forward task for `p` output pixels per image: [`IMGS`], or more for small
/// images (see [`GEMM_COLS`]). Depends on the shape only.
fn task_images(p: usize) -> usize {
    IMGS.max(GEMM_COLS / p.max(1))
}

/// Which forward path a convolution takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvPath {
    /// Per image: events up to the measured crossover ([`CONV_EVENT_CROSSOVER`] forward,
    /// [`CONV_DW_EVENT_CROSSOVER`] for dW), dense above.
    Auto,
    /// Always scatter events.
    Event,
    /// Always im2col + GEMM.
    Dense,
}

/// How many images took each path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConvRun {
    /// Images computed by scattering events.
    pub event: usize,
    /// Images computed by im2col + GEMM.
    pub dense: usize,
}

/// Whether an image `x` should take the event path: its share of nonzero entries is at most
/// `crossover`.
pub(crate) fn sparse_enough(x: &[f32], crossover: f64) -> bool {
    (count_nonzero(x) as f64) <= crossover * x.len() as f64
}

multiversion! {
    /// The number of nonzero entries of `x`, counted in sixteen `u32` lanes (one vector
    /// compare and add per sixteen entries; a `usize` sum vectorizes at a quarter of the
    /// width). Plain loops: a closure here would be compiled without the wider instructions.
    fn count_nonzero(x: &[f32]) -> usize {
        let mut n = 0usize;
        // A lane gains at most one per 16 entries, so a chunk of 2³⁰ entries cannot overflow it.
        for c in x.chunks(1 << 30) {
            let mut lanes = [0u32; 16];
            let blocks = c.chunks_exact(16);
            for &v in blocks.remainder() {
                n += usize::from(v != 0.0);
            }
            for b in blocks {
                for (l, &v) in lanes.iter_mut().zip(b) {
                    *l += u32::from(v != 0.0);
                }
            }
            for l in lanes {
                n += l as usize;
            }
        }
        n
    }
}

/// Per-task scratch of [`conv2d`].
#[derive(Default)]
struct Scratch {
    /// The dense images' im2col matrices side by side (`[taps, images·p]`).
    col: Vec<f32>,
    /// Their GEMM result for one group (`[mg, images·p]`).
    yb: Vec<f32>,
    /// One event image's channels-last accumulator.
    acc: Vec<f32>,
    /// One plane's nonzero positions.
    nz: Vec<usize>,
    /// The task's images that take the dense path.
    dense: Vec<usize>,
}

/// Images `idx` of one task (`x` `[images, c, h, w]`, `y` `[images, m, oh, ow]`) by im2col +
/// one GEMM per group over all of them (`N = images·oh·ow`, so that the product is large
/// enough to run at full speed), then `+ bias`.
#[allow(clippy::too_many_arguments)]
fn dense_images(
    d: &ConvDims,
    s: &ConvSizes,
    x: &[f32],
    idx: &[usize],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    sc: &mut Scratch,
) -> Result<(), KernelError> {
    let ld = idx.len() * s.p;
    sc.col.resize(s.taps * ld, 0.0);
    sc.yb.resize(s.mg * ld, 0.0);
    for g in 0..d.group {
        for (b, &j) in idx.iter().enumerate() {
            d.im2col(s, &x[j * s.x_img..][..s.x_img], g, &mut sc.col[b * s.p..], ld);
        }
        let wg = &w[g * s.mg * s.taps..][..s.mg * s.taps];
        sgemm_seq(s.mg, ld, s.taps, (wg, s.taps, 1), (&sc.col, ld, 1), &mut sc.yb, ld, false)?;
        for (b, &j) in idx.iter().enumerate() {
            let yg = &mut y[j * s.y_img + g * s.mg * s.p..][..s.mg * s.p];
            for (o, dst) in yg.chunks_exact_mut(s.p).enumerate() {
                let src = &sc.yb[o * ld + b * s.p..][..s.p];
                match bias {
                    Some(bs) => {
                        let bo = bs[g * s.mg + o];
                        dst.iter_mut().zip(src).for_each(|(v, &a)| *v = a + bo);
                    }
                    None => dst.copy_from_slice(src),
                }
            }
        }
    }
    Ok(())
}

/// `y = conv(x, w) + bias` (see [`ConvDims`]): `x` `[n, c, h, w]`, `w` `[m, c/group, kh, kw]`,
/// `bias` `[m]` or none, `y` `[n, m, oh, ow]` (overwritten).
///
/// The event path sums, for each output, the products of its nonzero taps in input order; it
/// is exact for any values (not only 0/1) and differs from the dense path by rounding only
/// (and where a weight is infinite or NaN, which a zero input then does not reach). Errors on
/// an inconsistent geometry or buffer length.
pub fn conv2d(
    d: &ConvDims,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    path: ConvPath,
    threads: Threads,
) -> Result<ConvRun, KernelError> {
    let s = d.sizes()?;
    check_len("conv x [n,c,h,w]", x.len(), d.n * s.x_img)?;
    check_len("conv w [m,c/group,kh,kw]", w.len(), d.m * s.taps)?;
    check_len("conv y [n,m,oh,ow]", y.len(), d.n * s.y_img)?;
    if let Some(b) = bias {
        check_len("conv bias [m]", b.len(), d.m)?;
    }
    if d.n == 0 || s.y_img == 0 {
        return Ok(ConvRun::default());
    }
    let packed = (path != ConvPath::Dense).then(|| (pack_taps(d, &s, w), EventTaps::new(d, s.mg)));
    let run = threads.install(|| {
        let imgs = task_images(s.p);
        y.par_chunks_mut(imgs * s.y_img)
            .enumerate()
            .map_init(Scratch::default, |sc, (t, ys)| {
                let xs = &x[t * imgs * s.x_img..][..ys.len() / s.y_img * s.x_img];
                let mut run = ConvRun::default();
                sc.dense.clear();
                for (j, yi) in ys.chunks_exact_mut(s.y_img).enumerate() {
                    let xi = &xs[j * s.x_img..][..s.x_img];
                    let event = match path {
                        ConvPath::Event => true,
                        ConvPath::Dense => false,
                        ConvPath::Auto => sparse_enough(xi, CONV_EVENT_CROSSOVER),
                    };
                    match (&packed, event) {
                        (Some((wt, taps)), true) => {
                            event_image(d, &s, xi, wt, taps, bias, yi, &mut sc.acc, &mut sc.nz);
                            run.event += 1;
                        }
                        _ => sc.dense.push(j),
                    }
                }
                if !sc.dense.is_empty() {
                    let idx = std::mem::take(&mut sc.dense);
                    let res = dense_images(d, &s, xs, &idx, w, bias, ys, sc);
                    run.dense += idx.len();
                    sc.dense = idx;
                    res?;
                }
                Ok(run)
            })
            .try_reduce(ConvRun::default, |a, b| {
                Ok(ConvRun { event: a.event + b.event, dense: a.dense + b.dense })
            })
    })??;
    Ok(run)
}
