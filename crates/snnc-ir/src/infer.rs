use crate::{broadcast_shapes, normalize_axis, DType, IafParams, Op, TensorType};

type Inputs<'a> = [Option<&'a TensorType>];

/// Infers the types of every output `op` can produce from its input types.
///
/// `inputs` has one entry per input slot (`None` for an omitted optional input). The error is a
/// message without node context; [`Graph::add_node`](crate::Graph::add_node) adds it.
pub fn infer_types(op: &Op, inputs: &Inputs) -> Result<Vec<TensorType>, String> {
    let (lo, _) = op.input_arity();
    for (i, t) in inputs.iter().enumerate().take(lo) {
        if t.is_none() && !matches!(op, Op::Concat { .. }) {
            return Err(format!("required input {i} is missing"));
        }
    }
    let ty = |i: usize| inputs[i].expect("required input checked above");
    let out = match op {
        Op::Gemm { trans_a, trans_b, .. } => {
            vec![gemm(ty(0), ty(1), inputs.get(2).copied().flatten(), *trans_a, *trans_b)?]
        }
        Op::MatMul => vec![matmul(ty(0), ty(1))?],
        Op::Add | Op::Sub | Op::Mul | Op::Div => {
            let (a, b) = (ty(0), ty(1));
            same_dtype(a, b)?;
            if a.dtype == DType::Bool {
                return Err("arithmetic on bool tensors".into());
            }
            vec![TensorType::new(a.dtype, broadcast(a, b)?)]
        }
        Op::Greater | Op::Less | Op::GreaterOrEqual | Op::LessOrEqual | Op::Equal => {
            let (a, b) = (ty(0), ty(1));
            same_dtype(a, b)?;
            vec![TensorType::new(DType::Bool, broadcast(a, b)?)]
        }
        Op::Max | Op::Min => {
            let (a, b) = (ty(0), ty(1));
            same_dtype(a, b)?;
            if a.dtype == DType::Bool {
                return Err("max/min of bool tensors".into());
            }
            vec![TensorType::new(a.dtype, broadcast(a, b)?)]
        }
        Op::Clip => vec![clip(inputs)?],
        Op::Not => {
            if ty(0).dtype != DType::Bool {
                return Err(format!("expects a bool tensor, got {}", ty(0)));
            }
            vec![ty(0).clone()]
        }
        Op::Abs | Op::Sign => {
            if ty(0).dtype == DType::Bool {
                return Err(format!("expects a number tensor, got {}", ty(0)));
            }
            vec![ty(0).clone()]
        }
        Op::Floor => vec![float(ty(0))?.clone()],
        Op::Slice(spec) => vec![TensorType::new(ty(0).dtype, spec.output_shape(&ty(0).shape)?)],
        Op::Neg | Op::Identity | Op::Detach => vec![ty(0).clone()],
        Op::Relu | Op::Sigmoid | Op::Tanh | Op::Spike { .. } => vec![float(ty(0))?.clone()],
        Op::Cast { to } => vec![TensorType::new(*to, ty(0).shape.clone())],
        Op::Where => {
            let (c, x, y) = (ty(0), ty(1), ty(2));
            if c.dtype != DType::Bool {
                return Err(format!("condition must be bool, got {c}"));
            }
            same_dtype(x, y)?;
            let s = broadcast_shapes(&c.shape, &x.shape)
                .and_then(|s| broadcast_shapes(&s, &y.shape))
                .ok_or_else(|| format!("cannot broadcast {c}, {x} and {y}"))?;
            vec![TensorType::new(x.dtype, s)]
        }
        Op::Gather { axis } => {
            let (d, i) = (ty(0), ty(1));
            if i.dtype != DType::I64 {
                return Err(format!("indices must be integers, got {i}"));
            }
            let a = axis_of(*axis, d.rank())?;
            let mut s = d.shape[..a].to_vec();
            s.extend_from_slice(&i.shape);
            s.extend_from_slice(&d.shape[a + 1..]);
            vec![TensorType::new(d.dtype, s)]
        }
        Op::Unsqueeze { axes } => {
            vec![TensorType::new(ty(0).dtype, unsqueeze(&ty(0).shape, axes)?)]
        }
        Op::Squeeze { axes } => vec![TensorType::new(ty(0).dtype, squeeze(&ty(0).shape, axes)?)],
        Op::Concat { axis } => vec![concat(inputs, *axis)?],
        Op::Reshape { shape } => vec![TensorType::new(ty(0).dtype, reshape(&ty(0).shape, shape)?)],
        Op::Transpose { perm } => vec![transpose(ty(0), perm)?],
        Op::Constant { value } => vec![value.tensor_type()],
        Op::Iaf(p) => {
            let mut out = iaf_seq(p, ty(0), inputs.get(1).copied().flatten())?;
            current(p, inputs, 2, &mut out)?;
            out
        }
        Op::IafRecurrent(p) => {
            let mut out = iaf_recurrent(p, inputs)?;
            current(p, inputs, 5, &mut out)?;
            out
        }
        Op::IafFeedForwardStep(p) => {
            let (x, v) = (float(ty(0))?, ty(1));
            rank(x, 2, "X")?;
            expect(v, x, "V")?;
            check_params(p, x.shape[1])?;
            let mut out = vec![x.clone(), x.clone()];
            current(p, inputs, 2, &mut out)?;
            out
        }
        Op::IafStep(p) => {
            let mut out = iaf_step(p, inputs)?;
            current(p, inputs, 5, &mut out)?;
            out
        }
        Op::Linear { trans_b } | Op::SpikeLinear { trans_b } => {
            vec![linear(ty(0), ty(1), inputs.get(2).copied().flatten(), *trans_b)?]
        }
        Op::Conv(spec) => vec![spec.infer(ty(0), ty(1), inputs.get(2).copied().flatten())?],
        Op::Pool(spec) => vec![spec.infer(ty(0))?],
        Op::SpikeReset(p) => {
            let v = float(ty(0))?;
            if v.rank() == 0 {
                return Err("V must have rank ≥ 1 (neurons on the last axis)".into());
            }
            p.check(v.shape[v.rank() - 1])?;
            vec![v.clone(), v.clone()]
        }
    };
    Ok(out)
}

