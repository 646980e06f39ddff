//! Structural checks of a plan: what makes every index, length and location consistent, so
//! that an engine can trust a plan read from a file as much as a freshly compiled one.

use snnc_ir::MAX_ELEMENTS;

use crate::plan::{BufLoc, Program};
use crate::{Kernel, LinearIafK, Plan, PlanError, WRef};

/// The largest arena a plan may declare, in f32 elements (64 GiB).
pub const MAX_ARENA: usize = 1 << 34;

fn bad(msg: String) -> PlanError {
    PlanError::Invalid(msg)
}

fn numel(shape: &[usize]) -> Option<usize> {
    snnc_ir::shape_len(shape)
}

impl Plan {
    /// Checks the plan's invariants: constants hold as many elements as their shapes say,
    /// packs and steps refer to existing constants, nodes and buffers, every buffer lies
    /// inside its storage, and each program binds every output (and, for training, every
    /// gradient target).
    pub fn validate(&self) -> Result<(), PlanError> {
        for c in &self.consts {
            if numel(&c.shape) != Some(c.data.len()) {
                return Err(bad(format!(
                    "constant '{}' has {} values for shape {:?}",
                    c.name,
                    c.data.len(),
                    c.shape
                )));
            }
        }
        for s in self.inputs.iter().chain(&self.outputs).chain(self.targets.iter().map(|t| &t.sig))
        {
            if numel(&s.shape).is_none() {
                return Err(bad(format!(
                    "value '{}' has an oversized shape {:?}",
                    s.name, s.shape
                )));
            }
        }
        for p in &self.packs {
            let c = self
                .consts
                .get(p.konst as usize)
                .ok_or_else(|| bad("a pack refers to a missing constant".into()))?;
            if p.outputs.checked_mul(p.inputs) != Some(c.data.len()) {
                return Err(bad(format!("pack of '{}' does not match its size", c.name)));
            }
        }
        if self.packed.len() != self.packs.len() {
            return Err(bad("packed weights are missing".into()));
        }
        self.check_program(&self.infer, "inference", false)?;
        self.check_program(&self.train, "training", true)
    }

    fn check_program(&self, p: &Program, what: &str, train: bool) -> Result<(), PlanError> {
        let err = |m: String| bad(format!("{what} program: {m}"));
        let arena_bufs = p.bufs.iter().filter(|b| matches!(b.loc, BufLoc::Arena { .. }));
        let bound = arena_bufs.fold(16usize, |a, b| a.saturating_add(b.len.div_ceil(16) * 16));
        if p.arena_len > MAX_ARENA || p.arena_len > bound {
            return Err(err(format!(
                "arena of {} elements is larger than its buffers need",
                p.arena_len
            )));
        }
        if p.bits_slots > p.bufs.len() {
            return Err(err(format!(
                "{} spike-bit slots for {} buffers",
                p.bits_slots,
                p.bufs.len()
            )));
        }
        for (i, b) in p.bufs.iter().enumerate() {
            let ok = match b.loc {
                BufLoc::Input(k) => self.inputs.get(k as usize).is_some_and(|s| s.len() == b.len),
                BufLoc::Const(k) => {
                    self.consts.get(k as usize).is_some_and(|c| c.data.len() == b.len)
                }
                BufLoc::Seed(k) => self.outputs.get(k as usize).is_some_and(|s| s.len() == b.len),
                BufLoc::Arena { off } => off.checked_add(b.len).is_some_and(|e| e <= p.arena_len),
                BufLoc::Bits { slot, rows, cols } => {
                    (slot as usize) < p.bits_slots
                        && rows.checked_mul(cols) == Some(b.len)
                        && b.len <= MAX_ELEMENTS
                }
            };
            if !ok {
                return Err(err(format!(
                    "buffer {i} ({:?}, {} elements) does not fit its storage",
                    b.loc, b.len
                )));
            }
        }
        let in_range = |b: crate::BufId| (b.0 as usize) < p.bufs.len();
        if p.forward_len > p.steps.len() {
            return Err(err("more forward steps than steps".into()));
        }
        for (i, s) in p.steps.iter().enumerate() {
            if s.node as usize >= self.nodes.len() {
                return Err(err(format!("step {i} refers to a missing node")));
            }
            let a = s.kernel.access();
            if !a.reads.iter().chain(&a.writes).all(|&b| in_range(b)) {
                return Err(err(format!("step {i} refers to a missing buffer")));
            }
            if let Kernel::LinearIaf(k) = &s.kernel {
                check_linear_iaf(k, self.nodes.len()).map_err(|m| err(format!("step {i}: {m}")))?;
            }
            check_cell(&s.kernel).map_err(|m| err(format!("step {i}: {m}")))?;
            let pack = match &s.kernel {
                Kernel::Linear(k) | Kernel::LinearIaf(LinearIafK { linear: k, .. }) => {
                    match k.event {
                        Some(WRef::Packed(q)) => Some(q),
                        _ => None,
                    }
                }
                Kernel::Recurrent(k) => k.r_pack,
                _ => None,
            };
            if pack.is_some_and(|q| q as usize >= self.packs.len()) {
                return Err(err(format!("step {i} refers to missing packed weights")));
            }
            // A product's inner dimension must lie in memory: with a zero stride along it, a
            // tiny plan could ask for an unbounded amount of work.
            if let Kernel::Mm(k) = &s.kernel {
                let work = k.m > 0 && k.n > 0 && k.k > 1;
                if work && (k.a.cs == 0 || k.b.rs == 0) {
                    return Err(err(format!("step {i}: a product with a zero inner stride")));
                }
            }
        }
        if p.outputs.len() != self.outputs.len() || !p.outputs.iter().all(|&b| in_range(b)) {
            return Err(err("outputs are not all bound".into()));
        }
        let want = if train { self.targets.len() } else { 0 };
        if p.grads.len() != want || !p.grads.iter().flatten().all(|&b| in_range(b)) {
            return Err(err("gradients are not all bound".into()));
        }
        Ok(())
    }
}

