//! Affine forms: an e-class read as `Σ kᵢ·leafᵢ + δ`, collected from the `Add`, `Sub`, `Neg`
//! nodes below it and from its products (and quotients) by constants, over a bounded depth.
//!
//! A coefficient is one value or one per neuron ([`per_neuron`]); only constants that hold no
//! trainable parameter count ([`crate::rules::support::constant`]), so a decay computed from a
//! trained parameter is a leaf, never a coefficient. Leaves are classes of the root's own type
//! (a broadcast operand is no leaf). Every class may stay a leaf or be expanded through any of
//! its nodes, so a class has several forms; the leaky rules look for those with two leaves (the
//! previous potential and the step's current) or three (a recurrent current).
//!
//! Coefficients are combined in f64: the rules round them to the cell's f32 parameters once,
//! where the export rounds every intermediate product. The two differ by an ulp or so, which
//! SPEC §5 allows for potentials (and for spikes only at the threshold).

use std::collections::HashMap;

use egg::Id;
use snnc_ir::TensorType;

use crate::analysis::EGraph;
use crate::rules::reset::per_neuron;
use crate::rules::support::{ty, value};
use crate::sym::Sym;

/// At most this many forms are kept per class and depth.
const CAP: usize = 48;

/// Forms with more leaves than this are dropped while combining.
const MAX_LEAVES: usize = 3;

/// One value, or one per neuron.
pub type Coef = Vec<f64>;

fn zip(a: &Coef, b: &Coef, f: impl Fn(f64, f64) -> f64) -> Coef {
    match (a.len(), b.len()) {
        (1, _) => b.iter().map(|&y| f(a[0], y)).collect(),
        (_, 1) => a.iter().map(|&x| f(x, b[0])).collect(),
        _ => a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect(),
    }
}

/// Whether every neuron's value of `c` is `x`.
pub fn all(c: &Coef, x: f64) -> bool {
    c.iter().all(|&v| v == x)
}

/// `Σ kᵢ·leafᵢ + offset`.
#[derive(Debug, Clone, PartialEq)]
pub struct Affine {
    /// The leaves with their coefficients, sorted by class, each class once.
    pub terms: Vec<(Id, Coef)>,
    /// The constant term δ.
    pub offset: Coef,
    /// The constant classes whose values the form absorbed (for
    /// [`crate::rules::support::mark_value_used`]).
    pub consts: Vec<Id>,
}

impl Affine {
    fn leaf(c: Id) -> Self {
        Affine { terms: vec![(c, vec![1.0])], offset: vec![0.0], consts: Vec::new() }
    }

    fn constant(k: Coef, c: Id) -> Self {
        Affine { terms: Vec::new(), offset: k, consts: vec![c] }
    }

    fn scale(&self, k: &Coef, c: Id) -> Self {
        let mul = |a: f64, b: f64| a * b;
        let mut consts = self.consts.clone();
        consts.push(c);
        Affine {
            terms: self.terms.iter().map(|(i, v)| (*i, zip(v, k, mul))).collect(),
            offset: zip(&self.offset, k, mul),
            consts,
        }
    }

    /// `self + sign·other`.
    fn plus(&self, other: &Affine, sign: f64) -> Self {
        let mut terms = self.terms.clone();
        for (i, v) in &other.terms {
            match terms.iter_mut().find(|(j, _)| j == i) {
                Some((_, w)) => *w = zip(w, v, |a, b| a + sign * b),
                None => terms.push((*i, v.iter().map(|b| sign * b).collect())),
            }
        }
        terms.sort_by_key(|t| t.0);
        let mut consts = self.consts.clone();
        consts.extend(&other.consts);
        Affine { terms, offset: zip(&self.offset, &other.offset, |a, b| a + sign * b), consts }
    }

    /// The coefficient of leaf `c`.
    pub fn coef(&self, c: Id) -> Option<&Coef> {
        self.terms.iter().find(|t| t.0 == c).map(|t| &t.1)
    }

    /// The leaves, in order.
    pub fn leaves(&self) -> Vec<Id> {
        self.terms.iter().map(|t| t.0).collect()
    }
}

