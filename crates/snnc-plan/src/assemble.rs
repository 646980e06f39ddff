//! Putting a plan together, and re-packing its constant weights.

use snnc_ir::{ExportGrad, Graph};
use snnc_kernels::SpikeWeights;

use crate::lower::target_values;
use crate::plan::{ConstData, PackSpec, Program, Sig, Target};
use crate::{Plan, PlanError};

fn sig(g: &Graph, v: snnc_ir::ValueId) -> Sig {
    let val = g.value(v);
    Sig { name: val.name.clone(), dtype: val.ty.dtype, shape: val.ty.shape.clone() }
}

/// Packs every [`PackSpec`] of `consts` for the event-driven kernels.
pub(crate) fn pack_all(
    consts: &[ConstData],
    packs: &[PackSpec],
) -> Result<Vec<SpikeWeights>, String> {
    packs
        .iter()
        .map(|p| {
            let c = consts.get(p.konst as usize).ok_or("pack of a missing constant")?;
            if p.outputs.checked_mul(p.inputs) != Some(c.data.len()) {
                return Err(format!("pack of '{}' does not match its size", c.name));
            }
            let w = if p.out_in {
                SpikeWeights::from_out_in(&c.data, p.outputs, p.inputs)
            } else {
                SpikeWeights::from_in_out(&c.data, p.inputs, p.outputs)
            };
            w.map_err(|e| format!("constant '{}': {e}", c.name))
        })
        .collect()
}

impl Plan {
    /// Builds a plan from the lowering's results.
    pub(crate) fn assemble(
        g: &Graph,
        export: ExportGrad,
        consts: Vec<ConstData>,
        packs: Vec<PackSpec>,
        infer: Program,
        train: Program,
    ) -> Result<Plan, PlanError> {
        let packed = pack_all(&consts, &packs).map_err(PlanError::Invalid)?;
        Ok(Plan {
            name: g.name().to_string(),
            surrogate: export.surrogate,
            reset_grad: export.reset_grad,
            meta: Vec::new(),
            inputs: g.inputs().iter().map(|&v| sig(g, v)).collect(),
            outputs: g.outputs().iter().map(|&v| sig(g, v)).collect(),
            targets: target_values(g)
                .into_iter()
                .map(|(v, input)| Target { sig: sig(g, v), input })
                .collect(),
            consts,
            packs,
            nodes: g.nodes().iter().map(|n| (n.name.clone(), n.op.name().to_string())).collect(),
            infer,
            train,
            packed,
        })
    }
}
