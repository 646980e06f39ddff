//! The tokenizer: a hand-written scanner over the bytes of a `&str`.
//!
//! All syntax characters are ASCII, so the scanner walks bytes and only cuts the source at ASCII
//! bytes (always character boundaries); non-ASCII text may appear in strings and comments.

use crate::error::{PResult, Pos};

/// A token's kind and content.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'a> {
    /// `[A-Za-z_][A-Za-z0-9_.]*` (except `inf` and `nan`, which are numbers).
    Ident(&'a str),
    /// A number as written: `-1`, `2.5e-3`, `0x7fc00001`, `inf`, `-nan`.
    Num(&'a str),
    /// A string literal `"..."`, unescaped.
    Str(String),
    /// A quoted value name `%"..."`, unescaped.
    QName(String),
    /// A node name `@ident` or `@"..."`.
    NodeName(String),
    /// One of `{ } ( ) [ ] , = :`.
    Punct(u8),
    /// End of input.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Token<'a> {
    pub tok: Tok<'a>,
    pub pos: Pos,
}

/// Human-readable description of a token, for messages.
pub(crate) fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Num(s) => format!("number {s}"),
        Tok::Str(_) => "a string".into(),
        Tok::QName(s) => format!("name %{}", crate::printer::quote(s)),
        Tok::NodeName(s) => format!("node name @{}", crate::printer::quote(s)),
        Tok::Punct(c) => format!("'{}'", *c as char),
        Tok::Eof => "the end of the file".into(),
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    line: usize,
    col: usize,
}

impl<'a> Lexer<'a> {
    fn peek(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    fn bump(&mut self) {
        if let Some(&c) = self.b.get(self.i) {
            if c == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if c & 0xC0 != 0x80 {
                self.col += 1;
            }
            self.i += 1;
        }
    }

    fn slice(&self, start: usize) -> PResult<&'a str> {
        self.src.get(start..self.i).ok_or_else(|| (self.pos(), "invalid text".to_string()))
    }

