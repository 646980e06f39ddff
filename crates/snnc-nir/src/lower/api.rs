use std::path::Path;

use snnc_ir::Graph;

use super::emit::Emit;
use super::flat::{flatten, FlatKind};
use super::order::schedule;
use super::time::{unroll, At};
use crate::{read_nir, NirError, NirFile, NirOptions};

/// Lowers the parsed file `nir` (read from `file`, which messages name) to an snnc graph that
/// passes [`snnc_ir::verify`]: inputs `[T, B, shape...]` named after the Input nodes, outputs
/// `[T, B, shape...]` named after the Output nodes, weights as initializers `<node>.weight`,
/// `<node>.bias`, `<node>.scale`.
///
/// Fails naming the node for edges that name missing nodes, nodes no Input reaches, and shapes
/// that do not fit. Convolutions and pools become the IR's `Conv` / `SumPool` / `AveragePool`
/// per step (which the reference engine runs; the compiled engines refuse them).
pub fn lower(file: &Path, nir: &NirFile, o: &NirOptions) -> Result<Graph, NirError> {
    let path = file.to_path_buf();
    o.check().map_err(|msg| NirError::Format { file: path.clone(), msg })?;
    let flat = flatten(&nir.graph).map_err(|f| NirError::Graph {
        file: path.clone(),
        graph: f.graph,
        msg: f.msg,
    })?;
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
