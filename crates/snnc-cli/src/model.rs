use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use snnc_ir::{ExportGrad, Graph, ResetGrad, Tensor, TensorType};
use snnc_plan::Plan;

use crate::args::ModelArgs;

/// The model file formats `snnc` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Onnx,
    Text,
    Nir,
    Plan,
}

/// A model named on the command line, before and after import.
pub struct ModelFile {
    path: PathBuf,
    format: Format,
    dims: HashMap<String, usize>,
    text: Option<Graph>,
    nir: Option<(snnc_nir::NirFile, snnc_nir::NirOptions)>,
    plan: Option<Plan>,
    /// One `--reset-grad` choice per layer with a reset, when they differ.
    layer_resets: Option<Vec<ResetGrad>>,
}

impl ModelFile {
    /// Checks that the file exists and decides its format: `.onnx`, `.snn` and `.nir` by extension,
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
            Some("nir") => Format::Nir,
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
            _ => None,
        };
        let nir = match format {
            Format::Nir => {
                let opts = snnc_nir::NirOptions {
                    dt: args.dt,
                    reset: args.nir_reset,
                    current: args.nir_current,
                    ..snnc_nir::NirOptions::default()
                };
                opts.check().map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?;
                Some((snnc_nir::read_nir(&path)?, opts))
            }
            _ => None,
        };
        let plan = match format {
            Format::Plan => Some(Plan::load(&path)?),
            _ => None,
        };
        Ok(ModelFile { path, format, dims, text, nir, plan, layer_resets: None })
    }

    /// Gives each layer with a reset its own `--reset-grad` choice, which [`ModelFile::load`]
    /// applies ([`crate::reset_grads`]).
    pub fn set_layer_resets(&mut self, choices: Vec<ResetGrad>) {
        self.layer_resets = Some(choices);
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
        if let Some((nir, _)) = &self.nir {
            return Ok(snnc_nir::input_names(nir));
        }
        match (&self.text, self.format) {
            (Some(g), _) => Ok(g.inputs().iter().map(|&i| g.value(i).name.clone()).collect()),
            (None, _) => Ok(snnc_onnx::input_signature(&self.path)?
                .into_iter()
                .map(|(name, _, _)| name)
                .collect()),
        }
    }

    /// Imports the graph (binding symbolic dimensions from `--dim` and the given arrays),
    /// verifies it, and detaches the resets of the layers a per-layer `--reset-grad` marks.
    pub fn load(&self, given: &[(String, Tensor)]) -> Result<Graph> {
        if self.format == Format::Plan {
            bail!(
                "{} is a compiled plan: it has no graph to show or interpret; run it with \
                 --engine cpu",
                self.label()
            );
        }
        let g = match (&self.text, &self.nir) {
            (Some(g), _) => g.clone(),
            (None, Some((nir, opts))) => {
                let opts = self.nir_options(opts, given)?;
                snnc_nir::lower(&self.path, nir, &opts)?
            }
            (None, None) => {
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
        match &self.layer_resets {
            Some(choices) => crate::reset_grads::apply(&self.label(), g, choices),
            None => Ok(g),
        }
    }
}

impl ModelFile {
    /// The execution plan of the model: the plan file itself, or the graph imported, optimized
    /// with `export` (fusing leaky cells when `leaky`, [`crate::stage::compiled_leaky`]) and
    /// compiled.
    pub fn plan(
        &self,
        given: &[(String, Tensor)],
        export: ExportGrad,
        leaky: bool,
    ) -> Result<Plan> {
        if let Some(p) = &self.plan {
            return Ok(p.clone());
        }
        let g = self.load(given)?;
        let opt = crate::stage::optimized(self, &g, export, leaky)?;
        let plan = snnc_plan::compile(&opt.graph, &snnc_plan::CompileOptions::from(export))
            .with_context(|| format!("{}: compiling the plan", self.label()))?;
        Ok(match &self.nir {
            Some((_, opts)) => plan.with_meta(opts.describe()),
            None => plan,
        })
    }

    /// A NIR model's options with T and B bound: from the first given input `[T, B, ...]`,
    /// else from `--dim T=… --dim B=…`, else 100 steps of batch 1.
    fn nir_options(
        &self,
        base: &snnc_nir::NirOptions,
        given: &[(String, Tensor)],
    ) -> Result<snnc_nir::NirOptions> {
        let mut o = base.clone();
        if let Some((name, t)) = given.first() {
            if t.shape().len() < 2 {
                bail!(
                    "{}: input '{name}' has shape {:?}; a NIR model's inputs are [T, B, ...]",
                    self.label(),
                    t.shape()
                );
            }
            (o.steps, o.batch) = (t.shape()[0], t.shape()[1]);
        } else {
            o.steps = self.dims.get("T").copied().unwrap_or(o.steps);
            o.batch = self.dims.get("B").copied().unwrap_or(o.batch);
        }
        o.check().map_err(|m| anyhow::anyhow!("{}: {m}", self.label()))?;
        Ok(o)
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