fn float(t: &TensorType) -> Result<&TensorType, String> {
    if t.dtype.is_float() {
        Ok(t)
    } else {
        Err(format!("expects a float tensor, got {t}"))
    }
}

fn same_dtype(a: &TensorType, b: &TensorType) -> Result<(), String> {
    if a.dtype == b.dtype {
        Ok(())
    } else {
        Err(format!("input types differ: {a} and {b}"))
    }
}

fn broadcast(a: &TensorType, b: &TensorType) -> Result<Vec<usize>, String> {
    broadcast_shapes(&a.shape, &b.shape).ok_or_else(|| format!("cannot broadcast {a} with {b}"))
}

fn axis_of(axis: i64, rank: usize) -> Result<usize, String> {
    normalize_axis(axis, rank).ok_or_else(|| format!("axis {axis} is out of range for rank {rank}"))
}

fn rank(t: &TensorType, r: usize, what: &str) -> Result<(), String> {
    if t.rank() == r {
        Ok(())
    } else {
        Err(format!("{what} must have rank {r}, got {t}"))
    }
}

fn expect(t: &TensorType, want: &TensorType, what: &str) -> Result<(), String> {
    if t == want {
        Ok(())
    } else {
        Err(format!("{what} must be {want}, got {t}"))
    }
}

/// Clip's output: x's type; each bound present must have x's dtype and broadcast to x.
fn clip(inputs: &Inputs) -> Result<TensorType, String> {
    let x = inputs[0].expect("x");
    if x.dtype == DType::Bool {
        return Err(format!("expects a number tensor, got {x}"));
    }
    for (i, what) in [(1, "min"), (2, "max")] {
        if let Some(b) = inputs.get(i).copied().flatten() {
            same_dtype(x, b)?;
            if broadcast_shapes(&b.shape, &x.shape).as_deref() != Some(&x.shape[..]) {
                return Err(format!("{what} {b} does not broadcast to {x}"));
            }
        }
    }
    Ok(x.clone())
}

fn check_params(p: &IafParams, neurons: usize) -> Result<(), String> {
    p.check(neurons)
}

/// The synaptic current's state of a leaky cell: the optional input at `slot` (U0, or U of a
/// step op) has the state's type, the type of the potential output (`out[1]`), and the op gives
/// U_T as one more output. A cell without a current (α = 0) takes no such input.
fn current(
    p: &IafParams,
    inputs: &Inputs,
    slot: usize,
    out: &mut Vec<TensorType>,
) -> Result<(), String> {
    let u = inputs.get(slot).copied().flatten();
    let state = out[1].clone();
    if !p.leak.has_current() {
        return match u {
            Some(_) => Err(format!(
                "input {slot} (the synaptic current U) needs alpha_syn ≠ 0; this cell has no current"
            )),
            None => Ok(()),
        };
    }
    if let Some(u) = u {
        expect(u, &state, "U")?;
    }
    out.push(state);
    Ok(())
}

