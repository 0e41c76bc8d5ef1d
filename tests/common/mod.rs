//! Shared set-up for the integration tests: where the models, the sample photos and the dev
//! set are, and one engine per test binary.
#![allow(dead_code)] // each test binary uses its own subset

pub mod cards;
pub mod packages;
pub mod stick;

use std::path::PathBuf;
use std::sync::OnceLock;

use examgate::face::FaceEngine;

/// Repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The models directory; tests fail (not skip) without it.
pub fn models_dir() -> PathBuf {
    let dir = std::env::var_os("EXAMGATE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("models"));
    assert!(
        dir.join("fr_detect.onnx").is_file(),
        "models missing in {}: run models/fetch.sh",
        dir.display()
    );
    dir
}

/// A fetched sample photo; tests fail without it.
pub fn sample(name: &str) -> PathBuf {
    let p = root().join("assets/samples").join(name);
    assert!(p.is_file(), "{} missing: run models/fetch.sh", p.display());
    p
}

/// The dev set: `$EXAMGATE_FACE_DEV` (must exist when set; CI sets it), else
/// `../shared/testdata/faces/dev` when present, else `None` (a fresh clone without shared/).
pub fn dev_set() -> Option<PathBuf> {
    face_set("EXAMGATE_FACE_DEV", "dev", "pairs.csv")
}

/// The larger dev set with its `group` column (`EXAMGATE_FACE_DEV_LARGE`, else
/// `../shared/testdata/faces/dev-large`); `None` when absent.
pub fn dev_large_set() -> Option<PathBuf> {
    face_set("EXAMGATE_FACE_DEV_LARGE", "dev-large", "labels.csv")
}

/// A face set named by `var` (which must then hold `marker`), else beside the repository.
fn face_set(var: &str, name: &str, marker: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(var) {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join(marker).is_file(),
            "{var}={} has no {marker}",
            dir.display()
        );
        return Some(dir);
    }
    let dir = root().join("../shared/testdata/faces").join(name);
    dir.join(marker).is_file().then_some(dir)
}

/// One engine for the whole test binary.
pub fn engine() -> &'static FaceEngine {
    static ENGINE: OnceLock<FaceEngine> = OnceLock::new();
    ENGINE.get_or_init(|| FaceEngine::load(&models_dir()).expect("models load"))
}

/// Rows of a simple CSV (no quoted commas), header included as the keys.
pub fn read_csv(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("csv readable");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}
