//! Drawing for `snnc plot`: spike rasters and potential traces, one panel per array, through
//! `plotters` onto a PNG (its bitmap backend, encoded with `png`) or an SVG.
//!
//! Text is rendered with `plotters`' `ab_glyph` font support and a font embedded in the binary
//! (assets/DejaVuSans-Latin1.ttf: DejaVu Sans cut to Latin-1, see assets/LICENSE-DejaVu.txt),
//! so drawing needs neither fontconfig nor any font installed on the machine.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, ensure, Context, Result};
use ndarray::Array2;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The font every text of a plot uses.
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans-Latin1.ttf");

/// Smallest panel, in pixels, that still leaves room for the caption, the axes and the data.
const MIN_PANEL: (u32, u32) = (240, 120);
/// Largest image side, in pixels (a bitmap of 8192² is 200 MB of RGB).
const MAX_SIDE: u32 = 8192;

/// The image format, from the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// The format `path`'s extension names (case-insensitive), or a user error naming the file.
    pub fn of(path: &Path) -> Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            Some(e) => bail!(
                "{}: cannot write a '.{e}' image; plot writes .png or .svg (chosen by the extension)",
                path.display()
            ),
            None => bail!(
                "{}: the output has no extension; plot writes .png or .svg (chosen by the extension)",
                path.display()
            ),
        }
    }
}

/// How a panel draws its array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A raster: one mark per (time step, neuron) with a non-zero count.
    Spikes,
    /// One line per neuron over time.
    Traces,
}

/// One array to draw.
#[derive(Debug)]
pub struct Panel {
    /// The array's key in the archive (the panel's title).
    pub key: String,
    pub kind: Kind,
    /// The values drawn, [T, N] (for traces, only the neurons drawn).
    pub data: Array2<f64>,
    /// The array's shape in the archive.
    pub shape: Vec<usize>,
    /// The batch element drawn and the batch size, for [T, B, N] arrays.
    pub batch: Option<(usize, usize)>,
    /// The array's neuron count (before `--neurons` cut traces).
    pub neurons: usize,
}

impl Panel {
    /// The title: the key, then what is drawn of the array.
    fn caption(&self) -> String {
        let dims: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
        let mut s = format!("{}   [{}]", self.key, dims.join(", "));
        if let Some((b, n)) = self.batch {
            s += &format!(", batch {b} of {n}");
        }
        match self.kind {
            Kind::Spikes => {
                let count = self.data.sum();
                let plural = if count == 1.0 { "" } else { "s" };
                s += &format!(", {count} spike{plural}");
            }
            Kind::Traces => {
                let k = self.data.ncols();
                if k == 1 && self.neurons == 1 {
                } else if k == 1 {
                    s += &format!(", neuron 0 of {}", self.neurons);
                } else {
                    s += &format!(", neurons 0-{} of {}", k - 1, self.neurons);
                }
            }
        }
        s
    }
}

/// Checks the image size: within [`MAX_SIDE`], and at least [`MIN_PANEL`] for each panel.
pub fn check_size(width: u32, height: u32, panels: usize) -> Result<()> {
    if width > MAX_SIDE || height > MAX_SIDE {
        bail!("{width}x{height} px is too large (at most {MAX_SIDE} px a side); plot fewer --keys");
    }
    let (w, h) = MIN_PANEL;
    if width < w || (height as usize) < h as usize * panels {
        bail!(
            "{width}x{height} px is too small for {panels} panel{}: each needs at least {w}x{h} px \
             (give --width/--height or fewer --keys)",
            if panels == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// Registers the embedded font under the families `plotters` asks for (once per process).
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        ["sans-serif", "serif", "monospace"]
            .iter()
            .all(|family| plotters::style::register_font(family, FontStyle::Normal, FONT).is_ok())
    });
    ensure!(ok, "the font embedded in snnc does not parse");
    Ok(())
}

