//! The HDF5 side: a `.nir` file read whole into a tree of groups and datasets, so that the rest
//! of the crate never touches the HDF5 library.

use std::collections::BTreeMap;

use hdf5_pure::{DType as H5Type, Dataset, Group};

/// The largest element count of one dataset this reader accepts (2²⁸), checked before reading.
pub const MAX_DATASET_ELEMENTS: u64 = 1 << 28;

/// The deepest nesting of groups accepted (nested NIR graphs count two levels each).
pub const MAX_DEPTH: usize = 64;

/// A dataset's contents.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// Numbers (every integer and float type, as f64), with the dataset's shape and whether it
    /// held integers.
    Num {
        /// The values, row-major.
        values: Vec<f64>,
        /// The dataset's shape (empty for a scalar).
        shape: Vec<usize>,
        /// True for integer datasets.
        integer: bool,
    },
    /// Strings (fixed or variable length), with the dataset's shape.
    Str {
        /// The strings, row-major.
        values: Vec<String>,
        /// The dataset's shape (empty for a scalar).
        shape: Vec<usize>,
    },
}

/// An HDF5 group: its datasets and its subgroups, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree {
    /// Datasets by name.
    pub data: BTreeMap<String, Data>,
    /// Subgroups by name.
    pub groups: BTreeMap<String, Tree>,
}

/// Reads the HDF5 file in `bytes` into a [`Tree`]; errors are the HDF5 reader's message.
pub fn read_tree(bytes: Vec<u8>) -> Result<Tree, String> {
    let file = hdf5_pure::File::from_bytes(bytes).map_err(|e| e.to_string())?;
    read_group(&file.root(), "/", 0)
}

fn read_group(g: &Group, path: &str, depth: usize) -> Result<Tree, String> {
    if depth > MAX_DEPTH {
        return Err(format!("{path}: groups nest deeper than {MAX_DEPTH} levels"));
    }
    let mut tree = Tree::default();
    for name in g.datasets().map_err(|e| format!("{path}: {e}"))? {
        let ds = g.dataset(&name).map_err(|e| format!("{path}{name}: {e}"))?;
        let d = read_dataset(&ds).map_err(|e| format!("{path}{name}: {e}"))?;
        tree.data.insert(name, d);
    }
    for name in g.groups().map_err(|e| format!("{path}: {e}"))? {
        let sub = g.group(&name).map_err(|e| format!("{path}{name}: {e}"))?;
        let t = read_group(&sub, &format!("{path}{name}/"), depth + 1)?;
        tree.groups.insert(name, t);
    }
    Ok(tree)
}

fn read_dataset(ds: &Dataset) -> Result<Data, String> {
    let dims = ds.shape().map_err(|e| e.to_string())?;
    let mut count: u64 = 1;
    for &d in &dims {
        count = count.checked_mul(d).filter(|&n| n <= MAX_DATASET_ELEMENTS).ok_or_else(|| {
            format!("shape {dims:?} exceeds the limit of {MAX_DATASET_ELEMENTS} elements")
        })?;
    }
    let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let ty = ds.dtype().map_err(|e| e.to_string())?;
    let num = |values: Vec<f64>, integer: bool| -> Result<Data, String> {
        if values.len() as u64 != count {
            return Err(format!("holds {} values for shape {shape:?}", values.len()));
        }
        Ok(Data::Num { values, shape: shape.clone(), integer })
    };
    let e = |e: hdf5_pure::Error| e.to_string();
    match ty {
        H5Type::F32 => num(ds.read_f32().map_err(e)?.into_iter().map(f64::from).collect(), false),
        H5Type::F64 => num(ds.read_f64().map_err(e)?, false),
        H5Type::I8 | H5Type::I16 | H5Type::I32 | H5Type::I64 => {
            num(ds.read_i64().map_err(e)?.into_iter().map(|x| x as f64).collect(), true)
        }
        H5Type::U8 | H5Type::U16 | H5Type::U32 | H5Type::U64 => {
            num(ds.read_u64().map_err(e)?.into_iter().map(|x| x as f64).collect(), true)
        }
        H5Type::String | H5Type::VariableLengthString => {
            let values = ds.read_string().map_err(e)?;
            if values.len() as u64 != count {
                return Err(format!("holds {} strings for shape {shape:?}", values.len()));
            }
            Ok(Data::Str { values, shape })
        }
        other => Err(format!("has the element type {other}, which NIR does not use")),
    }
}
