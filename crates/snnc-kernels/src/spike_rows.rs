//! The active inputs of every row of a binary matrix, built once and shared by the
//! event-driven kernels that read the same spikes.

use crate::sparse::{row_lists, Lists};
use crate::spike_linear::{SpikeInput, DENSE_CROSSOVER};
use crate::{KernelError, Threads};

/// Row lists (CSR without values) of a binary `[rows, cols]` matrix: for each row, the
/// columns that are 1, increasing. Building them checks that an f32 input is binary.
#[derive(Debug)]
pub struct SpikeRows {
    pub(crate) lists: Lists,
    rows: usize,
    cols: usize,
}

impl SpikeRows {
    /// Lists the ones of `x` (`[rows, cols]`) in parallel on `threads`. Errors on a shape
    /// mismatch and, for f32 input, with [`KernelError::NotBinary`] at the first entry that
    /// is neither 0 nor 1.
    pub fn new(
        x: SpikeInput<'_>,
        rows: usize,
        cols: usize,
        threads: Threads,
    ) -> Result<Self, KernelError> {
        x.check(rows, cols)?;
        let lists = threads.install(|| row_lists(&x, rows, cols))??;
        Ok(SpikeRows { lists, rows, cols })
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of ones.
    pub fn nnz(&self) -> usize {
        self.lists.nnz()
    }

    /// Whether the spikes are dense enough (above [`DENSE_CROSSOVER`]) that a dense GEMM beats
    /// summing rows; [`SpikePath::Auto`](crate::SpikePath::Auto) decides the same way.
    pub fn prefers_dense(&self) -> bool {
        prefers_dense(self.nnz(), self.rows, self.cols)
    }
}

/// Whether `nnz` ones in a `rows × cols` matrix are above [`DENSE_CROSSOVER`].
pub(crate) fn prefers_dense(nnz: usize, rows: usize, cols: usize) -> bool {
    let total = (rows as f64) * (cols as f64);
    total > 0.0 && nnz as f64 / total > DENSE_CROSSOVER
}
