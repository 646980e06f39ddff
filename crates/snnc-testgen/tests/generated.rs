//! Differential property test: random networks (see `snnc_testgen::generate`) agree between
//! the interpreter on the graph as built and as optimized, and the CPU engine on the compiled
//! plans of both, outputs and gradients per SPEC §5.
//!
//! `SNNC_PROP_CASES` sets the number of cases (default 1000), `SNNC_PROP_SEED` the first seed
//! (default 0); seeds are consecutive, so any failure is reproduced by its seed alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use snnc_testgen::{check_case, generate, Outcome};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn generated_networks_agree_across_stages_and_engines() {
    let cases = env_u64("SNNC_PROP_CASES", 1000);
    let first = env_u64("SNNC_PROP_SEED", 0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let next = AtomicU64::new(first);
    let (checked, near, cells, fell_back) =
        (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let (ill_cases, ill_tensors) = (AtomicU64::new(0), AtomicU64::new(0));
    let failures = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= first + cases {
                    break;
                }
                let case = generate(seed);
                match check_case(&case) {
                    Ok(Outcome::Checked {
                        cells: c,
                        fell_back: f,
                        ill_conditioned: ill,
                        undecided,
                    }) => {
                        checked.fetch_add(1, Ordering::Relaxed);
                        near.fetch_add(u64::from(undecided > 0), Ordering::Relaxed);
                        if ill > 0 {
                            ill_cases.fetch_add(1, Ordering::Relaxed);
                            ill_tensors.fetch_add(ill as u64, Ordering::Relaxed);
                        }
                        cells.fetch_add(c as u64, Ordering::Relaxed);
                        fell_back.fetch_add(u64::from(f), Ordering::Relaxed);
                    }
                    Err(e) => failures.lock().unwrap().push((seed, e.to_string())),
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let (checked, near) = (checked.into_inner(), near.into_inner());
    let ill_cases = ill_cases.into_inner();
    eprintln!(
        "generated networks: {cases} cases from seed {first} in {:.1} s on {threads} threads: \
         {checked} checked, {near} of them with a spike decision within SPEC §5's tolerance \
         (outputs depending on it and gradients not compared), {} failed; \
         {} gradient tensors of {ill_cases} checked cases left out as ill-conditioned at f32 \
         precision; optimizer: {} cells found, {} fell back",
        start.elapsed().as_secs_f64(),
        failures.len(),
        ill_tensors.into_inner(),
        cells.into_inner(),
        fell_back.into_inner(),
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed; the first ones:\n{}",
        failures.len(),
        failures.iter().take(5).map(|(_, e)| e.as_str()).collect::<Vec<_>>().join("\n\n")
    );
    assert!(near * 10 <= cases, "too many cases without a gradient comparison: {near} of {cases}");
    assert!(
        ill_cases * 100 <= cases.max(100),
        "too many ill-conditioned cases: {ill_cases} of {cases}"
    );
}
