//! The order in which the engine runs a program's steps, and how it hands spikes between
//! them. The plan already fuses an event-driven linear step with the IAF step that alone reads
//! its output ([`snnc_plan::LinearIafK`], pass `fuse-linear-iaf`); the engine runs such a step
//! as one pass ([`snnc_kernels::spike_linear_iaf`]). What stays a run-time decision is where
//! the fused step's spikes go: when only the next event-driven linear step (fused or not)
//! reads them, they are handed over as bits in the engine's scratch instead of f32 in the
//! arena, so that a stack of layers runs as a chain of fused passes.

use snnc_plan::{BufId, BufLoc, Kernel, LinearIafK, LinearK, Program};

/// One unit of work of the engine: one plan step, and where its spikes come from or go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Task {
    /// Step `i` as the plan gives it.
    Step(usize),
    /// The fused linear + IAF step `i` run as its two parts one after the other (fusion off;
    /// bitwise the same as the fused pass).
    Apart(usize),
    /// The fused linear + IAF step `step` as one pass; with `bits`, the IAF's f32 spikes are
    /// not written and go to the engine's scratch bits number `bits` instead; with `from`, the
    /// linear part reads its input spikes from the scratch bits number `from` (left there by
    /// the task before) instead of its f32 input.
    LinearIaf { step: usize, bits: Option<usize>, from: Option<usize> },
    /// The event-driven linear step `step`, whose spikes a [`Task::LinearIaf`] left in the
    /// scratch bits number `from`.
    LinearBits { step: usize, from: usize },
}

impl Task {
    /// The plan step this task runs.
    pub(crate) fn step(self) -> usize {
        match self {
            Task::Step(i) | Task::Apart(i) => i,
            Task::LinearIaf { step, .. } | Task::LinearBits { step, .. } => step,
        }
    }
}

/// The last step that mentions each buffer (reads or writes it), the first step that writes
/// it, and the buffers the program returns (outputs and gradients).
struct Uses {
    last: Vec<usize>,
    first_write: Vec<usize>,
    results: Vec<BufId>,
}

impl Uses {
    fn of(prog: &Program) -> Self {
        let mut last = vec![0; prog.bufs.len()];
        let mut first_write = vec![usize::MAX; prog.bufs.len()];
        for (i, s) in prog.steps.iter().enumerate() {
            let a = s.kernel.access();
            for b in a.reads.iter().chain(&a.writes) {
                if let Some(l) = last.get_mut(b.0 as usize) {
                    *l = i;
                }
            }
            for b in &a.writes {
                if let Some(f) = first_write.get_mut(b.0 as usize) {
                    *f = (*f).min(i);
                }
            }
        }
        let results = prog.outputs.iter().copied().chain(prog.grads.iter().flatten().copied());
        Uses { last, first_write, results: results.collect() }
    }

    /// Whether no step after `after` touches `b` and it is no result of the program, so its
    /// contents may be left unwritten. In-place updates are writes that also read, so any
    /// later mention counts. So does a later read, or a result, of another buffer on the same
    /// memory that no step after `after` writes: an alias of `b` (`Unsqueeze`, `Reshape`, …
    /// are buffers of their own over their input's memory), not a later value reusing it.
    fn dead_after(&self, prog: &Program, b: BufId, after: usize) -> bool {
        let last = self.last.get(b.0 as usize).copied().unwrap_or(usize::MAX);
        if last > after || self.results.contains(&b) {
            return false;
        }
        let Some(p) = place(prog, b) else { return true };
        let alias = |r: BufId| {
            r != b
                && place(prog, r).is_some_and(|q| collide(p, q))
                && self.first_write.get(r.0 as usize).is_none_or(|&f| f == usize::MAX || f <= after)
        };
        let later = prog.steps.iter().skip(after + 1);
        !later.flat_map(|s| s.kernel.access().reads).any(alias)
            && !self.results.iter().any(|&r| alias(r))
    }
}

