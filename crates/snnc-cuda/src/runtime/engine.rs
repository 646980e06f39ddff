//! The CUDA engine: compiles the rendered modules (cached), keeps the plan's constants and the
//! programs' buffers on the GPU, launches every step on one stream, and reads back outputs and
//! gradients.

use std::sync::Arc;
use std::time::Instant;

use cudarc::cublas::{result as blas_result, sys as blas_sys};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaModule, CudaSlice, CudaStream, DevicePtr, LaunchConfig,
    PushKernelArg,
};
use cudarc::nvrtc::Ptx;
use snnc_ir::Tensor;
use snnc_plan::{
    BufLoc, Kernel, Plan, Program, StepTime, Wrt, NEED_ALWAYS, NEED_INPUTS, NEED_PARAMS,
};

use super::bind::{event_suits, inputs, seeds, to_tensor};
use super::blas;
use super::cache::cubin;
use crate::render::render_program;
use crate::{Arg, CudaError, Launch, Options, ProgramSource, BITS_PER_WORD};

fn drv(call: &'static str) -> impl Fn(cudarc::driver::DriverError) -> CudaError {
    move |e| CudaError::Driver { call, msg: e.to_string() }
}

/// The name of the GPU [`Engine`] would use (device 0), or why there is none.
pub fn available() -> Result<String, CudaError> {
    let ctx = context(0)?;
    ctx.name().map_err(drv("cuDeviceGetName"))
}

fn context(device: usize) -> Result<Arc<CudaContext>, CudaError> {
    // SAFETY: only tries to open the driver library by its known names.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(CudaError::Unavailable("no CUDA driver (libcuda.so) on this machine".into()));
    }
    CudaContext::new(device)
        .map_err(|e| CudaError::Unavailable(format!("no usable GPU {device}: {e}")))
}

/// One program on the device: its module, functions and buffers.
struct Loaded {
    src: ProgramSource,
    _module: Arc<CudaModule>,
    funcs: Vec<(String, CudaFunction)>,
    arena: CudaSlice<f32>,
    bits: Vec<CudaSlice<u32>>,
    err: CudaSlice<i32>,
}

/// Executes a [`Plan`] on a GPU. Constants are uploaded once; each program is compiled (NVRTC,
/// cached by source hash) and its memory allocated on first use.
pub struct Engine<'p> {
    plan: &'p Plan,
    opts: Options,
    arch: u32,
    stream: Arc<CudaStream>,
    blas: Option<blas_sys::cublasHandle_t>,
    consts: Vec<CudaSlice<f32>>,
    inputs: Vec<CudaSlice<f32>>,
    event_ok: Vec<bool>,
    seeds: Vec<CudaSlice<f32>>,
    infer: Option<Loaded>,
    train: Option<Loaded>,
}

impl Drop for Engine<'_> {
    fn drop(&mut self) {
        if let Some(h) = self.blas.take() {
            // SAFETY: the handle was created by this engine and is not used after this.
            let _ = unsafe { blas_result::destroy_handle(h) };
        }
    }
}

fn upload(stream: &Arc<CudaStream>, data: &[f32]) -> Result<CudaSlice<f32>, CudaError> {
    if data.is_empty() {
        return stream.alloc_zeros::<f32>(1).map_err(drv("cuMemAlloc"));
    }
    stream.clone_htod(data).map_err(drv("cuMemcpyHtoD"))
}

fn pick(v: &[CudaSlice<f32>], i: u32) -> Result<&CudaSlice<f32>, CudaError> {
    v.get(i as usize).ok_or_else(|| CudaError::Input("invalid plan".into()))
}

fn ptr<T>(s: &CudaSlice<T>, stream: &CudaStream) -> u64 {
    let (p, _sync) = s.device_ptr(stream);
    p
}

