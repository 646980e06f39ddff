//! The head of every module (types, the grid-stride loop, error reporting) and the surrogate
//! derivative functions.

use snnc_ir::{Method, Surrogate};

use super::source::{lit, lit64};

/// Error codes a kernel stores in `err[0]` (the step index goes to `err[1]`).
pub(crate) const ERR_NOT_BINARY: i32 = 1;
/// An integer division by zero.
pub(crate) const ERR_DIV_ZERO: i32 = 2;
/// A Gather index out of range.
pub(crate) const ERR_INDEX: i32 = 3;

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

/// `__device__ float {name}(float s)`: σ'(s) as the CPU kernels compute it (`super`,
/// `triangle`, `heaviside` in f32; the others in f64, rounded).
pub(crate) fn surrogate_f32(name: &str, sg: Surrogate) -> String {
    let a = lit(sg.alpha);
    let body = match sg.method {
        Method::Heaviside => "    return 0.0f;".to_string(),
        Method::Super => {
            format!("    float d = {a} * fabsf(s) + 1.0f;\n    return 1.0f / (d * d);")
        }
        Method::Triangle => format!("    return {a} * fmaxf(1.0f - fabsf(s), 0.0f);"),
        _ => format!("    return (float){name}_64((double)s);"),
    };
    let mut out = String::new();
    if !matches!(sg.method, Method::Heaviside | Method::Super | Method::Triangle) {
        out.push_str(&surrogate_f64(&format!("{name}_64"), sg));
    }
    out.push_str(&format!("__device__ __forceinline__ float {name}(float s) {{\n{body}\n}}\n"));
    out
}

/// `__device__ double {name}(double s)`: σ'(s) in f64 (`Surrogate::derivative`).
pub(crate) fn surrogate_f64(name: &str, sg: Surrogate) -> String {
    let a = lit64(sg.alpha);
    let body = match sg.method {
        Method::Heaviside => "    return 0.0;".to_string(),
        Method::Super => format!("    double d = {a} * fabs(s) + 1.0;\n    return 1.0 / (d * d);"),
        Method::Triangle => format!("    return {a} * fmax(1.0 - fabs(s), 0.0);"),
        Method::Tanh => format!("    double t = tanh({a} * s);\n    return 1.0 - t * t;"),
        Method::Circ => {
            format!("    const double a = {a};\n    return a * a * a / pow(a * a + s * s, 1.5);")
        }
        Method::HeaviErfc => format!(
            "    const double a = {a};\n    return 2.0 * exp(-(a * s) * (a * s)) / sqrt(3.141592653589793);"
        ),
        Method::Atan => format!(
            "    const double a = {a};\n    double u = 1.5707963267948966 * a * s;\n    return (a / 2.0) / (1.0 + u * u);"
        ),
        Method::Sigmoid => format!(
            "    const double a = {a};\n    double e = exp(-fabs(a * s));\n    return a * e / ((1.0 + e) * (1.0 + e));"
        ),
        Method::Exp => format!("    const double a = {a};\n    return a * exp(-a * fabs(s));"),
    };
    format!("__device__ __forceinline__ double {name}(double s) {{\n{body}\n}}\n")
}
