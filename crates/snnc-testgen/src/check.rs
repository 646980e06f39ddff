//! The differential check of one generated case across stages and engines.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet};

use snnc_ir::{Family, Graph, Op, Tensor};
use snnc_opt::OptOptions;
use snnc_plan::{CompileOptions, Plan};

use snnc_interp::Contract;

use crate::{compare_grad, Case, Rng};

/// Relative change of a reference gradient tensor, under a one-ulp relative perturbation of
/// every float input and initializer, above which the tensor is ill-conditioned at f32
/// precision: a tenth of SPEC §5's gradient tolerance (1e-4). Such a tensor is a sum whose
/// terms cancel (a bias gradient summed over time and batch, say), so any engine that rounds
/// its intermediates to f32 may miss the f64 reference by more than the tolerance while
/// computing every term correctly.
pub const ILL_CONDITIONED: f64 = 1e-5;

/// A failed check: the case, the comparison that failed and every mismatch found.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// A stage refused the generated graph or failed on it.
    #[error("case {seed} ({description}): {stage} failed: {msg}")]
    Stage {
        /// The case's seed.
        seed: u64,
        /// The case's description.
        description: String,
        /// Which stage.
        stage: &'static str,
        /// Its error.
        msg: String,
    },
    /// Results differ beyond SPEC §5.
    #[error("case {seed} ({description}): {what}:\n  {}", mismatches.join("\n  "))]
    Mismatch {
        /// The case's seed.
        seed: u64,
        /// The case's description.
        description: String,
        /// Which comparison.
        what: String,
        /// Every difference found.
        mismatches: Vec<String>,
    },
}

/// One integrate-and-fire sequence op of the optimized graph: a fused cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FoundCell {
    /// `IAF` or `IAFRecurrent`.
    pub kind: &'static str,
    /// Neurons per batch row.
    pub neurons: usize,
    /// Its family (SPEC §1.1).
    pub family: Family,
}

/// The cells of the optimized graph `og`, in node order.
pub fn found_cells(og: &Graph) -> Vec<FoundCell> {
    let cells = snnc_opt::cells(og);
    cells
        .iter()
        .filter_map(|c| {
            let n = og.nodes().iter().find(|n| n.name == c.node)?;
            let (Op::Iaf(p) | Op::IafRecurrent(p)) = &n.op else { return None };
            Some(FoundCell { kind: c.kind, neurons: c.neurons, family: p.family })
        })
        .collect()
}

/// What a successful check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every comparison ran and agreed. `cells` are the integrate-and-fire cells the optimizer
    /// found; `fell_back` whether it returned the graph unchanged.
    Checked {
        /// Cells found by the optimizer ([`found_cells`]).
        cells: Vec<FoundCell>,
        /// Nodes of the optimized graph.
        optimized_nodes: usize,
        /// The optimizer kept the graph as it was.
        fell_back: bool,
        /// Gradient tensors left out of the comparisons because they are ill-conditioned at
        /// f32 precision ([`ILL_CONDITIONED`]) or below f32's normal range on both sides, and
        /// output tensors with elements left out as ill-conditioned
        /// ([`ILL_CONDITIONED_OUTPUT`]); looked for only when a comparison mismatched.
        ill_conditioned: usize,
        /// Spike decisions of the reference within SPEC §5's tolerance of their threshold
        /// ([`snnc_interp::Excused::decisions`]). When there are any, the output elements that
        /// depend on them were not compared, and neither were gradients (their presence was).
        undecided: usize,
    },
}

type Named = Vec<(String, Tensor)>;

struct Ctx<'a> {
    case: &'a Case,
    /// What SPEC §5 asks of every engine on this case (from the graph as built).
    contract: &'a Contract,
    /// The reference outputs and gradients (the interpreter on the graph as built).
    want_outs: &'a Named,
    want_grads: &'a Named,
    /// The gradient tensors that are ill-conditioned, found on the first gradient mismatch.
    ill: OnceCell<BTreeSet<String>>,
    /// The mismatching gradient tensors left out because both sides are below f32's normal
    /// range ([`below_normal`]).
    tiny: RefCell<BTreeSet<String>>,
    /// The ill-conditioned output elements ([`ill_conditioned_outputs`]), found on the first
    /// output mismatch.
    ill_outs: OnceCell<BTreeMap<String, Vec<bool>>>,
    /// The outputs with an element left out as ill-conditioned.
    ill_out_names: RefCell<BTreeSet<String>>,
}

