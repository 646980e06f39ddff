//! The time loop: every node evaluated once per step, in schedule order, for T steps; a
//! recurrent edge reads its source's output of the previous step (zero at the first step).
//! The result is the unrolled graph a plain export gives, which every snnc engine runs and the
//! optimizer re-rolls into cells.

use snnc_ir::{DType, IrError, Op, TensorType, ValueId};

use super::emit::Emit;
use super::flat::{Flat, FlatKind};
use super::neuron::{self, Consts, State};
use super::order::Schedule;
use super::stateless::{self, AffineWeights, ConvWeights};
use crate::{NirOptions, NodeKind};

/// A node's data prepared before the loop.
enum Prep<'a> {
    Input(ValueId),
    Pass,
    Output,
    Affine(AffineWeights, usize),
    Scale(ValueId, Vec<usize>),
    Threshold(ValueId, Vec<usize>),
    Neuron(Box<Consts>, State),
    Delay(Vec<(usize, Option<ValueId>)>, Vec<usize>),
    Flatten(&'a crate::nodes::shape_ops::FlattenNode),
    Conv(ConvWeights<'a>),
    Pool(&'a crate::nodes::conv::PoolNode, snnc_ir::PoolSpec),
}

/// A failure at one node: its index and the message.
pub(crate) struct At(pub usize, pub String);

fn at(n: usize) -> impl Fn(IrError) -> At {
    move |e| At(n, e.to_string())
}

fn prepare<'a>(e: &mut Emit, f: &Flat<'a>, n: usize, o: &NirOptions) -> Result<Prep<'a>, At> {
    let name = &f.names[n];
    let kind = match f.kinds[n] {
        FlatKind::Pass => return Ok(Prep::Pass),
        FlatKind::Node(k) => k,
    };
    let err = at(n);
    Ok(match kind {
        NodeKind::Input(i) => {
            let mut shape = vec![o.steps, o.batch];
            shape.extend_from_slice(&i.shape);
            let ty = TensorType::new(DType::F32, shape);
            Prep::Input(e.g.add_input(name, ty).map_err(err)?)
        }
        NodeKind::Output(_) => Prep::Output,
        NodeKind::Affine(a) => {
            Prep::Affine(stateless::affine_weights(e, name, a).map_err(err)?, a.weight.shape[1])
        }
        NodeKind::Scale(s) => {
            Prep::Scale(stateless::scale_weight(e, name, s).map_err(err)?, s.scale.shape.clone())
        }
        NodeKind::Threshold(t) => Prep::Threshold(
            stateless::threshold_const(e, name, t).map_err(err)?,
            t.threshold.shape.clone(),
        ),
        NodeKind::Neuron(nn) => {
            Prep::Neuron(Box::new(neuron::consts(e, name, nn, o).map_err(err)?), State::default())
        }
        NodeKind::Delay(d) => Prep::Delay(
            delay_taps(e, name, &d.delay, o.dt).map_err(|m| At(n, m))?,
            d.delay.shape.clone(),
        ),
        NodeKind::Flatten(fl) => Prep::Flatten(fl),
        NodeKind::Conv(c) => Prep::Conv(stateless::conv_weights(e, name, c).map_err(err)?),
        NodeKind::Pool(p) => Prep::Pool(p, stateless::pool_spec(p)),
        NodeKind::Graph(_) => return Err(At(n, "cannot be lowered".into())),
    })
}

/// A delay's taps: (steps back, mask of the elements with that delay, `None` for all).
fn delay_taps(
    e: &mut Emit,
    name: &str,
    delay: &crate::Array,
    dt: f64,
) -> Result<Vec<(usize, Option<ValueId>)>, String> {
    let steps: Vec<usize> = delay
        .data
        .iter()
        .map(|&d| {
            let s = (d as f64 / dt).round();
            if s > 1e6 {
                Err(format!("a delay of {d} s is {s} steps of {dt} s, more than 10⁶"))
            } else {
                Ok(s as usize)
            }
        })
        .collect::<Result<_, _>>()?;
    let mut distinct = steps.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() == 1 {
        return Ok(vec![(distinct[0], None)]);
    }
    let mut taps = Vec::new();
    for d in distinct {
        let mask = delay.map(|_| 0.0);
        let mask = crate::Array {
            data: steps.iter().zip(&mask.data).map(|(&s, _)| f32::from(u8::from(s == d))).collect(),
            shape: mask.shape,
        };
        let m = e.param(&format!("{name}/mask{d}"), &mask).map_err(|e| e.to_string())?;
        taps.push((d, Some(m)));
    }
    Ok(taps)
}

