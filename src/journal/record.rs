//! One log event and its typestate: an [`AuditRecord<Unsigned>`] becomes an
//! [`AuditRecord<Signed>`] only through [`AuditRecord::sign`], and only signed records are
//! stored. The bytes hashed are fixed by [`AuditRecord::digest`].

use sha2::{Digest, Sha256};

use super::Error;
use crate::platform::keystore::KeyStore;

/// A short machine name for what happened (`decision`, `unlock`, `seal`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventKind(String);

impl EventKind {
    /// Validate a kind: 1–32 of `a-z 0-9 - _`.
    pub fn new(kind: &str) -> Result<EventKind, Error> {
        let ok = (1..=32).contains(&kind.len())
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(EventKind(kind.to_string()))
        } else {
            Err(Error::BadKind(kind.to_string()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Not yet signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsigned;

/// Signed: the digest and the kiosk's signature over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// SHA-256 of the record's canonical bytes.
    pub hash: [u8; 32],
    /// Ed25519 signature over `hash`.
    pub signature: [u8; 64],
}

/// One event. format-stable: the fields and their order in [`AuditRecord::digest`] are part
/// of the log format; do not reorder or rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord<S> {
    /// Which kiosk wrote it.
    pub kiosk_id: String,
    /// Position in the kiosk's series, from 1, without gaps.
    pub seq: u64,
    /// When, in milliseconds since the Unix epoch (UTC).
    pub at_ms: i64,
    /// What happened.
    pub kind: String,
    /// The event's canonical payload (JSON bytes as written).
    pub payload: Vec<u8>,
    /// The previous event's hash; zeros for seq 1.
    pub prev_hash: [u8; 32],
    /// Signing state.
    pub state: S,
}

/// Domain separation, so a log digest can never be mistaken for another signed object.
const DOMAIN: &[u8] = b"examgate-journal-v1\0";

impl<S> AuditRecord<S> {
    /// SHA-256 over the domain tag and every field, each length-prefixed, in declaration
    /// order.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        let field = |h: &mut Sha256, bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(&mut h, self.kiosk_id.as_bytes());
        h.update(self.seq.to_be_bytes());
        h.update(self.at_ms.to_be_bytes());
        field(&mut h, self.kind.as_bytes());
        field(&mut h, &self.payload);
        h.update(self.prev_hash);
        h.finalize().into()
    }
}

impl AuditRecord<Unsigned> {
    /// Hash and sign.
    pub fn sign(self, keys: &dyn KeyStore) -> AuditRecord<Signed> {
        let hash = self.digest();
        let signature = keys.sign(&hash);
        AuditRecord {
            kiosk_id: self.kiosk_id,
            seq: self.seq,
            at_ms: self.at_ms,
            kind: self.kind,
            payload: self.payload,
            prev_hash: self.prev_hash,
            state: Signed { hash, signature },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::keystore::SeedKeyStore;

    fn record() -> AuditRecord<Unsigned> {
        AuditRecord {
            kiosk_id: "K-S01-R101".into(),
            seq: 1,
            at_ms: 1_781_913_600_000,
            kind: "decision".into(),
            payload: br#"{"verdict":"admit","seat":7}"#.to_vec(),
            prev_hash: [0; 32],
            state: Unsigned,
        }
    }

    #[test]
    fn every_field_changes_the_digest() {
        let base = record().digest();
        let mut r = record();
        r.seq = 2;
        assert_ne!(r.digest(), base);
        let mut r = record();
        r.at_ms += 1;
        assert_ne!(r.digest(), base);
        let mut r = record();
        r.payload[3] ^= 1;
        assert_ne!(r.digest(), base);
        let mut r = record();
        r.prev_hash[31] = 1;
        assert_ne!(r.digest(), base);
        // Length prefixes: moving a byte between kiosk id and kind is a different record.
        let mut r = record();
        r.kiosk_id = "K-S01-R10".into();
        r.kind = "1decision".into();
        assert_ne!(r.digest(), base);
    }

    #[test]
    fn signing_keeps_the_digest_and_signs_it() {
        let keys = SeedKeyStore::from_seed(&[1; 32]);
        let signed = record().sign(&keys);
        assert_eq!(signed.state.hash, record().digest());
        let sig = ed25519_dalek::Signature::from_bytes(&signed.state.signature);
        assert!(keys
            .verifying_key()
            .verify_strict(&signed.state.hash, &sig)
            .is_ok());
    }

    #[test]
    fn kinds_are_short_lower_case_names() {
        assert!(EventKind::new("decision").is_ok());
        assert!(EventKind::new("invigilator-unlock").is_ok());
        for bad in ["", "Decision", "a b", &"x".repeat(33), "seal;drop"] {
            assert!(EventKind::new(bad).is_err(), "{bad:?}");
        }
    }
}
