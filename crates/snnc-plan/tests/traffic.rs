//! `Program::traffic_bytes`: each buffer a step range touches, once, at its size.

use std::collections::BTreeSet;
use std::path::Path;

use snnc_plan::{compile, BufLoc, Program};

fn program_bytes(p: &Program, bufs: &BTreeSet<u32>) -> u64 {
    bufs.iter()
        .map(|&b| match p.bufs[b as usize].loc {
            BufLoc::Bits { rows, cols, .. } => (rows * cols).div_ceil(8) as u64,
            _ => 4 * p.bufs[b as usize].len as u64,
        })
        .sum()
}

#[test]
fn each_buffer_once_at_its_size() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/fixtures/ff_t32/model.onnx");
    let g = snnc_onnx::load_onnx(&path, &Default::default()).unwrap();
    let o = snnc_opt::optimize(&g, &Default::default()).unwrap().graph;
    let plan = compile(&o, &Default::default()).unwrap();
    for prog in [plan.infer(), plan.train()] {
        let n = prog.steps.len();
        assert!(n >= 2);
        let mut all = BTreeSet::new();
        for (k, s) in prog.steps.iter().enumerate() {
            let a = s.kernel.access();
            let mine: BTreeSet<u32> = a.reads.iter().chain(&a.writes).map(|b| b.0).collect();
            assert!(!mine.is_empty(), "step {k} touches no buffer");
            let want = program_bytes(prog, &mine);
            assert!(want > 0);
            assert_eq!(prog.traffic_bytes(k, 1), want, "step {k}");
            all.extend(mine);
        }
        // A range counts a buffer that several of its steps touch once, so the whole program
        // is less than the sum of its steps (steps pass values to each other).
        let whole = prog.traffic_bytes(0, n);
        assert_eq!(whole, program_bytes(prog, &all));
        let summed: u64 = (0..n).map(|k| prog.traffic_bytes(k, 1)).sum();
        assert!(whole < summed, "{whole} vs {summed}");
        // Steps past the end add nothing.
        assert_eq!(prog.traffic_bytes(n - 1, 5), prog.traffic_bytes(n - 1, 1));
        assert_eq!(prog.traffic_bytes(n, 1), 0);
    }
}