/// Whether steps `a` and `b` lie on both sides of the end of the forward pass (where the
/// engine reads the outputs).
fn straddles(prog: &Program, a: usize, b: usize) -> bool {
    (a < prog.forward_len) != (b < prog.forward_len)
}

/// The event-driven linear layer step `i` runs, alone or as the first part of a fused step
/// (with the fused step's IAF part).
fn event_linear(prog: &Program, i: usize) -> Option<(&LinearK, Option<&LinearIafK>)> {
    match prog.steps.get(i).map(|s| &s.kernel) {
        Some(Kernel::Linear(l)) if l.event.is_some() => Some((l, None)),
        Some(Kernel::LinearIaf(k)) => Some((&k.linear, Some(k))),
        _ => None,
    }
}

/// Where a writable buffer lives: an arena range, or a bits slot.
#[derive(Clone, Copy)]
enum Place {
    Arena(usize, usize),
    Bits(u32),
}

/// Where buffer `b` lives (`None` for inputs, constants and seeds, which are never written).
fn place(prog: &Program, b: BufId) -> Option<Place> {
    let buf = prog.bufs.get(b.0 as usize)?;
    match buf.loc {
        BufLoc::Arena { off } => Some(Place::Arena(off, off + buf.len)),
        BufLoc::Bits { slot, .. } => Some(Place::Bits(slot)),
        _ => None,
    }
}

fn collide(p: Place, q: Place) -> bool {
    match (p, q) {
        (Place::Arena(s, e), Place::Arena(s2, e2)) => s < e && s2 < e2 && s < e2 && s2 < e,
        (Place::Bits(a), Place::Bits(b)) => a == b,
        _ => false,
    }
}

/// Whether the f32 spikes `z` of the fused step `i` are read only as the input of the
/// event-driven linear step right after it. (A leaky integrator's `z` is its potentials, never
/// bits; the caller checks.)
fn bits_suffice(prog: &Program, uses: &Uses, i: usize, z: BufId) -> bool {
    let Some((next, fused)) = event_linear(prog, i + 1) else { return false };
    let only_x = next.x == z && next.w != z && next.bias != Some(z) && next.y != z;
    let not_iaf = fused.is_none_or(|k| k.iaf.v0 != Some(z));
    let same_need = prog.steps[i].need == prog.steps[i + 1].need && !straddles(prog, i, i + 1);
    only_x && not_iaf && same_need && uses.dead_after(prog, z, i + 1)
}

/// The tasks of `prog`, in order, and the number of scratch bit buffers they use. With
/// `fuse` false every fused plan step runs as its two parts and no spikes go through bits.
pub(crate) fn schedule(prog: &Program, fuse: bool) -> (Vec<Task>, usize) {
    let (mut tasks, mut scratch) = (Vec::with_capacity(prog.steps.len()), 0);
    let uses = Uses::of(prog);
    // The scratch bits the previous task left for step `i`'s input.
    let mut from = None;
    for (i, s) in prog.steps.iter().enumerate() {
        let task = match &s.kernel {
            Kernel::LinearIaf(_) if !fuse => Task::Apart(i),
            Kernel::LinearIaf(k) => {
                // A step that saves its spikes as bits for backward keeps its f32 spikes too.
                let f = &k.iaf;
                let spikes = !f.params.family.is_integrator();
                let redirect = spikes
                    && f.z_bits.is_none()
                    && f.z.is_some_and(|z| bits_suffice(prog, &uses, i, z));
                let bits = redirect.then(|| {
                    scratch += 1;
                    scratch - 1
                });
                let task = Task::LinearIaf { step: i, bits, from: from.take() };
                from = bits;
                task
            }
            _ => match from.take() {
                Some(from) => Task::LinearBits { step: i, from },
                None => Task::Step(i),
            },
        };
        tasks.push(task);
    }
    (tasks, scratch)
}
