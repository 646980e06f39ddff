//! The random network generator.

mod export;
mod layers;
pub mod spelling;

use ndarray::{ArrayD, IxDyn};
use snnc_ir::{
    DType, Family, Graph, IafParams, Method, Op, Order, ResetGrad, Surrogate, Tensor, TensorType,
    ValueId,
};

use crate::Rng;
use layers::LayerOut;
use spelling::Spelling;

/// One generated test case: a graph with inputs and upstream gradients for every float output.
#[derive(Debug, Clone)]
pub struct Case {
    /// The seed it was generated from.
    pub seed: u64,
    /// The network (verified).
    pub graph: Graph,
    /// A value for every graph input.
    pub inputs: Vec<(String, Tensor)>,
    /// An upstream gradient for every float output.
    pub grad_outputs: Vec<(String, Tensor)>,
    /// Names of the outputs that are spike tensors (0/1, compared exactly).
    pub spike_outputs: Vec<String>,
    /// The surrogate of the primitive (plain-export) spikes, given to every stage.
    pub surrogate: Surrogate,
    /// A one-line description (layers, spellings, orders, sizes).
    pub description: String,
    /// The spiking layers, in order: what the optimizer should fuse each into.
    pub layers: Vec<Layer>,
    /// Time steps.
    pub steps: usize,
    /// Whether sequences are batch-major `[B, T, N]` (sinabs) rather than time-major.
    pub batch_major: bool,
}

/// One spiking layer of a case, as the generator wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// How it is written.
    pub style: Style,
    /// The plain-export spelling, for a [`Style::Primitive`] layer that is not Norse's classic
    /// chain (`None` there, and for the `snn` ops).
    pub spelling: Option<Spelling>,
    /// Whether it is recurrent (a fused cell is then `IAFRecurrent`).
    pub recurrent: bool,
    /// Neurons (N, or H).
    pub neurons: usize,
    /// The update order it is written in.
    pub order: Order,
    /// The family (SPEC §1.1) of the cell it is, with an arithmetic reset's gradient
    /// `attached` (the optimizer's default).
    pub family: Family,
    /// Whether its final potential is a graph output.
    pub keeps_potential: bool,
    /// Its threshold(s), one or one per neuron.
    pub v_th: Vec<f32>,
}

impl Layer {
    /// The fused op's name: `IAF` or `IAFRecurrent`.
    pub fn kind(&self) -> &'static str {
        if self.recurrent {
            "IAFRecurrent"
        } else {
            "IAF"
        }
    }
}

/// How a layer is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// `snn.IAF` / `snn.IAFRecurrent` over the whole sequence.
    Sequence,
    /// A chain of `snn.IAFFeedForwardStep` / `snn.IAFStep`, one per time step.
    Steps,
    /// The primitive chain of a plain export, one per time step.
    Primitive,
}

/// A signal between layers: one `[T,B,N]` value, or one `[B,N]` value per time step.
#[derive(Debug, Clone)]
enum Signal {
    Seq(ValueId),
    Steps(Vec<ValueId>),
}

struct Builder {
    g: Graph,
    rng: Rng,
    /// The draws of the plain-export spellings and the layout: a stream of their own, so that
    /// every draw of `rng` (and with it every case from before they existed) stays as it was.
    spell: Rng,
    next: usize,
    t: usize,
    b: usize,
    /// The time axis of sequences: 0 (time-major) or 1 (batch-major).
    axis: usize,
}

fn f32s(shape: &[usize], data: Vec<f32>) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), data).expect("shape matches data"))
}