/// Whether every element of `t` is below f32's normal range (|v| < 2⁻¹²⁶, zero included).
/// There a value has fewer than 24 significant bits, so rounding alone moves it by more than
/// SPEC §5's 1e-4, and an engine's 1.4e-45 and a reference's exact 0 both stand for "zero at
/// f32 precision".
fn below_normal(t: &Tensor) -> bool {
    t.to_f64().iter().all(|v| v.abs() < f32::MIN_POSITIVE as f64)
}

/// The error of `case` failing at `stage`.
fn stage_error(case: &Case, stage: &'static str, msg: impl ToString) -> CaseError {
    CaseError::Stage {
        seed: case.seed,
        description: case.description.clone(),
        stage,
        msg: msg.to_string(),
    }
}

/// The interpreter's outputs and gradients of `g` on the case's inputs and upstream gradients.
fn reference(case: &Case, g: &Graph, stage: &'static str) -> Result<(Named, Named), CaseError> {
    let opts = snnc_interp::GradOptions { surrogate: case.surrogate, ..Default::default() };
    let r = snnc_interp::grad(g, &case.inputs, &case.grad_outputs, &opts)
        .map_err(|e| stage_error(case, stage, e))?;
    Ok((r.outputs, r.grads))
}

impl Ctx<'_> {
    fn stage(&self, stage: &'static str, msg: impl ToString) -> CaseError {
        stage_error(self.case, stage, msg)
    }

    /// Compares outputs and gradients of one engine run with the reference's, as the contract
    /// says. A gradient the run lacks is allowed only when the contract does not require it
    /// and `may_fold` says the graph it ran no longer has that value as a target (a scalar
    /// the optimizer absorbed into an attribute).
    fn compare(
        &self,
        what: &str,
        (outs, grads): (&Named, &Named),
        (want_outs, want_grads): (&Named, &Named),
        may_fold: &dyn Fn(&str) -> bool,
    ) -> Result<(), CaseError> {
        let mut bad = Vec::new();
        for (name, w) in want_outs {
            match outs.iter().find(|(n, _)| n == name) {
                Some((_, g)) => {
                    let spikes = self.case.spike_outputs.contains(name);
                    if self.contract.compare_output(name, g, w, spikes).is_err() {
                        bad.extend(self.compare_output_conditioned(name, g, w, spikes)?.err());
                    }
                }
                None => bad.push(format!("output '{name}' is missing")),
            }
        }
        for (name, w) in want_grads {
            match grads.iter().find(|(n, _)| n == name) {
                Some(_) if !self.contract.gradients_compared() => {}
                Some((_, g)) => match compare_grad(name, g, w) {
                    Ok(()) => {}
                    Err(_) if below_normal(g) && below_normal(w) => {
                        self.tiny.borrow_mut().insert(name.clone());
                    }
                    Err(_) if self.ill_conditioned()?.contains(name) => {}
                    Err(e) => bad.push(e),
                },
                None if !self.contract.requires_gradient(name) && may_fold(name) => {}
                None => bad.push(format!("gradient '{name}' is missing")),
            }
        }
        if bad.is_empty() {
            return Ok(());
        }
        Err(CaseError::Mismatch {
            seed: self.case.seed,
            description: self.case.description.clone(),
            what: what.to_string(),
            mismatches: bad,
        })
    }

    /// SPEC §5's comparison of output `name` with its ill-conditioned elements
    /// ([`ill_conditioned_outputs`]) excused as well as the contract's; an output with such an
    /// element that this excuses is counted.
    fn compare_output_conditioned(
        &self,
        name: &str,
        got: &Tensor,
        want: &Tensor,
        spikes: bool,
    ) -> Result<Result<(), String>, CaseError> {
        let ill = match self.ill_outs.get() {
            Some(m) => m,
            None => {
                let m = ill_conditioned_outputs(self.case, self.want_outs)?;
                self.ill_outs.get_or_init(|| m)
            }
        };
        let Some(bad) = ill.get(name).filter(|_| !spikes) else {
            return Ok(self.contract.compare_output(name, got, want, spikes));
        };
        let excused = self.contract.excused().outputs.iter().find(|(n, _)| n == name);
        let mut mask = ndarray::ArrayD::from_elem(want.shape(), false);
        if let Some((_, Some(m))) = excused {
            mask.zip_mut_with(m, |a, &b| *a |= b);
        }
        mask.iter_mut().zip(bad).for_each(|(a, &b)| *a |= b);
        let r = snnc_interp::compare_output_except(name, got, want, spikes, Some(&mask));
        if r.is_ok() {
            self.ill_out_names.borrow_mut().insert(name.to_string());
        }
        Ok(r)
    }

    /// [`ill_conditioned`] of this case, computed once.
    fn ill_conditioned(&self) -> Result<&BTreeSet<String>, CaseError> {
        if let Some(s) = self.ill.get() {
            return Ok(s);
        }
        let ill = ill_conditioned(self.case, self.want_outs, self.want_grads)?;
        Ok(self.ill.get_or_init(|| ill))
    }

    fn cpu(&self, g: &Graph, stage: &'static str) -> Result<(Named, Named), CaseError> {
        let opts = CompileOptions { surrogate: self.case.surrogate, ..Default::default() };
        let plan = snnc_plan::compile(g, &opts).map_err(|e| self.stage(stage, e))?;
        let plan = Plan::from_bytes(&plan.to_bytes(), "<memory>".as_ref())
            .map_err(|e| self.stage(stage, e))?;
        let mut e = snnc_cpu::Engine::new(&plan).with_threads(snnc_cpu::Threads::Fixed(1));
        let outs = e.run(&self.case.inputs).map_err(|e| self.stage(stage, e))?;
        let gr = e
            .grad(&self.case.inputs, &self.case.grad_outputs, snnc_cpu::Wrt::All)
            .map_err(|e| self.stage(stage, e))?;
        let mut apart = snnc_cpu::Engine::new(&plan).with_fusion(false);
        let outs2 = apart.run(&self.case.inputs).map_err(|e| self.stage(stage, e))?;
        let gr2 = apart
            .grad(&self.case.inputs, &self.case.grad_outputs, snnc_cpu::Wrt::All)
            .map_err(|e| self.stage(stage, e))?;
        if !same_bits(&outs, &outs2) || !same_bits(&gr.grads, &gr2.grads) {
            return Err(self.stage(stage, "the engine's step fusion changes the results"));
        }
        Ok((outs, gr.grads))
    }
}

