//! A plain-export layer in one of the library spellings of [`Spelling`]: the primitive ops
//! SpikingJelly, snnTorch and sinabs exports are made of (see `models/family`), step by step.

use snnc_ir::{DType, IafParams, Op, Order, SliceSpec, ValueId};

use super::spelling::{Assoc, Compare, Read, RecLinear, ResetKind, Spelling, ThShape, Write};
use super::{f32s, Builder, LayerOut, Signal};

/// The constants one layer's steps share.
struct Consts {
    one: ValueId,
    zero: ValueId,
    th: ValueId,
    /// Whether `th` is the scalar 1 (where exporters fold `z·1` and `v / 1`).
    unit: bool,
    /// The reset potential where it is not 0.
    vr: Option<ValueId>,
}

/// The per-step recurrent maps: `W` and `R` and their biases.
struct Maps {
    w: ValueId,
    r: ValueId,
    lin: RecLinear,
    assoc: Assoc,
    bias: Option<(ValueId, ValueId)>,
}

impl Builder {
    /// A per-neuron constant of `values` (one, or one per neuron) shaped as `shape` says.
    fn shaped(&mut self, values: &[f32], n: usize, shape: ThShape, prefix: &str) -> ValueId {
        let at = |k: usize| values[if values.len() == 1 { 0 } else { k }];
        let t = match shape {
            ThShape::Scalar if values.len() == 1 => f32s(&[], vec![values[0]]),
            ThShape::Scalar | ThShape::N => f32s(&[n], (0..n).map(at).collect()),
            ThShape::OneN => f32s(&[1, n], (0..n).map(at).collect()),
            ThShape::OneOneN => f32s(&[1, 1, n], (0..n).map(at).collect()),
        };
        self.konst(t, prefix)
    }

    /// The step inputs of `x` read as `read` says.
    fn read_steps(&mut self, x: &Signal, read: Read) -> Vec<ValueId> {
        let axis = self.axis as i64;
        let slice = |t: usize, axis: i64| {
            Op::Slice(SliceSpec {
                starts: vec![t as i64],
                ends: vec![t as i64 + 1],
                axes: vec![axis],
                steps: vec![],
            })
        };
        match (x, read) {
            (_, Read::Gather) => self.steps_of(x),
            (Signal::Seq(s), Read::SliceSqueeze) => (0..self.t)
                .map(|t| {
                    let one = self.op(slice(t, axis), &[*s], "slice");
                    self.op(Op::Squeeze { axes: vec![axis] }, &[one], "getitem")
                })
                .collect(),
            (Signal::Steps(vs), Read::SliceSqueeze) => vs
                .iter()
                .map(|&v| {
                    let u = self.op(Op::Unsqueeze { axes: vec![0] }, &[v], "unsqueeze");
                    let one = self.op(slice(0, 0), &[u], "slice");
                    self.op(Op::Squeeze { axes: vec![0] }, &[one], "getitem")
                })
                .collect(),
            (Signal::Seq(s), Read::Keep) => {
                (0..self.t).map(|t| self.op(slice(t, 0), &[*s], "slice")).collect()
            }
            (Signal::Steps(vs), Read::Keep) => vs
                .iter()
                .map(|&v| self.op(Op::Unsqueeze { axes: vec![0] }, &[v], "unsqueeze"))
                .collect(),
        }
    }

    /// `a + b`, or `b + a` when `swapped`.
    fn add(&mut self, a: ValueId, b: ValueId, swapped: bool, prefix: &str) -> ValueId {
        let ins = if swapped { [b, a] } else { [a, b] };
        self.op(Op::Add, &ins, prefix)
    }

    /// `a · b`, or `b · a` when `swapped`.
    fn mul(&mut self, a: ValueId, b: ValueId, swapped: bool, prefix: &str) -> ValueId {
        let ins = if swapped { [b, a] } else { [a, b] };
        self.op(Op::Mul, &ins, prefix)
    }

