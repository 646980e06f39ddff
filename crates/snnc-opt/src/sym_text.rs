//! The s-expression spelling of operators, used by rule patterns and test goals.
//!
//! An operator is its lower-case name, then its attributes separated by `:` (lists by `,`):
//! `add`, `gather:0`, `unsqueeze:0`, `gemm:1:1:0:1` (alpha, beta, transA, transB),
//! `linear:t` / `linear:n` (W stored [N,K] or [K,N]), `cast:f32`, `spike:super:100` (`spikege:super:100` for [x ≥ 0]),
//! `spikereset:1:0:super:100` (v_th, v_reset, method, alpha), `iaf:itf:1:0:super:100` (order
//! first; also `iafrec`, `ffstep`, `recstep`; a leaky cell also spells its family and then
//! `leak:α:β:γ:v_leak:after|before`, e.g. `ffstep:itf:1:0:super:100:gt:value:attached:single:leak:0:0.5:0.5:0:after`;
//! a cell with its own reset amount ends in `amount:d`, after its family and any leak),
//! `proj:1`, and the leaves `input:0`, `init:3`, `const:2`, `absent`.

use std::fmt;
use std::str::FromStr;

use snnc_ir::{ConvSpec, DType, Method, Order, PoolKind, PoolSpec, SliceSpec, Threshold, VOut};

use snnc_ir::Family;

use crate::sym::{Bits, Neuron, Sg, Sym};

fn list<T: fmt::Display>(v: &[T]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

fn floats(v: &[Bits]) -> String {
    list(&v.iter().map(|b| b.get()).collect::<Vec<_>>())
}

fn order(o: Order) -> &'static str {
    match o {
        Order::IntegrateThenFire => "itf",
        Order::FireThenIntegrate => "fti",
    }
}

fn flag(b: bool) -> &'static str {
    if b {
        "t"
    } else {
        "n"
    }
}

/// The neuron's fields; the family's four choices follow only when they are not Norse's.
fn neuron(n: &Neuron) -> String {
    let mut s = format!(
        "{}:{}:{}:{}",
        floats(&n.v_th),
        floats(&n.v_reset),
        n.sg.method.name(),
        n.sg.alpha.get()
    );
    let f = n.family;
    if !f.is_norse() || !n.is_if() || n.amount.is_some() {
        s.push_str(&format!(":{}:{}:{}:{}", f.threshold, f.reset, f.reset_grad, f.spikes));
    }
    if !n.is_if() {
        let ([a, b, g, vl], v_out) = &n.leak;
        let vo = if *v_out == VOut::BeforeReset { "before" } else { "after" };
        s.push_str(&format!(":leak:{}:{}:{}:{}:{vo}", floats(a), floats(b), floats(g), floats(vl)));
    }
    if let Some(d) = &n.amount {
        s.push_str(&format!(":amount:{}", floats(d)));
    }
    s
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Sym::Input(i) => format!("input:{i}"),
            Sym::Init(i) => format!("init:{i}"),
            Sym::Const(i) => format!("const:{i}"),
            Sym::Absent => "absent".into(),
            Sym::Proj(i) => format!("proj:{i}"),
            Sym::Add => "add".into(),
            Sym::Sub => "sub".into(),
            Sym::Mul => "mul".into(),
            Sym::Div => "div".into(),
            Sym::Neg => "neg".into(),
            Sym::Greater => "greater".into(),
            Sym::Less => "less".into(),
            Sym::GreaterOrEqual => "greaterorequal".into(),
            Sym::LessOrEqual => "lessorequal".into(),
            Sym::Equal => "equal".into(),
            Sym::Not => "not".into(),
            Sym::Abs => "abs".into(),
            Sym::Sign => "sign".into(),
            Sym::Floor => "floor".into(),
            Sym::Max => "max".into(),
            Sym::Min => "min".into(),
            Sym::Clip => "clip".into(),
            Sym::Slice(sp) => {
                format!(
                    "slice:{}:{}:{}:{}",
                    list(&sp.starts),
                    list(&sp.ends),
                    list(&sp.axes),
                    list(&sp.steps)
                )
            }
            Sym::Where => "where".into(),
            Sym::MatMul => "matmul".into(),
            Sym::Identity => "identity".into(),
            Sym::Detach => "detach".into(),
            Sym::Relu => "relu".into(),
            Sym::Sigmoid => "sigmoid".into(),
            Sym::Tanh => "tanh".into(),
            Sym::Cast(t) => format!("cast:{t}"),
            Sym::Gather(a) => format!("gather:{a}"),
            Sym::Unsqueeze(a) => format!("unsqueeze:{}", list(a)),
            Sym::Squeeze(a) => format!("squeeze:{}", list(a)),
            Sym::Concat(a) => format!("concat:{a}"),
            Sym::Reshape(s) => format!("reshape:{}", list(s)),
            Sym::Transpose(p) => format!("transpose:{}", list(p)),
            Sym::Conv(c) => format!(
                "conv:{}:{}:{}:{}",
                list(&c.strides),
                list(&c.pads),
                list(&c.dilations),
                c.group
            ),
            Sym::Pool(p) => {
                let kind = match p.kind {
                    PoolKind::Sum => "sum",
                    PoolKind::Avg { count_include_pad: true } => "avgpad",
                    PoolKind::Avg { count_include_pad: false } => "avg",
                    PoolKind::Max => "max",
                };
                format!("pool:{kind}:{}:{}:{}", list(&p.kernel), list(&p.strides), list(&p.pads))
            }
            Sym::Gemm { alpha, beta, trans_a, trans_b } => format!(
                "gemm:{}:{}:{}:{}",
                alpha.get(),
                beta.get(),
                u8::from(*trans_a),
                u8::from(*trans_b)
            ),
            Sym::Linear { trans_b } => format!("linear:{}", flag(*trans_b)),
            Sym::SpikeLinear { trans_b } => format!("spikelinear:{}", flag(*trans_b)),
            Sym::Spike(sg, th) => {
                let name = if *th == Threshold::Ge { "spikege" } else { "spike" };
                format!("{name}:{}:{}", sg.method.name(), sg.alpha.get())
            }
            Sym::SpikeReset(n) => format!("spikereset:{}", neuron(n)),
            Sym::Iaf(n, o) => format!("iaf:{}:{}", order(*o), neuron(n)),
            Sym::IafRecurrent(n, o) => format!("iafrec:{}:{}", order(*o), neuron(n)),
            Sym::FfStep(n, o) => format!("ffstep:{}:{}", order(*o), neuron(n)),
            Sym::RecStep(n, o) => format!("recstep:{}:{}", order(*o), neuron(n)),
        };
        f.write_str(&s)
    }
}

