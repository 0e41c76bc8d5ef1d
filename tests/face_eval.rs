//! The face engine for the people at this door (issue 13), on `dev-large` (1,453 general and
//! 84 East Asian LFW photos, `group` column) through `examgate face eval|calibrate`, and the
//! engine's eye and small-face checks on named photos of the dev sets.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::packages::{examgate, scratch};
use examgate::face::QualityIssue;
use serde_json::Value;

fn skip(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI must have the {what}"
    );
    eprintln!("skipped: no {what}");
}

/// `examgate face VERB --models … --labels LABELS EXTRA…`.
fn face(verb: &str, labels: &Path, extra: &[&str]) -> std::process::Output {
    examgate()
        .args(["face", verb, "--models"])
        .arg(common::models_dir())
        .arg("--labels")
        .arg(labels)
        .args(extra)
        .output()
        .expect("examgate runs")
}

/// `face eval --json` of dev-large at the door's defaults, run once per test binary.
fn dev_large_eval() -> Option<&'static Value> {
    static EVAL: OnceLock<Option<Value>> = OnceLock::new();
    EVAL.get_or_init(|| {
        let dir = common::dev_large_set()?;
        let out = face("eval", &dir.join("labels.csv"), &["--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(serde_json::from_slice(&out.stdout).expect("one JSON object"))
    })
    .as_ref()
}

fn group<'a>(eval: &'a Value, name: &str) -> &'a Value {
    eval["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["group"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {eval}"))
}

