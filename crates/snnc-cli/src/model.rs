use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use snnc_ir::{ExportGrad, Graph, Tensor, TensorType};
use snnc_plan::Plan;

use crate::args::ModelArgs;

/// The model file formats `snnc` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Onnx,
    Text,
    Plan,
}

/// A model named on the command line, before and after import.
pub struct ModelFile {
    path: PathBuf,
    format: Format,
    dims: HashMap<String, usize>,
    text: Option<Graph>,
    plan: Option<Plan>,
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
            _ if snnc_plan::is_plan_file(&path) => Format::Plan,
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
            Format::Onnx | Format::Plan => None,
        };
        let plan = match format {
            Format::Plan => Some(Plan::load(&path)?),
            _ => None,
        };
        Ok(ModelFile { path, format, dims, text, plan })
    }

    /// True when the file is a compiled plan rather than a model.
    pub fn is_plan(&self) -> bool {
        self.format == Format::Plan
    }

    /// True when the file is an ONNX model.
    pub fn is_onnx(&self) -> bool {
        self.format == Format::Onnx
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as given, for messages.
    pub fn label(&self) -> String {
        self.path.display().to_string()
    }

    /// Names of the model's runtime inputs.
    pub fn input_names(&self) -> Result<Vec<String>> {
        if let Some(p) = &self.plan {
            return Ok(p.inputs().iter().map(|s| s.name.clone()).collect());
        }
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
        if self.format == Format::Plan {
            bail!(
                "{} is a compiled plan: it has no graph to show or interpret; run it with \
                 --engine cpu",
                self.label()
            );
        }
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

impl ModelFile {
    /// The execution plan of the model: the plan file itself, or the graph imported, optimized
    /// with `export` (fusing leaky cells when `leaky`, [`crate::stage::compiled_leaky`]) and
    /// compiled.
    pub fn plan(&self, given: &[(String, Tensor)], export: ExportGrad, leaky: bool) -> Result<Plan> {
        if let Some(p) = &self.plan {
            return Ok(p.clone());
        }
        let g = self.load(given)?;
        let opt = crate::stage::optimized(self, &g, export, leaky)?;
        snnc_plan::compile(&opt.graph, &snnc_plan::CompileOptions::from(export))
            .with_context(|| format!("{}: compiling the plan", self.label()))
    }
}

/// The declared inputs of a plan, as (name, type).
pub fn plan_signature(p: &Plan) -> Vec<(String, TensorType)> {
    p.inputs().iter().map(|s| (s.name.clone(), TensorType::new(s.dtype, s.shape.clone()))).collect()
}

fn sniff(path: &Path) -> Result<Format> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    let t = head.trim_start();
    Ok(if t.starts_with("graph") || t.starts_with('#') { Format::Text } else { Format::Onnx })
}