/// Parsing state over the `:`-separated attribute fields.
struct Fields<'a>(std::str::Split<'a, char>);

impl<'a> Fields<'a> {
    fn next(&mut self) -> Result<&'a str, String> {
        self.0.next().ok_or_else(|| "missing attribute".to_string())
    }

    fn parse<T: FromStr>(&mut self) -> Result<T, String> {
        let s = self.next()?;
        s.parse().map_err(|_| format!("bad attribute '{s}'"))
    }

    fn list<T: FromStr>(&mut self) -> Result<Vec<T>, String> {
        let s = self.next()?;
        if s.is_empty() {
            return Ok(Vec::new());
        }
        s.split(',').map(|x| x.parse().map_err(|_| format!("bad list item '{x}'"))).collect()
    }

    fn bits(&mut self) -> Result<Vec<Bits>, String> {
        Ok(self.list::<f32>()?.into_iter().map(Bits::of).collect())
    }

    fn flag(&mut self) -> Result<bool, String> {
        match self.next()? {
            "t" | "1" | "true" => Ok(true),
            "n" | "0" | "false" => Ok(false),
            s => Err(format!("bad flag '{s}'")),
        }
    }

    fn sg(&mut self) -> Result<Sg, String> {
        let method: Method = self.next()?.parse()?;
        Ok(Sg { method, alpha: Bits::of(self.parse()?) })
    }

    fn order(&mut self) -> Result<Order, String> {
        match self.next()? {
            "itf" => Ok(Order::IntegrateThenFire),
            "fti" => Ok(Order::FireThenIntegrate),
            s => Err(format!("bad order '{s}'")),
        }
    }

    /// A neuron, last in its operator: the family's choices are Norse's unless four more
    /// fields follow, and the leak the IF cell's unless `leak` and its five fields follow
    /// (α, β, γ, v_leak, `after` or `before`), and the reset amount v_th unless `amount` and
    /// its values follow.
    fn neuron(&mut self) -> Result<Neuron, String> {
        let (v_th, v_reset, sg) = (self.bits()?, self.bits()?, self.sg()?);
        let family = match self.0.next() {
            None => Family::NORSE,
            Some(t) => Family {
                threshold: t.parse()?,
                reset: self.next()?.parse()?,
                reset_grad: self.next()?.parse()?,
                spikes: self.next()?.parse()?,
            },
        };
        let mut tag = self.0.next();
        let leak = match tag {
            None | Some("amount") => Neuron::if_leak(),
            Some("leak") => {
                let p = [self.bits()?, self.bits()?, self.bits()?, self.bits()?];
                let v_out = match self.next()? {
                    "after" => VOut::AfterReset,
                    "before" => VOut::BeforeReset,
                    s => return Err(format!("bad v_out '{s}'")),
                };
                tag = self.0.next();
                (p, v_out)
            }
            Some(s) => return Err(format!("expected 'leak' or 'amount', got '{s}'")),
        };
        let amount = match tag {
            None => None,
            Some("amount") => Some(self.bits()?),
            Some(s) => return Err(format!("expected 'amount', got '{s}'")),
        };
        Ok(Neuron { v_th, v_reset, sg, family, leak, amount })
    }
}

