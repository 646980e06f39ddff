/// Settings of the CUDA engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Run dense products with cuBLAS where the operand layout allows (else the rendered
    /// tiled kernel).
    pub cublas: bool,
    /// Let cuBLAS use TF32 tensor cores: much faster, but products are no longer accurate to
    /// f32 (outside SPEC §5's tolerances); for benchmarks only.
    pub tf32: bool,
    /// GPU ordinal.
    pub device: usize,
}

impl Default for Options {
    /// cuBLAS in full f32 on GPU 0.
    fn default() -> Self {
        Options { cublas: true, tf32: false, device: 0 }
    }
}
