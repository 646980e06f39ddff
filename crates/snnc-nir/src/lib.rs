//! The NIR frontend of snnc.
//!
//! [`read_nir`] reads a `.nir` file (the HDF5 files the `nir` Python package writes, versions
//! 0.1 to 1.0.8, uncompressed or gzip) into a [`NirFile`]: every node of NIR's set (Input,
//! Output, Affine, Linear, Scale, Threshold, I, IF, LI, LIF, CubaLI, CubaLIF, Delay, Flatten,
//! Conv1d, Conv2d, SumPool2d, AvgPool2d and nested NIRGraphs) with its fields checked.
//! [`lower`] turns it into an [`snnc_ir::Graph`] that runs over sequences `[T, B, ...]`: NIR's
//! continuous-time neurons become SPEC §1.2's leaky cell under the Euler step of
//! [`NirOptions::dt`], unrolled over [`NirOptions::steps`] steps (recurrent edges read the
//! previous step). [`write_nir`] writes a [`NirFile`] back out in the layout nir 1.0.8 writes.
//! Every failure is a [`NirError`] naming the file and the node.

mod error;
mod graph;
pub mod h5;
mod lower;
mod nodes;
mod options;
mod read;
mod write;

pub use error::NirError;
pub use graph::NirGraph;
pub use lower::api::{load_nir, lower};
pub use nodes::affine::{AffineNode, ScaleNode};
pub use nodes::array::Array;
pub use nodes::conv::{ConvNode, PoolNode};
pub use nodes::io::{InputNode, OutputNode};
pub use nodes::kind::NodeKind;
pub use nodes::neuron::{NeuronKind, NeuronNode};
pub use nodes::shape_ops::{DelayNode, FlattenNode, ThresholdNode};
pub use options::{CurrentOrder, NirOptions, NirReset};
pub use read::{input_names, read_nir, read_nir_bytes, NirFile, MAX_FILE_BYTES};
pub use write::{write_nir, write_nir_bytes, WRITTEN_VERSION};
