//! Helpers shared by the end-to-end tests: run the `snnc` binary, read fixtures, compare arrays
//! the way SPEC §5 defines "matches".

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use snnc_ir::Tensor;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// The folder of fixture `name`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("models/fixtures").join(name)
}

/// The folder of library-export fixture `name` (models/family, see models/README.md).
pub fn family_fixture(name: &str) -> PathBuf {
    root().join("models/family").join(name)
}

/// The folder of leaky-cell library-export fixture `name` (models/leaky).
pub fn leaky_fixture(name: &str) -> PathBuf {
    root().join("models/leaky").join(name)
}

/// Names of every leaky-cell fixture folder.
pub fn all_leaky_fixtures() -> Vec<String> {
    fixtures_in("models/leaky")
}

/// The folder of spiking-CNN fixture `name` (models/cnn).
pub fn cnn_fixture(name: &str) -> PathBuf {
    root().join("models/cnn").join(name)
}

/// Names of every spiking-CNN fixture folder.
pub fn all_cnn_fixtures() -> Vec<String> {
    fixtures_in("models/cnn")
}

/// Names of every fixture folder.
pub fn all_fixtures() -> Vec<String> {
    fixtures_in("models/fixtures")
}

/// Names of every library-export fixture folder.
pub fn all_family_fixtures() -> Vec<String> {
    fixtures_in("models/family")
}

/// The folders under `dir` (relative to the repository root) that hold a meta.json.
fn fixtures_in(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join(dir))
        .expect("fixtures folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("meta.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The fixture's meta.json.
pub fn meta(name: &str) -> serde_json::Value {
    meta_at(&fixture(name))
}

/// The meta.json in fixture folder `dir`.
pub fn meta_at(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("meta.json")).expect("meta.json");
    serde_json::from_str(&text).expect("meta.json is JSON")
}

/// A fresh scratch folder for one test.
pub fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("snnc-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Runs `snnc` with `args`.
pub fn snnc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_snnc")).args(args).output().expect("snnc runs")
}

/// Runs `snnc` and panics with its stderr unless it succeeds.
pub fn snnc_ok(args: &[&str]) -> String {
    let out = snnc(args);
    assert!(
        out.status.success(),
        "snnc {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Reads an `.npz` into (name, tensor) pairs.
pub fn npz(path: &Path) -> Vec<(String, Tensor)> {
    snnc_arrays::read_npz(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Looks up `name` in `arrays`.
pub fn get<'a>(arrays: &'a [(String, Tensor)], name: &str) -> &'a Tensor {
    &arrays.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no array '{name}'")).1
}

/// SPEC §5 comparisons (not every test binary uses them).
#[allow(unused_imports)]
pub use snnc_interp::{compare_grad, compare_output};
