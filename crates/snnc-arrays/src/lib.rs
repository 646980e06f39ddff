//! NumPy `.npy` / `.npz` input and output for snnc [`Tensor`](snnc_ir::Tensor)s.
//!
//! Headers are parsed and checked against the bytes actually present before any array is
//! allocated, so a file that declares an absurd shape is refused with a clear error.

mod error;
mod header;
mod npy;
mod npz;

pub use error::ArrayError;
pub use header::{parse_header, NpyHeader};
pub use npy::{read_npy, read_npy_bytes, write_npy};
pub use npz::{read_npz, write_npz};
