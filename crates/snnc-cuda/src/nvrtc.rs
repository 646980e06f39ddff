//! Compiling rendered sources with NVRTC, loaded at run time (`libnvrtc.so.12`, found through
//! the dynamic loader's search path, e.g. `LD_LIBRARY_PATH`). Needs no GPU and no driver.

use std::ffi::{c_char, CString};

use cudarc::nvrtc::{result, sys};

use crate::CudaError;

/// What to compile a module to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// PTX for a virtual architecture (`compute_XY`).
    Ptx,
    /// A CUBIN for a real architecture (`sm_XY`), with the `ptxas -v` report in the log.
    Cubin,
}

/// A compiled module.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// PTX text or CUBIN bytes.
    pub image: Vec<u8>,
    /// NVRTC's log (warnings; the `ptxas` report for CUBIN output).
    pub log: String,
}

/// Register spills of one kernel, from a `ptxas -v` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spill {
    /// The kernel.
    pub kernel: String,
    /// Bytes of spill stores.
    pub stores: usize,
    /// Bytes of spill loads.
    pub loads: usize,
    /// Bytes of stack frame (local arrays and spills).
    pub stack: usize,
}

/// True when NVRTC can be loaded.
pub fn available() -> bool {
    // SAFETY: only tries to open the library by its known names.
    unsafe { sys::is_culib_present() }
}

/// The options every module is compiled with for `arch` (a number such as 80 or 90): no fused
/// multiply-add (f32 roundings as on the CPU), IEEE division and square root.
pub fn options(arch: u32, output: Output) -> Vec<String> {
    let target = match output {
        Output::Ptx => format!("--gpu-architecture=compute_{arch}"),
        Output::Cubin => format!("--gpu-architecture=sm_{arch}"),
    };
    let mut o = vec![
        target,
        "--fmad=false".to_string(),
        "--prec-div=true".to_string(),
        "--prec-sqrt=true".to_string(),
        "--std=c++17".to_string(),
    ];
    if output == Output::Cubin {
        o.push("--ptxas-options=-v".to_string());
    }
    o
}

fn log_of(prog: sys::nvrtcProgram) -> String {
    // SAFETY: `prog` is a live program.
    match unsafe { result::get_program_log(prog) } {
        Ok(raw) => {
            let bytes: Vec<u8> = raw.iter().map(|&c| c as u8).take_while(|&b| b != 0).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Err(e) => format!("(no log: {e:?})"),
    }
}

/// Compiles `src` (module `name`) for architecture `arch` (e.g. 80 for `sm_80`).
pub fn compile(src: &str, name: &str, arch: u32, output: Output) -> Result<Compiled, CudaError> {
    if !available() {
        return Err(CudaError::NoNvrtc);
    }
    let fail = |log: String| CudaError::Compile {
        name: name.to_string(),
        arch: format!("sm_{arch}"),
        log,
    };
    let c_src = CString::new(src).map_err(|_| fail("the source contains a NUL byte".into()))?;
    let c_name = CString::new(name).map_err(|_| fail("the name contains a NUL byte".into()))?;
    let prog = result::create_program(&c_src, Some(c_name.as_c_str()))
        .map_err(|e| fail(format!("{e:?}")))?;
    let opts = options(arch, output);
    // SAFETY: `prog` was just created and is destroyed below, after its last use.
    let compiled = unsafe { result::compile_program(prog, &opts) };
    let log = log_of(prog);
    let image = compiled.map_err(|e| format!("{e:?}\n{log}")).and_then(|()| match output {
        // SAFETY: the program compiled.
        Output::Ptx => unsafe { result::get_ptx(prog) }
            .map(|p| p.iter().map(|&c| c as u8).take_while(|&b| b != 0).collect())
            .map_err(|e| format!("{e:?}")),
        Output::Cubin => unsafe { cubin(prog) },
    });
    // SAFETY: last use of `prog`.
    let _ = unsafe { result::destroy_program(prog) };
    Ok(Compiled { image: image.map_err(fail)?, log })
}

/// The CUBIN of a compiled program.
///
/// # Safety
/// `prog` must be a live, successfully compiled program.
unsafe fn cubin(prog: sys::nvrtcProgram) -> Result<Vec<u8>, String> {
    let mut size = 0usize;
    // SAFETY: the caller's contract.
    unsafe { sys::nvrtcGetCUBINSize(prog, &mut size) }.result().map_err(|e| format!("{e:?}"))?;
    let mut buf = vec![0 as c_char; size];
    // SAFETY: `buf` has the size NVRTC asked for.
    unsafe { sys::nvrtcGetCUBIN(prog, buf.as_mut_ptr()) }.result().map_err(|e| format!("{e:?}"))?;
    Ok(buf.into_iter().map(|c| c as u8).collect())
}

/// The spill report of every kernel in a `ptxas -v` log.
pub fn spills(log: &str) -> Vec<Spill> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in log.lines() {
        if let Some(rest) = line.split("Function properties for ").nth(1) {
            current = Some(rest.trim().to_string());
            continue;
        }
        let Some(kernel) = current.as_ref() else { continue };
        if line.contains("bytes stack frame") {
            let num = |key: &str| -> usize {
                line.split(',')
                    .find(|p| p.contains(key))
                    .and_then(|p| p.split_whitespace().next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            };
            out.push(Spill {
                kernel: kernel.clone(),
                stack: num("stack frame"),
                stores: num("spill stores"),
                loads: num("spill loads"),
            });
            current = None;
        }
    }
    out
}

/// NVRTC's version, `(major, minor)`.
pub fn version() -> Result<(i32, i32), CudaError> {
    if !available() {
        return Err(CudaError::NoNvrtc);
    }
    let (mut major, mut minor) = (0, 0);
    // SAFETY: NVRTC is loaded; both pointers are valid.
    unsafe { sys::nvrtcVersion(&mut major, &mut minor) }
        .result()
        .map_err(|e| CudaError::Driver { call: "nvrtcVersion", msg: format!("{e:?}") })?;
    Ok((major, minor))
}
