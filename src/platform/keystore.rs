//! The kiosk's signing key behind a seam: callers get signatures and the public key, never
//! the secret bytes. The seed file holds 32 bytes as hex (the form `keys gen` will write).

use std::path::Path;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

/// Key store errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read.
    #[error("cannot read key file {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The key text is not 64 hex digits.
    #[error("key in {what} must be 64 hex digits (32 bytes), got {got} characters")]
    Malformed {
        /// Where the key came from.
        what: String,
        /// Characters found (the key itself is never printed).
        got: usize,
    },
    /// 32 bytes that are not a valid Ed25519 public key.
    #[error("{what} is not a valid Ed25519 public key")]
    BadPublicKey {
        /// Where the key came from.
        what: String,
    },
}

/// Signs with the kiosk key.
pub trait KeyStore: Send {
    /// The public key that verifies this store's signatures.
    fn verifying_key(&self) -> VerifyingKey;
    /// An Ed25519 signature over `message`.
    fn sign(&self, message: &[u8]) -> [u8; 64];
}

/// A key held in memory from a 32-byte seed (file or test).
pub struct SeedKeyStore {
    key: SigningKey,
}

impl std::fmt::Debug for SeedKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SeedKeyStore(public {})",
            hex(self.key.verifying_key().as_bytes())
        )
    }
}

impl SeedKeyStore {
    /// From a seed (tests pass a fixed one).
    pub fn from_seed(seed: &[u8; 32]) -> SeedKeyStore {
        SeedKeyStore {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// From a file holding the seed as 64 hex digits.
    pub fn from_file(path: &Path) -> Result<SeedKeyStore, KeyError> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|source| KeyError::Read {
                    path: path.to_path_buf(),
                    source,
                })?,
            );
        let seed = parse_hex32(text.trim(), &path.display().to_string())?;
        Ok(SeedKeyStore::from_seed(&seed))
    }
}

impl KeyStore for SeedKeyStore {
    fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

/// 64 hex digits → 32 bytes, wiped on drop.
pub fn parse_hex32(text: &str, what: &str) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let malformed = || KeyError::Malformed {
        what: what.to_string(),
        got: text.chars().count(),
    };
    if text.len() != 64 || !text.is_ascii() {
        return Err(malformed());
    }
    let mut out = Zeroizing::new([0u8; 32]);
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| malformed())?;
    }
    Ok(out)
}

/// A public key from 64 hex digits.
pub fn parse_public_key(text: &str, what: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = parse_hex32(text.trim(), what)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::BadPublicKey {
        what: what.to_string(),
    })
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::Verifier;

    use super::*;

    #[test]
    fn signatures_verify_with_the_public_key() {
        let keys = SeedKeyStore::from_seed(&[7; 32]);
        let sig = ed25519_dalek::Signature::from_bytes(&keys.sign(b"event"));
        assert!(keys.verifying_key().verify(b"event", &sig).is_ok());
        assert!(keys.verifying_key().verify(b"other", &sig).is_err());
    }

    #[test]
    fn malformed_hex_is_refused_without_echoing_it() {
        let err = parse_hex32("zz", "kiosk.key").expect_err("too short");
        assert_eq!(
            err.to_string(),
            "key in kiosk.key must be 64 hex digits (32 bytes), got 2 characters"
        );
        assert!(parse_hex32(&"g".repeat(64), "k").is_err());
        assert_eq!(
            *parse_hex32(&"0a".repeat(32), "k").expect("hex"),
            [10u8; 32]
        );
    }

    #[test]
    fn debug_shows_only_the_public_key() {
        let keys = SeedKeyStore::from_seed(&[9; 32]);
        let shown = format!("{keys:?}");
        assert!(!shown.contains(&hex(&[9; 32])));
    }
}
