//! The surrogate derivative σ'(s) in forms the backward loops can inline.
//!
//! Every form is [`snnc_ir::neuron::surrogate`]: `super`, `triangle` and `heaviside` evaluated
//! in f32 with the method fixed at compile time (they vectorize); the transcendental methods
//! through [`Surrogate::derivative_f32`] (f64, rounded). Both agree with the reference to a few
//! f32 ulps.

use snnc_ir::{neuron, Method, Surrogate};

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

/// Any method, through [`Surrogate::derivative_f32`].
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
        neuron::surrogate(Method::Super, self.0, s)
    }
}

impl Deriv for Triangle {
    #[inline(always)]
    fn at(self, s: f32) -> f32 {
        neuron::surrogate(Method::Triangle, self.0, s)
    }
}

impl Deriv for Exact {
    #[inline(always)]
    fn at(self, s: f32) -> f32 {
        self.0.derivative_f32(s)
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
