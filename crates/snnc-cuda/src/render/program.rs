//! Rendering a whole program: the prelude, then every step's kernels in step order.

use snnc_plan::{BufLoc, Kernel, Plan, Program, SpikeSrc};

use super::prelude::prelude;
use super::source::{Launch, Out, ProgramSource, Source, StepCode};
use super::{conv, ew, ew_grad, fused, iaf, linear, pool, recurrent, shape};
use crate::CudaError;

/// Renders both programs of `plan` (`infer.cu` and `train.cu`).
pub fn render(plan: &Plan) -> Result<Source, CudaError> {
    Ok(Source {
        infer: render_program(plan, plan.infer(), "infer")?,
        train: render_program(plan, plan.train(), "train")?,
    })
}

/// Renders one program of `plan` as a module named `name`.
pub fn render_program(plan: &Plan, prog: &Program, name: &str) -> Result<ProgramSource, CudaError> {
    let mut code = prelude(name, plan.name());
    let mut steps = Vec::with_capacity(prog.steps.len());
    let is_input = |b: snnc_plan::BufId| {
        prog.bufs.get(b.0 as usize).is_some_and(|x| matches!(x.loc, BufLoc::Input(_)))
    };
    let len = |b: snnc_plan::BufId| prog.bufs.get(b.0 as usize).map(|x| x.len);
    for (i, step) in prog.steps.iter().enumerate() {
        let mut out = Out { code: &mut code, step: i };
        let (launches, dense) = render_step(&mut out, &step.kernel, is_input, &len)?;
        steps.push(StepCode { step: i, launches, dense });
    }
    Ok(ProgramSource { name: name.to_string(), code, steps })
}

/// A step's launches, and the dense alternative of a spike-linear step on a graph input.
pub(super) type Rendered = (Vec<Launch>, Option<(snnc_plan::BufId, Vec<Launch>)>);

fn render_step(
    out: &mut Out<'_>,
    k: &Kernel,
    is_input: impl Fn(snnc_plan::BufId) -> bool,
    len: &dyn Fn(snnc_plan::BufId) -> Option<usize>,
) -> Result<Rendered, CudaError> {
    let only = |l: Vec<Launch>| Ok((l, None));
    match k {
        Kernel::Mm(k) => only(linear::mm(out, k)?),
        Kernel::Bias(k) => only(linear::bias(out, k)?),
        Kernel::Linear(k) if k.event.is_some() => {
            let event = linear::linear_event(out, k)?;
            if is_input(k.x) {
                let dense = linear::linear_dense(out, k)?;
                Ok((event, Some((k.x, dense))))
            } else {
                Ok((event, None))
            }
        }
        Kernel::Linear(k) => only(linear::linear_dense(out, k)?),
        Kernel::LinearIaf(k) => fused::linear_iaf(out, k, is_input),
        Kernel::SpikeDw(k) => {
            let event = linear::spike_dw_event(out, k)?;
            match k.x {
                SpikeSrc::Dense(x) if is_input(x) => {
                    let dense = linear::spike_dw_dense(out, k, x)?;
                    Ok((event, Some((x, dense))))
                }
                _ => Ok((event, None)),
            }
        }
        Kernel::SumRows(k) => only(linear::sum_rows(out, k)?),
        Kernel::Iaf(k) => only(iaf::iaf(out, k)?),
        Kernel::IafBack(k) => only(iaf::iaf_back(out, k)?),
        Kernel::Reset(k) => only(iaf::reset(out, k)?),
        Kernel::PackBits(k) => only(iaf::pack(out, k)?),
        Kernel::Recurrent(k) => only(recurrent::recurrent(out, k)?),
        Kernel::RecurrentBack(k) => only(recurrent::recurrent_back(out, k)?),
        Kernel::Ew(k) => only(ew::ew(out, k)?),
        Kernel::EwGrad(k) => only(ew_grad::ew_grad(out, k)?),
        Kernel::Gather(k) => only(shape::gather(out, k)?),
        Kernel::GatherBack(k) => only(shape::gather_back(out, k)?),
        Kernel::Concat(k) => only(shape::concat(out, k)?),
        Kernel::Slice(k) => only(shape::slice(out, k)?),
        Kernel::Unslice(k) => only(shape::unslice(out, k)?),
        Kernel::Transpose(k) => only(shape::transpose(out, k)?),
        Kernel::AddInto(k) => only(shape::add_into(out, k)?),
        Kernel::Conv(k) => only(conv::conv(out, k, len)?),
        Kernel::ConvDx(k) => only(conv::conv_dx(out, k, len)?),
        Kernel::ConvDw(k) => only(conv::conv_dw(out, k, len)?),
        Kernel::Pool(k) => only(pool::pool(out, k, len)?),
        Kernel::PoolBack(k) => only(pool::pool_back(out, k, len)?),
    }
}