impl<'p> Engine<'p> {
    /// An engine for `plan` on GPU `options.device`; errors with [`CudaError::Unavailable`]
    /// when there is no driver or device.
    pub fn new(plan: &'p Plan, options: Options) -> Result<Self, CudaError> {
        crate::nvrtc::available().then_some(()).ok_or(CudaError::NoNvrtc)?;
        let ctx = context(options.device)?;
        let (major, minor) = ctx.compute_capability().map_err(drv("cuDeviceGetAttribute"))?;
        let arch = (major * 10 + minor) as u32;
        let stream = ctx.default_stream();
        let blas = if options.cublas {
            // SAFETY: probing the library by name only.
            if !unsafe { blas_sys::is_culib_present() } {
                return Err(CudaError::Unavailable("cuBLAS (libcublas.so) is missing".into()));
            }
            let h = blas_result::create_handle()
                .map_err(|e| CudaError::Driver { call: "cublasCreate", msg: format!("{e:?}") })?;
            let mode = if options.tf32 {
                blas_sys::cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH
            } else {
                blas_sys::cublasMath_t::CUBLAS_DEFAULT_MATH
            };
            // SAFETY: `h` is a live handle; the stream belongs to this context.
            unsafe {
                blas_result::set_stream(h, stream.cu_stream() as _).map_err(|e| {
                    CudaError::Driver { call: "cublasSetStream", msg: format!("{e:?}") }
                })?;
                blas_sys::cublasSetMathMode(h, mode).result().map_err(|e| CudaError::Driver {
                    call: "cublasSetMathMode",
                    msg: format!("{e:?}"),
                })?;
            }
            Some(h)
        } else {
            None
        };
        let consts =
            plan.consts().iter().map(|c| upload(&stream, &c.data)).collect::<Result<_, _>>()?;
        Ok(Engine {
            plan,
            opts: options,
            arch,
            stream,
            blas,
            consts,
            inputs: Vec::new(),
            event_ok: Vec::new(),
            seeds: Vec::new(),
            infer: None,
            train: None,
        })
    }

    /// The compute capability the modules are compiled for, e.g. 90.
    pub fn arch(&self) -> u32 {
        self.arch
    }

    fn load_program(&self, prog: &Program, name: &str) -> Result<Loaded, CudaError> {
        let src = render_program(self.plan, prog, name)?;
        let image = cubin(&src.code, &format!("{name}.cu"), self.arch)?;
        let ctx = self.stream.context();
        let module = ctx.load_module(Ptx::from_binary(image)).map_err(drv("cuModuleLoadData"))?;
        let mut funcs = Vec::new();
        for k in src.kernels() {
            let f = module.load_function(k).map_err(drv("cuModuleGetFunction"))?;
            funcs.push((k.to_string(), f));
        }
        let s = &self.stream;
        let arena = s.alloc_zeros::<f32>(prog.arena_len.max(1)).map_err(drv("cuMemAlloc"))?;
        let mut words = vec![1usize; prog.bits_slots];
        for b in &prog.bufs {
            if let BufLoc::Bits { slot, rows, cols } = b.loc {
                if let Some(w) = words.get_mut(slot as usize) {
                    *w = (*w).max(rows * cols.div_ceil(BITS_PER_WORD));
                }
            }
        }
        let bits = words
            .iter()
            .map(|&w| s.alloc_zeros::<u32>(w).map_err(drv("cuMemAlloc")))
            .collect::<Result<_, _>>()?;
        let err = s.alloc_zeros::<i32>(2).map_err(drv("cuMemAlloc"))?;
        Ok(Loaded { src, _module: module, funcs, arena, bits, err })
    }

    /// Uploads the inputs (checked like the CPU engine's) and the upstream gradients (zero
    /// where not given) for the next [`Engine::execute`].
    pub fn load(
        &mut self,
        given: &[(String, Tensor)],
        grad_outputs: &[(String, Tensor)],
    ) -> Result<(), CudaError> {
        let ins = inputs(self.plan, given)?;
        let sd = seeds(self.plan, grad_outputs)?;
        self.event_ok = ins.iter().map(|d| event_suits(d)).collect();
        self.inputs = ins.iter().map(|d| upload(&self.stream, d)).collect::<Result<_, _>>()?;
        self.seeds = sd.iter().map(|d| upload(&self.stream, d)).collect::<Result<_, _>>()?;
        Ok(())
    }

