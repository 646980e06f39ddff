//! `iaf-reroll`: a chain of T steps over consecutive rows of a sequence S is one sequence op
//! (`IAF`, or `IAFRecurrent` for recurrent steps) over S, and each step's spike is
//! `Gather(Z, t)` of its output, so the next layer's GEMM hoists too. The last step's state is
//! the op's V_T (and Z_T).
//!
//! The search walks the chains once per iteration ([`chains`]) and keeps the plans it found for
//! the applier, which egg runs right after the search of the same iteration.

use std::sync::{Arc, Mutex};

use egg::{Applier, Id, PatternAst, Rewrite, SearchMatches, Searcher, Subst, Symbol, Var};
use ndarray::{ArrayD, IxDyn};
use snnc_ir::{Order, Tensor, VOut};

use crate::analysis::{EGraph, SnnAnalysis};
use crate::lang::SnnNode;
use crate::rules::leak::cell::absorb;
use crate::rules::leak::ends::{fired as leak_fired, head as leak_head, tail as leak_tail};
use crate::rules::support::{add_checked, proj, ty, union, Rule};
use crate::rules::time::chain::has_current;
use crate::rules::time::chain::{all_steps, chains, follows, output};
use crate::rules::time::ends::{bare_spikes, head, tail, Head, Init, Widen};
use crate::rules::time::unstack::rows;
use crate::sym::{Bits, Neuron, Sym};

/// A chain to re-roll.
#[derive(Debug, Clone)]
struct Plan {
    seq: Id,
    neuron: Neuron,
    order: Order,
    /// Recurrent layers: (W, R).
    weights: Option<(Id, Id)>,
    first: i64,
    last: i64,
    v0: Init,
    /// Recurrent layers: the initial spikes (`None`: zero).
    z0: Option<Id>,
    /// Spike classes and their time index.
    spikes: Vec<(Id, i64)>,
    /// The tuple class of the last step, when it is a whole step (its state is the op's).
    end: Option<Id>,
    /// A cell with a synaptic current: its current before the first step (`None`: zero),
    /// and the per-neuron factor it is scaled by (a new `Mul`).
    u0: Option<(Id, Option<Vec<Bits>>)>,
    /// Constants a leaky head's readings absorbed (recorded as value-used).
    consts: Vec<Id>,
    /// A leaky chain's pruned last step: its potential before the reset (the op's V_T, which
    /// then reports v̂) and its current (U_T).
    leaky_end: Option<(Id, Option<Id>)>,
    /// The input, when it is not the rows of `seq` ([`Widen`]).
    widen: Option<Widen>,
}

fn plans(eg: &EGraph) -> Vec<Plan> {
    let steps = all_steps(eg);
    let mut bare = None;
    let mut fired = None;
    let mut out = Vec::new();
    for (seq, t0, chain) in chains(eg, &steps) {
        let (first, last) = (&steps[chain[0]], &steps[*chain.last().expect("non-empty")]);
        let t_end = t0 + chain.len() as i64 - 1;
        // The ends of a leaky chain: a folded first step from a constant state
        // (`leak::ends::head`), and a pruned last step read through its integration.
        let if_cell = first.neuron.is_if();
        let lhead = if if_cell { None } else { leak_head(eg, first, seq, t0) };
        let head = if if_cell {
            head(eg, first, seq, t0)
        } else {
            lhead.as_ref().map(|h| Head { t: h.t, v0: h.v0.clone(), z: Some(h.z), widen: None })
        };
        let mut leaky_end = None;
        // A recurrent chain's bare spike is its pruned last step only when no whole step
        // follows (every step's spike is a bare spike of the state before it too), and only
        // after a chain of two steps or more (with its head): a lone step with the next spike
        // is a pair of every two steps of a layer seen in its other update order, whose
        // recurrent input is its own spike, so it never chains. A leaky recurrent chain keeps
        // its last step whole.
        let v_end = output(eg, 1, last.tuple).map(|v| eg.find(v));
        let followed = last.rec.is_some()
            && (!if_cell
                || chain.len() + usize::from(head.is_some()) < 2
                || steps.iter().any(|n| Some(n.v) == v_end && follows(eg, last, n)));
        let tail = if followed || first.neuron.family.is_integrator() {
            // A leaky integrator's output 0 is its potential: no spike ends its chain.
            None
        } else if if_cell || first.order == Order::FireThenIntegrate {
            // Fire then integrate, the pruned step is a spike of the last state alone.
            let bare = bare.get_or_insert_with(|| bare_spikes(eg));
            tail(eg, bare, last, seq, t_end)
        } else {
            let fired = fired.get_or_insert_with(|| leak_fired(eg));
            leak_tail(eg, fired, last, seq, t_end).map(|t| {
                leaky_end = Some((t.vh, t.u));
                t.z
            })
        };
        if chain.len() + usize::from(head.is_some()) + usize::from(tail.is_some()) < 2 {
            continue;
        }
        let mut spikes = Vec::new();
        if let Some(z) = head.as_ref().and_then(|h| h.z) {
            spikes.push((z, t0 - 1));
        }
        for (k, &i) in chain.iter().enumerate() {
            if let Some(z) = output(eg, 0, steps[i].tuple) {
                spikes.push((z, t0 + k as i64));
            }
        }
        if let Some(z) = tail {
            spikes.push((z, t_end + 1));
        }
        out.push(Plan {
            seq,
            neuron: first.neuron.clone(),
            order: first.order,
            weights: first.rec.map(|(_, w, r)| (w, r)),
            first: head.as_ref().map_or(t0, |h| h.t),
            last: t_end + i64::from(tail.is_some()),
            v0: head.as_ref().map_or(Init::Class(first.v), |h| h.v0.clone()),
            z0: if head.is_some() { None } else { first.rec.map(|(z, _, _)| z) },
            spikes,
            end: tail.is_none().then_some(last.tuple),
            u0: match (&lhead, &head) {
                (Some(h), _) => h.u0.clone(),
                (None, Some(_)) => None,
                (None, None) => first.u.map(|u| (u, None)),
            },
            consts: lhead.map(|h| h.consts).unwrap_or_default(),
            leaky_end,
            widen: head.and_then(|h| h.widen),
        });
    }
    out
}

