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
        /// A kiosk id to make a signing key for (repeatable).
        #[arg(long = "kiosk")]
        kiosks: Vec<String>,
    },
}

/// Run a keys verb.
pub fn run(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    let KeysCommand::Gen { out, kiosks } = cmd;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    if let Some(bad) = kiosks.iter().find(|k| {
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
    for k in &kiosks {
        written.push(keygen::write_new(
            &out,
            &format!("kiosk-{k}"),
            KeyKind::Ed25519,
            &format!("kiosk {k} signing (Ed25519)"),
        )?);
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
