//! A fused cell's parameters (SPEC §1.2: α, β, γ, v_leak, thresholds, family) back to a NIR
//! neuron: the inverse of the forward-Euler map at step `dt` that the importer uses.

use snnc_ir::{IafParams, Order, Reset, Spikes, Threshold};
use snnc_nir::{Array, NeuronKind, NeuronNode, NirReset};

/// The NIR neuron of a cell of `n` neurons with parameters `p`, at Euler step `dt`, for a file
/// read with the reset convention `reset`. An error says which choice NIR cannot express.
pub fn neuron(p: &IafParams, n: usize, dt: f64, reset: NirReset) -> Result<NeuronNode, String> {
    if p.order != Order::IntegrateThenFire && p.family.spikes != Spikes::None {
        return Err("fires before integrating (order fire_then_integrate); NIR neurons \
                    integrate, then fire"
            .into());
    }
    let spiking = match p.family.spikes {
        Spikes::None => false,
        Spikes::Single => true,
        Spikes::Multi => {
            return Err("emits multiple spikes per step; NIR has no such neuron".into())
        }
    };
    if spiking {
        if p.family.threshold == Threshold::Ge {
            return Err("spikes at v ≥ v_th; NIR's threshold is v > v_threshold".into());
        }
        match (p.family.reset, reset) {
            (Reset::Value, NirReset::Value) | (Reset::Subtract, NirReset::Subtract) => {}
            (Reset::None, _) => return Err("has no reset; NIR's spiking neurons reset".into()),
            (r, _) => {
                return Err(format!(
                    "resets by {}, but the file is written for --nir-reset {} (NIR files carry \
                     no reset convention; pass --nir-reset {})",
                    r.name(),
                    reset_name(reset),
                    r.name()
                ))
            }
        }
    }
    let own_amount = (0..n).any(|i| p.reset_amount_at(i) != p.v_th_at(i));
    if spiking && p.family.reset == Reset::Subtract && own_amount {
        return Err("its subtract reset removes a reset_amount other than v_th (snnTorch's \
                    subtraction after the decay); NIR's subtract reset removes v_threshold"
            .into());
    }
    let per = |v: &[f32]| -> Vec<f64> {
        (0..n).map(|i| f64::from(if v.len() == 1 { v[0] } else { v[i] })).collect()
    };
    let (alpha, beta, gamma, v_leak) =
        (per(&p.leak.alpha), per(&p.leak.beta), per(&p.leak.gamma), per(&p.leak.v_leak));
    let arr =
        |d: Vec<f64>| Array { shape: vec![n], data: d.into_iter().map(|x| x as f32).collect() };
    let synapse = alpha.iter().any(|&a| a != 0.0);
    let leak = beta.iter().any(|&b| b != 1.0);
    let mut node = NeuronNode {
        kind: NeuronKind::If,
        r: arr(gamma.clone()),
        tau_mem: None,
        tau_syn: None,
        v_leak: None,
        v_threshold: spiking.then(|| arr(per(&p.v_th))),
        v_reset: None,
        w_in: None,
    };
    if spiking {
        node.v_reset = Some(match reset {
            NirReset::Value => arr(per(&p.v_reset)),
            NirReset::Subtract => arr(vec![0.0; n]),
        });
    }
    if !synapse && !leak {
        node.kind = if spiking { NeuronKind::If } else { NeuronKind::I };
        return Ok(node);
    }
    if let Some(b) = beta.iter().find(|&&b| b >= 1.0 || b.is_nan()) {
        return Err(format!("β = {b}: a leaky NIR neuron needs β < 1 (τ = dt/(1 − β) > 0)"));
    }
    let tau_mem: Vec<f64> = beta.iter().map(|b| dt / (1.0 - b)).collect();
    node.r = arr(gamma.iter().zip(&beta).map(|(g, b)| g / (1.0 - b)).collect());
    node.tau_mem = Some(arr(tau_mem));
    node.v_leak = Some(arr(v_leak));
    node.kind = match (synapse, spiking) {
        (false, true) => NeuronKind::Lif,
        (false, false) => NeuronKind::Li,
        (true, true) => NeuronKind::CubaLif,
        (true, false) => NeuronKind::CubaLi,
    };
    if synapse {
        if let Some(a) = alpha.iter().find(|&&a| !(0.0..1.0).contains(&a) || a == 0.0) {
            return Err(format!("α = {a}: a NIR synapse needs 0 < α < 1 (τ_syn = dt/(1 − α))"));
        }
        // u_t = α·u + (w_in·dt/τ_syn)·x with w_in·dt/τ_syn = 1: the cell's x is unscaled.
        node.tau_syn = Some(arr(alpha.iter().map(|a| dt / (1.0 - a)).collect()));
        node.w_in = Some(arr(alpha.iter().map(|a| 1.0 / (1.0 - a)).collect()));
    }
    Ok(node)
}

fn reset_name(r: NirReset) -> &'static str {
    match r {
        NirReset::Value => "value",
        NirReset::Subtract => "subtract",
    }
}