fn issue_share(g: &Value, issue: &str) -> f64 {
    g["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .find(|pair| pair[0] == issue)
        .and_then(|pair| pair[1].as_f64())
        .unwrap_or_else(|| panic!("no {issue} share in {g}"))
}

#[test]
fn the_door_threshold_holds_far_1e_3_among_east_asian_faces_and_keeps_tar() {
    let Some(eval) = dev_large_eval() else {
        return skip("dev-large set");
    };
    let threshold = eval["threshold"].as_f64().expect("threshold");
    assert!(
        (threshold - f64::from(examgate::face::DEFAULT_THRESHOLD)).abs() < 1e-6,
        "evaluated at the door's default"
    );
    let ea = group(eval, "east_asian");
    let general = group(eval, "general");
    assert_eq!(ea["impostor_pairs"], 3421, "the whole East Asian group");
    assert!(
        ea["far_at_threshold"].as_f64().expect("far") <= 1e-3,
        "{ea}"
    );
    assert!(
        general["far_at_threshold"].as_f64().expect("far") <= 1e-3,
        "{general}"
    );
    assert!(
        general["tar_at_threshold"].as_f64().expect("tar") >= 0.97,
        "{general}"
    );
    assert!(
        ea["tar_at_threshold"].as_f64().expect("tar") >= 0.95,
        "{ea}"
    );
    // Both operating points are reported for both groups.
    for g in [ea, general] {
        let fars: Vec<f64> = g["operating_points"]
            .as_array()
            .expect("points")
            .iter()
            .map(|p| p["far_target"].as_f64().expect("far"))
            .collect();
        assert_eq!(fars, [1e-3, 1e-4]);
    }
}

#[test]
fn every_dev_large_photo_has_a_face_and_open_eyes_are_not_called_closed() {
    let Some(eval) = dev_large_eval() else {
        return skip("dev-large set");
    };
    for name in ["general", "east_asian", "overall"] {
        let g = group(eval, name);
        assert_eq!(g["no_face"], 0, "{g}");
        assert!(issue_share(g, "eyes_closed") <= 0.01, "{g}");
    }
    // The East Asian photos all show open eyes.
    assert_eq!(issue_share(group(eval, "east_asian"), "eyes_closed"), 0.0);
    // Liveness is reported per group at the door's threshold.
    assert!(group(eval, "east_asian")["bpcer"].is_number());
}

fn analyse(path: &Path) -> examgate::face::FaceAnalysis {
    let bytes = std::fs::read(path).expect("photo readable");
    let frame = examgate::imaging::decode(&bytes).expect("photo decodes");
    common::engine()
        .analyze(&frame)
        .expect("engine runs")
        .face
        .unwrap_or_else(|| panic!("no face in {}", path.display()))
}

#[test]
fn real_closed_eyes_are_flagged_and_narrow_open_eyes_are_not() {
    let Some(dir) = common::dev_large_set() else {
        return skip("dev-large set");
    };
    // Eyes shut tight (checked by eye: the photo shows a basketball player mid-wince).
    let shut = analyse(&dir.join("Ray_Allen/Ray_Allen_0002.jpg"));
    assert!(shut.issues.contains(&QualityIssue::EyesClosed), "{shut:?}");
    // Open eyes the eye model doubted at its old threshold: narrow, downcast or smiling.
    for open in [
        "Kim_Yong-il/Kim_Yong-il_0002.jpg",
        "Hideki_Sato/Hideki_Sato_0001.jpg",
        "Park_Jung_Sung/Park_Jung_Sung_0001.jpg",
        "Li_Ruihuan/Li_Ruihuan_0001.jpg",
        "Sally_Kirkland/Sally_Kirkland_0001.jpg",
    ] {
        let face = analyse(&dir.join(open));
        assert!(
            !face.issues.contains(&QualityIssue::EyesClosed),
            "{open}: {:?}",
            face.quality
        );
    }
}

/// A 168x193 crop that the face fills, cut at brow and chin, as a webcam crop is.
fn tight_crop(path: &Path) -> image::RgbImage {
    let img = image::open(path).expect("photo").to_rgb8();
    let (w, h) = (96, 110);
    let x = (img.width() - w) / 2;
    let y = (img.height() - h) / 2 + 8;
    let crop = image::imageops::crop_imm(&img, x, y, w, h).to_image();
    image::imageops::resize(&crop, 168, 193, image::imageops::FilterType::Triangle)
}

/// Without the detector's second look (a padded canvas) 9 of these 84 crops showed no face.
#[test]
fn a_face_that_fills_a_small_webcam_crop_is_found() {
    let Some(dir) = common::dev_large_set() else {
        return skip("dev-large set");
    };
    let labels = common::read_csv(&dir.join("labels.csv"));
    let mut missed = Vec::new();
    for row in labels.iter().filter(|r| r["group"] == "east_asian") {
        let frame = tight_crop(&dir.join(&row["path"]));
        let found = common::engine().analyze(&frame).expect("engine runs");
        if found.face.is_none() {
            missed.push(row["path"].clone());
        }
    }
    assert!(missed.is_empty(), "no face in the crops of {missed:?}");
}

#[test]
fn calibrate_prints_the_threshold_for_a_target_far_and_its_cost() {
    let Some(dir) = common::dev_set() else {
        return skip("dev set");
    };
    let out = face(
        "calibrate",
        &dir.join("labels.csv"),
        &["--json", "--far", "1e-2"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // 99 photos of 40 people: every pair, 4,767 of them impostors; the reference pipeline
    // separates this set, so the threshold keeps every genuine pair.
    assert_eq!(v["genuine_pairs"], 84);
    assert_eq!(v["impostor_pairs"], 99 * 98 / 2 - 84);
    assert!(v["far"].as_f64().expect("far") <= 1e-2);
    assert_eq!(v["tar"], 1.0);
    assert_eq!(v["resolved"], true);
    let t = v["threshold"].as_f64().expect("threshold");
    assert!((0.1..0.416).contains(&t), "{t}");
}

#[test]
fn a_bad_labels_file_is_refused_naming_the_line() {
    let dir = scratch("face-eval-bad-labels");
    std::fs::write(dir.join("labels.csv"), "path,identity,group\na.jpg,A\n").expect("write");
    let out = face("eval", &dir.join("labels.csv"), &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("2 fields"), "{err}");
    std::fs::write(dir.join("labels.csv"), "path,identity\nmissing.jpg,A\n").expect("write");
    let out = face("calibrate", &dir.join("labels.csv"), &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.jpg"), "{err}");
}
