//! `snnc check`'s judgement (`snnc_interp::Contract`, SPEC §5) on real CPU-engine results of the
//! fixtures, and on those results altered: a dropped weight gradient and a spike flipped far
//! from its threshold fail; a spike flipped where the reference decided within the tolerance
//! is accepted.

mod common;

use common::*;
use snnc_interp::{Contract, GradOptions};
use snnc_ir::{DType, Graph, Tensor};

type Named = Vec<(String, Tensor)>;

/// The reference (interpreter on the imported graph) and the CPU engine (the optimized plan)
/// on one input, forward and backward, as `snnc check` runs them.
struct Run {
    graph: Graph,
    inputs: Named,
    want: (Named, Named),
    got: (Named, Named),
}

fn cpu_run(name: &str, edit: impl FnOnce(&mut Named)) -> Run {
    let dir = fixture(name);
    let graph = snnc_onnx::load_onnx(&dir.join("model.onnx"), &Default::default()).unwrap();
    let mut inputs = npz(&dir.join("inputs.npz"));
    edit(&mut inputs);
    let seeds = npz(&dir.join("grad_outputs.npz"));
    let surrogate = GradOptions::default().surrogate;
    let r = snnc_interp::grad(
        &graph,
        &inputs,
        &seeds,
        &GradOptions { surrogate, reset_grad: Default::default() },
    )
    .unwrap();
    let opts = snnc_opt::OptOptions { surrogate, ..Default::default() };
    let opt = snnc_opt::optimize(&graph, &opts).unwrap();
    let plan = snnc_plan::compile(
        &opt.graph,
        &snnc_plan::CompileOptions { surrogate, reset_grad: Default::default() },
    )
    .unwrap();
    let mut e = snnc_cpu::Engine::new(&plan);
    let outs = e.run(&inputs).unwrap();
    let grads = e.grad(&inputs, &seeds, snnc_cpu::Wrt::All).unwrap().grads;
    Run { graph, inputs, want: (r.outputs, r.grads), got: (outs, grads) }
}

/// `snnc check`'s reading of a spike tensor: only 0 and 1.
fn spikes(_: &str, t: &Tensor) -> bool {
    t.to_f64().iter().all(|&x| x == 0.0 || x == 1.0)
}

impl Run {
    fn contract(&self) -> Contract {
        Contract::new(&self.graph, &self.inputs).unwrap()
    }

    /// Every mismatch of `got` (outputs, gradients) against the reference.
    fn judge(&self, outs: &Named, grads: &Named) -> Vec<String> {
        let c = self.contract();
        let mut bad = c.compare_outputs(outs, &self.want.0, spikes);
        bad.extend(c.compare_gradients(grads, &self.want.1));
        bad
    }
}

/// `t` with element `k` (row-major) flipped between 0 and 1.
fn flipped(t: &Tensor, k: usize) -> Tensor {
    let mut v = t.to_f64();
    let e = v.iter_mut().nth(k).unwrap();
    *e = 1.0 - *e;
    Tensor::from_f64(DType::F32, v)
}

fn spike_output(outs: &Named) -> (usize, String) {
    let k = outs.iter().position(|(n, t)| spikes(n, t)).expect("a spike output");
    (k, outs[k].0.clone())
}

#[test]
fn a_dropped_weight_gradient_fails() {
    let run = cpu_run("ff_t8", |_| {});
    assert!(run.judge(&run.got.0, &run.got.1).is_empty());
    let mut grads = run.got.1.clone();
    grads.retain(|(n, _)| n != "fc1.weight");
    assert_eq!(run.judge(&run.got.0, &grads), ["gradient 'fc1.weight' is missing"]);
}

#[test]
fn a_spike_flipped_far_from_its_threshold_fails() {
    let run = cpu_run("ff_t8", |_| {});
    let margin = snnc_interp::spike_margins(&run.graph, &run.inputs).unwrap();
    assert!(margin > 1e-4, "every decision is far from its threshold: {margin}");
    let mut outs = run.got.0.clone();
    let (k, name) = spike_output(&outs);
    outs[k].1 = flipped(&outs[k].1, 3);
    let bad = run.judge(&outs, &run.got.1);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].starts_with(&format!("{name}: 1 of ")), "{bad:?}");
}

#[test]
fn a_spike_flipped_at_its_threshold_is_accepted() {
    // custom_iaf_fti fires before it integrates, with v_th = 1: V0[0,0] = 1 + 5e-6 puts the
    // first decision of neuron 0 of batch row 0 within 1e-5 of its threshold.
    let run = cpu_run("custom_iaf_fti", |inputs| {
        let v0 = &mut inputs.iter_mut().find(|(n, _)| n == "V0").unwrap().1;
        let mut v = v0.to_f64();
        v[[0, 0]] = 1.000005;
        *v0 = Tensor::from_f64(DType::F32, v);
    });
    let c = run.contract();
    assert_eq!(c.excused().decisions, 1);
    assert!(run.judge(&run.got.0, &run.got.1).is_empty());
    let mut outs = run.got.0.clone();
    let (k, name) = spike_output(&outs);
    let z = c.excused().mask(&name).expect("Z[0,0,0] and what follows it are excused");
    assert!(z[[0, 0, 0]] && z[[7, 0, 0]] && !z[[0, 1, 0]] && !z[[0, 0, 1]], "{z:?}");
    outs[k].1 = flipped(&outs[k].1, 0);
    assert!(run.judge(&outs, &run.got.1).is_empty());
    // Neuron 1 of the same row decides far from its threshold.
    outs[k].1 = flipped(&outs[k].1, 1);
    assert_eq!(run.judge(&outs, &run.got.1).len(), 1);
}
