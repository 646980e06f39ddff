//! The op table: names, accepted attributes, defaults, and building an [`Op`].

use std::str::FromStr;

use snnc_ir::{
    ConvSpec, DType, Family, IafParams, Leak, Method, Op, Order, PoolKind, PoolSpec, ResetParams,
    SliceSpec, Surrogate, VOut,
};

use crate::attrs::{Attr, Val};
use crate::error::{PResult, Pos};
use crate::numbers::{parse_f32, parse_i64};

/// Every op name the text IR knows, as printed.
pub const OP_NAMES: &[&str] = &[
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "Greater",
    "Less",
    "GreaterOrEqual",
    "LessOrEqual",
    "Equal",
    "Not",
    "Abs",
    "Sign",
    "Floor",
    "Max",
    "Min",
    "Clip",
    "Slice",
    "Cast",
    "Where",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Reshape",
    "Transpose",
    "Constant",
    "Identity",
    "Detach",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Conv",
    "SumPool",
    "AveragePool",
    "MaxPool",
    "Spike",
    "IAF",
    "IAFRecurrent",
    "IAFFeedForwardStep",
    "IAFStep",
    "Linear",
    "SpikeLinear",
    "SpikeReset",
];

const IAF_ATTRS: &[&str] = &[
    "v_th",
    "v_reset",
    "method",
    "alpha",
    "order",
    "surrogate",
    "threshold",
    "reset",
    "reset_grad",
    "spikes",
    "alpha_syn",
    "beta",
    "gamma",
    "v_leak",
    "v_out",
    "reset_amount",
];
const RESET_ATTRS: &[&str] = &[
    "v_th",
    "v_reset",
    "method",
    "alpha",
    "surrogate",
    "threshold",
    "reset",
    "reset_grad",
    "spikes",
    "reset_amount",
];

/// The attributes `op` accepts, or `None` for an unknown op.
pub(crate) fn known_attrs(op: &str) -> Option<&'static [&'static str]> {
    Some(match op {
        "Gemm" => &["alpha", "beta", "trans_a", "trans_b"],
        "MatMul" | "Add" | "Sub" | "Mul" | "Div" | "Neg" | "Greater" | "Less" | "Where"
        | "Identity" | "Detach" | "Relu" | "Sigmoid" | "Tanh" | "GreaterOrEqual"
        | "LessOrEqual" | "Equal" | "Not" | "Abs" | "Sign" | "Floor" | "Max" | "Min" | "Clip" => {
            &[]
        }
        "Slice" => &["starts", "ends", "axes", "steps"],
        "Cast" => &["to"],
        "Gather" | "Concat" => &["axis"],
        "Unsqueeze" | "Squeeze" => &["axes"],
        "Reshape" => &["shape"],
        "Transpose" => &["perm"],
        "Constant" => &["value"],
        "Conv" => &["strides", "pads", "dilations", "group"],
        "SumPool" | "MaxPool" => &["kernel_shape", "strides", "pads"],
        "AveragePool" => &["kernel_shape", "strides", "pads", "count_include_pad"],
        "Spike" => &["method", "alpha", "surrogate"],
        "IAF" | "IAFRecurrent" | "IAFFeedForwardStep" | "IAFStep" => IAF_ATTRS,
        "Linear" | "SpikeLinear" => &["trans_b"],
        "SpikeReset" => RESET_ATTRS,
        _ => return None,
    })
}

/// The message for an unknown op name.
pub(crate) fn unknown_op(op: &str) -> String {
    format!("unknown op '{op}' (known ops: {})", OP_NAMES.join(", "))
}

/// The attributes of one node, consumed by name while the op is built.
struct Attrs<'a> {
    items: Vec<Attr<'a>>,
    op_pos: Pos,
}

fn f32_of(s: &str, pos: Pos, name: &str) -> PResult<f32> {
    parse_f32(s).ok_or_else(|| (pos, format!("'{name}' expects a number, got {s}")))
}

