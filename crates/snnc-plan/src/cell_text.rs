//! The leaky cell's step (SPEC §1.2) as source text, for the engines that print their kernels
//! (WGSL, CUDA C): the synaptic current and the leak around [`snnc_ir::StepText`]'s spike and
//! reset, forward and in reverse time, with the CPU kernels' operations in the CPU kernels'
//! order (`crates/snnc-kernels/src/family.rs`: `current`, `integrate`; `iaf_backward.rs`:
//! `back_one`), so that a kernel computing it agrees with them bitwise wherever f32
//! operations round alike.
//!
//! The IF cell is not printed here: its kernels keep their own step, which is this one with
//! α = 0, β = γ = 1. What a leaky kernel computes is decided once per kernel from its
//! parameters ([`CellText::new`]): a current for every neuron, none, or per neuron by its α;
//! a leak for every neuron, none, or per neuron by β and γ (a neuron with β = γ = 1 integrates
//! `w + u` as the reference does, by a select).

use snnc_ir::{Code, Dialect, Family, IafParams, Num, Order, StepText, VOut};

/// Which neurons of a population have a property: none, all, or some (picked per neuron).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// No neuron.
    None,
    /// Every neuron.
    All,
    /// Some neurons: a select per neuron.
    Some,
}

impl Which {
    fn of(flags: impl Iterator<Item = bool>) -> Which {
        let (mut any, mut all) = (false, true);
        for f in flags {
            any |= f;
            all &= f;
        }
        match (any, all) {
            (false, _) => Which::None,
            (true, true) => Which::All,
            (true, false) => Which::Some,
        }
    }
}

/// The step of a leaky cell in one dialect. The printed statements read the variables `v` (the
/// potential, assigned), `syn` (the synaptic current, assigned; only with a current), `th`,
/// `r` and the leak's parameters `al` (α), `bt` (β), `gm` (γ), `vl` (v_leak) — those
/// [`CellText::params`] names, which the kernel defines per neuron.
#[derive(Debug, Clone, PartialEq)]
pub struct CellText {
    dialect: Dialect,
    family: Family,
    /// Not the IF cell reporting V_T after the reset: a leak, a current, no spikes, or
    /// `v_out = before_reset`.
    leaky: bool,
    /// Which neurons have a synaptic current (α ≠ 0).
    current: Which,
    /// Which neurons leak (β ≠ 1 or γ ≠ 1).
    leak: Which,
    before: bool,
    /// The cell has its own reset amount (the `subtract` reset removes `rd`, not `th`).
    amount: bool,
}

impl CellText {
    /// The step of the cell `p` (of `p.leak`'s neurons) in `dialect`.
    pub fn new(dialect: Dialect, p: &IafParams) -> CellText {
        let l = &p.leak;
        let n = l.alpha.len().max(l.beta.len()).max(l.gamma.len());
        let current = Which::of((0..n).map(|j| l.alpha_at(j) != 0.0));
        let leak = Which::of((0..n).map(|j| l.beta_at(j) != 1.0 || l.gamma_at(j) != 1.0));
        CellText {
            dialect,
            family: p.family,
            leaky: !l.is_if()
                || p.family.is_integrator()
                || p.v_out == VOut::BeforeReset
                || p.reset_amount.is_some(),
            current,
            leak,
            before: p.v_out == VOut::BeforeReset,
            amount: p.reset_amount.is_some(),
        }
    }

    /// Whether the cell is not the IF cell (it has a leak, a synaptic current, no spikes, or
    /// a reset amount of its own) or reports V_T before the reset ([`Kernel::leaky`](crate::Kernel::leaky) is `Some`):
    /// then its kernels print [`CellText::forward`] and [`CellText::backward`], else the IF
    /// cell's own step, which is theirs with α = 0, β = γ = 1.
    pub fn leaky(&self) -> bool {
        self.leaky
    }

    /// Whether the cell carries a synaptic current (some α ≠ 0): its kernels have U0, U_T and
    /// their gradients, and the state `syn` (forward) or `gu` (reverse).
    pub fn has_current(&self) -> bool {
        self.current != Which::None
    }

    /// Whether the cell is a leaky integrator: its per-step output is the potential `v` after
    /// the step, and it has no spikes.
    pub fn integrator(&self) -> bool {
        self.family.is_integrator()
    }

    /// Whether V_T is v̂ of the last step (`v_out = before_reset`): the forward kernels write
    /// the last pre-reset potential `u`, and its gradient joins the reverse step's at the last
    /// step ([`CellText::backward`]'s `gh`).
    pub fn before_reset(&self) -> bool {
        self.before
    }

    /// Which neurons have a synaptic current.
    pub fn current(&self) -> Which {
        self.current
    }

    /// Which neurons leak.
    pub fn leak(&self) -> Which {
        self.leak
    }

