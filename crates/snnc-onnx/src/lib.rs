//! The ONNX frontend of snnc.
//!
//! [`load_onnx`] reads an `.onnx` file (plain opset 13–20 exports and the `snn` custom-op domain,
//! version 1, of SPEC §2) into an [`snnc_ir::Graph`] that passes [`snnc_ir::verify`];
//! [`input_signature`] lists a model's runtime inputs with their declared dimensions.
//! Initializers keep their ONNX names, external data is read only from inside the model's
//! folder, and every failure is an [`OnnxError`] that names the file (and the node, where there
//! is one).

mod attrs;
mod error;
mod external;
mod import;
mod ops;
mod options;
mod proto;
mod signature;
mod tensor;
mod topo;

pub use error::OnnxError;
pub use import::{load_onnx, load_onnx_bytes};
pub use options::ImportOptions;
pub use signature::{input_signature, InputSignature};