    /// Runs a whole program on the loaded data and waits for it: inference (`training` false)
    /// or training with the steps `wrt` needs. For benchmarks: nothing is copied back.
    pub fn execute(&mut self, training: bool, wrt: Wrt) -> Result<(), CudaError> {
        let mask = if training { wrt.mask() } else { NEED_ALWAYS };
        let n =
            if training { self.plan.train().steps.len() } else { self.plan.infer().steps.len() };
        self.prepare(training)?;
        self.launch_range(training, 0..n, mask)?;
        self.finish(training)
    }

    /// Runs one program (`training`: the training program with `wrt`'s steps) step by step,
    /// waiting for the GPU after each, and returns each step's wall time from launch to
    /// completion: where the time goes. Steps `wrt` skips are left out. Slower than
    /// [`execute`](Engine::execute) by a synchronization per step.
    pub fn profile(&mut self, training: bool, wrt: Wrt) -> Result<Vec<StepTime>, CudaError> {
        let mask = if training { wrt.mask() } else { NEED_ALWAYS };
        let prog = if training { self.plan.train() } else { self.plan.infer() };
        self.prepare(training)?;
        self.stream.synchronize().map_err(drv("cuStreamSynchronize"))?;
        let mut times = Vec::new();
        for (i, step) in prog.steps.iter().enumerate() {
            if step.need & mask == 0 {
                continue;
            }
            let start = Instant::now();
            self.launch_range(training, i..i + 1, mask)?;
            self.stream.synchronize().map_err(drv("cuStreamSynchronize"))?;
            let name = |n: u32| self.plan.nodes().get(n as usize).map_or("", |n| n.0.as_str());
            // A fused linear + IAF step names both of its nodes, as the cpu engine's profile.
            let node = match &step.kernel {
                Kernel::LinearIaf(k) => format!("{}+{}", name(step.node), name(k.iaf_node)),
                _ => name(step.node).to_string(),
            };
            times.push(StepTime {
                step: i,
                steps: 1,
                kernel: step.kernel.name(),
                node,
                time: start.elapsed(),
            });
        }
        self.finish(training)?;
        Ok(times)
    }

    fn prepare(&mut self, training: bool) -> Result<(), CudaError> {
        let slot = if training { &self.train } else { &self.infer };
        if slot.is_none() {
            let (prog, name) =
                if training { (self.plan.train(), "train") } else { (self.plan.infer(), "infer") };
            let loaded = self.load_program(prog, name)?;
            *(if training { &mut self.train } else { &mut self.infer }) = Some(loaded);
        }
        let l = if training { self.train.as_mut() } else { self.infer.as_mut() };
        let l = l.ok_or_else(|| CudaError::Unavailable("program not loaded".into()))?;
        self.stream.memset_zeros(&mut l.err).map_err(drv("cuMemsetD8"))
    }