/// The neuron parameters of an integrate-and-fire kernel must be valid for its neurons
/// ([`snnc_ir::IafParams::check`]: lengths, finite values, the family's choices, `v_out`), and
/// only a cell with a synaptic current has the buffers of its state U (U0, U_T and their
/// gradients).
fn check_cell(k: &Kernel) -> Result<(), String> {
    let (p, n, u) = match k {
        Kernel::Iaf(k) => (&k.params, k.n, [k.u0, k.u_last]),
        Kernel::LinearIaf(f) => (&f.iaf.params, f.iaf.n, [f.iaf.u0, f.iaf.u_last]),
        Kernel::Recurrent(k) => (&k.params, k.h, [k.u0, k.u_last]),
        Kernel::IafBack(k) => (&k.params, k.n, [k.gu_last, k.gu0]),
        Kernel::RecurrentBack(k) => (&k.params, k.h, [k.gu_last, k.gu0]),
        _ => return Ok(()),
    };
    p.check(n).map_err(|m| format!("invalid neuron parameters: {m}"))?;
    if !p.leak.has_current() && u.iter().any(Option::is_some) {
        return Err("a synaptic current's buffer for a cell without a current".into());
    }
    Ok(())
}

/// A fused linear + IAF step must be what `fuse-linear-iaf` makes: an event-driven linear part
/// whose output is exactly the IAF part's input, of the same size, and no buffer of the IAF
/// part that is also one of the linear part's (engines rely on that to run it as one pass).
fn check_linear_iaf(k: &LinearIafK, nodes: usize) -> Result<(), String> {
    let (l, f) = (&k.linear, &k.iaf);
    if k.iaf_node as usize >= nodes {
        return Err("a fused linear + IAF refers to a missing node".into());
    }
    if l.event.is_none() {
        return Err("a fused linear + IAF whose linear part is not event-driven".into());
    }
    if f.x != l.y || f.t.checked_mul(f.b) != Some(l.rows) || f.n != l.n {
        return Err("a fused linear + IAF whose parts do not fit together".into());
    }
    let linear = [Some(l.x), Some(l.w), l.bias, Some(l.y)];
    let iaf = [f.v0, f.z, f.v_last, f.v_pre, f.z_bits, f.u0, f.u_last];
    if iaf.iter().flatten().any(|b| linear.contains(&Some(*b))) {
        return Err("a fused linear + IAF whose parts share a buffer".into());
    }
    Ok(())
}
