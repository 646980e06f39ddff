use std::fmt::Write;

use serde_json::{json, Map, Value};

use super::compare::finite_or_null;
use super::{BenchEngine, OutputDiff, Profile, Stats};

/// What one engine measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Time to get the engine ready (import, optimize, compile), once.
    pub prepare_ms: f64,
    /// Forward latency.
    pub forward: Stats,
    /// Training-step latency (forward and parameter gradients), when asked for and supported.
    pub train: Option<Stats>,
    /// Outputs against the reference engine's, when the reference could run.
    pub diff: Option<OutputDiff>,
    /// Worst per-tensor relative gradient error against the reference, and tensors compared.
    pub grad_err: Option<(f64, usize)>,
    /// Per-step times, when profiling was asked for (cpu only).
    pub profile: Option<Profile>,
}

/// One engine's line of the report.
#[derive(Debug, Clone)]
pub enum EngineReport {
    /// The engine does not apply to this model, for the reason given.
    Skipped(String),
    /// The engine ran.
    Ran(Measured),
}

/// Everything `snnc bench` prints.
#[derive(Debug, Clone)]
pub struct Report {
    /// The model path as given.
    pub model: String,
    /// Timed runs per engine and mode.
    pub runs: usize,
    /// Untimed warm-up runs.
    pub warmup: usize,
    /// Worker threads of the cpu engine and tract.
    pub threads: usize,
    /// The surrogate of plain exports' spikes, when a training step was timed.
    pub surrogate: Option<String>,
    /// Whether plain exports' resets were differentiated, when a training step was timed.
    pub reset_grad: Option<String>,
    /// The inputs: name, shape, generated (true) or given.
    pub inputs: Vec<(String, Vec<usize>, bool)>,
    /// The engines, in the order they ran.
    pub engines: Vec<(BenchEngine, EngineReport)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Forward,
    Train,
}

impl Measured {
    fn stats(&self, mode: Mode) -> Option<&Stats> {
        match mode {
            Mode::Forward => Some(&self.forward),
            Mode::Train => self.train.as_ref(),
        }
    }
}

impl Report {
    fn measured(&self, e: BenchEngine) -> Option<&Measured> {
        self.engines.iter().find_map(|(k, r)| match r {
            EngineReport::Ran(m) if *k == e => Some(m),
            _ => None,
        })
    }

    /// How many times faster `engine` is than `base` in `mode` (ratio of medians).
    fn speedup(&self, engine: BenchEngine, base: BenchEngine, mode: Mode) -> Option<f64> {
        if engine == base {
            return None;
        }
        let own = self.measured(engine)?.stats(mode)?;
        let other = self.measured(base)?.stats(mode)?;
        Some(other.median_ms / own.median_ms)
    }

    fn mode_json(&self, e: BenchEngine, s: &Stats, mode: Mode) -> Value {
        let mut v = s.to_json();
        for base in [BenchEngine::Ref, BenchEngine::Tract] {
            if let Some(x) = self.speedup(e, base, mode) {
                v[format!("vs_{}", base.name())] = json!(x);
            }
        }
        v
    }

    /// The JSON object: `{"model", "runs", "warmup", "threads", "inputs", "engines": {NAME:
    /// {"median_ms", "runs", "forward": {…}, "train": {…}, "max_abs_diff", …} or {"skipped":
    /// REASON}}}`; an engine's top-level `median_ms`, `min_ms`, `mean_ms` and `runs` are its
    /// forward ones (SPEC §4).
    pub fn to_json(&self) -> Value {
        let mut engines = Map::new();
        for (e, r) in &self.engines {
            let v = match r {
                EngineReport::Skipped(why) => json!({ "skipped": why }),
                EngineReport::Ran(m) => {
                    let mut v = m.forward.to_json();
                    v["prepare_ms"] = json!(m.prepare_ms);
                    v["forward"] = self.mode_json(*e, &m.forward, Mode::Forward);
                    if let Some(t) = &m.train {
                        v["train"] = self.mode_json(*e, t, Mode::Train);
                        if let Some((err, n)) = m.grad_err {
                            v["train"]["grad_rel_err"] = finite_or_null(err);
                            v["train"]["grads_compared"] = json!(n);
                        }
                    }
                    if let Some(p) = &m.profile {
                        v["profile"] = p.to_json();
                    }
                    match &m.diff {
                        Some(d) => {
                            if let (Value::Object(o), Value::Object(extra)) = (&mut v, d.to_json())
                            {
                                o.extend(extra);
                            }
                        }
                        None => v["max_abs_diff"] = Value::Null,
                    }
                    v
                }
            };
            engines.insert(e.name().to_string(), v);
        }
        let inputs: Map<String, Value> = self
            .inputs
            .iter()
            .map(|(n, shape, gen)| (n.clone(), json!({ "shape": shape, "generated": gen })))
            .collect();
        let mut v = json!({
            "model": self.model,
            "runs": self.runs,
            "warmup": self.warmup,
            "threads": self.threads,
            "inputs": inputs,
            "reference": "ref",
            "engines": engines,
        });
        if let Some(s) = &self.surrogate {
            v["surrogate"] = json!(s);
        }
        if let Some(r) = &self.reset_grad {
            v["reset_grad"] = json!(r);
        }
        v
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let inputs: Vec<String> = self
            .inputs
            .iter()
            .map(|(n, s, g)| format!("{n}{s:?}{}", if *g { " generated" } else { "" }))
            .collect();
        let _ = writeln!(
            out,
            "{}: inputs {}; {} threads; median of {} runs after {} warm-up",
            self.model,
            inputs.join(", "),
            self.threads,
            self.runs,
            self.warmup
        );
        let _ = writeln!(
            out,
            "{:<7} {:<8} {:>11} {:>11} {:>5} {:>9} {:>9} {:>11}  spikes",
            "engine", "mode", "median ms", "min ms", "runs", "vs ref", "vs tract", "max |diff|"
        );
        let ratio = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.2}x"));
        for (e, r) in &self.engines {
            let m = match r {
                EngineReport::Skipped(why) => {
                    let _ = writeln!(out, "{:<7} skipped: {why}", e.name());
                    continue;
                }
                EngineReport::Ran(m) => m,
            };
            for mode in [Mode::Forward, Mode::Train] {
                let Some(s) = m.stats(mode) else { continue };
                let (diff, spikes) = match (mode, &m.diff, m.grad_err) {
                    (Mode::Forward, Some(d), _) => (
                        format!("{:.3e}", d.max_abs_diff),
                        if d.spikes_equal() {
                            "equal".to_string()
                        } else {
                            format!("{} differ", d.spike_mismatches)
                        },
                    ),
                    (Mode::Train, _, Some((g, _))) => (format!("{g:.3e}"), "(grad rel err)".into()),
                    _ => ("-".to_string(), String::new()),
                };
                let _ = writeln!(
                    out,
                    "{:<7} {:<8} {:>11.3} {:>11.3} {:>5} {:>9} {:>9} {:>11}  {spikes}",
                    e.name(),
                    if mode == Mode::Forward { "forward" } else { "train" },
                    s.median_ms,
                    s.min_ms,
                    s.runs,
                    ratio(self.speedup(*e, BenchEngine::Ref, mode)),
                    ratio(self.speedup(*e, BenchEngine::Tract, mode)),
                    diff,
                );
            }
        }
        for (_, r) in &self.engines {
            if let EngineReport::Ran(Measured { profile: Some(p), .. }) = r {
                out.push_str(&p.table());
            }
        }
        out
    }
}