impl<'a> Attrs<'a> {
    fn take(&mut self, name: &str) -> Option<Attr<'a>> {
        let i = self.items.iter().position(|a| a.name == name)?;
        Some(self.items.swap_remove(i))
    }

    fn missing(&self, name: &str) -> (Pos, String) {
        (self.op_pos, format!("missing attribute '{name}'"))
    }

    fn float(&mut self, name: &str, default: f32) -> PResult<f32> {
        match self.take(name) {
            None => Ok(default),
            Some(Attr { val: Val::Num(s), vpos, .. }) => f32_of(s, vpos, name),
            Some(a) => Err((a.vpos, format!("'{name}' expects a number"))),
        }
    }

    fn floats(&mut self, name: &str, default: f32) -> PResult<Vec<f32>> {
        match self.take(name) {
            None => Ok(vec![default]),
            Some(Attr { val: Val::Num(s), vpos, .. }) => Ok(vec![f32_of(s, vpos, name)?]),
            Some(Attr { val: Val::List(v), .. }) => {
                v.iter().map(|&(s, p)| f32_of(s, p, name)).collect()
            }
            Some(a) => Err((a.vpos, format!("'{name}' expects a number or a list of numbers"))),
        }
    }

    fn boolean(&mut self, name: &str) -> PResult<bool> {
        self.boolean_or(name, false)
    }

    fn boolean_or(&mut self, name: &str, default: bool) -> PResult<bool> {
        match self.take(name) {
            None => Ok(default),
            Some(Attr { val: Val::Bool(b), .. }) => Ok(b),
            Some(a) => Err((a.vpos, format!("'{name}' expects true or false"))),
        }
    }

    fn int(&mut self, name: &str, default: Option<i64>) -> PResult<i64> {
        match self.take(name) {
            None => default.ok_or_else(|| self.missing(name)),
            Some(Attr { val: Val::Num(s), vpos, .. }) => {
                parse_i64(s).ok_or_else(|| (vpos, format!("'{name}' expects an integer, got {s}")))
            }
            Some(a) => Err((a.vpos, format!("'{name}' expects an integer"))),
        }
    }

    fn ints(&mut self, name: &str, default: Option<Vec<i64>>) -> PResult<Vec<i64>> {
        match self.take(name) {
            None => default.ok_or_else(|| self.missing(name)),
            Some(Attr { val: Val::List(v), .. }) => v
                .iter()
                .map(|&(s, p)| {
                    parse_i64(s).ok_or_else(|| (p, format!("'{name}' expects integers, got {s}")))
                })
                .collect(),
            Some(a) => Err((a.vpos, format!("'{name}' expects a list of integers, as in [0, 1]"))),
        }
    }

    /// A list of non-negative integers (`default` when absent).
    fn sizes(&mut self, name: &str, default: Option<Vec<usize>>) -> PResult<Vec<usize>> {
        let pos = self.items.iter().find(|x| x.name == name).map_or(self.op_pos, |x| x.vpos);
        let v = self.ints(name, default.map(|d| d.iter().map(|&x| x as i64).collect()))?;
        v.into_iter()
            .map(usize::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| (pos, format!("'{name}' must not be negative")))
    }

    fn pool(&mut self, kind: PoolKind) -> PResult<Op> {
        Ok(Op::Pool(PoolSpec {
            kind,
            kernel: self.sizes("kernel_shape", None)?,
            strides: self.sizes("strides", Some(Vec::new()))?,
            pads: self.sizes("pads", Some(Vec::new()))?,
        }))
    }

    fn string(&mut self, name: &str) -> PResult<Option<(String, Pos)>> {
        match self.take(name) {
            None => Ok(None),
            Some(Attr { val: Val::Str(s), vpos, .. }) => Ok(Some((s, vpos))),
            Some(a) => Err((a.vpos, format!("'{name}' expects a string in double quotes"))),
        }
    }

    fn surrogate(&mut self) -> PResult<Surrogate> {
        let method = self.string("method")?;
        let alpha_pos = self.items.iter().find(|a| a.name == "alpha").map(|a| a.vpos);
        let alpha = self.float("alpha", 100.0)?;
        if let Some((s, pos)) = self.string("surrogate")? {
            if method.is_some() || alpha_pos.is_some() {
                return Err((pos, "give either 'surrogate' or 'method'/'alpha', not both".into()));
            }
            return Surrogate::from_str(&s).map_err(|m| (pos, m));
        }
        let m = match method {
            Some((s, pos)) => Method::from_str(&s).map_err(|m| (pos, m))?,
            None => Method::Super,
        };
        Surrogate::new(m, alpha).map_err(|m| (alpha_pos.unwrap_or(self.op_pos), m))
    }

    fn iaf(&mut self) -> PResult<IafParams> {
        let v_th = self.floats("v_th", 1.0)?;
        let v_reset = self.floats("v_reset", 0.0)?;
        let surrogate = self.surrogate()?;
        let order = self.choice("order", Order::FireThenIntegrate)?;
        let family = self.family()?;
        let leak = Leak {
            alpha: self.floats("alpha_syn", 0.0)?,
            beta: self.floats("beta", 1.0)?,
            gamma: self.floats("gamma", 1.0)?,
            v_leak: self.floats("v_leak", 0.0)?,
        };
        let v_out = self.choice("v_out", VOut::AfterReset)?;
        let reset_amount = self.amount()?;
        Ok(IafParams { v_th, v_reset, surrogate, order, family, leak, v_out, reset_amount })
    }

    fn reset(&mut self) -> PResult<ResetParams> {
        let v_th = self.floats("v_th", 1.0)?;
        let v_reset = self.floats("v_reset", 0.0)?;
        let surrogate = self.surrogate()?;
        let family = self.family()?;
        let reset_amount = self.amount()?;
        Ok(ResetParams { v_th, v_reset, surrogate, family, reset_amount })
    }

    /// `reset_amount`, absent (the reset removes v_th) when not given.
    fn amount(&mut self) -> PResult<Option<Vec<f32>>> {
        if self.items.iter().any(|a| a.name == "reset_amount") {
            Ok(Some(self.floats("reset_amount", 0.0)?))
        } else {
            Ok(None)
        }
    }

    /// The string attribute `name` parsed as `T`, or `default` when absent.
    fn choice<T: FromStr<Err = String>>(&mut self, name: &str, default: T) -> PResult<T> {
        match self.string(name)? {
            Some((s, pos)) => T::from_str(&s).map_err(|m| (pos, m)),
            None => Ok(default),
        }
    }

    /// The family's four choices (SPEC §1.1), Norse's where absent; they must go together.
    fn family(&mut self) -> PResult<Family> {
        let d = Family::default();
        let family = Family {
            threshold: self.choice("threshold", d.threshold)?,
            reset: self.choice("reset", d.reset)?,
            reset_grad: self.choice("reset_grad", d.reset_grad)?,
            spikes: self.choice("spikes", d.spikes)?,
        };
        family.check().map_err(|m| (self.op_pos, m))?;
        Ok(family)
    }
}

