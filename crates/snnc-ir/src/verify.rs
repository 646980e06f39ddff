use std::collections::HashSet;

use crate::{infer_types, Graph, IrError};

/// Checks a graph's invariants: every node input is defined before the node and in range, every
/// value is defined exactly once, stored types equal inferred types, initializers match their
/// values, and every graph output is defined. Runs after every stage.
pub fn verify(g: &Graph) -> Result<(), IrError> {
    let n = g.values().len();
    let mut defined = vec![false; n];
    let define = |defined: &mut [bool], id: crate::ValueId, what: &str| -> Result<(), IrError> {
        if id.0 >= n {
            return Err(IrError::Graph(format!("{what} refers to unknown value #{}", id.0)));
        }
        if std::mem::replace(&mut defined[id.0], true) {
            let name = &g.value(id).name;
            return Err(IrError::Graph(format!("value '{name}' is defined more than once")));
        }
        Ok(())
    };
    for &i in g.inputs() {
        define(&mut defined, i, "a graph input")?;
    }
    for (&id, t) in g.initializers() {
        define(&mut defined, id, "an initializer")?;
        if t.tensor_type() != g.value(id).ty {
            let v = g.value(id);
            return Err(IrError::Graph(format!(
                "initializer '{}' holds {} but is declared {}",
                v.name,
                t.tensor_type(),
                v.ty
            )));
        }
    }
    let mut names = HashSet::new();
    for node in g.nodes() {
        let err = |m: String| IrError::node(&node.name, node.op.name(), m);
        if !names.insert(node.name.as_str()) {
            return Err(err("a node with this name already exists".into()));
        }
        let mut types = Vec::with_capacity(node.inputs.len());
        for i in &node.inputs {
            match i {
                Some(id) if id.0 < n && defined[id.0] => types.push(Some(&g.value(*id).ty)),
                Some(id) if id.0 < n => {
                    return Err(err(format!(
                        "input '{}' is used before it is defined (a cycle or a dangling edge)",
                        g.value(*id).name
                    )))
                }
                Some(id) => return Err(err(format!("input refers to unknown value #{}", id.0))),
                None => types.push(None),
            }
        }
        let (lo, hi) = node.op.input_arity();
        if node.inputs.len() < lo || node.inputs.len() > hi {
            return Err(err(format!("has {} inputs", node.inputs.len())));
        }
        let inferred = infer_types(&node.op, &types).map_err(err)?;
        if node.outputs.len() > inferred.len() {
            return Err(err(format!("binds {} outputs", node.outputs.len())));
        }
        for (o, ty) in node.outputs.iter().zip(&inferred) {
            if let Some(o) = o {
                define(&mut defined, *o, "a node output")?;
                if &g.value(*o).ty != ty {
                    return Err(err(format!(
                        "output '{}' is declared {} but computes {ty}",
                        g.value(*o).name,
                        g.value(*o).ty
                    )));
                }
            }
        }
    }
    if g.outputs().is_empty() {
        return Err(IrError::Graph("the graph has no outputs".into()));
    }
    for &o in g.outputs() {
        if o.0 >= n || !defined[o.0] {
            let name = g.values().get(o.0).map_or("?", |v| v.name.as_str());
            return Err(IrError::Graph(format!("output '{name}' is never produced")));
        }
    }
    Ok(())
}
