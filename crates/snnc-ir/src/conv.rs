//! The convolution op's attributes ([`Op::Conv`](crate::Op::Conv)) and its typing rule.

use crate::window::{check_rank, resolve, split_input, Window};
use crate::TensorType;

/// ONNX `Conv`'s attributes (`auto_pad = NOTSET`): X [..., C, D_1..D_k], W [M, C/group,
/// K_1..K_k], optional bias [M] → Y [..., M, O_1..O_k], k ∈ {1, 2}, with
///
/// Y[n, m, o] = bias[m] + Σ_{c, j} X[n, g·C/group + c, o·s − b + j·dil] · W[m, c, j]
///
/// where g = m / (M/group) is the output channel's group and taps that fall in the padding read
/// 0. Every axis before C is a batch axis (ONNX has exactly one; `[T, B, C, H, W]` is allowed).
/// The kernel's extent comes from W. Empty lists take ONNX's defaults (strides and dilations 1,
/// pads 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ConvSpec {
    /// Step per spatial axis (k entries, or empty: all 1).
    pub strides: Vec<usize>,
    /// Padding `[begin_0.., end_0..]` (2k entries, or empty: all 0).
    pub pads: Vec<usize>,
    /// Tap spacing per spatial axis (k entries, or empty: all 1).
    pub dilations: Vec<usize>,
    /// The number of channel groups (≥ 1; C and M must be multiples of it).
    pub group: usize,
}

impl ConvSpec {
    /// The resolved window for a kernel of spatial extents `kernel`.
    pub fn window(&self, kernel: &[usize]) -> Result<Window, String> {
        let k = kernel.len();
        check_rank(k)?;
        if kernel.contains(&0) {
            return Err(format!("the kernel {kernel:?} has an empty axis"));
        }
        Ok(Window {
            kernel: kernel.to_vec(),
            strides: resolve("strides", &self.strides, k, 1, 1)?,
            pads: resolve("pads", &self.pads, 2 * k, 0, 0)?,
            dilations: resolve("dilations", &self.dilations, k, 1, 1)?,
        })
    }

    /// The output type for X `x`, W `w` and optional bias `b`; errors say what does not fit.
    pub fn infer(
        &self,
        x: &TensorType,
        w: &TensorType,
        b: Option<&TensorType>,
    ) -> Result<TensorType, String> {
        if !x.dtype.is_float() {
            return Err(format!("X must be a float tensor, got {x}"));
        }
        if w.dtype != x.dtype {
            return Err(format!("W {w} must have X's element type ({})", x.dtype));
        }
        if w.rank() < 3 {
            return Err(format!("W must have rank ≥ 3 ([M, C/group, kernel…]), got {w}"));
        }
        let win = self.window(&w.shape[2..])?;
        let k = win.rank();
        let (lead, c, dims) = split_input(&x.shape, k)?;
        let (m, cg) = (w.shape[0], w.shape[1]);
        let g = self.group;
        if g == 0 {
            return Err("'group' must be at least 1".into());
        }
        if c % g != 0 || m % g != 0 || cg * g != c {
            return Err(format!(
                "X has {c} channels and W is {w}: with group = {g}, W's second axis must be \
                 C/group and M a multiple of group"
            ));
        }
        if let Some(b) = b {
            if *b != TensorType::new(x.dtype, vec![m]) {
                return Err(format!("bias must be {}[{m}], got {b}", x.dtype));
            }
        }
        let mut shape = lead.to_vec();
        shape.push(m);
        shape.extend(win.output_dims(dims)?);
        Ok(TensorType::new(x.dtype, shape))
    }
}
