//! What rendering produces (sources and launches) and the helpers every kernel family uses:
//! literals, grids, kernel signatures.

use snnc_plan::BufId;

use crate::CudaError;

/// Spikes per word of a bit-packed buffer on the GPU: a `rows × cols` spike matrix is
/// `rows · ⌈cols / 32⌉` `u32` words, row `r` at word `r · ⌈cols / 32⌉`, spike `(r, c)` at bit
/// `c % 32` of word `c / 32` of its row.
pub const BITS_PER_WORD: usize = 32;

/// Threads per block of the one-dimensional kernels.
pub(crate) const BLOCK: u32 = 256;

/// Most blocks of a one-dimensional grid (the kernels loop over the rest).
const MAX_BLOCKS: usize = 1 << 20;

/// A kernel argument: a device pointer the runtime resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// The start of a plan buffer (f32 data, or `u32` words for spike bits).
    Buf(BufId),
    /// The program's error word pair (`int[2]`: error code, step index), zero before a run.
    Err,
}

/// One operand of a dense product: element (i, p) at `off + i·rs + p·cs` of `arg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmOperand {
    /// The buffer.
    pub arg: Arg,
    /// Offset in elements.
    pub off: usize,
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

/// A dense product `C (+)= alpha·A·B` (A `m × k`, B `k × n`, C row-major with row stride
/// `c_rs` from `c_off`), which the runtime may run with cuBLAS instead of the rendered kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GemmDesc {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
    /// A.
    pub a: GemmOperand,
    /// B.
    pub b: GemmOperand,
    /// C.
    pub c: Arg,
    /// Offset of C.
    pub c_off: usize,
    /// Row stride of C.
    pub c_rs: usize,
    /// Scale of the product.
    pub alpha: f32,
    /// Accumulate into C.
    pub acc: bool,
}

/// One kernel launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// The `extern "C"` function in the program's module.
    pub kernel: String,
    /// Grid dimensions.
    pub grid: [u32; 3],
    /// Block dimensions.
    pub block: [u32; 3],
    /// Dynamic shared memory in bytes.
    pub shared_bytes: u32,
    /// Arguments, in the order of the kernel's parameters (all pointers).
    pub args: Vec<Arg>,
    /// When the launch computes dense products: each of them, for cuBLAS.
    pub gemm: Vec<GemmDesc>,
}

/// The launches of one plan step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepCode {
    /// Index of the step in its program.
    pub step: usize,
    /// The launches, in order (event-driven ones for spike-linear steps).
    pub launches: Vec<Launch>,
    /// For a spike-linear step whose input is a graph input: that buffer, and the dense
    /// launches to use instead when its data is not 0/1 or has more than 30 % ones (the CPU
    /// engine's rule). Both compute the same function.
    pub dense: Option<(BufId, Vec<Launch>)>,
}

/// The CUDA module of one program.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramSource {
    /// `infer` or `train`.
    pub name: String,
    /// The CUDA C source; compiles on its own with NVRTC.
    pub code: String,
    /// The launches of every step (one entry per plan step, in order; a step with nothing to
    /// do has no launches).
    pub steps: Vec<StepCode>,
}

impl ProgramSource {
    /// Every kernel function name defined in the module, in order.
    pub fn kernels(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for s in &self.steps {
            let alt = s.dense.iter().flat_map(|d| &d.1);
            for l in s.launches.iter().chain(alt) {
                if !out.contains(&l.kernel.as_str()) {
                    out.push(l.kernel.as_str());
                }
            }
        }
        out
    }
}

/// The CUDA modules of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The inference program.
    pub infer: ProgramSource,
    /// The training program.
    pub train: ProgramSource,
}

/// An f32 constant as CUDA C, exact: integral values as decimals, others by their bits.
pub(crate) fn lit(v: f32) -> String {
    snnc_ir::c_f32(v)
}

/// An f32 constant widened to double, exact.
pub(crate) fn lit64(v: f32) -> String {
    format!("((double){})", lit(v))
}

