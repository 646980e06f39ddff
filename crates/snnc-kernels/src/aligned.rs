//! An f32 buffer that starts on a cache line.
//!
//! The event-driven kernels load whole 64-byte rows of packed weights or gradients; a row that
//! straddles two cache lines costs two L1 accesses per vector load, which on the target machine
//! made the spike-linear kernels 1.6× slower. `Vec<f32>` only guarantees 4-byte alignment.

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::KernelError;

/// One cache line of floats; the unit of allocation.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line([f32; LINE]);

/// Floats per cache line.
const LINE: usize = 16;

/// A zero-initialised, resizable `[f32]` whose first element is 64-byte aligned. Dereferences
/// to the slice of its `len` elements.
#[derive(Clone, Default)]
pub struct AlignedBuf {
    lines: Vec<Line>,
    len: usize,
}

impl AlignedBuf {
    /// `len` zeros; errors (instead of aborting) when the memory cannot be reserved.
    pub fn zeros(len: usize) -> Result<Self, KernelError> {
        let mut b = AlignedBuf::default();
        b.resize(len)?;
        Ok(b)
    }

    /// Grows or shrinks to `len` elements; new elements are zero, kept ones keep their value.
    /// Errors when the memory cannot be reserved.
    pub fn resize(&mut self, len: usize) -> Result<(), KernelError> {
        let lines = len.div_ceil(LINE);
        if lines > self.lines.len() {
            self.lines
                .try_reserve_exact(lines - self.lines.len())
                .map_err(|_| KernelError::OutOfMemory(lines.saturating_mul(64)))?;
        }
        // Shrinking keeps the tail lines' old values past `len`; zero them so that a later
        // growth exposes zeros only.
        self.lines.resize(lines, Line([0.0; LINE]));
        if len < self.len {
            let tail = self.len.min(lines * LINE);
            self.raw_mut()[len..tail].fill(0.0);
        }
        self.len = len;
        Ok(())
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All floats of the allocated lines (`len` rounded up to a line).
    fn raw_mut(&mut self) -> &mut [f32] {
        let n = self.lines.len() * LINE;
        // SAFETY: `Line` is `repr(C)` around `[f32; 16]` with no padding (64 bytes, align 64),
        // so `lines` is `n` contiguous, initialised f32s, borrowed mutably for `self`'s borrow.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<f32>(), n) }
    }
}

impl Deref for AlignedBuf {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        // SAFETY: as in `raw_mut`; `len ≤ lines.len() · 16` always holds.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<f32>(), self.len) }
    }
}

impl DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [f32] {
        let len = self.len;
        &mut self.raw_mut()[..len]
    }
}

impl PartialEq for AlignedBuf {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlignedBuf").field("len", &self.len).finish_non_exhaustive()
    }
}