    /// One linear map of a recurrent layer on a step value.
    fn rec_linear(
        &mut self,
        lin: RecLinear,
        a: ValueId,
        w: ValueId,
        b: Option<ValueId>,
    ) -> ValueId {
        let gemm = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true };
        match (lin, b) {
            (RecLinear::MatMul, _) => self.op(Op::MatMul, &[a, w], "matmul"),
            (_, Some(b)) => self.op(gemm, &[a, w, b], "gemm"),
            (_, None) => self.op(gemm, &[a, w], "gemm"),
        }
    }

    /// The potential after integrating step `xt` into `v` (absent: a folded first step), with
    /// the recurrent term of the previous spikes `z_prev` where there is one.
    fn integrate(
        &mut self,
        v: Option<ValueId>,
        xt: ValueId,
        z_prev: Option<ValueId>,
        maps: &Option<Maps>,
        swapped: bool,
    ) -> ValueId {
        let Some(m) = maps else {
            return match v {
                Some(v) => self.add(v, xt, swapped, "vi"),
                None => xt,
            };
        };
        let wx = self.rec_linear(m.lin, xt, m.w, m.bias.map(|b| b.0));
        let rz = z_prev.map(|z| self.rec_linear(m.lin, z, m.r, m.bias.map(|b| b.1)));
        match (m.assoc, v, rz) {
            (_, None, None) => wx,
            (_, None, Some(rz)) => self.add(wx, rz, swapped, "cur"),
            (_, Some(v), None) => self.add(v, wx, swapped, "vi"),
            (Assoc::CurrentFirst, Some(v), Some(rz)) => {
                let cur = self.add(wx, rz, swapped, "cur");
                self.add(v, cur, swapped, "vi")
            }
            (Assoc::StateFirst, Some(v), Some(rz)) => {
                let a = self.add(v, wx, swapped, "vi");
                self.add(a, rz, swapped, "vir")
            }
        }
    }

    /// The spikes of potential `u` as a float and the bool decision (absent for the
    /// multi-spike count, whose decision is no single comparison).
    fn fire(&mut self, u: ValueId, c: &Consts, sp: &Spelling) -> (ValueId, Option<ValueId>) {
        if sp.reset == ResetKind::Multi {
            let gt = self.op(Op::Greater, &[u, c.zero], "gt");
            let pos = self.op(Op::Cast { to: DType::F32 }, &[gt], "pos");
            let d = if c.unit { u } else { self.op(Op::Div, &[u, c.th], "d") };
            let a = self.op(Op::Abs, &[d], "abs");
            let f = self.op(Op::Floor, &[a], "floor");
            let s = self.op(Op::Sign, &[d], "sign");
            let trunc = self.op(Op::Mul, &[f, s], "trunc");
            return (self.op(Op::Mul, &[pos, trunc], "z"), None);
        }
        let cmp = match sp.compare {
            Compare::SubGreater | Compare::SubGreaterOrEqual => {
                let s = self.op(Op::Sub, &[u, c.th], "s");
                let op = if sp.compare == Compare::SubGreater {
                    Op::Greater
                } else {
                    Op::GreaterOrEqual
                };
                self.op(op, &[s, c.zero], "cmp")
            }
            Compare::Greater => self.op(Op::Greater, &[u, c.th], "gt"),
            Compare::GreaterOrEqual => self.op(Op::GreaterOrEqual, &[u, c.th], "ge"),
            Compare::Less => self.op(Op::Less, &[c.th, u], "lt"),
            Compare::LessOrEqual => self.op(Op::LessOrEqual, &[c.th, u], "le"),
        };
        (self.op(Op::Cast { to: DType::F32 }, &[cmp], "z"), Some(cmp))
    }

    /// The potential after the reset of `u` by spikes `z` (decision `cmp`).
    fn reset(
        &mut self,
        u: ValueId,
        z: ValueId,
        cmp: Option<ValueId>,
        c: &Consts,
        sp: &Spelling,
    ) -> ValueId {
        let sw = sp.swapped;
        match sp.reset {
            ResetKind::Value => {
                let omz = self.op(Op::Sub, &[c.one, z], "omz");
                let keep = self.mul(omz, u, sw, "keep");
                let r = match c.vr {
                    Some(vr) => Some(vr),
                    None if sp.zero_term => Some(c.zero),
                    None => None,
                };
                match r {
                    Some(r) => {
                        let rs = self.mul(z, r, sw, "rs");
                        self.add(keep, rs, sw, "vhat")
                    }
                    None => keep,
                }
            }
            ResetKind::SubZv => {
                let zv = self.mul(z, u, sw, "zv");
                self.op(Op::Sub, &[u, zv], "vhat")
            }
            ResetKind::Mask => {
                let eq = self.op(Op::Equal, &[z, c.zero], "eq");
                let m = self.op(Op::Cast { to: DType::F32 }, &[eq], "mask");
                self.mul(u, m, sw, "vhat")
            }
            ResetKind::Where => {
                let cond = match cmp {
                    Some(cmp) if !sw => cmp,
                    _ => self.op(Op::Cast { to: DType::Bool }, &[z], "fired"),
                };
                let r = c.vr.unwrap_or(c.zero);
                self.op(Op::Where, &[cond, r, u], "vhat")
            }
            ResetKind::Subtract | ResetKind::Multi | ResetKind::Late if !c.unit => {
                let zt = self.mul(z, c.th, sw, "zth");
                self.op(Op::Sub, &[u, zt], "vhat")
            }
            ResetKind::Subtract | ResetKind::Multi | ResetKind::Late | ResetKind::SubtractOne => {
                self.op(Op::Sub, &[u, z], "vhat")
            }
            ResetKind::NoReset => u,
        }
    }

    /// A plain-export layer in spelling `sp` (see [`Spelling`]) with parameters `p` (already
    /// as the spelling writes them): per step the read, the integration (with `w`'s recurrent
    /// maps), the comparison and the reset, the last reset pruned unless `keep_v`; the first
    /// integrate-then-fire step from a zero state folded to `x₀` when `fold`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn export_layer(
        &mut self,
        x: &Signal,
        n: usize,
        p: &IafParams,
        keep_v: bool,
        sp: Spelling,
        fold: bool,
        w: Option<(ValueId, ValueId)>,
    ) -> LayerOut {
        let unit = p.v_th == [1.0] && sp.th == ThShape::Scalar;
        let one = self.konst(f32s(&[], vec![1.0]), "one");
        let zero = self.konst(f32s(&[], vec![0.0]), "zero");
        let th = if unit && sp.shared_one { one } else { self.shaped(&p.v_th, n, sp.th, "v_th") };
        let vr = match sp.reset {
            ResetKind::Value | ResetKind::Where if p.v_reset.iter().any(|&r| r != 0.0) => {
                Some(self.shaped(&p.v_reset, n, sp.th, "v_reset"))
            }
            _ => None,
        };
        let c = Consts { one, zero, th, unit, vr };
        let maps = match (w, sp.rec) {
            (Some((w, r)), Some((lin, assoc))) => {
                let bias = (lin == RecLinear::GemmBias).then(|| {
                    let b = f32s(&[n], (0..n).map(|_| self.spell.f32_in(-0.2, 0.4)).collect());
                    let br = f32s(&[n], (0..n).map(|_| self.spell.f32_in(-0.2, 0.4)).collect());
                    (self.init("b_in", b), self.init("b_rec", br))
                });
                Some(Maps { w, r, lin, assoc, bias })
            }
            _ => None,
        };
        let xs = self.read_steps(x, sp.read);
        let keep = sp.read == Read::Keep;
        let zero_state = p.v_reset.iter().all(|&r| r == 0.0);
        let fold = fold && zero_state && p.order == Order::IntegrateThenFire;
        let v_init = |bd: &mut Builder| {
            let v = bd.initial_v(p, n);
            if keep {
                bd.op(Op::Unsqueeze { axes: vec![0] }, &[v], "v_init")
            } else {
                v
            }
        };
        let mut v: Option<ValueId> = if fold { None } else { Some(v_init(self)) };
        let mut z_prev: Option<ValueId> = None;
        let mut zs = Vec::new();
        let last = xs.len() - 1;
        for (t, &xt) in xs.iter().enumerate() {
            let resets = t < last || keep_v;
            let (z, v_new) = match (p.order, sp.reset) {
                (_, ResetKind::Late) => {
                    // (v + I) − z_{t−1}·v_th: the state is the potential before the reset.
                    let mut u = self.integrate(v, xt, z_prev, &maps, sp.swapped);
                    if let Some(zp) = z_prev {
                        u = self.reset(u, zp, None, &c, &sp);
                    }
                    (self.fire(u, &c, &sp).0, Some(u))
                }
                (Order::IntegrateThenFire, _) => {
                    let u = self.integrate(v, xt, z_prev, &maps, sp.swapped);
                    let (z, cmp) = self.fire(u, &c, &sp);
                    (z, resets.then(|| self.reset(u, z, cmp, &c, &sp)))
                }
                (Order::FireThenIntegrate, _) => {
                    let vp = v.expect("fire-then-integrate starts from a state");
                    let (z, cmp) = self.fire(vp, &c, &sp);
                    let v_new = resets.then(|| {
                        let vh = self.reset(vp, z, cmp, &c, &sp);
                        self.integrate(Some(vh), xt, z_prev, &maps, sp.swapped)
                    });
                    (z, v_new)
                }
            };
            zs.push(z);
            z_prev = Some(z);
            v = v_new;
        }
        if keep {
            let z = self.op(Op::Concat { axis: 0 }, &zs, "spikes");
            return LayerOut { z: Signal::Seq(z), v_t: v };
        }
        if sp.write == Write::UnsqueezeGather {
            zs = zs
                .into_iter()
                .map(|z| {
                    let u = self.op(Op::Unsqueeze { axes: vec![0] }, &[z], "unsqueeze");
                    let i = self.index(0);
                    self.op(Op::Gather { axis: 0 }, &[u, i], "select")
                })
                .collect();
        }
        LayerOut { z: Signal::Steps(zs), v_t: v }
    }
}