/// Whether two lists of named tensors are bitwise equal.
fn same_bits(a: &Named, b: &Named) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((n, x), (m, y))| n == m && x.same_bits(y))
}

/// The gradient tensors of `case` that f32 cannot be expected to match to SPEC §5's
/// tolerance, against their reference value (`want_grads`, with outputs `want_outs`: the
/// interpreter on the graph as built):
///
/// those that move by more than [`ILL_CONDITIONED`] (relative) when every float input,
/// initializer and upstream gradient is scaled by 1 ± 2⁻²³ (random signs from the seed,
/// [`PERTURBATIONS`] patterns); the upstream gradients count because a backward pass sums them
/// (two batch rows' nearly opposite seeds cancel in a bias gradient). A pattern that changes
/// any output spike is not used, since the gradients then differ for another reason.
///
/// (The check also leaves out a mismatching tensor when both the engine's and the reference's
/// are below f32's normal range everywhere; that needs the engine's values, so it is not here.)
pub fn ill_conditioned(
    case: &Case,
    want_outs: &Named,
    want_grads: &Named,
) -> Result<BTreeSet<String>, CaseError> {
    let mut ill = BTreeSet::new();
    let mut rng = Rng::new(case.seed ^ 0x9e37_79b9_7f4a_7c15);
    for _ in 0..PERTURBATIONS {
        let r = perturbed(case, &mut rng)?;
        let same_spikes = case.spike_outputs.iter().all(|name| {
            let find = |v: &Named| v.iter().find(|(n, _)| n == name).map(|(_, t)| t.to_f64());
            find(&r.outputs) == find(want_outs)
        });
        for (name, w) in want_grads.iter().filter(|_| same_spikes) {
            let Some((_, p)) = r.grads.iter().find(|(n, _)| n == name) else { continue };
            // A NaN distance is never "ill-conditioned": that would hide a real mismatch.
            if snnc_interp::grad_distance(p, w)
                .is_some_and(|(diff, norm)| diff > ILL_CONDITIONED * norm)
            {
                ill.insert(name.clone());
            }
        }
    }
    Ok(ill)
}

