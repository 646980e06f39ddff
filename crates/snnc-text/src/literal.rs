//! Inline tensor literals: nested brackets following the shape, or one flat list, or (for a
//! rank-0 tensor) a bare element. Parsed with an explicit stack, never by recursion.

use std::fmt::Write;
use std::str::FromStr;

use ndarray::{ArrayD, IxDyn};
use snnc_ir::{DType, Tensor, TensorType, MAX_ELEMENTS};

use crate::error::{PResult, Pos};
use crate::lexer::{describe, Tok};
use crate::numbers::{fmt_f32, fmt_f64, parse_f32, parse_f64, parse_i64};
use crate::parser::Parser;

/// Elements per printed line in a long innermost row.
const ROW_WRAP: usize = 16;

/// The deepest bracket nesting a literal may use.
pub const MAX_NESTING: usize = 32;

/// Elements collected so far, typed by the declared dtype.
enum Buf {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
}

impl Buf {
    fn new(d: DType) -> Self {
        match d {
            DType::F32 => Buf::F32(Vec::new()),
            DType::F64 => Buf::F64(Vec::new()),
            DType::I64 => Buf::I64(Vec::new()),
            DType::Bool => Buf::Bool(Vec::new()),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Buf::F32(_) => "an f32 number",
            Buf::F64(_) => "an f64 number",
            Buf::I64(_) => "an integer (i64)",
            Buf::Bool(_) => "a bool (true or false)",
        }
    }

    fn push(&mut self, t: &Tok) -> Result<(), String> {
        let kind = self.kind();
        let ok = match (self, t) {
            (Buf::F32(v), Tok::Num(s)) => parse_f32(s).map(|x| v.push(x)).is_some(),
            (Buf::F64(v), Tok::Num(s)) => parse_f64(s).map(|x| v.push(x)).is_some(),
            (Buf::I64(v), Tok::Num(s)) => parse_i64(s).map(|x| v.push(x)).is_some(),
            (Buf::Bool(v), Tok::Ident(s @ ("true" | "false"))) => {
                v.push(*s == "true");
                true
            }
            _ => return Err(format!("expected {kind}, found {}", describe(t))),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{} is not valid as {kind}", describe(t)))
        }
    }

    fn into_tensor(self, shape: &[usize]) -> Result<Tensor, String> {
        let sh = IxDyn(shape);
        let e = |e: ndarray::ShapeError| e.to_string();
        Ok(match self {
            Buf::F32(v) => Tensor::F32(ArrayD::from_shape_vec(sh, v).map_err(e)?),
            Buf::F64(v) => Tensor::F64(ArrayD::from_shape_vec(sh, v).map_err(e)?),
            Buf::I64(v) => Tensor::I64(ArrayD::from_shape_vec(sh, v).map_err(e)?),
            Buf::Bool(v) => Tensor::Bool(ArrayD::from_shape_vec(sh, v).map_err(e)?),
        })
    }
}

impl<'a> Parser<'a> {
    /// A tensor type `f32[2,3]` (`f32[]` for a scalar), refused when too large.
    pub(crate) fn ty(&mut self) -> PResult<TensorType> {
        let t = self.next();
        let dtype = match t.tok {
            Tok::Ident(s) => DType::from_str(s).map_err(|m| (t.pos, m))?,
            other => {
                return Err((
                    t.pos,
                    format!("expected a type such as f32[2,3], found {}", describe(&other)),
                ))
            }
        };
        self.expect(b'[', "'[' after the element type")?;
        let mut dims = Vec::new();
        if self.peek() == &Tok::Punct(b']') {
            self.next();
        } else {
            loop {
                let d = self.next();
                let dim = match d.tok {
                    Tok::Num(s) if s.bytes().all(|c| c.is_ascii_digit()) => s.parse::<usize>().ok(),
                    _ => None,
                };
                dims.push(dim.ok_or_else(|| {
                    (
                        d.pos,
                        format!(
                            "expected a dimension (a whole number), found {}",
                            describe(&d.tok)
                        ),
                    )
                })?);
                if self.peek() == &Tok::Punct(b',') {
                    self.next();
                } else {
                    self.expect(b']', "',' or ']' in the shape")?;
                    break;
                }
            }
        }
        let ty = TensorType::new(dtype, dims);
        if ty.checked_len().is_none() {
            return Err((t.pos, format!("{ty} has more than {MAX_ELEMENTS} elements")));
        }
        Ok(ty)
    }

    /// An inline literal or `npz(...)` for a value of type `ty`.
    pub(crate) fn tensor_value(&mut self, ty: &TensorType) -> PResult<snnc_ir::Tensor> {
        if self.peek() == &Tok::Ident("npz") && self.peek_at(1) == &Tok::Punct(b'(') {
            self.npz_ref(ty)
        } else {
            self.literal(ty)
        }
    }

