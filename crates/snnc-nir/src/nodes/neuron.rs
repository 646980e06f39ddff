use super::fields::Fields;
use crate::Array;

/// Which NIR neuron a [`NeuronNode`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeuronKind {
    /// `I`: dv/dt = r·x (integrated as v += r·x), outputs v.
    I,
    /// `IF`: `I` with a threshold and a reset, outputs spikes.
    If,
    /// `LI`: τ·dv/dt = (v_leak − v) + r·x, outputs v.
    Li,
    /// `LIF`: `LI` with a threshold and a reset, outputs spikes.
    Lif,
    /// `CubaLI`: τ_syn·dI/dt = −I + w_in·x; τ_mem·dv/dt = (v_leak − v) + r·I, outputs v.
    CubaLi,
    /// `CubaLIF`: `CubaLI` with a threshold and a reset, outputs spikes.
    CubaLif,
}

impl NeuronKind {
    /// The NIR type name.
    pub fn name(self) -> &'static str {
        match self {
            NeuronKind::I => "I",
            NeuronKind::If => "IF",
            NeuronKind::Li => "LI",
            NeuronKind::Lif => "LIF",
            NeuronKind::CubaLi => "CubaLI",
            NeuronKind::CubaLif => "CubaLIF",
        }
    }

    /// True for the neurons with a threshold (IF, LIF, CubaLIF).
    pub fn spiking(self) -> bool {
        matches!(self, NeuronKind::If | NeuronKind::Lif | NeuronKind::CubaLif)
    }

    /// True for the neurons with a leak (LI, LIF, CubaLI, CubaLIF).
    pub fn leaky(self) -> bool {
        !matches!(self, NeuronKind::I | NeuronKind::If)
    }

    /// True for the current-based neurons (CubaLI, CubaLIF).
    pub fn current_based(self) -> bool {
        matches!(self, NeuronKind::CubaLi | NeuronKind::CubaLif)
    }
}

/// One of NIR's six neuron nodes with its parameters, all of the neurons' shape; fields a kind
/// does not have are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronNode {
    /// Which neuron.
    pub kind: NeuronKind,
    /// The resistance r.
    pub r: Array,
    /// τ (LI, LIF) or τ_mem (CubaLI, CubaLIF), in seconds.
    pub tau_mem: Option<Array>,
    /// τ_syn (CubaLI, CubaLIF), in seconds.
    pub tau_syn: Option<Array>,
    /// v_leak (the leaky neurons).
    pub v_leak: Option<Array>,
    /// The threshold (the spiking neurons).
    pub v_threshold: Option<Array>,
    /// The reset potential (the spiking neurons; zeros when the file has none, as nir reads it).
    pub v_reset: Option<Array>,
    /// The input weight w_in (CubaLI, CubaLIF; ones when the file has none).
    pub w_in: Option<Array>,
}

impl NeuronNode {
    /// The neurons' shape (that of r).
    pub fn shape(&self) -> &[usize] {
        &self.r.shape
    }
}

pub(crate) fn neuron(f: &Fields, kind: NeuronKind) -> Result<NeuronNode, String> {
    let r = f.array("r")?;
    let mem = match kind {
        NeuronKind::Li | NeuronKind::Lif => Some(f.array("tau")?),
        NeuronKind::CubaLi | NeuronKind::CubaLif => Some(f.array("tau_mem")?),
        _ => None,
    };
    let syn = if kind.current_based() { Some(f.array("tau_syn")?) } else { None };
    let v_leak = if kind.leaky() { Some(f.array("v_leak")?) } else { None };
    let v_threshold = if kind.spiking() { Some(f.array("v_threshold")?) } else { None };
    let v_reset = match &v_threshold {
        Some(th) => Some(f.opt_array("v_reset")?.unwrap_or_else(|| th.map(|_| 0.0))),
        None => None,
    };
    let w_in = if kind.current_based() {
        Some(f.opt_array("w_in")?.unwrap_or_else(|| r.map(|_| 1.0)))
    } else {
        None
    };
    let node =
        NeuronNode { kind, r, tau_mem: mem, tau_syn: syn, v_leak, v_threshold, v_reset, w_in };
    check(&node)?;
    Ok(node)
}

fn check(n: &NeuronNode) -> Result<(), String> {
    let len: usize = n.r.shape.iter().product();
    if len == 0 {
        return Err(format!("r has shape {:?}, which holds no neurons", n.r.shape));
    }
    let named = [
        ("tau", &n.tau_mem),
        ("tau_syn", &n.tau_syn),
        ("v_leak", &n.v_leak),
        ("v_threshold", &n.v_threshold),
        ("v_reset", &n.v_reset),
        ("w_in", &n.w_in),
    ];
    for (name, a) in named {
        let Some(a) = a else { continue };
        // nir broadcasts a scalar w_in over the neurons; the others must match r's shape.
        if a.shape != n.r.shape && !(a.data.len() == 1 && name == "w_in") {
            return Err(format!(
                "{name} has shape {:?} but r has shape {:?} (all parameters must have the same shape)",
                a.shape, n.r.shape
            ));
        }
    }
    for (name, a) in [("tau", &n.tau_mem), ("tau_syn", &n.tau_syn)] {
        if let Some(a) = a {
            if a.data.iter().any(|&x| x <= 0.0) {
                return Err(format!("{name} must be positive"));
            }
        }
    }
    Ok(())
}
