use anyhow::{Context, Result};
use ndarray::{ArrayD, IxDyn};
use snnc_ir::Tensor;

use crate::args::{GradArgs, Wrt};
use crate::inputs::{bind_inputs, read_named_arrays, to_dtype, write_npz};
use crate::model::ModelFile;
use crate::summary::norm;

/// `snnc grad`: BPTT gradients of the model for every graph input and float initializer,
/// written to an `.npz` keyed by value name.
pub fn grad(a: GradArgs) -> Result<()> {
    let mf = ModelFile::open(&a.model)?;
    let given = read_named_arrays(&a.inputs, &mf.input_names()?, "input")?;
    let g = mf.load(&given)?;
    // The optimizer gives the spikes of plain exports the surrogate the gradient uses.
    let g = crate::stage::staged(&mf, g, a.stage, a.surrogate)?;
    let (inputs, generated) = bind_inputs(&g, given)?;
    if !generated.is_empty() {
        println!("generated input (uniform [0,1), fixed seed): {}", generated.join(", "));
    }
    let out_names: Vec<String> = g.outputs().iter().map(|&o| g.value(o).name.clone()).collect();
    let mut upstream = read_named_arrays(&a.grad_outputs, &out_names, "output")?;
    for (name, t) in upstream.iter_mut() {
        let ty = g.ty(g.find(name).expect("names were checked"));
        if t.shape() != ty.shape.as_slice() || !t.dtype().is_float() {
            anyhow::bail!(
                "gradient for output '{name}': expected {ty}, the array is {}",
                t.tensor_type()
            );
        }
        *t = to_dtype(t.clone(), ty.dtype);
    }
    if a.grad_outputs.is_empty() {
        println!("no --grad-output given: every output gets an upstream gradient of ones");
        for &o in g.outputs() {
            let ty = g.ty(o);
            let ones = Tensor::from_f64(ty.dtype, ArrayD::from_elem(IxDyn(&ty.shape), 1.0));
            upstream.push((g.value(o).name.clone(), ones));
        }
    }
    let opts = snnc_interp::GradOptions { surrogate: a.surrogate };
    let result = snnc_interp::grad(&g, &inputs, &upstream, &opts).with_context(|| mf.label())?;
    let is_input = |n: &str| g.find(n).is_some_and(|id| g.inputs().contains(&id));
    let grads: Vec<(String, Tensor)> = result
        .grads
        .into_iter()
        .filter(|(n, _)| match a.wrt {
            Wrt::All => true,
            Wrt::Inputs => is_input(n),
            Wrt::Params => !is_input(n),
        })
        .collect();
    println!("{} ({} nodes), engine ref, surrogate {}:", mf.label(), g.nodes().len(), a.surrogate);
    for (name, t) in &grads {
        println!("  d/d{name:<16} {}  norm {:.6e}", t.tensor_type(), norm(t));
    }
    write_npz(&a.output, &grads)?;
    println!("wrote {} gradients to {}", grads.len(), a.output.display());
    Ok(())
}