fn scalar_index(eg: &mut EGraph, t: i64) -> Id {
    let k = eg.analysis.leaves.intern(Tensor::I64(ArrayD::from_elem(IxDyn(&[]), t)));
    eg.add(SnnNode::leaf(Sym::Const(k)))
}

/// A zero potential [b, h] of the dtype of sequence `x`.
fn zeros(eg: &mut EGraph, x: Id, b: usize, h: usize) -> Id {
    let dtype = ty(eg, x).expect("typed").dtype;
    let k = eg.analysis.leaves.zeros(dtype, &[b, h]);
    eg.add(SnnNode::leaf(Sym::Const(k)))
}

/// A potential [b, h] of the dtype of sequence `x` filled with `v` (one value, or one per
/// neuron).
fn filled(eg: &mut EGraph, x: Id, b: usize, h: usize, v: &[Bits]) -> Id {
    let dtype = ty(eg, x).expect("typed").dtype;
    let arr = ArrayD::from_shape_fn(IxDyn(&[b, h]), |i| {
        f64::from(if v.len() == 1 { v[0] } else { v[i[1]] }.get())
    });
    let k = eg.analysis.leaves.intern(Tensor::from_f64(dtype, arr));
    eg.add(SnnNode::leaf(Sym::Const(k)))
}

/// Rows `first..=last` of `w.base` widened by a column per bias: ones where the first step adds
/// the bias, else 0 in the first row and 1 after it.
fn widened(eg: &mut EGraph, w: &Widen, first: i64, last: i64) -> Option<Id> {
    let len = (last - first + 1) as usize;
    let base = rows(eg, w.base, first, len as i64)?;
    let t = ty(eg, base)?.clone();
    let b = *t.shape.get(1)?;
    let mut parts = vec![base];
    for &has in &w.first_has {
        let mut col = ArrayD::from_elem(IxDyn(&[len, b, 1]), 1.0);
        if !has {
            col.slice_mut(ndarray::s![0, .., ..]).fill(0.0);
        }
        let k = eg.analysis.leaves.intern(Tensor::from_f64(t.dtype, col));
        parts.push(eg.add(SnnNode::leaf(Sym::Const(k))));
    }
    add_checked(eg, SnnNode::new(Sym::Concat(t.rank() as i64 - 1), parts))
}

