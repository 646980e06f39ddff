//! `load_onnx`: the import pipeline (read, check opsets and ops, order, declare, convert).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use snnc_ir::{Graph, IrError, Op, Tensor};
use tract_onnx::pb::{GraphProto, NodeProto};

use crate::ops::{self, NodeCtx};
use crate::proto::{self, normalize_domain, op_label};
use crate::{signature, tensor, topo, ImportOptions, OnnxError};

/// Imports the ONNX model at `path` into an IR graph.
///
/// Graph inputs keep their ONNX names and declared types (symbolic dimensions bound from
/// `opts.dims`), initializers keep their ONNX names, nodes keep their names (an empty name
/// becomes `{op_type}_{index}`), and outputs keep the ONNX order. Every unsupported op is
/// reported in one [`OnnxError::Unsupported`]; any other problem is an error naming the file and,
/// where there is one, the node. The result satisfies [`snnc_ir::verify`].
pub fn load_onnx(path: &Path, opts: &ImportOptions) -> Result<Graph, OnnxError> {
    let model = proto::read_model(path)?;
    import_model(&model, path, opts)
}

/// Imports a model from the bytes of an `.onnx` file, as [`load_onnx`] does for the file at
/// `path`: `path` names the model in errors, and external data is read from its folder.
pub fn load_onnx_bytes(
    bytes: &[u8],
    path: &Path,
    opts: &ImportOptions,
) -> Result<Graph, OnnxError> {
    let model = proto::decode_model(bytes, path)?;
    import_model(&model, path, opts)
}

fn import_model(
    model: &tract_onnx::pb::ModelProto,
    path: &Path,
    opts: &ImportOptions,
) -> Result<Graph, OnnxError> {
    let opset = proto::check_opsets(model, path)?;
    let g = proto::graph(model, path)?;
    Importer::new(path, g).run(opset, opts)
}

struct Importer<'a> {
    file: PathBuf,
    dir: PathBuf,
    g: &'a GraphProto,
    names: Vec<String>,
}

impl<'a> Importer<'a> {
    fn new(path: &Path, g: &'a GraphProto) -> Self {
        let names = node_names(&g.node);
        Importer { file: path.to_path_buf(), dir: proto::model_dir(path), g, names }
    }

    fn model_err(&self, msg: String) -> OnnxError {
        OnnxError::Model { file: self.file.clone(), msg }
    }

    fn node_err(&self, i: usize, msg: String) -> OnnxError {
        let op = op_label(&self.g.node[i]);
        OnnxError::Node { file: self.file.clone(), node: self.names[i].clone(), op, msg }
    }

    fn run(self, opset: i64, opts: &ImportOptions) -> Result<Graph, OnnxError> {
        self.check_supported()?;
        let order = self.order()?;
        let name = if self.g.name.is_empty() { "main" } else { self.g.name.as_str() };
        let mut graph = Graph::new(name);
        self.declare_inputs(&mut graph, opts)?;
        self.declare_initializers(&mut graph)?;
        let folded = self.static_only_constants();
        let mut consts: HashMap<String, Tensor> = HashMap::new();
        for i in order {
            self.convert(i, opset, &folded, &mut graph, &mut consts)?;
        }
        self.declare_outputs(&mut graph)?;
        Ok(graph)
    }

    /// Lists every node whose `(domain, op_type)` has no converter, all in one error.
    fn check_supported(&self) -> Result<(), OnnxError> {
        let nodes: Vec<(String, String)> = self
            .g
            .node
            .iter()
            .enumerate()
            .filter(|(_, n)| ops::lookup(normalize_domain(&n.domain), &n.op_type).is_none())
            .map(|(i, n)| (self.names[i].clone(), op_label(n)))
            .collect();
        if nodes.is_empty() {
            Ok(())
        } else {
            Err(OnnxError::Unsupported { file: self.file.clone(), nodes })
        }
    }

    fn order(&self) -> Result<Vec<usize>, OnnxError> {
        let mut defined: HashSet<&str> = self.g.input.iter().map(|v| v.name.as_str()).collect();
        defined.extend(self.g.initializer.iter().map(|t| t.name.as_str()));
        topo::order(self.g, &defined).map_err(|(i, msg)| self.node_err(i, msg))
    }

    fn declare_inputs(&self, graph: &mut Graph, opts: &ImportOptions) -> Result<(), OnnxError> {
        for v in signature::runtime_inputs(self.g) {
            let err = |msg: String| OnnxError::Input {
                file: self.file.clone(),
                input: v.name.clone(),
                msg,
            };
            let ty = signature::bind(v, opts).map_err(err)?;
            graph.add_input(&v.name, ty).map_err(|e| err(e.to_string()))?;
        }
        Ok(())
    }

