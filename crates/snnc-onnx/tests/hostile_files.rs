//! Hostile files: empty, garbage, truncated, and external data that is missing, short or escapes
//! the model's folder. Each must be a clear error naming the file, never a panic.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use snnc_onnx::{input_signature, load_onnx, ImportOptions, OnnxError};

fn load(p: &Path) -> Result<snnc_ir::Graph, OnnxError> {
    load_onnx(p, &ImportOptions::default())
}

fn err(p: &Path) -> String {
    let e = load(p).expect_err("import must fail");
    let msg = e.to_string();
    assert!(msg.contains(&p.display().to_string()), "message does not name the file: {msg}");
    msg
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/fixtures")
        .join(name)
        .join("model.onnx")
}

#[test]
fn missing_file_is_an_io_error() {
    let p = temp_dir("missing").join("nope.onnx");
    assert!(matches!(load(&p), Err(OnnxError::Io { .. })));
    assert!(input_signature(&p).is_err());
}

#[test]
fn empty_file_is_refused() {
    let p = temp_dir("empty").join("model.onnx");
    std::fs::write(&p, b"").expect("write");
    assert!(err(&p).contains("empty"));
    assert!(matches!(input_signature(&p), Err(OnnxError::Parse { .. })));
}

#[test]
fn garbage_bytes_are_refused() {
    let p = temp_dir("garbage").join("model.onnx");
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    std::fs::write(&p, bytes).expect("write");
    err(&p);
    std::fs::write(&p, b"this is not a protobuf at all\n").expect("write");
    err(&p);
}

#[test]
fn truncated_model_is_refused() {
    let bytes = std::fs::read(fixture("custom_recurrent_fti")).expect("fixture");
    let p = temp_dir("truncated").join("model.onnx");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).expect("write");
    err(&p);
}

#[test]
fn corrupted_models_never_panic() {
    let dir = temp_dir("fuzz");
    let p = dir.join("model.onnx");
    for fx in ["custom_steps_rec", "ff_t8"] {
        let bytes = std::fs::read(fixture(fx)).expect("fixture");
        std::fs::copy(fixture(fx).with_extension("onnx.data"), dir.join("model.onnx.data")).ok();
        let step = (bytes.len() / 97).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            std::fs::write(&p, &bytes[..cut]).expect("write");
            let _ = load(&p);
            let mut flipped = bytes.clone();
            flipped[cut] ^= 0xA5;
            flipped[(cut * 7 + 3) % bytes.len()] = 0xFF;
            std::fs::write(&p, &flipped).expect("write");
            let _ = load(&p);
            let _ = input_signature(&p);
        }
    }
}

/// `x [2,3] + w [2,3]` with `w` as the given (external) tensor.
fn add_model(dir: &Path, w: tract_onnx::pb::TensorProto) -> PathBuf {
    let n = node("Add", "", "add", &["x", "w"], &["y"]);
    let g = graph(vec![n], vec![f32_input("x", &[2, 3])], vec![output("y")], vec![w]);
    write(dir, &model(g, 18))
}

#[test]
fn external_data_inside_the_folder_loads_with_offset() {
    let dir = temp_dir("ext-ok");
    let data: Vec<f32> = (0..6).map(|i| i as f32 * 0.5).collect();
    let mut bytes = vec![0u8; 8];
    bytes.extend(f32_bytes(&data));
    std::fs::create_dir(dir.join("sub")).expect("mkdir");
    std::fs::write(dir.join("sub/w.bin"), bytes).expect("write");
    let p = add_model(&dir, external_f32("w", &[2, 3], "./sub/w.bin", Some(8)));
    let g = load(&p).expect("loads");
    let w = g.initializer(g.find("w").expect("w")).expect("initializer");
    assert_eq!(w.as_f32_vec().expect("f32"), data);
}

#[test]
fn external_data_with_dotdot_is_refused_before_reading() {
    let dir = temp_dir("ext-dotdot");
    let inner = dir.join("m");
    std::fs::create_dir(&inner).expect("mkdir");
    std::fs::write(dir.join("x.data"), f32_bytes(&[0.0; 6])).expect("write");
    let p = add_model(&inner, external_f32("w", &[2, 3], "../x.data", None));
    let msg = err(&p);
    assert!(msg.contains("initializer 'w'") && msg.contains("leaves the model's folder"), "{msg}");
}

#[test]
fn external_data_with_absolute_path_is_refused() {
    let dir = temp_dir("ext-abs");
    let target = dir.join("abs.data");
    std::fs::write(&target, f32_bytes(&[0.0; 6])).expect("write");
    let loc = target.to_str().expect("utf-8 temp path").to_string();
    let p = add_model(&dir, external_f32("w", &[2, 3], &loc, None));
    let msg = err(&p);
    assert!(msg.contains("initializer 'w'") && msg.contains("leaves the model's folder"), "{msg}");
}

#[cfg(unix)]
#[test]
fn external_data_symlink_escaping_the_folder_is_refused() {
    let dir = temp_dir("ext-link");
    let inner = dir.join("m");
    std::fs::create_dir(&inner).expect("mkdir");
    std::fs::write(dir.join("outside.data"), f32_bytes(&[0.0; 6])).expect("write");
    std::os::unix::fs::symlink(dir.join("outside.data"), inner.join("w.data")).expect("symlink");
    let p = add_model(&inner, external_f32("w", &[2, 3], "w.data", None));
    let msg = err(&p);
    assert!(msg.contains("initializer 'w'") && msg.contains("outside the model's folder"), "{msg}");
}

#[test]
fn missing_external_data_file_is_refused() {
    let dir = temp_dir("ext-missing");
    let p = add_model(&dir, external_f32("w", &[2, 3], "model.onnx.data", None));
    let msg = err(&p);
    assert!(msg.contains("initializer 'w'") && msg.contains("model.onnx.data"), "{msg}");
}

#[test]
fn truncated_external_data_file_is_refused() {
    let dir = temp_dir("ext-short");
    std::fs::write(dir.join("model.onnx.data"), f32_bytes(&[1.0; 5])).expect("write");
    let p = add_model(&dir, external_f32("w", &[2, 3], "model.onnx.data", None));
    let msg = err(&p);
    assert!(msg.contains("initializer 'w'") && msg.contains("truncated"), "{msg}");
    let p = add_model(&dir, external_f32("w", &[2, 3], "model.onnx.data", Some(1 << 40)));
    assert!(err(&p).contains("truncated"));
}

#[test]
fn absurd_external_tensor_is_refused_without_allocating() {
    let dir = temp_dir("ext-huge");
    std::fs::write(dir.join("model.onnx.data"), f32_bytes(&[1.0; 6])).expect("write");
    let p = add_model(&dir, external_f32("w", &[1 << 20, 1 << 20], "model.onnx.data", None));
    let msg = err(&p);
    assert!(msg.contains("initializer 'w'") && msg.contains("exceeds"), "{msg}");
}

#[test]
fn a_fixture_with_its_data_file_moved_away_is_refused() {
    let dir = temp_dir("ext-fixture");
    std::fs::copy(fixture("ff_t8"), dir.join("model.onnx")).expect("copy");
    let msg = err(&dir.join("model.onnx"));
    assert!(msg.contains("initializer '") && msg.contains("model.onnx.data"), "{msg}");
}
