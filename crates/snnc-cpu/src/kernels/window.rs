//! Convolution and pooling steps: the plan's geometry handed to the `snnc-kernels` routines.

use snnc_kernels::{conv2d, conv2d_dw, conv2d_dx, pool2d, pool2d_backward, ConvPath};
use snnc_plan::{ConvDwK, ConvDxK, ConvK, PoolBackK, PoolK};

use crate::kernels::Ctx;
use crate::store::Io;

/// The path of a step whose input may be events: measured per image when the plan expects
/// sparse input, dense otherwise.
fn path(event: bool) -> ConvPath {
    if event {
        ConvPath::Auto
    } else {
        ConvPath::Dense
    }
}

/// Conv forward: event-driven for sparse images when the plan expects events, else dense.
pub(crate) fn conv(k: &ConvK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (x, w, b) = (io.r(k.x)?, io.r(k.w)?, io.ro(k.bias)?);
    let y = io.w(k.y)?;
    conv2d(&k.g, x, w, b, y, path(k.event), cx.threads).map_err(|e| e.to_string())?;
    Ok(())
}

/// Conv's input gradient.
pub(crate) fn conv_dx(k: &ConvDxK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (dy, w) = (io.r(k.dy)?, io.r(k.w)?);
    let dx = io.w(k.dx)?;
    conv2d_dx(&k.g, dy, w, dx, k.acc, cx.threads).map_err(|e| e.to_string())
}

/// Conv's weight and bias gradients; dW is event-driven for sparse input images.
pub(crate) fn conv_dw(k: &ConvDwK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (dy, x) = (io.r(k.dy)?, io.r(k.x)?);
    let (dw, db) = (io.wo(k.dw)?, io.wo(k.db)?);
    conv2d_dw(&k.g, dy, x, dw, db, k.acc, ConvPath::Auto, cx.threads).map_err(|e| e.to_string())
}

/// Pooling forward.
pub(crate) fn pool(k: &PoolK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let x = io.r(k.x)?;
    let y = io.w(k.y)?;
    pool2d(k.op, &k.g, x, y, cx.threads).map_err(|e| e.to_string())
}

/// Pooling's input gradient.
pub(crate) fn pool_back(k: &PoolBackK, io: &mut Io, cx: Ctx) -> Result<(), String> {
    let (x, dy) = (io.r(k.x)?, io.r(k.dy)?);
    let dx = io.w(k.dx)?;
    pool2d_backward(k.op, &k.g, x, dy, dx, k.acc, cx.threads).map_err(|e| e.to_string())
}
