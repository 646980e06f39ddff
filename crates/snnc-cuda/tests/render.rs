//! The renderer's text: every plan renders, deterministically; every launch names a kernel
//! defined once in its module with as many parameters as arguments; launch configurations.

mod common;

use std::collections::BTreeSet;

use common::*;
use snnc_cuda::{render, Arg, ProgramSource};
use snnc_plan::{Kernel, Plan};

/// The parameter count of kernel `name` in `code`.
fn params(code: &str, name: &str) -> usize {
    let head = format!(" {name}(");
    let at = code.find(&head).unwrap_or_else(|| panic!("{name} is not defined"));
    let rest = &code[at + head.len()..];
    let sig = &rest[..rest.find(')').expect("closing parenthesis")];
    if sig.trim().is_empty() {
        0
    } else {
        sig.split(',').count()
    }
}

fn check_module(label: &str, p: &ProgramSource, plan_steps: usize) {
    assert_eq!(p.steps.len(), plan_steps, "{label}: one entry per step");
    for (i, s) in p.steps.iter().enumerate() {
        assert_eq!(s.step, i);
        let alt = s.dense.iter().flat_map(|d| &d.1);
        for l in s.launches.iter().chain(alt) {
            let def = format!(") {}(", l.kernel);
            assert_eq!(p.code.matches(&def).count(), 1, "{label}: {} defined once", l.kernel);
            assert_eq!(params(&p.code, &l.kernel), l.args.len(), "{label}: {}", l.kernel);
            assert!(l.kernel.starts_with(&format!("snnc_s{i:04}_")), "{label}: {}", l.kernel);
            let threads = l.block.iter().product::<u32>();
            assert!((1..=1024).contains(&threads), "{label}: {} threads", threads);
            assert!(
                p.code.contains(&format!("__launch_bounds__({threads}) {}(", l.kernel)),
                "{label}: {} is bounded by its launch's {threads} threads",
                l.kernel
            );
            assert!(l.grid.iter().all(|&g| g >= 1) && l.grid[1] <= 65535 && l.grid[2] <= 65535);
            assert!(l.shared_bytes <= 48 * 1024);
            for g in &l.gemm {
                assert!(matches!(g.c, Arg::Buf(_)));
            }
        }
    }
}

#[test]
fn every_plan_renders_deterministically() {
    for (label, plan) in all_plans() {
        let a = render(&plan).unwrap_or_else(|e| panic!("{label}: {e}"));
        let b = render(&plan.clone()).unwrap();
        assert_eq!(a, b, "{label}: rendering is a pure function of the plan");
        check_module(&label, &a.infer, plan.infer().steps.len());
        check_module(&label, &a.train, plan.train().steps.len());
        assert!(a.infer.code.starts_with("// snnc: infer program"));
        assert!(a.train.code.contains("typedef long long i64;"));
    }
}

/// The source of kernel `name` in `code`, from its name to its closing brace.
fn kernel_body<'c>(code: &'c str, name: &str) -> &'c str {
    let start = code.find(&format!(" {name}(")).unwrap_or_else(|| panic!("no kernel {name}"));
    let body = &code[start..];
    &body[..body.find("\n}\n").expect("the kernel ends")]
}

fn kinds(plan: &Plan) -> BTreeSet<&'static str> {
    plan.infer().steps.iter().chain(&plan.train().steps).map(|s| s.kernel.name()).collect()
}

#[test]
fn iaf_kernel_is_one_thread_per_neuron_with_the_time_loop_inside() {
    let plans = fixture_plans("ff_t8");
    let (label, plan) = &plans[1];
    let src = render(plan).unwrap();
    let mut seen = false;
    for (i, step) in plan.train().steps.iter().enumerate() {
        // A fused linear + IAF step launches its linear part, then its IAF part.
        let (k, l) = match &step.kernel {
            Kernel::Iaf(k) => (k, &src.train.steps[i].launches[0]),
            Kernel::LinearIaf(f) => (&f.iaf, &src.train.steps[i].launches[1]),
            _ => continue,
        };
        seen = true;
        assert_eq!(l.block, [128, 1, 1], "{label}");
        assert_eq!(l.grid, [k.n.div_ceil(128) as u32, k.b as u32, 1], "{label}");
        let body = kernel_body(&src.train.code, &l.kernel);
        assert!(body.contains(&format!("for (i64 t0 = 0; t0 < {}LL; t0 += 8)", k.t)), "{body}");
        // The next 8 steps' inputs are loaded before the current 8 are computed.
        assert!(body.contains("xn[j] = (live && tn <"), "{body}");
        assert_eq!(
            body.contains("__ballot_sync"),
            k.z_bits.is_some(),
            "bit-packed spikes:\n{body}"
        );
        assert!(body.contains("v_pre[off] = u;"), "{body}");
    }
    assert!(seen, "{label} has a fused IAF layer");
}