    /// The leak parameters the forward (`backward = false`) or reverse step reads, with the
    /// values of `p`: `al` with a current, `bt`, `gm` with a leak, `vl` with a leak forward,
    /// and `rd` (the reset amount) for a cell with its own.
    pub fn params<'p>(&self, p: &'p IafParams, backward: bool) -> Vec<(&'static str, &'p [f32])> {
        let l = &p.leak;
        let mut out = Vec::new();
        if !self.leaky {
            return out;
        }
        if self.has_current() {
            out.push(("al", &l.alpha[..]));
        }
        if self.leak != Which::None {
            out.push(("bt", &l.beta[..]));
            out.push(("gm", &l.gamma[..]));
            if !backward {
                out.push(("vl", &l.v_leak[..]));
            }
        }
        if let Some(d) = &p.reset_amount {
            out.push(("rd", &d[..]));
        }
        out
    }

    /// The spike and reset of the cell's family member, the reset removing `rd` where the
    /// cell has its own reset amount.
    fn step_text(&self, z: &str) -> StepText {
        StepText::with_amount(self.dialect, self.family, z, if self.amount { "rd" } else { "th" })
    }

    fn var(&self, name: &str) -> Code {
        Code::var(self.dialect, name)
    }

    /// `name = e` declared as a constant of the dialect.
    fn decl(&self, name: &str, e: &Code) -> String {
        match self.dialect {
            Dialect::Wgsl => format!("let {name} = {};", e.text()),
            Dialect::CudaF32 => format!("const float {name} = {};", e.text()),
            Dialect::CudaF64 => format!("const double {name} = {};", e.text()),
        }
    }

    /// `cond ? then : other`.
    fn select(&self, cond: &str, then: &Code, other: &Code) -> Code {
        match self.dialect {
            Dialect::Wgsl => {
                self.var(&format!("select({}, {}, {cond})", other.text(), then.text()))
            }
            _ => self.var(&format!("({cond} ? {} : {})", then.text(), other.text())),
        }
    }

    /// `x == 1` in the dialect.
    fn is_one(&self, x: &str) -> String {
        let one = self.var(x).lit(1.0);
        format!("{x} == {}", one.text())
    }

    /// The current of the step from input `x`: `al·syn + x`, or `x` where α = 0.
    fn current_expr(&self, x: &Code) -> Code {
        let c = self.var("al") * self.var("syn") + x.clone();
        match self.current {
            Which::None => x.clone(),
            Which::All => c,
            Which::Some => {
                let zero = self.var("al").lit(0.0);
                self.select(&format!("al == {}", zero.text()), x, &c)
            }
        }
    }

    /// Potential `w` integrated with current `c`: `(vl + bt·(w − vl)) + gm·c`, or `w + c`
    /// where β = γ = 1.
    fn integrate(&self, w: &Code, c: &Code) -> Code {
        let plain = w.clone() + c.clone();
        let (vl, bt, gm) = (self.var("vl"), self.var("bt"), self.var("gm"));
        let leaky = (vl.clone() + bt * (w.clone() - vl)) + gm * c.clone();
        match self.leak {
            Which::None => plain,
            Which::All => leaky,
            Which::Some => {
                let cond = format!("{} && {}", self.is_one("bt"), self.is_one("gm"));
                self.select(&cond, &plain, &leaky)
            }
        }
    }

    /// One forward step in `order` from the input current `x` (a variable or expression):
    /// statements that define `c` (the step's current), `u` (the pre-reset potential), `s`
    /// (`u − th`) and the spike variable `z` (0 for a leaky integrator), then assign `v` (and
    /// `syn`). The step's output is `z`, or `v` for a leaky integrator.
    pub fn forward(&self, order: Order, x: &str, z: &str) -> Vec<String> {
        let t = self.step_text(z);
        let c = self.var("c");
        let mut out = vec![self.decl("c", &self.current_expr(&self.var(x)))];
        if self.has_current() {
            out.push("syn = c;".into());
        }
        match order {
            Order::FireThenIntegrate => {
                out.push(self.decl("u", &self.var("v")));
                out.push(self.decl("s", &(self.var("u") - self.var("th"))));
                out.push(self.decl(z, &self.var(&t.spike)));
                out.push(self.decl("w", &self.var(&t.reset)));
                out.push(format!("v = {};", self.integrate(&self.var("w"), &c).text()));
            }
            Order::IntegrateThenFire => {
                out.push(self.decl("u", &self.integrate(&self.var("v"), &c)));
                out.push(self.decl("s", &(self.var("u") - self.var("th"))));
                out.push(self.decl(z, &self.var(&t.spike)));
                out.push(format!("v = {};", t.reset));
            }
        }
        out
    }

    /// One reverse step in `order`, surrogate function `sg`: from `u` (the saved pre-reset
    /// potential), `gz` (the gradient of the step's output, a variable or expression), `g`
    /// (∂L/∂v_t) and, with a current, the variable `gu` (the current's gradient carried back,
    /// assigned α·∂L/∂u_t), statements that define `gi` (the gradient of the step's input
    /// current) and `back` (∂L/∂v_{t−1}). `gh`, for a V_T reported before the reset: the
    /// condition that this is the last step and the gradient of V_T, added to v̂'s there.
    /// The spike variable is `z`.
    pub fn backward(
        &self,
        order: Order,
        sg: &str,
        gz: &str,
        g: &str,
        z: &str,
        gh: Option<(&str, &str)>,
    ) -> Vec<String> {
        let t = self.step_text(z);
        let integrator = self.integrator();
        let mut out = Vec::new();
        // A leaky integrator's output is its potential: its gradient joins g, and no spike
        // passes any back.
        let g0 = if integrator { self.var(g) + self.var(gz) } else { self.var(g) };
        out.push(self.decl("g0", &g0));
        let g0 = self.var("g0");
        let leak = self.leak != Which::None;
        let scale = |k: &str, x: Code| if leak { self.var(k) * x } else { x };
        let with_h = |x: Code| match gh {
            Some((cond, h)) => self.select(cond, &(x.clone() + self.var(h)), &x),
            None => x,
        };
        // reset_back(x) = x·∂reset/∂u + (gz + x·∂reset/∂z)·σ'(s), as statements defining
        // `name`; x itself for a leaky integrator.
        let reset_back = |x: Code, name: &str, out: &mut Vec<String>| {
            if integrator {
                out.push(self.decl(name, &x));
                return;
            }
            out.push(self.decl("gq", &x));
            let q = self.var("gq");
            out.push(self.decl("s", &(self.var("u") - self.var("th"))));
            out.push(self.decl(z, &self.var(&t.spike)));
            out.push(self.decl("gzz", &(self.var(gz) + q.clone() * self.var(&t.dz))));
            let sig = self.var(&format!("{sg}(s)"));
            out.push(self.decl(name, &(q * self.var(&t.du) + self.var("gzz") * sig)));
        };
        let share = match order {
            Order::FireThenIntegrate => {
                reset_back(with_h(scale("bt", g0.clone())), "back", &mut out);
                scale("gm", g0)
            }
            Order::IntegrateThenFire => {
                reset_back(g0, "back0", &mut out);
                out.push(self.decl("gw", &with_h(self.var("back0"))));
                out.push(self.decl("back", &scale("bt", self.var("gw"))));
                scale("gm", self.var("gw"))
            }
        };
        if self.has_current() {
            out.push(self.decl("gi", &(share + self.var("gu"))));
            out.push(format!("gu = {};", (self.var("al") * self.var("gi")).text()));
        } else {
            out.push(self.decl("gi", &share));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use snnc_ir::Leak;

    fn lif(alpha: Vec<f32>, beta: Vec<f32>) -> IafParams {
        IafParams {
            order: Order::IntegrateThenFire,
            leak: Leak { alpha, beta, gamma: vec![1.0], v_leak: vec![0.0] },
            ..IafParams::default()
        }
    }

    #[test]
    fn the_cell_picks_its_terms() {
        let t = CellText::new(Dialect::CudaF32, &IafParams::default());
        assert!(!t.leaky() && !t.has_current());
        assert!(t.params(&IafParams::default(), false).is_empty());
        let p = lif(vec![0.0], vec![0.9]);
        let t = CellText::new(Dialect::CudaF32, &p);
        assert!(t.leaky() && !t.has_current());
        assert_eq!((t.current(), t.leak()), (Which::None, Which::All));
        let names: Vec<_> = t.params(&p, false).iter().map(|x| x.0).collect();
        assert_eq!(names, ["bt", "gm", "vl"]);
        let f = t.forward(Order::IntegrateThenFire, "xv", "zf").join("\n");
        assert!(f.contains("const float c = xv;"), "{f}");
        assert!(f.contains("((vl + (bt * (v - vl))) + (gm * c))"), "{f}");
        let p = lif(vec![0.5, 0.0], vec![0.9, 1.0]);
        let t = CellText::new(Dialect::Wgsl, &p);
        assert_eq!((t.current(), t.leak()), (Which::Some, Which::Some));
        let f = t.forward(Order::FireThenIntegrate, "x", "z").join("\n");
        assert!(f.contains("select(((al * syn) + x), x, al == bitcast<f32>(0u))"), "{f}");
        assert!(f.contains("syn = c;"), "{f}");
        let b = t.backward(Order::FireThenIntegrate, "sg", "gz", "gv", "z", None).join("\n");
        assert!(b.contains("gu = (al * gi);") && b.contains("(bt * g0)"), "{b}");
    }

    #[test]
    fn an_integrator_passes_its_output_gradient_to_the_potential() {
        let p = IafParams { family: Family::LI, ..lif(vec![0.0], vec![0.9]) };
        let t = CellText::new(Dialect::CudaF32, &p);
        assert!(t.integrator());
        let b = t
            .backward(Order::IntegrateThenFire, "sg", "gzv", "g", "zf", Some(("last", "gh")))
            .join("\n");
        assert!(b.contains("const float g0 = (g + gzv);"), "{b}");
        assert!(!b.contains("sg(s)"), "{b}");
        assert!(b.contains("(last ? (back0 + gh) : back0)"), "{b}");
    }
}
