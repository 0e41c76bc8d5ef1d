//! `examgate log verify|show` (and the hidden `log stress` writer the crash test kills).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use examgate::journal::{self, EventKind, Journal};
use examgate::platform::clock::{Clock, SystemClock};
use examgate::platform::keystore::{self, KeyStore, SeedKeyStore};

/// Log verbs.
#[derive(Subcommand)]
pub enum LogCommand {
    /// Check the whole chain and every signature; print the first broken place.
    Verify {
        /// The log database.
        db: PathBuf,
        /// The kiosk's public key (64 hex digits, or @FILE holding them). Without it the key
        /// recorded in the file is used, which proves only internal consistency.
        #[arg(long)]
        kiosk_key: Option<String>,
    },
    /// Print the events readably; names and document numbers redacted unless --reveal.
    Show {
        /// The log database.
        db: PathBuf,
        /// Show personal data.
        #[arg(long)]
        reveal: bool,
    },
    /// Append N events, printing each sequence number once its append returned (for the
    /// crash test).
    #[command(hide = true)]
    Stress {
        /// The log database.
        #[arg(long)]
        db: PathBuf,
        /// File with the kiosk key seed (64 hex digits).
        #[arg(long)]
        key_file: PathBuf,
        /// Kiosk id.
        #[arg(long, default_value = "K-TEST")]
        kiosk: String,
        /// Events to append.
        #[arg(long, default_value_t = 1000)]
        count: u64,
    },
}

/// Run a log verb.
pub fn run(cmd: LogCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LogCommand::Verify { db, kiosk_key } => verify(&db, kiosk_key.as_deref()),
        LogCommand::Show { db, reveal } => show(&db, reveal),
        LogCommand::Stress {
            db,
            key_file,
            kiosk,
            count,
        } => stress(&db, &key_file, &kiosk, count),
    }
}

fn verify(db: &std::path::Path, kiosk_key: Option<&str>) -> anyhow::Result<ExitCode> {
    let file = journal::read(db)?;
    let (key, source) = match kiosk_key {
        Some(arg) => (super::public_key_arg(arg, "--kiosk-key")?, "given key"),
        None => (
            keystore::parse_public_key(&keystore::hex(&file.recorded_key), "the file's key")?,
            "key recorded in the file",
        ),
    };
    let total = file.rows.len();
    let evidence_problem = journal::verify_evidence(&file.rows, &file.evidence);
    let mut report = journal::verify_rows(file.rows, &file.kiosk_id, &key);
    if report.problem.is_none() {
        report.problem = evidence_problem;
    }
    match &report.problem {
        None => {
            println!(
                "{}: kiosk {}, {} events, chain and signatures OK ({source}), {} sealed evidence items match; head {}",
                db.display(),
                file.kiosk_id,
                report.verified,
                file.evidence.len(),
                report.head.map_or("-".into(), |h| keystore::hex(&h)),
            );
            Ok(ExitCode::SUCCESS)
        }
        Some((seq, problem)) => {
            println!(
                "{}: kiosk {}: BROKEN at seq {seq}: {problem} ({} of {total} events verified before it)",
                db.display(),
                file.kiosk_id,
                report.verified,
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Payload keys whose values are a candidate's personal data.
const PERSONAL: &[&str] = &["name", "document_name", "document_number", "id_number"];

fn redact(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if PERSONAL.contains(&k.as_str()) {
                    *val = serde_json::Value::String("<redacted>".into());
                } else {
                    redact(val);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn show(db: &std::path::Path, reveal: bool) -> anyhow::Result<ExitCode> {
    let file = journal::read(db)?;
    println!("kiosk {} ({} events)", file.kiosk_id, file.rows.len());
    for row in file.rows {
        let payload = match serde_json::from_slice::<serde_json::Value>(&row.payload) {
            Ok(mut v) => {
                if !reveal {
                    redact(&mut v);
                }
                v.to_string()
            }
            Err(_) => format!("<{} bytes, not JSON>", row.payload.len()),
        };
        println!(
            "{:>6}  {:>15}  {:<20} {payload}",
            row.seq, row.at_ms, row.kind
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn stress(
    db: &std::path::Path,
    key_file: &std::path::Path,
    kiosk: &str,
    count: u64,
) -> anyhow::Result<ExitCode> {
    let keys = SeedKeyStore::from_file(key_file)?;
    let mut log = Journal::open(db, kiosk, &keys.verifying_key())?;
    let kind = EventKind::new("stress")?;
    let clock = SystemClock;
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let payload = format!("{{\"i\":{i},\"name\":\"测试 𠮷\"}}");
        let record = log.append(&kind, payload.as_bytes(), clock.now_utc_ms(), &keys)?;
        writeln!(out, "{}", record.seq)?;
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}
