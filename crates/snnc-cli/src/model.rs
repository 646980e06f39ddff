use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use snnc_ir::{Graph, Tensor};

use crate::args::ModelArgs;

/// The model file formats `snnc` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Onnx,
    Text,
}

/// A model named on the command line, before and after import.
pub struct ModelFile {
    path: PathBuf,
    format: Format,
    dims: HashMap<String, usize>,
    text: Option<Graph>,
}

impl ModelFile {
    /// Checks that the file exists and decides its format: `.onnx` and `.snn` by extension,
    /// anything else by content (a text IR starts with `graph` or a `#` comment).
    pub fn open(args: &ModelArgs) -> Result<Self> {
        let path = args.model.clone();
        if !path.is_file() {
            bail!("{}: no such model file", path.display());
        }
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("onnx") => Format::Onnx,
            Some("snn") => Format::Text,
            _ => sniff(&path)?,
        };
        let mut dims = HashMap::new();
        for d in &args.dims {
            let (name, size) = d
                .split_once('=')
                .and_then(|(n, s)| Some((n.to_string(), s.parse::<usize>().ok()?)))
                .with_context(|| format!("bad --dim '{d}': expected NAME=SIZE"))?;
            dims.insert(name, size);
        }
        let text = match format {
            Format::Text => Some(snnc_text::parse_file(&path)?),
            Format::Onnx => None,
        };
        Ok(ModelFile { path, format, dims, text })
    }

    /// The path as given, for messages.
    pub fn label(&self) -> String {
        self.path.display().to_string()
    }

    /// Names of the model's runtime inputs.
    pub fn input_names(&self) -> Result<Vec<String>> {
        match (&self.text, self.format) {
            (Some(g), _) => Ok(g.inputs().iter().map(|&i| g.value(i).name.clone()).collect()),
            (None, _) => Ok(snnc_onnx::input_signature(&self.path)?
                .into_iter()
                .map(|(name, _, _)| name)
                .collect()),
        }
    }

    /// Imports the graph (binding symbolic dimensions from `--dim` and the given arrays) and
    /// verifies it.
    pub fn load(&self, given: &[(String, Tensor)]) -> Result<Graph> {
        let g = match &self.text {
            Some(g) => g.clone(),
            None => {
                let opts = snnc_onnx::ImportOptions {
                    dims: self.dims.clone(),
                    input_shapes: given
                        .iter()
                        .map(|(n, t)| (n.clone(), t.shape().to_vec()))
                        .collect(),
                };
                snnc_onnx::load_onnx(&self.path, &opts)?
            }
        };
        snnc_ir::verify(&g).with_context(|| self.label())?;
        Ok(g)
    }
}

fn sniff(path: &Path) -> Result<Format> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    let t = head.trim_start();
    Ok(if t.starts_with("graph") || t.starts_with('#') { Format::Text } else { Format::Onnx })
}
