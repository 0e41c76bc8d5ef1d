//! `examgate office init | ingest | status | report | evidence | proxies`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use examgate::office::db::OfficeDb;
use examgate::office::ingest::{self, Options, Outcome};
use examgate::office::{evidence, facts, init, proxies, report, status};
use examgate::platform::clock::{Clock, SystemClock};
use examgate::platform::keystore;

/// Office verbs.
#[derive(Subcommand)]
pub enum OfficeCommand {
    /// A new office database from the issued room packages and the kiosks' public keys.
    Init {
        /// The database to make (never overwritten).
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Directory of room packages (searched for package.json).
        #[arg(long, value_name = "DIR")]
        packages: PathBuf,
        /// The office signing public key (hex, or @FILE).
        #[arg(long, value_name = "KEY")]
        office_key: String,
        /// Directory of kiosk-ID.pub and kiosk-ID.room files.
        #[arg(long, value_name = "DIR")]
        kiosk_keys: PathBuf,
    },
    /// Take in exported logs (files or directories); a bad one is quarantined beside the
    /// database with its reason. Exit 0: all in; 3: some quarantined; 1: usage or database.
    Ingest {
        /// The office database.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Take in an export even when an earlier export of its kiosk was never received.
        #[arg(long)]
        allow_missing_exports: bool,
        /// Exported logs, or directories holding them.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Per session and room: export, seal and seal code, counts.
    Status {
        /// The office database.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The HTML report and the CSV files.
    Report {
        /// The office database.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Where to write them.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The office evidence secret key: adds the one-face-two-tickets check.
        #[arg(long, value_name = "FILE")]
        evidence_key: Option<PathBuf>,
    },
    /// Open one candidate's sealed live crops for a hearing (logged with --by).
    Evidence {
        /// The office database.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The office evidence secret key.
        #[arg(long, value_name = "FILE")]
        evidence_key: PathBuf,
        /// The candidate's ticket.
        #[arg(long)]
        ticket: String,
        /// Where to write the crops.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Who opens them (logged).
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// The one-face-two-tickets check alone.
    Proxies {
        /// The office database.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The office evidence secret key.
        #[arg(long, value_name = "FILE")]
        evidence_key: PathBuf,
        /// JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
}

/// Run an office verb. A usage or database error exits 1 (3 is kept for "some exports
/// quarantined").
pub fn run(cmd: OfficeCommand) -> anyhow::Result<ExitCode> {
    run_verb(cmd).or_else(|e| {
        eprintln!("examgate: {e:#}");
        Ok(ExitCode::from(1))
    })
}

fn run_verb(cmd: OfficeCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        OfficeCommand::Init {
            db,
            packages,
            office_key,
            kiosk_keys,
        } => {
            let office = super::public_key_arg(&office_key, "--office-key")?;
            let s = init::init(&db, &packages, &office, &kiosk_keys)?;
            println!(
                "{}: {} rooms, {} sessions, {} candidates, {} kiosks",
                db.display(),
                s.rooms,
                s.sessions,
                s.candidates,
                s.kiosks
            );
            Ok(ExitCode::SUCCESS)
        }
        OfficeCommand::Ingest {
            db,
            allow_missing_exports,
            paths,
        } => ingest_cmd(
            &db,
            &paths,
            Options {
                allow_missing_exports,
            },
        ),
        OfficeCommand::Status { db, json } => {
            let db = OfficeDb::open(&db)?;
            let rows = status::status(&facts::load(&db)?);
            if json {
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                println!(
                    "session\troom\texpected\tadmitted\treferred\tdenied\tabsent\texport\tseal"
                );
                for r in rows {
                    println!(
                        "{}\t{}/{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.session,
                        r.site,
                        r.room,
                        r.expected,
                        r.admitted,
                        r.referred,
                        r.denied,
                        r.absent,
                        if r.export { "received" } else { "MISSING" },
                        r.seal_code.unwrap_or_else(|| "UNSEALED".into())
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        OfficeCommand::Report {
            db,
            out,
            evidence_key,
        } => {
            let db = OfficeDb::open(&db)?;
            let f = facts::load(&db)?;
            let pairs = match evidence_key {
                Some(k) => {
                    let secret = read_secret(&k)?;
                    let admissions = proxies::admissions(&db, &f, &secret)?;
                    Some(proxies::proxies(&admissions, f.proxy_threshold))
                }
                None => None,
            };
            let now = f.local(SystemClock.now_utc_ms());
            let written = report::write(&f, &out, pairs.as_deref(), now)?;
            println!(
                "{} files in {}; open {}",
                written.len(),
                out.display(),
                out.join("index.html").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        OfficeCommand::Evidence {
            db,
            evidence_key,
            ticket,
            out,
            by,
        } => {
            let db = OfficeDb::open(&db)?;
            let secret = read_secret(&evidence_key)?;
            let written = evidence::open_for_ticket(
                &db,
                &secret,
                &ticket,
                &out,
                &by,
                SystemClock.now_utc_ms(),
            )?;
            for w in &written {
                println!("{}", w.display());
            }
            println!(
                "{} crops of ticket {ticket} opened by {by} (logged)",
                written.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        OfficeCommand::Proxies {
            db,
            evidence_key,
            json,
        } => {
            let db = OfficeDb::open(&db)?;
            let f = facts::load(&db)?;
            let secret = read_secret(&evidence_key)?;
            let admissions = proxies::admissions(&db, &f, &secret)?;
            let pairs = proxies::proxies(&admissions, f.proxy_threshold);
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "admissions": admissions.len(),
                        "threshold": f.proxy_threshold,
                        "pairs": pairs,
                    })
                );
            } else {
                println!(
                    "{} admissions compared at {:.2}: {} pairs",
                    admissions.len(),
                    f.proxy_threshold,
                    pairs.len()
                );
                for p in &pairs {
                    println!(
                        "{:.3}\t{} ({}, {}#{})\t{} ({}, {}#{})",
                        p.score, p.a.0, p.a.1, p.a.2, p.a.3, p.b.0, p.b.1, p.b.2, p.b.3
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_secret(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the evidence key {}", path.display()))?;
    Ok(*keystore::parse_hex32(
        text.trim(),
        &path.display().to_string(),
    )?)
}

fn ingest_cmd(db_path: &Path, paths: &[PathBuf], options: Options) -> anyhow::Result<ExitCode> {
    let db = OfficeDb::open(db_path)?;
    let files = ingest::collect(paths)?;
    let mut quarantine_dir = db_path.as_os_str().to_owned();
    quarantine_dir.push(".quarantine");
    let quarantine_dir = PathBuf::from(quarantine_dir);
    let bar = std::io::stderr().is_terminal() && files.len() > 1;
    let (mut taken, mut held, mut rejected) = (0, 0, 0);
    for (i, file) in files.iter().enumerate() {
        if bar {
            let done = (i * 30) / files.len();
            eprint!(
                "\r[{}{}] {}/{}",
                "#".repeat(done),
                " ".repeat(30 - done),
                i,
                files.len()
            );
        }
        match ingest::ingest(&db, file, SystemClock.now_utc_ms(), options)? {
            Outcome::Ingested { kiosk, new_events } => {
                taken += 1;
                if !bar {
                    println!(
                        "ingested {} (kiosk {kiosk}, {new_events} new events)",
                        file.display()
                    );
                }
            }
            Outcome::AlreadyHeld => {
                held += 1;
                if !bar {
                    println!("already held {}", file.display());
                }
            }
            Outcome::Rejected(reason) => {
                rejected += 1;
                let copy = ingest::quarantine(&quarantine_dir, file, &reason)?;
                if bar {
                    eprintln!();
                }
                println!(
                    "QUARANTINED {}: {reason} (copied to {})",
                    file.display(),
                    copy.display()
                );
            }
        }
    }
    if bar {
        eprintln!("\r[{}] {}/{}", "#".repeat(30), files.len(), files.len());
    }
    println!("{taken} ingested, {held} already held, {rejected} quarantined");
    Ok(if rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
