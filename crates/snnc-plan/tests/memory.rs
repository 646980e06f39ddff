//! Liveness-based buffer reuse: on the T = 32 export (as imported and as optimized) the planned
//! peak is well below what the same buffers take without reuse, and training keeps only what
//! the backward pass reads.

use std::path::Path;

use snnc_plan::{compile, Kernel, Plan};

fn plans() -> Vec<(&'static str, Plan)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/fixtures/ff_t32/model.onnx");
    let g = snnc_onnx::load_onnx(&path, &Default::default()).unwrap();
    let o = snnc_opt::optimize(&g, &Default::default()).unwrap().graph;
    vec![
        ("imported", compile(&g, &Default::default()).unwrap()),
        ("optimized", compile(&o, &Default::default()).unwrap()),
    ]
}

#[test]
fn reuse_reduces_peak_memory_on_ff_t32() {
    for (what, p) in plans() {
        for (prog, name) in [(p.infer(), "inference"), (p.train(), "training")] {
            let s = prog.stats;
            eprintln!(
                "{what} {name}: peak {} B, without reuse {} B",
                s.peak_bytes, s.unshared_bytes
            );
            assert!(s.peak_bytes < s.unshared_bytes, "{what} {name}: no reuse ({s:?})");
        }
        let (i, t) = (p.infer().stats, p.train().stats);
        assert!(
            2 * i.peak_bytes <= i.unshared_bytes || what == "optimized",
            "{what}: weak reuse {i:?}"
        );
        // The saved tensors live from the forward pass to their backward step, so no reuse can
        // touch them; the rest of the training program must fit in half its unshared size.
        let (peak, unshared) = (t.peak_bytes - t.saved_bytes, t.unshared_bytes - t.saved_bytes);
        assert!(2 * peak <= unshared, "{what}: weak reuse {t:?}");
        assert_eq!(i.saved_bytes, 0);
        assert!(t.saved_bytes > 0);
    }
}

#[test]
fn optimized_training_saves_only_potentials_and_bits() {
    let (_, p) = plans().pop().unwrap();
    let prog = p.train();
    let fwd = &prog.steps[..prog.forward_len];
    let iaf: Vec<_> = fwd
        .iter()
        .filter_map(|s| match &s.kernel {
            Kernel::Iaf(k) => Some(k),
            Kernel::LinearIaf(k) => Some(&k.iaf),
            _ => None,
        })
        .collect();
    assert_eq!(iaf.len(), 2);
    // Both layers are fused with their IAF: layer 2's input spikes are packed to bits for its
    // dW by a step that reads only layer 1's spikes, so it moves before layer 2's pair.
    let fused: Vec<_> =
        (0..fwd.len()).filter(|&i| matches!(fwd[i].kernel, Kernel::LinearIaf(_))).collect();
    assert_eq!(fused.len(), 2);
    assert!(iaf.iter().all(|k| k.v_pre.is_some() && k.z_bits.is_none()));
    let pack = fwd.iter().position(|s| matches!(s.kernel, Kernel::PackBits(_))).expect("packs");
    assert!(fused[0] < pack && pack < fused[1], "{fwd:?}");
    assert!(prog.steps.iter().any(|s| matches!(s.kernel, Kernel::SpikeDw(_))));
    assert!(prog.steps.iter().filter(|s| matches!(s.kernel, Kernel::IafBack(_))).count() == 2);
}