/// Change of a reference output element, against SPEC §5's scale max(|b|, 1), under the
/// perturbation [`ill_conditioned`] uses, above which the element is ill-conditioned at f32
/// precision: a tenth of SPEC §5's output tolerance (1e-5). Such an element is a small
/// remainder of large sums (a multi-spike potential after a wide layer: v − n·v_th with v and
/// n·v_th both large), so an engine rounding each partial sum to f32 may miss the f64
/// reference by more than the tolerance while computing every term correctly.
pub const ILL_CONDITIONED_OUTPUT: f64 = 1e-6;

/// The elements of the reference's non-spike outputs (`want_outs`, the interpreter on the
/// graph as built) that are ill-conditioned at f32 precision: those that move by more than
/// [`ILL_CONDITIONED_OUTPUT`]·max(|b|, 1) in one of the perturbed reference runs of
/// [`ill_conditioned`] (the same patterns; a pattern that changes any output spike is not
/// used). Per output with any such element: its mask (true where ill-conditioned), in the
/// output's element order.
pub fn ill_conditioned_outputs(
    case: &Case,
    want_outs: &Named,
) -> Result<BTreeMap<String, Vec<bool>>, CaseError> {
    let mut ill: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    let mut rng = Rng::new(case.seed ^ 0x9e37_79b9_7f4a_7c15);
    for _ in 0..PERTURBATIONS {
        let r = perturbed(case, &mut rng)?;
        let find =
            |v: &Named, name: &str| v.iter().find(|(n, _)| n == name).map(|(_, t)| t.to_f64());
        let same_spikes =
            case.spike_outputs.iter().all(|name| find(&r.outputs, name) == find(want_outs, name));
        if !same_spikes {
            continue;
        }
        for (name, w) in want_outs.iter().filter(|(n, _)| !case.spike_outputs.contains(n)) {
            let Some(p) = find(&r.outputs, name) else { continue };
            let w = w.to_f64();
            if p.shape() != w.shape() {
                continue;
            }
            let moved: Vec<bool> = p
                .iter()
                .zip(w.iter())
                .map(|(a, b)| (a - b).abs() > ILL_CONDITIONED_OUTPUT * b.abs().max(1.0))
                .collect();
            if moved.iter().any(|&m| m) {
                let mask = ill.entry(name.clone()).or_insert_with(|| vec![false; moved.len()]);
                mask.iter_mut().zip(&moved).for_each(|(m, &x)| *m |= x);
            }
        }
    }
    Ok(ill)
}

/// Independent sign patterns [`ill_conditioned`] tries: one pattern can hide a cancellation
/// (two nearly opposite terms nudged the same way keep their sum's relative value); eight
/// miss a two-term cancellation one time in 256. (Three missed a recurrent layer's weight
/// gradient in 60 000 generated cases.)
const PERTURBATIONS: usize = 8;

/// The reference run with every float input, initializer and upstream gradient scaled by
/// 1 ± 2⁻²³ (signs from `rng`).
fn perturbed(case: &Case, rng: &mut Rng) -> Result<snnc_interp::Gradients, CaseError> {
    let mut nudge = |t: &Tensor| match t {
        Tensor::F32(a) => Tensor::F32(a.mapv(|v| {
            let s = if rng.chance(0.5) { 1.0 } else { -1.0 };
            v * (1.0 + s * f32::EPSILON)
        })),
        other => other.clone(),
    };
    let mut g = case.graph.clone();
    let ids: Vec<_> = g.initializers().keys().copied().collect();
    for id in ids {
        let v = nudge(g.initializer(id).expect("listed initializer"));
        g.set_initializer(id, v).map_err(|e| stage_error(case, "perturbing the weights", e))?;
    }
    let inputs: Named = case.inputs.iter().map(|(n, t)| (n.clone(), nudge(t))).collect();
    let seeds: Named = case.grad_outputs.iter().map(|(n, t)| (n.clone(), nudge(t))).collect();
    let opts = snnc_interp::GradOptions { surrogate: case.surrogate, ..Default::default() };
    let r = snnc_interp::grad(&g, &inputs, &seeds, &opts)
        .map_err(|e| stage_error(case, "interpreter (perturbed)", e))?;
    Ok(r)
}