/// The forms of classes of one type (the root's), memoized for one search.
pub struct Forms<'a> {
    eg: &'a EGraph,
    ty: TensorType,
    neurons: usize,
    memo: HashMap<(Id, usize), Vec<Affine>>,
}

impl<'a> Forms<'a> {
    /// Forms whose leaves have the type of class `root` (a potential [B, N]); `None` when it
    /// has no such type.
    pub fn new(eg: &'a EGraph, root: Id) -> Option<Self> {
        let ty = ty(eg, root)?.clone();
        if !ty.dtype.is_float() {
            return None;
        }
        let neurons = *ty.shape.last()?;
        Some(Forms { eg, ty, neurons, memo: HashMap::new() })
    }

    /// The per-neuron value of `c` when it is an absorbable constant.
    fn constant(&self, c: Id) -> Option<Coef> {
        per_neuron(self.eg, c, self.neurons)
            .map(|v| v.into_iter().map(|b| f64::from(b.get())).collect())
    }

    /// The forms of class `c` expanded at most `depth` nodes deep: `c` itself as a leaf (when
    /// it has the root's type), then the expansions through each of its nodes.
    pub fn of(&mut self, c: Id, depth: usize) -> Vec<Affine> {
        let eg = self.eg;
        let c = eg.find(c);
        if let Some(f) = self.memo.get(&(c, depth)) {
            return f.clone();
        }
        let mut out = Vec::new();
        if let Some(k) = self.constant(c) {
            out.push(Affine::constant(k, c));
        } else {
            if ty(eg, c) == Some(&self.ty) {
                out.push(Affine::leaf(c));
            }
            // A known value (a zero state stored as an initializer) is a leaf, and a constant's
            // class can hold thousands of nodes.
            if depth > 0 && value(eg, c).is_none() {
                let nodes: Vec<(Sym, Vec<Id>)> =
                    eg[c].nodes.iter().map(|n| (n.sym.clone(), n.args.clone())).collect();
                for (sym, args) in nodes {
                    self.expand(&sym, &args, depth - 1, &mut out);
                    if out.len() >= CAP {
                        break;
                    }
                }
            }
        }
        let mut kept: Vec<Affine> = Vec::new();
        for f in out {
            if f.terms.len() <= MAX_LEAVES && !kept.contains(&f) && kept.len() < CAP {
                kept.push(f);
            }
        }
        self.memo.insert((c, depth), kept.clone());
        kept
    }

    fn expand(&mut self, sym: &Sym, args: &[Id], d: usize, out: &mut Vec<Affine>) {
        match (sym, args) {
            (Sym::Add | Sym::Sub, &[a, b]) => {
                let sign = if *sym == Sym::Add { 1.0 } else { -1.0 };
                let (fa, fb) = (self.of(a, d), self.of(b, d));
                for x in &fa {
                    for y in &fb {
                        let shared = y.terms.iter().filter(|t| x.coef(t.0).is_some()).count();
                        if x.terms.len() + y.terms.len() - shared <= MAX_LEAVES {
                            out.push(x.plus(y, sign));
                        }
                    }
                }
            }
            (Sym::Neg, &[a]) => {
                let zero = Affine { terms: Vec::new(), offset: vec![0.0], consts: Vec::new() };
                out.extend(self.of(a, d).iter().map(|f| zero.plus(f, -1.0)));
            }
            (Sym::Mul, &[a, b]) => {
                for (k, x) in [(a, b), (b, a)] {
                    if let Some(kv) = self.constant(k) {
                        out.extend(self.of(x, d).iter().map(|f| f.scale(&kv, k)));
                        break;
                    }
                }
            }
            (Sym::Div, &[a, b]) => {
                if let Some(kv) = self.constant(b).filter(|k| k.iter().all(|&x| x != 0.0)) {
                    let inv: Coef = kv.iter().map(|x| 1.0 / x).collect();
                    out.extend(self.of(a, d).iter().map(|f| f.scale(&inv, b)));
                }
            }
            _ => {}
        }
    }
}
