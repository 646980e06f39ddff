//! Weights packed for the event-driven kernels.

use rayon::prelude::*;

use crate::aligned::AlignedBuf;
use crate::error::{check_len, product};
use crate::KernelError;

/// The weights `W` `[O, I]` of a linear map `y = x·Wᵀ`, packed so that the weights out of one
/// input are contiguous and cache-friendly: transposed and cut into blocks of
/// [`width`](SpikeWeights::width) output columns. Block `k` is `[I, width]` row-major,
/// `block(k)[i·width + c] = W[k·width + c, i]`, and the last block is zero-padded.
///
/// Event-driven kernels add rows `block(k)[i·width ..][..width]` of the active inputs `i`, so
/// each block (`I·width` floats; 592 KiB for I = 2312) stays in L2 while many samples are
/// processed, with no power-of-two stride between its rows. Every row starts on a cache line.
/// Build it once per weight update.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeWeights {
    inputs: usize,
    outputs: usize,
    width: usize,
    data: AlignedBuf,
}

/// The block width for `outputs` columns: 64 (four AVX-512 registers), narrower for small
/// layers so that padding stays small.
pub(crate) fn width_for(outputs: usize) -> usize {
    match outputs {
        0..=16 => 16,
        17..=32 => 32,
        _ => 64,
    }
}

impl SpikeWeights {
    /// Packs `w` `[outputs, inputs]` (PyTorch's `Linear.weight`; a recurrent layer's R).
    pub fn from_out_in(w: &[f32], outputs: usize, inputs: usize) -> Result<Self, KernelError> {
        let mut p = SpikeWeights::zeros(inputs, outputs)?;
        p.repack_out_in(w)?;
        Ok(p)
    }

    /// Packs `wt` `[inputs, outputs]` (the transposed layout).
    pub fn from_in_out(wt: &[f32], inputs: usize, outputs: usize) -> Result<Self, KernelError> {
        check_len("wt [I,O]", wt.len(), product("wt", &[inputs, outputs])?)?;
        let mut p = SpikeWeights::zeros(inputs, outputs)?;
        p.fill(|o, i| wt[i * outputs + o]);
        Ok(p)
    }

    /// All-zero weights of this shape.
    pub fn zeros(inputs: usize, outputs: usize) -> Result<Self, KernelError> {
        let width = width_for(outputs);
        let len = product("packed weights", &[outputs.div_ceil(width), inputs, width])?;
        Ok(SpikeWeights { inputs, outputs, width, data: AlignedBuf::zeros(len)? })
    }

    /// Re-packs new values of `w` `[O, I]` in place (no allocation), e.g. after an optimizer
    /// step.
    pub fn repack_out_in(&mut self, w: &[f32]) -> Result<(), KernelError> {
        check_len("w [O,I]", w.len(), product("w", &[self.outputs, self.inputs])?)?;
        let ni = self.inputs;
        self.fill(|o, i| w[o * ni + i]);
        Ok(())
    }

    fn fill(&mut self, get: impl Fn(usize, usize) -> f32 + Sync) {
        let (ni, no, width) = (self.inputs, self.outputs, self.width);
        let block_len = ni * width;
        if block_len == 0 {
            return;
        }
        self.data.par_chunks_mut(block_len).enumerate().for_each(|(k, block)| {
            let o0 = k * width;
            for (i, row) in block.chunks_exact_mut(width).enumerate() {
                for (c, v) in row.iter_mut().enumerate() {
                    *v = if o0 + c < no { get(o0 + c, i) } else { 0.0 };
                }
            }
        });
    }

    /// Input features I.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Output features O.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Output columns per block (16, 32 or 64).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of blocks, `⌈O / width⌉`.
    pub fn blocks(&self) -> usize {
        self.outputs.div_ceil(self.width)
    }

    /// Block `k`, `[I, width]` row-major. Panics when `k ≥ blocks()`.
    pub fn block(&self, k: usize) -> &[f32] {
        let len = self.inputs * self.width;
        &self.data[k * len..(k + 1) * len]
    }

    /// Checks that the weights map `inputs` → `outputs`.
    pub(crate) fn check(&self, inputs: usize, outputs: usize) -> Result<(), KernelError> {
        if self.inputs != inputs || self.outputs != outputs {
            return Err(KernelError::Layout {
                what: "weights",
                msg: format!(
                    "packed for {} → {}, used for {inputs} → {outputs}",
                    self.inputs, self.outputs
                ),
            });
        }
        Ok(())
    }
}
