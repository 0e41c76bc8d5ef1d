//! `examgate face embed|compare|eval|calibrate`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use examgate::face::{self, FaceEngine, FrameAnalysis};
use examgate::package::format::DoorPolicy;
use serde_json::json;

/// Face engine verbs.
#[derive(Subcommand)]
pub enum FaceCommand {
    /// Analyse images: one JSON line per image (faces, box, points, quality, liveness,
    /// embedding of the largest face).
    Embed {
        /// Print JSON lines (the only format; kept explicit for scripts).
        #[arg(long)]
        json: bool,
        /// Models directory.
        #[arg(long)]
        models: Option<PathBuf>,
        /// Image files (JPEG, PNG, JPEG 2000).
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Compare the largest face in two images: score, threshold, same or different.
    Compare {
        /// First image.
        a: PathBuf,
        /// Second image.
        b: PathBuf,
        /// Cosine threshold for "same" (default: the FAR 1e-3 point).
        #[arg(long, default_value_t = face::DEFAULT_THRESHOLD)]
        threshold: f32,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Models directory.
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Accuracy on a labelled photo set, per group and overall: TAR at FAR 1e-3 and 1e-4,
    /// FAR and TAR at the threshold, photos without a face, quality issues, liveness BPCER.
    Eval {
        /// Labels CSV: `path,identity[,group]`, paths relative to the file.
        #[arg(long)]
        labels: PathBuf,
        /// Cosine threshold evaluated [default: the door's].
        #[arg(long, default_value_t = DoorPolicy::default().face_threshold)]
        threshold: f32,
        /// Liveness threshold evaluated [default: the door's].
        #[arg(long, default_value_t = DoorPolicy::default().liveness_threshold)]
        liveness_threshold: f32,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
        /// Embed with the mirror-image augmentation (off at the door; to measure it).
        #[arg(long)]
        tta: bool,
        /// Also write one JSON line per photo (face found, quality, issues, liveness; never
        /// the embedding) to this file.
        #[arg(long)]
        photos_out: Option<PathBuf>,
        /// Models directory.
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// The threshold that holds a target FAR on a labelled set of the exam's own population,
    /// and the TAR it costs.
    Calibrate {
        /// Labels CSV: `path,identity[,group]`, paths relative to the file.
        #[arg(long)]
        labels: PathBuf,
        /// Target false-accept rate.
        #[arg(long, default_value_t = 1e-3)]
        far: f64,
        /// Only pairs within this group [default: every pair].
        #[arg(long)]
        group: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Models directory.
        #[arg(long)]
        models: Option<PathBuf>,
    },
}

/// Run a face verb.
pub fn run(cmd: FaceCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        FaceCommand::Embed {
            json: _,
            models,
            images,
        } => embed(&super::models_dir(models), &images),
        FaceCommand::Compare {
            a,
            b,
            threshold,
            json,
            models,
        } => {
            let engine = load_engine(&super::models_dir(models))?;
            compare(&engine, &a, &b, threshold, json)
        }
        FaceCommand::Eval {
            labels,
            threshold,
            liveness_threshold,
            json,
            photos_out,
            tta,
            models,
        } => {
            let mut engine = load_engine(&super::models_dir(models))?;
            engine.mirror_tta = tta;
            super::face_eval::run_eval(
                &engine,
                &labels,
                threshold,
                liveness_threshold,
                json,
                photos_out.as_deref(),
            )
        }
        FaceCommand::Calibrate {
            labels,
            far,
            group,
            json,
            models,
        } => {
            let engine = load_engine(&super::models_dir(models))?;
            super::face_eval::run_calibrate(&engine, &labels, far, group.as_deref(), json)
        }
    }
}

/// Load the engine with a message that says what to do when models are missing.
pub fn load_engine(dir: &Path) -> anyhow::Result<FaceEngine> {
    FaceEngine::load(dir).with_context(|| format!("loading face models from {}", dir.display()))
}

fn embed(models: &Path, images: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let engine = load_engine(models)?;
    let mut failed = false;
    for path in images {
        let line = match analyze_file(&engine, path) {
            Ok(analysis) => analysis_json(path, &analysis),
            Err(e) => {
                failed = true;
                json!({ "path": path, "error": format!("{e:#}") })
            }
        };
        println!("{line}");
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Read, decode and analyse one image file.
pub fn analyze_file(engine: &FaceEngine, path: &Path) -> anyhow::Result<FrameAnalysis> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let frame = examgate::imaging::decode(&bytes)
        .with_context(|| format!("decoding {}", path.display()))?;
    Ok(engine.analyze(&frame)?)
}

fn analysis_json(path: &Path, a: &FrameAnalysis) -> serde_json::Value {
    let Some(f) = &a.face else {
        return json!({ "path": path, "faces": a.faces });
    };
    let points: Vec<[f32; 2]> = f.points.to_array().iter().map(|p| [p.x, p.y]).collect();
    let b = f.detection.raw;
    json!({
        "path": path,
        "faces": a.faces,
        "box": [b.x1, b.y1, b.x2, b.y2],
        "score": f.detection.score,
        "points": points,
        "quality": f.quality,
        "issues": f.issues,
        "liveness": f.liveness,
        "embedding": f.embedding.as_ref().map(|e| e.as_slice().to_vec()),
    })
}

fn compare(
    engine: &FaceEngine,
    a: &Path,
    b: &Path,
    threshold: f32,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let embedding = |p: &Path| -> anyhow::Result<face::Embedding> {
        let analysis = analyze_file(engine, p)?;
        analysis
            .face
            .and_then(|f| f.embedding)
            .with_context(|| format!("no face found in {}", p.display()))
    };
    let (ea, eb) = (embedding(a)?, embedding(b)?);
    let score = face::cosine(&ea, &eb);
    let same = score >= threshold;
    if as_json {
        println!(
            "{}",
            json!({ "a": a, "b": b, "score": score, "threshold": threshold, "same": same })
        );
    } else {
        println!(
            "{} vs {}: score {score:.4}, threshold {threshold:.2} → {}",
            a.display(),
            b.display(),
            if same {
                "same person"
            } else {
                "different people"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
