//! The gradients of a 2-D convolution: dX (at stride 1 a forward convolution of dY by the
//! flipped weights, else a GEMM by the transposed weights, then col2im) and dW with the bias
//! gradient (per fixed chunk of images, event-driven for sparse images, then the chunks summed
//! in order).

use rayon::prelude::*;

use crate::conv::{conv2d, sparse_enough, ConvPath, CONV_DW_EVENT_CROSSOVER, IMGS};
use crate::conv_event::{channels_last, gather_dw, unpack_taps_add, EventTaps};
use crate::conv_geom::{ConvDims, ConvSizes};
use crate::error::check_len;
use crate::gemm::sgemm_seq;
use crate::{KernelError, Threads};

/// Images per partial sum of [`conv2d_dw`] (fixed, so that the sums never depend on the
/// thread count).
const DW_CHUNK: usize = 16;

/// The stride-1 `dx` as a forward convolution: `dx[i, c, y, x] = Σ_{o, ky, kx} dy[i, o, y + ph −
/// ky·dh, x + pw − kx·dw]·w[o, c, ky, kx]` reads `dy` through the flipped kernel (row ky' = kh −
/// 1 − ky) with padding (kh − 1)·dh − ph, so it is `conv` on `dy` with `m` input and `c` output
/// channels. `None` at other strides, or where the padding exceeds the kernel's reach (the
/// transposed padding would be negative).
fn transposed(d: &ConvDims) -> Option<ConvDims> {
    if d.sh != 1 || d.sw != 1 || d.kh == 0 || d.kw == 0 {
        return None;
    }
    let ph = ((d.kh - 1) * d.dh).checked_sub(d.ph)?;
    let pw = ((d.kw - 1) * d.dw).checked_sub(d.pw)?;
    Some(ConvDims { c: d.m, h: d.oh, w: d.ow, m: d.c, oh: d.h, ow: d.w, ph, pw, ..*d })
}

/// The weights of [`transposed`]: `[c, m/group, kh, kw]` with `w'[g·cg + c, o, ky', kx'] =
/// w[g·mg + o, c, kh − 1 − ky', kw − 1 − kx']`.
fn flipped(d: &ConvDims, s: &ConvSizes, w: &[f32]) -> Vec<f32> {
    let (kh, kw) = (d.kh, d.kw);
    let mut out = vec![0f32; w.len()];
    for g in 0..d.group {
        for o in 0..s.mg {
            for c in 0..s.cg {
                let src = &w[((g * s.mg + o) * s.cg + c) * kh * kw..][..kh * kw];
                let dst = &mut out[((g * s.cg + c) * s.mg + o) * kh * kw..][..kh * kw];
                for (i, v) in dst.iter_mut().enumerate() {
                    *v = src[kh * kw - 1 - i];
                }
            }
        }
    }
    out
}

/// `dx (+)= convᵀ(dy, w)`: every `dy[i, o, oy, ox]·w[o, c, ky, kx]` added to the input tap it
/// read (taps in the padding dropped). `dy` `[n, m, oh, ow]`, `w` `[m, c/group, kh, kw]`, `dx`
/// `[n, c, h, w]`, overwritten unless `acc`.
///
/// At stride 1 this is the forward convolution of [`transposed`]: one GEMM per group with the
/// inner dimension `m/group·kh·kw` (not `m/group`), no col2im, and events where `dy` is sparse.
/// Other strides multiply by the transposed weights and scatter the columns back (col2im).
pub fn conv2d_dx(
    d: &ConvDims,
    dy: &[f32],
    w: &[f32],
    dx: &mut [f32],
    acc: bool,
    threads: Threads,
) -> Result<(), KernelError> {
    let s = d.sizes()?;
    check_len("conv dy [n,m,oh,ow]", dy.len(), d.n * s.y_img)?;
    check_len("conv w [m,c/group,kh,kw]", w.len(), d.m * s.taps)?;
    check_len("conv dx [n,c,h,w]", dx.len(), d.n * s.x_img)?;
    if d.n == 0 || s.x_img == 0 {
        return Ok(());
    }
    if let Some(t) = transposed(d) {
        let wt = flipped(d, &s, w);
        if !acc {
            conv2d(&t, dy, &wt, None, dx, ConvPath::Auto, threads)?;
        } else {
            let mut part = vec![0f32; dx.len()];
            conv2d(&t, dy, &wt, None, &mut part, ConvPath::Auto, threads)?;
            threads.install(|| dx.par_iter_mut().zip(&part).for_each(|(a, &b)| *a += b))?;
        }
        return Ok(());
    }
    threads.install(|| {
        dx.par_chunks_mut(IMGS * s.x_img).enumerate().try_for_each_init(Vec::new, |col, (t, xs)| {
            col.resize(s.taps * s.p, 0.0);
            for (j, dxi) in xs.chunks_exact_mut(s.x_img).enumerate() {
                if !acc {
                    dxi.fill(0.0);
                }
                let dyi = &dy[(t * IMGS + j) * s.y_img..][..s.y_img];
                for g in 0..d.group {
                    // col [taps, p] = W_gᵀ [taps, mg] · dy_g [mg, p].
                    let wg = &w[g * s.mg * s.taps..][..s.mg * s.taps];
                    let dyg = &dyi[g * s.mg * s.p..][..s.mg * s.p];
                    sgemm_seq(s.taps, s.p, s.mg, (wg, 1, s.taps), (dyg, s.p, 1), col, s.p, false)?;
                    d.col2im_add(&s, col, g, dxi);
                }
            }
            Ok(())
        })
    })?
}

