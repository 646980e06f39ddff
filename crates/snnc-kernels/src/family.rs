//! The integrate-and-fire family's choices (SPEC §1.1) as types, so that every kernel is
//! compiled once per member with its choices constant: the shared step of
//! [`snnc_ir::neuron`] then folds to the member's own arithmetic, with no branch per element.

use snnc_ir::{neuron, Family, Reset, ResetGrad, Spikes, Threshold};

/// One member of the family, known at compile time.
pub(crate) trait Fam: Copy + Send + Sync {
    /// Its choices.
    const F: Family;
    /// The value of the type, for kernels that take the member as an argument.
    const IT: Self;
}

/// The member `(threshold, reset, reset_grad, spikes)` numbered as in the order of each
/// choice's `ALL`.
#[derive(Clone, Copy)]
pub(crate) struct Member<const T: u8, const R: u8, const G: u8, const S: u8>;

impl<const T: u8, const R: u8, const G: u8, const S: u8> Fam for Member<T, R, G, S> {
    const F: Family = Family {
        threshold: if T == 0 { Threshold::Gt } else { Threshold::Ge },
        reset: match R {
            0 => Reset::Value,
            1 => Reset::Subtract,
            _ => Reset::None,
        },
        reset_grad: if G == 0 { ResetGrad::Attached } else { ResetGrad::Detached },
        spikes: if S == 0 { Spikes::Single } else { Spikes::Multi },
    };
    const IT: Self = Member;
}

/// Whether member `F` emits spike counts rather than 0/1.
#[inline(always)]
pub(crate) const fn multi<F: Fam>() -> bool {
    matches!(F::F.spikes, Spikes::Multi)
}

/// `(s, z, v)` of a neuron of member `F` at potential `u`: the surrogate's argument, the
/// spike(s), and the potential after the reset ([`neuron::spike`], [`neuron::reset`]).
#[inline(always)]
pub(crate) fn fire<F: Fam>(u: f32, th: f32, r: f32) -> (f32, f32, f32) {
    let s = u - th;
    let z = neuron::spike(F::F, s, u, th);
    (s, z, neuron::reset(F::F, z, u, th, r))
}

/// The numbers of a [`Member`] for `family`, which [`Family::check`] accepted.
pub(crate) fn index(f: Family) -> (u8, u8, u8, u8) {
    let pos = |i: Option<usize>| i.unwrap_or(0) as u8;
    (
        pos(Threshold::ALL.iter().position(|&x| x == f.threshold)),
        pos(Reset::ALL.iter().position(|&x| x == f.reset)),
        pos(ResetGrad::ALL.iter().position(|&x| x == f.reset_grad)),
        pos(Spikes::ALL.iter().position(|&x| x == f.spikes)),
    )
}

/// Evaluates `$body` with the type `$f` bound to the [`Fam`] of `$family` (a checked
/// [`Family`](snnc_ir::Family)), monomorphized per valid member.
macro_rules! with_family {
    ($family:expr, |$f:ident| $body:expr) => {{
        use $crate::family::Member;
        match $crate::family::index($family) {
            (0, 0, 0, 0) => {
                type $f = Member<0, 0, 0, 0>;
                $body
            }
            (0, 0, 1, 0) => {
                type $f = Member<0, 0, 1, 0>;
                $body
            }
            (0, 1, 0, 0) => {
                type $f = Member<0, 1, 0, 0>;
                $body
            }
            (0, 1, 1, 0) => {
                type $f = Member<0, 1, 1, 0>;
                $body
            }
            (0, 2, 0, 0) => {
                type $f = Member<0, 2, 0, 0>;
                $body
            }
            (0, 2, 1, 0) => {
                type $f = Member<0, 2, 1, 0>;
                $body
            }
            (1, 0, 0, 0) => {
                type $f = Member<1, 0, 0, 0>;
                $body
            }
            (1, 0, 1, 0) => {
                type $f = Member<1, 0, 1, 0>;
                $body
            }
            (1, 1, 0, 0) => {
                type $f = Member<1, 1, 0, 0>;
                $body
            }
            (1, 1, 1, 0) => {
                type $f = Member<1, 1, 1, 0>;
                $body
            }
            (1, 2, 0, 0) => {
                type $f = Member<1, 2, 0, 0>;
                $body
            }
            (1, 2, 1, 0) => {
                type $f = Member<1, 2, 1, 0>;
                $body
            }
            (_, _, 0, _) => {
                type $f = Member<1, 1, 0, 1>;
                $body
            }
            _ => {
                type $f = Member<1, 1, 1, 1>;
                $body
            }
        }
    }};
}

pub(crate) use with_family;
