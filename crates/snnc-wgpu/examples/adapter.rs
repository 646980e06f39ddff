//! Prints the wgpu adapter the engine would use, or why there is none (exit code 1).

fn main() {
    match snnc_wgpu::Gpu::new() {
        Ok(g) => println!("{} (binds up to {} bytes)", g.describe(), g.max_binding()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
