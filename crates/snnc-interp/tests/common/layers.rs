//! Builders of the same integrate-and-fire layer spelled three ways: the `snn` sequence op, a
//! chain of `snn` step ops, and primitive ops (as a plain export spells it).

use snnc_ir::{DType, Graph, IafParams, Op, Order, Tensor, ValueId};

use super::{constant, input, op, ti64};

/// Shape and parameters of a test layer. Feed-forward layers have `i == h`.
#[derive(Clone)]
pub struct Layer {
    pub p: IafParams,
    pub dtype: DType,
    pub t: usize,
    pub b: usize,
    pub i: usize,
    pub h: usize,
    pub recurrent: bool,
}

impl Layer {
    /// The graph inputs and their shapes: X, V0 (feed-forward) or X, W, R, V0, Z0.
    pub fn inputs(&self) -> Vec<(&'static str, Vec<usize>)> {
        let (t, b, i, h) = (self.t, self.b, self.i, self.h);
        if self.recurrent {
            vec![
                ("X", vec![t, b, i]),
                ("W", vec![h, i]),
                ("R", vec![h, h]),
                ("V0", vec![b, h]),
                ("Z0", vec![b, h]),
            ]
        } else {
            vec![("X", vec![t, b, h]), ("V0", vec![b, h])]
        }
    }

    fn declare(&self, g: &mut Graph) -> Vec<ValueId> {
        self.inputs().iter().map(|(n, s)| input(g, n, self.dtype, s)).collect()
    }

    fn outputs(&self, g: &mut Graph, outs: &[Option<ValueId>]) {
        for o in outs.iter().flatten() {
            g.add_output(*o).unwrap();
        }
    }

    /// `IAF(X, V0)` or `IAFRecurrent(X, W, R, V0, Z0)`.
    pub fn sequence(&self) -> Graph {
        let mut g = Graph::new("seq");
        let ins: Vec<_> = self.declare(&mut g).into_iter().map(Some).collect();
        let (o, names): (Op, &[Option<&str>]) = if self.recurrent {
            (Op::IafRecurrent(self.p.clone()), &[Some("Z"), Some("V_T"), Some("Z_T")])
        } else {
            (Op::Iaf(self.p.clone()), &[Some("Z"), Some("V_T")])
        };
        let outs = g.add_node("layer", o, ins, names).unwrap();
        self.outputs(&mut g, &outs);
        g
    }

    /// Unrolls the time loop: `Gather` per step, `step` for the update, `Unsqueeze` + `Concat`.
    fn unrolled(
        &self,
        name: &str,
        step: impl Fn(&mut Graph, usize, &[ValueId], ValueId, ValueId, ValueId) -> (ValueId, ValueId),
    ) -> Graph {
        let mut g = Graph::new(name);
        let ins = self.declare(&mut g);
        let (mut v, mut z) = if self.recurrent { (ins[3], ins[4]) } else { (ins[1], ins[1]) };
        let mut zs = Vec::new();
        for t in 0..self.t {
            let idx = constant(&mut g, ti64(&[], &[t as i64]), &format!("t{t}"));
            let xt = op(&mut g, Op::Gather { axis: 0 }, &[ins[0], idx], &format!("x{t}"));
            (z, v) = step(&mut g, t, &ins, xt, z, v);
            zs.push(op(&mut g, Op::Unsqueeze { axes: vec![0] }, &[z], &format!("zu{t}")));
        }
        let zseq = op(&mut g, Op::Concat { axis: 0 }, &zs, "Z");
        let vt = op(&mut g, Op::Identity, &[v], "V_T");
        g.add_output(zseq).unwrap();
        g.add_output(vt).unwrap();
        if self.recurrent {
            let zt = op(&mut g, Op::Identity, &[z], "Z_T");
            g.add_output(zt).unwrap();
        }
        g
    }

    /// A chain of `IAFFeedForwardStep(x_t, v)` or `IAFStep(x_t, z, v, W, R)`.
    pub fn steps(&self) -> Graph {
        self.unrolled("steps", |g, t, ins, xt, z, v| {
            let (o, args) = if self.recurrent {
                (
                    Op::IafStep(self.p.clone()),
                    vec![Some(xt), Some(z), Some(v), Some(ins[1]), Some(ins[2])],
                )
            } else {
                (Op::IafFeedForwardStep(self.p.clone()), vec![Some(xt), Some(v)])
            };
            let names = [format!("z{t}"), format!("v{t}")];
            let outs = g
                .add_node(&format!("step{t}"), o, args, &[Some(&names[0]), Some(&names[1])])
                .unwrap();
            (outs[0].unwrap(), outs[1].unwrap())
        })
    }

    /// The primitive spelling: (Gemm + Gemm + Add for the recurrent current), then
    /// Sub/Greater/Cast/Sub/Mul/Mul/Add/Add in the layer's order.
    pub fn primitives(&self) -> Graph {
        let per = |v: &[f32]| -> Tensor {
            let vals: Vec<f64> =
                (0..self.h).map(|n| v[if v.len() == 1 { 0 } else { n }] as f64).collect();
            Tensor::from_f64(
                self.dtype,
                ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[self.h]), vals).unwrap(),
            )
        };
        let scalar = |x: f64| {
            Tensor::from_f64(self.dtype, ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), x))
        };
        self.unrolled("prims", |g, t, ins, xt, z, v| {
            let n = |s: &str| format!("{s}{t}");
            let th = constant(g, per(&self.p.v_th), &n("th"));
            let r = constant(g, per(&self.p.v_reset), &n("r"));
            let one = constant(g, scalar(1.0), &n("one"));
            let zero = constant(g, scalar(0.0), &n("zero"));
            let cur = if self.recurrent {
                let gemm = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true };
                let a = op(g, gemm.clone(), &[xt, ins[1]], &n("wx"));
                let b = op(g, gemm, &[z, ins[2]], &n("rz"));
                op(g, Op::Add, &[a, b], &n("cur"))
            } else {
                xt
            };
            let fire = |g: &mut Graph, u: ValueId| {
                let s = op(g, Op::Sub, &[u, th], &n("s"));
                let c = op(g, Op::Greater, &[s, zero], &n("gt"));
                let z = op(g, Op::Cast { to: self.dtype }, &[c], &n("z"));
                let omz = op(g, Op::Sub, &[one, z], &n("omz"));
                let keep = op(g, Op::Mul, &[omz, u], &n("keep"));
                let rs = op(g, Op::Mul, &[z, r], &n("rs"));
                (z, op(g, Op::Add, &[keep, rs], &n("vhat")))
            };
            match self.p.order {
                Order::FireThenIntegrate => {
                    let (z, vh) = fire(g, v);
                    (z, op(g, Op::Add, &[vh, cur], &n("v")))
                }
                Order::IntegrateThenFire => {
                    let vh = op(g, Op::Add, &[v, cur], &n("vi"));
                    fire(g, vh)
                }
            }
        })
    }
}
