//! Optimization time against T: the same two-layer Norse network exported unrolled over
//! T = 8, 32, 128 and 1000 steps (about 20 T nodes), from import to a verified optimized graph.
//!
//! `cargo bench -p snnc-opt --bench optimize`

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use snnc_opt::{optimize, OptOptions};

fn model(t: usize) -> snnc_ir::Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let dir = match t {
        8 | 16 | 32 => root.join(format!("fixtures/ff_t{t}")),
        _ => root.join(format!("bench/ff_t{t}")),
    };
    snnc_onnx::load_onnx(&dir.join("model.onnx"), &Default::default()).expect("model loads")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("optimize_ff");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for t in [8, 32, 128, 1000] {
        let g = model(t);
        let opts = OptOptions::default();
        let o = optimize(&g, &opts).expect("optimizes");
        assert_eq!(o.graph.nodes().len(), 4, "T={t} re-rolls");
        group.bench_with_input(BenchmarkId::from_parameter(t), &g, |b, g| {
            b.iter(|| optimize(g, &opts).expect("optimizes"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
