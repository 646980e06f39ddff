use anyhow::{bail, Context, Result};
use ndarray::{s, Array2, Axis, Ix2};
use snnc_ir::Tensor;

use crate::args::PlotArgs;
use crate::plotting::{self, Format, Kind, Panel};

/// The largest count a whole-number array may hold and still be drawn as spikes (sinabs'
/// multi-spike layers emit small counts; anything larger is more likely a value).
const MAX_SPIKE_COUNT: f64 = 16.0;
/// Default panel height in pixels.
const PANEL_HEIGHT: u32 = 260;

/// `snnc plot`: draws the arrays of an `.npz` as spike rasters or potential traces.
pub fn plot(a: PlotArgs) -> Result<()> {
    let format = Format::of(&a.output)?;
    let arrays = snnc_arrays::read_npz(&a.traces)?;
    let file = a.traces.display();
    // Panels come in key order, whatever the order of the archive or of --keys.
    let mut keys: Vec<String> = if a.keys.is_empty() {
        arrays.iter().map(|(k, _)| k.clone()).collect()
    } else {
        a.keys.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect()
    };
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        if arrays.is_empty() {
            bail!("{file}: the archive holds no arrays, nothing to plot");
        }
        bail!("{file}: --keys selects no array; its arrays are: {}", names(&arrays));
    }
    let mut panels = Vec::with_capacity(keys.len());
    for key in &keys {
        let Some((_, t)) = arrays.iter().find(|(k, _)| k == key) else {
            bail!("{file}: no array '{key}'; its arrays are: {}", names(&arrays));
        };
        panels.push(panel(&a, key, t).with_context(|| format!("{file}: array '{key}'"))?);
    }
    let height = match a.height {
        Some(h) => h,
        None => PANEL_HEIGHT.saturating_mul(panels.len() as u32),
    };
    plotting::check_size(a.width, height, panels.len())
        .with_context(|| format!("{}", a.output.display()))?;
    plotting::draw(&a.output, format, (a.width, height), &panels)?;
    println!(
        "wrote {} ({} panel{}: {})",
        a.output.display(),
        panels.len(),
        if panels.len() == 1 { "" } else { "s" },
        keys.join(", ")
    );
    Ok(())
}

/// The arrays' keys in order, for messages.
fn names(arrays: &[(String, Tensor)]) -> String {
    let mut keys: Vec<&str> = arrays.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort();
    keys.join(", ")
}

/// One panel: the chosen batch element of `t` as [T, N], classified as spikes or traces.
fn panel(a: &PlotArgs, key: &str, t: &Tensor) -> Result<Panel> {
    let shape = t.shape().to_vec();
    let all = t.to_f64();
    let (data, batch) = match shape.len() {
        1 => (all.insert_axis(Axis(1)), None),
        2 => (all, None),
        3 => {
            let b = shape[1];
            if a.batch >= b {
                bail!(
                    "--batch {} is out of range: the array is {shape:?} with {b} batch elements",
                    a.batch
                );
            }
            (all.index_axis_move(Axis(1), a.batch), Some((a.batch, b)))
        }
        r => bail!(
            "a rank-{r} array {shape:?} cannot be plotted; plot takes [T], [T, N] or [T, B, N]"
        ),
    };
    let data: Array2<f64> = data.into_dimensionality::<Ix2>().expect("rank 2 by construction");
    if data.is_empty() {
        bail!("the array {shape:?} is empty, nothing to plot");
    }
    let kind = if is_spikes(t) { Kind::Spikes } else { Kind::Traces };
    let (data, neurons) = match kind {
        Kind::Spikes => {
            let n = data.ncols();
            (data, n)
        }
        Kind::Traces => {
            if a.neurons == 0 {
                bail!("--neurons 0 selects no trace");
            }
            let n = a.neurons.min(data.ncols());
            (data.slice(s![.., ..n]).to_owned(), data.ncols())
        }
    };
    Ok(Panel { key: key.to_string(), kind, data, shape, batch, neurons })
}

/// Whether every element is a whole number from 0 to [`MAX_SPIKE_COUNT`] (booleans always are).
fn is_spikes(t: &Tensor) -> bool {
    let ok = |x: f64| (0.0..=MAX_SPIKE_COUNT).contains(&x) && x.fract() == 0.0;
    match t {
        Tensor::Bool(_) => true,
        Tensor::I64(a) => a.iter().all(|&x| (0..=MAX_SPIKE_COUNT as i64).contains(&x)),
        Tensor::F32(a) => a.iter().all(|&x| ok(f64::from(x))),
        Tensor::F64(a) => a.iter().all(|&x| ok(x)),
    }
}
