//! Rendering plans to CUDA C: one file per kernel family, `program.rs` walks the steps.

mod cell;
mod conv;
mod ew;
mod ew_grad;
mod fused;
mod gemm;
mod iaf;
mod linear;
mod pool;
mod prelude;
mod program;
mod recurrent;
mod shape;
mod source;

pub use program::{render, render_program};
pub use source::{
    Arg, GemmDesc, GemmOperand, Launch, ProgramSource, Source, StepCode, BITS_PER_WORD,
};