/// A fused linear + IAF step of the plan launches the event-driven linear kernel, then the IAF
/// kernel on its currents; on a graph input, the dense alternative is the dense linear part
/// then the same IAF launch.
#[test]
fn a_fused_linear_iaf_step_launches_its_two_parts_in_order() {
    let plans = fixture_plans("ff_t8");
    let (label, plan) = &plans[1];
    let src = render(plan).unwrap();
    let mut seen = 0;
    for (i, step) in plan.infer().steps.iter().enumerate() {
        let Kernel::LinearIaf(k) = &step.kernel else { continue };
        seen += 1;
        let code = &src.infer.steps[i];
        let names: Vec<&str> = code.launches.iter().map(|l| l.kernel.as_str()).collect();
        let want = [format!("snnc_s{i:04}_spike_linear"), format!("snnc_s{i:04}_iaf")];
        assert_eq!(names, want, "{label}");
        let iaf = kernel_body(&src.infer.code, &want[1]);
        assert!(iaf.contains(&format!("for (i64 t0 = 0; t0 < {}LL; t0 += 8)", k.iaf.t)), "{iaf}");
        match &code.dense {
            Some((x, dense)) => {
                assert_eq!(*x, k.linear.x, "{label}");
                assert_eq!(dense.last(), code.launches.last(), "{label}");
            }
            None => assert!(i > 0, "{label}: the first layer reads the graph input"),
        }
    }
    assert_eq!(seen, 2, "{label}: both layers are fused");
}

#[test]
fn backward_iaf_runs_time_in_reverse() {
    let plans = fixture_plans("ff_t8");
    let src = render(&plans[1].1).unwrap();
    let code = &src.train.code;
    assert!(code.contains("for (i64 t0 = 8LL - 1; t0 >= 0; t0 -= 8)"), "{code}");
    assert!(code.contains("const i64 t = t0 - j;"), "{code}");
    assert!(!src.infer.code.contains("iaf_back"), "inference has no backward kernels");
}

#[test]
fn constants_are_exact() {
    let plans = fixture_plans("custom_iaf_itf_perneuron");
    let src = render(&plans[1].1).unwrap();
    assert!(src.infer.code.contains("__device__ const u32 snnc_s"), "per-neuron tables");
    assert!(src.infer.code.contains("__uint_as_float("));
}

#[test]
fn fixtures_cover_every_forward_kernel_family() {
    let mut all = BTreeSet::new();
    for (_, plan) in all_plans() {
        all.extend(kinds(&plan));
    }
    let kinds = ["iaf", "linear-event+iaf", "iaf-back", "iaf-recurrent", "iaf-recurrent-back"];
    for k in kinds.into_iter().chain(["elementwise", "mm"]) {
        assert!(all.contains(k), "no plan uses {k}: {all:?}");
    }
}

/// The bias gradient sums 32 columns per block of 1024 threads, every 32nd row per warp, and
/// adds the warps' sums in a fixed order (no atomics).
#[test]
fn bias_gradient_is_a_fixed_order_block_reduction() {
    let plans = fixture_plans("ff_t8");
    let (label, plan) = &plans[1];
    let src = render(plan).unwrap();
    let mut seen = false;
    for (i, step) in plan.train().steps.iter().enumerate() {
        let Kernel::SumRows(k) = &step.kernel else { continue };
        seen = true;
        let l = &src.train.steps[i].launches[0];
        assert_eq!(l.block, [1024, 1, 1], "{label}");
        assert_eq!(l.grid, [k.cols.div_ceil(32) as u32, 1, 1], "{label}");
        let body = kernel_body(&src.train.code, &l.kernel);
        assert!(body.contains("r += 32)"), "{body}");
        assert!(body.contains("for (int l = 1; l < 32; ++l) acc += part[l][col];"), "{body}");
        assert!(!body.contains("atomic"), "{body}");
    }
    assert!(seen, "{label} has a bias gradient");
}

