//! The device: adapter, queue, the one bind-group layout every kernel uses (two read-write
//! storage buffers), and compute pipelines cached by WGSL source.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::WgpuError;

/// A wgpu device ready to run rendered kernels.
pub struct Gpu {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    pub(crate) limits: wgpu::Limits,
    layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    pipelines: Mutex<HashMap<String, Arc<wgpu::ComputePipeline>>>,
}

fn storage(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only: false },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl Gpu {
    /// Opens the first adapter wgpu offers (a high-performance one preferred). Honours
    /// wgpu's environment variables (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`, …).
    pub fn new() -> Result<Self, WgpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let opts = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::from_env()
                .unwrap_or(wgpu::PowerPreference::HighPerformance),
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        };
        let adapter = pollster::block_on(instance.request_adapter(&opts))
            .map_err(|e| WgpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let desc = wgpu::DeviceDescriptor {
            label: Some("snnc"),
            required_limits: limits.clone(),
            ..Default::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| WgpuError::Device(e.to_string()))?;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("snnc memory"),
            entries: &[storage(0), storage(1)],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("snnc"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        Ok(Gpu {
            device,
            queue,
            info,
            limits,
            layout,
            pipeline_layout,
            pipelines: Mutex::new(HashMap::new()),
        })
    }

    /// The device of this process, opened on first use and shared by every engine.
    pub fn shared() -> Result<&'static Gpu, WgpuError> {
        static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();
        match GPU.get_or_init(|| Gpu::new().map_err(|e| e.to_string())) {
            Ok(g) => Ok(g),
            Err(e) => Err(WgpuError::Runtime(e.clone())),
        }
    }

    /// The adapter's name, driver and backend, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)
    /// (Vulkan, Cpu)`.
    pub fn describe(&self) -> String {
        let i = &self.info;
        let driver =
            if i.driver_info.is_empty() { i.driver.clone() } else { i.driver_info.clone() };
        format!("{} ({driver}; {:?}, {:?})", i.name, i.backend, i.device_type)
    }

    /// The largest storage buffer a kernel can bind, in bytes.
    pub fn max_binding(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size)
    }

    /// The pipeline of a WGSL module (entry point `main`), compiled once per source.
    pub(crate) fn pipeline(&self, src: &str) -> Result<Arc<wgpu::ComputePipeline>, String> {
        if let Some(p) = self.pipelines.lock().map_err(|e| e.to_string())?.get(src) {
            return Ok(p.clone());
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: None,
            source: wgpu::ShaderSource::Wgsl(src.into()),
        });
        let p = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: None,
            layout: Some(&self.pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(format!("{e}\n--- WGSL ---\n{src}"));
        }
        let p = Arc::new(p);
        self.pipelines.lock().map_err(|e| e.to_string())?.insert(src.to_string(), p.clone());
        Ok(p)
    }

    /// A bind group over the two memory buffers.
    pub(crate) fn bind(&self, data: &wgpu::Buffer, bits: &wgpu::Buffer) -> wgpu::BindGroup {
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("snnc memory"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: data.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: bits.as_entire_binding() },
            ],
        })
    }
}
