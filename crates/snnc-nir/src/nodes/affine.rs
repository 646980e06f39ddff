use super::fields::Fields;
use crate::Array;

/// `Affine` (y = W·x + b) and `Linear` (y = W·x); W is `[out, in]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AffineNode {
    /// The weight, `[out, in]`.
    pub weight: Array,
    /// The bias, `[out]` (`None` for `Linear`).
    pub bias: Option<Array>,
}

/// `Scale`: y = x ⊙ s.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleNode {
    /// The factors, the shape of x.
    pub scale: Array,
}

pub(crate) fn affine(f: &Fields, with_bias: bool) -> Result<AffineNode, String> {
    let weight = f.array("weight")?;
    if weight.shape.len() != 2 || weight.shape.contains(&0) {
        return Err(format!(
            "weight has shape {:?}; snnc takes a 2-D weight [out, in]",
            weight.shape
        ));
    }
    let bias = if with_bias { Some(f.array("bias")?) } else { None };
    if let Some(b) = &bias {
        if b.data.len() != weight.shape[0] {
            return Err(format!(
                "bias has shape {:?} but the weight has {} rows",
                b.shape, weight.shape[0]
            ));
        }
    }
    Ok(AffineNode { weight, bias })
}

pub(crate) fn scale(f: &Fields) -> Result<ScaleNode, String> {
    Ok(ScaleNode { scale: f.array("scale")? })
}