fn apply(eg: &mut EGraph, p: &Plan) -> Vec<Id> {
    let x = match &p.widen {
        Some(w) => widened(eg, w, p.first, p.last),
        None => rows(eg, p.seq, p.first, p.last - p.first + 1),
    };
    let Some(x) = x else { return Vec::new() };
    let Some(b) = ty(eg, x).and_then(|t| t.shape.get(1).copied()) else { return Vec::new() };
    let h = match p.weights {
        Some((w, _)) => ty(eg, w).map(|t| t.shape[0]),
        None => ty(eg, x).map(|t| t.shape[2]),
    };
    let Some(h) = h else { return Vec::new() };
    let v0 = match p.v0 {
        Init::Default => None,
        Init::Class(c) => Some(c),
        Init::Sum(a, c) => match add_checked(eg, SnnNode::new(Sym::Add, vec![a, c])) {
            Some(sum) => Some(sum),
            None => return Vec::new(),
        },
        Init::Zeros => Some(zeros(eg, x, b, h)),
        Init::Fill(ref v) => Some(filled(eg, x, b, h, v)),
    };
    let mut neuron = p.neuron.clone();
    if p.leaky_end.is_some() {
        neuron.leak.1 = VOut::BeforeReset;
    }
    let absent = eg.add(SnnNode::leaf(Sym::Absent));
    absorb(eg, &p.consts);
    let u0 = match &p.u0 {
        Some((c, None)) => *c,
        Some((c, Some(k))) => {
            let dtype = ty(eg, x).expect("typed").dtype;
            let vals: Vec<f64> = k.iter().map(|b| f64::from(b.get())).collect();
            let shape = if vals.len() == 1 { vec![] } else { vec![vals.len()] };
            let arr = ArrayD::from_shape_vec(IxDyn(&shape), vals).expect("shape");
            let kc = eg.analysis.leaves.intern(Tensor::from_f64(dtype, arr));
            let kc = eg.add(SnnNode::leaf(Sym::Const(kc)));
            match add_checked(eg, SnnNode::new(Sym::Mul, vec![*c, kc])) {
                Some(m) => m,
                None => return Vec::new(),
            }
        }
        None => absent,
    };
    let u0 = if has_current(&neuron) { Some(u0) } else { None };
    let (sym, mut args) = match p.weights {
        None => {
            let mut args = vec![x, v0.unwrap_or(absent)];
            args.extend(u0);
            (Sym::Iaf(neuron, p.order), args)
        }
        Some((w, r)) => {
            let mut args = vec![x, w, r, v0.unwrap_or(absent), p.z0.unwrap_or(absent)];
            args.extend(u0);
            (Sym::IafRecurrent(neuron, p.order), args)
        }
    };
    while args.len() > 1 && args.last() == Some(&absent) {
        args.pop();
    }
    let u_index = if p.weights.is_some() { 3 } else { 2 };
    let node = SnnNode::new(sym, args);
    let Some(s) = add_checked(eg, node) else { return Vec::new() };
    let z = proj(eg, 0, s);
    let mut changed = Vec::new();
    for &(spike, t) in &p.spikes {
        let i = scalar_index(eg, t - p.first);
        if let Some(g) = add_checked(eg, SnnNode::new(Sym::Gather(0), vec![z, i])) {
            changed.extend(union(eg, spike, g));
        }
    }
    let current = has_current(&p.neuron);
    if let Some(end) = p.end {
        let (v_end, v_t) = (proj(eg, 1, end), proj(eg, 1, s));
        changed.extend(union(eg, v_end, v_t));
        if p.weights.is_some() {
            let (z_end, z_t) = (proj(eg, 0, end), proj(eg, 2, s));
            changed.extend(union(eg, z_end, z_t));
        }
        if current {
            let (u_end, u_t) = (proj(eg, 2, end), proj(eg, u_index, s));
            changed.extend(union(eg, u_end, u_t));
        }
    }
    if let Some((vh, u)) = p.leaky_end {
        let v_t = proj(eg, 1, s);
        changed.extend(union(eg, vh, v_t));
        if let (Some(u), true) = (u, current) {
            let u_t = proj(eg, u_index, s);
            changed.extend(union(eg, u, u_t));
        }
    }
    changed
}

type Store = Arc<Mutex<Vec<Plan>>>;

struct Search(Store, Var);
struct Apply(Store, Var);

impl Searcher<SnnNode, SnnAnalysis> for Search {
    fn search_eclass_with_limit(
        &self,
        _: &EGraph,
        _: Id,
        _: usize,
    ) -> Option<SearchMatches<'_, SnnNode>> {
        None
    }

    fn search_with_limit(&self, eg: &EGraph, limit: usize) -> Vec<SearchMatches<'_, SnnNode>> {
        let found = plans(eg);
        let matches = found
            .iter()
            .enumerate()
            .take(limit)
            .map(|(i, p)| {
                let mut s = Subst::with_capacity(1);
                s.insert(self.1, Id::from(i));
                SearchMatches { eclass: p.seq, substs: vec![s], ast: None }
            })
            .collect();
        *self.0.lock().expect("plans") = found;
        matches
    }

    fn vars(&self) -> Vec<Var> {
        Vec::new()
    }
}

impl Applier<SnnNode, SnnAnalysis> for Apply {
    fn apply_one(
        &self,
        eg: &mut EGraph,
        _: Id,
        s: &Subst,
        _: Option<&PatternAst<SnnNode>>,
        _: Symbol,
    ) -> Vec<Id> {
        // The match carries the plan's number, not an e-class.
        let i = usize::from(s[self.1]);
        let plan = self.0.lock().expect("plans").get(i).cloned();
        plan.map(|p| apply(eg, &p)).unwrap_or_default()
    }
}

/// The `iaf-reroll` rule.
pub fn rules() -> Vec<Rule> {
    let store: Store = Arc::default();
    let var: Var = "?plan".parse().expect("variable");
    vec![Rewrite::new("iaf-reroll", Search(store.clone(), var), Apply(store, var)).expect("rule")]
}
