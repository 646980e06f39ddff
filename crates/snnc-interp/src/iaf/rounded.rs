//! f64 numbers rounded to a dtype after every operation: the reference's evaluation of the
//! shared neuron formulas ([`snnc_ir::neuron`]), exactly as the primitive-op spelling of the
//! step would round each intermediate.

use std::ops::{Add, Div, Mul, Neg, Sub};

use snnc_ir::{DType, Num};

use crate::value::round_elem;

/// A value of dtype `dtype`, held in f64.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rounded {
    pub v: f64,
    pub dtype: DType,
}

impl Rounded {
    pub(crate) fn new(dtype: DType, v: f64) -> Self {
        Rounded { v: round_elem(dtype, v), dtype }
    }

    fn map(self, f: impl FnOnce(f64) -> f64) -> Self {
        Rounded::new(self.dtype, f(self.v))
    }
}

macro_rules! op {
    ($tr:ident, $f:ident, $op:tt) => {
        impl $tr for Rounded {
            type Output = Rounded;
            fn $f(self, o: Rounded) -> Rounded {
                Rounded::new(self.dtype, self.v $op o.v)
            }
        }
    };
}

op!(Add, add, +);
op!(Sub, sub, -);
op!(Mul, mul, *);
op!(Div, div, /);

impl Neg for Rounded {
    type Output = Rounded;
    fn neg(self) -> Rounded {
        self.map(|v| -v)
    }
}

impl Num for Rounded {
    fn lit(&self, x: f64) -> Self {
        Rounded::new(self.dtype, x)
    }
    fn abs(self) -> Self {
        self.map(f64::abs)
    }
    fn max(self, o: Self) -> Self {
        self.map(|v| v.max(o.v))
    }
    fn exp(self) -> Self {
        self.map(f64::exp)
    }
    fn tanh(self) -> Self {
        self.map(f64::tanh)
    }
    fn sqrt(self) -> Self {
        self.map(f64::sqrt)
    }
    fn trunc(self) -> Self {
        self.map(f64::trunc)
    }
    fn if_pos(self, then: Self, other: Self) -> Self {
        if self.v > 0.0 {
            then
        } else {
            other
        }
    }
    fn if_nonneg(self, then: Self, other: Self) -> Self {
        if self.v >= 0.0 {
            then
        } else {
            other
        }
    }
}
