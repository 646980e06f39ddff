use thiserror::Error;

/// Everything a kernel can refuse. Kernels check shapes before touching memory and never panic
/// on sizes, values or parameters that come from a model or its inputs.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum KernelError {
    /// A buffer does not have the length its shape needs.
    #[error("{what}: expected {expected} elements, got {got}")]
    Len {
        /// The buffer, by role (e.g. `x [T,B,N]`).
        what: &'static str,
        /// The length the shape needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A strided matrix reaches past the end of its buffer, or its rows overlap.
    #[error("{what}: {msg}")]
    Layout {
        /// The operand.
        what: &'static str,
        /// What is wrong.
        msg: String,
    },
    /// A neuron or surrogate parameter is invalid.
    #[error("invalid parameter: {0}")]
    Param(String),
    /// An input that must be binary (spikes) holds another value.
    #[error("{what}: element {index} is {value}, but spikes must be 0 or 1")]
    NotBinary {
        /// The operand.
        what: &'static str,
        /// Flat index of the first offending element.
        index: usize,
        /// Its value.
        value: f32,
    },
    /// A size product overflows `usize`.
    #[error("{0}: size overflows")]
    Overflow(&'static str),
    /// Memory for a buffer of this many bytes could not be reserved.
    #[error("out of memory: cannot allocate {0} bytes")]
    OutOfMemory(usize),
    /// A thread pool could not be built.
    #[error("thread pool: {0}")]
    Pool(String),
}

/// Checks that `buf` has exactly `expected` elements.
pub(crate) fn check_len(
    what: &'static str,
    got: usize,
    expected: usize,
) -> Result<(), KernelError> {
    if got == expected {
        Ok(())
    } else {
        Err(KernelError::Len { what, expected, got })
    }
}

/// The product of `dims`, or an overflow error naming `what`.
pub(crate) fn product(what: &'static str, dims: &[usize]) -> Result<usize, KernelError> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or(KernelError::Overflow(what))
}
