//! `examgate package build|verify`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use examgate::decision::RoomRef;
use examgate::face::{FaceEngine, ModelKind};
use examgate::package::build::{self, InputPaths, OfficeMaterial};
use examgate::package::{enrol, open};
use examgate::platform::clock::{Clock, Stopwatch, SystemClock};
use examgate::platform::keystore::{self, SeedKeyStore};

/// Package verbs.
#[derive(Subcommand)]
pub enum PackageCommand {
    /// Build one signed package per room from the office's files. Every problem of every
    /// file is listed (file, line, reason); nothing is written unless all inputs are valid.
    Build {
        /// The exam description (exam.toml).
        #[arg(long)]
        exam: PathBuf,
        /// The roster (candidates.csv).
        #[arg(long)]
        candidates: PathBuf,
        /// Directory of registration photos named in the roster.
        #[arg(long)]
        photos: PathBuf,
        /// Directory of CSCA certificates (PEM or DER).
        #[arg(long)]
        csca: PathBuf,
        /// Invigilators (invigilators.csv).
        #[arg(long)]
        invigilators: PathBuf,
        /// The office signing key (office-sign.key from `keys gen`).
        #[arg(long)]
        office_key: PathBuf,
        /// The office evidence public key [default: office-evidence.pub beside --office-key].
        #[arg(long)]
        evidence_key: Option<PathBuf>,
        /// Output directory (created; must not exist or be empty).
        #[arg(long)]
        out: PathBuf,
        /// Leave out candidates whose photo is unusable (they are listed) instead of failing.
        #[arg(long)]
        skip_bad: bool,
        /// Models directory.
        #[arg(long)]
        models: Option<PathBuf>,
        /// Threads for the face engine and PIN hashing [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Check a room package as the kiosk does: signature, room, validity period, directory,
    /// door policy, and templates made with the embedding model this build runs.
    Verify {
        /// The room's package directory.
        dir: PathBuf,
        /// The office signing public key: 64 hex digits, or @FILE (office-sign.pub).
        #[arg(long)]
        office_key: String,
        /// The room the kiosk stands at, SITE/ROOM.
        #[arg(long)]
        room: Option<String>,
        /// Check validity at this exam-local time (YYYY-MM-DDTHH:MM) instead of now.
        #[arg(long)]
        at: Option<String>,
    },
}

/// Run a package verb.
pub fn run(cmd: PackageCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PackageCommand::Build {
            exam,
            candidates,
            photos,
            csca,
            invigilators,
            office_key,
            evidence_key,
            out,
            skip_bad,
            models,
            threads,
        } => {
            let paths = InputPaths {
                exam,
                candidates,
                invigilators,
                csca,
            };
            let evidence_key =
                evidence_key.unwrap_or_else(|| office_key.with_file_name("office-evidence.pub"));
            build_cmd(&BuildArgs {
                paths,
                photos,
                office_key,
                evidence_key,
                out,
                skip_bad,
                models: super::models_dir(models),
                threads: threads.unwrap_or_else(default_threads),
            })
        }
        PackageCommand::Verify {
            dir,
            office_key,
            room,
            at,
        } => verify_cmd(&dir, &office_key, room.as_deref(), at.as_deref()),
    }
}

/// Cores available, at least one.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Everything `package build` needs.
pub struct BuildArgs {
    /// Input files.
    pub paths: InputPaths,
    /// Photos directory.
    pub photos: PathBuf,
    /// Office signing key file.
    pub office_key: PathBuf,
    /// Office evidence public key file.
    pub evidence_key: PathBuf,
    /// Output directory.
    pub out: PathBuf,
    /// Skip bad photos.
    pub skip_bad: bool,
    /// Models directory.
    pub models: PathBuf,
    /// Threads.
    pub threads: usize,
}

/// Time spent in each step of a build, milliseconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuildTimes {
    /// Reading and validating the files.
    pub read: f64,
    /// Loading the face models.
    pub model_load: f64,
    /// Enrolling the distinct photos.
    pub enrol: f64,
    /// Distinct photos enrolled.
    pub photos: usize,
    /// Hashing the PINs.
    pub pins: f64,
    /// Assembling, signing and writing.
    pub write: f64,
    /// Rooms written.
    pub rooms: usize,
    /// Candidates in the packages.
    pub candidates: usize,
}

