//! The pooling ops' attributes ([`Op::Pool`](crate::Op::Pool)) and their typing rule.

use std::fmt;

use crate::window::{check_rank, resolve, split_input, Window};
use crate::{shape_len, TensorType};

/// What a pooling window computes over its taps (padding taps excluded unless noted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PoolKind {
    /// The sum of the taps inside the input (sinabs `SumPool2d`); padding adds 0.
    Sum,
    /// ONNX `AveragePool`: the sum divided by the kernel's size (`count_include_pad`, PyTorch's
    /// default) or by the number of taps inside the input (ONNX's default).
    Avg {
        /// Whether padding taps count in the divisor.
        count_include_pad: bool,
    },
    /// ONNX `MaxPool`: the largest tap inside the input (padding is −∞).
    Max,
}

impl PoolKind {
    /// The op name: `SumPool`, `AveragePool` or `MaxPool`.
    pub fn name(&self) -> &'static str {
        match self {
            PoolKind::Sum => "SumPool",
            PoolKind::Avg { .. } => "AveragePool",
            PoolKind::Max => "MaxPool",
        }
    }
}

impl fmt::Display for PoolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A pooling op: X [..., C, D_1..D_k] → Y [..., C, O_1..O_k], k ∈ {1, 2}, each channel on its
/// own, with ONNX's window geometry (`ceil_mode = 0`, no dilation). Every axis before C is a
/// batch axis.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolSpec {
    /// What the window computes.
    pub kind: PoolKind,
    /// The window's extent per spatial axis (k entries, required).
    pub kernel: Vec<usize>,
    /// Step per spatial axis (k entries, or empty: all 1, as ONNX).
    pub strides: Vec<usize>,
    /// Padding `[begin_0.., end_0..]` (2k entries, or empty: all 0).
    pub pads: Vec<usize>,
}

impl PoolSpec {
    /// The resolved window.
    pub fn window(&self) -> Result<Window, String> {
        let k = self.kernel.len();
        check_rank(k)?;
        if self.kernel.contains(&0) {
            return Err(format!("'kernel_shape' {:?} has an empty axis", self.kernel));
        }
        if shape_len(&self.kernel).is_none() {
            return Err(format!("'kernel_shape' {:?} has too many taps", self.kernel));
        }
        let win = Window {
            kernel: self.kernel.clone(),
            strides: resolve("strides", &self.strides, k, 1, 1)?,
            pads: resolve("pads", &self.pads, 2 * k, 0, 0)?,
            dilations: vec![1; k],
        };
        if (0..k).any(|i| win.pads[i] >= win.kernel[i] || win.pads[k + i] >= win.kernel[i]) {
            return Err(format!(
                "pads {:?} must be smaller than the kernel {:?} on every side",
                win.pads, win.kernel
            ));
        }
        Ok(win)
    }

    /// The output type for X `x`.
    pub fn infer(&self, x: &TensorType) -> Result<TensorType, String> {
        if !x.dtype.is_float() {
            return Err(format!("X must be a float tensor, got {x}"));
        }
        let win = self.window()?;
        let (lead, c, dims) = split_input(&x.shape, win.rank())?;
        let mut shape = lead.to_vec();
        shape.push(c);
        shape.extend(win.output_dims(dims)?);
        Ok(TensorType::new(x.dtype, shape))
    }
}
