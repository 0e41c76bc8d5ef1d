//! `examgate card read|watch`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use examgate::card::emrtd::{self, Access};
use examgate::card::mrz::AccessKey;
use examgate::card::pcsc_reader::{Event, Readers};
use examgate::card::{Deadline, Transport};
use examgate::platform::clock::Clock;
use examgate::platform::keystore::hex;
use serde_json::json;
use zeroize::Zeroizing;

/// Card verbs.
#[derive(Subcommand)]
pub enum CardCommand {
    /// Wait for a card (or use the one present), read it and print one JSON object.
    Read(Box<ReadArgs>),
    /// Print card and reader events until interrupted.
    Watch,
}

/// Options of `card read`.
#[derive(clap::Args)]
pub struct ReadArgs {
    /// Print JSON (the only output format).
    #[arg(long)]
    json: bool,
    /// Use this reader (default: the first that has or gets a card).
    #[arg(long)]
    reader: Option<String>,
    /// The whole MRZ (lines concatenated or separated by newlines).
    #[arg(long, conflicts_with_all = ["doc", "can"])]
    mrz: Option<String>,
    /// Document number (with --dob and --exp).
    #[arg(long, requires_all = ["dob", "exp"], conflicts_with = "can")]
    doc: Option<String>,
    /// Birth date, YYMMDD.
    #[arg(long)]
    dob: Option<String>,
    /// Expiry date, YYMMDD.
    #[arg(long)]
    exp: Option<String>,
    /// Card access number (PACE).
    #[arg(long)]
    can: Option<String>,
    /// CSCA certificate files (PEM or DER) for passive authentication.
    #[arg(long, num_args = 1..)]
    csca: Vec<PathBuf>,
    /// Write the portrait's bytes here.
    #[arg(long)]
    portrait_out: Option<PathBuf>,
    /// Seconds to wait for a card.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

/// Run a card verb.
pub fn run(cmd: CardCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CardCommand::Read(args) => {
            let ReadArgs {
                json: _,
                reader,
                mrz,
                doc,
                dob,
                exp,
                can,
                csca,
                portrait_out,
                timeout,
            } = *args;
            let access = match (mrz, doc, can) {
                (Some(m), _, _) => Some(Access::Mrz(AccessKey::from_mrz(&m)?)),
                (_, Some(d), _) => Some(Access::Mrz(AccessKey::from_fields(
                    &d,
                    dob.as_deref().unwrap_or_default(),
                    exp.as_deref().unwrap_or_default(),
                )?)),
                (_, _, Some(c)) => Some(Access::Can(Zeroizing::new(c))),
                _ => None,
            };
            let mut trust = Vec::new();
            for f in &csca {
                let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
                trust.extend(
                    examgate::package::trust::certificates(&bytes)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
                );
            }
            let out = read(
                reader.as_deref(),
                access.as_ref(),
                &trust,
                portrait_out.as_deref(),
                Duration::from_secs(timeout),
            );
            let (value, ok) = match out {
                Ok(v) => (v, true),
                Err(e) => (json!({ "error": format!("{e:#}") }), false),
            };
            println!("{value}");
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        CardCommand::Watch => watch(),
    }
}

/// Wait for a card in `wanted` (or any reader); the name of the reader that has one.
pub fn wait_for_card(
    readers: &mut Readers,
    wanted: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<String> {
    if let Some(name) = wanted {
        if !readers.list()?.iter().any(|r| r == name) {
            anyhow::bail!(
                "no reader named {name:?} (readers: {})",
                readers.list()?.join(", ")
            );
        }
    }
    let deadline = examgate::platform::clock::Stopwatch::start();
    loop {
        let left = timeout.saturating_sub(deadline.elapsed());
        if left.is_zero() {
            anyhow::bail!("no card within {} s", timeout.as_secs());
        }
        for e in readers.next_events(Some(left))? {
            if let Event::Present { reader, .. } = e {
                if wanted.is_none_or(|w| w == reader) {
                    return Ok(reader);
                }
            }
        }
    }
}

fn read(
    wanted: Option<&str>,
    access: Option<&Access>,
    csca: &[Vec<u8>],
    portrait_out: Option<&std::path::Path>,
    timeout: Duration,
) -> anyhow::Result<serde_json::Value> {
    let mut readers = Readers::establish()?;
    let reader = wait_for_card(&mut readers, wanted, timeout)?;
    let mut card = readers.connect(&reader)?;
    let atr = card.atr();
    let uid = emrtd::uid(&mut card, &Deadline::never());
    let uid_hex = uid.as_deref().map(hex);
    if !emrtd::is_emrtd(&mut card, &Deadline::never())? {
        return Ok(json!({
            "reader": reader, "atr": hex(&atr), "card": "uid", "uid": uid_hex,
        }));
    }
    let access = access.context("the card is an eMRTD: give --mrz, --doc/--dob/--exp or --can")?;
    let doc = emrtd::read(
        &mut card,
        access,
        csca,
        examgate::platform::clock::SystemClock.now_utc_ms(),
        &mut examgate::platform::random::fill,
        // The operator runs this by hand and can stop it; the door always has a deadline.
        &Deadline::never(),
    )?;
    if let Some(path) = portrait_out {
        std::fs::write(path, &doc.portrait.image)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(json!({
        "reader": reader,
        "atr": hex(&atr),
        "card": "emrtd",
        "uid": uid_hex,
        "access": doc.access,
        "com": doc.com,
        // The MRZ, or why DG1 did not parse (beside the PA result that says whether it
        // was the signed one).
        "dg1": match &doc.dg1 {
            Ok(mrz) => json!(mrz),
            Err(why) => json!({ "error": why }),
        },
        "portrait": {
            "format": doc.portrait.format,
            "width": doc.portrait.width,
            "height": doc.portrait.height,
            "bytes": doc.portrait.image.len(),
        },
        "passive_authentication": doc.passive_authentication,
        "timings": {
            "total_ms": doc.total_ms,
            "access_ms": doc.access_ms,
            "files": doc.files,
            "apdus": doc.apdus,
        },
    }))
}

fn watch() -> anyhow::Result<ExitCode> {
    let mut readers = Readers::establish()?;
    println!("readers: {}", readers.list()?.join(", "));
    loop {
        for e in readers.next_events(None)? {
            match e {
                Event::Present { reader, atr } => println!("present {reader} ATR {}", hex(&atr)),
                Event::Removed { reader } => println!("removed {reader}"),
                Event::ReaderAdded(r) => println!("reader added {r}"),
                Event::ReaderRemoved(r) => println!("reader removed {r}"),
            }
        }
    }
}
