//! The order in which the engine runs a program's steps, with adjacent steps fused where no
//! other step can see the difference: an event-driven linear step whose output only the next
//! IAF step reads runs with it as one pass ([`snnc_kernels::spike_linear_iaf`]), and IAF
//! spikes that only the next event-driven linear step reads are handed over as bits, also to a
//! next fused pass, so that a stack of layers runs as a chain of fused passes.

use snnc_plan::{BufId, BufLoc, IafK, Kernel, LinearK, Program};

/// One unit of work of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Task {
    /// Step `i` as the plan gives it.
    Step(usize),
    /// The event-driven linear step `linear` and the IAF step `linear + 1`, fused; with
    /// `bits`, the IAF's f32 spikes are not written and go to the engine's scratch bits
    /// number `bits` instead; with `from`, the linear step reads its input spikes from the
    /// scratch bits number `from` (left there by the task before) instead of its f32 input.
    LinearIaf { linear: usize, bits: Option<usize>, from: Option<usize> },
    /// The event-driven linear step `step`, whose spikes a [`Task::LinearIaf`] left in the
    /// scratch bits number `from`.
    LinearBits { step: usize, from: usize },
}

impl Task {
    /// The plan steps this task covers.
    pub(crate) fn steps(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Task::Step(i) | Task::LinearBits { step: i, .. } => i..=i,
            Task::LinearIaf { linear, .. } => linear..=linear + 1,
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

fn event_linear(prog: &Program, i: usize) -> Option<&LinearK> {
    match prog.steps.get(i).map(|s| &s.kernel) {
        Some(Kernel::Linear(l)) if l.event.is_some() => Some(l),
        _ => None,
    }
}

/// The IAF step `i + 1` when it can be fused with the event-driven linear step `i`.
fn fusable<'p>(prog: &'p Program, uses: &Uses, i: usize) -> Option<&'p IafK> {
    let l = event_linear(prog, i)?;
    let Some(Kernel::Iaf(f)) = prog.steps.get(i + 1).map(|s| &s.kernel) else { return None };
    let same_need = prog.steps[i].need == prog.steps[i + 1].need && !straddles(prog, i, i + 1);
    let shapes = f.t.checked_mul(f.b) == Some(l.rows) && f.n == l.n;
    let own = f.x == l.y && f.v0 != Some(l.y) && l.x != l.y;
    let ok =
        same_need && shapes && own && uses.dead_after(prog, l.y, i + 1) && apart(prog, i, i + 1);
    ok.then_some(f)
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

/// Whether nothing that step `a` reads or writes shares memory with what step `b` writes.
/// The arena reuses a value's memory once it is dead, so step `b` may write where step `a`
/// read; run as one task, the two would then overlap.
fn apart(prog: &Program, a: usize, b: usize) -> bool {
    let (aa, ab) = (prog.steps[a].kernel.access(), prog.steps[b].kernel.access());
    let mine: Vec<Place> =
        aa.reads.iter().chain(&aa.writes).filter_map(|&x| place(prog, x)).collect();
    ab.writes.iter().filter_map(|&w| place(prog, w)).all(|w| mine.iter().all(|&m| !collide(w, m)))
}

/// Whether the f32 spikes `z` of the IAF step `iaf` are read only as the input of the
/// event-driven linear step right after it.
fn bits_suffice(prog: &Program, uses: &Uses, iaf: usize, z: BufId) -> bool {
    let Some(next) = event_linear(prog, iaf + 1) else { return false };
    let only_x = next.x == z && next.w != z && next.bias != Some(z) && next.y != z;
    let same_need =
        prog.steps[iaf].need == prog.steps[iaf + 1].need && !straddles(prog, iaf, iaf + 1);
    only_x && same_need && uses.dead_after(prog, z, iaf + 1)
}

/// The tasks of `prog`, in order, and the number of scratch bit buffers they use. With
/// `fuse` false every step is its own task.
pub(crate) fn schedule(prog: &Program, fuse: bool) -> (Vec<Task>, usize) {
    let (mut tasks, mut scratch) = (Vec::new(), 0);
    let uses = Uses::of(prog);
    let mut i = 0;
    // The scratch bits the previous task left for step `i`'s input.
    let mut from = None;
    while i < prog.steps.len() {
        let Some(f) = fuse.then(|| fusable(prog, &uses, i)).flatten() else {
            tasks.push(match from.take() {
                Some(from) => Task::LinearBits { step: i, from },
                None => Task::Step(i),
            });
            i += 1;
            continue;
        };
        // An IAF step that saves its spikes as bits for backward keeps its f32 spikes too.
        let redirect =
            f.z_bits.is_none() && f.z.is_some_and(|z| bits_suffice(prog, &uses, i + 1, z));
        let bits = redirect.then(|| {
            scratch += 1;
            scratch - 1
        });
        tasks.push(Task::LinearIaf { linear: i, bits, from: from.take() });
        i += 2;
        from = bits;
    }
    (tasks, scratch)
}
