//! The integrate-and-fire family's choices (SPEC §1.1) and the leak (SPEC §1.2) as types, so
//! that every kernel is compiled once per member and per kind of cell with its choices
//! constant: the shared step of [`snnc_ir::neuron`] then folds to the member's own arithmetic,
//! with no branch per element.

use snnc_ir::{neuron, Family, Reset, ResetGrad, Spikes, Threshold};

/// One member of the family, known at compile time.
pub(crate) trait Fam: Copy + Send + Sync {
    /// Its choices.
    const F: Family;
    /// The value of the type, for kernels that take the member as an argument.
    const IT: Self;
}

/// The member `(threshold, reset, reset_grad, spikes)` numbered as in the order of each
/// choice's `ALL` (spikes: 0 single, 1 multi, 2 none).
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
        spikes: match S {
            0 => Spikes::Single,
            1 => Spikes::Multi,
            _ => Spikes::None,
        },
    };
    const IT: Self = Member;
}

/// Every member the kernels are compiled for: the spiking members of [`Family::members`] and
/// the leaky integrator [`Family::LI`]. A cell stores its member as one of these, found by
/// [`MemberId::of`] when it is built, so a kernel can never run one member as another:
/// [`with_family!`] matches every variant, and a family that is none of them has no
/// `MemberId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberId {
    /// `gt`, `value`, `attached`, `single`: Norse's cell.
    GtValue,
    /// `gt`, `value`, `detached`, `single`.
    GtValueDetached,
    /// `gt`, `subtract`, `attached`, `single`.
    GtSubtract,
    /// `gt`, `subtract`, `detached`, `single`.
    GtSubtractDetached,
    /// `gt`, `none`, `attached`, `single`.
    GtNone,
    /// `gt`, `none`, `detached`, `single`.
    GtNoneDetached,
    /// `ge`, `value`, `attached`, `single`.
    GeValue,
    /// `ge`, `value`, `detached`, `single`.
    GeValueDetached,
    /// `ge`, `subtract`, `attached`, `single`.
    GeSubtract,
    /// `ge`, `subtract`, `detached`, `single`.
    GeSubtractDetached,
    /// `ge`, `none`, `attached`, `single`.
    GeNone,
    /// `ge`, `none`, `detached`, `single`.
    GeNoneDetached,
    /// `ge`, `subtract`, `attached`, `multi`.
    Multi,
    /// `ge`, `subtract`, `detached`, `multi`.
    MultiDetached,
    /// The leaky integrator: `spikes = none`, `reset = none`.
    Integrator,
}

/// Evaluates `$body` with the type `$f` bound to the [`Fam`] of `$member` (a [`MemberId`]),
/// monomorphized per member.
macro_rules! with_family {
    ($member:expr, |$f:ident| $body:expr) => {{
        use $crate::family::{Member, MemberId as M};
        match $member {
            M::GtValue => {
                type $f = Member<0, 0, 0, 0>;
                $body
            }
            M::GtValueDetached => {
                type $f = Member<0, 0, 1, 0>;
                $body
            }
            M::GtSubtract => {
                type $f = Member<0, 1, 0, 0>;
                $body
            }
            M::GtSubtractDetached => {
                type $f = Member<0, 1, 1, 0>;
                $body
            }
            M::GtNone => {
                type $f = Member<0, 2, 0, 0>;
                $body
            }
            M::GtNoneDetached => {
                type $f = Member<0, 2, 1, 0>;
                $body
            }
            M::GeValue => {
                type $f = Member<1, 0, 0, 0>;
                $body
            }
            M::GeValueDetached => {
                type $f = Member<1, 0, 1, 0>;
                $body
            }
            M::GeSubtract => {
                type $f = Member<1, 1, 0, 0>;
                $body
            }
            M::GeSubtractDetached => {
                type $f = Member<1, 1, 1, 0>;
                $body
            }
            M::GeNone => {
                type $f = Member<1, 2, 0, 0>;
                $body
            }
            M::GeNoneDetached => {
                type $f = Member<1, 2, 1, 0>;
                $body
            }
            M::Multi => {
                type $f = Member<1, 1, 0, 1>;
                $body
            }
            M::MultiDetached => {
                type $f = Member<1, 1, 1, 1>;
                $body
            }
            M::Integrator => {
                type $f = Member<0, 2, 0, 2>;
                $body
            }
        }
    }};
}

