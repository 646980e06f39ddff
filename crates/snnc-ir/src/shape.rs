use std::fmt;

use crate::DType;

/// The largest element count a single tensor may have (2³¹); larger declared sizes are refused
/// before anything is allocated.
pub const MAX_ELEMENTS: usize = 1 << 31;

/// The element count of `shape`, or `None` when it exceeds [`MAX_ELEMENTS`]. Zero-sized
/// dimensions do not excuse the others: the product of the non-zero dimensions must fit too,
/// since array libraries refuse (or overflow on) such shapes even when they hold nothing.
pub fn shape_len(shape: &[usize]) -> Option<usize> {
    let mut nonzero: usize = 1;
    for &d in shape.iter().filter(|&&d| d != 0) {
        nonzero = nonzero.checked_mul(d).filter(|&n| n <= MAX_ELEMENTS)?;
    }
    Some(if shape.contains(&0) { 0 } else { nonzero })
}

/// The static type of a graph value: element type and concrete dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TensorType {
    /// Element type.
    pub dtype: DType,
    /// Dimensions (empty for a scalar).
    pub shape: Vec<usize>,
}

impl TensorType {
    /// A type from its parts.
    pub fn new(dtype: DType, shape: Vec<usize>) -> Self {
        TensorType { dtype, shape }
    }

    /// The rank.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The element count, or `None` when it exceeds [`MAX_ELEMENTS`] ([`shape_len`]).
    pub fn checked_len(&self) -> Option<usize> {
        shape_len(&self.shape)
    }
}

impl fmt::Display for TensorType {
    /// `f32[2,3]`; a scalar prints as `f32[]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
        write!(f, "{}[{}]", self.dtype, dims.join(","))
    }
}

/// NumPy/ONNX multidirectional broadcasting of two shapes; `None` if incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Maps an ONNX axis in `[-rank, rank)` to `[0, rank)`; `None` when out of range.
pub fn normalize_axis(axis: i64, rank: usize) -> Option<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    (0..r).contains(&a).then_some(a as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_len_bounds_the_non_zero_dimensions_too() {
        assert_eq!(shape_len(&[]), Some(1));
        assert_eq!(shape_len(&[2, 3]), Some(6));
        assert_eq!(shape_len(&[4, 0, 5]), Some(0));
        assert_eq!(shape_len(&[MAX_ELEMENTS]), Some(MAX_ELEMENTS));
        assert_eq!(shape_len(&[MAX_ELEMENTS, 2]), None);
        assert_eq!(shape_len(&[0, 1 << 40, 1 << 40]), None);
        assert_eq!(shape_len(&[usize::MAX, 0]), None);
    }
}