    fn word(&mut self) -> PResult<&'a str> {
        let start = self.i;
        while is_ident_char(self.peek(0)) {
            self.bump();
        }
        self.slice(start)
    }

    fn skip_space(&mut self) {
        loop {
            match self.peek(0) {
                b' ' | b'\t' | b'\r' | b'\n' => self.bump(),
                b'#' => {
                    while self.i < self.b.len() && self.peek(0) != b'\n' {
                        self.bump();
                    }
                }
                _ => return,
            }
        }
    }

    fn digits(&mut self, hex: bool) -> usize {
        let mut n = 0;
        while if hex { self.peek(0).is_ascii_hexdigit() } else { self.peek(0).is_ascii_digit() } {
            self.bump();
            n += 1;
        }
        n
    }

    fn number(&mut self) -> PResult<Tok<'a>> {
        let (start, pos) = (self.i, self.pos());
        if matches!(self.peek(0), b'-' | b'+') {
            self.bump();
        }
        let bad = |what: &str| Err((pos, format!("invalid number '{what}'")));
        if is_ident_start(self.peek(0)) {
            let w = self.word()?;
            return match w {
                "inf" | "nan" => Ok(Tok::Num(self.slice(start)?)),
                _ => bad(self.slice(start)?),
            };
        }
        if self.peek(0) == b'0' && matches!(self.peek(1), b'x' | b'X') {
            self.bump();
            self.bump();
            if self.digits(true) == 0 {
                return bad(self.slice(start)?);
            }
        } else {
            if self.digits(false) == 0 {
                return bad(self.slice(start)?);
            }
            if self.peek(0) == b'.' {
                self.bump();
                self.digits(false);
            }
            if matches!(self.peek(0), b'e' | b'E') {
                self.bump();
                if matches!(self.peek(0), b'-' | b'+') {
                    self.bump();
                }
                if self.digits(false) == 0 {
                    return bad(self.slice(start)?);
                }
            }
        }
        if is_ident_char(self.peek(0)) {
            self.word()?;
            return bad(self.slice(start)?);
        }
        Ok(Tok::Num(self.slice(start)?))
    }

    fn string(&mut self) -> PResult<String> {
        let pos = self.pos();
        self.bump(); // opening quote
        let mut out = String::new();
        let mut seg = self.i;
        loop {
            match self.peek(0) {
                b'"' => {
                    out.push_str(self.slice(seg)?);
                    self.bump();
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(self.slice(seg)?);
                    let epos = self.pos();
                    self.bump();
                    let c = self.peek(0);
                    self.bump();
                    out.push(match c {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'u' => self.unicode_escape(epos)?,
                        _ => return Err((epos, "unknown escape in string".into())),
                    });
                    seg = self.i;
                }
                b'\n' | b'\r' => return Err((pos, "unterminated string".into())),
                _ if self.i >= self.b.len() => return Err((pos, "unterminated string".into())),
                _ => self.bump(),
            }
        }
    }

    fn unicode_escape(&mut self, epos: Pos) -> PResult<char> {
        let err = || (epos, "bad \\u{...} escape in string".to_string());
        if self.peek(0) != b'{' {
            return Err(err());
        }
        self.bump();
        let start = self.i;
        if self.digits(true) > 6 || self.peek(0) != b'}' {
            return Err(err());
        }
        let hex = self.slice(start)?;
        self.bump();
        u32::from_str_radix(hex, 16).ok().and_then(char::from_u32).ok_or_else(err)
    }

    fn next(&mut self) -> PResult<Token<'a>> {
        self.skip_space();
        let pos = self.pos();
        let c = self.peek(0);
        let tok = if self.i >= self.b.len() {
            Tok::Eof
        } else if is_ident_start(c) {
            match self.word()? {
                w @ ("inf" | "nan") => Tok::Num(w),
                w => Tok::Ident(w),
            }
        } else if c.is_ascii_digit() || c == b'-' || c == b'+' {
            self.number()?
        } else if c == b'"' {
            Tok::Str(self.string()?)
        } else if c == b'%' && self.peek(1) == b'"' {
            self.bump();
            Tok::QName(self.string()?)
        } else if c == b'@' && self.peek(1) == b'"' {
            self.bump();
            Tok::NodeName(self.string()?)
        } else if c == b'@' && is_ident_start(self.peek(1)) {
            self.bump();
            Tok::NodeName(self.word()?.to_string())
        } else if b"{}()[],=:".contains(&c) {
            self.bump();
            Tok::Punct(c)
        } else {
            let ch = self.src.get(self.i..).and_then(|s| s.chars().next()).unwrap_or('?');
            let msg = match ch {
                '%' => "'%' must be followed by a quoted name, as in %\"name\"".to_string(),
                '@' => "'@' must be followed by a node name, as in @n1 or @\"n 1\"".to_string(),
                _ => format!("unexpected character {ch:?}"),
            };
            return Err((pos, msg));
        };
        Ok(Token { tok, pos })
    }
}

/// Splits `src` into tokens, ending with [`Tok::Eof`]. A leading byte-order mark is skipped.
pub(crate) fn lex(src: &str) -> PResult<Vec<Token<'_>>> {
    let mut lx = Lexer { src, b: src.as_bytes(), i: 0, line: 1, col: 1 };
    if src.starts_with('\u{feff}') {
        lx.i = '\u{feff}'.len_utf8();
    }
    let mut out = Vec::new();
    loop {
        let t = lx.next()?;
        let end = t.tok == Tok::Eof;
        out.push(t);
        if end {
            return Ok(out);
        }
    }
}

/// The position just after the valid UTF-8 prefix of `bytes` (for non-UTF-8 input).
pub(crate) fn position_of_byte(bytes: &[u8], offset: usize) -> Pos {
    let mut p = Pos::new(1, 1);
    for &c in bytes.iter().take(offset) {
        if c == b'\n' {
            p.line += 1;
            p.col = 1;
        } else if c & 0xC0 != 0x80 {
            p.col += 1;
        }
    }
    p
}
