//! The neuron step that the integrate-and-fire kernels (feed-forward and recurrent, forward
//! and reverse) print: the IF cell's (SPEC §1, §1.1; [`snnc_ir::neuron`] printed by
//! [`StepText`]) or, for any other cell, the leaky cell's (SPEC §1.2; [`CellText`]), whose
//! special case it is. The kernels are the same for both; only the step, the parameters it
//! reads and the state it carries (the synaptic current `syn`, its gradient `gu`) differ, and
//! they are empty for the IF cell, whose source is what it always was.

use snnc_ir::{Dialect, IafParams, Order, StepText};
use snnc_plan::CellText;

use super::source::{param_table, Out};

/// The step of one IAF kernel's cell.
pub(crate) struct Cell<'p> {
    p: &'p IafParams,
    text: CellText,
    backward: bool,
}

impl<'p> Cell<'p> {
    /// The cell of `p` for a forward (`backward = false`) or reverse-time kernel.
    pub(crate) fn new(p: &'p IafParams, backward: bool) -> Self {
        Cell { p, text: CellText::new(Dialect::CudaF32, p), backward }
    }

    /// Whether the cell is not the IF cell ([`CellText::leaky`]).
    pub(crate) fn leaky(&self) -> bool {
        self.text.leaky()
    }

    /// Whether it carries a synaptic current.
    pub(crate) fn current(&self) -> bool {
        self.text.has_current()
    }

    /// Whether V_T is v̂ of the last step.
    pub(crate) fn before(&self) -> bool {
        self.text.before_reset()
    }

    /// Whether it is a leaky integrator (its output is the potential).
    pub(crate) fn integrator(&self) -> bool {
        self.text.integrator()
    }

    /// The leak parameters the step reads as `const float` declarations of neuron `index`
    /// (tables for per-neuron values, pushed to the module; `guard`: the condition of a live
    /// neuron, else 0), each line indented by `indent`; "" for the IF cell.
    pub(crate) fn decls(
        &self,
        out: &mut Out<'_>,
        index: &str,
        guard: Option<&str>,
        indent: &str,
    ) -> String {
        let mut s = String::new();
        for (name, v) in self.text.params(self.p, self.backward) {
            let what = match name {
                "al" => "alpha_syn",
                "bt" => "beta",
                "gm" => "gamma",
                "rd" => "reset_amount",
                _ => "v_leak",
            };
            let (table, val) = param_table(out, what, v, index);
            out.code.push_str(&table);
            let val = match guard {
                Some(g) => format!("{g} ? {val} : 0.0f"),
                None => val,
            };
            s.push_str(&format!("{indent}const float {name} = {val};\n"));
        }
        s
    }

    /// The variable holding the step's per-step output: the spike(s) `spike`, or the potential
    /// `v` of a leaky integrator.
    pub(crate) fn out<'a>(&self, spike: &'a str) -> &'a str {
        if self.integrator() {
            "v"
        } else {
            spike
        }
    }

    /// One forward step in `order` as CUDA C: from `v` and the current `xv` (and `syn`, the
    /// leak parameters, for a leaky cell), sets `u` (pre-reset), `s` (`u − th`), the spike(s)
    /// `zf` and the new `v` (and `syn`), with the CPU kernel's roundings.
    pub(crate) fn step(&self, order: Order, zf: &str, indent: &str) -> String {
        if self.leaky() {
            return lines(&self.text.forward(order, "xv", zf), indent);
        }
        let t = StepText::new(Dialect::CudaF32, self.p.family, "zf");
        let (u, v) = match order {
            Order::FireThenIntegrate => ("v".to_string(), format!("{} + xv", t.reset)),
            Order::IntegrateThenFire => ("v + xv".to_string(), t.reset),
        };
        format!(
            "{indent}const float u = {u};\n\
             {indent}const float s = u - th;\n\
             {indent}const float zf = {spike};\n\
             {indent}v = {v};\n",
            spike = t.spike,
        )
        .replace("zf", zf)
    }

    /// One reverse step in `order` as CUDA C: from `u` (pre-reset), `gzv`, `g` (∂L/∂v_t) and
    /// for a cell with a current `gu`, sets `gi` (the input current's gradient) and `back`
    /// (∂L/∂v_{t−1}) (and `gu`): the spike(s) are recomputed from `u`, and
    /// `back = g·∂reset/∂u + (gzv + g·∂reset/∂z)·σ'(s)` (σ' is `sg`), in the CPU kernel's order.
    /// `gh`: the condition of the last step and V_T's gradient, for a V_T reported before the
    /// reset.
    pub(crate) fn back(
        &self,
        order: Order,
        sg: &str,
        gh: Option<(&str, &str)>,
        indent: &str,
    ) -> String {
        if self.leaky() {
            return lines(&self.text.backward(order, sg, "gzv", "g", "zf", gh), indent);
        }
        let t = StepText::new(Dialect::CudaF32, self.p.family, "zf");
        let gi = match order {
            Order::FireThenIntegrate => "g",
            Order::IntegrateThenFire => "back",
        };
        format!(
            "{indent}const float s = u - th;\n\
             {indent}const float zf = {spike};\n\
             {indent}const float gzz = gzv + g * {dz};\n\
             {indent}const float back = g * {du} + gzz * {sg}(s);\n\
             {indent}const float gi = {gi};\n",
            spike = t.spike,
            dz = t.dz,
            du = t.du,
        )
    }
}

/// Statements, one a line, each indented by `indent`.
fn lines(stmts: &[String], indent: &str) -> String {
    stmts.iter().map(|s| format!("{indent}{s}\n")).collect()
}