pub(crate) use with_family;

impl MemberId {
    /// Every member, in declaration order.
    pub(crate) const ALL: [MemberId; 15] = [
        MemberId::GtValue,
        MemberId::GtValueDetached,
        MemberId::GtSubtract,
        MemberId::GtSubtractDetached,
        MemberId::GtNone,
        MemberId::GtNoneDetached,
        MemberId::GeValue,
        MemberId::GeValueDetached,
        MemberId::GeSubtract,
        MemberId::GeSubtractDetached,
        MemberId::GeNone,
        MemberId::GeNoneDetached,
        MemberId::Multi,
        MemberId::MultiDetached,
        MemberId::Integrator,
    ];

    /// The choices this member's kernels compute.
    pub(crate) fn family(self) -> Family {
        with_family!(self, |F| F::F)
    }

    /// The member computing `family`, or `None` when no kernel is compiled for it (a family
    /// that [`Family::check`] refuses).
    pub(crate) fn of(family: Family) -> Option<MemberId> {
        MemberId::ALL.into_iter().find(|m| m.family() == family)
    }
}

/// Whether member `F` emits spike counts rather than 0/1.
#[inline(always)]
pub(crate) const fn multi<F: Fam>() -> bool {
    matches!(F::F.spikes, Spikes::Multi)
}

/// Whether member `F` is the leaky integrator: no spikes, and its per-step output is the
/// potential.
#[inline(always)]
pub(crate) const fn integrator<F: Fam>() -> bool {
    matches!(F::F.spikes, Spikes::None)
}

/// `(s, z, v)` of a neuron of member `F` at potential `u`: the surrogate's argument, the
/// spike(s), and the potential after the reset ([`neuron::spike`], [`neuron::reset`]) by
/// reset amount `d` (the `subtract` reset's) or to reset potential `r`.
#[inline(always)]
pub(crate) fn fire<F: Fam>(u: f32, th: f32, d: f32, r: f32) -> (f32, f32, f32) {
    let s = u - th;
    let z = neuron::spike(F::F, s, u, th);
    (s, z, neuron::reset(F::F, z, u, d, r))
}

/// Evaluates `$body` with `$o` bound to the constant [`Order`](snnc_ir::Order) equal to
/// `$order`, once per order: a loop in `$body` that passes `$o` to an inlined step then has
/// the order folded in, with no branch per element.
macro_rules! with_order {
    ($order:expr, |$o:ident| $body:expr) => {{
        match $order {
            snnc_ir::Order::FireThenIntegrate => {
                const $o: snnc_ir::Order = snnc_ir::Order::FireThenIntegrate;
                $body
            }
            snnc_ir::Order::IntegrateThenFire => {
                const $o: snnc_ir::Order = snnc_ir::Order::IntegrateThenFire;
                $body
            }
        }
    }};
}

pub(crate) use with_order;

/// The kind of cell a kernel computes, known at compile time: the integrate-and-fire cell
/// ([`Plain`]: `L(w) = w + x`, no current) or a leaky cell of SPEC §1.2. The leaky cells differ
/// in what their neurons share, so that a population whose neurons all have a current (or all
/// none) and all a leak pays for no per-neuron select: [`Lif`] (no current, every neuron
/// leaky), [`Cuba`] (every neuron with a current and a leak) and [`Mixed`] (anything else:
/// per-neuron selects). The backward kernels need only [`Lk::LEAKY`] and use [`Plain`] or
/// [`Mixed`].
pub(crate) trait Lk: Copy + Send + Sync {
    /// Whether the cell has a leak or a synaptic current.
    const LEAKY: bool;
    /// Whether every neuron's current is `α·u + x` (`Some(true)`), every neuron's is `x`
    /// (`Some(false)`), or each neuron's is picked by its α (`None`).
    const CURRENT: Option<bool>;
    /// Whether some neurons may integrate without a leak (β = γ = 1), picked per neuron.
    const SOME_PLAIN: bool;
    /// The value of the type, for kernels that take the kind as an argument.
    const IT: Self;
}

