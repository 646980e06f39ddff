//! The egg language that mirrors the IR: one e-node kind, an operator ([`Sym`]) and its children.
//!
//! Multi-output IR ops (the spike-and-reset, step and sequence ops) are single e-nodes whose
//! e-class stands for the tuple of their outputs; each output is a [`Sym::Proj`] node over that
//! class. The conversion back to the IR regroups the projections into one node.

use std::fmt;

use egg::{FromOp, Id, Language};

use crate::sym::Sym;

/// An e-node: an operator and its children (e-classes), in IR input order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SnnNode {
    /// The operator, with its attributes.
    pub sym: Sym,
    /// The children.
    pub args: Vec<Id>,
}

impl SnnNode {
    /// A node.
    pub fn new(sym: Sym, args: Vec<Id>) -> Self {
        SnnNode { sym, args }
    }

    /// A leaf.
    pub fn leaf(sym: Sym) -> Self {
        SnnNode { sym, args: Vec::new() }
    }

    /// Output `i` of the tuple class `of`.
    pub fn proj(i: u32, of: Id) -> Self {
        SnnNode { sym: Sym::Proj(i), args: vec![of] }
    }
}

/// Coarse operator kind: nodes that can match share it (egg indexes classes by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kind(std::mem::Discriminant<Sym>);

impl Kind {
    /// The kind of `sym`.
    pub fn of(sym: &Sym) -> Self {
        Kind(std::mem::discriminant(sym))
    }
}

impl Language for SnnNode {
    type Discriminant = Kind;

    fn discriminant(&self) -> Kind {
        Kind::of(&self.sym)
    }

    fn matches(&self, other: &Self) -> bool {
        self.sym == other.sym && self.args.len() == other.args.len()
    }

    fn children(&self) -> &[Id] {
        &self.args
    }

    fn children_mut(&mut self) -> &mut [Id] {
        &mut self.args
    }
}

impl fmt::Display for SnnNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.sym.fmt(f)
    }
}

impl FromOp for SnnNode {
    type Error = String;

    fn from_op(op: &str, children: Vec<Id>) -> Result<Self, String> {
        let sym: Sym = op.parse()?;
        if sym.is_leaf() != children.is_empty() {
            return Err(format!("'{op}' cannot take {} children", children.len()));
        }
        Ok(SnnNode::new(sym, children))
    }
}
