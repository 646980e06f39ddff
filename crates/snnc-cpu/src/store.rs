//! The storage of one run and the borrows of one step: the step's reads and writes are
//! carved out of the arena as disjoint slices (safe `split_at_mut`), so a kernel gets `&mut`
//! access to its outputs and shared access to its inputs. A plan whose step would read and
//! write overlapping memory is refused, never run.

use std::borrow::Cow;

use snnc_kernels::SpikeBits;
use snnc_plan::{BufId, BufLoc, Plan, Program};

/// One buffer as a step sees it.
enum Slot<'s> {
    Read(&'s [f32]),
    Write(Option<&'s mut [f32]>),
    BitsRead(&'s SpikeBits),
    BitsWrite(Option<&'s mut SpikeBits>),
}

/// The buffers of one step.
pub(crate) struct Io<'s> {
    slots: Vec<(BufId, Slot<'s>)>,
}

fn missing(b: BufId, what: &str) -> String {
    format!("buffer {} is not a {what} of this step (invalid plan)", b.0)
}

impl<'s> Io<'s> {
    /// A buffer the step reads.
    pub(crate) fn r(&self, b: BufId) -> Result<&'s [f32], String> {
        self.slots
            .iter()
            .find_map(|(id, s)| match s {
                Slot::Read(x) if *id == b => Some(*x),
                _ => None,
            })
            .ok_or_else(|| missing(b, "read"))
    }

    /// An optional read.
    pub(crate) fn ro(&self, b: Option<BufId>) -> Result<Option<&'s [f32]>, String> {
        b.map(|b| self.r(b)).transpose()
    }

    /// A buffer the step writes (each can be taken once).
    pub(crate) fn w(&mut self, b: BufId) -> Result<&'s mut [f32], String> {
        self.slots
            .iter_mut()
            .find_map(|(id, s)| match s {
                Slot::Write(x) if *id == b => x.take(),
                _ => None,
            })
            .ok_or_else(|| missing(b, "write"))
    }

    /// An optional write.
    pub(crate) fn wo(&mut self, b: Option<BufId>) -> Result<Option<&'s mut [f32]>, String> {
        b.map(|b| self.w(b)).transpose()
    }

    /// Spike bits the step reads.
    pub(crate) fn bits_r(&self, b: BufId) -> Result<&'s SpikeBits, String> {
        self.slots
            .iter()
            .find_map(|(id, s)| match s {
                Slot::BitsRead(x) if *id == b => Some(*x),
                _ => None,
            })
            .ok_or_else(|| missing(b, "bits read"))
    }

    /// Spike bits the step writes.
    pub(crate) fn bits_w(&mut self, b: BufId) -> Result<&'s mut SpikeBits, String> {
        self.slots
            .iter_mut()
            .find_map(|(id, s)| match s {
                Slot::BitsWrite(x) if *id == b => x.take(),
                _ => None,
            })
            .ok_or_else(|| missing(b, "bits write"))
    }
}

/// Everything a run reads and writes.
pub(crate) struct Store<'a> {
    pub plan: &'a Plan,
    pub prog: &'a Program,
    pub inputs: Vec<Cow<'a, [f32]>>,
    pub seeds: Vec<Cow<'a, [f32]>>,
    pub arena: &'a mut [f32],
    pub bits: &'a mut [SpikeBits],
}

/// The data of a buffer outside the arena and the bits (inputs, constants, seeds).
fn external<'x>(
    plan: &'x Plan,
    prog: &Program,
    inputs: &'x [Cow<'_, [f32]>],
    seeds: &'x [Cow<'_, [f32]>],
    b: BufId,
) -> Result<Option<&'x [f32]>, String> {
    let buf = prog.bufs.get(b.0 as usize).ok_or_else(|| missing(b, "buffer"))?;
    let data: &[f32] = match buf.loc {
        BufLoc::Input(k) => inputs.get(k as usize).ok_or_else(|| missing(b, "input"))?,
        BufLoc::Const(k) => {
            &plan.consts().get(k as usize).ok_or_else(|| missing(b, "constant"))?.data
        }
        BufLoc::Seed(k) => seeds.get(k as usize).ok_or_else(|| missing(b, "seed"))?,
        BufLoc::Arena { .. } | BufLoc::Bits { .. } => return Ok(None),
    };
    data.get(..buf.len)
        .map(Some)
        .ok_or_else(|| format!("buffer {} is shorter than the plan says", b.0))
}

