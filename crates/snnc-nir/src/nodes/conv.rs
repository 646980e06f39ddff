use super::fields::Fields;
use crate::Array;

/// `Conv1d` / `Conv2d`: weight `[out, in/groups, k...]`, per spatial axis stride, padding and
/// dilation. Parsed fully; lowering refuses them until snnc's IR has convolutions.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvNode {
    /// 1 or 2 spatial dimensions.
    pub dims: usize,
    /// The kernel, `[out, in/groups, k...]`.
    pub weight: Array,
    /// The bias, `[out]`.
    pub bias: Array,
    /// Stride per spatial axis.
    pub stride: Vec<i64>,
    /// Zero padding per spatial axis.
    pub padding: Vec<i64>,
    /// Dilation per spatial axis.
    pub dilation: Vec<i64>,
    /// Groups.
    pub groups: i64,
    /// The declared spatial input shape, if the file has one.
    pub input_shape: Option<Vec<usize>>,
}

/// `SumPool2d` / `AvgPool2d`. Parsed fully; lowering refuses them for now.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolNode {
    /// True for `AvgPool2d`, false for `SumPool2d`.
    pub average: bool,
    /// Kernel (height, width).
    pub kernel_size: Vec<i64>,
    /// Stride (height, width).
    pub stride: Vec<i64>,
    /// Padding (height, width).
    pub padding: Vec<i64>,
}

fn per_axis(f: &Fields, name: &str, dims: usize) -> Result<Vec<i64>, String> {
    let v = f.ints(name)?;
    match v.len() {
        1 => Ok(vec![v[0]; dims]),
        n if n == dims => Ok(v),
        n => Err(format!("field '{name}' holds {n} values; expected 1 or {dims}")),
    }
}

pub(crate) fn conv(f: &Fields, dims: usize) -> Result<ConvNode, String> {
    let weight = f.array("weight")?;
    if weight.shape.len() != dims + 2 {
        return Err(format!(
            "weight has shape {:?}; a {dims}-D convolution's is [out, in/groups, k...] ({} dims)",
            weight.shape,
            dims + 2
        ));
    }
    let bias = f.array("bias")?;
    let input_shape = if f.has("input_shape") { Some(f.sizes("input_shape")?) } else { None };
    // nir writes a padding string ('same', 'valid') only for in-memory graphs; files hold ints.
    let node = ConvNode {
        dims,
        bias,
        stride: per_axis(f, "stride", dims)?,
        padding: per_axis(f, "padding", dims)?,
        dilation: per_axis(f, "dilation", dims)?,
        groups: f.int("groups")?,
        input_shape,
        weight,
    };
    if node.groups < 1 || node.stride.iter().chain(&node.dilation).any(|&x| x < 1) {
        return Err("groups, stride and dilation must be at least 1".into());
    }
    if node.padding.iter().any(|&p| p < 0) {
        return Err("padding must not be negative".into());
    }
    if node.bias.data.len() != node.weight.shape[0] {
        return Err(format!(
            "bias has {} values but the kernel has {} output channels",
            node.bias.data.len(),
            node.weight.shape[0]
        ));
    }
    Ok(node)
}

pub(crate) fn pool(f: &Fields, average: bool) -> Result<PoolNode, String> {
    let node = PoolNode {
        average,
        kernel_size: per_axis(f, "kernel_size", 2)?,
        stride: per_axis(f, "stride", 2)?,
        padding: per_axis(f, "padding", 2)?,
    };
    if node.kernel_size.iter().chain(&node.stride).any(|&x| x < 1) {
        return Err("kernel_size and stride must be at least 1".into());
    }
    Ok(node)
}

impl ConvNode {
    /// The output feature shape `[out, spatial...]` for an input `[in, spatial...]`.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, String> {
        if input.len() != self.dims + 1 {
            return Err(format!(
                "input has shape {input:?}; expected [channels, {} spatial]",
                self.dims
            ));
        }
        let in_ch = self.weight.shape[1] as i64 * self.groups;
        if input[0] as i64 != in_ch {
            return Err(format!("input has {} channels; the kernel takes {in_ch}", input[0]));
        }
        let mut out = vec![self.weight.shape[0]];
        for a in 0..self.dims {
            let k = self.weight.shape[2 + a] as i64;
            let span = input[1 + a] as i64 + 2 * self.padding[a] - self.dilation[a] * (k - 1) - 1;
            if span < 0 {
                return Err(format!("the kernel does not fit spatial axis {a} of {input:?}"));
            }
            out.push((span / self.stride[a] + 1) as usize);
        }
        Ok(out)
    }
}

impl PoolNode {
    /// The output feature shape `[channels, h, w]` for an input `[channels, h, w]`.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, String> {
        if input.len() != 3 {
            return Err(format!("input has shape {input:?}; expected [channels, height, width]"));
        }
        let mut out = vec![input[0]];
        for a in 0..2 {
            let span = input[1 + a] as i64 + 2 * self.padding[a] - self.kernel_size[a];
            if span < 0 {
                return Err(format!("the kernel does not fit spatial axis {a} of {input:?}"));
            }
            out.push((span / self.stride[a] + 1) as usize);
        }
        Ok(out)
    }
}
