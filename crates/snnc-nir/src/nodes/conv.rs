use super::fields::Fields;
use crate::Array;

/// `Conv1d` / `Conv2d`: weight `[out, in/groups, k...]`, per spatial axis stride, padding and
/// dilation. Lowered to the IR's `Conv`.
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
    /// Zero padding before each spatial axis (an int or tuple in the file applies to both
    /// sides; `'valid'` is 0; `'same'` is PyTorch's split, the smaller half before).
    pub padding: Vec<i64>,
    /// Zero padding after each spatial axis (equal to `padding` unless the file says `'same'`
    /// and the kernel's dilated extent is even).
    pub padding_end: Vec<i64>,
    /// Dilation per spatial axis.
    pub dilation: Vec<i64>,
    /// Groups.
    pub groups: i64,
    /// The declared spatial input shape, if the file has one.
    pub input_shape: Option<Vec<usize>>,
}

/// `SumPool2d` / `AvgPool2d`. Lowered to the IR's `SumPool` / `AveragePool` (the average
/// counts padding in the divisor, as PyTorch's `nn.AvgPool2d` does by default).
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
    let stride = per_axis(f, "stride", dims)?;
    let dilation = per_axis(f, "dilation", dims)?;
    let groups = f.int("groups")?;
    if groups < 1 || stride.iter().chain(&dilation).any(|&x| x < 1) {
        return Err("groups, stride and dilation must be at least 1".into());
    }
    // nir ≥ 1.0 accepts the strings 'same' and 'valid' (PyTorch's) besides ints.
    let (padding, padding_end) = if f.is_string("padding") {
        match f.string("padding")?.as_str() {
            "valid" => (vec![0; dims], vec![0; dims]),
            "same" => {
                if stride.iter().any(|&s| s != 1) {
                    return Err(format!(
                        "padding 'same' needs stride 1 (as in PyTorch), got stride {stride:?}"
                    ));
                }
                let total: Vec<i64> = (0..dims)
                    .map(|a| dilation[a].saturating_mul(weight.shape[2 + a] as i64 - 1))
                    .collect();
                let begin: Vec<i64> = total.iter().map(|t| t / 2).collect();
                let end = total.iter().zip(&begin).map(|(t, b)| t - b).collect();
                (begin, end)
            }
            other => {
                return Err(format!("padding '{other}' is neither 'same', 'valid' nor a number"))
            }
        }
    } else {
        let p = per_axis(f, "padding", dims)?;
        (p.clone(), p)
    };
    if padding.iter().any(|&p| p < 0) {
        return Err("padding must not be negative".into());
    }
    let node = ConvNode {
        dims,
        bias,
        stride,
        padding,
        padding_end,
        dilation,
        groups,
        input_shape,
        weight,
    };
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
    // No window may lie wholly in the padding (PyTorch asks for at most half the kernel).
    if (0..2).any(|a| node.padding[a] < 0 || node.padding[a] >= node.kernel_size[a]) {
        return Err(format!(
            "padding {:?} must be at least 0 and smaller than kernel_size {:?}",
            node.padding, node.kernel_size
        ));
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
            let span = (input[1 + a] as i64)
                .checked_add(self.padding[a])
                .and_then(|x| x.checked_add(self.padding_end[a]))
                .and_then(|x| x.checked_sub(self.dilation[a].checked_mul(k - 1)?))
                .map(|x| x - 1);
            let Some(span) = span.filter(|&s| s >= 0) else {
                return Err(format!("the kernel does not fit spatial axis {a} of {input:?}"));
            };
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
