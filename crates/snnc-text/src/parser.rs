//! The recursive-descent parser: one loop over statements, each parsed by a small function.
//!
//! Nothing in the grammar nests except tensor literals, which use an explicit stack, so the
//! parser's recursion depth is constant whatever the input.

use snnc_ir::{Graph, ValueId};

use crate::error::{PResult, Pos};
use crate::lexer::{describe, lex, Tok, Token};
use crate::npz::NpzFiles;
use crate::ops::{build_op, known_attrs};

/// Parser state: the tokens, a cursor, and the graph built so far.
pub(crate) struct Parser<'a> {
    toks: Vec<Token<'a>>,
    i: usize,
    eof: Token<'a>,
    pub(crate) g: Graph,
    pub(crate) npz: NpzFiles<'a>,
}

/// Parses `src` into a graph; `npz` resolves `npz(...)` references.
pub(crate) fn parse(src: &str, npz: NpzFiles<'_>) -> PResult<Graph> {
    let toks = lex(src)?;
    let end = toks.last().map_or(Pos::new(1, 1), |t| t.pos);
    let mut p =
        Parser { toks, i: 0, eof: Token { tok: Tok::Eof, pos: end }, g: Graph::default(), npz };
    p.graph()?;
    Ok(p.g)
}

fn is_name(t: &Tok) -> bool {
    matches!(t, Tok::Ident(s) if *s != "_") || matches!(t, Tok::QName(_))
}