/// The integrate-and-fire cell (α = 0, β = γ = 1): the leak costs nothing.
#[derive(Clone, Copy)]
pub(crate) struct Plain;

/// A leaky cell without a synaptic current whose every neuron has a leak (β or γ ≠ 1):
/// `L(w) = v_leak + β·(w − v_leak) + γ·x`.
#[derive(Clone, Copy)]
pub(crate) struct Lif;

/// A leaky cell whose every neuron has a synaptic current (α ≠ 0) and a leak:
/// `u = α·u + x`, `L(w) = v_leak + β·(w − v_leak) + γ·u`.
#[derive(Clone, Copy)]
pub(crate) struct Cuba;

/// Any leaky cell: per neuron, the current is `x` where α = 0 and the integration `w + u`
/// where β = γ = 1, as the reference computes them (selects, not branches).
#[derive(Clone, Copy)]
pub(crate) struct Mixed;

impl Lk for Plain {
    const LEAKY: bool = false;
    const CURRENT: Option<bool> = Some(false);
    const SOME_PLAIN: bool = true;
    const IT: Self = Plain;
}

impl Lk for Lif {
    const LEAKY: bool = true;
    const CURRENT: Option<bool> = Some(false);
    const SOME_PLAIN: bool = false;
    const IT: Self = Lif;
}

impl Lk for Cuba {
    const LEAKY: bool = true;
    const CURRENT: Option<bool> = Some(true);
    const SOME_PLAIN: bool = false;
    const IT: Self = Cuba;
}

impl Lk for Mixed {
    const LEAKY: bool = true;
    const CURRENT: Option<bool> = None;
    const SOME_PLAIN: bool = true;
    const IT: Self = Mixed;
}

/// Whether kind `K` carries the synaptic current as a state.
#[inline(always)]
pub(crate) const fn has_state<K: Lk>() -> bool {
    !matches!(K::CURRENT, Some(false))
}

/// A cell's kind ([`Lk`]) as a value, found when the cell is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// [`Plain`].
    Plain,
    /// [`Lif`].
    Lif,
    /// [`Cuba`].
    Cuba,
    /// [`Mixed`].
    Mixed,
}

impl Kind {
    /// The kind of a cell with α `alpha`, β `beta`, γ `gamma` (one value per neuron) that is
    /// the IF cell unless `leaky`.
    pub(crate) fn of(leaky: bool, alpha: &[f32], beta: &[f32], gamma: &[f32]) -> Kind {
        if !leaky {
            return Kind::Plain;
        }
        let some_plain = beta.iter().zip(gamma).any(|(&b, &g)| b == 1.0 && g == 1.0);
        match (some_plain, alpha.iter().all(|&a| a == 0.0), alpha.iter().all(|&a| a != 0.0)) {
            (false, true, _) => Kind::Lif,
            (false, _, true) => Kind::Cuba,
            _ => Kind::Mixed,
        }
    }
}

/// Evaluates `$body` with the type `$k` bound to the [`Lk`] of `$kind` (a [`Kind`]): the
/// forward kernels, whose arithmetic each kind shortens.
macro_rules! with_kind {
    ($kind:expr, |$k:ident| $body:expr) => {{
        match $kind {
            $crate::family::Kind::Plain => {
                type $k = $crate::family::Plain;
                $body
            }
            $crate::family::Kind::Lif => {
                type $k = $crate::family::Lif;
                $body
            }
            $crate::family::Kind::Cuba => {
                type $k = $crate::family::Cuba;
                $body
            }
            $crate::family::Kind::Mixed => {
                type $k = $crate::family::Mixed;
                $body
            }
        }
    }};
}

pub(crate) use with_kind;

/// Evaluates `$body` with the type `$k` bound to [`Mixed`] when `$leaky`, else [`Plain`]: the
/// backward kernels, whose arithmetic is the same for every leaky kind.
macro_rules! with_leak {
    ($leaky:expr, |$k:ident| $body:expr) => {{
        if $leaky {
            type $k = $crate::family::Mixed;
            $body
        } else {
            type $k = $crate::family::Plain;
            $body
        }
    }};
}

