//! Sliding-window geometry shared by [`Op::Conv`](crate::Op::Conv) and
//! [`Op::Pool`](crate::Op::Pool): strides, per-side padding and dilation over 1 or 2 spatial
//! axes, ONNX's layout and output-size rule (`ceil_mode = 0`).

/// The spatial ranks the window ops support (1-D and 2-D).
pub const SPATIAL_RANKS: [usize; 2] = [1, 2];

/// The geometry of a window over `k` spatial axes, resolved: every vector has its full length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    /// The kernel's extent per spatial axis.
    pub kernel: Vec<usize>,
    /// The step per spatial axis.
    pub strides: Vec<usize>,
    /// Padding before each axis, then after each axis (`[b_0, …, b_k−1, e_0, …, e_k−1]`).
    pub pads: Vec<usize>,
    /// The spacing of kernel taps per spatial axis.
    pub dilations: Vec<usize>,
}

impl Window {
    /// The number of spatial axes.
    pub fn rank(&self) -> usize {
        self.kernel.len()
    }

    /// The output extent of each spatial axis for input extents `dims`:
    /// ⌊(d + b + e − dil·(k − 1) − 1) / s⌋ + 1, which must be at least 1.
    pub fn output_dims(&self, dims: &[usize]) -> Result<Vec<usize>, String> {
        let k = self.rank();
        if dims.len() != k {
            return Err(format!("{k} spatial axes expected, got {}", dims.len()));
        }
        (0..k)
            .map(|i| {
                let too_large = || format!("spatial axis {i}: the padded extent overflows");
                let padded = dims[i]
                    .checked_add(self.pads[i])
                    .and_then(|d| d.checked_add(self.pads[k + i]))
                    .ok_or_else(too_large)?;
                let reach = self.dilations[i]
                    .checked_mul(self.kernel[i].saturating_sub(1))
                    .and_then(|r| r.checked_add(1))
                    .ok_or_else(too_large)?;
                if padded < reach {
                    return Err(format!(
                        "spatial axis {i}: the window (extent {reach} with dilation) does not fit \
                         the padded input (extent {padded})"
                    ));
                }
                Ok((padded - reach) / self.strides[i] + 1)
            })
            .collect()
    }
}

/// Resolves possibly-empty ONNX-style lists against `k` spatial axes: an empty list takes
/// `default` on every axis; otherwise the list must have `len` entries (k, or 2k for pads) that
/// are at least `min`.
pub(crate) fn resolve(
    what: &str,
    v: &[usize],
    len: usize,
    default: usize,
    min: usize,
) -> Result<Vec<usize>, String> {
    if v.is_empty() {
        return Ok(vec![default; len]);
    }
    if v.len() != len {
        return Err(format!("'{what}' has {} entries, expected {len}", v.len()));
    }
    if let Some(x) = v.iter().find(|&&x| x < min) {
        return Err(format!("'{what}' entries must be at least {min}, got {x}"));
    }
    Ok(v.to_vec())
}

/// Checks that `k` is a supported spatial rank.
pub(crate) fn check_rank(k: usize) -> Result<(), String> {
    if SPATIAL_RANKS.contains(&k) {
        Ok(())
    } else {
        Err(format!("{k} spatial axes: only 1-D and 2-D windows are supported"))
    }
}

/// Splits an input shape `[..., C, D_1..D_k]` into (leading axes, C, spatial extents); the
/// shape needs at least one leading (batch) axis.
pub fn split_input(shape: &[usize], k: usize) -> Result<(&[usize], usize, &[usize]), String> {
    if shape.len() < k + 2 {
        return Err(format!(
            "X must have rank ≥ {} ([batch…, C, {k} spatial axes]), got rank {}",
            k + 2,
            shape.len()
        ));
    }
    let c = shape.len() - k - 1;
    Ok((&shape[..c], shape[c], &shape[c + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_dims_follow_onnx() {
        let w = Window {
            kernel: vec![5, 3],
            strides: vec![2, 1],
            pads: vec![1, 0, 1, 0],
            dilations: vec![1, 2],
        };
        assert_eq!(w.output_dims(&[34, 10]).unwrap(), vec![16, 6]);
        assert!(w.output_dims(&[1, 10]).is_err());
        assert!(w.output_dims(&[34, 4]).is_err());
        let huge = Window { pads: vec![usize::MAX, 0, 1, 0], ..w.clone() };
        assert!(huge.output_dims(&[34, 10]).unwrap_err().contains("overflows"));
        let wide = Window { dilations: vec![usize::MAX, 1], ..w };
        assert!(wide.output_dims(&[34, 10]).unwrap_err().contains("overflows"));
    }
}
