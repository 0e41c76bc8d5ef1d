//! `examgate log verify|show|copy-to-stick` (and the hidden `log stress` writer the crash
//! test kills).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use examgate::journal::{self, EventKind, Journal, SealCode};
use examgate::platform::clock::{Clock, SystemClock};
use examgate::platform::keystore::{self, KeyStore, SeedKeyStore};

/// Log verbs.
#[derive(Subcommand)]
pub enum LogCommand {
    /// Check the whole chain and every signature, the sealed evidence, that every session
    /// is sealed and nothing but unlocks, PINs and device notes follows a seal, and an
    /// export's kiosk-signed trailer; print the first broken place.
    Verify {
        /// The log database (an export, or with --live a kiosk's own log).
        db: PathBuf,
        /// The kiosk's public key (64 hex digits, or @FILE holding them), from its
        /// enrolment. Required: the key recorded in the file proves nothing.
        #[arg(long)]
        kiosk_key: Option<String>,
        /// The file is a kiosk's own log, not an export: it has no trailer, and its last
        /// session may still be open.
        #[arg(long)]
        live: bool,
        /// A seal code from the paper room record (`142 · K7F3-9QW2`); repeatable. The log
        /// must hold that seal at that count.
        #[arg(long = "seal-code")]
        seal_codes: Vec<String>,
    },
    /// Print the events readably; names and document numbers redacted unless --reveal.
    Show {
        /// The log database.
        db: PathBuf,
        /// Show personal data.
        #[arg(long)]
        reveal: bool,
    },
    /// Copy an export onto the USB stick through the kiosk image's stick helper, as the
    /// kiosk does when an invigilator exports (for the image's self-test and for service).
    CopyToStick {
        /// The export, in the helper's export directory (/var/lib/examgate/export).
        file: PathBuf,
        /// The helper's socket.
        #[arg(long, default_value = "/run/examgate-stick.sock")]
        helper: PathBuf,
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
        LogCommand::Verify {
            db,
            kiosk_key,
            live,
            seal_codes,
        } => verify(&db, kiosk_key.as_deref(), live, &seal_codes),
        LogCommand::Show { db, reveal } => show(&db, reveal),
        LogCommand::CopyToStick { file, helper } => {
            match examgate::platform::stick::copy_to_stick(&helper, &file) {
                Ok(copy) => {
                    println!("{copy}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("examgate log copy-to-stick: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        LogCommand::Stress {
            db,
            key_file,
            kiosk,
            count,
        } => stress(&db, &key_file, &kiosk, count),
    }
}

fn verify(
    db: &std::path::Path,
    kiosk_key: Option<&str>,
    live: bool,
    seal_codes: &[String],
) -> anyhow::Result<ExitCode> {
    let Some(kiosk_key) = kiosk_key else {
        // Whoever can edit the file can replace the key in it and re-sign every event, so a
        // check against that key passes on any forgery.
        eprintln!(
            "examgate log verify: --kiosk-key is required. The key stored in the file proves \
             nothing: whoever edits the file can replace it and re-sign every event. Give the \
             kiosk's public key from its enrolment (examgate demo prints the demo kiosk's)."
        );
        return Ok(ExitCode::from(2));
    };
    let key = super::public_key_arg(kiosk_key, "--kiosk-key")?;
    let checks = journal::Checks {
        live,
        seal_codes: seal_codes
            .iter()
            .map(|c| SealCode::parse(c))
            .collect::<Result<_, _>>()?,
    };
    let file = journal::read(db)?;
    let total = file.rows.len();
    let found = journal::verify_log(&file, &key, &checks);
    let report = &found.report;
    match &report.problem {
        None => {
            let trailer = if found.trailer {
                "export trailer signed by the kiosk matches"
            } else {
                "no trailer (live log)"
            };
            println!(
                "{}: kiosk {}, {} events, chain and signatures OK, {} sealed evidence items match, {trailer}; head {}",
                db.display(),
                file.kiosk_id,
                report.verified,
                file.evidence.len(),
                report.head.map_or("-".into(), |h| keystore::hex(&h)),
            );
            for (session, code) in &found.sessions.seals {
                println!(
                    "  session {session} sealed at event {}: seal code {code}",
                    code.events
                );
            }
            if let Some(open) = &found.sessions.open {
                println!("  session {open} is open (not sealed yet)");
            }
            for code in &checks.seal_codes {
                println!("  seal code {code} matches the log");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some((seq, problem)) => {
            println!(
                "{}: kiosk {}: BROKEN at seq {seq}: {problem} ({} of {total} events verified)",
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
