//! The layer builders of the `snn` spellings (a sequence op, a chain of step ops) and of
//! Norse's classic plain-export chain; the library spellings are in `export.rs`.

use snnc_ir::{DType, IafParams, Op, Order, TensorType, ValueId};

use super::spelling::{self, Spelling};
use super::{f32s, Builder, Signal};

/// What one layer leaves: its spikes and, where the spelling has it, its final potential.
pub(super) struct LayerOut {
    pub(super) z: Signal,
    pub(super) v_t: Option<ValueId>,
}

impl Builder {
    pub(super) fn sequence_layer(
        &mut self,
        x: &Signal,
        n: usize,
        p: &IafParams,
        rec: bool,
    ) -> LayerOut {
        let xs = self.seq_of(x);
        let k = self.features(x);
        let name = self.fresh("iaf");
        let v0 = if self.rng.chance(0.3) {
            let vname = self.fresh("v0");
            Some(
                self.g.add_input(&vname, TensorType::new(DType::F32, vec![self.b, n])).expect("v0"),
            )
        } else {
            None
        };
        let outs = if rec {
            let w = self.weight("w_in", &[n, k]);
            let r = self.weight("w_rec", &[n, n]);
            let ins = vec![Some(xs), Some(w), Some(r), v0];
            let vt = format!("{name}_vt");
            let names = [Some(name.as_str()), Some(vt.as_str())];
            self.g.add_node(&name, Op::IafRecurrent(p.clone()), ins, &names)
        } else {
            let vt = format!("{name}_vt");
            let mut ins = vec![Some(xs)];
            if v0.is_some() {
                ins.push(v0);
            }
            self.g.add_node(
                &name,
                Op::Iaf(p.clone()),
                ins,
                &[Some(name.as_str()), Some(vt.as_str())],
            )
        };
        let outs = outs.unwrap_or_else(|e| panic!("generator built an invalid layer: {e}"));
        LayerOut { z: Signal::Seq(outs[0].expect("z")), v_t: outs[1] }
    }

    /// [`Builder::sequence_layer`] in a batch-major case: the sequence op is time-major, so its
    /// input and spikes are transposed.
    pub(super) fn transposed_sequence_layer(
        &mut self,
        x: &Signal,
        n: usize,
        p: &IafParams,
        rec: bool,
    ) -> LayerOut {
        let s = self.seq_of(x);
        let tm = self.op(Op::Transpose { perm: vec![1, 0, 2] }, &[s], "tm");
        let out = self.sequence_layer(&Signal::Seq(tm), n, p, rec);
        let Signal::Seq(z) = out.z else { unreachable!("a sequence op gives a sequence") };
        let z = self.op(Op::Transpose { perm: vec![1, 0, 2] }, &[z], "bm");
        LayerOut { z: Signal::Seq(z), v_t: out.v_t }
    }

    pub(super) fn step_layer(
        &mut self,
        x: &Signal,
        n: usize,
        p: &IafParams,
        rec: bool,
    ) -> LayerOut {
        let xs = self.steps_of(x);
        let k = self.features(x);
        let mut v = self.initial_v(p, n);
        let (w, r) = if rec {
            (Some(self.weight("w_in", &[n, k])), Some(self.weight("w_rec", &[n, n])))
        } else {
            (None, None)
        };
        let mut z = if rec {
            Some(self.konst(f32s(&[self.b, n], vec![0.0; self.b * n]), "z0"))
        } else {
            None
        };
        let mut zs = Vec::new();
        for xt in xs {
            let name = self.fresh("step");
            let (zn, vn) = (format!("{name}_z"), format!("{name}_v"));
            let (op, ins) = if rec {
                (Op::IafStep(p.clone()), vec![Some(xt), z, Some(v), w, r])
            } else {
                (Op::IafFeedForwardStep(p.clone()), vec![Some(xt), Some(v)])
            };
            let outs = self
                .g
                .add_node(&name, op, ins, &[Some(zn.as_str()), Some(vn.as_str())])
                .unwrap_or_else(|e| panic!("generator built an invalid step: {e}"));
            let zt = outs[0].expect("z");
            zs.push(zt);
            z = Some(zt);
            v = outs[1].expect("v");
        }
        LayerOut { z: Signal::Steps(zs), v_t: Some(v) }
    }

