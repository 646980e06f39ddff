//! The e-class analysis: type, constant value, "is binary 0/1" and "depends on neuron state".

use std::collections::HashMap;
use std::sync::Arc;

use egg::{Analysis, DidMerge, Id};
use snnc_ir::{infer_types, DType, Spikes, Tensor, TensorType};

use crate::consts::{eval, is_binary, is_parameter, key};
use crate::lang::SnnNode;
use crate::sym::Sym;

/// The e-graph type used throughout the optimizer.
pub type EGraph = egg::EGraph<SnnNode, SnnAnalysis>;

/// What is known about every value in an e-class.
#[derive(Debug, Clone)]
pub struct Data {
    /// The class's type; a tuple class (a multi-output op) has one type per output, an
    /// [`Sym::Absent`] class none.
    pub types: Vec<TensorType>,
    /// Per output: every element is 0 or 1 (spikes, comparisons, 0/1 constants).
    pub binary: Vec<bool>,
    /// The value, when it is known: an initializer, a constant, or a small foldable result.
    pub value: Option<Arc<Tensor>>,
    /// The value can be materialized as a new constant: it depends on no parameter
    /// ([`is_parameter`]) and no input.
    pub foldable: bool,
    /// The value depends on neuron state: it is computed from a spike decision (Θ, or a
    /// comparison, which spells Θ in plain exports) or from an output of a spike-and-reset,
    /// step or sequence op. A class with any state-free member is state-free. The recurrent step
    /// rules require their recurrent operand to be binary state (the previous step's spikes).
    pub state: bool,
    /// The value is computed from a float initializer that is a tensor, not a scalar (a bias or
    /// threshold vector, even of a single element, which the rules may read as a constant): a
    /// constant leaf for it would take that initializer's gradient away from the uses the graph
    /// still has, so `const-fold` leaves it. Scalar initializers are the exporters' literals
    /// (1, 0, v_th), folded as before. A class with any member computed without one has none.
    pub init: bool,
}

impl Data {
    /// The type of a single-output class. Panics on a tuple or absent class (a rule bug).
    pub fn ty(&self) -> &TensorType {
        &self.types[0]
    }

    /// The type of a single-output class, if it is one.
    pub fn single(&self) -> Option<&TensorType> {
        (self.types.len() == 1).then(|| &self.types[0])
    }

    /// Whether a single-output class is binary.
    pub fn is_binary(&self) -> bool {
        self.types.len() == 1 && self.binary[0]
    }
}

/// The leaves the e-graph refers to by number: graph inputs, initializers, interned constants.
#[derive(Debug, Default, Clone)]
pub struct Leaves {
    /// Graph inputs: name and type.
    pub inputs: Vec<(String, TensorType)>,
    /// Initializers of the imported graph: name and value.
    pub inits: Vec<(String, Arc<Tensor>)>,
    /// Constants: `Constant` node values and folded values.
    pub consts: Vec<Arc<Tensor>>,
    /// Initializers whose value an identity rewrite relied on (`x + 0 = x`, `x · 0 = 0`, …).
    /// Such an initializer is dropped from some paths and kept on others, so a gradient with
    /// respect to it would be partial: the optimized graph holds it as a constant.
    pub value_used: std::collections::BTreeSet<u32>,
    const_ids: HashMap<(DType, Vec<usize>, Vec<u64>), u32>,
    /// The zero constant of each type, once interned.
    zero_ids: HashMap<(DType, Vec<usize>), u32>,
}

impl Leaves {
    /// The number of constant `t` (equal constants share one number).
    pub fn intern(&mut self, t: Tensor) -> u32 {
        let k = key(&t);
        if let Some(&i) = self.const_ids.get(&k) {
            return i;
        }
        let i = self.consts.len() as u32;
        self.consts.push(Arc::new(t));
        self.const_ids.insert(k, i);
        i
    }

    /// The number of the all-zero constant of `dtype` and `shape` ([`Leaves::intern`] of
    /// `Tensor::zeros`, built once per type: rules ask for it on every match).
    pub fn zeros(&mut self, dtype: DType, shape: &[usize]) -> u32 {
        if let Some(&i) = self.zero_ids.get(&(dtype, shape.to_vec())) {
            return i;
        }
        let i = self.intern(Tensor::zeros(dtype, shape));
        self.zero_ids.insert((dtype, shape.to_vec()), i);
        i
    }
}

/// The analysis, holding the leaf tables.
#[derive(Debug, Default, Clone)]
pub struct SnnAnalysis {
    /// Inputs, initializers and constants.
    pub leaves: Leaves,
}

fn leaf_data(t: &Arc<Tensor>, foldable: bool, init: bool) -> Data {
    Data {
        types: vec![t.tensor_type()],
        binary: vec![is_binary(t)],
        value: Some(t.clone()),
        foldable,
        state: false,
        init,
    }
}

fn invalid() -> Data {
    Data {
        types: Vec::new(),
        binary: Vec::new(),
        value: None,
        foldable: false,
        state: false,
        init: false,
    }
}

