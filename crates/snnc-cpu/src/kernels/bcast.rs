//! Walking a strided view in row-major order: broadcast operands, transposes.

/// The element strides of `src` (row-major) broadcast to `dst` (NumPy rules: right-aligned,
/// size-1 axes repeat with stride 0). Errors when the shapes do not broadcast.
pub(crate) fn strides(src: &[usize], dst: &[usize]) -> Result<Vec<usize>, String> {
    if src.len() > dst.len() {
        return Err(format!("cannot broadcast {src:?} to {dst:?} (invalid plan)"));
    }
    let mut out = vec![0; dst.len()];
    let mut s = 1;
    for i in (0..src.len()).rev() {
        let d = i + dst.len() - src.len();
        if src[i] == dst[d] {
            out[d] = if src[i] == 1 { 0 } else { s };
        } else if src[i] != 1 {
            return Err(format!("cannot broadcast {src:?} to {dst:?} (invalid plan)"));
        }
        s *= src[i];
    }
    Ok(out)
}

/// A position in a strided walk over `shape`.
pub(crate) struct Walk<'a> {
    shape: &'a [usize],
    strides: &'a [usize],
    idx: Vec<usize>,
    off: usize,
}

impl<'a> Walk<'a> {
    /// Starts at flat (row-major) index `e` of `shape`.
    pub(crate) fn at(shape: &'a [usize], strides: &'a [usize], e: usize) -> Self {
        let mut idx = vec![0; shape.len()];
        let (mut rem, mut off) = (e, 0);
        for d in (0..shape.len()).rev() {
            if shape[d] > 0 {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            off += idx[d] * strides[d];
        }
        Walk { shape, strides, idx, off }
    }

    /// The current offset.
    #[inline]
    pub(crate) fn off(&self) -> usize {
        self.off
    }

    /// Moves to the next element.
    #[inline]
    pub(crate) fn next(&mut self) {
        for d in (0..self.shape.len()).rev() {
            self.idx[d] += 1;
            self.off += self.strides[d];
            if self.idx[d] < self.shape[d] {
                return;
            }
            self.off -= self.strides[d] * self.shape[d];
            self.idx[d] = 0;
        }
    }
}

/// The largest offset a walk over `shape` with `strides` reaches, plus one (0 when empty).
pub(crate) fn extent(shape: &[usize], strides: &[usize]) -> usize {
    if shape.contains(&0) {
        return 0;
    }
    1 + shape.iter().zip(strides).map(|(&n, &s)| (n - 1) * s).sum::<usize>()
}

/// `out[k] = src[offset of element e0 + k]` of a walk over `shape` with `strides`. The caller
/// has checked `extent(shape, strides) <= src.len()`.
pub(crate) fn load(
    src: &[f32],
    shape: &[usize],
    strides: &[usize],
    contiguous: bool,
    e0: usize,
    out: &mut [f32],
) {
    if contiguous {
        out.copy_from_slice(&src[e0..e0 + out.len()]);
    } else if src.len() == 1 {
        out.fill(src[0]);
    } else {
        let mut w = Walk::at(shape, strides, e0);
        for o in out.iter_mut() {
            *o = src[w.off()];
            w.next();
        }
    }
}

/// A broadcast operand: its data, strides over the iteration shape, and whether it is laid out
/// exactly like it.
pub(crate) struct Operand<'a> {
    pub data: &'a [f32],
    pub strides: Vec<usize>,
    pub contiguous: bool,
}

impl<'a> Operand<'a> {
    /// `data` of shape `src` viewed over the iteration shape `shape`; checks the length.
    pub(crate) fn new(data: &'a [f32], src: &[usize], shape: &[usize]) -> Result<Self, String> {
        let n = crate::kernels::numel(src)?;
        crate::kernels::numel(shape)?;
        if data.len() != n {
            return Err(format!(
                "operand has {} elements, its shape {src:?} says {n} (invalid plan)",
                data.len()
            ));
        }
        let strides = strides(src, shape)?;
        Ok(Operand { data, contiguous: src == shape, strides })
    }

    /// Loads elements `e0..e0 + out.len()` of the iteration shape `shape`.
    pub(crate) fn load(&self, shape: &[usize], e0: usize, out: &mut [f32]) {
        load(self.data, shape, &self.strides, self.contiguous, e0, out)
    }
}