impl Builder {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_{}", self.next)
    }

    fn op(&mut self, op: Op, ins: &[ValueId], prefix: &str) -> ValueId {
        let name = self.fresh(prefix);
        let ins = ins.iter().map(|&i| Some(i)).collect();
        let out = self.g.add_node(&name, op, ins, &[Some(&name)]);
        out.unwrap_or_else(|e| panic!("generator built an invalid node: {e}"))[0].expect("bound")
    }

    fn konst(&mut self, value: Tensor, prefix: &str) -> ValueId {
        self.op(Op::Constant { value }, &[], prefix)
    }

    fn init(&mut self, prefix: &str, value: Tensor) -> ValueId {
        let name = self.fresh(prefix);
        self.g.add_initializer(&name, value).expect("fresh initializer")
    }

    fn random(&mut self, shape: &[usize], lo: f32, hi: f32) -> Tensor {
        let n = shape.iter().product();
        let data = (0..n).map(|_| self.rng.f32_in(lo, hi)).collect();
        f32s(shape, data)
    }

    fn weight(&mut self, prefix: &str, shape: &[usize]) -> ValueId {
        self.weight_as(prefix, shape, false, 1.0)
    }

    /// [`Builder::weight`] of `shape` `[rows, cols]` times `scale`, stored transposed
    /// (`[cols, rows]`) when `transposed`: the same draws either way.
    fn weight_as(
        &mut self,
        prefix: &str,
        shape: &[usize],
        transposed: bool,
        scale: f32,
    ) -> ValueId {
        let fan_in = shape[shape.len() - 1].max(1) as f32;
        let s = 1.6 / fan_in.sqrt();
        let w = match self.random(shape, -0.4 * s, s) {
            Tensor::F32(a) if scale != 1.0 => Tensor::F32(a.mapv(|v| v * scale)),
            w => w,
        };
        let w = match w {
            Tensor::F32(a) if transposed => {
                Tensor::F32(a.reversed_axes().as_standard_layout().into_owned())
            }
            w => w,
        };
        self.init(prefix, w)
    }

    fn seq_of(&mut self, s: &Signal) -> ValueId {
        match s {
            Signal::Seq(v) => *v,
            Signal::Steps(vs) => {
                let axis = self.axis as i64;
                let us: Vec<ValueId> = vs
                    .iter()
                    .map(|&v| self.op(Op::Unsqueeze { axes: vec![axis] }, &[v], "unsq"))
                    .collect();
                self.op(Op::Concat { axis }, &us, "concat")
            }
        }
    }

    fn steps_of(&mut self, s: &Signal) -> Vec<ValueId> {
        match s {
            Signal::Steps(vs) => vs.clone(),
            Signal::Seq(v) => (0..self.t)
                .map(|t| {
                    let idx = self.index(t);
                    self.op(Op::Gather { axis: self.axis as i64 }, &[*v, idx], "gather")
                })
                .collect(),
        }
    }

    /// A scalar `i64` index constant.
    fn index(&mut self, t: usize) -> ValueId {
        self.konst(Tensor::I64(ArrayD::from_elem(IxDyn(&[]), t as i64)), "t")
    }

    fn features(&self, s: &Signal) -> usize {
        let v = match s {
            Signal::Seq(v) => *v,
            Signal::Steps(vs) => vs[0],
        };
        *self.g.ty(v).shape.last().expect("rank ≥ 1")
    }

    /// A feed-forward linear layer K → N (with a bias, sometimes): `MatMul` + `Add` on a
    /// sequence, `Gemm(transB)` per step (as plain exports spell `nn.Linear`).
    fn linear(&mut self, x: &Signal, n: usize) -> Signal {
        let k = self.features(x);
        let bias = self.rng.chance(0.7);
        match x {
            Signal::Seq(v) => {
                let w = self.weight("w", &[k, n]);
                let y = self.op(Op::MatMul, &[*v, w], "matmul");
                if bias {
                    let b = self.random(&[n], -0.2, 0.4);
                    let b = self.init("b", b);
                    Signal::Seq(self.op(Op::Add, &[y, b], "bias"))
                } else {
                    Signal::Seq(y)
                }
            }
            Signal::Steps(vs) => {
                let w = self.weight("w", &[n, k]);
                let b = if bias {
                    let b = self.random(&[n], -0.2, 0.4);
                    Some(self.init("b", b))
                } else {
                    None
                };
                let gemm = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true };
                Signal::Steps(
                    vs.iter()
                        .map(|&x| {
                            let ins: Vec<ValueId> =
                                [Some(x), Some(w), b].into_iter().flatten().collect();
                            self.op(gemm.clone(), &ins, "gemm")
                        })
                        .collect(),
                )
            }
        }
    }

    /// A surrogate of Norse's six methods: the draw is part of every case's random stream, so
    /// growing the list would renumber the pinned regression cases (tests/conditioning.rs).
    /// The SPEC §1.1 additions (atan, sigmoid, exp) are checked by the interpreter's and the
    /// kernels' surrogate tests and by the library fixtures.
    fn surrogate(&mut self) -> Surrogate {
        let method = *self.rng.pick(&Method::ALL[..6]);
        let alpha = match method {
            Method::Super => *self.rng.pick(&[1.0, 10.0, 100.0]),
            _ => self.rng.f32_in(0.5, 4.0),
        };
        Surrogate::new(method, alpha).expect("positive alpha")
    }

    fn params(&mut self, n: usize) -> IafParams {
        let v_th = if self.rng.chance(0.5) {
            vec![*self.rng.pick(&[1.0, 0.5, 0.8, 1.3])]
        } else {
            (0..n).map(|_| self.rng.f32_in(0.3, 1.5)).collect()
        };
        let v_reset = match self.rng.range(0, 3) {
            0 | 1 => vec![0.0],
            2 => vec![self.rng.f32_in(-0.5, 0.2)],
            _ => (0..n).map(|_| self.rng.f32_in(-0.5, 0.2)).collect(),
        };
        let order = *self.rng.pick(&[Order::FireThenIntegrate, Order::IntegrateThenFire]);
        IafParams {
            v_th,
            v_reset,
            surrogate: self.surrogate(),
            order,
            family: Family::NORSE,
            ..Default::default()
        }
    }

    /// `p`'s per-neuron vector `v` as a `[N]` tensor, or a scalar when it has one value.
    fn per_neuron(v: &[f32], n: usize, scalar: bool) -> Tensor {
        if scalar && v.len() == 1 {
            f32s(&[], vec![v[0]])
        } else {
            f32s(&[n], (0..n).map(|k| v[if v.len() == 1 { 0 } else { k }]).collect())
        }
    }

    /// A `[B,N]` constant holding each neuron's reset potential (the initial state).
    fn initial_v(&mut self, p: &IafParams, n: usize) -> ValueId {
        let data = (0..self.b * n).map(|i| p.v_reset_at(i % n)).collect();
        self.konst(f32s(&[self.b, n], data), "v_init")
    }
}