/// Draws `panels` stacked top to bottom into a `size` image at `out`.
pub fn draw(out: &Path, format: Format, size: (u32, u32), panels: &[Panel]) -> Result<()> {
    register_font()?;
    let what = || format!("cannot write {}", out.display());
    let fail = |e: String| anyhow!("{}: drawing failed: {e}", out.display());
    match format {
        Format::Png => {
            let (w, h) = size;
            let mut rgb = vec![255u8; w as usize * h as usize * 3];
            {
                let backend = BitMapBackend::with_buffer(&mut rgb, size);
                let root = backend.into_drawing_area();
                render(&root, panels).map_err(|e| fail(e.to_string()))?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            let mut bytes = Vec::new();
            let mut enc = png::Encoder::new(&mut bytes, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::High);
            let mut writer = enc.write_header().map_err(|e| fail(e.to_string()))?;
            writer.write_image_data(&rgb).map_err(|e| fail(e.to_string()))?;
            writer.finish().map_err(|e| fail(e.to_string()))?;
            std::fs::write(out, bytes).with_context(what)
        }
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                render(&root, panels).map_err(|e| fail(e.to_string()))?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            std::fs::write(out, svg).with_context(what)
        }
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn render<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, panels: &[Panel]) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    for (area, p) in root.split_evenly((panels.len(), 1)).iter().zip(panels) {
        match p.kind {
            Kind::Spikes => raster(area, p)?,
            Kind::Traces => traces(area, p)?,
        }
    }
    Ok(())
}

/// Most labels on an axis.
const MAX_TICKS: usize = 11;

/// How many labels fit on the x and y axes of `area` (about 70 px apart across, 20 px up).
fn ticks<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> (usize, usize) {
    let (w, h) = area.dim_in_pixel();
    let fit = |px: u32, gap: u32| ((px / gap) as usize).clamp(2, MAX_TICKS);
    (fit(w, 70), fit(h, 20))
}

/// Axis labels for whole-number axes (time steps, neuron indices): blank between integers.
fn whole(x: &f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        String::new()
    }
}

/// Decimals that tell apart the labels of a value axis spanning `span` (about ten labels).
fn decimals(span: f64) -> usize {
    let step = span / 10.0;
    if step.is_finite() && step > 0.0 {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    } else {
        1
    }
}

/// A value axis label: `decimals` places, scientific notation for large magnitudes, and no
/// "-0.0" for a tick that rounding puts a hair below zero.
fn number(v: f64, decimals: usize) -> String {
    if v.abs() >= 1e5 {
        return format!("{v:.2e}");
    }
    let s = format!("{v:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// A chart with f64 time and value axes.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart in `area` with the panel's caption and room for the axis labels.
fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    p: &Panel,
    x: Range<f64>,
    y: Range<f64>,
) -> Result<Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    ChartBuilder::on(area)
        .caption(p.caption(), ("sans-serif", 17))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(38)
        .y_label_area_size(62)
        .build_cartesian_2d(x, y)
}

/// A spike raster: time on x, neuron on y, one square per (step, neuron) with a spike; counts
/// above one (multi-spike layers) are drawn darker.
fn raster<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &Panel) -> DrawResult<DB> {
    let (t, n) = p.data.dim();
    let (x_ticks, y_ticks) = ticks(area);
    let mut c = chart(area, p, -0.5..t as f64 - 0.5, -0.5..n as f64 - 0.5)?;
    c.configure_mesh()
        .x_desc("time step")
        .y_desc("neuron")
        .x_labels(t.min(x_ticks))
        .y_labels(n.min(y_ticks))
        .x_label_formatter(&whole)
        .y_label_formatter(&whole)
        .max_light_lines(0)
        .bold_line_style(BLACK.mix(0.08))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    let max = p.data.fold(0.0f64, |m, &x| m.max(x));
    let marks = p.data.indexed_iter().filter(|(_, &v)| v > 0.0).map(|((ti, ni), &v)| {
        let shade = if max > 1.0 { 0.35 + 0.65 * v / max } else { 1.0 };
        let (x, y) = (ti as f64, ni as f64);
        Rectangle::new([(x - 0.4, y - 0.4), (x + 0.4, y + 0.4)], BLUE.mix(shade).filled())
    });
    c.draw_series(marks)?;
    Ok(())
}

