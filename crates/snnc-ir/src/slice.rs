//! ONNX `Slice` with static parameters, and its resolution against an input shape.

use crate::normalize_axis;

/// The static parameters of a Slice (ONNX opset ≥ 10: starts, ends, axes, steps).
///
/// `axes` empty means `0, 1, …` (one per start); `steps` empty means all 1. Negative starts and
/// ends count from the end of the axis; both are clamped to the axis as ONNX specifies, so an
/// end of `i64::MAX` means "to the end" (and `i64::MIN` "before the start", with a negative
/// step).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SliceSpec {
    /// First index per sliced axis.
    pub starts: Vec<i64>,
    /// One past the last index per sliced axis.
    pub ends: Vec<i64>,
    /// The sliced axes (may be negative).
    pub axes: Vec<i64>,
    /// The stride per sliced axis (nonzero).
    pub steps: Vec<i64>,
}

/// One axis of a resolved slice: output index `j` reads input index `start + j·step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisSlice {
    /// The input axis.
    pub axis: usize,
    /// The first input index read.
    pub start: usize,
    /// The number of indices read (the output's extent on this axis).
    pub len: usize,
    /// The stride (negative walks backwards).
    pub step: i64,
}

impl SliceSpec {
    /// The slice of every axis of an input of `shape` (unsliced axes read `0..d` with step 1),
    /// in axis order; errors name what does not fit.
    pub fn resolve(&self, shape: &[usize]) -> Result<Vec<AxisSlice>, String> {
        let n = self.starts.len();
        if self.ends.len() != n {
            return Err(format!("Slice has {n} starts but {} ends", self.ends.len()));
        }
        let axes: Vec<i64> =
            if self.axes.is_empty() { (0..n as i64).collect() } else { self.axes.clone() };
        let steps: Vec<i64> = if self.steps.is_empty() { vec![1; n] } else { self.steps.clone() };
        if axes.len() != n || steps.len() != n {
            return Err(format!(
                "Slice has {n} starts, {} axes and {} steps (they must agree)",
                axes.len(),
                steps.len()
            ));
        }
        let mut out: Vec<AxisSlice> = shape
            .iter()
            .enumerate()
            .map(|(axis, &d)| AxisSlice { axis, start: 0, len: d, step: 1 })
            .collect();
        let mut seen = vec![false; shape.len()];
        for k in 0..n {
            let a = normalize_axis(axes[k], shape.len()).ok_or_else(|| {
                format!("Slice axis {} is out of range for rank {}", axes[k], shape.len())
            })?;
            if std::mem::replace(&mut seen[a], true) {
                return Err(format!("Slice axis {} is repeated", axes[k]));
            }
            out[a] = clamp(a, shape[a], self.starts[k], self.ends[k], steps[k])?;
        }
        Ok(out)
    }

    /// The output shape for an input of `shape`.
    pub fn output_shape(&self, shape: &[usize]) -> Result<Vec<usize>, String> {
        Ok(self.resolve(shape)?.iter().map(|s| s.len).collect())
    }
}

/// ONNX's clamping of one axis of extent `d`.
fn clamp(axis: usize, d: usize, start: i64, end: i64, step: i64) -> Result<AxisSlice, String> {
    if step == 0 {
        return Err(format!("Slice step on axis {axis} is 0"));
    }
    let d = d as i64;
    let norm = |x: i64| if x < 0 { x.saturating_add(d) } else { x };
    let (s, e) = (norm(start), norm(end));
    let (s, e) = if step > 0 {
        (s.clamp(0, d), e.clamp(0, d))
    } else {
        (s.clamp(-1, d - 1), e.clamp(-1, d - 1))
    };
    let len = if step > 0 {
        if e > s {
            (e - s + step - 1) / step
        } else {
            0
        }
    } else if s > e {
        (s - e + (-step) - 1) / (-step)
    } else {
        0
    };
    let start = if len == 0 { 0 } else { s as usize };
    Ok(AxisSlice { axis, start, len: len as usize, step })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(starts: &[i64], ends: &[i64], axes: &[i64], steps: &[i64]) -> SliceSpec {
        SliceSpec {
            starts: starts.to_vec(),
            ends: ends.to_vec(),
            axes: axes.to_vec(),
            steps: steps.to_vec(),
        }
    }

    #[test]
    fn onnx_clamping_and_negative_indices() {
        let shape = [4, 10];
        let r = spec(&[2], &[i64::MAX], &[1], &[]).resolve(&shape).unwrap();
        assert_eq!(r[1], AxisSlice { axis: 1, start: 2, len: 8, step: 1 });
        assert_eq!(r[0], AxisSlice { axis: 0, start: 0, len: 4, step: 1 });
        let r = spec(&[-3], &[-1], &[-1], &[]).resolve(&shape).unwrap();
        assert_eq!(r[1], AxisSlice { axis: 1, start: 7, len: 2, step: 1 });
        let r = spec(&[0], &[10], &[1], &[3]).resolve(&shape).unwrap();
        assert_eq!(r[1].len, 4); // 0, 3, 6, 9
        let r = spec(&[-1], &[i64::MIN], &[1], &[-1]).resolve(&shape).unwrap();
        assert_eq!(r[1], AxisSlice { axis: 1, start: 9, len: 10, step: -1 });
        let r = spec(&[5], &[2], &[1], &[1]).resolve(&shape).unwrap();
        assert_eq!(r[1].len, 0);
        assert!(spec(&[0], &[1], &[2], &[]).resolve(&shape).is_err());
        assert!(spec(&[0], &[1], &[1], &[0]).resolve(&shape).is_err());
        assert!(spec(&[0, 0], &[1, 1], &[1, -1], &[]).resolve(&shape).is_err());
    }
}
