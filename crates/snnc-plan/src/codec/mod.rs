//! The plan file: a header (magic bytes, format version, payload length, CRC-32 of the
//! payload) followed by the payload in a small binary encoding.

pub(crate) mod file;
pub(crate) mod prim;
mod types;
