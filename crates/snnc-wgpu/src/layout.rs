//! Where every buffer of a program lives on the device: one f32 storage buffer holding the
//! constants, the inputs, the upstream gradients, the program's arena and a scratch area; one
//! u32 storage buffer holding the error flag, the bit-packed spike slots (32 spikes a word,
//! rows padded to whole words) and a u32 scratch area.

use snnc_plan::{BufId, BufLoc, Kernel, Plan, Program};

/// Words of the error flag at the start of the u32 buffer: the first failing step, the
/// largest error code.
pub const ERR_WORDS: usize = 4;

/// u32 words per row of `cols` bits.
pub fn words_for(cols: usize) -> usize {
    cols.div_ceil(32)
}

/// The device memory map of one program.
#[derive(Debug, Clone)]
pub struct Layout {
    /// f32 offset of each constant.
    pub consts: Vec<usize>,
    /// f32 offset of each graph input.
    pub inputs: Vec<usize>,
    /// f32 offset of each output's upstream gradient.
    pub seeds: Vec<usize>,
    /// f32 offset of the arena.
    pub arena: usize,
    /// f32 offset of the scratch area.
    pub scratch: usize,
    /// Total f32 elements.
    pub f32_len: usize,
    /// u32 offset of each spike-bits slot.
    pub slots: Vec<usize>,
    /// u32 offset of the u32 scratch area.
    pub scratch_u32: usize,
    /// Total u32 words.
    pub u32_len: usize,
    bufs: Vec<snnc_plan::Buf>,
}

/// f32 and u32 scratch a kernel needs while it runs.
fn scratch_of(k: &Kernel) -> (usize, usize) {
    match k {
        // The potentials (and synaptic currents), and two steps of spike words.
        Kernel::Recurrent(k) => {
            let states = 1 + usize::from(k.params.leak.has_current());
            (states * k.b * k.h, 2 * k.b * words_for(k.h))
        }
        // ∂L/∂v, the spikes' recurrent gradients (and the currents' gradients).
        Kernel::RecurrentBack(k) => {
            let states = 2 + usize::from(k.params.leak.has_current());
            (states * k.b * k.h, 0)
        }
        _ => (0, 0),
    }
}

impl Layout {
    /// The memory map of `prog` (a program of `plan`).
    pub fn new(plan: &Plan, prog: &Program) -> Result<Self, String> {
        let mut at = 0usize;
        let mut place = |len: usize| {
            let o = at;
            at += len;
            o
        };
        let consts = plan.consts().iter().map(|c| place(c.data.len())).collect();
        let inputs = plan.inputs().iter().map(|s| place(s.len())).collect();
        let seeds = plan.outputs().iter().map(|s| place(s.len())).collect();
        let arena = place(prog.arena_len);
        let (sf, su) = prog
            .steps
            .iter()
            .map(|s| scratch_of(&s.kernel))
            .fold((0, 0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
        let scratch = place(sf);
        let f32_len = at;
        let mut slot_words = vec![0usize; prog.bits_slots];
        for b in &prog.bufs {
            if let BufLoc::Bits { slot, rows, cols } = b.loc {
                let w = slot_words
                    .get_mut(slot as usize)
                    .ok_or_else(|| format!("spike-bits slot {slot} is missing (invalid plan)"))?;
                *w = (*w).max(rows * words_for(cols));
            }
        }
        let mut at = ERR_WORDS;
        let slots = slot_words
            .iter()
            .map(|&w| {
                let o = at;
                at += w;
                o
            })
            .collect();
        let scratch_u32 = at;
        let u32_len = at + su;
        Ok(Layout {
            consts,
            inputs,
            seeds,
            arena,
            scratch,
            f32_len,
            slots,
            scratch_u32,
            u32_len,
            bufs: prog.bufs.clone(),
        })
    }

    fn buf(&self, b: BufId) -> Result<snnc_plan::Buf, String> {
        self.bufs
            .get(b.0 as usize)
            .copied()
            .ok_or_else(|| format!("buffer {} does not exist (invalid plan)", b.0))
    }

    /// Elements of buffer `b`.
    pub fn len(&self, b: BufId) -> Result<usize, String> {
        Ok(self.buf(b)?.len)
    }

    /// The f32 offset of a data buffer.
    pub fn f32_off(&self, b: BufId) -> Result<usize, String> {
        let get = |v: &[usize], k: u32, what: &str| {
            v.get(k as usize)
                .copied()
                .ok_or_else(|| format!("{what} {k} is missing (invalid plan)"))
        };
        match self.buf(b)?.loc {
            BufLoc::Input(k) => get(&self.inputs, k, "input"),
            BufLoc::Const(k) => get(&self.consts, k, "constant"),
            BufLoc::Seed(k) => get(&self.seeds, k, "seed"),
            BufLoc::Arena { off } => Ok(self.arena + off),
            BufLoc::Bits { .. } => {
                Err(format!("buffer {} holds bits, not data (invalid plan)", b.0))
            }
        }
    }

    /// The u32 offset of a bits buffer and its words per row.
    pub fn bits_off(&self, b: BufId) -> Result<(usize, usize), String> {
        match self.buf(b)?.loc {
            BufLoc::Bits { slot, cols, .. } => self
                .slots
                .get(slot as usize)
                .map(|&o| (o, words_for(cols)))
                .ok_or_else(|| format!("spike-bits slot {slot} is missing (invalid plan)")),
            _ => Err(format!("buffer {} holds data, not bits (invalid plan)", b.0)),
        }
    }

    /// The u32 words of a bits buffer: `(offset, count)`.
    pub fn bits_range(&self, b: BufId) -> Result<(usize, usize), String> {
        match self.buf(b)?.loc {
            BufLoc::Bits { rows, cols, .. } => Ok((self.bits_off(b)?.0, rows * words_for(cols))),
            _ => Err(format!("buffer {} holds data, not bits (invalid plan)", b.0)),
        }
    }
}

#[cfg(test)]
impl Layout {
    /// A memory map of `lens.len()` arena buffers of `lens` elements, back to back from offset
    /// 0 (buffer `i` is `BufId(i)`), for tests that run kernels on hand-made buffers.
    pub(crate) fn arena_only(lens: &[usize]) -> Layout {
        let mut off = 0;
        let bufs = lens
            .iter()
            .map(|&len| {
                let b = snnc_plan::Buf { loc: BufLoc::Arena { off }, len };
                off += len;
                b
            })
            .collect();
        Layout {
            consts: Vec::new(),
            inputs: Vec::new(),
            seeds: Vec::new(),
            arena: 0,
            scratch: off,
            f32_len: off,
            slots: Vec::new(),
            scratch_u32: ERR_WORDS,
            u32_len: ERR_WORDS,
            bufs,
        }
    }
}
