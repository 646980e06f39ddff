use super::fields::Fields;

/// `Input`: where a graph's data enters; `shape` excludes time and batch.
#[derive(Debug, Clone, PartialEq)]
pub struct InputNode {
    /// Feature shape.
    pub shape: Vec<usize>,
}

/// `Output`: where a graph's data leaves; `shape` as declared (excluding time and batch).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputNode {
    /// Declared feature shape.
    pub shape: Vec<usize>,
}

pub(crate) fn input(f: &Fields) -> Result<InputNode, String> {
    let shape = f.sizes("shape")?;
    if shape.contains(&0) {
        return Err(format!("shape {shape:?} has a zero dimension"));
    }
    Ok(InputNode { shape })
}

pub(crate) fn output(f: &Fields) -> Result<OutputNode, String> {
    Ok(OutputNode { shape: f.sizes("shape")? })
}
