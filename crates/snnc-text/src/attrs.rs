//! Node attributes: parsing the `{name = value, ...}` block.

use std::str::FromStr;

use snnc_ir::{DType, Tensor};

use crate::error::{PResult, Pos};
use crate::lexer::{describe, Tok};
use crate::parser::Parser;

/// An attribute value as written.
pub(crate) enum Val<'a> {
    Num(&'a str),
    Str(String),
    Bool(bool),
    List(Vec<(&'a str, Pos)>),
    Tensor(Tensor),
}

/// One `name = value` entry.
pub(crate) struct Attr<'a> {
    pub(crate) name: &'a str,
    pub(crate) vpos: Pos,
    pub(crate) val: Val<'a>,
}

impl<'a> Parser<'a> {
    /// Parses `{name = value, ...}` for `op`, refusing names not in `known` and repeats.
    pub(crate) fn attrs(&mut self, op: &str, known: &[&str]) -> PResult<Vec<Attr<'a>>> {
        self.expect(b'{', "'{'")?;
        let mut out: Vec<Attr> = Vec::new();
        while self.peek() != &Tok::Punct(b'}') {
            let t = self.next();
            let name = match t.tok {
                Tok::Ident(s) => s,
                other => {
                    return Err((
                        t.pos,
                        format!("expected an attribute name, found {}", describe(&other)),
                    ))
                }
            };
            if !known.contains(&name) {
                let msg = if known.is_empty() {
                    format!("unknown attribute '{name}': {op} takes no attributes")
                } else {
                    format!("unknown attribute '{name}' for {op} (expected {})", known.join(", "))
                };
                return Err((t.pos, msg));
            }
            if out.iter().any(|a| a.name == name) {
                return Err((t.pos, format!("attribute '{name}' is given twice")));
            }
            self.expect(b'=', "'=' after the attribute name")?;
            let vpos = self.pos();
            let val = self.attr_value()?;
            out.push(Attr { name, vpos, val });
            if self.peek() == &Tok::Punct(b',') {
                self.next();
            } else if self.peek() != &Tok::Punct(b'}') {
                let t = self.next();
                return Err((t.pos, format!("expected ',' or '}}', found {}", describe(&t.tok))));
            }
        }
        self.next();
        Ok(out)
    }

    fn attr_value(&mut self) -> PResult<Val<'a>> {
        if let Tok::Ident(s) = self.peek() {
            if DType::from_str(s).is_ok() && self.peek_at(1) == &Tok::Punct(b'[') {
                let ty = self.ty()?;
                return Ok(Val::Tensor(self.tensor_value(&ty)?));
            }
        }
        let t = self.next();
        Ok(match t.tok {
            Tok::Num(s) => Val::Num(s),
            Tok::Str(s) => Val::Str(s),
            Tok::Ident("true") => Val::Bool(true),
            Tok::Ident("false") => Val::Bool(false),
            Tok::Punct(b'[') => {
                let mut items = Vec::new();
                while self.peek() != &Tok::Punct(b']') {
                    let e = self.next();
                    match e.tok {
                        Tok::Num(s) => items.push((s, e.pos)),
                        other => {
                            return Err((
                                e.pos,
                                format!("expected a number, found {}", describe(&other)),
                            ))
                        }
                    }
                    if self.peek() == &Tok::Punct(b',') {
                        self.next();
                    } else if self.peek() != &Tok::Punct(b']') {
                        let e = self.next();
                        return Err((
                            e.pos,
                            format!("expected ',' or ']', found {}", describe(&e.tok)),
                        ));
                    }
                }
                self.next();
                Val::List(items)
            }
            other => {
                return Err((
                    t.pos,
                    format!("expected an attribute value, found {}", describe(&other)),
                ))
            }
        })
    }
}
