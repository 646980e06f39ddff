//! The surrogate derivative σ'(s) in forms the backward loops can inline.
//!
//! `super`, `triangle` and `heaviside` are computed in f32 with the formulas of SPEC §1 (they
//! vectorize); the transcendental methods call [`Surrogate::derivative`] in f64 and round. Both
//! agree with the reference to a few f32 ulps.

use snnc_ir::{Method, Surrogate};

/// σ'(s) for one surrogate method.
pub(crate) trait Deriv: Copy + Send + Sync {
    /// The derivative at `s`.
    fn at(self, s: f32) -> f32;
}

/// `heaviside`: 0.
#[derive(Clone, Copy)]
pub(crate) struct Zero;

/// `super`: 1 / (alpha·|s| + 1)².
#[derive(Clone, Copy)]
pub(crate) struct Super(pub f32);

/// `triangle`: alpha · max(0, 1 − |s|).
#[derive(Clone, Copy)]
pub(crate) struct Triangle(pub f32);

/// Any method, through [`Surrogate::derivative`] in f64.
#[derive(Clone, Copy)]
pub(crate) struct Exact(pub Surrogate);

impl Deriv for Zero {
    #[inline(always)]
    fn at(self, _s: f32) -> f32 {
        0.0
    }
}

impl Deriv for Super {
    #[inline(always)]
    fn at(self, s: f32) -> f32 {
        let d = self.0 * s.abs() + 1.0;
        1.0 / (d * d)
    }
}

impl Deriv for Triangle {
    #[inline(always)]
    fn at(self, s: f32) -> f32 {
        self.0 * (1.0 - s.abs()).max(0.0)
    }
}

impl Deriv for Exact {
    #[inline(always)]
    fn at(self, s: f32) -> f32 {
        self.0.derivative(s as f64) as f32
    }
}

/// Evaluates `$body` with `$d` bound to the [`Deriv`] of surrogate `$sg`, monomorphized per
/// method.
macro_rules! with_deriv {
    ($sg:expr, |$d:ident| $body:expr) => {{
        let sg: snnc_ir::Surrogate = $sg;
        match sg.method {
            snnc_ir::Method::Heaviside => {
                let $d = $crate::surrogate::Zero;
                $body
            }
            snnc_ir::Method::Super => {
                let $d = $crate::surrogate::Super(sg.alpha);
                $body
            }
            snnc_ir::Method::Triangle => {
                let $d = $crate::surrogate::Triangle(sg.alpha);
                $body
            }
            _ => {
                let $d = $crate::surrogate::Exact(sg);
                $body
            }
        }
    }};
}

pub(crate) use with_deriv;

/// Checks a surrogate's alpha (finite and positive), as [`Surrogate::new`] does.
pub(crate) fn check(sg: &Surrogate) -> Result<(), String> {
    if sg.method == Method::Heaviside || (sg.alpha.is_finite() && sg.alpha > 0.0) {
        Ok(())
    } else {
        Err(format!("surrogate alpha must be a positive finite number, got {}", sg.alpha))
    }
}
