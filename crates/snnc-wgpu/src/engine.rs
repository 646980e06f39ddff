//! Running a plan's programs on the device: render every step, upload constants, inputs and
//! upstream gradients into one data buffer, record every dispatch in one command buffer
//! (copying the outputs out right after the forward pass), submit, read back.

use std::borrow::Cow;
use std::sync::Arc;

use snnc_ir::Tensor;
use snnc_plan::{BufId, Gradients, Plan, Program, Wrt, NEED_ALWAYS};

use crate::device::Gpu;
use crate::layout::{Layout, ERR_WORDS};
use crate::wgsl::{error_message, render, Launch};
use crate::WgpuError;

/// Executes a [`Plan`] with WGSL compute kernels on a wgpu device.
pub struct Engine<'p> {
    plan: &'p Plan,
    gpu: &'p Gpu,
}

/// A program rendered for the device.
struct Rendered {
    layout: Layout,
    /// Per step: its dispatches with their pipelines.
    steps: Vec<Vec<(Launch, Arc<wgpu::ComputePipeline>)>>,
}

fn bytes_of(words: usize) -> u64 {
    4 * words.max(1) as u64
}

impl<'p> Engine<'p> {
    /// An engine for `plan` on the process's shared device ([`Gpu::shared`]).
    pub fn new(plan: &'p Plan) -> Result<Self, WgpuError> {
        Ok(Engine { plan, gpu: Gpu::shared()? })
    }

    /// An engine for `plan` on `gpu`.
    pub fn with_gpu(plan: &'p Plan, gpu: &'p Gpu) -> Self {
        Engine { plan, gpu }
    }

    /// The device.
    pub fn gpu(&self) -> &Gpu {
        self.gpu
    }

    /// The WGSL modules of a program's steps, in dispatch order (a pure function of the plan).
    pub fn wgsl(&self, train: bool) -> Result<Vec<String>, WgpuError> {
        let prog = if train { self.plan.train() } else { self.plan.infer() };
        let layout = Layout::new(self.plan, prog).map_err(invalid)?;
        let mut out = Vec::new();
        for (i, s) in prog.steps.iter().enumerate() {
            let l = render(i, &layout, &s.kernel).map_err(|m| self.node_err(prog, i, m))?;
            out.extend(l.into_iter().map(|l| l.src));
        }
        Ok(out)
    }