    fn declare_initializers(&self, graph: &mut Graph) -> Result<(), OnnxError> {
        if let Some(s) = self.g.sparse_initializer.first() {
            let name = s.values.as_ref().map_or("?", |v| v.name.as_str());
            return Err(self.model_err(format!("sparse initializer '{name}' is not supported")));
        }
        for t in &self.g.initializer {
            let err = |msg: String| OnnxError::Initializer {
                file: self.file.clone(),
                name: t.name.clone(),
                msg,
            };
            let value = tensor::load(t, &self.dir).map_err(err)?;
            graph.add_initializer(&t.name, value).map_err(|e| err(e.to_string()))?;
        }
        Ok(())
    }

    /// Constant nodes whose every use is an import-time input (axes, shapes) and which are not
    /// graph outputs: they are folded into their users and do not appear in the IR.
    fn static_only_constants(&self) -> HashSet<usize> {
        let mut uses: HashMap<&str, bool> = HashMap::new();
        for n in &self.g.node {
            let statics = ops::lookup(normalize_domain(&n.domain), &n.op_type)
                .map_or(&[][..], |e| e.static_inputs);
            for (k, inp) in n.input.iter().enumerate() {
                let all_static = uses.entry(inp.as_str()).or_insert(true);
                *all_static &= statics.contains(&k);
            }
        }
        for o in &self.g.output {
            uses.insert(o.name.as_str(), false);
        }
        let folds = |n: &NodeProto| {
            n.output.iter().all(|o| o.is_empty() || uses.get(o.as_str()).copied().unwrap_or(false))
        };
        self.g
            .node
            .iter()
            .enumerate()
            .filter(|(_, n)| normalize_domain(&n.domain).is_empty() && n.op_type == "Constant")
            .filter(|(_, n)| folds(n))
            .map(|(i, _)| i)
            .collect()
    }

    fn convert(
        &self,
        i: usize,
        opset: i64,
        folded: &HashSet<usize>,
        graph: &mut Graph,
        consts: &mut HashMap<String, Tensor>,
    ) -> Result<(), OnnxError> {
        let node = &self.g.node[i];
        let entry = ops::lookup(normalize_domain(&node.domain), &node.op_type)
            .ok_or_else(|| self.node_err(i, "unsupported op".into()))?;
        let inputs =
            node.input.iter().map(|s| if s.is_empty() { None } else { graph.find(s) }).collect();
        let ctx = NodeCtx { node, inputs, opset, model_dir: &self.dir, graph, consts };
        let lowered = (entry.convert)(&ctx).map_err(|m| self.node_err(i, m))?;
        if let Op::Constant { value } = &lowered.op {
            if let Some(out) = node.output.first().filter(|o| !o.is_empty()) {
                consts.insert(out.clone(), value.clone());
            }
            if folded.contains(&i) {
                return Ok(());
            }
        }
        let outputs: Vec<Option<&str>> =
            node.output.iter().map(|o| (!o.is_empty()).then_some(o.as_str())).collect();
        graph
            .add_node(&self.names[i], lowered.op, lowered.inputs, &outputs)
            .map_err(|e| self.node_err(i, ir_message(e)))?;
        Ok(())
    }

    fn declare_outputs(&self, graph: &mut Graph) -> Result<(), OnnxError> {
        for o in &self.g.output {
            let id = graph.find(&o.name).ok_or_else(|| {
                self.model_err(format!("graph output '{}' is never produced", o.name))
            })?;
            graph
                .add_output(id)
                .map_err(|source| OnnxError::Ir { file: self.file.clone(), source })?;
        }
        Ok(())
    }
}

/// The message of an IR error raised for a node whose name and op the caller already shows.
fn ir_message(e: IrError) -> String {
    match e {
        IrError::Node { msg, .. } => msg,
        IrError::Graph(msg) => msg,
    }
}

/// Unique node names: the ONNX name, or `{op_type}_{index}` when empty; a name already taken
/// gets `_{index}` (then `_{index+1}`, …) appended.
fn node_names(nodes: &[NodeProto]) -> Vec<String> {
    let explicit: HashSet<&str> =
        nodes.iter().map(|n| n.name.as_str()).filter(|s| !s.is_empty()).collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let base = if n.name.is_empty() { format!("{}_{i}", n.op_type) } else { n.name.clone() };
        let clash = |s: &str, used: &HashSet<String>| {
            used.contains(s) || (s != n.name && explicit.contains(s))
        };
        let (mut name, mut k) = (base.clone(), i);
        while clash(&name, &used) {
            name = format!("{base}_{k}");
            k += 1;
        }
        used.insert(name.clone());
        out.push(name);
    }
    out
}