    /// The device address of `arg` in program `l`.
    fn address(&self, l: &Loaded, prog: &Program, arg: Arg) -> Result<u64, CudaError> {
        let s = &self.stream;
        let bad = |m: &str| CudaError::Input(format!("invalid plan: {m}"));
        Ok(match arg {
            Arg::Err => ptr(&l.err, s),
            Arg::Buf(b) => {
                let buf = prog.bufs.get(b.0 as usize).ok_or_else(|| bad("buffer"))?;
                match buf.loc {
                    BufLoc::Input(i) => {
                        ptr(self.inputs.get(i as usize).ok_or_else(|| bad("input"))?, s)
                    }
                    BufLoc::Const(i) => {
                        ptr(self.consts.get(i as usize).ok_or_else(|| bad("const"))?, s)
                    }
                    BufLoc::Seed(i) => {
                        ptr(self.seeds.get(i as usize).ok_or_else(|| bad("seed"))?, s)
                    }
                    BufLoc::Arena { off } => {
                        if off + buf.len > l.arena.len().max(1) && buf.len > 0 {
                            return Err(bad("buffer past the arena"));
                        }
                        ptr(&l.arena, s) + 4 * off as u64
                    }
                    BufLoc::Bits { slot, .. } => {
                        ptr(l.bits.get(slot as usize).ok_or_else(|| bad("bits slot"))?, s)
                    }
                }
            }
        })
    }

    fn launch(&self, l: &Loaded, prog: &Program, launch: &Launch) -> Result<(), CudaError> {
        if let (Some(h), false) = (self.blas, launch.gemm.is_empty()) {
            if launch.gemm.iter().all(blas::fits) {
                for g in &launch.gemm {
                    let a = self.address(l, prog, g.a.arg)? + 4 * g.a.off as u64;
                    let b = self.address(l, prog, g.b.arg)? + 4 * g.b.off as u64;
                    let c = self.address(l, prog, g.c)? + 4 * g.c_off as u64;
                    // SAFETY: the addresses are the plan's buffers on this engine's stream.
                    unsafe { blas::sgemm(h, g, a, b, c)? };
                }
                return Ok(());
            }
        }
        let f = l
            .funcs
            .iter()
            .find(|(n, _)| n == &launch.kernel)
            .map(|(_, f)| f)
            .ok_or_else(|| CudaError::Input(format!("kernel {} missing", launch.kernel)))?;
        let args: Vec<u64> =
            launch.args.iter().map(|&a| self.address(l, prog, a)).collect::<Result<_, _>>()?;
        let cfg = LaunchConfig {
            grid_dim: (launch.grid[0], launch.grid[1], launch.grid[2]),
            block_dim: (launch.block[0], launch.block[1], launch.block[2]),
            shared_mem_bytes: launch.shared_bytes,
        };
        let mut b = self.stream.launch_builder(f);
        for a in &args {
            b.arg(a);
        }
        // SAFETY: the arguments are device pointers of the sizes the rendered kernel expects.
        unsafe { b.launch(cfg) }.map(|_| ()).map_err(drv("cuLaunchKernel"))
    }

    fn launch_range(
        &self,
        training: bool,
        range: std::ops::Range<usize>,
        mask: u8,
    ) -> Result<(), CudaError> {
        let (prog, l) = if training {
            (self.plan.train(), self.train.as_ref())
        } else {
            (self.plan.infer(), self.infer.as_ref())
        };
        let l = l.ok_or_else(|| CudaError::Unavailable("program not loaded".into()))?;
        for i in range {
            let (Some(step), Some(code)) = (prog.steps.get(i), l.src.steps.get(i)) else { break };
            if step.need & mask == 0 {
                continue;
            }
            let launches = match &code.dense {
                Some((b, dense)) => {
                    let input = match prog.bufs.get(b.0 as usize).map(|x| x.loc) {
                        Some(BufLoc::Input(k)) => self.event_ok.get(k as usize).copied(),
                        _ => None,
                    };
                    if input == Some(true) {
                        &code.launches
                    } else {
                        dense
                    }
                }
                None => &code.launches,
            };
            for launch in launches {
                self.launch(l, prog, launch)?;
            }
        }
        Ok(())
    }

