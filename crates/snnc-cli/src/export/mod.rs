//! `snnc export --nir`: an optimized graph's fused cells back to a NIR graph.
//!
//! Each fused cell (`IAF`, `IAFRecurrent`) becomes a NIR neuron ([`neuron::neuron`]); the
//! `Linear`/`SpikeLinear`/`Gemm` feeding it an `Affine` (or `Linear`) node; a recurrent cell's
//! `R` a `Linear` edge from the neuron back to itself, as in the NIR paper's Braille RNN. The
//! optimizer's own spellings are undone: a `Gather` of the time steps after a peeled first step,
//! and a bias carried as constant input columns (`Concat(x, 1)` with `[W | b]`). Anything else
//! is an error naming the node. [`verify`] then checks the result numerically.

mod consts;
mod neuron;
mod verify;

use std::collections::{BTreeMap, HashMap};

use ndarray::{s, Array2, Axis, Ix2};
use snnc_ir::{Graph, Op, ValueId};
use snnc_nir::{AffineNode, Array, InputNode, NirFile, NirGraph, NirReset, NodeKind, OutputNode};

pub use verify::verify;

/// What the export needs besides the graph.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The Euler step the NIR parameters are computed for.
    pub dt: f64,
    /// The reset convention the file will be read with.
    pub reset: NirReset,
    /// The graph outputs to export (all when empty).
    pub outputs: Vec<String>,
}

/// Where the constant input columns of a recurrent cell's bias go: the first `split` columns'
/// share to the input `Affine`, the rest to the recurrent one (which reads zero at the first
/// step, so the two differ there).
pub type Splits = Vec<usize>;

/// Builds the NIR graph of `g`'s cells; `splits[i]` places the bias columns of the i-th cell
/// that has any (see [`Splits`]; missing entries put all of it on the input). Returns the file
/// and, per such cell, how many bias columns it has.
pub fn to_nir(
    g: &Graph,
    o: &ExportOptions,
    splits: &Splits,
) -> Result<(NirFile, Vec<usize>), String> {
    let mut w = Walk {
        g,
        o,
        producers: g.producers(),
        done: HashMap::new(),
        nodes: BTreeMap::new(),
        edges: Vec::new(),
        splits,
        bias_cols: Vec::new(),
    };
    for (i, &v) in g.outputs().iter().enumerate() {
        let name = g.value(v).name.clone();
        if !o.outputs.is_empty() && !o.outputs.contains(&name) {
            continue;
        }
        let src = w.resolve(v).map_err(|e| format!("output '{name}' (#{i}): {e}"))?;
        let shape = g.ty(v).shape.get(2..).unwrap_or(&[]).to_vec();
        let node = w.fresh(&name);
        w.nodes.insert(node.clone(), NodeKind::Output(OutputNode { shape }));
        w.edges.push((src, node));
    }
    if let Some(missing) =
        o.outputs.iter().find(|n| !g.outputs().iter().any(|&v| &g.value(v).name == *n))
    {
        return Err(format!("--outputs names '{missing}', which is not an output of the graph"));
    }
    let graph = NirGraph { nodes: w.nodes, edges: w.edges };
    Ok((NirFile { version: snnc_nir::WRITTEN_VERSION.into(), graph }, w.bias_cols))
}

/// A linear layer's input, weight [N, K] and bias.
type LinearParts = (ValueId, Array2<f64>, Option<Vec<f64>>);

struct Walk<'a> {
    g: &'a Graph,
    o: &'a ExportOptions,
    producers: Vec<Option<usize>>,
    done: HashMap<ValueId, String>,
    nodes: BTreeMap<String, NodeKind>,
    edges: Vec<(String, String)>,
    splits: &'a Splits,
    bias_cols: Vec<usize>,
}

/// `node 'NAME' (Op)`, for messages.
fn label(n: &snnc_ir::Node) -> String {
    format!("node '{}' ({})", n.name, n.op.name())
}