/// The y range of the finite values, padded; a flat or empty selection gets a unit range.
fn value_range(data: &Array2<f64>) -> Range<f64> {
    let (lo, hi) = data
        .iter()
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    if lo > hi {
        return -1.0..1.0;
    }
    let pad = if hi > lo { (hi - lo) * 0.06 } else { lo.abs().max(1.0) * 0.5 };
    lo - pad..hi + pad
}

/// Most legend entries shown; with more traces (or too little room) the colours go unlabelled.
const MAX_LEGEND: usize = 10;

/// Potential traces: one line per neuron over time (gaps where a value is not finite).
fn traces<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &Panel) -> DrawResult<DB> {
    let (t, n) = p.data.dim();
    let x_hi = if t > 1 { t as f64 - 1.0 } else { 1.0 };
    let (x_ticks, y_ticks) = ticks(area);
    // The legend, when it fits: a line of about 15 px per trace beside the data.
    let legend = n > 1 && n <= MAX_LEGEND && area.dim_in_pixel().1 as usize >= 90 + 15 * n;
    let y = value_range(&p.data);
    let decimals = decimals(y.end - y.start);
    let value = move |v: &f64| number(*v, decimals);
    let mut c = chart(area, p, 0.0..x_hi, y)?;
    c.configure_mesh()
        .x_desc("time step")
        .y_desc("value")
        .x_labels(t.min(x_ticks))
        .y_labels(y_ticks)
        .x_label_formatter(&whole)
        .y_label_formatter(&value)
        .max_light_lines(0)
        .bold_line_style(BLACK.mix(0.08))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    for j in 0..n {
        let color = Palette99::pick(j).to_rgba();
        let column = p.data.column(j);
        // Runs of finite values: each is one polyline, and a lone point gets a dot.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (ti, &v) in column.iter().enumerate() {
            if v.is_finite() {
                runs.last_mut().expect("never empty").push((ti as f64, v));
            } else if !runs.last().expect("never empty").is_empty() {
                runs.push(Vec::new());
            }
        }
        for (r, run) in runs.into_iter().enumerate() {
            let dot = run.len() == 1;
            let anno = if dot {
                c.draw_series(run.into_iter().map(|pt| Circle::new(pt, 3, color.filled())))?
            } else {
                c.draw_series(LineSeries::new(run, color.stroke_width(2)))?
            };
            if r == 0 && legend {
                anno.label(format!("n{j}")).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            }
        }
    }
    if legend {
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 11))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_labels_have_enough_decimals_and_no_negative_zero() {
        assert_eq!(decimals(1.3), 1);
        assert_eq!(decimals(21.0), 0);
        assert_eq!(decimals(0.004), 4);
        assert_eq!(decimals(0.0), 1);
        assert_eq!(number(-1e-17, 1), "0.0");
        assert_eq!(number(-0.25, 2), "-0.25");
        assert_eq!(number(-5.0, 0), "-5");
        assert_eq!(number(2.5e7, 0), "2.50e7");
        assert_eq!(whole(&3.0), "3");
        assert_eq!(whole(&2.5), "");
    }

    #[test]
    fn the_embedded_font_registers_and_formats_come_from_the_extension() {
        register_font().unwrap();
        assert_eq!(Format::of(Path::new("a/b.PNG")).unwrap(), Format::Png);
        assert_eq!(Format::of(Path::new("b.svg")).unwrap(), Format::Svg);
        let e = Format::of(Path::new("dir/b.gif")).unwrap_err().to_string();
        assert!(e.contains("dir/b.gif") && e.contains("'.gif'"), "{e}");
    }

    #[test]
    fn sizes_are_bounded() {
        assert!(check_size(900, 260, 1).is_ok());
        assert!(check_size(900, 239, 2).is_err());
        assert!(check_size(239, 260, 1).is_err());
        assert!(check_size(9000, 260, 1).is_err());
    }
}
