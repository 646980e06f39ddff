use std::path::PathBuf;

use thiserror::Error;

/// Errors reading or writing NumPy files; each names the file.
#[derive(Debug, Error)]
pub enum ArrayError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file's content is not a valid array of a supported type.
    #[error("{path}: {msg}")]
    Format {
        /// The file (with `:name` appended for an `.npz` entry).
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
}

impl ArrayError {
    pub(crate) fn format(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        ArrayError::Format { path: path.into(), msg: msg.into() }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ArrayError::Io { path: path.into(), source }
    }
}
