//! The verbs' glue: argument structs, output formatting, exit codes. Logic lives in the
//! library; these modules only call it and print.

pub mod bench;
pub mod bench_door;
pub mod bench_office;
pub mod camera;
pub mod card;
pub mod demo;
pub mod demo_data;
pub mod doctor;
pub mod face;
pub mod face_eval;
pub mod keys;
pub mod kiosk;
pub mod log;
pub mod office;
pub mod package;
pub mod screen;

use std::path::PathBuf;

/// Where the models are: `--models`, else `$EXAMGATE_MODELS`, else `./models`.
pub fn models_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("EXAMGATE_MODELS").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("models"))
}

/// A public key given as 64 hex digits or `@FILE` holding them.
pub fn public_key_arg(arg: &str, what: &str) -> anyhow::Result<ed25519_dalek::VerifyingKey> {
    use anyhow::Context;
    let text = match arg.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {what} file {path}"))?
        }
        None => arg.to_string(),
    };
    Ok(examgate::platform::keystore::parse_public_key(&text, what)?)
}