    /// Runs the inference program (inputs as for `snnc_cpu::Engine::run`); outputs in graph
    /// order, each in its declared dtype.
    pub fn run(&self, given: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, WgpuError> {
        let ins = self.plan.bind_inputs(given)?;
        let seeds = vec![Cow::Borrowed(&[][..]); self.plan.outputs().len()];
        Ok(self.execute(self.plan.infer(), ins, seeds, NEED_ALWAYS)?.0)
    }

    /// Runs the training program: forward, then backward from `grad_outputs` (a missing
    /// output has zero upstream gradient). Returns the outputs and the gradients `wrt` asks
    /// for, keyed like `snnc_cpu`'s.
    pub fn grad(
        &self,
        given: &[(String, Tensor)],
        grad_outputs: &[(String, Tensor)],
        wrt: Wrt,
    ) -> Result<Gradients, WgpuError> {
        let plan = self.plan;
        let ins = plan.bind_inputs(given)?;
        let seeds = plan.bind_grad_outputs(grad_outputs)?;
        let (outputs, grads) = self.execute(plan.train(), ins, seeds, wrt.mask())?;
        Ok(Gradients { outputs, grads })
    }

    fn node_err(&self, prog: &Program, i: usize, msg: String) -> WgpuError {
        let (node, op) = prog
            .steps
            .get(i)
            .and_then(|s| self.plan.nodes().get(s.node as usize))
            .cloned()
            .unwrap_or_default();
        WgpuError::Node { node, op, msg }
    }

    fn render(&self, prog: &Program, mask: u8) -> Result<Rendered, WgpuError> {
        let layout = Layout::new(self.plan, prog).map_err(invalid)?;
        let limit = self.gpu.max_binding();
        for words in [layout.f32_len, layout.u32_len] {
            if bytes_of(words) > limit {
                return Err(WgpuError::TooLarge { bytes: bytes_of(words), limit });
            }
        }
        let mut steps = Vec::with_capacity(prog.steps.len());
        for (i, s) in prog.steps.iter().enumerate() {
            if s.need & mask == 0 {
                steps.push(Vec::new());
                continue;
            }
            let launches = render(i, &layout, &s.kernel).map_err(|m| self.node_err(prog, i, m))?;
            let mut v = Vec::with_capacity(launches.len());
            for l in launches {
                let p =
                    self.gpu.pipeline(&l.src).map_err(|msg| match self.node_err(prog, i, msg) {
                        WgpuError::Node { node, op, msg } => WgpuError::Kernel { node, op, msg },
                        e => e,
                    })?;
                v.push((l, p));
            }
            steps.push(v);
        }
        Ok(Rendered { layout, steps })
    }

    #[allow(clippy::type_complexity)]
    pub(crate) fn execute(
        &self,
        prog: &Program,
        ins: Vec<Cow<[f32]>>,
        seeds: Vec<Cow<[f32]>>,
        mask: u8,
    ) -> Result<(Vec<(String, Tensor)>, Vec<(String, Tensor)>), WgpuError> {
        let plan = self.plan;
        let r = self.render(prog, mask)?;
        let l = &r.layout;
        let dev = &self.gpu.device;
        let mut host = vec![0f32; l.arena];
        for (c, &o) in plan.consts().iter().zip(&l.consts) {
            host[o..o + c.data.len()].copy_from_slice(&c.data);
        }
        for (list, offs) in [(&ins, &l.inputs), (&seeds, &l.seeds)] {
            for (d, &o) in list.iter().zip(offs) {
                let n = d.len().min(host.len().saturating_sub(o));
                host[o..o + n].copy_from_slice(&d[..n]);
            }
        }
        let usage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC;
        let mk = |label, size| {
            dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        let data = mk("snnc data", bytes_of(l.f32_len));
        let bits = mk("snnc bits", bytes_of(l.u32_len));
        if !host.is_empty() {
            self.gpu.queue.write_buffer(&data, 0, &as_bytes(&host));
        }
        self.gpu.queue.write_buffer(&bits, 0, &u32_bytes(&[u32::MAX, 0, 0, 0]));
        let group = self.gpu.bind(&data, &bits);
        // Readback: outputs, gradients, error words.
        let out_bufs: Vec<BufId> = prog.outputs.clone();
        let grad_bufs: Vec<Option<BufId>> = prog.grads.clone();
        let mut rb_len = 0usize;
        let mut place = |n: usize| {
            let o = rb_len;
            rb_len += n;
            o
        };
        let out_at: Vec<usize> = out_bufs
            .iter()
            .map(|&b| l.len(b).map(&mut place))
            .collect::<Result<_, _>>()
            .map_err(invalid)?;
        let grad_at: Vec<Option<usize>> = grad_bufs
            .iter()
            .map(|g| g.map(|b| l.len(b).map(&mut place)).transpose())
            .collect::<Result<_, _>>()
            .map_err(invalid)?;
        let err_at = place(ERR_WORDS);
        let staging = dev.create_buffer(&wgpu::BufferDescriptor {
            label: Some("snnc readback"),
            size: bytes_of(rb_len),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let copy = |enc: &mut wgpu::CommandEncoder, b: BufId, at: usize| -> Result<(), WgpuError> {
            let n = l.len(b).map_err(invalid)?;
            if n > 0 {
                let src = l.f32_off(b).map_err(invalid)?;
                enc.copy_buffer_to_buffer(
                    &data,
                    4 * src as u64,
                    &staging,
                    4 * at as u64,
                    4 * n as u64,
                );
            }
            Ok(())
        };
        let mut enc = dev.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        for (i, launches) in r.steps.iter().enumerate() {
            if i == prog.forward_len {
                for (&b, &at) in out_bufs.iter().zip(&out_at) {
                    copy(&mut enc, b, at)?;
                }
            }
            for (launch, pipe) in launches {
                if let Some((o, n)) = launch.clear_bits {
                    if n > 0 {
                        enc.clear_buffer(&bits, 4 * o as u64, Some(4 * n as u64));
                    }
                }
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: None,
                    timestamp_writes: None,
                });
                pass.set_pipeline(pipe);
                pass.set_bind_group(0, &group, &[]);
                let [x, y, z] = launch.groups;
                pass.dispatch_workgroups(x, y, z);
            }
        }
        if prog.forward_len >= prog.steps.len() {
            for (&b, &at) in out_bufs.iter().zip(&out_at) {
                copy(&mut enc, b, at)?;
            }
        }
        for (g, at) in grad_bufs.iter().zip(&grad_at) {
            if let (Some(b), Some(at)) = (g, at) {
                copy(&mut enc, *b, *at)?;
            }
        }
        enc.copy_buffer_to_buffer(&bits, 0, &staging, 4 * err_at as u64, 4 * ERR_WORDS as u64);
        let scope = dev.push_error_scope(wgpu::ErrorFilter::Validation);
        self.gpu.queue.submit([enc.finish()]);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(WgpuError::Runtime(e.to_string()));
        }
        let words = read_back(self.gpu, &staging)?;
        let err = (words[err_at].to_bits(), words[err_at + 1].to_bits());
        if err.0 != u32::MAX {
            return Err(self.node_err(prog, err.0 as usize, error_message(err.1).to_string()));
        }
        let outputs = plan
            .outputs()
            .iter()
            .zip(&out_bufs)
            .zip(&out_at)
            .map(|((s, &b), &at)| {
                let n = l.len(b).map_err(invalid)?;
                Ok((s.name.clone(), s.tensor(&words[at..at + n]).map_err(invalid)?))
            })
            .collect::<Result<Vec<_>, WgpuError>>()?;
        let mut grads = Vec::new();
        for ((t, g), at) in plan.targets().iter().zip(&grad_bufs).zip(&grad_at) {
            let bit = if t.input { snnc_plan::NEED_INPUTS } else { snnc_plan::NEED_PARAMS };
            if bit & mask == 0 {
                continue;
            }
            let tensor = match (g, at) {
                (Some(b), Some(at)) => {
                    let n = l.len(*b).map_err(invalid)?;
                    t.sig.tensor(&words[*at..*at + n])
                }
                _ => t.sig.tensor(&vec![0.0; t.sig.len()]),
            };
            grads.push((t.sig.name.clone(), tensor.map_err(invalid)?));
        }
        Ok((outputs, grads))
    }
}

fn invalid(m: String) -> WgpuError {
    WgpuError::Plan(snnc_plan::PlanError::Invalid(m))
}

pub(crate) fn as_bytes(x: &[f32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub(crate) fn u32_bytes(x: &[u32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Maps `staging` and returns its words (as f32; error words are reinterpreted by the caller).
pub(crate) fn read_back(gpu: &Gpu, staging: &wgpu::Buffer) -> Result<Vec<f32>, WgpuError> {
    let slice = staging.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    gpu.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| WgpuError::Runtime(e.to_string()))?;
    rx.recv()
        .map_err(|e| WgpuError::Runtime(e.to_string()))?
        .map_err(|e| WgpuError::Runtime(e.to_string()))?;
    let view = slice.get_mapped_range().map_err(|e| WgpuError::Runtime(e.to_string()))?;
    let out = view.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    drop(view);
    staging.unmap();
    Ok(out)
}