    /// The plain-export spelling: per step `Sub(v, v_th) → Greater(0) → Cast → Sub(1, z) → Mul →
    /// Mul(z, v_reset) → Add`, with the exporter's habits at random: constants shared by value,
    /// the first step's `v_reset + x` folded when v_reset is 0, the last reset pruned when the
    /// final potential is not used, and `Greater(v, v_th)` without the `Sub` now and then.
    ///
    /// With a `spelling`, the layer is written in that library spelling instead
    /// ([`Builder::export_layer`]) from the same draws of the case's stream; `drawn_zero` says
    /// whether the reset potential drawn for the layer (before the spelling changed it) was 0.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn primitive_layer(
        &mut self,
        x: &Signal,
        n: usize,
        p: &IafParams,
        rec: bool,
        keep_v: bool,
        spelling: Option<Spelling>,
        drawn_zero: bool,
    ) -> LayerOut {
        if let Some(sp) = spelling {
            let k = self.features(x);
            // The classic spelling's draws, in its order: constant shapes, `Greater(v, v_th)`,
            // the folded first step, the weights.
            let (_scalar, _direct) = (self.rng.chance(0.6), self.rng.chance(0.3));
            let fold = drawn_zero && self.rng.chance(0.6);
            let fold = if drawn_zero { fold } else { self.spell.chance(0.6) };
            let t = matches!(sp.rec, Some((spelling::RecLinear::MatMul, _)));
            // Spike counts fed back through R grow without bound when R's gain (about
            // 0.5·√N here) exceeds 1, and then the potentials, a large multiple of v_th
            // subtracted from a large sum, are ill-conditioned at f32 precision (a one-ulp
            // nudge of the inputs moved case 112957's by 2.6 %): damp R by 1/√N for them.
            let damp =
                if sp.reset == spelling::ResetKind::Multi { 1.0 / (n as f32).sqrt() } else { 1.0 };
            let w = rec.then(|| {
                let w = self.weight_as("w_in", &[n, k], t, 1.0);
                (w, self.weight_as("w_rec", &[n, n], t, damp))
            });
            return self.export_layer(x, n, p, keep_v, sp, fold, w);
        }
        let xs = self.steps_of(x);
        let k = self.features(x);
        let scalar = self.rng.chance(0.6);
        let one = self.konst(f32s(&[], vec![1.0]), "one");
        let zero = self.konst(f32s(&[], vec![0.0]), "zero");
        let th = if scalar && p.v_th == [1.0] {
            one
        } else {
            let t = Self::per_neuron(&p.v_th, n, scalar);
            self.konst(t, "v_th")
        };
        let resets_to_zero = p.v_reset.iter().all(|&r| r == 0.0);
        let r = if resets_to_zero {
            None
        } else {
            let t = Self::per_neuron(&p.v_reset, n, scalar);
            Some(self.konst(t, "v_reset"))
        };
        let direct_compare = self.rng.chance(0.3);
        let fold_first = resets_to_zero && self.rng.chance(0.6);
        let (w, wr) = if rec {
            (Some(self.weight("w_in", &[n, k])), Some(self.weight("w_rec", &[n, n])))
        } else {
            (None, None)
        };
        let gemm = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true };
        let mut v: Option<ValueId> = None;
        let mut z_prev: Option<ValueId> = None;
        let mut zs = Vec::new();
        let last = xs.len() - 1;
        for (t, &xt) in xs.iter().enumerate() {
            let cur = match (w, wr, z_prev) {
                (Some(w), Some(wr), Some(zp)) => {
                    let a = self.op(gemm.clone(), &[xt, w], "wx");
                    let b = self.op(gemm.clone(), &[zp, wr], "rz");
                    self.op(Op::Add, &[a, b], "cur")
                }
                (Some(w), _, None) => self.op(gemm.clone(), &[xt, w], "wx"),
                _ => xt,
            };
            let v_prev = match v {
                Some(v) => Some(v),
                None if fold_first && p.order == Order::IntegrateThenFire => None,
                None => Some(self.initial_v(p, n)),
            };
            let fire = |bd: &mut Builder, u: ValueId, reset: bool| -> (ValueId, Option<ValueId>) {
                let c = if direct_compare {
                    bd.op(Op::Greater, &[u, th], "gt")
                } else {
                    let s = bd.op(Op::Sub, &[u, th], "s");
                    bd.op(Op::Greater, &[s, zero], "gt")
                };
                let z = bd.op(Op::Cast { to: DType::F32 }, &[c], "z");
                if !reset {
                    return (z, None);
                }
                let omz = bd.op(Op::Sub, &[one, z], "omz");
                let keep = bd.op(Op::Mul, &[omz, u], "keep");
                let vh = match r {
                    Some(r) => {
                        let rs = bd.op(Op::Mul, &[z, r], "rs");
                        bd.op(Op::Add, &[keep, rs], "vhat")
                    }
                    None => keep,
                };
                (z, Some(vh))
            };
            let (z, v_new) = match p.order {
                Order::IntegrateThenFire => {
                    let vi = match v_prev {
                        Some(vp) => self.op(Op::Add, &[vp, cur], "vi"),
                        None => cur,
                    };
                    fire(self, vi, t < last || keep_v)
                }
                Order::FireThenIntegrate => {
                    let vp = v_prev.expect("fire-then-integrate starts from a state");
                    let (z, vh) = fire(self, vp, t < last || keep_v);
                    (z, vh.map(|vh| self.op(Op::Add, &[vh, cur], "v")))
                }
            };
            zs.push(z);
            z_prev = Some(z);
            v = v_new;
        }
        LayerOut { z: Signal::Steps(zs), v_t: v }
    }
}
