//! Checking a kiosk's series: sequence without gaps from 1, each event's hash recomputed and
//! linked to its predecessor, each signature valid under the kiosk key. Pure over rows, so
//! the office can run it on a bundle as well as on a kiosk's file.

use ed25519_dalek::{Signature, VerifyingKey};

use super::record::{AuditRecord, Unsigned};

/// One row as stored (raw columns, lengths unchecked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    /// Kiosk id column.
    pub kiosk_id: String,
    /// Sequence column.
    pub seq: i64,
    /// Time column.
    pub at_ms: i64,
    /// Kind column.
    pub kind: String,
    /// Payload column.
    pub payload: Vec<u8>,
    /// Previous-hash column.
    pub prev_hash: Vec<u8>,
    /// Hash column.
    pub hash: Vec<u8>,
    /// Signature column.
    pub signature: Vec<u8>,
}

/// The first thing wrong with a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The next sequence number was not the one expected (a deleted or inserted row).
    Gap {
        /// The number expected.
        expected: u64,
        /// The number found.
        found: i64,
    },
    /// A row from another kiosk in this kiosk's series.
    ForeignRow {
        /// The kiosk id found.
        kiosk_id: String,
    },
    /// A column of the wrong length.
    Malformed {
        /// Which column.
        column: &'static str,
        /// Its length.
        len: usize,
    },
    /// The stored previous hash is not the previous event's hash (a removed, swapped or
    /// forged predecessor).
    BrokenLink,
    /// The content does not hash to the stored hash (an edited event).
    ContentChanged,
    /// The signature does not verify under the kiosk key.
    BadSignature,
    /// Stored evidence whose hash is not the one its signed event names (replaced).
    EvidenceChanged,
    /// Stored evidence with no event naming it.
    EvidenceOrphan,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Gap { expected, found } => {
                write!(f, "sequence gap: expected {expected}, found {found}")
            }
            Problem::ForeignRow { kiosk_id } => write!(f, "row of another kiosk ({kiosk_id})"),
            Problem::Malformed { column, len } => write!(f, "column {column} has {len} bytes"),
            Problem::BrokenLink => f.write_str("previous-hash link broken"),
            Problem::ContentChanged => f.write_str("content does not match its hash (edited)"),
            Problem::BadSignature => f.write_str("signature does not verify with the kiosk key"),
            Problem::EvidenceChanged => {
                f.write_str("evidence ciphertext does not match the hash its event signed")
            }
            Problem::EvidenceOrphan => f.write_str("evidence without an event naming it"),
        }
    }
}

/// What checking found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Events that verified before the first problem (or all).
    pub verified: u64,
    /// The last verified event's hash.
    pub head: Option<[u8; 32]>,
    /// The first problem, with the sequence number where it was found.
    pub problem: Option<(u64, Problem)>,
}

