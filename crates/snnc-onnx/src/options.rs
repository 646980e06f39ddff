use std::collections::HashMap;

/// Options of [`load_onnx`](crate::load_onnx).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Sizes for symbolic input dimensions, keyed by the ONNX `dim_param` name. A symbolic
    /// dimension without a binding here is an error naming the input and the parameter.
    pub dims: HashMap<String, usize>,
    /// Shapes of arrays the caller will feed, keyed by input name. A symbolic or unknown input
    /// dimension takes its size from here when the ranks agree (before `dims` is consulted).
    pub input_shapes: HashMap<String, Vec<usize>>,
}
