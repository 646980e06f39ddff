//! What every rendered kernel shares: the two bindings, exact float literals, the flat thread
//! index over a 2-D grid of workgroups, the error flag, and the surrogate derivative.

use std::fmt::Write;

use snnc_ir::{neuron, Code, Dialect, Num, Surrogate};

use crate::layout::Layout;
use crate::wgsl::Launch;

/// Threads per workgroup of every kernel.
pub const WG: u32 = 64;

/// Most workgroups along one dimension of a dispatch (WebGPU's guaranteed limit).
pub const MAX_GROUPS: u32 = 65535;

/// An f32 as an exact WGSL expression (its bit pattern).
pub fn f(x: f32) -> String {
    snnc_ir::wgsl_f32(x)
}

/// A usize as a WGSL u32 literal; errors above u32.
pub fn u(x: usize) -> Result<String, String> {
    u32::try_from(x)
        .map(|v| format!("{v}u"))
        .map_err(|_| format!("size {x} does not fit the device's 32-bit indices"))
}

/// The workgroup grid `(x, y)` for `groups` workgroups (x at most [`MAX_GROUPS`]).
pub fn grid(groups: usize) -> Result<[u32; 3], String> {
    let g = groups.max(1);
    let nx = g.min(MAX_GROUPS as usize);
    let ny = g.div_ceil(nx);
    if ny > MAX_GROUPS as usize {
        return Err(format!("{groups} workgroups exceed the dispatch limit"));
    }
    Ok([nx as u32, ny as u32, 1])
}

/// The module header: bindings, the error flag of step `step` and the entry point opening.
/// Inside the body, `wgi` is the flat workgroup index and `li` the local index.
fn header(step: usize, nx: u32) -> String {
    let mut s = String::new();
    s.push_str("@group(0) @binding(0) var<storage, read_write> m: array<f32>;\n");
    s.push_str("@group(0) @binding(1) var<storage, read_write> bits: array<atomic<u32>>;\n");
    let _ = writeln!(
        s,
        "fn fail(code: u32) {{ atomicMin(&bits[0], {step}u); atomicMax(&bits[1], code); }}"
    );
    let _ = writeln!(
        s,
        "@compute @workgroup_size({WG})\nfn main(@builtin(workgroup_id) wg: vec3<u32>, \
         @builtin(local_invocation_index) li: u32) {{\n  let wgi = wg.y * {nx}u + wg.x;"
    );
    s
}

/// A kernel with one thread per element of `0..n`: `body` sees the element index `i`.
/// `helpers` are module-level functions placed before the entry point.
pub fn per_elem(step: usize, n: usize, helpers: &str, body: &str) -> Result<Launch, String> {
    let groups = grid(n.div_ceil(WG as usize))?;
    let mut s = String::from(helpers);
    s.push_str(&header(step, groups[0]));
    let _ = writeln!(s, "  let i = wgi * {WG}u + li;\n  if (i >= {}) {{ return; }}", u(n)?);
    s.push_str(body);
    s.push_str("}\n");
    Ok(Launch { src: s, groups, clear_bits: None })
}

/// A kernel with one workgroup per element of `0..n` (`grp` in the body), its [`WG`] threads
/// cooperating (`li`).
pub fn per_group(step: usize, n: usize, helpers: &str, body: &str) -> Result<Launch, String> {
    let groups = grid(n)?;
    let mut s = String::from(helpers);
    s.push_str(&header(step, groups[0]));
    let _ = writeln!(s, "  let grp = wgi;\n  if (grp >= {}) {{ return; }}", u(n)?);
    s.push_str(body);
    s.push_str("}\n");
    Ok(Launch { src: s, groups, clear_bits: None })
}

/// `fn {name}(s: f32) -> f32`: the surrogate derivative σ'(s) in f32, [`neuron::surrogate`]
/// printed in WGSL.
pub fn surrogate_fn(name: &str, sg: &Surrogate) -> String {
    let s = Code::var(Dialect::Wgsl, "s");
    let e = neuron::surrogate(sg.method, s.lit(sg.alpha as f64), s);
    format!("fn {name}(s: f32) -> f32 {{ return {}; }}\n", e.text())
}

/// The f32 offset of buffer `b` in `m` as a WGSL literal.
pub fn off(l: &Layout, b: snnc_plan::BufId) -> Result<String, String> {
    u(l.f32_off(b)?)
}

/// The u32 word offset of bits buffer `b` in `bits`, and its words per row.
pub fn bits_at(l: &Layout, b: snnc_plan::BufId) -> Result<(String, usize), String> {
    let (o, wpr) = l.bits_off(b)?;
    Ok((u(o)?, wpr))
}
