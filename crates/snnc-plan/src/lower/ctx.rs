//! The state the lowering passes share: buffers under construction, the value → buffer map,
//! the step list, and per-node facts.

use std::collections::HashMap;

use snnc_ir::{Graph, Node, Surrogate, ValueId};

use crate::kernel_ew::AddIntoK;
use crate::plan::{ConstData, PackSpec};
use crate::{BufId, Kernel, PlanError, Step, NEED_ALWAYS};

/// Where a buffer will live, before offsets are assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spec {
    /// Graph input `i`.
    Input(u32),
    /// Constant `i`.
    Const(u32),
    /// Upstream gradient of output `i`.
    Seed(u32),
    /// A planned arena buffer.
    Arena,
    /// A spike-bits buffer.
    Bits { rows: usize, cols: usize },
    /// The same storage as another buffer (reshape-like ops).
    Alias(BufId),
}

/// A buffer under construction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BufSpec {
    pub spec: Spec,
    pub len: usize,
}

/// What the inference and training lowerings share: constants and packed weights.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub consts: Vec<ConstData>,
    pub const_of: HashMap<ValueId, u32>,
    pub packs: Vec<PackSpec>,
}

impl Shared {
    /// The pack of constant `konst` as `outputs × inputs` weights, made once.
    pub(crate) fn pack(&mut self, spec: PackSpec) -> u32 {
        if let Some(i) = self.packs.iter().position(|p| *p == spec) {
            return i as u32;
        }
        self.packs.push(spec);
        (self.packs.len() - 1) as u32
    }
}

/// Facts about one IR node that later passes need.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeLow {
    /// Saved pre-reset potentials.
    pub v_pre: Option<BufId>,
    /// Saved spike bits (recurrent layers).
    pub z_bits: Option<BufId>,
    /// Saved input spikes (spike-linear layers).
    pub x_bits: Option<BufId>,
}

/// One lowering run (inference or training).
pub(crate) struct Lower<'g, 's> {
    pub g: &'g Graph,
    pub train: bool,
    pub surrogate: Surrogate,
    pub shared: &'s mut Shared,
    pub bufs: Vec<BufSpec>,
    pub val: Vec<Option<BufId>>,
    pub steps: Vec<Step>,
    pub forward_len: usize,
    pub nodes: Vec<NodeLow>,
    pub live: Vec<bool>,
    pub uses: Vec<usize>,
    pub dep: Vec<u8>,
    pub grads: Vec<Option<BufId>>,
    pub pending: Vec<(BufId, ValueId)>,
    /// The uses (node, input slot) of plain exports' spikes that are their resets, whose
    /// gradient a `detached` reset drops ([`snnc_interp::reset_uses`]); empty when attached.
    pub detached: std::collections::HashSet<(usize, usize)>,
}

impl<'g, 's> Lower<'g, 's> {
    pub(crate) fn new(
        g: &'g Graph,
        train: bool,
        surrogate: Surrogate,
        shared: &'s mut Shared,
    ) -> Self {
        let n = g.values().len();
        Lower {
            g,
            train,
            surrogate,
            shared,
            bufs: Vec::new(),
            val: vec![None; n],
            steps: Vec::new(),
            forward_len: 0,
            nodes: vec![NodeLow::default(); g.nodes().len()],
            live: vec![true; g.nodes().len()],
            uses: vec![0; n],
            dep: vec![0; n],
            grads: vec![None; n],
            pending: Vec::new(),
            detached: Default::default(),
        }
    }

    /// A new buffer.
    pub(crate) fn buf(&mut self, spec: Spec, len: usize) -> BufId {
        self.bufs.push(BufSpec { spec, len });
        BufId((self.bufs.len() - 1) as u32)
    }

    /// A new arena buffer of `len` elements.
    pub(crate) fn arena(&mut self, len: usize) -> BufId {
        self.buf(Spec::Arena, len)
    }

    /// The element count of value `v`.
    pub(crate) fn len_of(&self, v: ValueId) -> usize {
        self.g.ty(v).shape.iter().product()
    }

    /// The shape of value `v`.
    pub(crate) fn shape(&self, v: ValueId) -> Vec<usize> {
        self.g.ty(v).shape.clone()
    }