impl Report {
    /// Whether every event verified.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Check `rows` (in sequence order) of kiosk `kiosk_id` against `key`; stop at the first
/// problem.
pub fn verify_rows(
    rows: impl IntoIterator<Item = StoredRow>,
    kiosk_id: &str,
    key: &VerifyingKey,
) -> Report {
    let mut prev = [0u8; 32];
    let mut verified = 0u64;
    let mut head = None;
    for row in rows {
        let expected = verified + 1;
        let fail = |problem| Report {
            verified,
            head,
            problem: Some((expected, problem)),
        };
        if row.kiosk_id != kiosk_id {
            return fail(Problem::ForeignRow {
                kiosk_id: row.kiosk_id,
            });
        }
        if u64::try_from(row.seq).ok() != Some(expected) {
            return fail(Problem::Gap {
                expected,
                found: row.seq,
            });
        }
        let (Ok(prev_hash), Ok(hash), Ok(signature)) = (
            <[u8; 32]>::try_from(row.prev_hash.as_slice()),
            <[u8; 32]>::try_from(row.hash.as_slice()),
            <[u8; 64]>::try_from(row.signature.as_slice()),
        ) else {
            let (column, len) = [
                ("prev_hash", row.prev_hash.len(), 32),
                ("hash", row.hash.len(), 32),
                ("signature", row.signature.len(), 64),
            ]
            .into_iter()
            .find(|(_, len, want)| len != want)
            .map(|(c, l, _)| (c, l))
            .unwrap_or(("?", 0));
            return fail(Problem::Malformed { column, len });
        };
        if prev_hash != prev {
            return fail(Problem::BrokenLink);
        }
        let record = AuditRecord {
            kiosk_id: row.kiosk_id,
            seq: expected,
            at_ms: row.at_ms,
            kind: row.kind,
            payload: row.payload,
            prev_hash,
            state: Unsigned,
        };
        if record.digest() != hash {
            return fail(Problem::ContentChanged);
        }
        if key
            .verify_strict(&hash, &Signature::from_bytes(&signature))
            .is_err()
        {
            return fail(Problem::BadSignature);
        }
        prev = hash;
        head = Some(hash);
        verified = expected;
    }
    Report {
        verified,
        head,
        problem: None,
    }
}

/// Check each stored evidence ciphertext against the `evidence_sha256` its event carries.
/// Run together with [`verify_rows`], which vouches for the events themselves.
pub fn verify_evidence(rows: &[StoredRow], evidence: &[(i64, Vec<u8>)]) -> Option<(u64, Problem)> {
    use sha2::{Digest, Sha256};
    for (seq, ciphertext) in evidence {
        let at = u64::try_from(*seq).unwrap_or(0);
        let Some(row) = rows.iter().find(|r| r.seq == *seq) else {
            return Some((at, Problem::EvidenceOrphan));
        };
        let named = super::store::referenced_evidence(&row.payload);
        let actual = crate::platform::keystore::hex(&Sha256::digest(ciphertext));
        if named.as_deref() != Some(actual.as_str()) {
            return Some((at, Problem::EvidenceChanged));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::AuditRecord;
    use crate::platform::keystore::{KeyStore, SeedKeyStore};

    fn chain(n: u64, keys: &SeedKeyStore) -> Vec<StoredRow> {
        let mut prev = [0u8; 32];
        (1..=n)
            .map(|seq| {
                let signed = AuditRecord {
                    kiosk_id: "K1".to_string(),
                    seq,
                    at_ms: 1000 + seq as i64,
                    kind: "decision".to_string(),
                    payload: format!("{{\"n\":{seq}}}").into_bytes(),
                    prev_hash: prev,
                    state: Unsigned,
                }
                .sign(keys);
                prev = signed.state.hash;
                StoredRow {
                    kiosk_id: signed.kiosk_id,
                    seq: seq as i64,
                    at_ms: signed.at_ms,
                    kind: signed.kind,
                    payload: signed.payload,
                    prev_hash: signed.prev_hash.to_vec(),
                    hash: signed.state.hash.to_vec(),
                    signature: signed.state.signature.to_vec(),
                }
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_reports_its_head() {
        let keys = SeedKeyStore::from_seed(&[3; 32]);
        let rows = chain(5, &keys);
        let head = rows[4].hash.clone();
        let r = verify_rows(rows, "K1", &keys.verifying_key());
        assert!(r.is_ok());
        assert_eq!(r.verified, 5);
        assert_eq!(r.head.map(|h| h.to_vec()), Some(head));
    }

    #[test]
    fn each_kind_of_tampering_is_named_at_its_sequence_number() {
        let keys = SeedKeyStore::from_seed(&[3; 32]);
        let key = keys.verifying_key();
        type Tamper = fn(&mut Vec<StoredRow>);
        let cases: [(&str, Tamper, u64, Problem); 6] = [
            (
                "payload byte",
                |r| r[2].payload[1] ^= 0x20,
                3,
                Problem::ContentChanged,
            ),
            (
                "row deleted",
                |r| {
                    r.remove(1);
                },
                2,
                Problem::Gap {
                    expected: 2,
                    found: 3,
                },
            ),
            (
                "rows swapped",
                |r| r.swap(1, 2),
                2,
                Problem::Gap {
                    expected: 2,
                    found: 3,
                },
            ),
            (
                "seq renumbered after a delete",
                |r| {
                    r.remove(1);
                    for (i, row) in r.iter_mut().enumerate() {
                        row.seq = i as i64 + 1;
                    }
                },
                2,
                Problem::BrokenLink,
            ),
            (
                "signature byte",
                |r| r[3].signature[0] ^= 1,
                4,
                Problem::BadSignature,
            ),
            (
                "hash column cut",
                |r| r[0].hash.truncate(31),
                1,
                Problem::Malformed {
                    column: "hash",
                    len: 31,
                },
            ),
        ];
        for (name, tamper, seq, problem) in cases {
            let mut rows = chain(5, &keys);
            tamper(&mut rows);
            let r = verify_rows(rows, "K1", &key);
            assert_eq!(r.problem, Some((seq, problem)), "{name}");
        }
    }

    #[test]
    fn another_kiosks_key_fails_the_first_signature() {
        let rows = chain(2, &SeedKeyStore::from_seed(&[3; 32]));
        let other = SeedKeyStore::from_seed(&[4; 32]).verifying_key();
        assert_eq!(
            verify_rows(rows, "K1", &other).problem,
            Some((1, Problem::BadSignature))
        );
    }
}
