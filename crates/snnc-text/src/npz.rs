//! `npz(...)` weight references: resolved inside the text file's folder, loaded once per file.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use snnc_ir::{Tensor, TensorType};

use crate::error::{PResult, Pos};
use crate::lexer::{describe, Tok};
use crate::parser::Parser;

/// Where `npz(...)` files are looked up, and the archives read so far.
pub(crate) struct NpzFiles<'a> {
    /// The text file's folder; `None` when the text has no file (then `npz(...)` is refused).
    base: Option<&'a Path>,
    /// `<stem>.npz`: the archive of the one-argument form `npz("key")`.
    default_file: String,
    cache: HashMap<PathBuf, Vec<(String, Tensor)>>,
}

impl<'a> NpzFiles<'a> {
    /// Resolves against `base`; the default archive is `<stem of file_label>.npz`.
    pub(crate) fn new(base: Option<&'a Path>, file_label: &str) -> Self {
        let stem = Path::new(file_label).file_stem().map(|s| s.to_string_lossy().into_owned());
        let default_file = format!("{}.npz", stem.unwrap_or_default());
        NpzFiles { base, default_file, cache: HashMap::new() }
    }

    fn resolve(&self, file: &str, pos: Pos) -> PResult<PathBuf> {
        let base = self.base.ok_or_else(|| {
            (pos, "npz(...) needs the text's folder, and this text was not read from a file".into())
        })?;
        let p = Path::new(file);
        let inside = !file.is_empty()
            && p.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !inside {
            return Err((pos, format!("npz path '{file}' leaves the folder of the text file")));
        }
        let base = if base.as_os_str().is_empty() { Path::new(".") } else { base };
        let full = base.join(p);
        // A symbolic link may still point outside: compare the resolved paths when both exist.
        if let (Ok(b), Ok(f)) = (base.canonicalize(), full.canonicalize()) {
            if !f.starts_with(&b) {
                return Err((pos, format!("npz path '{file}' leaves the folder of the text file")));
            }
        }
        Ok(full)
    }

    fn get(&mut self, file: &str, fpos: Pos, key: &str, kpos: Pos) -> PResult<Tensor> {
        let path = self.resolve(file, fpos)?;
        if !self.cache.contains_key(&path) {
            let arrays = snnc_arrays::read_npz(&path).map_err(|e| (fpos, e.to_string()))?;
            self.cache.insert(path.clone(), arrays);
        }
        let arrays = self.cache.get(&path).map(Vec::as_slice).unwrap_or_default();
        match arrays.iter().find(|(k, _)| k == key) {
            Some((_, t)) => Ok(t.clone()),
            None => {
                let mut keys: Vec<&str> = arrays.iter().take(10).map(|(k, _)| k.as_str()).collect();
                if arrays.len() > 10 {
                    keys.push("…");
                }
                Err((kpos, format!("'{file}' has no array '{key}' (it has: {})", keys.join(", "))))
            }
        }
    }
}

impl<'a> Parser<'a> {
    /// Parses `npz("key")` or `npz("file.npz", "key")` and loads the array, which must have
    /// type `ty`.
    pub(crate) fn npz_ref(&mut self, ty: &TensorType) -> PResult<Tensor> {
        let at = self.next().pos; // `npz`
        self.expect(b'(', "'(' after npz")?;
        let mut args = Vec::new();
        loop {
            let t = self.next();
            match t.tok {
                Tok::Str(s) if args.len() < 2 => args.push((s, t.pos)),
                other => {
                    let msg = format!("expected a string in npz(...), found {}", describe(&other));
                    return Err((t.pos, msg));
                }
            }
            let t = self.next();
            match t.tok {
                Tok::Punct(b',') => {}
                Tok::Punct(b')') => break,
                other => {
                    let msg =
                        format!("expected ',' or ')' in npz(...), found {}", describe(&other));
                    return Err((t.pos, msg));
                }
            }
        }
        let mut args = args.into_iter();
        let (first, fpos) = args.next().unwrap_or_default();
        let (file, fpos, key, kpos) = match args.next() {
            Some((key, kpos)) => (first, fpos, key, kpos),
            None => (self.npz.default_file.clone(), at, first, fpos),
        };
        let t = self.npz.get(&file, fpos, &key, kpos)?;
        if &t.tensor_type() != ty {
            let msg =
                format!("array '{key}' in '{file}' is {}, but {ty} is declared", t.tensor_type());
            return Err((at, msg));
        }
        Ok(t)
    }
}
