//! What the rule families share: custom rewrites written as Rust functions, and queries on
//! e-classes (their nodes, known values, types).

use std::sync::Arc;

use egg::{Applier, Id, PatternAst, Rewrite, SearchMatches, Searcher, Subst, Symbol, Var};
use snnc_ir::{infer_types, Tensor, TensorType};

use crate::analysis::{EGraph, SnnAnalysis};
use crate::lang::{Kind, SnnNode};
use crate::sym::Sym;

/// A rewrite of the optimizer.
pub type Rule = Rewrite<SnnNode, SnnAnalysis>;

type Find = dyn Fn(&EGraph, Id) -> Vec<Vec<Id>> + Send + Sync;
type Apply = dyn Fn(&mut EGraph, Id, &[Id]) -> Vec<Id> + Send + Sync;

/// How many ids one match of a custom rule may carry.
const SLOTS: usize = 24;

fn var(i: usize) -> Var {
    format!("?m{i}").parse().expect("valid variable name")
}

/// The searcher of a custom rule: `find` lists the matches in one e-class (each a list of
/// ids), over the classes that contain a node of kind `kind` (all classes when `None`).
struct FnSearcher {
    kind: Option<Kind>,
    find: Arc<Find>,
    vars: Vec<Var>,
}

impl Searcher<SnnNode, SnnAnalysis> for FnSearcher {
    fn search_eclass_with_limit(
        &self,
        egraph: &EGraph,
        eclass: Id,
        limit: usize,
    ) -> Option<SearchMatches<'_, SnnNode>> {
        let substs: Vec<Subst> = (self.find)(egraph, eclass)
            .into_iter()
            .take(limit)
            .map(|ids| {
                let mut s = Subst::with_capacity(ids.len());
                for (i, id) in ids.into_iter().enumerate().take(SLOTS) {
                    s.insert(self.vars[i], id);
                }
                s
            })
            .collect();
        (!substs.is_empty()).then_some(SearchMatches { eclass, substs, ast: None })
    }

    fn search_with_limit(
        &self,
        egraph: &EGraph,
        mut limit: usize,
    ) -> Vec<SearchMatches<'_, SnnNode>> {
        let classes: Vec<Id> = match &self.kind {
            Some(k) => egraph.classes_for_op(k).map(|it| it.collect()).unwrap_or_default(),
            None => egraph.classes().map(|c| c.id).collect(),
        };
        let mut out = Vec::new();
        for c in classes {
            if limit == 0 {
                break;
            }
            if let Some(m) = self.search_eclass_with_limit(egraph, c, limit) {
                limit -= m.substs.len();
                out.push(m);
            }
        }
        out
    }

    fn vars(&self) -> Vec<Var> {
        Vec::new()
    }
}

/// The applier of a custom rule: `apply` gets the matched class and the match's ids and returns
/// the classes it changed (unions that merged something), which egg counts as firings.
struct FnApplier {
    apply: Arc<Apply>,
    vars: Vec<Var>,
}

impl Applier<SnnNode, SnnAnalysis> for FnApplier {
    fn apply_one(
        &self,
        egraph: &mut EGraph,
        eclass: Id,
        subst: &Subst,
        _ast: Option<&PatternAst<SnnNode>>,
        _rule: Symbol,
    ) -> Vec<Id> {
        let ids: Vec<Id> = self.vars.iter().map_while(|&v| subst.get(v).copied()).collect();
        (self.apply)(egraph, eclass, &ids)
    }
}

/// A named rewrite from two functions: `find` lists matches (lists of up to 24 ids) in a class
/// that contains a node of `kind`, `apply` adds and unions.
pub fn custom(
    name: &str,
    kind: Option<Sym>,
    find: impl Fn(&EGraph, Id) -> Vec<Vec<Id>> + Send + Sync + 'static,
    apply: impl Fn(&mut EGraph, Id, &[Id]) -> Vec<Id> + Send + Sync + 'static,
) -> Rule {
    let vars: Vec<Var> = (0..SLOTS).map(var).collect();
    let searcher =
        FnSearcher { kind: kind.as_ref().map(Kind::of), find: Arc::new(find), vars: vars.clone() };
    let applier = FnApplier { apply: Arc::new(apply), vars };
    Rewrite::new(name, searcher, applier).expect("custom rules bind no pattern variables")
}

/// The nodes of class `c` with an operator matching `pred`.
pub fn nodes<'a>(
    eg: &'a EGraph,
    c: Id,
    pred: impl Fn(&Sym) -> bool + 'a,
) -> impl Iterator<Item = &'a SnnNode> + 'a {
    eg[c].nodes.iter().filter(move |n| pred(&n.sym))
}

/// The children of every node of class `c` whose operator equals `sym` (with `arity` children).
pub fn args_of(eg: &EGraph, c: Id, sym: &Sym, arity: usize) -> Vec<Vec<Id>> {
    nodes(eg, c, |s| s == sym)
        .filter(|n| n.args.len() == arity)
        .map(|n| n.args.iter().map(|&a| eg.find(a)).collect())
        .collect()
}

