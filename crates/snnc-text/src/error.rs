use thiserror::Error;

/// A position in a text-IR file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
}

impl Pos {
    /// A position from its line and column.
    pub fn new(line: usize, col: usize) -> Self {
        Pos { line, col }
    }
}

/// Errors reading, parsing or writing text IR.
#[derive(Debug, Error)]
pub enum TextError {
    /// A syntax or semantic error at a place in the file (IR errors are reported at the node).
    #[error("{file}:{line}:{col}: {msg}")]
    At {
        /// The file (or the label given to [`parse_str`](crate::parse_str)).
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column in characters, from 1.
        col: usize,
        /// What is wrong.
        msg: String,
    },
    /// The file (or an `.npz` beside it) could not be read or written.
    #[error("{file}: {msg}")]
    Io {
        /// The file.
        file: String,
        /// What went wrong.
        msg: String,
    },
}

impl TextError {
    /// An error at `pos` in `file`.
    pub fn at(file: &str, pos: Pos, msg: impl Into<String>) -> Self {
        TextError::At { file: file.to_string(), line: pos.line, col: pos.col, msg: msg.into() }
    }

    /// An I/O error about `file`.
    pub fn io(file: impl std::fmt::Display, msg: impl Into<String>) -> Self {
        TextError::Io { file: file.to_string(), msg: msg.into() }
    }

    /// The `(line, column)` of a positioned error, `None` for I/O errors.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            TextError::At { line, col, .. } => Some((*line, *col)),
            TextError::Io { .. } => None,
        }
    }

    /// The message without the file and position.
    pub fn message(&self) -> &str {
        match self {
            TextError::At { msg, .. } | TextError::Io { msg, .. } => msg,
        }
    }
}

/// An error without its file name yet; the parser adds the file.
pub(crate) type PResult<T> = Result<T, (Pos, String)>;