impl<'a> Parser<'a> {
    /// The next token, not consumed.
    pub(crate) fn peek(&self) -> &Tok<'a> {
        self.peek_at(0)
    }

    /// The token `k` places ahead, not consumed.
    pub(crate) fn peek_at(&self, k: usize) -> &Tok<'a> {
        self.toks.get(self.i + k).map_or(&self.eof.tok, |t| &t.tok)
    }

    /// Where the next token starts.
    pub(crate) fn pos(&self) -> Pos {
        self.toks.get(self.i).map_or(self.eof.pos, |t| t.pos)
    }

    /// Consumes and returns the next token (the end token repeats forever).
    pub(crate) fn next(&mut self) -> Token<'a> {
        match self.toks.get_mut(self.i) {
            Some(t) if t.tok != Tok::Eof => {
                self.i += 1;
                std::mem::replace(t, Token { tok: Tok::Eof, pos: Pos::default() })
            }
            _ => self.eof.clone(),
        }
    }

    /// Consumes the punctuation `c` or fails with "expected WHAT".
    pub(crate) fn expect(&mut self, c: u8, what: &str) -> PResult<Pos> {
        let t = self.next();
        if t.tok == Tok::Punct(c) {
            Ok(t.pos)
        } else {
            Err((t.pos, format!("expected {what}, found {}", describe(&t.tok))))
        }
    }

    /// A value name: a plain identifier or `%"..."`.
    fn name(&mut self, what: &str) -> PResult<(String, Pos)> {
        let t = self.next();
        match t.tok {
            Tok::Ident(s) if s != "_" => Ok((s.to_string(), t.pos)),
            Tok::QName(s) => Ok((s, t.pos)),
            other => Err((t.pos, format!("expected {what}, found {}", describe(&other)))),
        }
    }

    /// A name that is about to be defined: fails when it is taken.
    fn fresh(&self, name: &str, pos: Pos) -> PResult<()> {
        if self.g.find(name).is_some() {
            return Err((pos, format!("value '{name}' is already defined")));
        }
        if name.is_empty() {
            return Err((pos, "a value name cannot be empty".into()));
        }
        Ok(())
    }

    /// A use of a defined value.
    fn operand(&mut self) -> PResult<Option<ValueId>> {
        if self.peek() == &Tok::Ident("_") {
            self.next();
            return Ok(None);
        }
        let (name, pos) = self.name("a value name or '_'")?;
        match self.g.find(&name) {
            Some(id) => Ok(Some(id)),
            None => Err((pos, format!("undefined value '{name}'"))),
        }
    }

    fn graph(&mut self) -> PResult<()> {
        let t = self.next();
        if t.tok != Tok::Ident("graph") {
            return Err((t.pos, format!("expected 'graph NAME {{', found {}", describe(&t.tok))));
        }
        let t = self.next();
        let name = match t.tok {
            Tok::Ident(s) => s.to_string(),
            Tok::QName(s) | Tok::Str(s) => s,
            other => {
                return Err((
                    t.pos,
                    format!("expected the graph's name, found {}", describe(&other)),
                ))
            }
        };
        self.g = Graph::new(name);
        self.expect(b'{', "'{' after the graph's name")?;
        loop {
            let next_is_name = is_name(self.peek_at(1));
            match self.peek() {
                Tok::Punct(b'}') => break,
                Tok::Ident("input") if next_is_name => self.input()?,
                Tok::Ident("weight") if next_is_name => self.weight()?,
                Tok::Ident("output") if next_is_name => self.output()?,
                Tok::Eof => return Err((self.pos(), "missing '}' at the end of the graph".into())),
                _ => self.node()?,
            }
        }
        self.next();
        let t = self.next();
        if t.tok != Tok::Eof {
            return Err((t.pos, format!("unexpected {} after the graph's '}}'", describe(&t.tok))));
        }
        Ok(())
    }

    fn input(&mut self) -> PResult<()> {
        self.next();
        let (name, pos) = self.name("the input's name")?;
        self.fresh(&name, pos)?;
        self.expect(b':', "':' and the input's type")?;
        let ty = self.ty()?;
        self.g.add_input(&name, ty).map_err(|e| (pos, e.to_string()))?;
        Ok(())
    }

    fn weight(&mut self) -> PResult<()> {
        self.next();
        let (name, pos) = self.name("the weight's name")?;
        self.fresh(&name, pos)?;
        self.expect(b':', "':' and the weight's type")?;
        let ty = self.ty()?;
        self.expect(b'=', "'=' and the weight's value")?;
        let value = self.tensor_value(&ty)?;
        self.g.add_initializer(&name, value).map_err(|e| (pos, e.to_string()))?;
        Ok(())
    }

    fn output(&mut self) -> PResult<()> {
        self.next();
        loop {
            let (name, pos) = self.name("an output name")?;
            let id =
                self.g.find(&name).ok_or_else(|| (pos, format!("undefined value '{name}'")))?;
            self.g.add_output(id).map_err(|e| (pos, e.to_string()))?;
            if self.peek() != &Tok::Punct(b',') {
                return Ok(());
            }
            self.next();
        }
    }

    /// The output list of a node, up to and including the `=`.
    fn outputs(&mut self) -> PResult<Vec<Option<String>>> {
        let mut outs: Vec<Option<String>> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            if self.peek() == &Tok::Ident("_") {
                self.next();
                outs.push(None);
            } else {
                let (n, pos) = self.name("an output name, '_' or an op")?;
                self.fresh(&n, pos)?;
                if !seen.insert(n.clone()) {
                    return Err((pos, format!("value '{n}' is already defined")));
                }
                outs.push(Some(n));
            }
            if self.peek() == &Tok::Punct(b',') {
                self.next();
            } else {
                self.expect(b'=', "',' or '=' after the node's outputs")?;
                return Ok(outs);
            }
        }
    }

    fn node(&mut self) -> PResult<()> {
        let start = self.pos();
        let mut node_name = String::new();
        if let Tok::NodeName(_) = self.peek() {
            let t = self.next();
            if let Tok::NodeName(n) = t.tok {
                if n.is_empty() {
                    return Err((t.pos, "a node name cannot be empty".into()));
                }
                if self.g.find_node(&n).is_some() {
                    return Err((t.pos, format!("node '{n}' is already defined")));
                }
                node_name = n;
            }
        }
        let no_outputs =
            matches!(self.peek(), Tok::Ident(_)) && self.peek_at(1) == &Tok::Punct(b'(');
        let outs = if no_outputs { Vec::new() } else { self.outputs()? };
        let t = self.next();
        let (op, op_pos) = match t.tok {
            Tok::Ident(s) => (s, t.pos),
            other => {
                return Err((t.pos, format!("expected an op name, found {}", describe(&other))))
            }
        };
        let known = known_attrs(op).ok_or_else(|| (op_pos, crate::ops::unknown_op(op)))?;
        self.expect(b'(', "'(' and the op's inputs")?;
        let mut inputs = Vec::new();
        if self.peek() == &Tok::Punct(b')') {
            self.next();
        } else {
            loop {
                inputs.push(self.operand()?);
                if self.peek() == &Tok::Punct(b',') {
                    self.next();
                } else {
                    self.expect(b')', "',' or ')' after an input")?;
                    break;
                }
            }
        }
        let attrs =
            if self.peek() == &Tok::Punct(b'{') { self.attrs(op, known)? } else { Vec::new() };
        let op = build_op(op, op_pos, attrs)?;
        let names: Vec<Option<&str>> = outs.iter().map(|o| o.as_deref()).collect();
        self.g.add_node(&node_name, op, inputs, &names).map_err(|e| (start, e.to_string()))?;
        Ok(())
    }
}
