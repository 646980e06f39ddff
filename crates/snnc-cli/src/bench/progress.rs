use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Nothing is shown for work that finishes sooner.
const QUIET_FOR: Duration = Duration::from_secs(1);
/// How often a terminal line is rewritten.
const TTY_TICK: Duration = Duration::from_millis(100);
/// How often a plain line is written when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

struct Shared {
    label: String,
    total: usize,
    done: AtomicUsize,
    shown: AtomicBool,
    start: Instant,
    tty: bool,
}

impl Shared {
    fn line(&self) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        match self.total {
            0 => format!("{}: {secs:.1} s", self.label),
            n => format!(
                "{}: run {}/{n}, {secs:.1} s",
                self.label,
                self.done.load(Ordering::Relaxed)
            ),
        }
    }
}

/// A progress display on stderr for one piece of work (an engine's runs, or a preparation
/// step): silent for the first second; then one line rewritten in place when stderr is a
/// terminal, or a plain line every ten seconds when it is not. Never writes to stdout.
pub struct Progress {
    shared: Arc<Shared>,
    stop: Option<Sender<()>>,
    ticker: Option<JoinHandle<()>>,
    finished: bool,
}

impl Progress {
    /// Starts showing `label`, with `total` runs to count (0: no count, elapsed time only).
    pub fn start(label: &str, total: usize) -> Progress {
        let shared = Arc::new(Shared {
            label: label.to_string(),
            total,
            done: AtomicUsize::new(0),
            shown: AtomicBool::new(false),
            start: Instant::now(),
            tty: std::io::stderr().is_terminal(),
        });
        let (tx, rx) = mpsc::channel::<()>();
        let s = shared.clone();
        let ticker = std::thread::Builder::new()
            .name("snnc-progress".into())
            .spawn(move || {
                let tick = if s.tty { TTY_TICK } else { QUIET_FOR };
                let mut next_plain = QUIET_FOR;
                while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(tick) {
                    let elapsed = s.start.elapsed();
                    if elapsed < QUIET_FOR {
                        continue;
                    }
                    let mut err = std::io::stderr().lock();
                    if s.tty {
                        let _ = write!(err, "\r{}\x1b[K", s.line());
                        let _ = err.flush();
                    } else if elapsed >= next_plain {
                        let _ = writeln!(err, "{}", s.line());
                        next_plain = elapsed + PLAIN_EVERY;
                    } else {
                        continue;
                    }
                    s.shown.store(true, Ordering::Relaxed);
                }
            })
            .ok();
        Progress { shared, stop: Some(tx), ticker, finished: false }
    }

    /// Counts one finished run.
    pub fn tick(&self) {
        self.shared.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Ends the display; when anything was shown, leaves a last line with the total time.
    pub fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        if !self.shared.shown.load(Ordering::Relaxed) {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.shared.tty {
            let _ = write!(err, "\r\x1b[K");
        }
        if self.finished {
            let _ = writeln!(err, "{} (done)", self.shared.line());
        }
        let _ = err.flush();
    }
}
