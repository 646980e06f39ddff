/// A NIR parameter: f32 values (files store f32 or f64) with their shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// Dimensions (empty for a scalar).
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f32>,
}

impl Array {
    /// A scalar.
    pub fn scalar(x: f32) -> Self {
        Array { shape: Vec::new(), data: vec![x] }
    }

    /// True when every value is `x`.
    pub fn all(&self, x: f32) -> bool {
        self.data.iter().all(|&v| v == x)
    }

    /// The one value every element has, if they all agree.
    pub fn uniform(&self) -> Option<f32> {
        let first = *self.data.first()?;
        self.all(first).then_some(first)
    }

    /// Elementwise `f` of this array and `other`, which must have the same shape, or be a scalar.
    pub fn zip(&self, other: &Array, f: impl Fn(f32, f32) -> f32) -> Array {
        if other.data.len() == 1 && self.data.len() != 1 {
            let o = other.data[0];
            return Array {
                shape: self.shape.clone(),
                data: self.data.iter().map(|&a| f(a, o)).collect(),
            };
        }
        if self.data.len() == 1 && other.data.len() != 1 {
            let s = self.data[0];
            return Array {
                shape: other.shape.clone(),
                data: other.data.iter().map(|&b| f(s, b)).collect(),
            };
        }
        Array {
            shape: self.shape.clone(),
            data: self.data.iter().zip(&other.data).map(|(&a, &b)| f(a, b)).collect(),
        }
    }

    /// Elementwise `f`.
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Array {
        Array { shape: self.shape.clone(), data: self.data.iter().map(|&a| f(a)).collect() }
    }
}
