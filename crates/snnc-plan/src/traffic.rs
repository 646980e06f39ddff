//! The least memory traffic of program steps: what `snnc bench --profile` divides by the
//! machine's copy bandwidth to give each step's memory floor.

use std::collections::BTreeSet;

use crate::{BufLoc, Program};

impl Program {
    /// The bytes that steps `first..first + count` read or write, counting each distinct
    /// buffer once: f32 buffers at 4 bytes per element, spike-bit slots at one bit per
    /// entry. A step cannot touch less (it reads each operand and writes each result at least
    /// once), so the time to move these bytes at the machine's bandwidth is a lower bound on
    /// the steps' time; a buffer read twice, or updated in place, still counts once.
    /// Steps past the end are ignored.
    pub fn traffic_bytes(&self, first: usize, count: usize) -> u64 {
        let steps = self.steps.iter().skip(first).take(count);
        let bufs: BTreeSet<u32> = steps
            .flat_map(|s| {
                let a = s.kernel.access();
                a.reads.into_iter().chain(a.writes)
            })
            .map(|b| b.0)
            .collect();
        bufs.into_iter()
            .filter_map(|b| self.bufs.get(b as usize))
            .map(|b| match b.loc {
                BufLoc::Bits { rows, cols, .. } => (rows as u64 * cols as u64).div_ceil(8),
                _ => 4 * b.len as u64,
            })
            .sum()
    }
}
