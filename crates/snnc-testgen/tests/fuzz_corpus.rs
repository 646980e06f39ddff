//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/*`) and the inputs of fixed
//! crashes (`fuzz/regressions/<target>/*`) through the fuzz targets' bodies, on the stable
//! toolchain and without libFuzzer: every input that once mattered keeps being checked.

use std::path::{Path, PathBuf};

use snnc_testgen::fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

#[test]
fn every_target_has_a_corpus_and_replays_it_without_failing() {
    for (name, body) in TARGETS {
        let corpus = files(&fuzz_dir().join("corpus").join(name));
        assert!(corpus.len() >= 5, "fuzz/corpus/{name} has {} inputs", corpus.len());
        let regressions = files(&fuzz_dir().join("regressions").join(name));
        for path in corpus.iter().chain(&regressions) {
            let data = std::fs::read(path).expect("corpus file");
            let run = std::panic::catch_unwind(|| body(&data));
            assert!(run.is_ok(), "fuzz target '{name}' fails on {}", path.display());
        }
    }
}

#[test]
fn the_plan_target_reaches_the_decoder_and_the_engine() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/text/ff2.snn");
    let g = snnc_text::parse_file(&fx).expect("example parses");
    let plan = snnc_plan::compile(&g, &Default::default()).expect("compiles");
    let bytes = plan.to_bytes();
    let framed = snnc_testgen::fuzz::plan_file_of_payload(&bytes[24..]);
    assert_eq!(framed, bytes, "framing a payload rebuilds the plan file");
    let mut whole = vec![1u8];
    whole.extend_from_slice(&bytes);
    snnc_testgen::fuzz::plan(&whole);
    let mut payload = vec![0u8];
    payload.extend_from_slice(&bytes[24..]);
    snnc_testgen::fuzz::plan(&payload);
}
