//! A window op's geometry lifted to two spatial axes (a 1-D op is a 2-D one of height 1), with
//! every batch axis folded into one.

use snnc_ir::{split_input, Window};

/// The lifted geometry: input [n, c, h, w], output [n, ·, oh, ow], kernel [kh, kw].
#[derive(Debug, Clone)]
pub(crate) struct Geo {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub pt: usize,
    pub pl: usize,
    pub dh: usize,
    pub dw: usize,
}

impl Geo {
    /// The geometry of `win` over an input of `shape`.
    pub(crate) fn new(win: &Window, shape: &[usize]) -> Result<Geo, String> {
        let k = win.rank();
        let (lead, c, dims) = split_input(shape, k)?;
        let out = win.output_dims(dims)?;
        let n = lead.iter().product();
        Ok(if k == 1 {
            Geo {
                n,
                c,
                h: 1,
                w: dims[0],
                oh: 1,
                ow: out[0],
                kh: 1,
                kw: win.kernel[0],
                sh: 1,
                sw: win.strides[0],
                pt: 0,
                pl: win.pads[0],
                dh: 1,
                dw: win.dilations[0],
            }
        } else {
            Geo {
                n,
                c,
                h: dims[0],
                w: dims[1],
                oh: out[0],
                ow: out[1],
                kh: win.kernel[0],
                kw: win.kernel[1],
                sh: win.strides[0],
                sw: win.strides[1],
                pt: win.pads[0],
                pl: win.pads[1],
                dh: win.dilations[0],
                dw: win.dilations[1],
            }
        })
    }

    /// The input row of output row `oy` and kernel row `ky`, or `None` in the padding.
    pub(crate) fn row(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy * self.sh + ky * self.dh).checked_sub(self.pt).filter(|&y| y < self.h)
    }

    /// The input column of output column `ox` and kernel column `kx`, or `None` in the padding.
    pub(crate) fn col(&self, ox: usize, kx: usize) -> Option<usize> {
        (ox * self.sw + kx * self.dw).checked_sub(self.pl).filter(|&x| x < self.w)
    }
}