/// Builds the case of `seed`: 1–3 layers (each a random spelling, order, surrogate, threshold
/// and reset; feed-forward with a linear layer before it, or recurrent), an optional linear
/// readout, T in 1–6, batch 1–3, 1–6 features; inputs in [0, 1) or spikes; time-major, or
/// (a quarter of the cases) batch-major like sinabs.
///
/// Three quarters of the plain-export layers are written in a library spelling
/// ([`Spelling`]) rather than Norse's classic chain; those choices, and the layout, come from
/// a second random stream, so every draw of the first (sizes, weights, inputs) is what it was
/// before they existed.
pub fn generate(seed: u64) -> Case {
    build(seed, None)
}

/// The case of `seed` over `steps` time steps instead of its own T: every other choice and
/// weight is the same, so the optimizer should make a graph of the same size of both.
pub fn generate_with_steps(seed: u64, steps: usize) -> Case {
    build(seed, Some(steps))
}

/// The stream of the spelling and layout draws of case `seed`.
fn spelling_rng(seed: u64) -> Rng {
    Rng::new(seed ^ 0x0005_9e11_1a95_0000)
}

/// `p` as spelling `sp` writes it: a reset to 0 where the spelling has no other, v_th = 1 where
/// it folds it, its update order and its family.
fn adjust(p: &mut IafParams, sp: &Spelling) {
    if sp.reset.resets_to_zero() {
        p.v_reset = vec![0.0];
    }
    if sp.reset.needs_unit_threshold() {
        p.v_th = vec![1.0];
    }
    p.order = sp.order(p.order);
    p.family = sp.family(ResetGrad::Attached);
}

