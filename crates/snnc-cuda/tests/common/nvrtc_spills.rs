//! Compiling CUDA modules with NVRTC for sm_80 and sm_90 and checking that chosen kernels
//! neither spill registers nor use a stack frame (for the NVRTC tests only).

#![allow(dead_code)]

use snnc_cuda::nvrtc::{compile, spills, Output};
use snnc_cuda::{render, ProgramSource};
use snnc_ir::Order;
use snnc_plan::Plan;

const ARCHS: [u32; 2] = [80, 90];

/// Compiles both programs of `order`'s `plan` for every architecture: the failures, and the
/// neuron kernels compiled.
pub fn compile_order(order: Order, plan: &Plan) -> (Vec<String>, usize) {
    let src = render(plan).unwrap_or_else(|e| panic!("{}: {e}", order.name()));
    let (mut fails, mut neurons) = (Vec::new(), 0);
    for prog in [&src.infer, &src.train] {
        let (f, n) = compile_module(order.name(), prog, |k| k.contains("_iaf"));
        fails.extend(f);
        neurons += n;
    }
    (fails, neurons)
}

/// Compiles `prog` for every architecture and checks the kernels `checked` selects: each must
/// have a `ptxas` report with no spill and no stack frame. The failures, and the kernels
/// checked (counted once per architecture).
pub fn compile_module(
    label: &str,
    prog: &ProgramSource,
    checked: impl Fn(&str) -> bool,
) -> (Vec<String>, usize) {
    let (mut fails, mut count) = (Vec::new(), 0);
    for arch in ARCHS {
        let label = format!("{label} {}.cu sm_{arch}", prog.name);
        let c = match compile(&prog.code, &format!("{}.cu", prog.name), arch, Output::Cubin) {
            Ok(c) => c,
            Err(e) => {
                fails.push(format!("{label}: {e}"));
                continue;
            }
        };
        let report = spills(&c.log);
        for k in prog.kernels().into_iter().filter(|k| checked(k)) {
            count += 1;
            match report.iter().find(|s| s.kernel == k) {
                None => fails.push(format!("{label}: no ptxas report for {k}")),
                Some(s) if s.stores > 0 || s.loads > 0 || s.stack > 0 => {
                    fails.push(format!("{label}: {k} spills: {s:?}"))
                }
                Some(_) => {}
            }
        }
    }
    (fails, count)
}
