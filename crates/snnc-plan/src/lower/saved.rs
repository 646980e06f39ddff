//! Pass 2, `plan-saved-tensors` (training only): what the forward pass keeps for the backward
//! pass beyond the values the gradient rules read directly. Integrate-and-fire layers save
//! their pre-reset potentials (and recurrent layers their spikes, bit-packed, for the
//! event-driven dR); a spike-linear layer whose input is computed packs that input to bits,
//! so that its f32 spikes can be freed and dW is event-driven.

use crate::kernel_iaf::PackK;
use crate::lower::ctx::{Lower, Spec};
use crate::{Kernel, PlanError, SpikeSrc, Step, NEED_ALWAYS};

/// Runs the pass.
pub(crate) fn run(l: &mut Lower) -> Result<(), PlanError> {
    let g = l.g;
    let steps = std::mem::take(&mut l.steps);
    for step in steps {
        let ni = step.node as usize;
        let node = &g.nodes()[ni];
        let differentiable = node.inputs.iter().flatten().any(|v| l.dep[v.0] != 0);
        let mut kernel = step.kernel;
        let mut pack = None;
        match &mut kernel {
            Kernel::Iaf(k) if differentiable => {
                let v_pre = l.arena(k.t * k.b * k.n);
                k.v_pre = Some(v_pre);
                l.nodes[ni].v_pre = Some(v_pre);
            }
            Kernel::Recurrent(k) if differentiable => {
                let len = k.t * k.b * k.h;
                let v_pre = l.arena(len);
                let bits = l.buf(Spec::Bits { rows: k.t * k.b, cols: k.h }, len);
                (k.v_pre, k.z_bits) = (Some(v_pre), Some(bits));
                (l.nodes[ni].v_pre, l.nodes[ni].z_bits) = (Some(v_pre), Some(bits));
            }
            Kernel::Linear(k) if k.event.is_some() => {
                let w = node.input(1).map_or(0, |w| l.dep[w.0]);
                let stored = l.is_input(k.x) || l.const_index(k.x).is_some();
                if w != 0 && !stored {
                    let dst = l.buf(Spec::Bits { rows: k.rows, cols: k.k }, k.rows * k.k);
                    pack = Some(PackK { src: k.x, rows: k.rows, cols: k.k, dst });
                    l.nodes[ni].x_bits = Some(dst);
                }
            }
            _ => {}
        }
        l.steps.push(Step { kernel, ..step });
        if let Some(p) = pack {
            l.steps.push(Step { node: ni as u32, need: NEED_ALWAYS, kernel: Kernel::PackBits(p) });
        }
    }
    l.forward_len = l.steps.len();
    Ok(())
}

/// Where the backward pass finds a spike-linear layer's input spikes: the bits this pass
/// saved, or the graph input itself.
pub(crate) fn spike_source(l: &Lower, ni: usize, x: crate::BufId) -> Option<SpikeSrc> {
    match l.nodes[ni].x_bits {
        Some(b) => Some(SpikeSrc::Bits(b)),
        None if l.is_input(x) || l.const_index(x).is_some() => Some(SpikeSrc::Dense(x)),
        None => None,
    }
}
