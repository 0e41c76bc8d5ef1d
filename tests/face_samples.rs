//! The face engine on the fetched sample photos (works on a fresh clone without shared/):
//! same and different people, no face, broken files, JPEG 2000 portraits, and the CLI.

mod common;

use std::path::Path;
use std::process::Command;

use examgate::face::{cosine, Embedding, DEFAULT_THRESHOLD};
use image::RgbImage;

fn embedding_of(path: &Path) -> Embedding {
    let frame =
        examgate::imaging::decode(&std::fs::read(path).expect("readable")).expect("decodes");
    common::engine()
        .analyze(&frame)
        .expect("engine runs")
        .face
        .and_then(|f| f.embedding)
        .unwrap_or_else(|| panic!("no face in {}", path.display()))
}

#[test]
fn obama_twice_is_the_same_person() {
    let s = cosine(
        &embedding_of(&common::sample("obama.jpg")),
        &embedding_of(&common::sample("obama2.jpg")),
    );
    assert!(s >= DEFAULT_THRESHOLD, "obama vs obama2 scored {s}");
}

#[test]
fn obama_and_biden_are_different_people() {
    let s = cosine(
        &embedding_of(&common::sample("obama.jpg")),
        &embedding_of(&common::sample("biden.jpg")),
    );
    assert!(s < DEFAULT_THRESHOLD, "obama vs biden scored {s}");
}

#[test]
fn an_image_without_a_face_gives_no_embedding() {
    // Smooth gradients and a few hard-edged blocks: texture, but nothing face-like.
    let frame = RgbImage::from_fn(640, 480, |x, y| {
        let block = ((x / 80) + (y / 80)) % 2 == 0;
        image::Rgb([(x / 3) as u8, (y / 2) as u8, if block { 200 } else { 40 }])
    });
    let analysis = common::engine().analyze(&frame).expect("engine runs");
    assert_eq!(analysis.faces, 0);
    assert!(analysis.face.is_none());
}

#[test]
fn a_truncated_jpeg_is_an_error_not_a_panic() {
    let bytes = std::fs::read(common::sample("obama.jpg")).expect("readable");
    for keep in [bytes.len() / 2, 1000, 10] {
        let result = examgate::imaging::decode(&bytes[..keep]);
        assert!(result.is_err(), "truncated to {keep} bytes decoded anyway");
    }
}

#[test]
fn a_png_with_alpha_decodes_and_is_analysed() {
    let bytes = std::fs::read(common::sample("32bit.png")).expect("readable");
    let frame = examgate::imaging::decode(&bytes).expect("RGBA png decodes");
    assert_eq!((frame.width(), frame.height()), (626, 1200));
    let a = common::engine().analyze(&frame).expect("engine runs");
    assert!(a.face.is_some(), "32bit.png shows a face");
}

/// Encode `img` as JPEG 2000 with OpenJPEG's command-line encoder (`libopenjp2-tools`).
fn to_jpeg2000(img: &RgbImage, ext: &str) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("examgate-j2k-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let ppm = dir.join(format!("in-{ext}.ppm"));
    let out = dir.join(format!("out.{ext}"));
    let mut data = format!("P6\n{} {}\n255\n", img.width(), img.height()).into_bytes();
    data.extend_from_slice(img.as_raw());
    std::fs::write(&ppm, data).expect("write ppm");
    let status = Command::new("opj_compress")
        .args([
            "-i",
            &ppm.to_string_lossy(),
            "-o",
            &out.to_string_lossy(),
            "-r",
            "20",
        ])
        .output()
        .expect("opj_compress runs (apt-get install libopenjp2-tools)");
    assert!(
        status.status.success(),
        "opj_compress: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let bytes = std::fs::read(&out).expect("jpeg 2000 written");
    let _ = std::fs::remove_file(&ppm);
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_dir(&dir);
    bytes
}

#[test]
fn a_jpeg2000_portrait_matches_its_jpeg_original() {
    let jpeg = std::fs::read(common::sample("obama2.jpg")).expect("readable");
    let photo = examgate::imaging::decode(&jpeg).expect("decodes");
    // Passport-chip portraits are small: scale to about 480 px high.
    let small = image::imageops::resize(&photo, 250, 480, image::imageops::FilterType::Triangle);
    let reference = common::engine()
        .analyze(&small)
        .expect("runs")
        .face
        .expect("face");
    for ext in ["jp2", "j2k"] {
        let bytes = to_jpeg2000(&small, ext);
        let format = examgate::imaging::sniff_format(&bytes);
        let decoded = examgate::imaging::decode(&bytes).expect("jpeg 2000 decodes");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (250, 480),
            "{ext} {format:?}"
        );
        let face = common::engine()
            .analyze(&decoded)
            .expect("runs")
            .face
            .expect("face in jp2");
        let s = cosine(
            reference.embedding.as_ref().expect("embedding"),
            face.embedding.as_ref().expect("embedding"),
        );
        assert!(
            s > 0.9,
            "{ext}: jpeg 2000 copy scored only {s} against the original"
        );
    }
}

