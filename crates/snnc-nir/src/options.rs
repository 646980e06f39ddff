use std::fmt;
use std::str::FromStr;

/// How a spiking NIR neuron (IF, LIF, CubaLIF) resets after a spike; NIR files do not say
/// (SPEC §1.2), so it is a compile option (`--nir-reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NirReset {
    /// v = v_reset after a spike (the node's `v_reset`, 0 when the file has none).
    Value,
    /// v = v̂ − v_threshold after a spike.
    Subtract,
}

/// When a current-based neuron's potential sees its synaptic current (SPEC §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CurrentOrder {
    /// The SPEC cell (Norse, snnTorch): the potential integrates this step's current,
    /// `u_t = α·u_{t−1} + x_t; v̂ = … + γ·u_t`.
    Spec,
    /// The NIR paper's reference code (paper/03_rnn, `nir_reference_impl.py`): the potential
    /// integrates the previous step's current, `v̂ = … + γ·u_{t−1}`, then `u_t = α·u_{t−1} + x_t`.
    Paper,
}

macro_rules! spelled {
    ($ty:ident, $what:literal, $($v:ident => $s:literal),+) => {
        impl $ty {
            /// The option's spelling.
            pub fn name(self) -> &'static str {
                match self { $($ty::$v => $s),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            /// Parses the spelling; anything else is an error listing the choices.
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($ty::$v),)+
                    other => Err(format!(
                        concat!("unknown ", $what, " '{}' (expected {})"),
                        other,
                        [$($s),+].join(" or ")
                    )),
                }
            }
        }
    };
}

spelled!(NirReset, "NIR reset", Value => "value", Subtract => "subtract");
spelled!(CurrentOrder, "current order", Spec => "spec", Paper => "paper");

/// How a NIR graph becomes an snnc graph: NIR is continuous-time and stores neither a time step
/// nor a reset convention, and snnc runs sequences of a fixed length.
#[derive(Debug, Clone, PartialEq)]
pub struct NirOptions {
    /// The Euler time step in seconds (`--dt`, default 1e-4).
    pub dt: f64,
    /// The reset of IF, LIF and CubaLIF nodes (`--nir-reset`, default `value`).
    pub reset: NirReset,
    /// When CubaLI/CubaLIF potentials see the synaptic current (`--nir-current`, default the
    /// SPEC cell).
    pub current: CurrentOrder,
    /// The number of time steps T of the inputs `[T, B, ...]` (default 100).
    pub steps: usize,
    /// The batch size B of the inputs (default 1).
    pub batch: usize,
    /// Also output each neuron node's potential after every step, `[T, B, ...]`, named
    /// `<node>.v` (the state after the reset; a leaky integrator's output is already it).
    pub potentials: bool,
}

impl Default for NirOptions {
    fn default() -> Self {
        NirOptions {
            dt: 1e-4,
            reset: NirReset::Value,
            current: CurrentOrder::Spec,
            steps: 100,
            batch: 1,
            potentials: false,
        }
    }
}

impl NirOptions {
    /// Checks the values: dt finite and positive, T and B at least 1.
    pub fn check(&self) -> Result<(), String> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(format!("dt must be a positive number, got {}", self.dt));
        }
        if self.steps == 0 || self.batch == 0 {
            return Err("the number of steps and the batch size must be at least 1".into());
        }
        Ok(())
    }

    /// The options that change the lowered graph's meaning, as `key=value` pairs (what a
    /// compiled plan records).
    pub fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("nir.dt".into(), format!("{}", self.dt)),
            ("nir.reset".into(), self.reset.to_string()),
            ("nir.current".into(), self.current.to_string()),
        ]
    }
}
