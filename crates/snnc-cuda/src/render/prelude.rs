//! The head of every module (types, the grid-stride loop, error reporting) and the surrogate
//! derivative functions.

use snnc_ir::neuron::{self, Fault};
use snnc_ir::{Code, Dialect, Num, Surrogate};

/// Error codes a kernel stores in `err[0]` (the step index goes to `err[1]`), from the shared
/// table [`Fault`].
pub(crate) const ERR_NOT_BINARY: i32 = Fault::NotBinary.code() as i32;
/// An integer division by zero.
pub(crate) const ERR_DIV_ZERO: i32 = Fault::DivZero.code() as i32;
/// A Gather index out of range.
pub(crate) const ERR_INDEX: i32 = Fault::Index.code() as i32;

/// The text every module starts with.
pub(crate) fn prelude(program: &str, plan_name: &str) -> String {
    let safe: String =
        plan_name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
    format!(
        "// snnc: {program} program of plan '{}'. Generated from the plan; do not edit.\n\
         // Compile with --fmad=false: the f32 roundings must be the CPU engine's.\n\
         typedef long long i64;\n\
         typedef unsigned int u32;\n\
         #define SNNC_FOR(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; \\\n\
         \x20   i < (i64)(n); i += (i64)gridDim.x * blockDim.x)\n\
         // Records the first error of a run: its code and the step that raised it.\n\
         #define SNNC_FAIL(code, step) do {{ if (atomicCAS(err, 0, (code)) == 0) {{ \\\n\
         \x20   atomicExch(err + 1, (step)); }} }} while (0)\n\
         // f32 -> i64 -> f32 as Rust's `as` casts: truncation, saturation, NaN to 0, +0.\n\
         __device__ __forceinline__ float snnc_trunc(float x) {{\n\
         \x20   if (isnan(x)) return 0.0f;\n\
         \x20   float t = fminf(fmaxf(truncf(x), -9.223372036854775808e18f), 9.223372036854775808e18f);\n\
         \x20   return t + 0.0f;\n\
         }}\n\
         __device__ __forceinline__ double snnc_trunc64(double x) {{\n\
         \x20   if (isnan(x)) return 0.0;\n\
         \x20   double t = fmin(fmax(trunc(x), -9.223372036854775808e18), 9.223372036854775807e18);\n\
         \x20   return t + 0.0;\n\
         }}\n\n",
        safe.replace("*/", "* /")
    )
}

/// `__device__ float {name}(float s)`: σ'(s) as the CPU kernels compute it
/// ([`Surrogate::derivative_f32`]): [`neuron::surrogate`] printed in f32, or in f64 and rounded.
pub(crate) fn surrogate_f32(name: &str, sg: Surrogate) -> String {
    if neuron::surrogate_in_f32(sg.method) {
        let s = Code::var(Dialect::CudaF32, "s");
        let e = neuron::surrogate(sg.method, s.lit(sg.alpha as f64), s);
        format!(
            "__device__ __forceinline__ float {name}(float s) {{\n    return {};\n}}\n",
            e.text()
        )
    } else {
        let mut out = surrogate_f64(&format!("{name}_64"), sg);
        out.push_str(&format!(
            "__device__ __forceinline__ float {name}(float s) {{\n    return (float){name}_64((double)s);\n}}\n"
        ));
        out
    }
}

/// `__device__ double {name}(double s)`: σ'(s) in f64 ([`neuron::surrogate`], as
/// `Surrogate::derivative`).
pub(crate) fn surrogate_f64(name: &str, sg: Surrogate) -> String {
    let s = Code::var(Dialect::CudaF64, "s");
    let e = neuron::surrogate(sg.method, s.lit(sg.alpha as f64), s);
    format!("__device__ __forceinline__ double {name}(double s) {{\n    return {};\n}}\n", e.text())
}
