//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/*`) and the inputs of fixed
//! crashes (`fuzz/regressions/<target>/*`) through the fuzz targets' bodies, on the stable
//! toolchain and without libFuzzer: every input that once mattered keeps being checked. Then
//! runs each target briefly on mutations of its corpus.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use snnc_testgen::fuzz::TARGETS;
use snnc_testgen::{mutate, Rng};

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

/// The plan files of the text-IR examples, framed as the plan target reads them: `0` + the
/// payload, and `1` + the whole file.
fn plan_inputs() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/text");
    let mut out = Vec::new();
    for path in files(&dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "snn")) {
        let g = snnc_text::parse_file(&path).expect("example parses");
        let plan = snnc_plan::compile(&g, &Default::default()).expect("compiles");
        let bytes = plan.to_bytes();
        let framed = snnc_testgen::fuzz::plan_file_of_payload(&bytes[24..]);
        assert_eq!(framed, bytes, "framing a payload rebuilds the plan file");
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((format!("{stem}-payload"), [&[0u8][..], &bytes[24..]].concat()));
        out.push((format!("{stem}-file"), [&[1u8][..], &bytes[..]].concat()));
    }
    out
}

/// Runs the plan target on real plans (both framings). With `SNNC_WRITE_PLAN_SEEDS=1` it also
/// writes them to `fuzz/corpus/plan/` (how that corpus was seeded).
#[test]
fn the_plan_target_reaches_the_decoder_and_the_engine() {
    let inputs = plan_inputs();
    assert!(inputs.len() >= 4);
    for (name, data) in &inputs {
        snnc_testgen::fuzz::plan(data);
        if std::env::var("SNNC_WRITE_PLAN_SEEDS").is_ok_and(|v| v == "1") {
            let dir = fuzz_dir().join("corpus/plan");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), data).unwrap();
        }
    }
}

/// Seconds one mutated input may take before the run counts it as a hang.
const HANG_SECONDS: u64 = 60;

/// The input being run, for the watchdog: target, seed, run number, bytes, start.
type Current = Option<(&'static str, u64, u64, Vec<u8>, Instant)>;

/// Watches `current`: when one input runs longer than [`HANG_SECONDS`], writes it to
/// `fuzz/artifacts/<target>/hang-…`, names it, and ends the process (a thread cannot be
/// stopped), so that a slow input fails the test at once instead of stalling CI.
fn watchdog(current: Arc<Mutex<Current>>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        let cur = current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((name, seed, run, data, start)) = cur.as_ref() {
            if start.elapsed() > Duration::from_secs(HANG_SECONDS) {
                let dir = fuzz_dir().join("artifacts").join(name);
                let path = dir.join(format!("hang-seed{seed}-run{run}"));
                let saved = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, data));
                eprintln!(
                    "fuzz target '{name}' runs over {HANG_SECONDS} s on {} (SNNC_FUZZ_SEED={seed}; \
                     saved: {})",
                    path.display(),
                    saved.is_ok()
                );
                std::process::exit(101);
            }
        }
    });
}

/// Runs every target on random mutations of its corpus for `SNNC_FUZZ_SECONDS` (default 5)
/// each, from the seed `SNNC_FUZZ_SEED` (default: the clock, printed). A failing input is
/// written to `fuzz/artifacts/<target>/` and named in the failure; an input that runs longer
/// than [`HANG_SECONDS`] is written there too and ends the test process.
#[test]
fn every_target_survives_a_brief_mutation_run() {
    let current: Arc<Mutex<Current>> = Arc::new(Mutex::new(None));
    watchdog(current.clone());
    let secs: f64 =
        std::env::var("SNNC_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let seed =
        std::env::var("SNNC_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        });
    // The bodies catch and report what they expect; anything that unwinds out is a failure,
    // and its message is printed by the default hook.
    for (k, (name, body)) in TARGETS.into_iter().enumerate() {
        let corpus: Vec<Vec<u8>> = files(&fuzz_dir().join("corpus").join(name))
            .iter()
            .map(|p| std::fs::read(p).expect("corpus file"))
            .collect();
        let mut rng = Rng::new(seed.wrapping_add(k as u64));
        let (start, mut runs) = (Instant::now(), 0u64);
        while start.elapsed() < Duration::from_secs_f64(secs) {
            let (a, b) = (rng.pick(&corpus), rng.pick(&corpus));
            let data = mutate(&mut rng, a, b);
            *current.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((name, seed, runs, data.clone(), Instant::now()));
            if std::panic::catch_unwind(|| body(&data)).is_err() {
                let dir = fuzz_dir().join("artifacts").join(name);
                std::fs::create_dir_all(&dir).expect("artifact folder");
                let path = dir.join(format!("crash-seed{seed}-run{runs}"));
                std::fs::write(&path, &data).expect("artifact");
                panic!("fuzz target '{name}' fails on {} (SNNC_FUZZ_SEED={seed})", path.display());
            }
            runs += 1;
        }
        *current.lock().unwrap_or_else(|e| e.into_inner()) = None;
        eprintln!(
            "fuzz target '{name}': {runs} mutated inputs in {secs} s (seed {seed}), no failure"
        );
        assert!(runs > 0, "target '{name}' ran no input");
    }
}