/// Builds the op named `op` (a known name) from its attributes, applying defaults.
pub(crate) fn build_op(op: &str, op_pos: Pos, items: Vec<Attr>) -> PResult<Op> {
    let mut a = Attrs { items, op_pos };
    Ok(match op {
        "Gemm" => Op::Gemm {
            alpha: a.float("alpha", 1.0)?,
            beta: a.float("beta", 1.0)?,
            trans_a: a.boolean("trans_a")?,
            trans_b: a.boolean("trans_b")?,
        },
        "MatMul" => Op::MatMul,
        "Add" => Op::Add,
        "Sub" => Op::Sub,
        "Mul" => Op::Mul,
        "Div" => Op::Div,
        "Neg" => Op::Neg,
        "Greater" => Op::Greater,
        "Less" => Op::Less,
        "GreaterOrEqual" => Op::GreaterOrEqual,
        "LessOrEqual" => Op::LessOrEqual,
        "Equal" => Op::Equal,
        "Not" => Op::Not,
        "Abs" => Op::Abs,
        "Sign" => Op::Sign,
        "Floor" => Op::Floor,
        "Max" => Op::Max,
        "Min" => Op::Min,
        "Clip" => Op::Clip,
        "Slice" => Op::Slice(SliceSpec {
            starts: a.ints("starts", None)?,
            ends: a.ints("ends", None)?,
            axes: a.ints("axes", Some(Vec::new()))?,
            steps: a.ints("steps", Some(Vec::new()))?,
        }),
        "Where" => Op::Where,
        "Identity" => Op::Identity,
        "Detach" => Op::Detach,
        "Relu" => Op::Relu,
        "Sigmoid" => Op::Sigmoid,
        "Tanh" => Op::Tanh,
        "Cast" => {
            let (s, pos) = a.string("to")?.ok_or_else(|| a.missing("to"))?;
            Op::Cast { to: DType::from_str(&s).map_err(|m| (pos, m))? }
        }
        "Gather" => Op::Gather { axis: a.int("axis", Some(0))? },
        "Concat" => Op::Concat { axis: a.int("axis", None)? },
        "Unsqueeze" => Op::Unsqueeze { axes: a.ints("axes", None)? },
        "Squeeze" => Op::Squeeze { axes: a.ints("axes", Some(Vec::new()))? },
        "Reshape" => Op::Reshape { shape: a.ints("shape", None)? },
        "Transpose" => {
            let pos = a.items.iter().find(|x| x.name == "perm").map_or(op_pos, |x| x.vpos);
            let perm = a.ints("perm", Some(Vec::new()))?;
            let perm = perm.into_iter().map(usize::try_from).collect::<Result<Vec<_>, _>>();
            Op::Transpose { perm: perm.map_err(|_| (pos, "'perm' must not be negative".into()))? }
        }
        "Constant" => match a.take("value") {
            Some(Attr { val: Val::Tensor(t), .. }) => Op::Constant { value: t },
            Some(x) => {
                return Err((
                    x.vpos,
                    "'value' expects a typed tensor, as in f32[2] [1.0, 2.0]".into(),
                ))
            }
            None => return Err(a.missing("value")),
        },
        "Spike" => Op::Spike { surrogate: a.surrogate()? },
        "Conv" => {
            let strides = a.sizes("strides", Some(Vec::new()))?;
            let pads = a.sizes("pads", Some(Vec::new()))?;
            let dilations = a.sizes("dilations", Some(Vec::new()))?;
            let pos = a.items.iter().find(|x| x.name == "group").map_or(op_pos, |x| x.vpos);
            let group = usize::try_from(a.int("group", Some(1))?)
                .map_err(|_| (pos, "'group' must not be negative".to_string()))?;
            Op::Conv(ConvSpec { strides, pads, dilations, group })
        }
        "SumPool" => a.pool(PoolKind::Sum)?,
        "MaxPool" => a.pool(PoolKind::Max)?,
        "AveragePool" => {
            let count_include_pad = a.boolean("count_include_pad")?;
            a.pool(PoolKind::Avg { count_include_pad })?
        }
        "IAF" => Op::Iaf(a.iaf()?),
        "IAFRecurrent" => Op::IafRecurrent(a.iaf()?),
        "IAFFeedForwardStep" => Op::IafFeedForwardStep(a.iaf()?),
        "IAFStep" => Op::IafStep(a.iaf()?),
        "Linear" => Op::Linear { trans_b: a.boolean_or("trans_b", true)? },
        "SpikeLinear" => Op::SpikeLinear { trans_b: a.boolean_or("trans_b", true)? },
        "SpikeReset" => Op::SpikeReset(a.reset()?),
        other => return Err((op_pos, unknown_op(other))),
    })
}