impl<'a> Store<'a> {
    /// Reads the whole of buffer `b` (after or between steps).
    pub(crate) fn read(&self, b: BufId) -> Result<&[f32], String> {
        if let Some(d) = external(self.plan, self.prog, &self.inputs, &self.seeds, b)? {
            return Ok(d);
        }
        let buf = self.prog.bufs[b.0 as usize];
        match buf.loc {
            BufLoc::Arena { off } => {
                self.arena.get(off..off + buf.len).ok_or_else(|| missing(b, "arena range"))
            }
            _ => Err(missing(b, "readable buffer")),
        }
    }

    /// Carves the buffers of a step that reads `reads` and writes `writes`.
    pub(crate) fn io(&mut self, reads: &[BufId], writes: &[BufId]) -> Result<Io<'_>, String> {
        let Store { plan, prog, inputs, seeds, arena, bits } = self;
        let mut slots: Vec<(BufId, Slot)> = Vec::with_capacity(reads.len() + writes.len());
        let mut ranges: Vec<(usize, usize, bool, BufId)> = Vec::new();
        let mut bit_slots: Vec<(usize, bool, BufId)> = Vec::new();
        for (list, write) in [(reads, false), (writes, true)] {
            for &b in list {
                let buf = *prog.bufs.get(b.0 as usize).ok_or_else(|| missing(b, "buffer"))?;
                match buf.loc {
                    BufLoc::Arena { off } => ranges.push((off, buf.len, write, b)),
                    BufLoc::Bits { slot, .. } => bit_slots.push((slot as usize, write, b)),
                    _ if write => {
                        return Err(format!(
                            "buffer {} is read-only but written (invalid plan)",
                            b.0
                        ))
                    }
                    _ => {
                        if let Some(d) = external(plan, prog, inputs, seeds, b)? {
                            slots.push((b, Slot::Read(d)));
                        }
                    }
                }
            }
        }
        carve(arena, &mut ranges, &mut slots)?;
        bit_slots.sort_by_key(|s| (s.0, !s.1));
        for w in bit_slots.windows(2) {
            if w[0].0 == w[1].0 && (w[0].1 || w[1].1) {
                return Err("a step reads and writes the same spike bits (invalid plan)".into());
            }
        }
        let mut it = bit_slots.iter().peekable();
        for (i, slot) in bits.iter_mut().enumerate() {
            let mine: Vec<_> = std::iter::from_fn(|| it.next_if(|s| s.0 == i)).copied().collect();
            match mine.first() {
                None => continue,
                Some(&(_, true, b)) => slots.push((b, Slot::BitsWrite(Some(slot)))),
                Some(_) => {
                    let shared: &SpikeBits = slot;
                    slots.extend(mine.iter().map(|&(_, _, b)| (b, Slot::BitsRead(shared))));
                }
            }
        }
        if it.next().is_some() {
            return Err("a step refers to a missing spike-bits slot (invalid plan)".into());
        }
        Ok(Io { slots })
    }
}

/// Splits `arena` into the sorted, disjoint `ranges` (identical read ranges share one slice).
fn carve<'s>(
    mut arena: &'s mut [f32],
    ranges: &mut [(usize, usize, bool, BufId)],
    slots: &mut Vec<(BufId, Slot<'s>)>,
) -> Result<(), String> {
    ranges.sort_by_key(|r| (r.0, r.1, r.2));
    let mut base = 0usize;
    let mut i = 0;
    while i < ranges.len() {
        let (off, len, write, _) = ranges[i];
        let mut j = i + 1;
        while j < ranges.len() && (ranges[j].0, ranges[j].1) == (off, len) && !write && !ranges[j].2
        {
            j += 1;
        }
        if len == 0 {
            slots.extend(ranges[i..j].iter().map(|r| {
                (
                    r.3,
                    if r.2 { Slot::Write(Some(<&mut [f32]>::default())) } else { Slot::Read(&[]) },
                )
            }));
            i = j;
            continue;
        }
        if off < base {
            return Err("a step's buffers overlap (invalid plan)".into());
        }
        let rest = std::mem::take(&mut arena);
        if off - base + len > rest.len() {
            return Err("a buffer reaches past the arena (invalid plan)".into());
        }
        let (_, tail) = rest.split_at_mut(off - base);
        let (mine, tail) = tail.split_at_mut(len);
        arena = tail;
        base = off + len;
        if write {
            slots.push((ranges[i].3, Slot::Write(Some(mine))));
        } else {
            let shared: &'s [f32] = mine;
            slots.extend(ranges[i..j].iter().map(|r| (r.3, Slot::Read(shared))));
        }
        i = j;
    }
    Ok(())
}
