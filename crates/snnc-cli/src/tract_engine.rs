//! tract-onnx as a peer engine: the same ONNX file, loaded, optimized and run by tract.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use snnc_ir::Tensor;
use tract_linalg::multithread::{multithread_tract_scope, Executor};
use tract_onnx::prelude::{
    DatumType, Framework, InferenceFact, InferenceModelExt, IntoRunnable, TValue, TVec,
    Tensor as TractTensor, TypedRunnableModel,
};

use crate::inputs::Named;

/// Why tract cannot run the ONNX model at `path`, if it cannot: the model uses the `snn`
/// custom-op domain, which only snnc knows.
pub fn unsupported(path: &Path) -> Result<Option<String>> {
    let proto = tract_onnx::onnx()
        .proto_model_for_path(path)
        .map_err(|e| anyhow!("{}: {e:#}", path.display()))?;
    let mut custom: Vec<&str> = proto
        .graph
        .iter()
        .flat_map(|g| &g.node)
        .filter(|n| n.domain == "snn")
        .map(|n| n.op_type.as_str())
        .collect();
    custom.sort_unstable();
    custom.dedup();
    Ok((!custom.is_empty()).then(|| {
        format!("the model uses snn custom ops ({}), which tract does not know", custom.join(", "))
    }))
}

/// An ONNX model loaded by tract with its input shapes fixed, ready to run.
pub struct TractModel {
    plan: Arc<TypedRunnableModel>,
    inputs: TVec<TValue>,
    outputs: Vec<String>,
    executor: Executor,
}

impl TractModel {
    /// Loads `path`, fixes every input's type and shape from `inputs` (which must name each
    /// ONNX graph input), optimizes and plans it for `threads` worker threads.
    pub fn load(path: &Path, inputs: &Named, threads: usize) -> Result<TractModel> {
        let label = path.display().to_string();
        let mut model = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(|e| anyhow!("{label}: tract cannot load the model: {e:#}"))?;
        let mut values = TVec::new();
        for ix in 0..model.input_outlets()?.len() {
            let node = model.input_outlets()?[ix].node;
            let name = model.node(node).name.clone();
            let (_, t) = inputs
                .iter()
                .find(|(n, _)| *n == name)
                .with_context(|| format!("{label}: no array for tract's input '{name}'"))?;
            let t = to_tract(t);
            model.set_input_fact(ix, InferenceFact::dt_shape_from_tensor(&t))?;
            values.push(TValue::from(t));
        }
        let outputs = model
            .output_outlets()?
            .iter()
            .map(|o| model.outlet_label(*o).unwrap_or(&model.node(o.node).name).to_string())
            .collect();
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| anyhow!("{label}: tract cannot optimize the model: {e:#}"))?;
        let executor =
            if threads > 1 { Executor::multithread(threads) } else { Executor::SingleThread };
        Ok(TractModel { plan, inputs: values, outputs, executor })
    }

    /// Runs forward on the inputs given to [`TractModel::load`]; outputs in graph order.
    pub fn run(&self) -> Result<Named> {
        let out =
            multithread_tract_scope(self.executor.clone(), || self.plan.run(self.inputs.clone()))?;
        self.outputs.iter().zip(out).map(|(n, v)| Ok((n.clone(), from_tract(&v)?))).collect()
    }

    /// Runs forward and drops the outputs (what the benchmark times).
    pub fn run_only(&self) -> Result<()> {
        multithread_tract_scope(self.executor.clone(), || self.plan.run(self.inputs.clone()))?;
        Ok(())
    }
}

fn to_tract(t: &Tensor) -> TractTensor {
    match t {
        Tensor::F32(a) => a.clone().into(),
        Tensor::F64(a) => a.clone().into(),
        Tensor::I64(a) => a.clone().into(),
        Tensor::Bool(a) => a.clone().into(),
    }
}

fn from_tract(v: &TractTensor) -> Result<Tensor> {
    Ok(match v.datum_type() {
        DatumType::F32 => Tensor::F32(v.to_plain_array_view::<f32>()?.to_owned()),
        DatumType::F64 => Tensor::F64(v.to_plain_array_view::<f64>()?.to_owned()),
        DatumType::I64 => Tensor::I64(v.to_plain_array_view::<i64>()?.to_owned()),
        DatumType::Bool => Tensor::Bool(v.to_plain_array_view::<bool>()?.to_owned()),
        _ => Tensor::F64(v.cast_to::<f64>()?.to_plain_array_view::<f64>()?.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn};

    use super::*;

    #[test]
    fn tensors_round_trip_through_tract() {
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![0.5f32, -1.0, 2.0, 3.0, 0.0, 1.0]);
        let t = Tensor::F32(a.unwrap());
        assert_eq!(from_tract(&to_tract(&t)).unwrap(), t);
        let b = Tensor::Bool(ArrayD::from_elem(IxDyn(&[3]), true));
        assert_eq!(from_tract(&to_tract(&b)).unwrap(), b);
    }
}
