//! The gradients of a 2-D convolution: dX (GEMM by the transposed weights, then col2im) and
//! dW with the bias gradient (per fixed chunk of images, event-driven for sparse images, then
//! the chunks summed in order).

use rayon::prelude::*;

use crate::conv::{sparse_enough, ConvPath, CONV_DW_EVENT_CROSSOVER, IMGS};
use crate::conv_event::{channels_last, gather_dw, unpack_taps_add, EventTaps};
use crate::conv_geom::{ConvDims, ConvSizes};
use crate::error::check_len;
use crate::gemm::sgemm_seq;
use crate::{KernelError, Threads};

/// Images per partial sum of [`conv2d_dw`] (fixed, so that the sums never depend on the
/// thread count).
const DW_CHUNK: usize = 16;

/// `dx (+)= convᵀ(dy, w)`: every `dy[i, o, oy, ox]·w[o, c, ky, kx]` added to the input tap it
/// read (taps in the padding dropped). `dy` `[n, m, oh, ow]`, `w` `[m, c/group, kh, kw]`, `dx`
/// `[n, c, h, w]`, overwritten unless `acc`.
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
                        *b += dyi[o * s.p..][..s.p].iter().map(|&v| f64::from(v)).sum::<f64>();
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