fn gemm(
    a: &TensorType,
    b: &TensorType,
    c: Option<&TensorType>,
    ta: bool,
    tb: bool,
) -> Result<TensorType, String> {
    float(a)?;
    same_dtype(a, b)?;
    rank(a, 2, "A")?;
    rank(b, 2, "B")?;
    let (m, k) = if ta { (a.shape[1], a.shape[0]) } else { (a.shape[0], a.shape[1]) };
    let (k2, n) = if tb { (b.shape[1], b.shape[0]) } else { (b.shape[0], b.shape[1]) };
    if k != k2 {
        return Err(format!(
            "inner dimensions differ: A is {a}, B is {b} (transA={ta}, transB={tb})"
        ));
    }
    if let Some(c) = c {
        same_dtype(a, c)?;
        match broadcast_shapes(&c.shape, &[m, n]) {
            Some(s) if s == [m, n] => {}
            _ => return Err(format!("C {c} does not broadcast to [{m},{n}]")),
        }
    }
    Ok(TensorType::new(a.dtype, vec![m, n]))
}

fn linear(
    x: &TensorType,
    w: &TensorType,
    bias: Option<&TensorType>,
    trans_b: bool,
) -> Result<TensorType, String> {
    float(x)?;
    same_dtype(x, w)?;
    if x.rank() == 0 {
        return Err("X must have rank ≥ 1 (features on the last axis)".into());
    }
    rank(w, 2, "W")?;
    let k = x.shape[x.rank() - 1];
    let (n, k2) = if trans_b { (w.shape[0], w.shape[1]) } else { (w.shape[1], w.shape[0]) };
    if k != k2 {
        return Err(format!("X {x} does not fit W {w} (trans_b={trans_b})"));
    }
    if let Some(b) = bias {
        expect(b, &TensorType::new(x.dtype, vec![n]), "bias")?;
    }
    let mut s = x.shape.clone();
    *s.last_mut().expect("rank ≥ 1") = n;
    Ok(TensorType::new(x.dtype, s))
}

fn matmul(a: &TensorType, b: &TensorType) -> Result<TensorType, String> {
    float(a)?;
    same_dtype(a, b)?;
    if a.rank() == 0 || b.rank() == 0 {
        return Err("MatMul inputs must have rank ≥ 1".into());
    }
    let mut sa = a.shape.clone();
    let mut sb = b.shape.clone();
    let (va, vb) = (sa.len() == 1, sb.len() == 1);
    if va {
        sa.insert(0, 1);
    }
    if vb {
        sb.push(1);
    }
    let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
    let (k2, n) = (sb[sb.len() - 2], sb[sb.len() - 1]);
    if k != k2 {
        return Err(format!("inner dimensions differ: {a} @ {b}"));
    }
    let batch = broadcast_shapes(&sa[..sa.len() - 2], &sb[..sb.len() - 2])
        .ok_or_else(|| format!("batch dimensions do not broadcast: {a} @ {b}"))?;
    let mut s = batch;
    if !va {
        s.push(m);
    }
    if !vb {
        s.push(n);
    }
    Ok(TensorType::new(a.dtype, s))
}

fn unsqueeze(shape: &[usize], axes: &[i64]) -> Result<Vec<usize>, String> {
    let r = shape.len() + axes.len();
    let mut norm = Vec::with_capacity(axes.len());
    for &a in axes {
        let n = axis_of(a, r)?;
        if norm.contains(&n) {
            return Err(format!("axis {a} is repeated"));
        }
        norm.push(n);
    }
    let mut src = shape.iter();
    Ok((0..r).map(|i| if norm.contains(&i) { 1 } else { *src.next().expect("rank") }).collect())
}

fn squeeze(shape: &[usize], axes: &[i64]) -> Result<Vec<usize>, String> {
    if axes.is_empty() {
        return Ok(shape.iter().copied().filter(|&d| d != 1).collect());
    }
    let mut drop = Vec::with_capacity(axes.len());
    for &a in axes {
        let n = axis_of(a, shape.len())?;
        if shape[n] != 1 {
            return Err(format!("cannot squeeze axis {a} of size {}", shape[n]));
        }
        drop.push(n);
    }
    Ok(shape.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, &d)| d).collect())
}

