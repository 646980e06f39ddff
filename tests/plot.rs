//! `snnc plot`: a bundled model's run drawn to PNG and SVG (size, not blank, panel titles),
//! spike/trace classification of '/'-keyed arrays, and user errors (exit code 1, the file and
//! the key named, no panic).

mod common;

use std::path::{Path, PathBuf};

use common::*;
use ndarray::{ArrayD, IxDyn};
use snnc_ir::Tensor;

/// Runs `snnc` expecting a user error: exit code 1 and a message containing every `needle`.
fn expect_error(args: &[&str], needles: &[&str]) -> String {
    let out = snnc(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "snnc {}: expected exit 1, stderr: {err}",
        args.join(" ")
    );
    assert!(!err.contains("panicked"), "snnc panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks '{n}': {err}");
    }
    err
}

/// `snnc run` of fixture recurrent_t20 (spikes [20, 2, 10], readout [20, 2, 3], v_final
/// [2, 10]) written to `dir/run.npz`.
fn run_recurrent(dir: &Path) -> PathBuf {
    let model = fixture("recurrent_t20").join("model.onnx");
    let npz = dir.join("run.npz");
    snnc_ok(&["run", model.to_str().unwrap(), "--output", npz.to_str().unwrap()]);
    npz
}

/// Decodes an 8-bit RGB or RGBA PNG: (width, height, pixels as RGB).
fn read_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("PNG image data");
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let step = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        c => panic!("unexpected PNG colour type {c:?}"),
    };
    let px = buf[..info.buffer_size()].chunks(step).map(|c| [c[0], c[1], c[2]]).collect();
    (info.width, info.height, px)
}

/// The texts of an SVG's `<text>` elements, in document order.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|s| {
            let body = &s[s.find('>').expect("text tag closes") + 1..];
            body[..body.find("</text>").expect("</text>")].trim().to_string()
        })
        .collect()
}

#[test]
fn run_then_plot_png_has_the_size_and_is_not_blank() {
    let tmp = scratch("plot-png");
    let npz = run_recurrent(&tmp);
    let png = tmp.join("run.png");
    let out = snnc_ok(&[
        "plot",
        npz.to_str().unwrap(),
        "-o",
        png.to_str().unwrap(),
        "--width",
        "700",
        "--height",
        "780",
    ]);
    assert!(out.contains("3 panels: readout, spikes, v_final"), "{out}");
    let (w, h, px) = read_png(&png);
    assert_eq!((w, h), (700, 780));
    assert_eq!(px.len(), 700 * 780);
    let light = px.iter().filter(|p| p.iter().all(|&c| c > 200)).count();
    let dark = px.iter().filter(|p| p.iter().all(|&c| c < 80)).count();
    // Spike marks are blue: (0, 0, 255) blended onto white.
    let blue = px.iter().filter(|p| p[2] > 200 && p[0] < 60 && p[1] < 60).count();
    assert!(light > px.len() / 2, "mostly background: {light} light pixels");
    assert!(dark > 2000, "axes and text drawn: {dark} dark pixels");
    assert!(blue > 500, "spike marks drawn: {blue} blue pixels");

    // The default height: 260 px per panel.
    let one = tmp.join("one.png");
    snnc_ok(&["plot", npz.to_str().unwrap(), "-o", one.to_str().unwrap(), "--keys", "spikes"]);
    let (w, h, _) = read_png(&one);
    assert_eq!((w, h), (900, 260));
}

