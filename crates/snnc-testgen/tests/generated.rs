//! Differential property test: random networks (see `snnc_testgen::generate`) agree between
//! the interpreter on the graph as built and as optimized, and the CPU engine on the compiled
//! plans of both, outputs and gradients per SPEC §5.
//!
//! Every case also asserts the cells the optimizer fused: exactly one per spiking layer, of
//! the layer's kind, width and family (SPEC §1.1), except for the spellings
//! `common::PENDING` lists with the reason they do not fuse yet (those are still checked
//! unfused).
//!
//! `SNNC_PROP_CASES` sets the number of cases (default 1000), `SNNC_PROP_SEED` the first seed
//! (default 0); seeds are consecutive, so any failure is reproduced by its seed alone.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use snnc_testgen::{check_case, generate, generate_with_steps, Case, Outcome};

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
    let spellings = Mutex::new(BTreeMap::new());
    let second = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= first + cases {
                    break;
                }
                let case = generate(seed);
                for l in &case.layers {
                    let name = common::pending(&case, l).map_or("fused", |p| p.name);
                    *spellings.lock().unwrap().entry(name).or_insert(0u64) += 1;
                }
                match check_case(&case) {
                    Ok(Outcome::Checked { cells: c, .. })
                        if common::cells_match(&case, &c).is_err() =>
                    {
                        let want = common::expected_cells(&case);
                        let msg = format!(
                            "case {seed} ({}): the optimizer fused [{}], expected [{}]: {}",
                            case.description,
                            common::show(&c),
                            common::show(&want),
                            common::cells_match(&case, &c).unwrap_err()
                        );
                        failures.lock().unwrap().push((seed, msg));
                    }
                    Ok(Outcome::Checked {
                        cells: c,
                        fell_back: f,
                        ill_conditioned: ill,
                        undecided,
                        ..
                    }) => {
                        checked.fetch_add(1, Ordering::Relaxed);
                        near.fetch_add(u64::from(undecided > 0), Ordering::Relaxed);
                        if ill > 0 {
                            ill_cases.fetch_add(1, Ordering::Relaxed);
                            ill_tensors.fetch_add(ill as u64, Ordering::Relaxed);
                        }
                        cells.fetch_add(c.len() as u64, Ordering::Relaxed);
                        let twice = common::cells_match(&case, &c).unwrap_or(0);
                        second.fetch_add(twice as u64, Ordering::Relaxed);
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
         {} tensors of {ill_cases} checked cases left out as ill-conditioned at f32 \
         precision; optimizer: {} cells found ({} beyond one per layer: partial fusions, or a final \
         potential's second cell), {} fell back; layers by fusion: {:?}",
        start.elapsed().as_secs_f64(),
        failures.len(),
        ill_tensors.into_inner(),
        cells.into_inner(),
        second.into_inner(),
        fell_back.into_inner(),
        spellings.into_inner().unwrap(),
    );
    let shown = env_u64("SNNC_PROP_SHOW", 5) as usize;
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed; the first ones:\n{}",
        failures.len(),
        failures.iter().take(shown).map(|(_, e)| e.as_str()).collect::<Vec<_>>().join("\n\n")
    );
    assert!(near * 10 <= cases, "too many cases without a gradient comparison: {near} of {cases}");
    assert!(
        ill_cases * 100 <= cases.max(100),
        "too many ill-conditioned cases: {ill_cases} of {cases}"
    );
}

/// The optimized graph of a case whose every layer fuses has the same size at T = 5 and at
/// T = 9 (the same case otherwise: every weight and spelling is drawn the same), with the
/// cells expected at both: time is re-rolled, whatever the layer's spelling.
#[test]
fn optimized_size_does_not_depend_on_t() {
    let cases = env_u64("SNNC_PROP_CASES", 1000) / 4;
    let first = env_u64("SNNC_PROP_SEED", 0);
    let size = |c: &Case| {
        let opts = snnc_opt::OptOptions { surrogate: c.surrogate, ..Default::default() };
        let opt = snnc_opt::optimize(&c.graph, &opts).expect("optimizes");
        (opt.graph.nodes().len(), snnc_testgen::found_cells(&opt.graph))
    };
    let mut compared = 0;
    let mut failures = Vec::new();
    for seed in first..first + cases {
        let (a, b) = (generate_with_steps(seed, 5), generate_with_steps(seed, 9));
        if !common::fully_fused(&a) || !common::fully_fused(&b) {
            continue;
        }
        compared += 1;
        let (sa, sb) = (size(&a), size(&b));
        for (c, s) in [(&a, &sa), (&b, &sb)] {
            if let Err(e) = common::cells_match(c, &s.1) {
                failures.push(format!("case {seed} at T = {}: {e}", c.steps));
            }
        }
        if sa.0 != sb.0 {
            failures.push(format!(
                "case {seed} ({}): {} nodes at T = 5, {} at T = 9 (cells {:?} / {:?})",
                a.description, sa.0, sb.0, sa.1, sb.1
            ));
        }
    }
    eprintln!("{compared} fully fused cases of {cases} compared at T = 5 and T = 9");
    assert!(compared * 3 >= cases, "too few fully fused cases: {compared} of {cases}");
    assert!(failures.is_empty(), "{} cases:\n{}", failures.len(), failures.join("\n"));
}
