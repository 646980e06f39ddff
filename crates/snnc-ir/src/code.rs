//! [`Num`] as source text: evaluating a formula on [`Code`] values prints it in C (CUDA, f32
//! or f64) or WGSL (f32), fully parenthesized, with the same operations in the same order as
//! the `f32`/`f64` evaluation.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::num::Num;

/// The language and precision a [`Code`] is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// CUDA C, `float` (`1.0f`, `fabsf`, `expf`, ...).
    CudaF32,
    /// CUDA C, `double`.
    CudaF64,
    /// WGSL, `f32` (literals as exact bit patterns).
    Wgsl,
}

/// An expression in a [`Dialect`], built by evaluating a formula generic over [`Num`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    dialect: Dialect,
    text: String,
}

impl Code {
    /// The variable (or any expression) `text` of `dialect`.
    pub fn var(dialect: Dialect, text: impl Into<String>) -> Code {
        Code { dialect, text: text.into() }
    }

    /// The printed expression.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn with(&self, text: String) -> Code {
        Code { dialect: self.dialect, text }
    }

    /// `name(self)`, where `names` are the function's names in C f32, C f64 and WGSL.
    fn call(self, names: [&str; 3]) -> Code {
        let f = match self.dialect {
            Dialect::CudaF32 => names[0],
            Dialect::CudaF64 => names[1],
            Dialect::Wgsl => names[2],
        };
        self.with(format!("{f}({})", self.text))
    }

    fn bin(self, op: &str, o: Code) -> Code {
        self.with(format!("({} {op} {})", self.text, o.text))
    }

    fn cond(self, cmp: &str, then: Code, other: Code) -> Code {
        let zero = self.lit(0.0);
        match self.dialect {
            Dialect::Wgsl => self.with(format!(
                "select({}, {}, {} {cmp} {})",
                other.text, then.text, self.text, zero.text
            )),
            _ => self.with(format!(
                "({} {cmp} {} ? {} : {})",
                self.text, zero.text, then.text, other.text
            )),
        }
    }
}

/// An f32 as an exact C literal (`2.0f`, or `__int_as_float(0x...)`).
pub fn c_f32(v: f32) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e7 && !(v == 0.0 && v.is_sign_negative()) {
        format!("{v:.1}f")
    } else {
        format!("__int_as_float(0x{:08x})", v.to_bits())
    }
}

/// An f64 as an exact C literal (`__longlong_as_double` of its bits unless it is a small
/// integer).
pub fn c_f64(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
        format!("{v:.1}")
    } else {
        format!("__longlong_as_double(0x{:016x}LL)", v.to_bits())
    }
}

/// An f32 as an exact WGSL expression (its bit pattern).
pub fn wgsl_f32(v: f32) -> String {
    format!("bitcast<f32>({}u)", v.to_bits())
}

impl Num for Code {
    fn lit(&self, x: f64) -> Code {
        self.with(match self.dialect {
            Dialect::CudaF32 => c_f32(x as f32),
            Dialect::CudaF64 => c_f64(x),
            Dialect::Wgsl => wgsl_f32(x as f32),
        })
    }
    fn abs(self) -> Code {
        self.call(["fabsf", "fabs", "abs"])
    }
    fn max(self, o: Code) -> Code {
        let f = match self.dialect {
            Dialect::CudaF32 => "fmaxf",
            Dialect::CudaF64 => "fmax",
            Dialect::Wgsl => "max",
        };
        self.with(format!("{f}({}, {})", self.text, o.text))
    }
    fn exp(self) -> Code {
        self.call(["expf", "exp", "exp"])
    }
    fn tanh(self) -> Code {
        match self.dialect {
            // WGSL's tanh may be computed through exp, which overflows for large arguments;
            // tanh is ±1 in f32 well before ±20.
            Dialect::Wgsl => self.with(format!("tanh(clamp({}, -20.0, 20.0))", self.text)),
            _ => self.call(["tanhf", "tanh", ""]),
        }
    }
    fn sqrt(self) -> Code {
        self.call(["sqrtf", "sqrt", "sqrt"])
    }
    fn trunc(self) -> Code {
        self.call(["truncf", "trunc", "trunc"])
    }
    fn if_pos(self, then: Code, other: Code) -> Code {
        self.cond(">", then, other)
    }
    fn if_nonneg(self, then: Code, other: Code) -> Code {
        self.cond(">=", then, other)
    }
}

impl Add for Code {
    type Output = Code;
    fn add(self, o: Code) -> Code {
        self.bin("+", o)
    }
}

impl Sub for Code {
    type Output = Code;
    fn sub(self, o: Code) -> Code {
        self.bin("-", o)
    }
}

impl Mul for Code {
    type Output = Code;
    fn mul(self, o: Code) -> Code {
        self.bin("*", o)
    }
}

impl Div for Code {
    type Output = Code;
    fn div(self, o: Code) -> Code {
        self.bin("/", o)
    }
}

impl Neg for Code {
    type Output = Code;
    fn neg(self) -> Code {
        self.with(format!("(-{})", self.text))
    }
}