/// Per output, whether the op's result is binary given its children's data.
fn binary_outputs(sym: &Sym, kids: &[&Data]) -> Vec<bool> {
    let bin = |i: usize| kids.get(i).is_some_and(|d| d.is_binary());
    let one = |i: usize| {
        kids.get(i).and_then(|d| d.value.as_ref()).is_some_and(|v| crate::consts::all_equal(v, 1.0))
    };
    match sym {
        Sym::Spike(..)
        | Sym::Greater
        | Sym::Less
        | Sym::GreaterOrEqual
        | Sym::LessOrEqual
        | Sym::Equal
        | Sym::Not => vec![true],
        // A multi-spike cell's z counts spikes: it is no 0/1 tensor.
        Sym::SpikeReset(p) | Sym::Iaf(p, _) | Sym::FfStep(p, _) | Sym::RecStep(p, _) => {
            vec![p.family.spikes == Spikes::Single, false]
        }
        Sym::IafRecurrent(p, _) => {
            let single = p.family.spikes == Spikes::Single;
            vec![single, false, single]
        }
        Sym::Cast(_)
        | Sym::Gather(_)
        | Sym::Unsqueeze(_)
        | Sym::Squeeze(_)
        | Sym::Reshape(_)
        | Sym::Transpose(_)
        | Sym::Identity
        | Sym::Detach
        | Sym::Relu => {
            vec![bin(0) || kids.first().is_some_and(|d| d.types[0].dtype == DType::Bool)]
        }
        Sym::Concat(_) => vec![!kids.is_empty() && (0..kids.len()).all(bin)],
        // The largest of 0/1 values is 0 or 1 (a window never lies wholly in the padding).
        Sym::Pool(p) if p.kind == snnc_ir::PoolKind::Max => vec![bin(0)],
        Sym::Mul => vec![bin(0) && bin(1)],
        Sym::Where => vec![bin(1) && bin(2)],
        Sym::Sub => vec![one(0) && bin(1)],
        _ => vec![false],
    }
}

impl Analysis<SnnNode> for SnnAnalysis {
    type Data = Data;

    fn make(egraph: &mut EGraph, enode: &SnnNode, _id: Id) -> Data {
        let leaves = &egraph.analysis.leaves;
        match &enode.sym {
            Sym::Input(i) => {
                let ty = leaves.inputs[*i as usize].1.clone();
                let binary = vec![ty.dtype == DType::Bool];
                return Data {
                    types: vec![ty],
                    binary,
                    value: None,
                    foldable: false,
                    state: false,
                    init: false,
                };
            }
            Sym::Init(i) => {
                let t = &leaves.inits[*i as usize].1;
                let vector = t.dtype().is_float() && !t.shape().is_empty();
                return leaf_data(t, !is_parameter(t), vector);
            }
            Sym::Const(i) => return leaf_data(&leaves.consts[*i as usize], true, false),
            Sym::Absent => return invalid(),
            Sym::Proj(i) => {
                let d = &egraph[enode.args[0]].data;
                let i = *i as usize;
                let Some(ty) = d.types.get(i) else { return invalid() };
                let binary = vec![d.binary.get(i).copied().unwrap_or(false)];
                return Data {
                    types: vec![ty.clone()],
                    binary,
                    value: None,
                    foldable: false,
                    state: d.state,
                    init: d.init,
                };
            }
            _ => {}
        }
        let kids: Vec<&Data> = enode.args.iter().map(|&c| &egraph[c].data).collect();
        let Some(op) = enode.sym.typing_op() else { return invalid() };
        let tys: Vec<Option<&TensorType>> = kids.iter().map(|d| d.single()).collect();
        let Ok(types) = infer_types(&op, &tys) else { return invalid() };
        let mut binary = binary_outputs(&enode.sym, &kids);
        binary.resize(types.len(), false);
        let values: Option<Vec<&Tensor>> = kids.iter().map(|d| d.value.as_deref()).collect();
        let value = match (&values, types.len()) {
            (Some(v), 1) => eval(&enode.sym, v, &types[0]).map(Arc::new),
            _ => None,
        };
        if let Some(v) = &value {
            binary[0] |= is_binary(v);
        }
        let foldable = value.is_some() && kids.iter().all(|d| d.foldable);
        // Spike decisions (Θ, and the comparisons that spell it in plain exports) and the
        // neuron ops produce state; everything computed from state is state.
        let neuron = matches!(
            enode.sym,
            Sym::Spike(..)
                | Sym::Greater
                | Sym::Less
                | Sym::GreaterOrEqual
                | Sym::LessOrEqual
                | Sym::SpikeReset(_)
                | Sym::Iaf(..)
                | Sym::IafRecurrent(..)
                | Sym::FfStep(..)
                | Sym::RecStep(..)
        );
        let state = value.is_none() && (neuron || kids.iter().any(|d| d.state));
        let init = kids.iter().any(|d| d.init);
        Data { types, binary, value, foldable, state, init }
    }

    fn merge(&mut self, a: &mut Data, b: Data) -> DidMerge {
        let (mut ca, mut cb) = (false, false);
        if a.types.is_empty() && !b.types.is_empty() {
            a.types = b.types.clone();
            a.binary = vec![false; a.types.len()];
            ca = true;
        } else if b.types.is_empty() && !a.types.is_empty() {
            cb = true;
        }
        for (i, x) in a.binary.iter_mut().enumerate() {
            let y = b.binary.get(i).copied().unwrap_or(false);
            ca |= y && !*x;
            cb |= *x && !y;
            *x |= y;
        }
        match (&a.value, b.value) {
            (None, Some(v)) => {
                a.value = Some(v);
                ca = true;
            }
            (Some(_), None) => cb = true,
            _ => {}
        }
        ca |= b.foldable && !a.foldable;
        cb |= a.foldable && !b.foldable;
        a.foldable |= b.foldable;
        ca |= a.state && !b.state;
        cb |= b.state && !a.state;
        a.state &= b.state;
        ca |= a.init && !b.init;
        cb |= b.init && !a.init;
        a.init &= b.init;
        DidMerge(ca, cb)
    }
}
