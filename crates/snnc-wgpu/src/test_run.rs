//! Running rendered launches on hand-made memory, for the kernels' unit tests: the f32 data
//! goes in, every launch runs in order in one command buffer, the data and the error flag come
//! back.

use crate::device::Gpu;
use crate::engine::{as_bytes, read_back, u32_bytes};
use crate::layout::ERR_WORDS;
use crate::wgsl::Launch;

/// Runs `launches` over `data` (the whole f32 buffer) on the shared device; the data after
/// them, or the failing step's error code.
pub(crate) fn run(data: &[f32], launches: &[Launch]) -> Result<Vec<f32>, String> {
    let gpu = Gpu::shared().map_err(|e| e.to_string())?;
    let dev = &gpu.device;
    let usage =
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
    let mk = |label, words: usize| {
        dev.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: 4 * words.max(1) as u64,
            usage,
            mapped_at_creation: false,
        })
    };
    let mem = mk("test data", data.len());
    let bits = mk("test bits", ERR_WORDS);
    if !data.is_empty() {
        gpu.queue.write_buffer(&mem, 0, &as_bytes(data));
    }
    gpu.queue.write_buffer(&bits, 0, &u32_bytes(&[u32::MAX, 0, 0, 0]));
    let group = gpu.bind(&mem, &bits);
    let words = data.len() + ERR_WORDS;
    let staging = dev.create_buffer(&wgpu::BufferDescriptor {
        label: Some("test readback"),
        size: 4 * words as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc = dev.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
    for l in launches {
        let pipe = gpu.pipeline(&l.src)?;
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipe);
        pass.set_bind_group(0, &group, &[]);
        let [x, y, z] = l.groups;
        pass.dispatch_workgroups(x, y, z);
    }
    if !data.is_empty() {
        enc.copy_buffer_to_buffer(&mem, 0, &staging, 0, 4 * data.len() as u64);
    }
    enc.copy_buffer_to_buffer(&bits, 0, &staging, 4 * data.len() as u64, 4 * ERR_WORDS as u64);
    gpu.queue.submit([enc.finish()]);
    let out = read_back(gpu, &staging).map_err(|e| e.to_string())?;
    let (step, code) = (out[data.len()].to_bits(), out[data.len() + 1].to_bits());
    if step != u32::MAX {
        return Err(format!("step {step} failed with code {code}"));
    }
    Ok(out[..data.len()].to_vec())
}
