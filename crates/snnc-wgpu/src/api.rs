//! The one-call entry points, mirroring `snnc_cpu::run` and `snnc_cpu::grad`.

use snnc_ir::Tensor;
use snnc_plan::Plan;

/// Runs `plan`'s inference program on `inputs` on the shared device; outputs in graph order.
pub fn run(
    plan: &Plan,
    inputs: &[(String, Tensor)],
) -> Result<Vec<(String, Tensor)>, crate::WgpuError> {
    crate::Engine::new(plan)?.run(inputs)
}

/// Runs `plan`'s training program and returns the gradients `wrt` asks for (float graph inputs,
/// then float initializers, keyed by name); `grad_outputs` are the upstream gradients of the
/// outputs (missing ones are zero).
pub fn grad(
    plan: &Plan,
    inputs: &[(String, Tensor)],
    grad_outputs: &[(String, Tensor)],
    wrt: snnc_plan::Wrt,
) -> Result<Vec<(String, Tensor)>, crate::WgpuError> {
    Ok(crate::Engine::new(plan)?.grad(inputs, grad_outputs, wrt)?.grads)
}
