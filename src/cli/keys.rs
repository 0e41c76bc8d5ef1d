//! `examgate keys gen`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use examgate::platform::keygen::{self, KeyKind};

/// Key verbs.
#[derive(Subcommand)]
pub enum KeysCommand {
    /// Generate the office signing key (Ed25519), the office evidence key (X25519) and one
    /// signing key per kiosk. Secret files get mode 0600; nothing secret is printed; existing
    /// files are never overwritten.
    Gen {
        /// Directory to write into (created if absent).
        #[arg(long)]
        out: PathBuf,
        /// A kiosk id to make a signing key for (repeatable); `ID=SITE/ROOM` also binds the
        /// kiosk to its room for the office (`kiosk-ID.room`, read by `office init`).
        #[arg(long = "kiosk")]
        kiosks: Vec<String>,
    },
}

/// Run a keys verb.
pub fn run(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    let KeysCommand::Gen { out, kiosks } = cmd;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let kiosks: Vec<(String, Option<String>)> = kiosks
        .iter()
        .map(|k| match k.split_once('=') {
            Some((id, room)) => (id.to_string(), Some(room.to_string())),
            None => (k.clone(), None),
        })
        .collect();
    if let Some((_, Some(bad))) = kiosks.iter().find(|(_, room)| {
        room.as_deref()
            .is_some_and(|r| examgate::decision::RoomRef::parse(r).is_none())
    }) {
        anyhow::bail!("kiosk room {bad:?} must read SITE/ROOM, e.g. S01/R101");
    }
    if let Some((bad, _)) = kiosks.iter().find(|(k, _)| {
        k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }) {
        anyhow::bail!("kiosk id {bad:?} must be letters, digits, '-' or '_'");
    }
    let mut written = vec![
        keygen::write_new(
            &out,
            "office-sign",
            KeyKind::Ed25519,
            "office signing (Ed25519)",
        )?,
        keygen::write_new(
            &out,
            "office-evidence",
            KeyKind::X25519,
            "office evidence (X25519)",
        )?,
    ];
    for (k, room) in &kiosks {
        written.push(keygen::write_new(
            &out,
            &format!("kiosk-{k}"),
            KeyKind::Ed25519,
            &format!("kiosk {k} signing (Ed25519)"),
        )?);
        if let Some(room) = room {
            let path = out.join(format!("kiosk-{k}.room"));
            std::fs::write(&path, format!("{room}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    for w in written {
        println!(
            "{:<32} public {}  secret in {} (mode 0600)",
            w.role,
            w.public_hex,
            w.secret_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