/// Whether `g` spells a multi-spike count with `Floor` (sinabs' export), which a compiled
/// plan differentiates as 0 and the reference by the surrogate.
fn spells_multi_spikes(g: &Graph) -> bool {
    g.nodes().iter().any(|n| matches!(n.op, Op::Floor))
}

/// Checks `case` (SPEC §5 throughout; the reference is the interpreter on the graph as built):
///
/// 1. the interpreter on the optimized graph (`snnc_opt::optimize` with the case's surrogate);
/// 2. the CPU engine on the compiled plan of the graph as built, and
/// 3. on the compiled plan of the optimized graph (each plan reloaded from its bytes first).
///
/// Outputs and the gradients of every float input and initializer are compared, the upstream
/// gradients being the case's, as [`Contract`] defines SPEC §5: output elements that depend on
/// a reference spike decision within 1e-5·max(1, |v_th|) of its threshold are not compared,
/// nor are gradients when there is such a decision; every gradient the contract requires must
/// be there.
/// A gradient tensor that mismatches and is ill-conditioned at f32 precision
/// ([`ILL_CONDITIONED`]), or whose engine and reference values are both below f32's normal range
/// everywhere, is left out and counted.
///
/// The reference gives sinabs' multi-spike count, spelled with `Floor`, the surrogate at
/// v̂ − v_th (SPEC §1.1), like the fused multi-spike cell; a compiled plan of a graph that still
/// spells it, and the interpreter on an optimized graph that spells it in part, differentiate
/// `Floor` as 0, so there only outputs are compared.
pub fn check_case(case: &Case) -> Result<Outcome, CaseError> {
    let g = &case.graph;
    snnc_ir::verify(g).map_err(|e| stage_error(case, "verify", e))?;
    let contract = Contract::new(g, &case.inputs).map_err(|e| stage_error(case, "contract", e))?;
    let want = reference(case, g, "interpreter (as built)")?;
    let cx = Ctx {
        case,
        contract: &contract,
        want_outs: &want.0,
        want_grads: &want.1,
        ill: OnceCell::new(),
        tiny: RefCell::default(),
        ill_outs: OnceCell::new(),
        ill_out_names: RefCell::default(),
    };
    let want = (&want.0, &want.1);
    let opts = OptOptions { surrogate: case.surrogate, ..Default::default() };
    let opt = snnc_opt::optimize(g, &opts).map_err(|e| cx.stage("optimize", e))?;
    let og = &opt.graph;
    // A target the optimized graph lacks must be a constant of the original that it absorbed.
    let folded = |name: &str| {
        og.find(name).is_none() && g.find(name).is_some_and(|id| g.initializer(id).is_some())
    };
    let never = |_: &str| false;
    // The reference differentiates sinabs' multi-spike count, spelled with Floor, by the
    // surrogate at v − v_th (SPEC §1.1), recognising the export's spelling; a plan of a graph
    // that spells it differentiates its Floor as 0, and so does the interpreter once the
    // optimizer has rewritten part of the spelling (its comparison into a spike) without fusing
    // the count. Where a graph still spells the count, its outputs are compared, and its
    // gradients only where the optimizer fused the count.
    let none = Vec::new();
    let want_opt = if spells_multi_spikes(og) { (want.0, &none) } else { want };
    let r = reference(case, og, "interpreter (optimized)")?;
    cx.compare("interpreter: optimized vs as built", (&r.0, &r.1), want_opt, &folded)?;
    let c = cx.cpu(g, "cpu plan (as built)")?;
    let want_built = if spells_multi_spikes(g) { (want.0, &none) } else { want };
    cx.compare("cpu plan of the graph as built vs interpreter", (&c.0, &c.1), want_built, &never)?;
    let c = cx.cpu(og, "cpu plan (optimized)")?;
    cx.compare("cpu plan of the optimized graph vs interpreter", (&c.0, &c.1), want_opt, &folded)?;
    let mut left_out = cx.tiny.take();
    left_out.extend(cx.ill.get().into_iter().flatten().cloned());
    left_out.extend(cx.ill_out_names.take());
    let ill_conditioned = left_out.len();
    Ok(Outcome::Checked {
        cells: found_cells(og),
        optimized_nodes: og.nodes().len(),
        fell_back: opt.fell_back.is_some(),
        ill_conditioned,
        undecided: contract.excused().decisions,
    })
}
