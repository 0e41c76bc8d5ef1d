//! `examgate demo`: until the kiosk UI exists, the face engine on the sample photos — the
//! same person twice, two different people, a photo with no face in the frame.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use examgate::face::{self};

/// Options of `demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Models directory.
    #[arg(long)]
    models: Option<PathBuf>,
    /// Directory of sample photos.
    #[arg(long, default_value = "assets/samples")]
    samples: PathBuf,
}

/// Run the demo.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let engine = super::face::load_engine(&super::models_dir(args.models))?;
    let pairs = [
        ("obama.jpg", "obama2.jpg"),
        ("obama.jpg", "obama3.jpg"),
        ("obama.jpg", "biden.jpg"),
        ("obama2.jpg", "biden.jpg"),
    ];
    println!(
        "examgate demo: face verification on the sample photos (threshold {:.2})",
        face::DEFAULT_THRESHOLD
    );
    for (a, b) in pairs {
        let embed = |name: &str| -> anyhow::Result<face::FaceAnalysis> {
            let path = args.samples.join(name);
            super::face::analyze_file(&engine, &path)?
                .face
                .with_context(|| format!("no face in {}", path.display()))
        };
        let (fa, fb) = (embed(a)?, embed(b)?);
        let (ea, eb) = (
            fa.embedding.context("embedding")?,
            fb.embedding.context("embedding")?,
        );
        let score = face::cosine(&ea, &eb);
        println!(
            "  {a:<11} vs {b:<11} score {score:>6.3}  {:<17} liveness {:.2} / {:.2}",
            if score >= face::DEFAULT_THRESHOLD {
                "same person"
            } else {
                "different people"
            },
            fa.liveness,
            fb.liveness
        );
    }
    Ok(ExitCode::SUCCESS)
}
