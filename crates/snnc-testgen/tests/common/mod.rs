//! What the optimizer should fuse each generated layer into, and the spellings it does not
//! fuse yet ([`PENDING`]), each with its reason.

#![allow(dead_code)]

use snnc_ir::{Order, Reset, Spikes};
use snnc_testgen::{Case, FoundCell, Layer, Read, ResetKind, Style};

/// A spelling the optimizer does not fuse into one cell (yet): layers it `applies` to are
/// expected to give `cells` fused cells of their own (0: none), and are still checked to run
/// correctly as they are.
pub struct Pending {
    /// A short name.
    pub name: &'static str,
    /// Whether a layer of a case is of this spelling.
    pub applies: fn(&Case, &Layer) -> bool,
    /// The cells the optimizer makes of such a layer.
    pub cells: usize,
    /// Whether it may also leave cells of the layer's width and family (feed-forward or of its
    /// kind) over part of its steps (not counted in `cells`).
    pub partial: bool,
    /// Why.
    pub why: &'static str,
}

fn primitive(l: &Layer) -> bool {
    l.style == Style::Primitive
}

fn reset_of(l: &Layer) -> Option<ResetKind> {
    l.spelling.map(|s| s.reset)
}

/// Whether `case` has a layer of 64 or more neurons.
fn wide(case: &Case) -> bool {
    case.layers.iter().any(|l| l.neurons >= 64)
}

/// The index of layer `l` in `case`.
fn index(case: &Case, l: &Layer) -> usize {
    case.layers.iter().position(|x| std::ptr::eq(x, l)).expect("a layer of the case")
}

/// Whether layer `i` of `case` does not re-roll for its own spelling ([`PENDING`]'s entries
/// before the ones about neighbours).
fn unrolled(case: &Case, i: usize) -> bool {
    let l = &case.layers[i];
    PENDING[..INTRINSIC].iter().any(|p| p.cells == 0 && (p.applies)(case, l))
}

/// Whether layer `i` of `case` reads the per-step spikes of a layer before it that does not
/// re-roll (directly, or through such layers).
fn after_unrolled(case: &Case, i: usize) -> bool {
    i > 0 && {
        let prev = &case.layers[i - 1];
        prev.style != Style::Sequence
            && prev.spelling.is_none_or(|s| s.read != Read::Keep)
            && (unrolled(case, i - 1) || after_unrolled(case, i - 1))
    }
}

/// Whether a layer after layer `i` of `case` that reads its spikes step by step does not
/// re-roll (directly, or through such layers).
fn before_unrolled(case: &Case, i: usize) -> bool {
    i + 1 < case.layers.len() && (unrolled(case, i + 1) || before_unrolled(case, i + 1))
}

/// How many of [`PENDING`]'s entries are about the layer's own spelling.
const INTRINSIC: usize = 7;

/// The pending spellings, first match wins.
pub const PENDING: &[Pending] = &[
    Pending {
        name: "one time step",
        applies: |c, l| c.steps == 1 && l.style != Style::Sequence,
        cells: 0,
        partial: false,
        why: "a single step is no chain: iaf-reroll re-rolls two or more steps, so T = 1 stays \
              a step op (or the step's arithmetic)",
    },
    Pending {
        name: "export over two steps",
        applies: |c, l| c.steps == 2 && primitive(l),
        cells: 0,
        partial: true,
        why: "the ends of an exported layer (the folded first step, the first \
              fire-then-integrate step from a constant state, the pruned last reset; \
              docs/optimizer.md) leave one whole step of two, which re-rolls in some spellings \
              only",
    },
    Pending {
        name: "reset none read by recurrent step ops",
        applies: |c, l| {
            let i = index(c, l);
            primitive(l)
                && l.family.reset == Reset::None
                && c.layers.get(i + 1).is_some_and(|n| n.style == Style::Steps && n.recurrent)
        },
        cells: 0,
        partial: false,
        why: "the none rule fuses a spike that only linear maps and data movement read; the \
              next layer's snn.IAFStep ops read it as their input, which is neither",
    },
    Pending {
        name: "[1, B, N] steps",
        applies: |_, l| l.spelling.is_some_and(|s| s.read == Read::Keep),
        cells: 0,
        partial: false,
        why: "steps read as Slice(S, [t, t+1]) and kept [1, B, N] (with [1, 1, N] thresholds) \
              are not re-rolled: the step rules and iaf-reroll expect [B, N] steps",
    },
    Pending {
        name: "recurrent export",
        applies: |c, l| {
            primitive(l)
                && l.recurrent
                && !(l.order == Order::IntegrateThenFire
                    && c.steps >= 4
                    && !wide(c)
                    && l.spelling.is_some_and(|s| {
                        s.rec.is_some()
                            && s.reset != ResetKind::Multi
                            && !(s.reset == ResetKind::Late && l.keeps_potential)
                    }))
        },
        cells: 0,
        partial: true,
        why: "step-rec-itf/-fti match (v + lin(x, W)) + lin(z', R) and v + (lin(x, W) + \
              lin(z', R)) with lin a Gemm or a MatMul (Gemms with biases through the bias \
              rules: both biases become a weight column on a constant-1 input), and snnTorch's \
              late reset through reset-late(-rec), except where the late-reset layer's potential \
              is an output; not sinabs' multi-spike reset (recurrent kernels hand spikes on as \
              bits); fire-then-integrate, three steps, or a layer of 64 or more neurons in the \
              network re-roll in some draws only; a feed-forward IAF may cover some of the steps",
    },
    Pending {
        name: "fire-then-integrate export over three steps or beside a wide layer",
        applies: |c, l| {
            primitive(l) && l.order == Order::FireThenIntegrate && (c.steps == 3 || wide(c))
        },
        cells: 0,
        partial: true,
        why: "its first step from a constant state stays out of the chain (docs/optimizer.md), \
              and the extractor weighs the cell from V0 = w + x₀ against the steps by cost: \
              with two whole steps, or beside a layer of 64 or more neurons, it keeps some \
              steps unrolled in some draws",
    },
    Pending {
        name: "fed by a fire-then-integrate export",
        applies: |c, l| {
            let i = index(c, l);
            l.style != Style::Sequence
                && i > 0
                && primitive(&c.layers[i - 1])
                && c.layers[i - 1].order == Order::FireThenIntegrate
        },
        cells: 0,
        partial: true,
        why: "that layer's first step from a constant state stays out of its chain, so the \
              spikes read here are a folded first row and then the cell's rows: whether this \
              layer re-rolls depends on what the extractor makes of that row",
    },
    Pending {
        name: "fed by a layer that does not re-roll",
        applies: |c, l| l.style != Style::Sequence && after_unrolled(c, index(c, l)),
        cells: 0,
        partial: true,
        why: "iaf-reroll re-rolls steps that read consecutive rows Gather(S, t) of one \
              sequence; the per-step spikes of an unfused layer are no such sequence (some \
              steps may still re-roll)",
    },
    Pending {
        name: "read step by step by a layer that does not re-roll",
        applies: |c, l| {
            (l.style != Style::Sequence || c.steps <= 2) && before_unrolled(c, index(c, l))
        },
        cells: 0,
        partial: true,
        why: "where the next layer reads the spikes step by step, the extractor may keep this \
              layer as steps too (the per-step form is not dearer), and at T ≤ 2 even a \
              sequence op",
    },
    Pending {
        name: "late reset with its potential as an output",
        applies: |_, l| reset_of(l) == Some(ResetKind::Late) && l.keeps_potential,
        cells: 1,
        partial: true,
        why: "the spikes re-roll integrate-then-fire and, in most draws (as in the \
              snntorch_leaky_subtract fixtures), the exposed pre-reset potential as a second, \
              fire-then-integrate cell over the same input",
    },
];

