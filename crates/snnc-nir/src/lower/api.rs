use std::path::Path;

use snnc_ir::Graph;

use super::emit::Emit;
use super::flat::{flatten, FlatKind};
use super::order::schedule;
use super::time::{unroll, At};
use crate::{read_nir, NirError, NirFile, NirOptions, NodeKind};

/// Lowers the parsed file `nir` (read from `file`, which messages name) to an snnc graph that
/// passes [`snnc_ir::verify`]: inputs `[T, B, shape...]` named after the Input nodes, outputs
/// `[T, B, shape...]` named after the Output nodes, weights as initializers `<node>.weight`,
/// `<node>.bias`, `<node>.scale`.
///
/// Fails naming the node for convolutions and pooling (not supported yet), edges that name
/// missing nodes, nodes no Input reaches, and shapes that do not fit.
pub fn lower(file: &Path, nir: &NirFile, o: &NirOptions) -> Result<Graph, NirError> {
    let path = file.to_path_buf();
    o.check().map_err(|msg| NirError::Format { file: path.clone(), msg })?;
    let flat = flatten(&nir.graph).map_err(|f| NirError::Graph {
        file: path.clone(),
        graph: f.graph,
        msg: f.msg,
    })?;
    let unsupported: Vec<usize> = (0..flat.names.len())
        .filter(|&i| matches!(flat.kinds[i], FlatKind::Node(NodeKind::Conv(_) | NodeKind::Pool(_))))
        .collect();
    if let Some(&i) = unsupported.first() {
        let FlatKind::Node(k) = flat.kinds[i] else { unreachable!("filtered above") };
        let what = match k {
            NodeKind::Conv(_) => "convolutions are",
            _ => "pooling layers are",
        };
        let others: Vec<String> =
            unsupported[1..].iter().map(|&j| format!("'{}'", flat.names[j])).collect();
        let also = if others.is_empty() {
            String::new()
        } else {
            format!(" (nor nodes {})", others.join(", "))
        };
        return Err(NirError::Unsupported {
            file: path,
            node: flat.names[i].clone(),
            kind: k.name().into(),
            msg: format!("{what} not supported yet{also}"),
        });
    }
    let sched = schedule(&flat).map_err(|msg| NirError::Graph {
        file: path.clone(),
        graph: "(root)".into(),
        msg,
    })?;
    let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("nir");
    let mut e = Emit::new(name, o.batch);
    unroll(&mut e, &flat, &sched, o).map_err(|At(i, msg)| NirError::Node {
        file: path.clone(),
        node: flat.names[i].clone(),
        kind: match flat.kinds[i] {
            FlatKind::Node(k) => k.name().into(),
            FlatKind::Pass => "Input/Output".into(),
        },
        msg,
    })?;
    if e.g.outputs().is_empty() {
        return Err(NirError::Graph {
            file: path,
            graph: "(root)".into(),
            msg: "the graph has no Output node".into(),
        });
    }
    snnc_ir::verify(&e.g).map_err(|source| NirError::Ir { file: file.to_path_buf(), source })?;
    Ok(e.g)
}

/// Reads the `.nir` file at `path` and lowers it ([`read_nir`], then [`lower`]).
pub fn load_nir(path: &Path, o: &NirOptions) -> Result<Graph, NirError> {
    lower(path, &read_nir(path)?, o)
}
