use super::affine::{self, AffineNode, ScaleNode};
use super::conv::{self, ConvNode, PoolNode};
use super::fields::Fields;
use super::io::{self, InputNode, OutputNode};
use super::neuron::{self, NeuronKind, NeuronNode};
use super::shape_ops::{self, DelayNode, FlattenNode, ThresholdNode};
use crate::h5::Tree;
use crate::NirGraph;

/// A NIR node, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `Input`.
    Input(InputNode),
    /// `Output`.
    Output(OutputNode),
    /// `Affine` (with a bias) or `Linear` (without).
    Affine(AffineNode),
    /// `Scale`.
    Scale(ScaleNode),
    /// `Threshold`.
    Threshold(ThresholdNode),
    /// `I`, `IF`, `LI`, `LIF`, `CubaLI`, `CubaLIF`.
    Neuron(NeuronNode),
    /// `Delay`.
    Delay(DelayNode),
    /// `Flatten`.
    Flatten(FlattenNode),
    /// `Conv1d`, `Conv2d`.
    Conv(ConvNode),
    /// `SumPool2d`, `AvgPool2d`.
    Pool(PoolNode),
    /// A nested `NIRGraph`.
    Graph(NirGraph),
}

impl NodeKind {
    /// The NIR type name.
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Input(_) => "Input",
            NodeKind::Output(_) => "Output",
            NodeKind::Affine(a) if a.bias.is_some() => "Affine",
            NodeKind::Affine(_) => "Linear",
            NodeKind::Scale(_) => "Scale",
            NodeKind::Threshold(_) => "Threshold",
            NodeKind::Neuron(n) => n.kind.name(),
            NodeKind::Delay(_) => "Delay",
            NodeKind::Flatten(_) => "Flatten",
            NodeKind::Conv(c) if c.dims == 1 => "Conv1d",
            NodeKind::Conv(_) => "Conv2d",
            NodeKind::Pool(p) if p.average => "AvgPool2d",
            NodeKind::Pool(_) => "SumPool2d",
            NodeKind::Graph(_) => "NIRGraph",
        }
    }
}

/// What went wrong reading one node: its path, its type (as the file spells it) and why.
pub(crate) struct NodeFault {
    pub node: String,
    pub kind: String,
    pub msg: String,
}

/// Parses the node group `t` at path `path` (nested graphs recurse).
pub(crate) fn parse_node(path: &str, t: &Tree, depth: usize) -> Result<NodeKind, NodeFault> {
    let f = Fields(t);
    let ty = f.string("type").map_err(|msg| NodeFault {
        node: path.to_string(),
        kind: "?".into(),
        msg,
    })?;
    let fault = |msg: String| NodeFault { node: path.to_string(), kind: ty.clone(), msg };
    let n = |k| neuron::neuron(&f, k).map(NodeKind::Neuron);
    let r = match ty.as_str() {
        "Input" => io::input(&f).map(NodeKind::Input),
        "Output" => io::output(&f).map(NodeKind::Output),
        "Affine" => affine::affine(&f, true).map(NodeKind::Affine),
        "Linear" => affine::affine(&f, false).map(NodeKind::Affine),
        "Scale" => affine::scale(&f).map(NodeKind::Scale),
        "Threshold" => shape_ops::threshold(&f).map(NodeKind::Threshold),
        "I" => n(NeuronKind::I),
        "IF" => n(NeuronKind::If),
        "LI" => n(NeuronKind::Li),
        "LIF" => n(NeuronKind::Lif),
        "CubaLI" => n(NeuronKind::CubaLi),
        "CubaLIF" => n(NeuronKind::CubaLif),
        "Delay" => shape_ops::delay(&f).map(NodeKind::Delay),
        "Flatten" => shape_ops::flatten(&f).map(NodeKind::Flatten),
        "Conv1d" => conv::conv(&f, 1).map(NodeKind::Conv),
        "Conv2d" => conv::conv(&f, 2).map(NodeKind::Conv),
        "SumPool2d" => conv::pool(&f, false).map(NodeKind::Pool),
        "AvgPool2d" => conv::pool(&f, true).map(NodeKind::Pool),
        "NIRGraph" => return crate::graph::parse_graph(path, t, depth + 1).map(NodeKind::Graph),
        other => Err(format!("unknown NIR node type '{other}'")),
    };
    r.map_err(fault)
}
