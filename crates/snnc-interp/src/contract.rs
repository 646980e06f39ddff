//! SPEC §5 for one run of an engine against the reference, as a whole: which outputs and
//! elements must agree, which gradients must exist and when they are compared. `snnc check`,
//! the CLI tests and the generated-network property test all judge an engine with this.

use std::collections::BTreeSet;

use snnc_ir::{Graph, Tensor};

use crate::matches::{compare_grad, compare_output_except};
use crate::near::{excused, Excused};
use crate::InterpError;

/// What SPEC §5 asks of an engine on one input, computed from the reference graph.
#[derive(Debug, Clone)]
pub struct Contract {
    excused: Excused,
    required: BTreeSet<String>,
}

/// The gradients an engine must return for `g` (SPEC §5 compares "every gradient"): every
/// float graph input and every float initializer holding more than one element. A scalar
/// initializer (a threshold, the exporters' shared 1.0 and 0.0) may be absorbed into an op
/// attribute by the optimizer, and then the engine has no value to differentiate.
pub fn required_gradients(g: &Graph) -> BTreeSet<String> {
    let inputs = g.inputs().iter().copied().filter(|&id| g.ty(id).dtype.is_float());
    let weights = g
        .initializers()
        .iter()
        .filter(|(&id, t)| g.ty(id).dtype.is_float() && t.shape().iter().product::<usize>() > 1)
        .map(|(&id, _)| id);
    inputs.chain(weights).map(|id| g.value(id).name.clone()).collect()
}

impl Contract {
    /// The contract of reference graph `g` on `inputs`: runs the reference once to find the
    /// output elements that depend on a decision within the tolerance ([`excused`]).
    pub fn new(g: &Graph, inputs: &[(String, Tensor)]) -> Result<Self, InterpError> {
        Ok(Contract { excused: excused(g, inputs)?, required: required_gradients(g) })
    }

    /// The excused output elements and the count of undecided decisions.
    pub fn excused(&self) -> &Excused {
        &self.excused
    }

    /// Whether an engine must return the gradient of `name` ([`required_gradients`]).
    pub fn requires_gradient(&self, name: &str) -> bool {
        self.required.contains(name)
    }

    /// Whether gradients are compared: SPEC §5 defines their agreement "with spikes unflipped",
    /// and only when no reference decision is within the tolerance is every spike, inside the
    /// graph as well as at its outputs, certain not to flip.
    pub fn gradients_compared(&self) -> bool {
        self.excused.none()
    }

    /// Output `name` of an engine (`got`) against the reference's (`want`): exact for a spike
    /// tensor (`spikes`), 1e-5 relative otherwise, except at the excused elements, which are
    /// not compared (a flipped spike upstream moves potentials by up to a threshold).
    pub fn compare_output(
        &self,
        name: &str,
        got: &Tensor,
        want: &Tensor,
        spikes: bool,
    ) -> Result<(), String> {
        compare_output_except(name, got, want, spikes, self.excused.mask(name))
    }

    /// Every reference output in `want` against the same-named one of `got`
    /// ([`Contract::compare_output`]; `spikes` tells the spike tensors); one message per
    /// mismatch or missing output.
    pub fn compare_outputs(
        &self,
        got: &[(String, Tensor)],
        want: &[(String, Tensor)],
        spikes: impl Fn(&str, &Tensor) -> bool,
    ) -> Vec<String> {
        let mut bad = Vec::new();
        for (name, w) in want {
            match got.iter().find(|(n, _)| n == name) {
                Some((_, g)) => bad.extend(self.compare_output(name, g, w, spikes(name, w)).err()),
                None => bad.push(format!("output '{name}' is missing")),
            }
        }
        bad
    }

    /// Every reference gradient in `want` against the same-named one of `got`: a required one
    /// ([`Contract::requires_gradient`]) that `got` lacks is a mismatch; the rest are compared
    /// to 1e-4 relative when [`Contract::gradients_compared`]. One message per mismatch.
    pub fn compare_gradients(
        &self,
        got: &[(String, Tensor)],
        want: &[(String, Tensor)],
    ) -> Vec<String> {
        let mut bad = Vec::new();
        for (name, w) in want {
            match got.iter().find(|(n, _)| n == name) {
                Some((_, g)) if self.gradients_compared() => {
                    bad.extend(compare_grad(name, g, w).err())
                }
                Some(_) => {}
                None if self.requires_gradient(name) => {
                    bad.push(format!("gradient '{name}' is missing"))
                }
                None => {}
            }
        }
        bad
    }
}
