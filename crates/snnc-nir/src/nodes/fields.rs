//! Typed access to a node group's datasets, with messages that name the field.

use crate::h5::{Data, Tree};
use crate::Array;

/// The fields of one node group.
pub(crate) struct Fields<'a>(pub &'a Tree);

impl Fields<'_> {
    fn get(&self, name: &str) -> Result<&Data, String> {
        self.0.data.get(name).ok_or_else(|| format!("has no field '{name}'"))
    }

    /// Whether the field exists.
    pub fn has(&self, name: &str) -> bool {
        self.0.data.contains_key(name)
    }

    /// Whether the field exists and holds strings.
    pub fn is_string(&self, name: &str) -> bool {
        matches!(self.0.data.get(name), Some(Data::Str { .. }))
    }

    /// A numeric array, as f32; every value must be finite.
    pub fn array(&self, name: &str) -> Result<Array, String> {
        match self.get(name)? {
            Data::Num { values, shape, .. } => {
                let data: Vec<f32> = values.iter().map(|&x| x as f32).collect();
                if data.iter().any(|x| !x.is_finite()) {
                    return Err(format!("field '{name}' holds a value that is not a finite f32"));
                }
                Ok(Array { shape: shape.clone(), data })
            }
            Data::Str { .. } => Err(format!("field '{name}' holds strings, not numbers")),
        }
    }

    /// A numeric array if the field exists.
    pub fn opt_array(&self, name: &str) -> Result<Option<Array>, String> {
        if self.has(name) {
            self.array(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Whole numbers (a scalar or a vector).
    pub fn ints(&self, name: &str) -> Result<Vec<i64>, String> {
        match self.get(name)? {
            Data::Num { values, shape, .. } if shape.len() <= 1 => values
                .iter()
                .map(|&x| {
                    if x.fract() == 0.0 && x.abs() < 1e15 {
                        Ok(x as i64)
                    } else {
                        Err(format!("field '{name}' holds {x}, not a whole number"))
                    }
                })
                .collect(),
            Data::Num { shape, .. } => {
                Err(format!("field '{name}' has shape {shape:?}; expected a scalar or a vector"))
            }
            Data::Str { .. } => Err(format!("field '{name}' holds strings, not numbers")),
        }
    }

    /// One whole number.
    pub fn int(&self, name: &str) -> Result<i64, String> {
        match self.ints(name)?.as_slice() {
            [x] => Ok(*x),
            v => Err(format!("field '{name}' holds {} values; expected one", v.len())),
        }
    }

    /// Sizes: non-negative whole numbers.
    pub fn sizes(&self, name: &str) -> Result<Vec<usize>, String> {
        self.ints(name)?
            .into_iter()
            .map(|x| {
                usize::try_from(x)
                    .map_err(|_| format!("field '{name}' holds {x}; sizes must be ≥ 0"))
            })
            .collect()
    }

    /// One string.
    pub fn string(&self, name: &str) -> Result<String, String> {
        match self.get(name)? {
            Data::Str { values, .. } if values.len() == 1 => Ok(values[0].clone()),
            Data::Str { values, .. } => {
                Err(format!("field '{name}' holds {} strings; expected one", values.len()))
            }
            Data::Num { .. } => Err(format!("field '{name}' holds numbers, not a string")),
        }
    }

    /// Pairs of strings, an `[n, 2]` string array (a graph's edges).
    pub fn pairs(&self, name: &str) -> Result<Vec<(String, String)>, String> {
        match self.get(name)? {
            Data::Str { values, shape } if shape.len() == 2 && shape[1] == 2 => {
                Ok(values.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect())
            }
            Data::Str { values, shape } if values.is_empty() && shape.first() == Some(&0) => {
                Ok(Vec::new())
            }
            Data::Str { shape, .. } => {
                Err(format!("field '{name}' has shape {shape:?}; expected [n, 2]"))
            }
            Data::Num { .. } => Err(format!("field '{name}' holds numbers, not strings")),
        }
    }
}