fn examgate() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_examgate"));
    c.env("EXAMGATE_MODELS", common::models_dir());
    c
}

#[test]
fn cli_embed_prints_one_line_per_image_and_fails_on_a_bad_file() {
    let dir = std::env::temp_dir().join(format!("examgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let truncated = dir.join("truncated.jpg");
    let bytes = std::fs::read(common::sample("obama.jpg")).expect("readable");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not an image").expect("write");
    let blank = dir.join("blank.png");
    RgbImage::from_pixel(320, 240, image::Rgb([90, 90, 90]))
        .save(&blank)
        .expect("write png");

    let out = examgate()
        .args(["face", "embed", "--json"])
        .arg(common::sample("obama.jpg"))
        .args([&truncated, &text, &blank])
        .output()
        .expect("runs");
    assert!(
        !out.status.success(),
        "a failed file makes the exit code non-zero"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(
        lines.len(),
        4,
        "one line per image, the run continued past errors"
    );
    assert_eq!(lines[0]["faces"], 1);
    assert_eq!(lines[0]["embedding"].as_array().map(Vec::len), Some(512));
    assert_eq!(lines[0]["points"].as_array().map(Vec::len), Some(5));
    assert!(lines[0]["quality"]["sharpness"].is_number());
    assert!(lines[0]["liveness"].is_number());
    assert!(
        lines[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("Jpeg")),
        "{}",
        lines[1]
    );
    assert!(
        lines[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("not a JPEG")),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3]["faces"], 0);
    assert!(lines[3].get("embedding").is_none());
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn cli_compare_reports_score_threshold_and_verdict() {
    let out = examgate()
        .args(["face", "compare", "--json"])
        .arg(common::sample("obama.jpg"))
        .arg(common::sample("biden.jpg"))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["same"], false);
    assert!((v["threshold"].as_f64().expect("number") - f64::from(DEFAULT_THRESHOLD)).abs() < 1e-6);

    let out = examgate()
        .args(["face", "compare", "--json", "--threshold=-1"])
        .arg(common::sample("obama.jpg"))
        .arg(common::sample("biden.jpg"))
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["same"], true, "--threshold overrides the default");
}

#[test]
fn cli_compare_names_the_file_it_cannot_use() {
    let dir = std::env::temp_dir().join(format!("examgate-cmp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = dir.join("ticket.jpg");
    std::fs::write(&text, "not an image").expect("write");
    let blank = dir.join("wall.png");
    RgbImage::from_pixel(300, 300, image::Rgb([128, 128, 128]))
        .save(&blank)
        .expect("write png");
    for (bad, words) in [(&text, "not a JPEG"), (&blank, "no face found")] {
        let out = examgate()
            .args(["face", "compare"])
            .arg(common::sample("obama.jpg"))
            .arg(bad)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&*bad.to_string_lossy()) && err.contains(words),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_missing_models_directory_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_examgate"))
        .args(["face", "compare", "--models", "/nonexistent/models"])
        .arg(common::sample("obama.jpg"))
        .arg(common::sample("biden.jpg"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fr_detect.onnx") && err.contains("fetch.sh"),
        "{err}"
    );
}

#[test]
fn a_capture_averages_liveness_over_the_frames_with_a_face_and_keeps_the_sharpest() {
    let photo =
        examgate::imaging::decode(&std::fs::read(common::sample("obama.jpg")).expect("readable"))
            .expect("decodes");
    let sharp = image::imageops::resize(&photo, 455, 568, image::imageops::FilterType::Triangle);
    let blurred = image::imageops::blur(&sharp, 4.0);
    let empty = RgbImage::from_pixel(455, 568, image::Rgb([120, 120, 120]));
    let engine = common::engine();
    let single = |f: &RgbImage| engine.analyze(f).expect("runs").face.expect("face");
    let (a, b) = (single(&blurred), single(&sharp));

    let capture = engine
        .capture(&[blurred.clone(), empty.clone(), sharp.clone()])
        .expect("runs")
        .expect("two frames show a face");
    assert_eq!((capture.frames, capture.frames_with_face), (3, 2));
    assert_eq!(
        capture.best_frame, 2,
        "the sharp frame wins over the blurred one"
    );
    assert!((capture.liveness - (a.liveness + b.liveness) / 2.0).abs() < 1e-6);
    assert!(engine.capture(&[empty]).expect("runs").is_none());
}
