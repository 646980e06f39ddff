//! Sliding-window kernels: 2-D convolution (forward, input gradient, weight and bias gradient)
//! and 2-D pooling (forward and gradient). A 1-D window op is lowered as the 2-D one with a
//! height of 1 (kernel height 1, stride 1, no padding, dilation 1), so every engine implements
//! only the 2-D case. Tensors are dense row-major: images `[n, c, h, w]`, weights
//! `[m, c/group, kh, kw]`.

/// The geometry of a 2-D convolution over `n` images, resolved (ONNX `Conv`, `auto_pad =
/// NOTSET`, the output extent already computed from the padded input):
///
/// `y[i, o, oy, ox] = bias[o] + Σ_{c, ky, kx} x[i, g·c/group + c, oy·sh − ph + ky·dh,
/// ox·sw − pw + kx·dw] · w[o, c, ky, kx]`
///
/// with g = o / (m/group) the output channel's group, c over the group's `c/group` input
/// channels, and taps outside the input reading 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvGeom {
    /// Images (every leading axis of the IR op flattened: `T·B` for a re-rolled layer).
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub m: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Vertical stride.
    pub sh: usize,
    /// Horizontal stride.
    pub sw: usize,
    /// Padding above (the padding below only shapes `oh`).
    pub ph: usize,
    /// Padding left (the padding right only shapes `ow`).
    pub pw: usize,
    /// Vertical tap spacing.
    pub dh: usize,
    /// Horizontal tap spacing.
    pub dw: usize,
    /// Channel groups (`c` and `m` are multiples of it).
    pub group: usize,
}

/// `y = conv(x, w) + bias` (see [`ConvGeom`]). With `event`, an engine may scatter the kernel
/// of each nonzero input into the outputs it reaches instead of gathering (x is then probably
/// spikes); the result is the same sum.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvK {
    /// The geometry.
    pub g: ConvGeom,
    /// Input `[n, c, h, w]`.
    pub x: crate::BufId,
    /// Weights `[m, c/group, kh, kw]`.
    pub w: crate::BufId,
    /// Bias `[m]`.
    pub bias: Option<crate::BufId>,
    /// Output `[n, m, oh, ow]`.
    pub y: crate::BufId,
    /// Prefer the event-driven (scatter) path.
    pub event: bool,
}

/// The input gradient of a [`ConvK`]: `dx (+)= convᵀ(dy, w)`, i.e. every `dy[i, o, oy, ox]`
/// times `w[o, c, ky, kx]` added to the input tap it read (taps in the padding dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvDxK {
    /// The forward geometry.
    pub g: ConvGeom,
    /// Upstream gradient `[n, m, oh, ow]`.
    pub dy: crate::BufId,
    /// Weights `[m, c/group, kh, kw]`.
    pub w: crate::BufId,
    /// Input gradient `[n, c, h, w]`.
    pub dx: crate::BufId,
    /// Accumulate into `dx`.
    pub acc: bool,
}

/// The parameter gradients of a [`ConvK`]: `dw[o, c, ky, kx] (+)= Σ_{i, oy, ox} dy[i, o, oy,
/// ox] · x[i, g·c/group + c, tap]` and, when `db` is set, `db[o] (+)= Σ_{i, oy, ox} dy[i, o,
/// oy, ox]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvDwK {
    /// The forward geometry.
    pub g: ConvGeom,
    /// Upstream gradient `[n, m, oh, ow]`.
    pub dy: crate::BufId,
    /// The forward input `[n, c, h, w]`.
    pub x: crate::BufId,
    /// Weight gradient `[m, c/group, kh, kw]`.
    pub dw: Option<crate::BufId>,
    /// Bias gradient `[m]`.
    pub db: Option<crate::BufId>,
    /// Accumulate into `dw` and `db`.
    pub acc: bool,
}

/// What a pooling window computes over its taps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolOp {
    /// The sum of the taps inside the input.
    Sum,
    /// The sum divided by `kh·kw` (padding taps count, PyTorch's default).
    AvgIncludePad,
    /// The sum divided by the number of taps inside the input (ONNX's default).
    AvgExcludePad,
    /// The largest tap inside the input (the first one on ties, row-major).
    Max,
}

/// The geometry of a 2-D pooling over `n` planes (images × channels), resolved; no dilation,
/// `ceil_mode = 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolGeom {
    /// Planes (every axis before the spatial ones flattened).
    pub n: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
    /// Window height.
    pub kh: usize,
    /// Window width.
    pub kw: usize,
    /// Vertical stride.
    pub sh: usize,
    /// Horizontal stride.
    pub sw: usize,
    /// Padding above.
    pub ph: usize,
    /// Padding left.
    pub pw: usize,
}

/// `y[i, oy, ox] = op over the window at (oy·sh − ph, ox·sw − pw)` of `x[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolK {
    /// What the window computes.
    pub op: PoolOp,
    /// The geometry.
    pub g: PoolGeom,
    /// Input `[n, h, w]`.
    pub x: crate::BufId,
    /// Output `[n, oh, ow]`.
    pub y: crate::BufId,
}

/// The input gradient of a [`PoolK`]: each `dy[i, oy, ox]` goes to the taps of its window
/// (divided as the forward divided; for `Max`, all of it to the forward's chosen tap, found
/// again from `x`), added into `dx`.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolBackK {
    /// What the forward window computed.
    pub op: PoolOp,
    /// The forward geometry.
    pub g: PoolGeom,
    /// The forward input `[n, h, w]` (read by `Max` only).
    pub x: crate::BufId,
    /// Upstream gradient `[n, oh, ow]`.
    pub dy: crate::BufId,
    /// Input gradient `[n, h, w]`.
    pub dx: crate::BufId,
    /// Accumulate into `dx`.
    pub acc: bool,
}