/// Unrolls the scheduled graph over `o.steps` steps into `e`; returns each neuron node's
/// potentials per step (for [`NirOptions::potentials`]).
pub(crate) fn unroll(
    e: &mut Emit,
    f: &Flat,
    s: &Schedule,
    o: &NirOptions,
) -> Result<Vec<(usize, Vec<ValueId>)>, At> {
    let n = f.names.len();
    let mut prep = Vec::with_capacity(n);
    for i in 0..n {
        prep.push(prepare(e, f, i, o)?);
    }
    let mut out: Vec<Vec<ValueId>> = vec![Vec::with_capacity(o.steps); n];
    let mut hist: Vec<Vec<Option<ValueId>>> = vec![Vec::with_capacity(o.steps); n];
    let mut pots: Vec<(usize, Vec<ValueId>)> = Vec::new();
    for t in 0..o.steps {
        let idx = e.index(t).map_err(at(0))?;
        for &i in &s.order {
            let base = format!("{}/t{t}", f.names[i]);
            let err = at(i);
            let mut acc = None;
            for &p in &s.same[i] {
                acc = e.add(&base, acc, Some(out[p][t])).map_err(&err)?;
            }
            if t > 0 {
                for &p in &s.back[i] {
                    acc = e.add(&base, acc, Some(out[p][t - 1])).map_err(&err)?;
                }
            }
            hist[i].push(acc);
            let need = |e: &mut Emit, shape: &[usize]| -> Result<ValueId, At> {
                match acc {
                    Some(x) => Ok(x),
                    None => e.zeros(&base, shape).map_err(at(i)),
                }
            };
            let no_input =
                || At(i, "has no input at the first step (only a recurrent edge feeds it)".into());
            let y = match &mut prep[i] {
                Prep::Input(x) => {
                    if acc.is_some() {
                        return Err(At(i, "an Input node must not have incoming edges".into()));
                    }
                    e.op(&base, Op::Gather { axis: 0 }, &[*x, idx]).map_err(&err)?
                }
                Prep::Pass | Prep::Output => acc.ok_or_else(no_input)?,
                Prep::Affine(w, k) => {
                    let x = need(e, &[*k])?;
                    stateless::affine(e, &base, w, x).map_err(&err)?
                }
                Prep::Scale(w, shape) => {
                    let x = need(e, shape)?;
                    e.op(&base, Op::Mul, &[x, *w]).map_err(&err)?
                }
                Prep::Threshold(th, shape) => {
                    let x = need(e, shape)?;
                    stateless::threshold(e, &base, *th, x).map_err(&err)?
                }
                Prep::Neuron(c, st) => {
                    let y = neuron::step(e, &base, c, o, acc, st).map_err(&err)?;
                    if o.potentials {
                        if t == 0 {
                            pots.push((i, Vec::new()));
                        }
                        let v = st.v.expect("a step sets the potential");
                        pots.iter_mut().find(|(k, _)| *k == i).expect("pushed at t = 0").1.push(v);
                    }
                    y
                }
                Prep::Delay(taps, shape) => {
                    let mut sum = None;
                    for &(d, mask) in taps.iter() {
                        let Some(x) = (if t >= d { hist[i][t - d] } else { None }) else {
                            continue;
                        };
                        let x = match mask {
                            Some(m) => e.op(&base, Op::Mul, &[x, m]).map_err(&err)?,
                            None => x,
                        };
                        sum = e.add(&base, sum, Some(x)).map_err(&err)?;
                    }
                    match sum {
                        Some(y) => y,
                        None => e.zeros(&base, shape).map_err(&err)?,
                    }
                }
                Prep::Flatten(fl) => {
                    let x = acc.ok_or_else(no_input)?;
                    stateless::flatten(e, &base, fl, x).map_err(|m| At(i, m))?
                }
                Prep::Conv(c) => {
                    let x = acc.ok_or_else(no_input)?;
                    stateless::conv(e, &base, c, x).map_err(|m| At(i, m))?
                }
                Prep::Pool(p, spec) => {
                    let x = acc.ok_or_else(no_input)?;
                    stateless::pool(e, &base, p, spec, x).map_err(|m| At(i, m))?
                }
            };
            out[i].push(y);
        }
    }
    for i in 0..n {
        if let Prep::Output = prep[i] {
            let seq = sequence(e, &f.names[i], &out[i]).map_err(at(i))?;
            check_output(e, f, i, seq)?;
            e.g.add_output(seq).map_err(at(i))?;
        }
    }
    let mut named = Vec::new();
    for (i, vs) in pots {
        let seq = sequence(e, &format!("{}.v", f.names[i]), &vs).map_err(at(i))?;
        e.g.add_output(seq).map_err(at(i))?;
        named.push((i, vs));
    }
    Ok(named)
}

/// The steps' values `[B, ...]` joined into `[T, B, ...]`, called `name`.
fn sequence(e: &mut Emit, name: &str, steps: &[ValueId]) -> Result<ValueId, IrError> {
    let mut parts = Vec::with_capacity(steps.len());
    for &v in steps {
        parts.push(e.op(name, Op::Unsqueeze { axes: vec![0] }, &[v])?);
    }
    e.op_named(name, Op::Concat { axis: 0 }, &parts)
}

/// An Output's declared shape must hold as many elements as what reaches it (a differing
/// spelling of the same size, like Rockpool's `[1, 1, 1]` for `[1]`, is accepted).
fn check_output(e: &Emit, f: &Flat, i: usize, seq: ValueId) -> Result<(), At> {
    let FlatKind::Node(NodeKind::Output(o)) = f.kinds[i] else { return Ok(()) };
    let got = &e.g.ty(seq).shape[2..];
    let (a, b): (usize, usize) = (o.shape.iter().product(), got.iter().product());
    if a != b {
        return Err(At(i, format!("declares shape {:?} but receives {got:?}", o.shape)));
    }
    Ok(())
}
