//! Index lists of the active (= 1) entries of a binary matrix, by row (CSR) or by column (CSC),
//! built in parallel over fixed chunks so that the lists never depend on the thread count.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::bits::pack_row;
use crate::ones::{push_ones, push_set_bits};
use crate::spike_linear::SpikeInput;
use crate::KernelError;

/// Entries per part of a [`Lists`] (rows per task of [`row_lists`], columns per word group of
/// [`col_lists`]).
pub(crate) const PART: usize = 64;

/// The lists of [`PART`] consecutive entries: entry `k`'s indices are
/// `idx[starts[k]..starts[k + 1]]`, increasing.
#[derive(Debug, Default)]
pub(crate) struct Part {
    pub(crate) starts: Vec<usize>,
    pub(crate) idx: Vec<u32>,
}

/// Parts whose storage a dropped [`Lists`] gave back, so that the next kernel call reuses
/// warm, already-mapped memory instead of allocating (and page-faulting) afresh.
static SPARE: Mutex<Vec<Part>> = Mutex::new(Vec::new());

/// At most this many spare parts are kept (each holds one part's lists, a few KiB to a few
/// hundred KiB).
const MAX_SPARE: usize = 4096;

/// An empty part, reusing spare storage when there is some.
pub(crate) fn fresh_part() -> Part {
    let spare = SPARE.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut p = spare.unwrap_or_default();
    p.starts.clear();
    p.idx.clear();
    p.starts.push(0);
    p
}

/// Compressed index lists of entries `0..len()` (the rows or the columns of a binary matrix),
/// stored in parts of [`PART`] entries that are built in parallel.
#[derive(Debug, Default)]
pub(crate) struct Lists {
    pub(crate) parts: Vec<Part>,
}

/// Gives `parts` back to [`SPARE`], up to [`MAX_SPARE`] of them.
fn recycle(parts: impl Iterator<Item = Part>) {
    let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
    let room = MAX_SPARE.saturating_sub(spare.len());
    spare.extend(parts.take(room));
}

impl Drop for Lists {
    fn drop(&mut self) {
        recycle(self.parts.drain(..));
    }
}

impl Lists {
    /// The indices of entry `k`.
    #[inline(always)]
    pub(crate) fn of(&self, k: usize) -> &[u32] {
        let p = &self.parts[k / PART];
        let j = k % PART;
        &p.idx[p.starts[j]..p.starts[j + 1]]
    }

    /// Total number of indices.
    pub(crate) fn nnz(&self) -> usize {
        self.parts.iter().map(|p| p.idx.len()).sum()
    }
}

/// Checks that indices below `n` fit in u32.
pub(crate) fn check_u32(what: &'static str, n: usize) -> Result<(), KernelError> {
    if u32::try_from(n).is_err() {
        return Err(KernelError::Overflow(what));
    }
    Ok(())
}

/// The lists of rows `c·PART ..` (at most [`PART`]) of `x` (`rows × cols`). Errors when an
/// f32 element is neither 0 nor 1.
fn row_part(x: &SpikeInput<'_>, rows: usize, cols: usize, c: usize) -> Result<Part, KernelError> {
    let (r0, r1) = (c * PART, ((c + 1) * PART).min(rows));
    let mut l = fresh_part();
    for r in r0..r1 {
        match x {
            SpikeInput::F32(x) => {
                let row = &x[r * cols..(r + 1) * cols];
                if let Some(j) = push_ones(row, &mut l.idx) {
                    let (index, value) = (r * cols + j, row[j]);
                    return Err(KernelError::NotBinary { what: "x", index, value });
                }
            }
            SpikeInput::Bits(b) => push_set_bits(b.row(r), &mut l.idx),
        }
        l.starts.push(l.idx.len());
    }
    Ok(l)
}

/// The active columns of each of `rows` rows of `cols` (row lists, CSR).
///
/// Errors when an f32 element is neither 0 nor 1.
pub(crate) fn row_lists(
    x: &SpikeInput<'_>,
    rows: usize,
    cols: usize,
) -> Result<Lists, KernelError> {
    check_u32("spike input columns", cols)?;
    let parts: Result<Vec<Part>, KernelError> =
        (0..rows.div_ceil(PART)).into_par_iter().map(|c| row_part(x, rows, cols, c)).collect();
    Ok(Lists { parts: parts? })
}

/// A part of [`LazyRowLists`]: [`EMPTY`], being built ([`BUILDING`]), or [`READY`].
struct Slot {
    state: AtomicU8,
    part: UnsafeCell<Option<Result<Part, KernelError>>>,
}

const EMPTY: u8 = 0;
const BUILDING: u8 = 1;
const READY: u8 = 2;

/// Row lists built part by part when first asked for, by whichever task asks first, so that
/// reading the input overlaps with the work that uses the lists. A task that needs a part
/// another task is building builds one of the next two parts meanwhile if they are empty,
/// else spins (then yields): a part takes tens of microseconds, less than parking a thread
/// and waking it up. The lists are the same
/// whoever builds them.
pub(crate) struct LazyRowLists<'x> {
    x: SpikeInput<'x>,
    rows: usize,
    cols: usize,
    slots: Vec<Slot>,
}

