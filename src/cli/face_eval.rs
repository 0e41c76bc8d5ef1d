//! `examgate face eval|calibrate`: the engine's accuracy on a labelled photo set, per group.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use examgate::face::eval::{self, GroupReport, OperatingPoint, Photo};
use examgate::face::FaceEngine;
use examgate::package::format::DoorPolicy;
use serde_json::json;

/// Target FARs every evaluation reports.
pub const FARS: [f64; 2] = [1e-3, 1e-4];

/// Read the labels and analyse every photo on `threads` threads. A photo that cannot be
/// read or decoded is an error naming it: a set with holes would report flattering rates.
pub fn analyse(
    engine: &FaceEngine,
    labels_file: &Path,
    threads: usize,
) -> anyhow::Result<Vec<Photo>> {
    let text = std::fs::read_to_string(labels_file)
        .with_context(|| format!("reading labels {}", labels_file.display()))?;
    let base = labels_file.parent().unwrap_or(Path::new("."));
    let labels = eval::parse_labels(&text, base)
        .with_context(|| format!("labels {}", labels_file.display()))?;
    examgate::package::parallel::map(&labels, threads, |label| {
        let face = super::face::analyze_file(engine, &label.path)?.face;
        Ok(Photo {
            path: label.path.clone(),
            quality: face.as_ref().map(|f| f.quality),
            identity: label.identity.clone(),
            group: label.group.clone(),
            liveness: face.as_ref().map(|f| f.liveness),
            issues: face.as_ref().map(|f| f.issues.clone()).unwrap_or_default(),
            embedding: face.and_then(|f| f.embedding),
        })
    })
    .into_iter()
    .collect()
}

