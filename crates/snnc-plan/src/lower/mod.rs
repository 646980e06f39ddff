//! Lowering an IR graph to a [`Plan`]: a short list of named passes, run once for the
//! inference program and once for the training program.
//!
//! | # | pass | does |
//! |---|---|---|
//! | 0 | `verify` | the IR verifier, before anything else |
//! | 1 | `select-kernels` | maps each IR op to its kernel (reshape-like ops and uncut slices become aliases) |
//! | 2 | `plan-saved-tensors` | training: IAF layers save pre-reset potentials (and bit-packed spikes), spike-linear inputs are packed to bits |
//! | 3 | `build-backward` | training: the reverse pass, one or more gradient kernels per op |
//! | 4 | `fuse-elementwise` | merges chains of elementwise kernels into one loop |
//! | 5 | `fuse-gradients` | training: chains of elementwise gradient kernels become one kernel whose intermediate gradients stay in registers |
//! | 6 | `fuse-linear-iaf` | an event-driven linear step and the IAF step that alone reads its output become one step (independent steps between move before them) |
//! | 7 | `liveness` | the first and last step that touches each buffer |
//! | 8 | `assign-buffers` | offsets in one arena, reusing memory of dead buffers (greedy by size) |

mod assign;
mod backward;
mod backward_iaf;
mod backward_linear;
mod backward_rules;
mod backward_window;
mod bind;
mod ctx;
mod fuse;
mod fuse_grad;
mod fuse_linear_iaf;
mod liveness;
mod pipeline;
mod saved;
mod select;
mod select_ops;
mod select_window;
mod slice_clip;
mod usage;

pub(crate) use liveness::target_values;
pub use pipeline::{compile, CompileOptions, PASSES};
