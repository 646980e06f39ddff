use super::fields::Fields;
use crate::Array;

/// `Threshold`: z = [x > threshold].
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdNode {
    /// The threshold, the shape of x.
    pub threshold: Array,
}

/// `Delay`: y(t) = x(t − delay), per element, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct DelayNode {
    /// The delays, the shape of x.
    pub delay: Array,
}

/// `Flatten`: merges the feature dimensions `start_dim..=end_dim` (batch and time excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct FlattenNode {
    /// First dimension merged (negative counts from the end).
    pub start_dim: i64,
    /// Last dimension merged (negative counts from the end).
    pub end_dim: i64,
    /// The declared input shape, if the file has one.
    pub input_shape: Option<Vec<usize>>,
}

pub(crate) fn threshold(f: &Fields) -> Result<ThresholdNode, String> {
    Ok(ThresholdNode { threshold: f.array("threshold")? })
}

pub(crate) fn delay(f: &Fields) -> Result<DelayNode, String> {
    let delay = f.array("delay")?;
    if delay.data.iter().any(|&d| d < 0.0) {
        return Err("delay must not be negative".into());
    }
    Ok(DelayNode { delay })
}

pub(crate) fn flatten(f: &Fields) -> Result<FlattenNode, String> {
    let input_shape = if f.has("input_type") { Some(f.sizes("input_type")?) } else { None };
    let start_dim = if f.has("start_dim") { f.int("start_dim")? } else { 1 };
    let end_dim = if f.has("end_dim") { f.int("end_dim")? } else { -1 };
    let node = FlattenNode { start_dim, end_dim, input_shape };
    if let Some(s) = &node.input_shape {
        node.output_shape(s)?;
    }
    Ok(node)
}

impl FlattenNode {
    /// The feature shape after flattening `input`.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, String> {
        let rank = input.len() as i64;
        let norm = |d: i64| if d < 0 { d + rank } else { d };
        let (s, e) = (norm(self.start_dim), norm(self.end_dim));
        if s < 0 || e >= rank || s > e {
            return Err(format!(
                "start_dim {} and end_dim {} do not fit an input of shape {input:?}",
                self.start_dim, self.end_dim
            ));
        }
        let (s, e) = (s as usize, e as usize);
        let mut out = input[..s].to_vec();
        out.push(input[s..=e].iter().product());
        out.extend_from_slice(&input[e + 1..]);
        Ok(out)
    }
}