#[test]
fn run_then_plot_svg_has_the_panel_titles_in_key_order() {
    let tmp = scratch("plot-svg");
    let npz = run_recurrent(&tmp);
    let svg = tmp.join("run.svg");
    snnc_ok(&[
        "plot",
        npz.to_str().unwrap(),
        "-o",
        svg.to_str().unwrap(),
        "--keys",
        "spikes,readout",
        "--batch",
        "1",
        "--neurons",
        "2",
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.trim_start().starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    assert_eq!(text.matches("<text").count(), text.matches("</text>").count());
    let texts = svg_texts(&text);
    let titles: Vec<&String> = texts.iter().filter(|t| t.contains("   [")).collect();
    assert_eq!(titles.len(), 2, "{texts:?}");
    assert!(titles[0].starts_with("readout   [20, 2, 3], batch 1 of 2, neurons 0-1 of 3"));
    assert!(titles[1].starts_with("spikes   [20, 2, 10], batch 1 of 2, "), "{}", titles[1]);
    assert!(titles[1].ends_with(" spikes"), "{}", titles[1]);
    assert!(!text.contains("v_final"));
    for label in ["time step", "neuron", "value", "n0", "n1"] {
        assert!(texts.iter().any(|t| t == label), "no '{label}' in {texts:?}");
    }
    assert!(!texts.iter().any(|t| t == "n2"), "--neurons 2 draws two traces");
}

/// A [T, B, N] f32 array from `f(t, b, n)`.
fn tbn(shape: [usize; 3], f: impl Fn(usize, usize, usize) -> f32) -> Tensor {
    let a = ArrayD::from_shape_fn(IxDyn(&shape), |i| f(i[0], i[1], i[2]));
    Tensor::F32(a)
}

#[test]
fn record_style_keys_are_classified_and_sorted() {
    let tmp = scratch("plot-record");
    let npz = tmp.join("record.npz");
    let v = tbn([12, 3, 5], |t, b, n| ((t + n) as f32 * 0.7 + b as f32).sin());
    let z = tbn([12, 3, 5], |t, b, n| ((t * 7 + n * 3 + b) % 4 == 0) as u8 as f32);
    let counts = tbn([12, 3, 5], |t, _, n| ((t + n) % 4) as f32);
    let bools = Tensor::Bool(ArrayD::from_shape_fn(IxDyn(&[12, 5]), |i| (i[0] + i[1]) % 3 == 0));
    let ints = Tensor::I64(ArrayD::from_shape_fn(IxDyn(&[12]), |i| 100 * i[0] as i64));
    let arrays: Vec<(&str, &Tensor)> = vec![
        ("cell/lif1/z", &z),
        ("cell/lif1/v", &v),
        ("cell/sinabs/z", &counts),
        ("mask", &bools),
        ("clock", &ints),
    ];
    snnc_arrays::write_npz(&npz, &arrays).unwrap();
    let svg = tmp.join("record.svg");
    let out =
        snnc_ok(&["plot", npz.to_str().unwrap(), "-o", svg.to_str().unwrap(), "--batch", "2"]);
    assert!(
        out.contains("5 panels: cell/lif1/v, cell/lif1/z, cell/sinabs/z, clock, mask"),
        "{out}"
    );
    let texts = svg_texts(&std::fs::read_to_string(&svg).unwrap());
    let titles: Vec<&str> =
        texts.iter().filter(|t| t.contains("   [")).map(|t| t.as_str()).collect();
    let z_count = (0..12)
        .flat_map(|t| (0..5).map(move |n| (t, n)))
        .filter(|&(t, n)| (t * 7 + n * 3 + 2) % 4 == 0)
        .count();
    let sinabs: usize = (0..12).flat_map(|t| (0..5).map(move |n| (t + n) % 4)).sum();
    let mask = (0..12).flat_map(|t| (0..5).map(move |n| (t + n) % 3 == 0)).filter(|&b| b).count();
    assert_eq!(
        titles,
        [
            "cell/lif1/v   [12, 3, 5], batch 2 of 3, neurons 0-4 of 5".to_string(),
            format!("cell/lif1/z   [12, 3, 5], batch 2 of 3, {z_count} spikes"),
            format!("cell/sinabs/z   [12, 3, 5], batch 2 of 3, {sinabs} spikes"),
            "clock   [12]".to_string(),
            format!("mask   [12, 5], {mask} spikes"),
        ]
    );
}

#[test]
fn user_errors_exit_1_and_name_the_file_and_key() {
    let tmp = scratch("plot-errors");
    let npz = run_recurrent(&tmp);
    let f = npz.to_str().unwrap();
    let out = |name: &str| tmp.join(name).to_str().unwrap().to_string();

    // The format comes from the extension.
    expect_error(&["plot", f, "-o", &out("run.jpg")], &["run.jpg", ".png or .svg"]);
    expect_error(&["plot", f, "-o", &out("run")], &["run", "no extension"]);
    // A key the archive lacks: the file, the key and the keys it has.
    expect_error(
        &["plot", f, "-o", &out("a.png"), "--keys", "spikes,cell/lif1/v"],
        &["run.npz", "'cell/lif1/v'", "readout, spikes, v_final"],
    );
    expect_error(
        &["plot", f, "-o", &out("a.png"), "--keys", ","],
        &["run.npz", "selects no array"],
    );
    expect_error(
        &["plot", f, "-o", &out("a.png"), "--keys", "spikes", "--batch", "2"],
        &["run.npz", "'spikes'", "--batch 2"],
    );
    expect_error(
        &["plot", f, "-o", &out("a.png"), "--keys", "readout", "--neurons", "0"],
        &["run.npz", "'readout'", "--neurons 0"],
    );
    expect_error(&["plot", f, "-o", &out("a.png"), "--width", "50"], &["a.png", "too small"]);
    expect_error(&["plot", f, "-o", &out("a.png"), "--height", "100000"], &["a.png", "too large"]);
    assert!(!tmp.join("a.png").exists(), "no image is written on an error");

    // Unreadable or unusable input.
    let missing = out("missing.npz");
    expect_error(&["plot", &missing, "-o", &out("a.png")], &["missing.npz"]);
    let junk = tmp.join("junk.npz");
    std::fs::write(&junk, b"not a zip archive").unwrap();
    expect_error(&["plot", junk.to_str().unwrap(), "-o", &out("a.png")], &["junk.npz"]);
    let odd = tmp.join("odd.npz");
    let rank4 = Tensor::F32(ArrayD::zeros(IxDyn(&[2, 2, 2, 2])));
    let scalar = Tensor::scalar_f32(1.0);
    let empty = Tensor::F32(ArrayD::zeros(IxDyn(&[0, 3])));
    snnc_arrays::write_npz(&odd, &[("deep", &rank4), ("one", &scalar), ("none", &empty)]).unwrap();
    let o = odd.to_str().unwrap();
    expect_error(
        &["plot", o, "-o", &out("a.svg"), "--keys", "deep"],
        &["odd.npz", "'deep'", "rank-4"],
    );
    expect_error(
        &["plot", o, "-o", &out("a.svg"), "--keys", "one"],
        &["odd.npz", "'one'", "rank-0"],
    );
    expect_error(
        &["plot", o, "-o", &out("a.svg"), "--keys", "none"],
        &["odd.npz", "'none'", "empty"],
    );
    let nothing = tmp.join("nothing.npz");
    snnc_arrays::write_npz(&nothing, &[]).unwrap();
    expect_error(
        &["plot", nothing.to_str().unwrap(), "-o", &out("a.svg")],
        &["nothing.npz", "no arrays"],
    );
    // An output folder that does not exist.
    let nowhere = tmp.join("no/such/dir/a.png");
    expect_error(&["plot", f, "-o", nowhere.to_str().unwrap()], &["no/such/dir/a.png"]);
}
