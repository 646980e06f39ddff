//! Structural, bit-exact graph comparison (for round-trip tests).

use snnc_ir::{Graph, IafParams, Op, Surrogate};

fn bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn surrogates(a: &Surrogate, b: &Surrogate) -> bool {
    a.method == b.method && a.alpha.to_bits() == b.alpha.to_bits()
}

fn params(a: &IafParams, b: &IafParams) -> bool {
    bits(&a.v_th, &b.v_th)
        && bits(&a.v_reset, &b.v_reset)
        && surrogates(&a.surrogate, &b.surrogate)
        && a.order == b.order
        && a.family == b.family
        && a.leak.named().iter().zip(b.leak.named()).all(|((_, x), (_, y))| bits(x, y))
        && a.v_out == b.v_out
        && amounts(&a.reset_amount, &b.reset_amount)
}

fn amounts(a: &Option<Vec<f32>>, b: &Option<Vec<f32>>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => bits(x, y),
        (x, y) => x.is_none() && y.is_none(),
    }
}

/// True when both ops are the same variant with bit-identical attributes.
pub fn ops_identical(a: &Op, b: &Op) -> bool {
    match (a, b) {
        (
            Op::Gemm { alpha, beta, trans_a, trans_b },
            Op::Gemm { alpha: a2, beta: b2, trans_a: ta2, trans_b: tb2 },
        ) => {
            alpha.to_bits() == a2.to_bits()
                && beta.to_bits() == b2.to_bits()
                && trans_a == ta2
                && trans_b == tb2
        }
        (Op::Constant { value: x }, Op::Constant { value: y }) => x.same_bits(y),
        (Op::Spike { surrogate: x }, Op::Spike { surrogate: y }) => surrogates(x, y),
        (Op::Iaf(x), Op::Iaf(y))
        | (Op::IafRecurrent(x), Op::IafRecurrent(y))
        | (Op::IafFeedForwardStep(x), Op::IafFeedForwardStep(y))
        | (Op::IafStep(x), Op::IafStep(y)) => params(x, y),
        (Op::SpikeReset(x), Op::SpikeReset(y)) => {
            bits(&x.v_th, &y.v_th)
                && bits(&x.v_reset, &y.v_reset)
                && surrogates(&x.surrogate, &y.surrogate)
                && x.family == y.family
                && amounts(&x.reset_amount, &y.reset_amount)
        }
        _ => a == b,
    }
}

/// The first structural difference between two graphs, or `None` when they are identical:
/// same name, values (names, types, order), inputs, outputs, initializers (bit-exact) and nodes
/// (names, ops with bit-exact attributes, inputs and outputs).
pub fn graph_diff(a: &Graph, b: &Graph) -> Option<String> {
    if a.name() != b.name() {
        return Some(format!("graph name '{}' vs '{}'", a.name(), b.name()));
    }
    if a.values().len() != b.values().len() {
        return Some(format!("{} values vs {}", a.values().len(), b.values().len()));
    }
    if let Some((x, y)) = a.values().iter().zip(b.values()).find(|(x, y)| x != y) {
        return Some(format!("value '{}': {} vs '{}': {}", x.name, x.ty, y.name, y.ty));
    }
    if a.inputs() != b.inputs() {
        return Some("graph inputs differ".into());
    }
    if a.outputs() != b.outputs() {
        return Some("graph outputs differ".into());
    }
    let (ia, ib) = (a.initializers(), b.initializers());
    if ia.len() != ib.len() || ia.keys().ne(ib.keys()) {
        return Some("the sets of initializers differ".into());
    }
    for ((id, x), y) in ia.iter().zip(ib.values()) {
        if !x.same_bits(y) {
            return Some(format!("initializer '{}' differs", a.value(*id).name));
        }
    }
    if a.nodes().len() != b.nodes().len() {
        return Some(format!("{} nodes vs {}", a.nodes().len(), b.nodes().len()));
    }
    for (x, y) in a.nodes().iter().zip(b.nodes()) {
        let same = x.name == y.name
            && x.inputs == y.inputs
            && x.outputs == y.outputs
            && ops_identical(&x.op, &y.op);
        if !same {
            return Some(format!("node '{}' ({:?}) vs '{}' ({:?})", x.name, x.op, y.name, y.op));
        }
    }
    None
}

/// True when [`graph_diff`] finds no difference.
pub fn graphs_equal(a: &Graph, b: &Graph) -> bool {
    graph_diff(a, b).is_none()
}