/// A one-dimensional grid for `total` work items with [`BLOCK`] threads per block (kernels
/// loop with a grid stride, so a capped grid still covers everything).
pub(crate) fn grid1(total: usize) -> [u32; 3] {
    let blocks = total.div_ceil(BLOCK as usize).clamp(1, MAX_BLOCKS);
    [blocks as u32, 1, 1]
}

/// A render error of step `step`.
pub(crate) fn err(step: usize, kernel: &'static str, msg: impl Into<String>) -> CudaError {
    CudaError::Render { step, kernel, msg: msg.into() }
}

/// Builds a kernel's signature and its argument list side by side.
pub(crate) struct Kb {
    name: String,
    params: Vec<String>,
    args: Vec<Arg>,
}

impl Kb {
    /// A kernel named `snnc_s{step}_{what}`.
    pub(crate) fn new(step: usize, what: &str) -> Self {
        Kb { name: format!("snnc_s{step:04}_{what}"), params: Vec::new(), args: Vec::new() }
    }

    /// The function name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// An f32 buffer the kernel reads.
    pub(crate) fn read(&mut self, p: &str, b: BufId) {
        self.params.push(format!("const float* __restrict__ {p}"));
        self.args.push(Arg::Buf(b));
    }

    /// An f32 buffer the kernel writes (or updates).
    pub(crate) fn write(&mut self, p: &str, b: BufId) {
        self.params.push(format!("float* __restrict__ {p}"));
        self.args.push(Arg::Buf(b));
    }

    /// Spike words the kernel reads.
    pub(crate) fn bits_read(&mut self, p: &str, b: BufId) {
        self.params.push(format!("const u32* __restrict__ {p}"));
        self.args.push(Arg::Buf(b));
    }

    /// Spike words the kernel writes.
    pub(crate) fn bits_write(&mut self, p: &str, b: BufId) {
        self.params.push(format!("u32* __restrict__ {p}"));
        self.args.push(Arg::Buf(b));
    }

    /// The error words (`int* err`).
    pub(crate) fn err(&mut self) {
        self.params.push("int* err".into());
        self.args.push(Arg::Err);
    }

    /// `extern "C" __global__ void __launch_bounds__(threads) name(params)`.
    pub(crate) fn signature(&self, threads: u32) -> String {
        format!(
            "extern \"C\" __global__ void __launch_bounds__({threads}) {}({})",
            self.name,
            self.params.join(", ")
        )
    }

    /// The launch of this kernel.
    pub(crate) fn launch(self, grid: [u32; 3], block: [u32; 3], shared_bytes: u32) -> Launch {
        Launch { kernel: self.name, grid, block, shared_bytes, args: self.args, gemm: Vec::new() }
    }
}

/// Where rendered code goes, with the step being rendered.
pub(crate) struct Out<'a> {
    /// The module source.
    pub code: &'a mut String,
    /// The step index.
    pub step: usize,
}

impl Out<'_> {
    /// Appends a block of code and a blank line.
    pub(crate) fn push(&mut self, text: &str) {
        self.code.push_str(text);
        if !text.ends_with('\n') {
            self.code.push('\n');
        }
        self.code.push('\n');
    }
}

/// `⌈cols / 32⌉`, the words per row of packed spikes.
pub(crate) fn words(cols: usize) -> usize {
    cols.div_ceil(BITS_PER_WORD)
}

/// Per-neuron parameter access: a literal when the value is shared, else a table.
pub(crate) fn param_table(
    out: &mut Out<'_>,
    what: &str,
    vals: &[f32],
    index: &str,
) -> (String, String) {
    if vals.len() == 1 {
        return (String::new(), lit(vals[0]));
    }
    let name = format!("snnc_s{:04}_{what}", out.step);
    let mut t = format!("__device__ const u32 {name}[{}] = {{", vals.len());
    for (i, v) in vals.iter().enumerate() {
        if i % 8 == 0 {
            t.push_str("\n   ");
        }
        t.push_str(&format!(" 0x{:08x}u,", v.to_bits()));
    }
    t.push_str("\n};\n");
    (t, format!("__uint_as_float({name}[{index}])"))
}