fn build(seed: u64, steps: Option<usize>) -> Case {
    let mut rng = Rng::new(seed);
    let (t, b) = (rng.range(1, 6), rng.range(1, 3));
    let t = steps.unwrap_or(t);
    let mut spell = spelling_rng(seed);
    let batch_major = spell.chance(0.25);
    let axis = usize::from(batch_major);
    let g = Graph::new(format!("gen{seed}"));
    let mut bd = Builder { g, rng, spell, next: 0, t, b, axis };
    let surrogate = bd.surrogate();
    let i = bd.rng.range(1, 6);
    let shape = if batch_major { vec![b, t, i] } else { vec![t, b, i] };
    let x = bd.g.add_input("x", TensorType::new(DType::F32, shape)).expect("x");
    let mut signal = if bd.rng.chance(0.5) {
        Signal::Seq(x)
    } else {
        Signal::Steps(bd.steps_of(&Signal::Seq(x)))
    };
    let layers = bd.rng.range(1, 3);
    let layout = if batch_major { " batch-major" } else { "" };
    let mut desc = vec![format!("T={t} B={b} I={i} sg={surrogate}{layout}")];
    let mut last_v = None;
    let mut spec = Vec::new();
    for l in 0..layers {
        // Now and then a layer of a whole 64-neuron block and a ragged one, the widths the
        // event kernels treat apart.
        let n = if bd.rng.chance(0.08) { bd.rng.range(64, 70) } else { bd.rng.range(1, 6) };
        let style = *bd.rng.pick(&[Style::Sequence, Style::Steps, Style::Primitive]);
        let rec = bd.rng.chance(0.35);
        let mut p = bd.params(n);
        let keep_v = l == layers - 1 && bd.rng.chance(0.5);
        let input = if rec { signal.clone() } else { bd.linear(&signal, n) };
        let sp = (style == Style::Primitive && bd.spell.chance(0.75))
            .then(|| Spelling::draw(&mut bd.spell, rec, !batch_major));
        let drawn_zero = p.v_reset.iter().all(|&r| r == 0.0);
        if let Some(sp) = &sp {
            adjust(&mut p, sp);
        }
        let out = match style {
            Style::Sequence if batch_major => bd.transposed_sequence_layer(&input, n, &p, rec),
            Style::Sequence => bd.sequence_layer(&input, n, &p, rec),
            Style::Steps => bd.step_layer(&input, n, &p, rec),
            Style::Primitive => bd.primitive_layer(&input, n, &p, rec, keep_v, sp, drawn_zero),
        };
        desc.push(format!(
            "{style:?}{} N={n} {} th={:?} reset={:?} sg={}{}",
            if rec { "/rec" } else { "" },
            p.order,
            p.v_th,
            p.v_reset,
            p.surrogate,
            sp.map(|s| format!(" [{s}]")).unwrap_or_default(),
        ));
        spec.push(Layer {
            style,
            spelling: sp,
            recurrent: rec,
            neurons: n,
            order: p.order,
            family: p.family,
            keeps_potential: keep_v,
            v_th: p.v_th.clone(),
        });
        if keep_v {
            last_v = out.v_t;
        }
        signal = out.z;
    }
    let spikes = bd.seq_of(&signal);
    let mut outputs = vec![spikes];
    let spike_outputs = vec![bd.g.value(spikes).name.clone()];
    if let Some(v) = last_v {
        outputs.push(v);
        desc.push("+V_T".into());
    }
    if bd.rng.chance(0.5) {
        let c = bd.rng.range(1, 4);
        let n = bd.features(&Signal::Seq(spikes));
        let w = bd.weight("readout", &[n, c]);
        outputs.push(bd.op(Op::MatMul, &[spikes, w], "readout"));
        desc.push(format!("+readout C={c}"));
    }
    for o in outputs {
        bd.g.add_output(o).expect("distinct outputs");
    }
    let binary_x = bd.rng.chance(0.3);
    let inputs: Vec<(String, Tensor)> =
        bd.g.inputs()
            .to_vec()
            .into_iter()
            .map(|id| {
                let v = bd.g.value(id).clone();
                let t = if v.name == "x" && binary_x {
                    let n = v.ty.shape.iter().product();
                    f32s(
                        &v.ty.shape,
                        (0..n).map(|_| if bd.rng.chance(0.4) { 1.0 } else { 0.0 }).collect(),
                    )
                } else if v.name == "x" {
                    bd.random(&v.ty.shape, 0.0, 1.0)
                } else {
                    bd.random(&v.ty.shape, -0.3, 0.6)
                };
                (v.name, t)
            })
            .collect();
    let grad_outputs =
        bd.g.outputs()
            .to_vec()
            .into_iter()
            .map(|id| {
                let v = bd.g.value(id).clone();
                (v.name, bd.random(&v.ty.shape, -1.0, 1.0))
            })
            .collect();
    if binary_x {
        desc.push("binary x".into());
    }
    Case {
        seed,
        graph: bd.g,
        inputs,
        grad_outputs,
        spike_outputs,
        surrogate,
        description: desc.join(" | "),
        layers: spec,
        steps: t,
        batch_major,
    }
}