impl Walk<'_> {
    /// A NIR node name from `base`: no '/', not taken.
    fn fresh(&self, base: &str) -> String {
        let base = base.replace('/', ".");
        let base = if base.is_empty() || base == "." { "node".to_string() } else { base };
        let mut name = base.clone();
        let mut k = 1;
        while self.nodes.contains_key(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        name
    }

    /// The NIR node whose output is the sequence `v`.
    fn resolve(&mut self, v: ValueId) -> Result<String, String> {
        if let Some(n) = self.done.get(&v) {
            return Ok(n.clone());
        }
        let g = self.g;
        let name = if g.inputs().contains(&v) {
            let shape = g.ty(v).shape.get(2..).unwrap_or(&[]).to_vec();
            let name = self.fresh(&g.value(v).name);
            self.nodes.insert(name.clone(), NodeKind::Input(InputNode { shape }));
            name
        } else {
            let Some(p) = self.producers[v.0] else {
                return Err(format!(
                    "'{}' is a constant, not a sequence NIR can compute",
                    g.value(v).name
                ));
            };
            let n = &g.nodes()[p];
            match &n.op {
                Op::Iaf(_) | Op::IafRecurrent(_) if n.output(0) == Some(v) => self.cell(p)?,
                Op::Iaf(_) | Op::IafRecurrent(_) => {
                    return Err(format!(
                        "{} outputs a final state; NIR graphs output sequences (export the \
                         others with --outputs NAME,…)",
                        label(n)
                    ))
                }
                // Peeled first (and last) steps joined to the cell's other steps.
                Op::Concat { axis: 0 } => {
                    let cells: Vec<ValueId> = n
                        .inputs
                        .iter()
                        .flatten()
                        .copied()
                        .filter(|&i| {
                            self.producers[i.0].is_some_and(|q| {
                                let c = &g.nodes()[q];
                                matches!(c.op, Op::Iaf(_) | Op::IafRecurrent(_))
                                    && c.output(0) == Some(i)
                            })
                        })
                        .collect();
                    match cells[..] {
                        [c] => self.resolve(c)?,
                        _ => {
                            return Err(format!(
                                "{} has no NIR equivalent (it joins no one fused cell's steps)",
                                label(n)
                            ))
                        }
                    }
                }
                Op::Linear { .. } | Op::SpikeLinear { .. } | Op::Gemm { .. } => {
                    self.affine_node(p)?
                }
                _ => {
                    return Err(format!(
                        "{} has no NIR equivalent (left unfused by the optimizer)",
                        label(n)
                    ))
                }
            }
        };
        self.done.insert(v, name.clone());
        Ok(name)
    }

    /// `(input, weight [N, K], bias)` of a `Linear`, `SpikeLinear` or plain `Gemm` node.
    fn linear_parts(&self, q: usize) -> Result<Option<LinearParts>, String> {
        let l = &self.g.nodes()[q];
        let trans = match l.op {
            Op::Linear { trans_b } | Op::SpikeLinear { trans_b } => trans_b,
            Op::Gemm { alpha, beta, trans_a: false, trans_b } if alpha == 1.0 && beta == 1.0 => {
                trans_b
            }
            _ => return Ok(None),
        };
        let w = self.matrix(l.input(1).ok_or("no weight")?, "weight", &l.name)?;
        let bias = match l.input(2) {
            Some(b) => Some(
                consts::const_value(self.g, b)
                    .ok_or_else(|| format!("{}: its bias is not constant", label(l)))?
                    .to_f64()
                    .iter()
                    .copied()
                    .collect::<Vec<f64>>(),
            ),
            None => None,
        };
        let x = self.ungather(l.input(0).ok_or("no input")?);
        Ok(Some((x, if trans { w } else { w.reversed_axes() }, bias)))
    }

    /// A `Linear` (or `Gemm`) whose output is a sequence NIR computes: an `Affine` node.
    fn affine_node(&mut self, q: usize) -> Result<String, String> {
        let l = &self.g.nodes()[q];
        let (x, w, b) =
            self.linear_parts(q)?.ok_or_else(|| format!("{} has no NIR equivalent", label(l)))?;
        let src = self.resolve(x)?;
        let name = self.fresh(&l.name);
        self.nodes.insert(name.clone(), NodeKind::Affine(affine(&w, b)));
        self.edges.push((src, name.clone()));
        Ok(name)
    }

    /// Strips a `Gather` along time with constant indices.
    fn ungather(&self, v: ValueId) -> ValueId {
        match self.producers[v.0].map(|p| &self.g.nodes()[p]) {
            Some(n)
                if matches!(n.op, Op::Gather { axis: 0 })
                    && n.input(1).is_some_and(|i| {
                        self.g.initializer(i).is_some() || consts::const_value(self.g, i).is_some()
                    }) =>
            {
                n.input(0).unwrap_or(v)
            }
            _ => v,
        }
    }

    fn matrix(&self, v: ValueId, what: &str, cell: &str) -> Result<Array2<f64>, String> {
        let t = consts::const_value(self.g, v).ok_or_else(|| {
            format!("cell '{cell}': its {what} '{}' is not constant", self.g.value(v).name)
        })?;
        t.to_f64()
            .into_dimensionality::<Ix2>()
            .map_err(|_| format!("cell '{cell}': its {what} is not a matrix"))
    }

    /// The NIR neuron of the cell node `p`, with the nodes feeding it.
    fn cell(&mut self, p: usize) -> Result<String, String> {
        let g = self.g;
        let n = &g.nodes()[p];
        let (params, recurrent) = match &n.op {
            Op::Iaf(q) => (q, false),
            Op::IafRecurrent(q) => (q, true),
            _ => return Err(format!("{} is not a cell", label(n))),
        };
        let z = n.output(0).ok_or_else(|| format!("{}: no spike output", label(n)))?;
        let neurons = *g.ty(z).shape.last().unwrap_or(&1);
        let node = neuron::neuron(params, neurons, self.o.dt, self.o.reset)
            .map_err(|e| format!("{}: {e}", label(n)))?;
        let name = self.fresh(&n.name);
        self.nodes.insert(name.clone(), NodeKind::Neuron(node));
        let x = self.ungather(n.input(0).ok_or_else(|| format!("{}: no input", label(n)))?);
        // (source sequence, weight [N, K], bias [N]) of the cell's input current.
        let (mut src, mut weight, mut bias) = (x, None, None);
        if recurrent {
            let w = n.input(1).ok_or_else(|| format!("{}: no W", label(n)))?;
            weight = Some(self.matrix(w, "input weight", &n.name)?);
        } else if let Some(q) = self.producers[x.0] {
            if let Some((x, w, b)) = self.linear_parts(q)? {
                (src, weight, bias) = (x, Some(w), b);
            }
        }
        let mut rec_bias = None;
        if let Some(w) = weight.as_mut() {
            if let Some((real, cols)) = self.const_columns(src) {
                let k = w.ncols() - cols.len();
                let share: Vec<f64> = (0..w.nrows()).map(|_| 0.0).collect();
                let (mut b_in, mut b_rec) = (share.clone(), share);
                let which = self.bias_cols.len();
                let split = self.splits.get(which).copied().unwrap_or(cols.len());
                self.bias_cols.push(cols.len());
                for (j, c) in cols.iter().enumerate() {
                    let target = if j < split { &mut b_in } else { &mut b_rec };
                    for (i, t) in target.iter_mut().enumerate() {
                        *t += w[[i, k + j]] * c;
                    }
                }
                *w = w.slice(s![.., ..k]).to_owned();
                let b0 = bias.take().unwrap_or_else(|| vec![0.0; w.nrows()]);
                bias = Some(b0.iter().zip(&b_in).map(|(a, b)| a + b).collect());
                if split < cols.len() {
                    rec_bias = Some(b_rec);
                }
                src = real;
            }
        }
        let src_name = self.resolve(src)?;
        match weight {
            Some(w) => {
                let a = self.fresh(&format!("{name}.w_in"));
                self.nodes.insert(a.clone(), NodeKind::Affine(affine(&w, bias)));
                self.edges.push((src_name, a.clone()));
                self.edges.push((a, name.clone()));
            }
            None => self.edges.push((src_name, name.clone())),
        }
        if recurrent {
            let r = self.matrix(n.input(2).ok_or("no R")?, "recurrent weight", &n.name)?;
            let a = self.fresh(&format!("{name}.w_rec"));
            self.nodes.insert(a.clone(), NodeKind::Affine(affine(&r, rec_bias)));
            self.edges.push((name.clone(), a.clone()));
            self.edges.push((a, name.clone()));
        }
        Ok(name)
    }

    /// `Concat(x, c…)` along the features where the c are constant and the same at every step
    /// and batch row: (x, the constant features).
    fn const_columns(&self, v: ValueId) -> Option<(ValueId, Vec<f64>)> {
        let n = &self.g.nodes()[self.producers[v.0]?];
        let rank = self.g.ty(v).shape.len() as i64;
        match n.op {
            Op::Concat { axis } if axis == rank - 1 || axis == -1 => {}
            _ => return None,
        }
        let x = n.input(0)?;
        let mut cols = Vec::new();
        for c in n.inputs[1..].iter() {
            let t = consts::const_value(self.g, (*c)?)?.to_f64();
            let k = *t.shape().last()?;
            let rows = t.into_shape_with_order((t_len(self.g, (*c)?) / k.max(1), k)).ok()?;
            let first = rows.index_axis(Axis(0), 0).to_owned();
            if rows.outer_iter().any(|r| r != first) {
                return None;
            }
            cols.extend(first.iter().copied());
        }
        Some((x, cols))
    }
}

fn t_len(g: &Graph, v: ValueId) -> usize {
    g.ty(v).shape.iter().product()
}

fn affine(w: &Array2<f64>, bias: Option<Vec<f64>>) -> AffineNode {
    let f = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
    AffineNode {
        weight: Array { shape: vec![w.nrows(), w.ncols()], data: f(w.iter().copied().collect()) },
        bias: bias.map(|b| Array { shape: vec![b.len()], data: f(b) }),
    }
}
