//! The export trailer (`docs/design.md`, "Room package and bundle"): what the kiosk signs
//! when it exports its log — its id, how many events it had and the hash of the last one.
//! The chain alone cannot show that events were cut off the end of a file (what is left
//! still links up); the trailer can, because only the kiosk key signs it.
//!
//! Stored in the exported file alone, in its own table (`export_trailer`, see
//! [`TRAILER_TABLE_SQL`]): the kiosk's own log never has one, so a file with a trailer is an
//! export.

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::platform::keystore::KeyStore;

/// The table an export's trailer lives in. format-stable: the verifier and the office read
/// these columns by name; do not rename.
pub const TRAILER_TABLE_SQL: &str = "CREATE TABLE export_trailer (
    kiosk_id       TEXT    NOT NULL,
    events         INTEGER NOT NULL CHECK (events >= 0),
    chain_head     BLOB    NOT NULL,
    exported_at_ms INTEGER NOT NULL,
    signature      BLOB    NOT NULL
) STRICT";

/// Domain separation: a trailer signature can never be taken for an event's or a package's.
const DOMAIN: &[u8] = b"examgate-export-trailer-v1\0";

/// The signed statement "kiosk K exported N events ending in H at T".
///
/// format-stable: the fields and their order in [`Trailer::digest`] are part of the export
/// format; do not reorder or rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// The kiosk.
    pub kiosk_id: String,
    /// Events in the log when it was exported (its last sequence number).
    pub events: u64,
    /// The last event's hash (zeros for an empty log).
    pub chain_head: [u8; 32],
    /// When, ms since the Unix epoch (UTC).
    pub exported_at_ms: i64,
}

impl Trailer {
    /// SHA-256 over the domain tag and every field (the id length-prefixed), in declaration
    /// order.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update((self.kiosk_id.len() as u64).to_be_bytes());
        h.update(self.kiosk_id.as_bytes());
        h.update(self.events.to_be_bytes());
        h.update(self.chain_head);
        h.update(self.exported_at_ms.to_be_bytes());
        h.finalize().into()
    }

    /// The kiosk's signature over [`Trailer::digest`].
    pub fn sign(&self, keys: &dyn KeyStore) -> [u8; 64] {
        keys.sign(&self.digest())
    }

    /// Whether `signature` is the kiosk's over this trailer.
    pub fn verify(&self, key: &VerifyingKey, signature: &[u8; 64]) -> bool {
        key.verify_strict(&self.digest(), &Signature::from_bytes(signature))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::keystore::SeedKeyStore;

    fn trailer() -> Trailer {
        Trailer {
            kiosk_id: "K-S01-R101".into(),
            events: 42,
            chain_head: [7; 32],
            exported_at_ms: 1_781_913_600_000,
        }
    }

    #[test]
    fn a_trailer_verifies_only_as_signed_and_only_with_its_key() {
        let keys = SeedKeyStore::from_seed(&[9; 32]);
        let sig = trailer().sign(&keys);
        assert!(trailer().verify(&keys.verifying_key(), &sig));
        let other = SeedKeyStore::from_seed(&[10; 32]).verifying_key();
        assert!(!trailer().verify(&other, &sig));
        let changes: [fn(&mut Trailer); 4] = [
            |t| t.events -= 1,
            |t| t.chain_head[31] ^= 1,
            |t| t.kiosk_id.push('2'),
            |t| t.exported_at_ms += 1,
        ];
        for change in changes {
            let mut t = trailer();
            change(&mut t);
            assert!(!t.verify(&keys.verifying_key(), &sig), "{t:?}");
        }
    }
}
