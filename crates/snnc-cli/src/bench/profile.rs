//! `snnc bench --profile`: the cpu engine's time per plan step.

use std::fmt::Write;

use serde_json::{json, Value};
use snnc_cpu::StepTime;

/// The median time of one plan step over the profiled runs.
#[derive(Debug, Clone, PartialEq)]
pub struct StepProfile {
    /// Index of the step in its program.
    pub step: usize,
    /// The kernel's name.
    pub kernel: &'static str,
    /// The graph node the step comes from.
    pub node: String,
    /// Median wall-clock time, in milliseconds.
    pub median_ms: f64,
}

/// Per-step medians of the forward and (when timed) the training program.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// The inference program's steps.
    pub forward: Vec<StepProfile>,
    /// The training program's steps (forward then backward), when a training step was timed.
    pub train: Vec<StepProfile>,
}

/// The per-step medians of `runs` (each one run's [`StepTime`]s, in step order). Runs whose
/// step lists differ from the first run's are ignored.
pub fn step_medians(runs: &[Vec<StepTime>]) -> Vec<StepProfile> {
    let Some(first) = runs.first() else { return Vec::new() };
    let same = |r: &&Vec<StepTime>| {
        r.len() == first.len() && r.iter().zip(first).all(|(a, b)| a.step == b.step)
    };
    let kept: Vec<&Vec<StepTime>> = runs.iter().filter(same).collect();
    first
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mut t: Vec<f64> = kept.iter().map(|r| r[k].time.as_secs_f64() * 1e3).collect();
            t.sort_by(f64::total_cmp);
            let n = t.len();
            let median_ms = if n % 2 == 1 { t[n / 2] } else { 0.5 * (t[n / 2 - 1] + t[n / 2]) };
            StepProfile { step: s.step, kernel: s.kernel, node: s.node.clone(), median_ms }
        })
        .collect()
}

impl Profile {
    /// `{"forward": [{"step", "kernel", "node", "median_ms"}, …], "train": […]}`.
    pub fn to_json(&self) -> Value {
        let steps = |v: &[StepProfile]| -> Value {
            v.iter()
                .map(|s| {
                    json!({"step": s.step, "kernel": s.kernel, "node": s.node,
                           "median_ms": s.median_ms})
                })
                .collect()
        };
        json!({ "forward": steps(&self.forward), "train": steps(&self.train) })
    }

    /// One line per step, with its share of the program's summed step time.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (mode, steps) in [("forward", &self.forward), ("train", &self.train)] {
            if steps.is_empty() {
                continue;
            }
            let total: f64 = steps.iter().map(|s| s.median_ms).sum();
            let _ = writeln!(out, "cpu {mode} steps (median ms; sum {total:.3} ms):");
            for s in steps {
                let share = if total > 0.0 { 100.0 * s.median_ms / total } else { 0.0 };
                let _ = writeln!(
                    out,
                    "  {:>4} {:<22} {:>9.3} {:>5.1}%  {}",
                    s.step, s.kernel, s.median_ms, share, s.node
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn st(step: usize, ms: u64) -> StepTime {
        StepTime {
            step,
            steps: 1,
            kernel: "k",
            node: format!("n{step}"),
            time: Duration::from_millis(ms),
        }
    }

    #[test]
    fn medians_per_step() {
        let runs =
            vec![vec![st(0, 1), st(2, 9)], vec![st(0, 3), st(2, 5)], vec![st(0, 2), st(2, 7)]];
        let m = step_medians(&runs);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].step, m[0].median_ms), (0, 2.0));
        assert_eq!((m[1].step, m[1].median_ms, m[1].node.as_str()), (2, 7.0, "n2"));
        assert!(step_medians(&[]).is_empty());
    }
}
