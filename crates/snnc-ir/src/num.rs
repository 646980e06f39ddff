//! The arithmetic the neuron's formulas are written in, once, for every engine.
//!
//! [`Num`] is implemented by `f32` (the CPU kernels), `f64` (the reference's surrogate) and
//! [`Code`](crate::Code) (C for CUDA in f32 or f64, and WGSL), so that one generic function in
//! [`crate::neuron`] is at the same time the reference, the CPU's inlined form and the source
//! text of the GPU kernels. Every operation is one rounding in the type's precision, in the
//! order written: the GPU texts do the same operations in the same order.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// A number type the neuron's formulas can be evaluated in.
pub trait Num:
    Clone
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// The constant `x`, rounded to the type's precision.
    fn lit(&self, x: f64) -> Self;
    /// `|self|`.
    fn abs(self) -> Self;
    /// The larger of `self` and `o` (the non-NaN one when one is NaN).
    fn max(self, o: Self) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// `tanh(self)`.
    fn tanh(self) -> Self;
    /// `√self`.
    fn sqrt(self) -> Self;
    /// `self` rounded toward zero.
    fn trunc(self) -> Self;
    /// `then` when `self > 0`, else `other` (NaN and ±0 take `other`).
    fn if_pos(self, then: Self, other: Self) -> Self;
    /// `then` when `self ≥ 0`, else `other` (NaN takes `other`).
    fn if_nonneg(self, then: Self, other: Self) -> Self;
}

macro_rules! float_num {
    ($t:ty) => {
        impl Num for $t {
            #[inline(always)]
            fn lit(&self, x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                <$t>::max(self, o)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn trunc(self) -> Self {
                <$t>::trunc(self)
            }
            #[inline(always)]
            fn if_pos(self, then: Self, other: Self) -> Self {
                if self > 0.0 {
                    then
                } else {
                    other
                }
            }
            #[inline(always)]
            fn if_nonneg(self, then: Self, other: Self) -> Self {
                if self >= 0.0 {
                    then
                } else {
                    other
                }
            }
        }
    };
}

float_num!(f32);
float_num!(f64);
