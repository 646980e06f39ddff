//! `snnc bench --profile`: the cpu engine's time per plan step, and how far each step is
//! from its memory floor (the bytes it must move, at the machine's copy bandwidth).

use std::fmt::Write;

use serde_json::{json, Value};
use snnc_cpu::StepTime;
use snnc_plan::Program;

/// The median time of one plan step over the profiled runs.
#[derive(Debug, Clone, PartialEq)]
pub struct StepProfile {
    /// Index of the (first) step in its program.
    pub step: usize,
    /// Consecutive steps the entry covers (more than one where the engine fused them).
    pub steps: usize,
    /// The kernel's name.
    pub kernel: &'static str,
    /// The graph node the step comes from.
    pub node: String,
    /// Median wall-clock time, in milliseconds.
    pub median_ms: f64,
    /// The bytes the steps read or write, each buffer once
    /// ([`Program::traffic_bytes`](snnc_plan::Program::traffic_bytes)); 0 until
    /// [`Profile::with_traffic`] fills it in.
    pub bytes: u64,
}

/// Per-step medians of the forward and (when timed) the training program.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// The inference program's steps.
    pub forward: Vec<StepProfile>,
    /// The training program's steps (forward then backward), when a training step was timed.
    pub train: Vec<StepProfile>,
    /// The machine's copy bandwidth in bytes per second ([`copy_bandwidth`](super::copy_bandwidth)
    /// with the profiled thread count); 0 when not measured.
    pub copy_bytes_per_s: f64,
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
            StepProfile {
                step: s.step,
                steps: s.steps,
                kernel: s.kernel,
                node: s.node.clone(),
                median_ms,
                bytes: 0,
            }
        })
        .collect()
}

impl Profile {
    /// Fills in each step's bytes from the programs it timed (`infer` for
    /// [`Profile::forward`], `train` for [`Profile::train`]) and records the bandwidth.
    pub fn with_traffic(mut self, infer: &Program, train: &Program, copy_bytes_per_s: f64) -> Self {
        for (steps, prog) in [(&mut self.forward, infer), (&mut self.train, train)] {
            for s in steps.iter_mut() {
                s.bytes = prog.traffic_bytes(s.step, s.steps);
            }
        }
        self.copy_bytes_per_s = copy_bytes_per_s;
        self
    }

    /// The time to move `bytes` at the copy bandwidth, in milliseconds (0 when unmeasured).
    fn floor_ms(&self, bytes: u64) -> f64 {
        if self.copy_bytes_per_s > 0.0 {
            bytes as f64 / self.copy_bytes_per_s * 1e3
        } else {
            0.0
        }
    }

    /// `{"copy_gb_s", "forward": [{"step", "steps", "kernel", "node", "median_ms", "bytes",
    /// "floor_ms"}, …], "train": […]}`.
    pub fn to_json(&self) -> Value {
        let steps = |v: &[StepProfile]| -> Value {
            v.iter()
                .map(|s| {
                    json!({"step": s.step, "steps": s.steps, "kernel": s.kernel, "node": s.node,
                           "median_ms": s.median_ms, "bytes": s.bytes,
                           "floor_ms": self.floor_ms(s.bytes)})
                })
                .collect()
        };
        json!({ "copy_gb_s": self.copy_bytes_per_s / 1e9, "forward": steps(&self.forward),
                "train": steps(&self.train) })
    }

    /// One line per step, with its share of the program's summed step time.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (mode, steps) in [("forward", &self.forward), ("train", &self.train)] {
            if steps.is_empty() {
                continue;
            }
            let total: f64 = steps.iter().map(|s| s.median_ms).sum();
            let _ = writeln!(
                out,
                "cpu {mode} steps (median ms; sum {total:.3} ms; MB each buffer once, ×floor the time over moving them):"
            );
            for s in steps {
                let share = if total > 0.0 { 100.0 * s.median_ms / total } else { 0.0 };
                let floor = self.floor_ms(s.bytes);
                let times =
                    if floor > 0.0 { format!("{:.1}×", s.median_ms / floor) } else { "-".into() };
                let _ = writeln!(
                    out,
                    "  {:>4} {:<22} {:>9.3} {:>5.1}% {:>9.2} {:>7}  {}",
                    s.step,
                    s.kernel,
                    s.median_ms,
                    share,
                    s.bytes as f64 / 1e6,
                    times,
                    s.node
                );
            }
            let floor: f64 = steps.iter().map(|s| self.floor_ms(s.bytes)).sum();
            if floor > 0.0 {
                let _ = writeln!(
                    out,
                    "  memory floor {floor:.3} ms (each step's buffers once at the {:.1} GB/s copy bandwidth): steps take {:.2}× it",
                    self.copy_bytes_per_s / 1e9,
                    total / floor
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

    /// 2 MB at 1 GB/s is a 2 ms floor: a 3 ms step is 1.5× it, and the footer sums the floors.
    #[test]
    fn floors_from_bytes_and_bandwidth() {
        let mut m = step_medians(&[vec![st(0, 3), st(1, 1)]]);
        m[0].bytes = 2_000_000;
        m[1].bytes = 500_000;
        let p = Profile { forward: m, train: Vec::new(), copy_bytes_per_s: 1e9 };
        let t = p.table();
        assert!(t.contains("1.5×"), "{t}");
        assert!(t.contains("2.0×"), "{t}");
        assert!(t.contains("memory floor 2.500 ms"), "{t}");
        assert!(t.contains("1.60× it"), "{t}");
        let j = p.to_json();
        assert_eq!(j["forward"][0]["floor_ms"], 2.0);
        assert_eq!(j["forward"][1]["bytes"], 500_000);
        // Unmeasured bandwidth: no floor, no footer.
        let q = Profile { copy_bytes_per_s: 0.0, ..p };
        assert!(!q.table().contains("memory floor"));
        assert!(q.table().contains(" - "));
    }
}
