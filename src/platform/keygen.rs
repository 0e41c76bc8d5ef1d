//! Writing new key files: secrets as 64 hex digits in files created with mode 0600 (never
//! over an existing file), publics beside them as `.pub`. Secrets are never returned to the
//! caller for printing; only paths and public keys are.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crypto_box::aead::rand_core::RngCore;
use crypto_box::aead::OsRng;
use ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

use super::keystore::hex;

/// Key-writing errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyGenError {
    /// The file exists; keys are never overwritten (an overwritten office key orphans every
    /// package and every sealed evidence item).
    #[error("{0} already exists: refusing to overwrite a key")]
    Exists(PathBuf),
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// One written key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenKey {
    /// What it is for.
    pub role: String,
    /// The secret file (mode 0600).
    pub secret_path: PathBuf,
    /// The public file.
    pub public_path: PathBuf,
    /// The public key, hex.
    pub public_hex: String,
}

/// Kinds of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Ed25519 signing (office packages, kiosk logs).
    Ed25519,
    /// X25519 encryption (office evidence).
    X25519,
}

/// Generate a key of `kind` and write `<dir>/<stem>.key` and `<dir>/<stem>.pub`.
pub fn write_new(
    dir: &Path,
    stem: &str,
    kind: KeyKind,
    role: &str,
) -> Result<WrittenKey, KeyGenError> {
    let secret_path = dir.join(format!("{stem}.key"));
    let public_path = dir.join(format!("{stem}.pub"));
    for p in [&secret_path, &public_path] {
        if p.exists() {
            return Err(KeyGenError::Exists(p.clone()));
        }
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(seed.as_mut());
    let public = match kind {
        KeyKind::Ed25519 => *SigningKey::from_bytes(&seed).verifying_key().as_bytes(),
        KeyKind::X25519 => *crypto_box::SecretKey::from(*seed).public_key().as_bytes(),
    };
    write_file(
        &secret_path,
        Zeroizing::new(hex(seed.as_ref())).as_bytes(),
        0o600,
    )?;
    let public_hex = hex(&public);
    write_file(&public_path, format!("{public_hex}\n").as_bytes(), 0o644)?;
    Ok(WrittenKey {
        role: role.to_string(),
        secret_path,
        public_path,
        public_hex,
    })
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyGenError> {
    let err = |source| KeyGenError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)
}