    /// Waits for the stream and turns a kernel's error report into an error naming its node.
    fn finish(&self, training: bool) -> Result<(), CudaError> {
        self.stream.synchronize().map_err(drv("cuStreamSynchronize"))?;
        let (prog, l) = if training {
            (self.plan.train(), self.train.as_ref())
        } else {
            (self.plan.infer(), self.infer.as_ref())
        };
        let l = l.ok_or_else(|| CudaError::Unavailable("program not loaded".into()))?;
        let e = self.stream.clone_dtoh(&l.err).map_err(drv("cuMemcpyDtoH"))?;
        if e[0] == 0 {
            return Ok(());
        }
        let msg = match e[0] {
            1 => "the input of a spike-linear layer must be 0/1",
            2 => "integer division by zero",
            3 => "index out of range",
            _ => "kernel error",
        };
        let (node, op) = prog
            .steps
            .get(e[1] as usize)
            .and_then(|s| self.plan.nodes().get(s.node as usize))
            .cloned()
            .unwrap_or_default();
        Err(CudaError::Node { node, op, msg: msg.to_string() })
    }

    fn read(&self, training: bool, b: snnc_plan::BufId) -> Result<Vec<f32>, CudaError> {
        let (prog, l) = if training {
            (self.plan.train(), self.train.as_ref())
        } else {
            (self.plan.infer(), self.infer.as_ref())
        };
        let l = l.ok_or_else(|| CudaError::Unavailable("program not loaded".into()))?;
        let buf =
            prog.bufs.get(b.0 as usize).ok_or_else(|| CudaError::Input("invalid plan".into()))?;
        if buf.len == 0 {
            return Ok(Vec::new());
        }
        let s = &self.stream;
        let whole =
            |x: &CudaSlice<f32>| s.clone_dtoh(&x.slice(0..buf.len)).map_err(drv("cuMemcpyDtoH"));
        match buf.loc {
            BufLoc::Arena { off } => {
                s.clone_dtoh(&l.arena.slice(off..off + buf.len)).map_err(drv("cuMemcpyDtoH"))
            }
            BufLoc::Input(i) => whole(pick(&self.inputs, i)?),
            BufLoc::Const(i) => whole(pick(&self.consts, i)?),
            BufLoc::Seed(i) => whole(pick(&self.seeds, i)?),
            BufLoc::Bits { .. } => Err(CudaError::Input("spike bits are not a value".into())),
        }
    }

    fn outputs(&self, training: bool) -> Result<Vec<(String, Tensor)>, CudaError> {
        let prog = if training { self.plan.train() } else { self.plan.infer() };
        self.plan
            .outputs()
            .iter()
            .zip(&prog.outputs)
            .map(|(s, &b)| Ok((s.name.clone(), to_tensor(s, self.read(training, b)?)?)))
            .collect()
    }

    /// Runs the inference program on `inputs`; outputs in graph order, in their dtypes.
    pub fn run(&mut self, given: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, CudaError> {
        self.load(given, &[])?;
        self.execute(false, Wrt::All)?;
        self.outputs(false)
    }

    /// Runs the training program and returns the gradients `wrt` asks for (float graph inputs,
    /// then float initializers, keyed by name, like `snnc_cpu::grad`).
    pub fn grad(
        &mut self,
        given: &[(String, Tensor)],
        grad_outputs: &[(String, Tensor)],
        wrt: Wrt,
    ) -> Result<Vec<(String, Tensor)>, CudaError> {
        self.load(given, grad_outputs)?;
        let mask = wrt.mask();
        self.prepare(true)?;
        let prog = self.plan.train();
        self.launch_range(true, 0..prog.steps.len(), mask)?;
        self.finish(true)?;
        let mut out = Vec::new();
        for (t, g) in self.plan.targets().iter().zip(&prog.grads) {
            let bit = if t.input { NEED_INPUTS } else { NEED_PARAMS };
            if bit & mask == 0 {
                continue;
            }
            let data = match g {
                Some(b) => self.read(true, *b)?,
                None => vec![0.0; t.sig.len()],
            };
            out.push((t.sig.name.clone(), to_tensor(&t.sig, data)?));
        }
        Ok(out)
    }

    /// The options the engine was built with.
    pub fn options(&self) -> Options {
        self.opts
    }
}
