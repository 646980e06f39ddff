use std::fmt;
use std::str::FromStr;

/// Surrogate-gradient method of the spike function (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// No gradient through the spike.
    Heaviside,
    /// SuperSpike: g / (alpha·|s| + 1)².
    Super,
    /// g · alpha · max(0, 1 − |s|).
    Triangle,
    /// g · (1 − tanh(alpha·s)²).
    Tanh,
    /// g · alpha³ / (alpha² + s²)^1.5.
    Circ,
    /// g · 2·exp(−(alpha·s)²) / √π.
    HeaviErfc,
    /// g · (alpha/2) / (1 + (π/2·alpha·s)²) (snnTorch `atan`, SpikingJelly `ATan`).
    Atan,
    /// g · alpha·σ(alpha·s)·(1 − σ(alpha·s)) (SpikingJelly `Sigmoid`, snnTorch `sigmoid`).
    Sigmoid,
    /// g · alpha·exp(−alpha·|s|) (sinabs `SingleExponential`).
    Exp,
}

impl Method {
    /// All methods, in SPEC order.
    pub const ALL: [Method; 9] = [
        Method::Heaviside,
        Method::Super,
        Method::Triangle,
        Method::Tanh,
        Method::Circ,
        Method::HeaviErfc,
        Method::Atan,
        Method::Sigmoid,
        Method::Exp,
    ];

    /// The name Norse and the `snn` domain use for this method.
    pub fn name(self) -> &'static str {
        match self {
            Method::Heaviside => "heaviside",
            Method::Super => "super",
            Method::Triangle => "triangle",
            Method::Tanh => "tanh",
            Method::Circ => "circ",
            Method::HeaviErfc => "heavi_erfc",
            Method::Atan => "atan",
            Method::Sigmoid => "sigmoid",
            Method::Exp => "exp",
        }
    }
}

impl FromStr for Method {
    type Err = String;

    /// Parses a Norse method name; unknown names are an error, never defaulted.
    fn from_str(s: &str) -> Result<Self, String> {
        Method::ALL.iter().copied().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
            format!("unknown surrogate method '{s}' (expected one of {})", names.join(", "))
        })
    }
}

/// A surrogate method with its sharpness `alpha`; the backward of Θ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surrogate {
    /// The method.
    pub method: Method,
    /// Its hyper-parameter (ignored by `heaviside`).
    pub alpha: f32,
}

impl Default for Surrogate {
    /// `super:100`, Norse's default.
    fn default() -> Self {
        Surrogate { method: Method::Super, alpha: 100.0 }
    }
}

impl Surrogate {
    /// Builds a surrogate; `alpha` must be finite and positive.
    pub fn new(method: Method, alpha: f32) -> Result<Self, String> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(format!("surrogate alpha must be a positive finite number, got {alpha}"));
        }
        Ok(Surrogate { method, alpha })
    }

    /// dΘ/ds replaced by the surrogate at `s`, so that backward is `g · derivative(s)`
    /// ([`neuron::surrogate`](crate::neuron::surrogate) in f64).
    pub fn derivative(&self, s: f64) -> f64 {
        crate::neuron::surrogate(self.method, self.alpha as f64, s)
    }

    /// σ'(s) as the f32 engines compute it: in f32 for the methods of
    /// [`surrogate_in_f32`](crate::neuron::surrogate_in_f32), else in f64 rounded to f32.
    #[inline(always)]
    pub fn derivative_f32(&self, s: f32) -> f32 {
        if crate::neuron::surrogate_in_f32(self.method) {
            crate::neuron::surrogate(self.method, self.alpha, s)
        } else {
            self.derivative(s as f64) as f32
        }
    }
}

impl fmt::Display for Surrogate {
    /// `method:alpha`, the form `--surrogate` accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.method.name(), self.alpha)
    }
}

impl FromStr for Surrogate {
    type Err = String;

    /// Parses `METHOD` or `METHOD:ALPHA`; the default alpha is 100.
    fn from_str(s: &str) -> Result<Self, String> {
        let (m, a) = match s.split_once(':') {
            Some((m, a)) => {
                let alpha: f32 =
                    a.trim().parse().map_err(|_| format!("bad surrogate alpha '{a}' in '{s}'"))?;
                (m, alpha)
            }
            None => (s, 100.0),
        };
        Surrogate::new(m.trim().parse()?, a)
    }
}
