use anyhow::{Context, Result};
use ndarray::{ArrayD, IxDyn};
use snnc_ir::Tensor;

use crate::args::GradArgs;
use crate::exec::Exec;
use crate::inputs::{bind_signature, read_named_arrays, to_dtype, write_npz};
use crate::model::ModelFile;
use crate::summary::norm;

/// `snnc grad`: BPTT gradients of the model for every graph input and float initializer,
/// written to an `.npz` keyed by value name.
pub fn grad(a: GradArgs) -> Result<()> {
    let mut mf = ModelFile::open(&a.model)?;
    let given = read_named_arrays(&a.inputs, &mf.input_names()?, "input")?;
    // The optimizer gives the spikes and resets of plain exports the backward the gradient uses.
    let export = a.reset_grad.export(&mut mf, a.surrogate);
    let exec = Exec::new(&mf, &given, a.engine, a.stage, export)?;
    let (inputs, generated) = bind_signature(&exec.inputs(), given)?;
    if !generated.is_empty() {
        println!("generated input (uniform [0,1), fixed seed): {}", generated.join(", "));
    }
    let outs = exec.outputs();
    let out_names: Vec<String> = outs.iter().map(|(n, _)| n.clone()).collect();
    let mut upstream = read_named_arrays(&a.grad_outputs, &out_names, "output")?;
    for (name, t) in upstream.iter_mut() {
        let ty = &outs.iter().find(|(n, _)| n == name).expect("names were checked").1;
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
        for (name, ty) in &outs {
            let ones = Tensor::from_f64(ty.dtype, ArrayD::from_elem(IxDyn(&ty.shape), 1.0));
            upstream.push((name.clone(), ones));
        }
    }
    let grads = exec.grad(&inputs, &upstream, a.wrt).with_context(|| mf.label())?;
    println!("{} ({}, {export}):", mf.label(), exec.describe());
    for (name, t) in &grads {
        println!("  d/d{name:<16} {}  norm {:.6e}", t.tensor_type(), norm(t));
    }
    write_npz(&a.output, &grads)?;
    println!("wrote {} gradients to {}", grads.len(), a.output.display());
    Ok(())
}