impl FromStr for Sym {
    type Err = String;

    /// Parses the spelling [`Sym`]'s `Display` writes.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split(':');
        let name = parts.next().unwrap_or_default();
        let mut a = Fields(parts);
        let sym = match name {
            "input" => Sym::Input(a.parse()?),
            "init" => Sym::Init(a.parse()?),
            "const" => Sym::Const(a.parse()?),
            "absent" => Sym::Absent,
            "proj" => Sym::Proj(a.parse()?),
            "add" => Sym::Add,
            "sub" => Sym::Sub,
            "mul" => Sym::Mul,
            "div" => Sym::Div,
            "neg" => Sym::Neg,
            "greater" => Sym::Greater,
            "less" => Sym::Less,
            "greaterorequal" => Sym::GreaterOrEqual,
            "lessorequal" => Sym::LessOrEqual,
            "equal" => Sym::Equal,
            "not" => Sym::Not,
            "abs" => Sym::Abs,
            "sign" => Sym::Sign,
            "floor" => Sym::Floor,
            "max" => Sym::Max,
            "min" => Sym::Min,
            "clip" => Sym::Clip,
            "slice" => Sym::Slice(SliceSpec {
                starts: a.list()?,
                ends: a.list()?,
                axes: a.list()?,
                steps: a.list()?,
            }),
            "where" => Sym::Where,
            "matmul" => Sym::MatMul,
            "identity" => Sym::Identity,
            "detach" => Sym::Detach,
            "relu" => Sym::Relu,
            "sigmoid" => Sym::Sigmoid,
            "tanh" => Sym::Tanh,
            "cast" => Sym::Cast(a.next()?.parse::<DType>()?),
            "gather" => Sym::Gather(a.parse()?),
            "unsqueeze" => Sym::Unsqueeze(a.list()?),
            "squeeze" => Sym::Squeeze(a.list()?),
            "concat" => Sym::Concat(a.parse()?),
            "reshape" => Sym::Reshape(a.list()?),
            "transpose" => Sym::Transpose(a.list()?),
            "conv" => Sym::Conv(ConvSpec {
                strides: a.list()?,
                pads: a.list()?,
                dilations: a.list()?,
                group: a.parse()?,
            }),
            "pool" => {
                let kind = match a.next()? {
                    "sum" => PoolKind::Sum,
                    "avgpad" => PoolKind::Avg { count_include_pad: true },
                    "avg" => PoolKind::Avg { count_include_pad: false },
                    "max" => PoolKind::Max,
                    k => return Err(format!("unknown pool kind '{k}'")),
                };
                Sym::Pool(PoolSpec { kind, kernel: a.list()?, strides: a.list()?, pads: a.list()? })
            }
            "gemm" => Sym::Gemm {
                alpha: Bits::of(a.parse()?),
                beta: Bits::of(a.parse()?),
                trans_a: a.flag()?,
                trans_b: a.flag()?,
            },
            "linear" => Sym::Linear { trans_b: a.flag()? },
            "spikelinear" => Sym::SpikeLinear { trans_b: a.flag()? },
            "spike" => Sym::Spike(a.sg()?, Threshold::Gt),
            "spikege" => Sym::Spike(a.sg()?, Threshold::Ge),
            "spikereset" => Sym::SpikeReset(a.neuron()?),
            "iaf" => {
                let o = a.order()?;
                Sym::Iaf(a.neuron()?, o)
            }
            "iafrec" => {
                let o = a.order()?;
                Sym::IafRecurrent(a.neuron()?, o)
            }
            "ffstep" => {
                let o = a.order()?;
                Sym::FfStep(a.neuron()?, o)
            }
            "recstep" => {
                let o = a.order()?;
                Sym::RecStep(a.neuron()?, o)
            }
            other => return Err(format!("unknown operator '{other}'")),
        };
        if a.0.next().is_some() {
            return Err(format!("too many attributes in '{s}'"));
        }
        Ok(sym)
    }
}