// SAFETY: a slot's `part` is written only by the one task that moved its state from EMPTY to
// BUILDING, and read only after its state is READY (Release/Acquire), never written again.
unsafe impl Sync for LazyRowLists<'_> {}

impl<'x> LazyRowLists<'x> {
    /// Lists of `x` (`rows × cols`, already checked), none built yet.
    pub(crate) fn new(x: SpikeInput<'x>, rows: usize, cols: usize) -> Result<Self, KernelError> {
        check_u32("spike input columns", cols)?;
        let slots = (0..rows.div_ceil(PART))
            .map(|_| Slot { state: AtomicU8::new(EMPTY), part: UnsafeCell::new(None) })
            .collect();
        Ok(LazyRowLists { x, rows, cols, slots })
    }

    /// Builds part `c` if nobody has started it; returns whether this call built it.
    fn try_build(&self, c: usize) -> bool {
        let slot = &self.slots[c];
        if slot
            .state
            .compare_exchange(EMPTY, BUILDING, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        let mut publish = Publish { slot, part: None };
        publish.part = Some(row_part(&self.x, self.rows, self.cols, c));
        true
    }

    /// Part `c`, built or waited for.
    fn part(&self, c: usize) -> &Result<Part, KernelError> {
        let slot = &self.slots[c];
        let mut spins = 0u32;
        while slot.state.load(Ordering::Acquire) != READY {
            if self.try_build(c) || (c + 1..self.slots.len()).take(2).any(|n| self.try_build(n)) {
                continue;
            }
            // With more threads than cores the builder may be waiting for this core.
            spins += 1;
            if spins < 1 << 12 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        // SAFETY: READY (Acquire) follows the only write, which happened before its Release.
        match unsafe { &*slot.part.get() } {
            Some(p) => p,
            None => unreachable_part(),
        }
    }

    /// The active columns of row `r` (building its part if needed), or the input's first
    /// non-binary entry in that part.
    #[inline(always)]
    pub(crate) fn of(&self, r: usize) -> Result<&[u32], &KernelError> {
        let p = self.part(r / PART).as_ref()?;
        let j = r % PART;
        Ok(&p.idx[p.starts[j]..p.starts[j + 1]])
    }

    /// Builds every part not built yet (in parallel) and returns the number of ones, or the
    /// first error in row order.
    pub(crate) fn finish(&self) -> Result<usize, KernelError> {
        // Usually the tasks have built every part; skip a parallel region then.
        if self.slots.iter().any(|s| s.state.load(Ordering::Acquire) == EMPTY) {
            (0..self.slots.len()).into_par_iter().for_each(|c| {
                self.try_build(c);
            });
        }
        let mut nnz = 0;
        for c in 0..self.slots.len() {
            match self.part(c) {
                Ok(p) => nnz += p.idx.len(),
                Err(e) => return Err(e.clone()),
            }
        }
        Ok(nnz)
    }
}

/// Publishes a part its builder has moved to BUILDING, also if building it panics (then as an
/// error), so that tasks waiting for it never wait forever.
struct Publish<'s> {
    slot: &'s Slot,
    part: Option<Result<Part, KernelError>>,
}

impl Drop for Publish<'_> {
    fn drop(&mut self) {
        let part = self.part.take().unwrap_or_else(|| {
            let msg = "the task building them panicked".to_string();
            Err(KernelError::Layout { what: "spike row lists", msg })
        });
        // SAFETY: the builder's exchange to BUILDING made it the only writer, and no reader
        // looks before READY.
        unsafe { *self.slot.part.get() = Some(part) };
        self.slot.state.store(READY, Ordering::Release);
    }
}

/// A READY slot always holds its part; this is never reached.
#[cold]
fn unreachable_part() -> ! {
    unreachable!("a ready part of the lazy row lists is missing")
}

impl Drop for LazyRowLists<'_> {
    fn drop(&mut self) {
        recycle(self.slots.drain(..).filter_map(|s| s.part.into_inner()?.ok()));
    }
}

/// Number of active entries (errors on non-binary f32 values).
pub(crate) fn count_ones(x: &SpikeInput<'_>) -> Result<usize, KernelError> {
    match x {
        SpikeInput::Bits(b) => Ok(b.count_ones()),
        SpikeInput::F32(x) => {
            const CHUNK: usize = 1 << 16;
            let counts: Result<Vec<usize>, KernelError> = x
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(c, part)| {
                    let mut n = 0;
                    let mut words = [0u64; 16];
                    for (k, piece) in part.chunks(1024).enumerate() {
                        let used = &mut words[..piece.len().div_ceil(64)];
                        if let Some(i) = pack_row(piece, used) {
                            let (index, value) = (c * CHUNK + k * 1024 + i, piece[i]);
                            return Err(KernelError::NotBinary { what: "x", index, value });
                        }
                        n += used.iter().map(|w| w.count_ones() as usize).sum::<usize>();
                    }
                    Ok(n)
                })
                .collect();
            Ok(counts?.iter().sum())
        }
    }
}