/// The known value of class `c`.
pub fn value(eg: &EGraph, c: Id) -> Option<&Tensor> {
    eg[c].data.value.as_deref()
}

/// The value of class `c` when a rule may absorb it: known, and computed from no trainable
/// parameter ([`crate::consts::is_parameter`]; the class is foldable). A rule that reads a
/// value to drop or rewrite the operand holding it (`x + 0 → x`, a threshold becoming an
/// attribute) uses this, never [`value`]: the dropped operand's gradient would be lost, so a
/// zero-initialised bias or a gain of ones stays in the graph and keeps its gradient.
pub fn constant(eg: &EGraph, c: Id) -> Option<&Tensor> {
    let d = &eg[c].data;
    if d.foldable {
        d.value.as_deref()
    } else {
        None
    }
}

/// The type of a single-output class.
pub fn ty(eg: &EGraph, c: Id) -> Option<&TensorType> {
    eg[c].data.single()
}

/// The value of class `c` as an i64 scalar (a time index).
pub fn index_of(eg: &EGraph, c: Id) -> Option<i64> {
    let v = value(eg, c)?;
    (v.shape().is_empty()).then(|| v.as_i64_vec()).flatten().map(|v| v[0])
}

/// Which operands of node `n` a layout change of its result (a reshape, a transpose) moves
/// to: `true` for those of the result's `shape`, `false` for those `kept` accepts (values that
/// broadcast the same way in any layout); `None` when another operand exists or none moves.
pub fn moved_operands(
    eg: &EGraph,
    n: &SnnNode,
    shape: &[usize],
    kept: impl Fn(Id) -> bool,
) -> Option<Vec<bool>> {
    let flags: Option<Vec<bool>> = n
        .args
        .iter()
        .map(|&a| match ty(eg, a) {
            Some(t) if t.shape == shape => Some(true),
            _ if kept(a) => Some(false),
            _ => None,
        })
        .collect();
    flags.filter(|f| f.iter().any(|&b| b))
}

/// Adds `node` if its children's types fit its operator (so no rule can add an ill-typed
/// node), returning its class.
pub fn add_checked(eg: &mut EGraph, node: SnnNode) -> Option<Id> {
    if let Some(op) = node.sym.typing_op() {
        let tys: Vec<Option<&TensorType>> =
            node.args.iter().map(|&a| eg[a].data.single()).collect();
        infer_types(&op, &tys).ok()?;
    }
    Some(eg.add(node))
}

/// Unions `a` and `b` when they have the same type(s), returning the class when that merged
/// two classes. The type check keeps a rule's mistake from merging values of different shapes.
pub fn union(eg: &mut EGraph, a: Id, b: Id) -> Option<Id> {
    if eg[a].data.types != eg[b].data.types {
        debug_assert!(false, "a rule unions {:?} with {:?}", eg[a].data.types, eg[b].data.types);
        return None;
    }
    eg.union(a, b).then(|| eg.find(a))
}

/// Whether two classes are the same (canonical ids agree).
pub fn same(eg: &EGraph, a: Id, b: Id) -> bool {
    eg.find(a) == eg.find(b)
}

/// Output `i` of tuple class `t`, added if needed.
pub fn proj(eg: &mut EGraph, i: u32, t: Id) -> Id {
    eg.add(SnnNode::proj(i, t))
}

/// The tuple class whose output `i` class `c` is, for every such projection in `c`.
pub fn proj_sources(eg: &EGraph, c: Id, i: u32) -> Vec<Id> {
    nodes(eg, c, |s| *s == Sym::Proj(i)).map(|n| eg.find(n.args[0])).collect()
}

/// Records the initializers of class `c` as value-used ([`crate::analysis::Leaves`]): a rule
/// absorbed their value (into an attribute, or by an identity), so the optimized graph holds
/// them as constants, with no gradient entry of a parameter that only some uses still read.
pub fn mark_value_used(eg: &mut EGraph, c: Id) {
    let inits: Vec<u32> = eg[c]
        .nodes
        .iter()
        .filter_map(|n| if let Sym::Init(i) = n.sym { Some(i) } else { None })
        .collect();
    eg.analysis.leaves.value_used.extend(inits);
}

/// Every `Add` that class `c` is an operand of: (the sum's class, the other operand's class),
/// found through c's parents.
pub fn add_parents(eg: &EGraph, c: Id) -> Vec<(Id, Id)> {
    let c = eg.find(c);
    let mut out = Vec::new();
    for p in eg[c].parents() {
        let n = eg.id_to_node(p);
        if n.sym != Sym::Add || n.args.len() != 2 {
            continue;
        }
        let (a, b) = (eg.find(n.args[0]), eg.find(n.args[1]));
        let sum = eg.find(p);
        if a == c {
            out.push((sum, b));
        }
        if b == c {
            out.push((sum, a));
        }
    }
    out
}