/// Build, print problems or a summary; the exit code says which.
pub fn build_cmd(args: &BuildArgs) -> anyhow::Result<ExitCode> {
    match build_packages(args)? {
        Ok(times) => {
            println!(
                "wrote {} room packages ({} candidates) to {}",
                times.rooms,
                times.candidates,
                args.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "examgate: {} problem(s); nothing was written to {}",
                problems.len(),
                args.out.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// When the packages are built: now, or `SOURCE_DATE_EPOCH` (seconds; the reproducible-builds
/// convention) so that two builds of the same inputs can be byte-identical.
fn build_time_ms() -> anyhow::Result<i64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(SystemClock.now_utc_ms()),
        Ok(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .with_context(|| format!("SOURCE_DATE_EPOCH={text:?} is not a number of seconds")),
    }
}

/// The build itself: `Err` holds every input problem (nothing written).
pub fn build_packages(args: &BuildArgs) -> anyhow::Result<Result<BuildTimes, Vec<String>>> {
    let mut times = BuildTimes::default();
    let office = SeedKeyStore::from_file(&args.office_key)?;
    let evidence_text = std::fs::read_to_string(&args.evidence_key).with_context(|| {
        format!(
            "reading the office evidence key {}",
            args.evidence_key.display()
        )
    })?;
    let evidence_key = *keystore::parse_hex32(
        evidence_text.trim(),
        &args.evidence_key.display().to_string(),
    )?;
    examgate::journal::evidence::check_office_key(&evidence_key)
        .with_context(|| format!("the office evidence key {}", args.evidence_key.display()))?;

    let watch = Stopwatch::start();
    let inputs = match build::read_inputs(&args.paths) {
        Ok(i) => i,
        Err(problems) => return Ok(Err(problems.iter().map(ToString::to_string).collect())),
    };
    times.read = watch.ms();

    let watch = Stopwatch::start();
    let engine = FaceEngine::load(&args.models)?;
    times.model_load = watch.ms();
    let names: BTreeSet<String> = inputs.candidates.iter().map(|c| c.photo.clone()).collect();
    let watch = Stopwatch::start();
    let results = enrol::enrol_all(&engine, &args.photos, &names, args.threads);
    times.enrol = watch.ms();
    times.photos = names.len();
    let bad = build::photo_problems(&inputs.candidates, &results);
    if !bad.is_empty() && !args.skip_bad {
        let file = args.paths.candidates.display();
        return Ok(Err(bad.iter().map(|s| format!("{file} {s}")).collect()));
    }
    for s in &bad {
        println!("skipped {s}");
    }
    for c in &inputs.candidates {
        if let Some(Ok(e)) = results.get(&c.photo) {
            if !e.warnings.is_empty() {
                let issues: Vec<String> = e.warnings.iter().map(|i| format!("{i:?}")).collect();
                println!(
                    "warning: line {}: ticket {}: photo {}: {} (used; check the photo)",
                    c.line,
                    c.ticket.0,
                    c.photo,
                    issues.join(", ")
                );
            }
        }
    }
    let enrolments: HashMap<String, enrol::Enrolment> = results
        .into_iter()
        .filter_map(|(name, r)| r.ok().map(|e| (name, e)))
        .collect();

    let watch = Stopwatch::start();
    let pin_hashes = examgate::package::invigilators::hash_pins(&inputs.invigilators, args.threads);
    times.pins = watch.ms();

    let watch = Stopwatch::start();
    let material = OfficeMaterial {
        evidence_key,
        template_model: ModelKind::Embed.sha256().to_string(),
        built_at: Some(open::local_time(build_time_ms()?, inputs.exam.utc_offset)),
    };
    let plan = build::assemble(&inputs, &enrolments, &pin_hashes, &material);
    times.rooms = plan.packages.len();
    times.candidates = plan
        .packages
        .iter()
        .flat_map(|p| p.candidates.iter().map(|c| c.ticket.as_str()))
        .collect::<BTreeSet<_>>()
        .len();
    build::write(&args.out, &plan, &office)?;
    times.write = watch.ms();
    Ok(Ok(times))
}

/// `SITE/ROOM` → a room.
fn parse_room(text: &str) -> anyhow::Result<RoomRef> {
    RoomRef::parse(text).with_context(|| format!("--room {text:?} must be SITE/ROOM"))
}

fn verify_cmd(
    dir: &Path,
    key: &str,
    room: Option<&str>,
    at: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let office = super::public_key_arg(key, "--office-key")?;
    let room = room.map(parse_room).transpose()?;
    let now_ms = match at {
        None => SystemClock.now_utc_ms(),
        Some(text) => at_ms(dir, text)?,
    };
    // As the kiosk opens it: its templates must come from the model this build pins.
    let opened = open::open(dir, &office, room.as_ref(), now_ms)
        .and_then(|v| open::check_template_model(&v, ModelKind::Embed.sha256()).map(|()| v));
    match opened {
        Ok(v) => {
            let p = &v.package;
            println!(
                "{}: OK: signed by the office, room {}/{} ({} seats), {} candidates, {} invigilators, {} CSCA certificates, valid {} to {}",
                dir.display(),
                p.site,
                p.room,
                p.seats,
                p.candidates.len(),
                p.invigilators.len(),
                p.csca.len(),
                p.valid_from,
                p.valid_until
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{}: REFUSED: {e}", dir.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `--at` (exam-local) as epoch milliseconds, using the offset the package names. The offset
/// is read unauthenticated, but only to interpret the operator's own time; `open` then
/// checks everything against the signature.
fn at_ms(dir: &Path, text: &str) -> anyhow::Result<i64> {
    let local = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .with_context(|| format!("--at {text:?} must be YYYY-MM-DDTHH:MM"))?;
    let json = std::fs::read(dir.join(examgate::package::format::PACKAGE_FILE)).unwrap_or_default();
    let offset = serde_json::from_slice::<serde_json::Value>(&json)
        .ok()
        .and_then(|v| {
            v.get("utc_offset")?
                .as_str()?
                .parse::<chrono::FixedOffset>()
                .ok()
        })
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset is valid"));
    Ok((local - offset).and_utc().timestamp_millis())
}