/// One chunk's partial `dw` (`[m, taps]`) and `db` (`[m]`, in f64).
type Partial = (Vec<f32>, Vec<f64>);

/// Per-task scratch of [`conv2d_dw`]: the im2col matrix, one image's `dy` channels last, and
/// the event images' partial `dw` in [`pack_taps`](crate::conv_event::pack_taps)'s layout,
/// and the positions of one plane's nonzero inputs.
#[derive(Default)]
struct Scratch {
    col: Vec<f32>,
    dyt: Vec<f32>,
    pdt: Vec<f32>,
    nz: Vec<usize>,
}

/// Adds `dy·xᵀ` of one image: im2col + GEMM into `pdw` (dense) or, for a sparse image, each
/// nonzero input times the `dy` of the outputs it reached into `sc.pdt`.
#[allow(clippy::too_many_arguments)]
fn dw_image(
    d: &ConvDims,
    s: &ConvSizes,
    xi: &[f32],
    dyi: &[f32],
    event: bool,
    taps: &EventTaps,
    pdw: &mut [f32],
    sc: &mut Scratch,
) -> Result<(), KernelError> {
    if event {
        channels_last(dyi, d.m, s.p, &mut sc.dyt);
        sc.nz.resize(d.h * d.w, 0);
        gather_dw(d, s.mg, xi, &sc.dyt, taps, &mut sc.pdt, &mut sc.nz);
        return Ok(());
    }
    sc.col.resize(s.taps * s.p, 0.0);
    for g in 0..d.group {
        d.im2col(s, xi, g, &mut sc.col, s.p);
        let dyg = &dyi[g * s.mg * s.p..][..s.mg * s.p];
        let pg = &mut pdw[g * s.mg * s.taps..][..s.mg * s.taps];
        // dW_g [mg, taps] += dy_g [mg, p] · colᵀ [p, taps].
        sgemm_seq(s.mg, s.taps, s.p, (dyg, s.p, 1), (&sc.col, 1, s.p), pg, s.taps, true)?;
    }
    Ok(())
}

/// The parameter gradients: `dw[o, c, ky, kx] (+)= Σ_{i, oy, ox} dy[i, o, oy, ox]·x[i, g·cg +
/// c, tap]` and `db[o] (+)= Σ_{i, oy, ox} dy[i, o, oy, ox]` (each only when given; added to
/// the old contents when `acc`). `path` picks dW's per-image method as [`ConvPath`] does the
/// forward's, with its own measured crossover ([`CONV_DW_EVENT_CROSSOVER`]). Images are summed in fixed chunks, then the chunks
/// in order, so the result does not depend on `threads`.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_dw(
    d: &ConvDims,
    dy: &[f32],
    x: &[f32],
    dw: Option<&mut [f32]>,
    db: Option<&mut [f32]>,
    acc: bool,
    path: ConvPath,
    threads: Threads,
) -> Result<(), KernelError> {
    let s = d.sizes()?;
    check_len("conv dy [n,m,oh,ow]", dy.len(), d.n * s.y_img)?;
    check_len("conv x [n,c,h,w]", x.len(), d.n * s.x_img)?;
    if let Some(dw) = &dw {
        check_len("conv dw [m,c/group,kh,kw]", dw.len(), d.m * s.taps)?;
    }
    if let Some(db) = &db {
        check_len("conv db [m]", db.len(), d.m)?;
    }
    let (want_w, want_b) = (dw.is_some(), db.is_some());
    let taps = want_w.then(|| EventTaps::new(d, s.mg));
    let chunks = d.n.div_ceil(DW_CHUNK);
    let partials: Vec<Partial> = threads.install(|| {
        (0..chunks)
            .into_par_iter()
            .map_init(Scratch::default, |sc, t| {
                let mut pdw = vec![0f32; if want_w { d.m * s.taps } else { 0 }];
                let mut pdb = vec![0f64; if want_b { d.m } else { 0 }];
                sc.pdt.clear();
                sc.pdt.resize(pdw.len(), 0.0);
                let mut events = false;
                for i in t * DW_CHUNK..((t + 1) * DW_CHUNK).min(d.n) {
                    let (xi, dyi) = (&x[i * s.x_img..][..s.x_img], &dy[i * s.y_img..][..s.y_img]);
                    if let Some(taps) = &taps {
                        let event = match path {
                            ConvPath::Event => true,
                            ConvPath::Dense => false,
                            ConvPath::Auto => sparse_enough(xi, CONV_DW_EVENT_CROSSOVER),
                        };
                        events |= event;
                        dw_image(d, &s, xi, dyi, event, taps, &mut pdw, sc)?;
                    }
                    for (o, b) in pdb.iter_mut().enumerate() {
                        *b += crate::elementwise::sum_f64(&dyi[o * s.p..][..s.p]);
                    }
                }
                if events {
                    unpack_taps_add(d, &s, &sc.pdt, &mut pdw);
                }
                Ok((pdw, pdb))
            })
            .collect::<Result<Vec<Partial>, KernelError>>()
    })??;
    if let Some(dw) = dw {
        if !acc {
            dw.fill(0.0);
        }
        for (p, _) in &partials {
            dw.iter_mut().zip(p).for_each(|(a, &v)| *a += v);
        }
    }
    if let Some(db) = db {
        for (o, b) in db.iter_mut().enumerate() {
            let sum: f64 = partials.iter().map(|(_, p)| p[o]).sum();
            *b = if acc { *b + sum as f32 } else { sum as f32 };
        }
    }
    Ok(())
}
