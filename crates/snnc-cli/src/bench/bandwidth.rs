//! The machine's memory bandwidth as `snnc bench --profile` measures it: the best of a few
//! parallel copies of a buffer far larger than any cache.

use std::time::Instant;

/// Bytes copied per measurement (source and destination each), past any last-level cache.
const COPY_BYTES: usize = 128 << 20;

/// Copies measured; the fastest counts.
const COPIES: usize = 5;

/// The bandwidth, in bytes per second, of copying a 128 MiB f32 buffer into another on
/// `threads` threads (each its contiguous share, with the standard library's `memcpy`),
/// counting the bytes read and the bytes written: the best of five copies after one that
/// faults the pages in. This is what the machine lets a kernel that reads its operands
/// once and writes its results once achieve.
pub fn copy_bandwidth(threads: usize) -> f64 {
    let n = COPY_BYTES / 4;
    let src: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let mut dst = vec![0f32; n];
    let threads = threads.max(1);
    let share = n.div_ceil(threads);
    let mut best = f64::INFINITY;
    for k in 0..=COPIES {
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for (d, c) in dst.chunks_mut(share).zip(src.chunks(share)) {
                s.spawn(move || d.copy_from_slice(c));
            }
        });
        let dt = t0.elapsed().as_secs_f64();
        if k > 0 {
            best = best.min(dt);
        }
    }
    std::hint::black_box(&dst);
    (2 * COPY_BYTES) as f64 / best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any machine copies between 100 MB/s and 10 TB/s.
    #[test]
    fn plausible() {
        let b = copy_bandwidth(2);
        assert!((1e8..1e13).contains(&b), "{b} B/s");
    }
}
