//! Constant evaluation for the analysis: the value of an op whose inputs are all known.
//!
//! Only cheap elementwise and shape ops are evaluated, on small tensors; results are rounded to
//! their dtype after the op, as the reference interpreter rounds them, so a folded constant is
//! bit-identical to what the graph would compute.

use ndarray::{ArrayD, IxDyn, Zip};
use snnc_ir::{DType, Tensor, TensorType, Threshold};

use crate::sym::Sym;

/// Largest result (in elements) the analysis computes.
pub const FOLD_LIMIT: usize = 4096;

fn theta(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else {
        0.0
    }
}

fn binary(a: &Tensor, b: &Tensor, out: &TensorType, f: fn(f64, f64) -> f64) -> Option<Tensor> {
    let (a, b) = (a.to_f64(), b.to_f64());
    let shape = IxDyn(&out.shape);
    let (a, b) = (a.broadcast(shape.clone())?, b.broadcast(shape)?);
    let y = Zip::from(&a).and(&b).map_collect(|&x, &y| f(x, y));
    Some(Tensor::from_f64(out.dtype, y))
}

fn unary(a: &Tensor, out: &TensorType, f: fn(f64) -> f64) -> Option<Tensor> {
    let y = a.to_f64().mapv(f);
    let y = ArrayD::from_shape_vec(IxDyn(&out.shape), y.iter().copied().collect()).ok()?;
    Some(Tensor::from_f64(out.dtype, y))
}

/// The value of `sym` applied to `args` with result type `out`, when it is one of the evaluated
/// ops and the result is small; `None` otherwise.
pub fn eval(sym: &Sym, args: &[&Tensor], out: &TensorType) -> Option<Tensor> {
    if out.checked_len()? > FOLD_LIMIT {
        return None;
    }
    let float = out.dtype.is_float();
    match (sym, args) {
        (Sym::Add, [a, b]) => binary(a, b, out, |x, y| x + y),
        (Sym::Sub, [a, b]) => binary(a, b, out, |x, y| x - y),
        (Sym::Mul, [a, b]) => binary(a, b, out, |x, y| x * y),
        (Sym::Div, [a, b]) if float => binary(a, b, out, |x, y| x / y),
        (Sym::Greater, [a, b]) => binary(a, b, out, |x, y| f64::from(x > y)),
        (Sym::Less, [a, b]) => binary(a, b, out, |x, y| f64::from(x < y)),
        (Sym::GreaterOrEqual, [a, b]) => binary(a, b, out, |x, y| f64::from(x >= y)),
        (Sym::LessOrEqual, [a, b]) => binary(a, b, out, |x, y| f64::from(x <= y)),
        (Sym::Equal, [a, b]) => binary(a, b, out, |x, y| f64::from(x == y)),
        (Sym::Not, [a]) => unary(a, out, |x| f64::from(x == 0.0)),
        (Sym::Abs, [a]) => unary(a, out, f64::abs),
        (Sym::Floor, [a]) => unary(a, out, f64::floor),
        (Sym::Neg, [a]) => unary(a, out, |x| -x),
        (Sym::Spike(_, Threshold::Gt), [a]) => unary(a, out, theta),
        (Sym::Spike(_, Threshold::Ge), [a]) => unary(a, out, |x| f64::from(x >= 0.0)),
        (Sym::Relu, [a]) => unary(a, out, |x| if x > 0.0 { x } else { 0.0 }),
        // Tensor::from_f64 converts like Cast: truncation to i64, `x != 0` to bool.
        (
            Sym::Cast(_) | Sym::Identity | Sym::Unsqueeze(_) | Sym::Squeeze(_) | Sym::Reshape(_),
            [a],
        ) => unary(a, out, |x| x),
        _ => None,
    }
}

/// True when every element is 0 or 1 (bools always; large tensors are not inspected).
pub fn is_binary(t: &Tensor) -> bool {
    match t {
        Tensor::Bool(_) => true,
        _ if t.len() > 1 << 20 => false,
        _ => t.to_f64().iter().all(|&x| x == 0.0 || x == 1.0),
    }
}

/// True when every element equals `x` (and the tensor is not empty).
pub fn all_equal(t: &Tensor, x: f64) -> bool {
    !t.is_empty() && t.len() <= 1 << 20 && t.to_f64().iter().all(|&v| v == x)
}

/// True for initializers that are trained parameters as far as the optimizer can tell: float
/// tensors of more than one element. Their values guide rewrites, but they are never baked into
/// new constants, so gradients reach them wherever they are still used.
pub fn is_parameter(t: &Tensor) -> bool {
    t.dtype().is_float() && t.len() > 1
}

/// A hashable key of a tensor's type and element bits, for interning constants. A tensor
/// whose elements all have the same bits (a zero state, a broadcast constant) keys as that one
/// element: its shape is in the key, and any other tensor of that shape has one bit pattern
/// per element (at least two), so keys stay distinct while a large uniform constant costs
/// one comparison pass instead of a copy and a hash of every element.
pub fn key(t: &Tensor) -> (DType, Vec<usize>, Vec<u64>) {
    fn compact(bits: impl Iterator<Item = u64> + Clone) -> Vec<u64> {
        match bits.clone().next() {
            Some(f) if bits.clone().all(|b| b == f) => vec![f],
            _ => bits.collect(),
        }
    }
    let bits: Vec<u64> = match t {
        Tensor::F32(a) => compact(a.iter().map(|x| u64::from(x.to_bits()))),
        Tensor::F64(a) => compact(a.iter().map(|x| x.to_bits())),
        Tensor::I64(a) => compact(a.iter().map(|&x| x as u64)),
        Tensor::Bool(a) => compact(a.iter().map(|&x| u64::from(x))),
    };
    (t.dtype(), t.shape().to_vec(), bits)
}