/// Every family member renders (both orders, both programs, launches consistent with their
/// kernels), and each member's own formulas reach the module: the spike test of `ge`, the
/// truncated quotient of spike counts, the subtracting reset, and the detached reset's zero
/// partial (`snnc_ir::neuron` printed by `StepText`).
#[test]
fn every_family_member_renders_its_own_step() {
    use snnc_ir::Order;
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let plan = family::family_plan(order);
        let fused = plan.infer().steps.iter().any(|s| matches!(s.kernel, Kernel::LinearIaf(_)));
        assert!(fused, "{}: every member's Linear + IAF is one fused step", order.name());
        let src = render(&plan).unwrap_or_else(|e| panic!("{}: {e}", order.name()));
        check_module(order.name(), &src.infer, plan.infer().steps.len());
        check_module(order.name(), &src.train, plan.train().steps.len());
        let needles =
            ["(s >= 0.0f ? 1.0f : 0.0f)", "truncf((u / th))", "(u - (zf * th))", "g * 0.0f"];
        for needle in needles {
            assert!(src.train.code.contains(needle), "{}: no '{needle}'", order.name());
        }
    }
}

/// The text of kernel `name` in `code`: from its name to the end of its body.
fn kernel_text<'a>(code: &'a str, name: &str) -> &'a str {
    let at = code.find(&format!(" {name}(")).unwrap_or_else(|| panic!("{name} is not defined"));
    let rest = &code[at..];
    &rest[..rest.find("\n}").expect("end of the kernel")]
}

/// The leaky cell's terms (SPEC §1.2) are in an IAF kernel's source only when its cell needs
/// them: the synaptic current (`syn`, `al`, `gu`) with some α ≠ 0, the leak (`bt`, `gm`, and
/// `vl` forward) with some β or γ ≠ 1, per-neuron tables for per-neuron parameters, the
/// potential as the output of a leaky integrator, V̂_T for `v_out = before_reset`; the IF
/// cell's kernels print none of them (their source is what it was before the leaky cell).
#[test]
fn leak_terms_only_where_needed() {
    use snnc_ir::Order;
    let leak_words =
        ["float syn", "const float al", "const float bt", "const float gm", "vl", "float gu", "g0"];
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let src = render(&family::family_plan(order)).unwrap();
        for p in [&src.infer, &src.train] {
            for k in p.kernels().into_iter().filter(|k| k.contains("_iaf")) {
                let text = kernel_text(&p.code, k);
                for w in leak_words {
                    assert!(!text.contains(w), "IF kernel {k} has '{w}':\n{text}");
                }
            }
        }
        let plan = leaky::leaky_plan(order);
        let src = render(&plan).unwrap();
        for (prog, code) in [(plan.infer(), &src.infer), (plan.train(), &src.train)] {
            check_module(order.name(), code, prog.steps.len());
            for (step, sc) in prog.steps.iter().zip(&code.steps) {
                let Some(p) = step.kernel.iaf_params() else { continue };
                let back = matches!(step.kernel, Kernel::IafBack(_) | Kernel::RecurrentBack(_));
                let l = &p.leak;
                let leak = !l.is_integrating();
                let k = sc.launches.iter().find(|l| l.kernel.contains("_iaf")).unwrap();
                let text = kernel_text(&code.code, &k.kernel);
                let label = format!("{} {}", order.name(), k.kernel);
                let has = |w: &str| text.contains(w);
                assert_eq!(
                    has("float syn") || has("float gu"),
                    l.has_current(),
                    "{label}:\n{text}"
                );
                assert_eq!(has("const float bt"), leak, "{label}:\n{text}");
                assert_eq!(has("const float vl"), leak && !back, "{label}:\n{text}");
                let table = format!("snnc_s{:04}_beta[", sc.step);
                assert_eq!(code.code.contains(&table), leak && l.beta.len() > 1, "{label}");
                // A per-neuron reset amount is a table; a scalar one a literal in the step.
                let amounts = format!("snnc_s{:04}_reset_amount[", sc.step);
                let per_neuron = p.reset_amount.as_ref().is_some_and(|a| a.len() > 1);
                assert_eq!(code.code.contains(&amounts), per_neuron, "{label}");
                if p.family.is_integrator()
                    && matches!(step.kernel, Kernel::Iaf(_) | Kernel::LinearIaf(_))
                {
                    assert!(has("z[off] = v;"), "{label}:\n{text}");
                }
                if p.v_out == snnc_ir::VOut::BeforeReset && !back {
                    assert!(has("= vh;") || has("] = u;"), "{label}:\n{text}");
                }
            }
        }
    }
}
