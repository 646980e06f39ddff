//! The neuron step that the integrate-and-fire kernels (feed-forward and recurrent, forward
//! and reverse) print: the IF cell's (SPEC §1, §1.1; [`snnc_ir::neuron`] printed by
//! [`StepText`]) or, for any other cell, the leaky cell's (SPEC §1.2; [`CellText`]), whose
//! special case it is. The kernels are the same for both; only the step, the parameters it
//! reads and the state it carries (the synaptic current `syn`, its gradient `gu`) differ, and
//! they are empty for the IF cell, whose source is what it always was.

use std::fmt::Write;

use snnc_ir::{Dialect, IafParams, Order, StepText};
use snnc_plan::CellText;

use crate::wgsl::common::f;

/// `fn {name}(j: u32) -> f32`: the value of neuron `j` of a scalar-or-per-neuron parameter.
pub(crate) fn param_fn(s: &mut String, name: &str, v: &[f32]) {
    if v.len() == 1 {
        let _ = writeln!(s, "fn {name}(j: u32) -> f32 {{ return {}; }}", f(v[0]));
    } else {
        let items: Vec<String> = v.iter().map(|&x| f(x)).collect();
        let len = v.len();
        let _ = writeln!(
            s,
            "fn {name}(j: u32) -> f32 {{ var v = array<f32, {len}>({}); return v[j]; }}",
            items.join(", ")
        );
    }
}

/// `fn th_at(j) -> f32` and `fn rs_at(j) -> f32`: threshold and reset of neuron `j`.
pub fn params_fns(p: &IafParams, n: usize) -> Result<String, String> {
    p.check(n).map_err(|e| format!("{e} (invalid plan)"))?;
    let mut s = String::new();
    for (name, v) in [("th_at", &p.v_th), ("rs_at", &p.v_reset)] {
        param_fn(&mut s, name, v);
    }
    Ok(s)
}

/// The step of one IAF kernel's cell.
pub struct Cell<'p> {
    p: &'p IafParams,
    text: CellText,
    backward: bool,
}

impl<'p> Cell<'p> {
    /// The cell of `p` for a forward (`backward = false`) or reverse-time kernel.
    pub fn new(p: &'p IafParams, backward: bool) -> Self {
        Cell { p, text: CellText::new(Dialect::Wgsl, p), backward }
    }

    /// Whether the cell is not the IF cell ([`CellText::leaky`]).
    pub fn leaky(&self) -> bool {
        self.text.leaky()
    }

    /// Whether this is the cell of a reverse-time kernel.
    pub fn backward(&self) -> bool {
        self.backward
    }

    /// Whether it carries a synaptic current.
    pub fn current(&self) -> bool {
        self.text.has_current()
    }

    /// Whether V_T is v̂ of the last step.
    pub fn before(&self) -> bool {
        self.text.before_reset()
    }

    /// Whether it is a leaky integrator (its output is the potential).
    pub fn integrator(&self) -> bool {
        self.text.integrator()
    }

    /// The module's parameter functions for `n` neurons: [`params_fns`], and `al_at`,
    /// `bt_at`, `gm_at`, `vl_at` for the leak parameters the step reads.
    pub fn fns(&self, n: usize) -> Result<String, String> {
        let mut s = params_fns(self.p, n)?;
        for (name, v) in self.text.params(self.p, self.backward) {
            param_fn(&mut s, &format!("{name}_at"), v);
        }
        Ok(s)
    }

    /// `let al = al_at(j); …` for the leak parameters the step reads ("" for the IF cell).
    pub fn lets(&self) -> String {
        let mut s = String::new();
        for (name, _) in self.text.params(self.p, self.backward) {
            let _ = write!(s, " let {name} = {name}_at(j);");
        }
        s
    }

    /// The variable holding the step's per-step output: the spike(s) `z`, or the potential `v`
    /// of a leaky integrator.
    pub fn out(&self) -> &'static str {
        if self.integrator() {
            "v"
        } else {
            "z"
        }
    }

    /// One forward step in `order` as WGSL statements on `v` (potential), `x` (current), `th`,
    /// `r` (and `syn` and the leak parameters for a leaky cell): defines `u` (pre-reset
    /// potential), `s` (`u − th`) and `z` (the spike(s)), and assigns `v`. The IF cell's
    /// formulas are [`snnc_ir::neuron`]'s, printed by [`StepText`].
    pub fn update(&self, order: Order) -> String {
        if self.leaky() {
            return self.text.forward(order, "x", "z").join(" ");
        }
        let t = StepText::new(Dialect::Wgsl, self.p.family, "z");
        let (u, v) = match order {
            Order::FireThenIntegrate => ("v".to_string(), format!("{} + x", t.reset)),
            Order::IntegrateThenFire => ("v + x".to_string(), t.reset),
        };
        format!("let u = {u}; let s = u - th; let z = {}; v = {v};", t.spike)
    }

    /// One reverse step in `order` as WGSL statements: from `u` (pre-reset potential), `gz`,
    /// `gv` (∂L/∂v_t) and for a cell with a current `gu`, sets `gi` (gradient of the step's
    /// current) and replaces `gv` by ∂L/∂v_{t−1} (and `gu`): the spike(s) are recomputed from
    /// `u`, and `back = g·∂reset/∂u + (gz + g·∂reset/∂z)·σ'(s)` (σ' is `sg`), in the CPU
    /// kernel's order. `gh`: the condition of the last step and V_T's gradient, for a V_T
    /// reported before the reset.
    pub fn back(&self, order: Order, gh: Option<(&str, &str)>) -> String {
        if self.leaky() {
            let mut s = self.text.backward(order, "sg", "gz", "gv", "z", gh).join(" ");
            s.push_str(" gv = back;");
            return s;
        }
        let t = StepText::new(Dialect::Wgsl, self.p.family, "z");
        let gi = match order {
            Order::FireThenIntegrate => "g",
            Order::IntegrateThenFire => "back",
        };
        format!(
            "let s = u - th; let z = {spike}; let g = gv;
    let gzz = gz + g * {dz}; let back = g * {du} + gzz * sg(s); let gi = {gi}; gv = back;",
            spike = t.spike,
            dz = t.dz,
            du = t.du,
        )
    }
}