/// The pending entry of layer `l` of `case`, if any.
pub fn pending(case: &Case, l: &Layer) -> Option<&'static Pending> {
    PENDING.iter().find(|p| (p.applies)(case, l))
}

/// The cells the optimizer should find in `case`, sorted: one per layer (of the layer's kind,
/// width and family), or what its [`PENDING`] entry says.
pub fn expected_cells(case: &Case) -> Vec<FoundCell> {
    let mut out = Vec::new();
    for l in &case.layers {
        let n = pending(case, l).map_or(1, |p| p.cells);
        let cell = FoundCell { kind: l.kind(), neurons: l.neurons, family: l.family };
        out.extend(std::iter::repeat_n(cell, n));
    }
    out.sort();
    out
}

/// How the optimizer's cells `found` differ from those `case` should have: `Err` when an
/// expected cell ([`expected_cells`]) is missing, or a cell is there that no layer explains;
/// else the number of extra cells, each of the width and family of one layer (feed-forward
/// or of the layer's kind): cells of a layer [`PENDING`] says may fuse partially, or a second
/// cell of a fused layer whose final potential is an output (the spikes computed by one cell,
/// the potential by another in the other update order).
pub fn cells_match(case: &Case, found: &[FoundCell]) -> Result<usize, String> {
    let mut extra = found.to_vec();
    for want in expected_cells(case) {
        match extra.iter().position(|c| *c == want) {
            Some(i) => {
                extra.remove(i);
            }
            None => return Err(format!("{} is missing", show(&[want]))),
        }
    }
    let explains = |l: &Layer, c: &FoundCell| {
        l.neurons == c.neurons && l.family == c.family && (c.kind == "IAF" || c.kind == l.kind())
    };
    let partial: Vec<&Layer> =
        case.layers.iter().filter(|l| pending(case, l).is_some_and(|p| p.partial)).collect();
    let mut second: Vec<&Layer> =
        case.layers.iter().filter(|l| l.keeps_potential && pending(case, l).is_none()).collect();
    for c in &extra {
        if partial.iter().any(|l| explains(l, c)) {
            continue;
        }
        match second.iter().position(|l| explains(l, c)) {
            Some(i) => {
                second.remove(i);
            }
            None => return Err(format!("{} is no layer's", show(&[*c]))),
        }
    }
    Ok(extra.len())
}

/// Whether every layer of `case` fuses completely (no [`PENDING`] entry).
pub fn fully_fused(case: &Case) -> bool {
    case.layers.iter().all(|l| pending(case, l).is_none())
}

/// Whether `case` has a multi-spike layer.
pub fn has_multi(case: &Case) -> bool {
    case.layers.iter().any(|l| l.family.spikes == Spikes::Multi)
}

/// `cells` in short: `IAF 6 gt/value/attached/single, …`.
pub fn show(cells: &[FoundCell]) -> String {
    let one = |c: &FoundCell| {
        let f = c.family;
        format!(
            "{} {} {}/{}/{}/{}",
            c.kind, c.neurons, f.threshold, f.reset, f.reset_grad, f.spikes
        )
    };
    cells.iter().map(one).collect::<Vec<_>>().join(", ")
}
