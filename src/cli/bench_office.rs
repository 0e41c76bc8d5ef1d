//! `examgate bench office`: a synthetic city exam (by default 18,945 candidates in 923
//! rooms over 4 sessions: 3,692 exports written through the real journal code with real
//! signatures and sealed evidence), then office init, ingest, report and proxies, timed.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use examgate::office::db::OfficeDb;
use examgate::office::ingest::{self, Options, Outcome};
use examgate::office::synthetic::{self, SyntheticSpec};
use examgate::office::{facts, init, proxies, report};
use examgate::platform::clock::{Clock, Stopwatch, SystemClock};

/// Options of `bench office`.
#[derive(Args)]
pub struct OfficeBench {
    /// Candidates.
    #[arg(long, default_value_t = 18_945)]
    candidates: usize,
    /// Rooms (one kiosk each).
    #[arg(long, default_value_t = 923)]
    rooms: usize,
    /// Sites.
    #[arg(long, default_value_t = 56)]
    sites: usize,
    /// Sessions (1 to 4).
    #[arg(long, default_value_t = 4)]
    sessions: usize,
    /// Working directory (made fresh; default: a temporary one, removed after).
    #[arg(long)]
    work: Option<PathBuf>,
}

/// Run it and print the table.
pub fn run(args: OfficeBench) -> anyhow::Result<ExitCode> {
    let keep = args.work.is_some();
    let work = args.work.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("examgate-bench-office-{}", std::process::id()))
    });
    if work.exists() {
        anyhow::ensure!(
            std::fs::read_dir(&work)?.next().is_none(),
            "{} is not empty",
            work.display()
        );
    }
    std::fs::create_dir_all(&work)?;
    let spec = SyntheticSpec {
        candidates: args.candidates,
        rooms: args.rooms,
        sites: args.sites,
        sessions: args.sessions,
        seed: 2027,
    };
    // Random unit embeddings (512 values): one face per candidate, a little different
    // each session, as a real camera would see it.
    let crop = synthetic::grey_crop();
    let face = move |candidate: usize, session: usize| {
        let base = synthetic::random_unit(candidate as u64 + 1, 512);
        let noise = synthetic::random_unit(1_000_000 + (candidate * 8 + session) as u64, 512);
        let v: Vec<f32> = base.iter().zip(&noise).map(|(b, n)| b + 0.3 * n).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        (crop.clone(), v.into_iter().map(|x| x / norm).collect())
    };
    let watch = Stopwatch::start();
    let written = synthetic::write(&work, &spec, &face)?;
    let generate_s = watch.elapsed().as_secs_f64();

    let db_path = work.join("office.db");
    let office = examgate::platform::keystore::parse_public_key(
        std::fs::read_to_string(written.keys.join("office-sign.pub"))?.trim(),
        "office key",
    )?;
    let watch = Stopwatch::start();
    init::init(&db_path, &written.packages, &office, &written.keys)?;
    let init_s = watch.elapsed().as_secs_f64();

    let db = OfficeDb::open(&db_path)?;
    let files = ingest::collect(std::slice::from_ref(&written.exports))?;
    let watch = Stopwatch::start();
    let (mut taken, mut rejected) = (0, Vec::new());
    for f in &files {
        match ingest::ingest(&db, f, SystemClock.now_utc_ms(), Options::default())? {
            Outcome::Ingested { .. } => taken += 1,
            Outcome::AlreadyHeld => {}
            Outcome::Rejected(why) => rejected.push(format!("{}: {why}", f.display())),
        }
    }
    let ingest_s = watch.elapsed().as_secs_f64();
    anyhow::ensure!(rejected.is_empty(), "rejected: {}", rejected.join("\n"));

    let watch = Stopwatch::start();
    let f = facts::load(&db)?;
    let now = f.local(SystemClock.now_utc_ms());
    let out = work.join("report");
    let files_written = report::write(&f, &out, None, now)?.len();
    let report_s = watch.elapsed().as_secs_f64();

    let secret: [u8; 32] = *examgate::platform::keystore::parse_hex32(
        std::fs::read_to_string(written.keys.join("office-evidence.key"))?.trim(),
        "evidence key",
    )?;
    let watch = Stopwatch::start();
    let admissions = proxies::admissions(&db, &f, &secret)?;
    let open_s = watch.elapsed().as_secs_f64();
    let watch = Stopwatch::start();
    let pairs = proxies::proxies(&admissions, f.proxy_threshold);
    let match_s = watch.elapsed().as_secs_f64();
    let n = admissions.len() as f64;

    let db_mib = std::fs::metadata(&db_path).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    let exports_mib: f64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len() as f64 / 1048576.0)
        .sum();
    let row = |k: &str, v: String| println!("{k:<52} {v:>12}");
    println!(
        "examgate bench office: {} candidates, {} rooms, {} sites, {} sessions",
        spec.candidates, spec.rooms, spec.sites, spec.sessions
    );
    row(
        "exports generated (real signatures, sealed evidence)",
        written.export_files.to_string(),
    );
    row("admissions logged", written.admissions.to_string());
    row("generate (s)", format!("{generate_s:.1}"));
    row("exports on disk (MiB)", format!("{exports_mib:.0}"));
    row("office init (s)", format!("{init_s:.2}"));
    row(
        &format!("ingest {taken} exports (s, target <= 20)"),
        format!("{ingest_s:.1}"),
    );
    row(
        &format!("report: {files_written} files (s, target <= 10)"),
        format!("{report_s:.1}"),
    );
    row(
        "proxies: open sealed admissions (s)",
        format!("{open_s:.1}"),
    );
    row(
        &format!("proxies: {:.2e} comparisons (s)", n * (n - 1.0) / 2.0),
        format!("{match_s:.1}"),
    );
    row(
        "proxies total (s, target <= 60)",
        format!("{:.1}", open_s + match_s),
    );
    row(
        &format!("proxy pairs at {:.2}", f.proxy_threshold),
        pairs.len().to_string(),
    );
    row("office database (MiB)", format!("{db_mib:.0}"));
    match super::bench::peak_rss_mib() {
        Some(mib) => row("peak RSS (MiB)", format!("{mib:.0}")),
        None => row("peak RSS (MiB)", "n/a".into()),
    }
    drop(db);
    if !keep {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(ExitCode::SUCCESS)
}