pub(crate) use with_leak;

/// The synaptic current of a neuron with decay `a` for kind `K`: `a·u + x`, or `x` itself when
/// `a = 0` (the reference's rounding: one multiply, one add, in f32); for a [`Mixed`] cell a
/// select, not a branch.
#[inline(always)]
pub(crate) fn current<K: Lk>(a: f32, u: f32, x: f32) -> f32 {
    match K::CURRENT {
        Some(false) => x,
        Some(true) => a * u + x,
        None => {
            let c = a * u + x;
            if a == 0.0 {
                x
            } else {
                c
            }
        }
    }
}

/// Integrates potential `w` with current `u` for kind `K`: `w + u` for the IF cell (and for a
/// [`Mixed`] cell's neuron with β = γ = 1), else `(v_leak + β·(w − v_leak)) + γ·u`, each
/// operation rounded to f32 in the reference's order. For a [`Mixed`] cell both are computed
/// and selected per neuron, without a branch.
#[inline(always)]
pub(crate) fn integrate<K: Lk>(w: f32, u: f32, b: f32, g: f32, vl: f32) -> f32 {
    if !K::LEAKY {
        return w + u;
    }
    let leaky = (vl + b * (w - vl)) + g * u;
    if !K::SOME_PLAIN {
        return leaky;
    }
    let plain = w + u;
    if b == 1.0 && g == 1.0 {
        plain
    } else {
        leaky
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use snnc_ir::Family;

    /// Every family that [`Family::check`] accepts has exactly one member, computing its
    /// choices; every other family has none.
    #[test]
    fn members_are_the_checked_families() {
        let mut checked = 0;
        for &threshold in Threshold::ALL {
            for &reset in Reset::ALL {
                for &reset_grad in ResetGrad::ALL {
                    for &spikes in Spikes::ALL {
                        let f = Family { threshold, reset, reset_grad, spikes };
                        let m = MemberId::of(f);
                        assert_eq!(m.is_some(), f.check().is_ok(), "{f:?}");
                        if let Some(m) = m {
                            assert_eq!(m.family(), f);
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, MemberId::ALL.len());
        assert_eq!(checked, Family::members().len() + 1);
        assert_eq!(MemberId::of(Family::LI), Some(MemberId::Integrator));
        assert_eq!(MemberId::of(Family::NORSE), Some(MemberId::GtValue));
    }

    /// Each kind's shortened arithmetic is [`Mixed`]'s (the reference's) on the populations it
    /// is picked for.
    #[test]
    fn kinds_compute_what_mixed_computes() {
        let (a, b, g) = (vec![0.0, 0.0], vec![0.9, 1.0], vec![1.0, 0.5]);
        assert_eq!(Kind::of(false, &[0.0], &[1.0], &[1.0]), Kind::Plain);
        assert_eq!(Kind::of(true, &a, &b, &g), Kind::Lif);
        assert_eq!(Kind::of(true, &[0.8, 0.5], &b, &g), Kind::Cuba);
        assert_eq!(Kind::of(true, &[0.8, 0.0], &b, &g), Kind::Mixed);
        assert_eq!(Kind::of(true, &a, &[0.9, 1.0], &[1.0, 1.0]), Kind::Mixed);
        for (w, u, x) in [(0.3f32, -0.2f32, 0.7f32), (-1.5, 2.0, -0.0), (0.0, 0.0, 1e-3)] {
            for (a, b, g, vl) in [(0.0f32, 0.9f32, 0.5f32, 0.1f32), (0.8, 0.95, 1.0, -0.2)] {
                let m = integrate::<Mixed>(w, current::<Mixed>(a, u, x), b, g, vl);
                if a == 0.0 {
                    let l = integrate::<Lif>(w, current::<Lif>(a, u, x), b, g, vl);
                    assert_eq!(l.to_bits(), m.to_bits());
                } else {
                    let c = integrate::<Cuba>(w, current::<Cuba>(a, u, x), b, g, vl);
                    assert_eq!(c.to_bits(), m.to_bits());
                }
            }
        }
    }
}
