//! `examgate demo-data`: write a synthetic exam's input files (and its photos and CSCA
//! list) for `package build`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use examgate::package::demo_data::{self, Spec};

/// The example CSCA certificate (public, throwaway) so generated inputs are complete.
const EXAMPLE_CSCA: &[u8] = include_bytes!("../../assets/examples/csca/example-csca.pem");

/// Sample photos assigned to candidates in turn (each has one frontal face).
pub const DEMO_PHOTOS: [&str; 4] = ["obama.jpg", "biden.jpg", "obama2.jpg", "obama3.jpg"];

/// Options of `demo-data`.
#[derive(Args, Debug, Clone)]
pub struct DemoDataArgs {
    /// Candidates to generate.
    #[arg(long, default_value_t = 18_945)]
    pub candidates: usize,
    /// Rooms to spread them over.
    #[arg(long, default_value_t = 923)]
    pub rooms: usize,
    /// Sites the rooms belong to.
    #[arg(long, default_value_t = 56)]
    pub sites: usize,
    /// Exam day (YYYY-MM-DD).
    #[arg(long, default_value = "2027-06-12")]
    pub date: String,
    /// Directory of the sample photos (fetched by models/fetch.sh).
    #[arg(long, default_value = "assets/samples")]
    pub photos: PathBuf,
    /// Seed for the generator (same seed, same files).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory (created; must not exist or be empty).
    #[arg(long, default_value = "demo-data")]
    pub out: PathBuf,
}

/// Run `demo-data`.
pub fn run(args: DemoDataArgs) -> anyhow::Result<ExitCode> {
    write(&args)?;
    println!(
        "wrote {} candidates in {} rooms at {} sites to {} (exam.toml, candidates.csv, invigilators.csv, photos/, csca/)",
        args.candidates,
        args.rooms,
        args.sites.min(args.rooms),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Write the files; returns the output directory.
pub fn write(args: &DemoDataArgs) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(args.candidates > 0, "--candidates must be at least 1");
    anyhow::ensure!(args.rooms > 0, "--rooms must be at least 1");
    let date = chrono::NaiveDate::parse_from_str(&args.date, "%Y-%m-%d")
        .with_context(|| format!("--date {:?} must be YYYY-MM-DD", args.date))?;
    if args.out.exists() && std::fs::read_dir(&args.out)?.next().is_some() {
        anyhow::bail!("{} exists and is not empty", args.out.display());
    }
    for p in DEMO_PHOTOS {
        let path = args.photos.join(p);
        anyhow::ensure!(
            path.is_file(),
            "{} is missing: run models/fetch.sh",
            path.display()
        );
    }
    let files = demo_data::generate(&Spec {
        candidates: args.candidates,
        rooms: args.rooms,
        sites: args.sites,
        date,
        photos: DEMO_PHOTOS.iter().map(|p| p.to_string()).collect(),
        seed: args.seed,
        sessions: 2,
    });
    let out = &args.out;
    for dir in [out.join("photos"), out.join("csca")] {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let put = |path: PathBuf, bytes: &[u8]| -> anyhow::Result<()> {
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
    };
    put(out.join("exam.toml"), files.exam_toml.as_bytes())?;
    put(out.join("candidates.csv"), files.candidates_csv.as_bytes())?;
    put(
        out.join("invigilators.csv"),
        files.invigilators_csv.as_bytes(),
    )?;
    put(out.join("csca/example-csca.pem"), EXAMPLE_CSCA)?;
    for p in DEMO_PHOTOS {
        copy(&args.photos.join(p), &out.join("photos").join(p))?;
    }
    Ok(out.clone())
}

fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)
        .map(|_| ())
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))
}
