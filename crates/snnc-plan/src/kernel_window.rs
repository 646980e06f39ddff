//! Sliding-window kernels: 2-D convolution (forward, input gradient, weight and bias gradient)
//! and 2-D pooling (forward and gradient). A 1-D window op is lowered as the 2-D one with a
//! height of 1 (kernel height 1, stride 1, no padding, dilation 1), so every engine implements
//! only the 2-D case. Tensors are dense row-major: images `[n, c, h, w]`, weights
//! `[m, c/group, kh, kw]`.

/// The geometry of a 2-D convolution over `n` images, resolved (ONNX `Conv`, `auto_pad =
/// NOTSET`, the output extent already computed from the padded input): the kernels'
/// [`snnc_kernels::ConvDims`], whose contract every engine's convolution follows. `n` counts
/// every leading axis of the IR op flattened (`T·B` for a re-rolled layer); the padding below
/// and right only shape `oh` and `ow`.
pub use snnc_kernels::ConvDims as ConvGeom;

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

/// What a pooling window computes over its taps (sum, average with or without the padding,
/// max): the kernels' [`snnc_kernels::PoolMode`].
pub use snnc_kernels::PoolMode as PoolOp;

/// The geometry of a 2-D pooling over `n` planes (images × channels, every axis before the
/// spatial ones flattened), resolved; no dilation, `ceil_mode = 0`: the kernels'
/// [`snnc_kernels::PoolDims`].
pub use snnc_kernels::PoolDims as PoolGeom;

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