    /// The buffer of a defined value.
    pub(crate) fn value(&self, node: &Node, v: ValueId) -> Result<BufId, PlanError> {
        self.val[v.0].ok_or_else(|| {
            PlanError::node(
                node,
                format!("input '{}' has no buffer (internal error)", self.g.value(v).name),
            )
        })
    }

    /// The buffer of input slot `i` of `node`, if present.
    pub(crate) fn input(&self, node: &Node, i: usize) -> Result<Option<BufId>, PlanError> {
        node.input(i).map(|v| self.value(node, v)).transpose()
    }

    /// The buffer of required input slot `i`.
    pub(crate) fn req(&self, node: &Node, i: usize) -> Result<BufId, PlanError> {
        self.input(node, i)?.ok_or_else(|| PlanError::node(node, format!("input {i} is missing")))
    }

    /// A fresh arena buffer for output slot `i`, when it is bound and used (or a graph output).
    pub(crate) fn output(&mut self, node: &Node, i: usize) -> Option<BufId> {
        let v = node.output(i)?;
        if self.uses[v.0] == 0 {
            return None;
        }
        let b = self.arena(self.len_of(v));
        self.val[v.0] = Some(b);
        Some(b)
    }

    /// Whether buffer `b` is a graph input (possibly through aliases).
    pub(crate) fn is_input(&self, b: BufId) -> bool {
        matches!(self.bufs[self.root(b).0 as usize].spec, Spec::Input(_))
    }

    /// The constant behind buffer `b`, if it is one.
    pub(crate) fn const_index(&self, b: BufId) -> Option<u32> {
        match self.bufs[self.root(b).0 as usize].spec {
            Spec::Const(c) => Some(c),
            _ => None,
        }
    }

    /// The buffer whose storage `b` uses.
    pub(crate) fn root(&self, b: BufId) -> BufId {
        root_of(&self.bufs, b)
    }

    /// Appends a step for node `ni`.
    pub(crate) fn push(&mut self, ni: usize, need: u8, kernel: Kernel) -> usize {
        self.steps.push(Step { node: ni as u32, need, kernel });
        self.steps.len() - 1
    }

    /// Appends a forward step for node `ni`.
    pub(crate) fn forward(&mut self, ni: usize, kernel: Kernel) {
        self.push(ni, NEED_ALWAYS, kernel);
    }

    /// The gradient buffer of `v` to accumulate into: `(buffer, accumulate)`. The first
    /// contribution overwrites; a seeded output is first copied out of its seed.
    pub(crate) fn gdst(&mut self, ni: usize, v: ValueId) -> (BufId, bool) {
        match self.grads[v.0] {
            None => {
                let b = self.arena(self.len_of(v));
                self.grads[v.0] = Some(b);
                (b, false)
            }
            Some(s) if matches!(self.bufs[s.0 as usize].spec, Spec::Seed(_)) => {
                let len = self.len_of(v);
                let b = self.arena(len);
                self.grads[v.0] = Some(b);
                let copy = AddIntoK { src: s, dst: b, len, acc: false };
                self.push(ni, self.dep[v.0], Kernel::AddInto(copy));
                (b, true)
            }
            Some(b) => (b, true),
        }
    }

    /// A buffer a kernel that cannot accumulate may overwrite with the gradient of `v`: the
    /// gradient itself for the first contribution, else a scratch buffer that
    /// [`Lower::flush`] adds in.
    pub(crate) fn gdst_over(&mut self, v: ValueId) -> BufId {
        if self.grads[v.0].is_none() {
            let b = self.arena(self.len_of(v));
            self.grads[v.0] = Some(b);
            return b;
        }
        let t = self.arena(self.len_of(v));
        self.pending.push((t, v));
        t
    }

    /// Adds the scratch gradients of [`Lower::gdst_over`] into their values.
    pub(crate) fn flush(&mut self, ni: usize) {
        for (t, v) in std::mem::take(&mut self.pending) {
            let (dst, acc) = self.gdst(ni, v);
            let len = self.len_of(v);
            self.push(ni, self.dep[v.0], Kernel::AddInto(AddIntoK { src: t, dst, len, acc }));
        }
    }
}

/// The buffer whose storage `b` uses (following aliases).
pub(crate) fn root_of(bufs: &[BufSpec], mut b: BufId) -> BufId {
    while let Spec::Alias(a) = bufs[b.0 as usize].spec {
        b = a;
    }
    b
}
