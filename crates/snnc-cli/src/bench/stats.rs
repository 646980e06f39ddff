use std::time::Instant;

use anyhow::Result;
use serde_json::{json, Value};

use super::Progress;

/// Latency of timed runs, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// The median (the mean of the two middle runs for an even count).
    pub median_ms: f64,
    /// The fastest run.
    pub min_ms: f64,
    /// The mean.
    pub mean_ms: f64,
    /// How many runs were timed.
    pub runs: usize,
}

impl Stats {
    /// Summarizes `times_ms`; `None` when it is empty.
    pub fn from_times(times_ms: &[f64]) -> Option<Stats> {
        if times_ms.is_empty() {
            return None;
        }
        let mut t = times_ms.to_vec();
        t.sort_by(f64::total_cmp);
        let n = t.len();
        let median_ms = if n % 2 == 1 { t[n / 2] } else { 0.5 * (t[n / 2 - 1] + t[n / 2]) };
        let mean_ms = t.iter().sum::<f64>() / n as f64;
        Some(Stats { median_ms, min_ms: t[0], mean_ms, runs: n })
    }

    /// `{"median_ms", "min_ms", "mean_ms", "runs"}`.
    pub fn to_json(self) -> Value {
        json!({
            "median_ms": self.median_ms,
            "min_ms": self.min_ms,
            "mean_ms": self.mean_ms,
            "runs": self.runs,
        })
    }
}

/// Calls `f` `warmup` times untimed, then `runs` (at least 1) times timed, showing progress
/// under `label`; stops at the first error.
pub fn measure(
    label: &str,
    warmup: usize,
    runs: usize,
    mut f: impl FnMut() -> Result<()>,
) -> Result<Stats> {
    let progress = Progress::start(label, warmup + runs);
    for _ in 0..warmup {
        f()?;
        progress.tick();
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t0 = Instant::now();
        f()?;
        times.push(t0.elapsed().as_secs_f64() * 1e3);
        progress.tick();
    }
    progress.finish();
    Ok(Stats::from_times(&times).expect("at least one timed run"))
}

#[cfg(test)]
mod tests {
    use super::Stats;

    #[test]
    fn median_min_mean() {
        let s = Stats::from_times(&[4.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median_ms, s.min_ms, s.mean_ms, s.runs), (3.0, 1.0, 8.0 / 3.0, 3));
        let s = Stats::from_times(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(s.median_ms, 2.5);
        assert!(Stats::from_times(&[]).is_none());
    }
}
