//! The forward pass over a whole graph: binding inputs, evaluating nodes in order, rounding.

use ndarray::ArrayD;
use snnc_ir::{infer_types, verify, Graph, IrError, Node, Tensor, TensorType, MAX_ELEMENTS};

use crate::forward::eval::eval;
use crate::value::{from_tensor, round_to, to_tensor, Arg};
use crate::InterpError;

/// Every value's data during a pass, indexed by `ValueId` (`None`: not computed or freed).
pub(crate) type Store = Vec<Option<ArrayD<f64>>>;

/// `node`'s inputs as op arguments.
pub(crate) fn args<'a>(
    g: &'a Graph,
    node: &Node,
    store: &'a Store,
) -> Result<Vec<Option<Arg<'a>>>, InterpError> {
    node.inputs
        .iter()
        .map(|slot| match slot {
            None => Ok(None),
            Some(id) => match store.get(id.0).and_then(|v| v.as_ref()) {
                Some(data) => Ok(Some(Arg { data, ty: g.ty(*id) })),
                None => Err(InterpError::node(
                    node,
                    format!("input '{}' has no value (internal error)", g.value(*id).name),
                )),
            },
        })
        .collect()
}

/// Fills the store with the graph inputs (checked against their declared types) and the
/// initializers.
fn bind(g: &Graph, inputs: &[(String, Tensor)], store: &mut Store) -> Result<(), InterpError> {
    let slots = slots(g, g.inputs());
    for (&id, t) in g.inputs().iter().zip(snnc_ir::bind_inputs(&slots, inputs)?) {
        store[id.0] = Some(from_tensor(g.ty(id).dtype, t));
    }
    for (&id, t) in g.initializers() {
        if store[id.0].is_none() {
            store[id.0] = Some(from_tensor(g.ty(id).dtype, t));
        }
    }
    Ok(())
}

/// The signature of `ids` (graph inputs or outputs) for [`snnc_ir::bind_inputs`].
pub(crate) fn slots<'g>(g: &'g Graph, ids: &[snnc_ir::ValueId]) -> Vec<snnc_ir::Slot<'g>> {
    ids.iter()
        .map(|&id| {
            let (name, ty) = (g.value(id).name.as_str(), g.ty(id));
            snnc_ir::Slot { name, dtype: ty.dtype, shape: &ty.shape }
        })
        .collect()
}

/// Evaluates one node: every output slot, rounded to its type.
fn eval_node(node: &Node, args: &[Option<Arg>]) -> Result<Vec<ArrayD<f64>>, InterpError> {
    let err = |m: String| InterpError::node(node, m);
    let types: Vec<Option<&TensorType>> = args.iter().map(|a| a.map(|a| a.ty)).collect();
    let outs = infer_types(&node.op, &types).map_err(err)?;
    if let Some(t) = outs.iter().find(|t| t.checked_len().is_none()) {
        return Err(err(format!("its output {t} exceeds the limit of {MAX_ELEMENTS} elements")));
    }
    let ys = eval(&node.op, args, &outs).map_err(err)?;
    ys.into_iter()
        .zip(&outs)
        .map(|(y, t)| {
            if y.shape() == t.shape.as_slice() {
                Ok(round_to(t.dtype, y))
            } else {
                Err(err(format!("computed shape {:?}, expected {t} (internal error)", y.shape())))
            }
        })
        .collect()
}

/// Runs the graph forward. With `keep` every value stays in the store (for the reverse pass);
/// without, each value is dropped after its last use (graph outputs are kept). `visit` sees
/// each node with its inputs before it is evaluated.
pub(crate) fn forward(
    g: &Graph,
    inputs: &[(String, Tensor)],
    keep: bool,
    mut visit: impl FnMut(&Node, &[Option<Arg>]) -> Result<(), String>,
) -> Result<Store, InterpError> {
    verify(g)?;
    let mut store: Store = vec![None; g.values().len()];
    bind(g, inputs, &mut store)?;
    let mut last_use = vec![usize::MAX; g.values().len()];
    if !keep {
        for (i, node) in g.nodes().iter().enumerate() {
            for id in node.inputs.iter().flatten() {
                last_use[id.0] = i;
            }
        }
        for id in g.outputs() {
            last_use[id.0] = usize::MAX;
        }
    }
    for (i, node) in g.nodes().iter().enumerate() {
        let a = args(g, node, &store)?;
        visit(node, &a).map_err(|m| InterpError::node(node, m))?;
        let ys = eval_node(node, &a)?;
        for (slot, y) in node.outputs.iter().zip(ys) {
            if let Some(id) = slot {
                store[id.0] = Some(y);
            }
        }
        for id in node.inputs.iter().flatten() {
            if last_use[id.0] == i {
                store[id.0] = None;
            }
        }
    }
    Ok(store)
}

/// The graph outputs as tensors of their declared types.
pub(crate) fn outputs(g: &Graph, store: &Store) -> Result<Vec<(String, Tensor)>, InterpError> {
    g.outputs()
        .iter()
        .map(|&id| {
            let v = g.value(id);
            let data = store[id.0].clone().ok_or_else(|| {
                InterpError::Graph(IrError::Graph(format!("output '{}' is never produced", v.name)))
            })?;
            Ok((v.name.clone(), to_tensor(v.ty.dtype, data)))
        })
        .collect()
}

/// Runs `g` on `inputs` and returns its outputs in graph output order, each in its declared
/// dtype.
///
/// Every input must be given exactly once, with its declared shape; a float input accepts f32
/// or f64 data (rounded to the declared type), integer and bool inputs need their own type.
pub fn run(g: &Graph, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, InterpError> {
    let store = forward(g, inputs, false, |_, _| Ok(()))?;
    outputs(g, &store)
}