    /// Parses an inline literal for a value of type `ty` (the next token is `[` or an element).
    pub(crate) fn literal(&mut self, ty: &TensorType) -> PResult<Tensor> {
        let total = ty.checked_len().unwrap_or(usize::MAX);
        let mut buf = Buf::new(ty.dtype);
        if ty.rank() == 0 && self.peek() != &Tok::Punct(b'[') {
            let t = self.next();
            buf.push(&t.tok).map_err(|m| (t.pos, m))?;
            return buf.into_tensor(&[]).map_err(|m| (t.pos, m));
        }
        let open = self.expect(b'[', "'[' to start a tensor literal")?;
        let nested = ty.rank() >= 2 && self.peek() == &Tok::Punct(b'[');
        // One entry per open bracket: where it opened and how many entries it has so far.
        let mut stack: Vec<(Pos, usize)> = vec![(open, 0)];
        let mut count = 0usize;
        let mut after_value = false;
        while let Some(&(lpos, n)) = stack.last() {
            let depth = stack.len() - 1;
            let want = if nested { ty.shape.get(depth).copied().unwrap_or(0) } else { total };
            let t = self.next();
            match t.tok {
                Tok::Punct(b']') => {
                    if n != want {
                        let msg = if nested {
                            format!("axis {depth} of {ty} needs {want} entries, this list has {n}")
                        } else {
                            format!("the literal for {ty} needs {want} elements, found {n}")
                        };
                        return Err((lpos, msg));
                    }
                    stack.pop();
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    after_value = true;
                    continue;
                }
                Tok::Punct(b',') if after_value => {
                    after_value = false;
                    continue;
                }
                _ if after_value => {
                    return Err((t.pos, format!("expected ',' or ']', found {}", describe(&t.tok))))
                }
                _ => {}
            }
            if n >= want {
                let msg = if nested {
                    format!("too many entries: axis {depth} of {ty} has {want}")
                } else {
                    format!("too many elements: {ty} has {want}")
                };
                return Err((t.pos, msg));
            }
            if t.tok == Tok::Punct(b'[') {
                if !nested || depth + 1 >= ty.rank() {
                    return Err((t.pos, format!("unexpected '[': {ty} has no axis here")));
                }
                if stack.len() >= MAX_NESTING {
                    return Err((t.pos, format!("literal nested deeper than {MAX_NESTING}")));
                }
                stack.push((t.pos, 0));
                continue;
            }
            if nested && depth + 1 != ty.rank() {
                return Err((t.pos, format!("expected '[' (axis {} of {ty})", depth + 1)));
            }
            buf.push(&t.tok).map_err(|m| (t.pos, m))?;
            count += 1;
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            after_value = true;
        }
        if count != total {
            return Err((
                open,
                format!("the literal for {ty} needs {total} elements, has {count}"),
            ));
        }
        buf.into_tensor(&ty.shape).map_err(|m| (open, m))
    }
}

fn elements(t: &Tensor) -> Box<dyn Iterator<Item = String> + '_> {
    match t {
        Tensor::F32(a) => Box::new(a.iter().map(|&x| fmt_f32(x))),
        Tensor::F64(a) => Box::new(a.iter().map(|&x| fmt_f64(x))),
        Tensor::I64(a) => Box::new(a.iter().map(|x| x.to_string())),
        Tensor::Bool(a) => Box::new(a.iter().map(|x| x.to_string())),
    }
}

/// An inline literal: nested brackets following the shape (flat for rank > 32 or no
/// elements), innermost rows on their own lines, continuation lines indented by `indent`.
pub(crate) fn literal(t: &Tensor, indent: &str) -> String {
    let shape = t.shape();
    let mut it = elements(t);
    if shape.is_empty() {
        return it.next().unwrap_or_default();
    }
    let nested = shape.len() <= MAX_NESTING && !t.is_empty();
    let total = [t.len()];
    let dims = if nested { shape } else { &total[..] };
    let r = dims.len();
    let inner = dims[r - 1];
    let mut out = "[".repeat(r);
    let mut idx = vec![0usize; r];
    for (k, e) in it.enumerate() {
        if k > 0 {
            // Advance the multi-index; `rolled` trailing axes wrapped around.
            let mut rolled = 0;
            for d in (0..r).rev() {
                idx[d] += 1;
                if d == 0 || idx[d] < dims[d] {
                    break;
                }
                idx[d] = 0;
                rolled += 1;
            }
            let col = idx[r - 1];
            if rolled > 0 {
                let _ = write!(out, "{},\n{indent}{}", "]".repeat(rolled), " ".repeat(r - rolled));
                out.push_str(&"[".repeat(rolled));
            } else if inner > ROW_WRAP && col % ROW_WRAP == 0 {
                let _ = write!(out, ",\n{indent}{}", " ".repeat(r));
            } else {
                out.push_str(", ");
            }
        }
        out.push_str(&e);
    }
    out.push_str(&"]".repeat(r));
    out
}