fn concat(inputs: &Inputs, axis: i64) -> Result<TensorType, String> {
    let first = inputs.first().copied().flatten().ok_or("Concat needs at least one input")?;
    let a = axis_of(axis, first.rank())?;
    let mut out = first.clone();
    out.shape[a] = 0;
    for t in inputs {
        let t = t.ok_or("Concat inputs cannot be omitted")?;
        same_dtype(first, t)?;
        let same = t.rank() == first.rank()
            && t.shape.iter().zip(&first.shape).enumerate().all(|(i, (x, y))| i == a || x == y);
        if !same {
            return Err(format!("cannot concatenate {first} and {t} on axis {axis}"));
        }
        out.shape[a] += t.shape[a];
    }
    Ok(out)
}

fn reshape(shape: &[usize], target: &[i64]) -> Result<Vec<usize>, String> {
    let total: usize = shape.iter().product();
    let mut out = Vec::with_capacity(target.len());
    let mut infer_at = None;
    for (i, &d) in target.iter().enumerate() {
        match d {
            -1 if infer_at.is_none() => {
                infer_at = Some(i);
                out.push(1);
            }
            -1 => return Err("more than one -1 in the target shape".into()),
            0 => out.push(*shape.get(i).ok_or("0 refers past the input rank")?),
            d if d > 0 => out.push(d as usize),
            d => return Err(format!("invalid target dimension {d}")),
        }
    }
    let known: usize = out.iter().product();
    if let Some(i) = infer_at {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(format!("cannot reshape {shape:?} to {target:?}"));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(format!("cannot reshape {shape:?} ({total} elements) to {target:?}"));
    }
    Ok(out)
}

fn transpose(t: &TensorType, perm: &[usize]) -> Result<TensorType, String> {
    let r = t.rank();
    let perm: Vec<usize> = if perm.is_empty() { (0..r).rev().collect() } else { perm.to_vec() };
    let mut seen = vec![false; r];
    if perm.len() != r || perm.iter().any(|&p| p >= r || std::mem::replace(&mut seen[p], true)) {
        return Err(format!("perm {perm:?} is not a permutation of rank {r}"));
    }
    Ok(TensorType::new(t.dtype, perm.iter().map(|&p| t.shape[p]).collect()))
}

fn iaf_seq(
    p: &IafParams,
    x: &TensorType,
    v0: Option<&TensorType>,
) -> Result<Vec<TensorType>, String> {
    float(x)?;
    rank(x, 3, "X")?;
    let (b, n) = (x.shape[1], x.shape[2]);
    let state = TensorType::new(x.dtype, vec![b, n]);
    if let Some(v0) = v0 {
        expect(v0, &state, "V0")?;
    }
    check_params(p, n)?;
    Ok(vec![x.clone(), state])
}

fn iaf_recurrent(p: &IafParams, inputs: &Inputs) -> Result<Vec<TensorType>, String> {
    let (x, w, r) = (inputs[0].expect("x"), inputs[1].expect("w"), inputs[2].expect("r"));
    float(x)?;
    rank(x, 3, "X")?;
    rank(w, 2, "W")?;
    let (t, b, i) = (x.shape[0], x.shape[1], x.shape[2]);
    let h = w.shape[0];
    expect(w, &TensorType::new(x.dtype, vec![h, i]), "W")?;
    expect(r, &TensorType::new(x.dtype, vec![h, h]), "R")?;
    let state = TensorType::new(x.dtype, vec![b, h]);
    for (k, what) in [(3, "V0"), (4, "Z0")] {
        if let Some(s) = inputs.get(k).copied().flatten() {
            expect(s, &state, what)?;
        }
    }
    check_params(p, h)?;
    Ok(vec![TensorType::new(x.dtype, vec![t, b, h]), state.clone(), state])
}

fn iaf_step(p: &IafParams, inputs: &Inputs) -> Result<Vec<TensorType>, String> {
    let x = float(inputs[0].expect("x"))?;
    let (z, v, w, r) = (
        inputs[1].expect("z"),
        inputs[2].expect("v"),
        inputs[3].expect("w"),
        inputs[4].expect("r"),
    );
    rank(x, 2, "X")?;
    rank(w, 2, "W")?;
    let (b, i, h) = (x.shape[0], x.shape[1], w.shape[0]);
    let state = TensorType::new(x.dtype, vec![b, h]);
    expect(w, &TensorType::new(x.dtype, vec![h, i]), "W")?;
    expect(r, &TensorType::new(x.dtype, vec![h, h]), "R")?;
    expect(z, &state, "Z")?;
    expect(v, &state, "V")?;
    check_params(p, h)?;
    Ok(vec![state.clone(), state])
}