/// `face eval`.
pub fn run_eval(
    engine: &FaceEngine,
    labels: &Path,
    threshold: f32,
    liveness_threshold: f32,
    as_json: bool,
    photos_out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let photos = analyse(engine, labels, super::package::default_threads())?;
    if let Some(out) = photos_out {
        write_photos(out, &photos)?;
    }
    let rows = eval::report(&photos, &FARS, threshold, liveness_threshold);
    if as_json {
        println!(
            "{}",
            json!({
                "labels": labels,
                "threshold": threshold,
                "liveness_threshold": liveness_threshold,
                "groups": rows,
            })
        );
    } else {
        print!(
            "{}",
            eval_table(labels, &rows, threshold, liveness_threshold)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One JSON line per photo: what was found and measured (never the embedding).
fn write_photos(out: &Path, photos: &[Photo]) -> anyhow::Result<()> {
    let mut text = String::new();
    for p in photos {
        text.push_str(
            &json!({
                "path": p.path,
                "identity": p.identity,
                "group": p.group,
                "face": p.embedding.is_some(),
                "liveness": p.liveness,
                "issues": p.issues,
                "quality": p.quality,
            })
            .to_string(),
        );
        text.push('\n');
    }
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))
}

fn point(p: Option<&OperatingPoint>) -> String {
    match p {
        Some(p) if p.resolved => format!("{:.4} @ {:.3}", p.tar, p.threshold),
        Some(p) => format!("({:.4} @ {:.3})*", p.tar, p.threshold),
        None => "-".into(),
    }
}

fn pct(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

/// The text report: accuracy, then quality, one row per group.
pub fn eval_table(
    labels: &Path,
    rows: &[GroupReport],
    threshold: f32,
    liveness_threshold: f32,
) -> String {
    let mut out = format!(
        "face eval of {}: threshold {threshold:.3}, liveness threshold {liveness_threshold:.2}\n\n",
        labels.display()
    );
    out.push_str(&format!(
        "{:<12} {:>6} {:>5} {:>7} {:>8} {:>9} {:>18} {:>18} {:>9} {:>9} {:>8}\n",
        "group",
        "photos",
        "ids",
        "no face",
        "genuine",
        "impostor",
        "TAR@FAR1e-3 @ thr",
        "TAR@FAR1e-4 @ thr",
        format!("FAR@{threshold:.2}"),
        format!("TAR@{threshold:.2}"),
        "BPCER"
    ));
    for r in rows {
        let at = |far: f64| r.operating_points.iter().find(|p| p.far_target == far);
        out.push_str(&format!(
            "{:<12} {:>6} {:>5} {:>7} {:>8} {:>9} {:>18} {:>18} {:>9} {:>9} {:>8}\n",
            r.group,
            r.photos,
            r.identities,
            r.no_face,
            r.genuine_pairs,
            r.impostor_pairs,
            point(at(FARS[0])),
            point(at(FARS[1])),
            pct(r.far_at_threshold),
            format!("{:.4}", r.tar_at_threshold),
            pct(r.bpcer),
        ));
    }
    out.push_str(
        "(…)* the set has too few impostor pairs for that FAR: the threshold is just above \
         its highest impostor score\n\nquality issues, share of photos with a face\n",
    );
    out.push_str(&format!("{:<12}", "group"));
    for issue in eval::ISSUES {
        out.push_str(&format!(" {:>13}", issue_name(issue)));
    }
    out.push('\n');
    for r in rows {
        out.push_str(&format!("{:<12}", r.group));
        for (_, share) in &r.issues {
            out.push_str(&format!(" {:>13}", pct(*share)));
        }
        out.push('\n');
    }
    out
}

fn issue_name(issue: examgate::face::QualityIssue) -> String {
    serde_json::to_value(issue)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `face calibrate`.
pub fn run_calibrate(
    engine: &FaceEngine,
    labels: &Path,
    far: f64,
    group: Option<&str>,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    if !(far > 0.0 && far < 1.0) {
        anyhow::bail!("--far {far} is not a rate between 0 and 1 (e.g. 1e-3)");
    }
    let photos = analyse(engine, labels, super::package::default_threads())?;
    if let Some(g) = group {
        if !photos.iter().any(|p| p.group == g) {
            let groups: std::collections::BTreeSet<&str> =
                photos.iter().map(|p| p.group.as_str()).collect();
            anyhow::bail!(
                "no photo in group {g:?} in {} (groups: {})",
                labels.display(),
                groups.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let scores = eval::Scores::of(&photos, |p| group.is_none_or(|g| p.group == g));
    let Some(p) = eval::operating_point(&scores, far) else {
        anyhow::bail!(
            "{} has no impostor pairs{}: it needs photos of at least two people",
            labels.display(),
            group.map(|g| format!(" in group {g}")).unwrap_or_default()
        );
    };
    let current = DoorPolicy::default().face_threshold;
    if as_json {
        println!(
            "{}",
            json!({
                "labels": labels,
                "group": group,
                "far_target": far,
                "threshold": p.threshold,
                "far": p.far,
                "tar": p.tar,
                "resolved": p.resolved,
                "genuine_pairs": scores.genuine.len(),
                "impostor_pairs": scores.impostor.len(),
                "default_threshold": current,
                "tar_at_default": eval::accept_rate(&scores.genuine, current),
                "far_at_default": eval::accept_rate(&scores.impostor, current),
            })
        );
    } else {
        println!(
            "{} ({}): {} genuine, {} impostor pairs",
            labels.display(),
            group.unwrap_or("every group"),
            scores.genuine.len(),
            scores.impostor.len()
        );
        println!(
            "threshold for FAR {far:e}: {:.3} (FAR there {:.4} %, TAR {:.4}: {:.2} % of genuine candidates referred)",
            p.threshold,
            p.far * 100.0,
            p.tar,
            (1.0 - p.tar) * 100.0
        );
        println!(
            "door default {current:.3}: FAR {:.4} %, TAR {:.4}",
            eval::accept_rate(&scores.impostor, current) * 100.0,
            eval::accept_rate(&scores.genuine, current)
        );
        if !p.resolved {
            println!(
                "warning: {} impostor pairs cannot measure a FAR of {far:e} (needs at least {:.0}); \
                 the threshold is just above the highest impostor score. Use a larger set.",
                scores.impostor.len(),
                (1.0 / far).ceil()
            );
        }
        // Rounded up, so the written value never accepts more than the measured one.
        let rounded = (f64::from(p.threshold) * 1000.0).ceil() / 1000.0;
        if rounded > 0.0 && rounded < 1.0 {
            println!("set it per exam in exam.toml: [policy] face_threshold = {rounded:.3}");
        } else {
            // A photo without a face, or one person labelled as two, puts the cut at the
            // ends of the scale, where no exam threshold can sit.
            println!(
                "warning: {rounded:.3} is not a usable face_threshold (it must lie between 0 \
                 and 1): check the set for photos without a face or people labelled twice"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
