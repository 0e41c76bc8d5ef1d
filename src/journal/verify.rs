//! Checking a kiosk's series: sequence without gaps from 1, each event's hash recomputed and
//! linked to its predecessor, each signature valid under the kiosk key. Pure over rows, so
//! the office can run it on a bundle as well as on a kiosk's file.
//!
//! A chain that links up can still be incomplete: rows cut off its end still link. So a
//! log is also checked for completeness ([`verify_log`]): every session it opens is sealed,
//! nothing but the allowed kinds follows a seal, every evidence an event names is present,
//! and an export's kiosk-signed trailer names exactly the events present.

use ed25519_dalek::{Signature, VerifyingKey};

use super::events::{Event, EventError};
use super::record::{AuditRecord, Unsigned};
use super::seal::SealCode;
use super::store::LogFile;
use super::trailer::Trailer;
use crate::platform::keystore::hex;

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

/// One `export_trailer` row as stored (raw columns, lengths unchecked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTrailer {
    /// Kiosk id column.
    pub kiosk_id: String,
    /// Event count column.
    pub events: i64,
    /// Chain-head column.
    pub chain_head: Vec<u8>,
    /// Export time column.
    pub exported_at_ms: i64,
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
    /// An event names sealed evidence (`evidence_sha256`) that is not in the file.
    EvidenceMissing,
    /// An event of a kind this examgate writes whose payload does not parse.
    Unreadable {
        /// The kind.
        kind: String,
        /// The parser's words.
        why: String,
    },
    /// A session was opened and never sealed.
    Unsealed {
        /// The session.
        session: String,
        /// Where another session opens instead; `None` when the log just ends.
        until: Option<u64>,
    },
    /// An event of a kind that may not follow a seal.
    AfterSeal {
        /// Its kind.
        kind: String,
        /// The sealed session.
        session: String,
    },
    /// A seal for a session other than the one open.
    SealOfAnotherSession {
        /// The session the seal names.
        sealed: String,
        /// The session open (`None`: no session open).
        open: Option<String>,
    },
    /// The file has no export trailer (not an export, or its trailer was removed).
    TrailerMissing,
    /// The trailer table holds other than one row.
    TrailerCount(usize),
    /// The trailer is not the kiosk's signature (edited, or made without the kiosk key).
    TrailerSignature,
    /// The signed trailer names other events than the file holds (cut off, or added to).
    TrailerMismatch {
        /// Events the trailer names.
        signed_events: u64,
        /// Chain head the trailer names (hex).
        signed_head: String,
        /// Events in the file.
        found_events: u64,
        /// The file's chain head (hex).
        found_head: String,
    },
    /// A seal code (from the paper room record) that no seal in the log has.
    SealCodeMismatch {
        /// The code given.
        code: String,
        /// What the log has at that count instead.
        found: String,
    },
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
            Problem::EvidenceMissing => {
                f.write_str("the event names sealed evidence that is not in the file (deleted)")
            }
            Problem::Unreadable { kind, why } => write!(f, "{kind} event does not parse: {why}"),
            Problem::Unsealed { session, until } => {
                write!(f, "session {session} is opened here and never sealed")?;
                match until {
                    Some(seq) => write!(f, " (session change at seq {seq})"),
                    None => f.write_str(
                        " (the log ends without its seal: cut off, or exported mid-session; \
                         a kiosk's own log mid-session is checked with --live)",
                    ),
                }
            }
            Problem::AfterSeal { kind, session } => write!(
                f,
                "a {kind} event after the seal of session {session} (only unlocks, PINs, \
                 device notes and a session start may follow a seal)"
            ),
            Problem::SealOfAnotherSession { sealed, open } => write!(
                f,
                "a seal of session {sealed} while {}",
                open.as_deref()
                    .map_or("no session is open".to_string(), |o| format!(
                        "session {o} is open"
                    ))
            ),
            Problem::TrailerMissing => f.write_str(
                "no kiosk-signed export trailer: not an export, or its trailer was removed \
                 (a kiosk's own log is checked with --live)",
            ),
            Problem::TrailerCount(n) => {
                write!(f, "the export trailer table holds {n} rows, not one")
            }
            Problem::TrailerSignature => {
                f.write_str("the export trailer's signature does not verify with the kiosk key")
            }
            Problem::TrailerMismatch {
                signed_events,
                signed_head,
                found_events,
                found_head,
            } => write!(
                f,
                "the kiosk-signed export trailer names {signed_events} events ending in \
                 {signed_head}, the file has {found_events} ending in {found_head} \
                 (events cut off or added after the export)"
            ),
            Problem::SealCodeMismatch { code, found } => {
                write!(f, "seal code {code} does not match the log: {found}")
            }
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

/// Check each stored evidence ciphertext against the `evidence_sha256` its event carries,
/// and that every event naming evidence has it stored; the problem at the lowest sequence
/// number is returned. Run together with [`verify_rows`], which vouches for the events
/// themselves.
pub fn verify_evidence(rows: &[StoredRow], evidence: &[(i64, Vec<u8>)]) -> Option<(u64, Problem)> {
    use sha2::{Digest, Sha256};
    let stored = evidence.iter().filter_map(|(seq, ciphertext)| {
        let at = u64::try_from(*seq).unwrap_or(0);
        let Some(row) = rows.iter().find(|r| r.seq == *seq) else {
            return Some((at, Problem::EvidenceOrphan));
        };
        let named = super::store::referenced_evidence(&row.payload);
        let actual = hex(&Sha256::digest(ciphertext));
        (named.as_deref() != Some(actual.as_str())).then_some((at, Problem::EvidenceChanged))
    });
    let missing = rows
        .iter()
        .filter(|row| super::store::referenced_evidence(&row.payload).is_some())
        .filter(|row| !evidence.iter().any(|(seq, _)| *seq == row.seq))
        .map(|row| {
            (
                u64::try_from(row.seq).unwrap_or(0),
                Problem::EvidenceMissing,
            )
        });
    stored.chain(missing).min_by_key(|(seq, _)| *seq)
}

/// Kinds that may follow a session's seal: an invigilator unlocking (to export), their
/// PIN attempts, the devices coming and going, a waiting door phase timing out, and a
/// session start (the same session after a restart, or the next one). Anything else — a
/// decision, a resolution, an admission by hand, an incident, a second seal — would have
/// happened after the invigilators attested the counts.
pub const AFTER_SEAL: &[&str] = &[
    "invigilator_unlock",
    "invigilator_pin_rejected",
    "invigilator_locked_out",
    "device_lost",
    "device_recovered",
    "door_timeout",
    "session_opened",
    "worker_fault",
    "log_exported",
];

/// Where the sessions of a log stand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sessions {
    /// Each seal: its session, sequence number and seal code.
    pub seals: Vec<(String, SealCode)>,
    /// The session still open at the end (allowed only for a live log).
    pub open: Option<String>,
}

/// Check the session structure of `rows` (a chain that verified): every session opened is
/// sealed before another session opens, only [`AFTER_SEAL`] kinds follow a seal, and —
/// unless `live`, a kiosk's own log mid-session — the last session is sealed too.
///
/// A session opened again (a restart) continues it; a session opened again after its seal
/// stays sealed. Events before the first `session_opened` belong to no session and are not
/// checked here; kinds this examgate does not write are allowed inside an open session only
/// (they are signed by the kiosk key all the same).
pub fn verify_sessions(rows: &[StoredRow], live: bool) -> Result<Sessions, (u64, Problem)> {
    // The session open now, where it was first opened, and whether it is sealed.
    let mut current: Option<(String, u64, bool)> = None;
    let mut out = Sessions::default();
    for row in rows {
        let seq = u64::try_from(row.seq).unwrap_or(0);
        let event = match Event::parse(&row.kind, &row.payload) {
            Ok(e) => Some(e),
            Err(EventError::UnknownKind(_)) => None,
            Err(EventError::Payload { kind, reason }) => {
                return Err((
                    seq,
                    Problem::Unreadable {
                        kind: kind.to_string(),
                        why: reason,
                    },
                ))
            }
        };
        if let Some((session, _, true)) = &current {
            if !AFTER_SEAL.contains(&row.kind.as_str()) {
                return Err((
                    seq,
                    Problem::AfterSeal {
                        kind: row.kind.clone(),
                        session: session.clone(),
                    },
                ));
            }
        }
        match event {
            Some(Event::SessionOpened(o)) => match &current {
                Some((s, _, _)) if *s == o.session => {}
                Some((s, opened, false)) => {
                    return Err((
                        *opened,
                        Problem::Unsealed {
                            session: s.clone(),
                            until: Some(seq),
                        },
                    ))
                }
                _ => {
                    // A session sealed earlier stays sealed when it is opened again (the
                    // kiosk restarted with that session's package, to export again).
                    let sealed = out.seals.iter().any(|(s, _)| *s == o.session);
                    current = Some((o.session, seq, sealed));
                }
            },
            Some(Event::Seal(seal)) => match &mut current {
                Some((s, _, sealed)) if *s == seal.session => {
                    *sealed = true;
                    let hash = <[u8; 32]>::try_from(row.hash.as_slice()).unwrap_or([0; 32]);
                    out.seals
                        .push((seal.session.clone(), SealCode::new(seq, &hash)));
                }
                other => {
                    return Err((
                        seq,
                        Problem::SealOfAnotherSession {
                            sealed: seal.session,
                            open: other.as_ref().map(|(s, _, _)| s.clone()),
                        },
                    ))
                }
            },
            _ => {}
        }
    }
    match current {
        Some((session, opened, false)) if !live => Err((
            opened,
            Problem::Unsealed {
                session,
                until: None,
            },
        )),
        Some((session, _, false)) => Ok(Sessions {
            open: Some(session),
            ..out
        }),
        _ => Ok(out),
    }
}

/// Check an export's trailer: exactly one row, signed by `key`, naming `kiosk_id`, the
/// number of events and the chain head that verified. `None` trailers: the file has no
/// trailer table.
pub fn verify_trailer(
    trailers: Option<&[StoredTrailer]>,
    kiosk_id: &str,
    verified: &Report,
    key: &VerifyingKey,
) -> Option<(u64, Problem)> {
    let at = verified.verified;
    let t = match trailers {
        None | Some([]) => return Some((at, Problem::TrailerMissing)),
        Some([t]) => t,
        Some(more) => return Some((at, Problem::TrailerCount(more.len()))),
    };
    let (Ok(chain_head), Ok(signature)) = (
        <[u8; 32]>::try_from(t.chain_head.as_slice()),
        <[u8; 64]>::try_from(t.signature.as_slice()),
    ) else {
        let (column, len) = if t.chain_head.len() != 32 {
            ("export_trailer.chain_head", t.chain_head.len())
        } else {
            ("export_trailer.signature", t.signature.len())
        };
        return Some((at, Problem::Malformed { column, len }));
    };
    let trailer = Trailer {
        kiosk_id: t.kiosk_id.clone(),
        events: u64::try_from(t.events).unwrap_or(0),
        chain_head,
        exported_at_ms: t.exported_at_ms,
    };
    if !trailer.verify(key, &signature) {
        return Some((at, Problem::TrailerSignature));
    }
    if trailer.kiosk_id != kiosk_id {
        return Some((
            at,
            Problem::ForeignRow {
                kiosk_id: trailer.kiosk_id,
            },
        ));
    }
    let found_head = verified.head.unwrap_or([0; 32]);
    if trailer.events != verified.verified || trailer.chain_head != found_head {
        return Some((
            at,
            Problem::TrailerMismatch {
                signed_events: trailer.events,
                signed_head: hex(&trailer.chain_head),
                found_events: verified.verified,
                found_head: hex(&found_head),
            },
        ));
    }
    None
}

/// Check a seal code copied from paper: the event at its count must be a seal whose hash
/// starts with its fingerprint. `rows` must have verified.
pub fn verify_seal_code(rows: &[StoredRow], code: &SealCode) -> Option<(u64, Problem)> {
    let row = rows
        .iter()
        .find(|r| u64::try_from(r.seq).ok() == Some(code.events));
    let found = match row {
        None => format!(
            "the log has no event {} (it has {}: cut off?)",
            code.events,
            rows.len()
        ),
        Some(r) if r.kind != "seal" => {
            format!("event {} is of kind {}, not a seal", code.events, r.kind)
        }
        Some(r) => {
            let hash = <[u8; 32]>::try_from(r.hash.as_slice()).unwrap_or([0; 32]);
            let actual = SealCode::new(code.events, &hash);
            if actual == *code {
                return None;
            }
            format!("the seal at event {} has code {actual}", code.events)
        }
    };
    Some((
        code.events,
        Problem::SealCodeMismatch {
            code: code.to_string(),
            found,
        },
    ))
}

/// What to check beyond the chain.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// A kiosk's own log rather than an export: no trailer expected (one present is still
    /// checked), and the last session may be open.
    pub live: bool,
    /// Seal codes from the paper room record.
    pub seal_codes: Vec<SealCode>,
}

/// Everything [`verify_log`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    /// The chain, and the first problem of any kind (chain, evidence, sessions, trailer,
    /// seal codes, in that order).
    pub report: Report,
    /// The sessions, when the chain verified.
    pub sessions: Sessions,
    /// Whether a trailer was present and matched.
    pub trailer: bool,
}

/// Check a whole log file against the kiosk `key` (never the key recorded in the file,
/// which whoever edits the file can replace): the chain and signatures, the evidence, the
/// sessions' seals, the export trailer, and any seal codes given.
pub fn verify_log(file: &LogFile, key: &VerifyingKey, checks: &Checks) -> LogReport {
    let mut report = verify_rows(file.rows.iter().cloned(), &file.kiosk_id, key);
    let mut out = LogReport {
        report: report.clone(),
        sessions: Sessions::default(),
        trailer: false,
    };
    if report.problem.is_some() {
        return out;
    }
    let sessions = verify_sessions(&file.rows, checks.live);
    let problem = verify_evidence(&file.rows, &file.evidence)
        .or_else(|| sessions.as_ref().err().cloned())
        .or_else(|| match (&file.trailers, checks.live) {
            (None, true) => None,
            (trailers, _) => {
                let found = verify_trailer(trailers.as_deref(), &file.kiosk_id, &report, key);
                out.trailer = found.is_none();
                found
            }
        })
        .or_else(|| {
            checks
                .seal_codes
                .iter()
                .find_map(|code| verify_seal_code(&file.rows, code))
        });
    out.sessions = sessions.unwrap_or_default();
    report.problem = problem;
    out.report = report;
    out
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

    /// A signed chain of `(kind, payload)` events.
    fn events(list: &[(&str, String)], keys: &SeedKeyStore) -> Vec<StoredRow> {
        let mut prev = [0u8; 32];
        list.iter()
            .enumerate()
            .map(|(i, (kind, payload))| {
                let signed = AuditRecord {
                    kiosk_id: "K1".to_string(),
                    seq: i as u64 + 1,
                    at_ms: 1000,
                    kind: kind.to_string(),
                    payload: payload.clone().into_bytes(),
                    prev_hash: prev,
                    state: Unsigned,
                }
                .sign(keys);
                prev = signed.state.hash;
                StoredRow {
                    kiosk_id: signed.kiosk_id,
                    seq: i as i64 + 1,
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

    fn opened(session: &str) -> (&'static str, String) {
        ("session_opened", format!(r#"{{"session":"{session}"}}"#))
    }

    fn seal(session: &str) -> (&'static str, String) {
        use crate::journal::seal::{Attestation, Counts, Report, Seal};
        let at = |who: &str| Attestation {
            invigilator: who.into(),
            at_ms: 1,
        };
        let seal = Seal::new(
            session,
            Counts::new(3, 1, 0, 0),
            Report::Zero,
            [at("T1"), at("T2")],
            [0; 32],
        )
        .expect("valid seal");
        ("seal", String::from_utf8(seal.payload()).expect("JSON"))
    }

    fn unlock() -> (&'static str, String) {
        ("invigilator_unlock", r#"{"invigilator":"T1"}"#.to_string())
    }

    fn incident() -> (&'static str, String) {
        (
            "incident",
            r#"{"invigilator":"T1","ticket":null,"text":"noise"}"#.to_string(),
        )
    }

    #[test]
    fn r12_sessions_must_be_sealed_and_only_some_kinds_follow_a_seal() {
        let keys = SeedKeyStore::from_seed(&[3; 32]);
        let unsealed = |session: &str, until| Problem::Unsealed {
            session: session.into(),
            until,
        };
        let after = |kind: &str| Problem::AfterSeal {
            kind: kind.into(),
            session: "a".into(),
        };
        // (name, events, live, expected first problem)
        type Case<'a> = (
            &'a str,
            Vec<(&'a str, String)>,
            bool,
            Option<(u64, Problem)>,
        );
        let cases: Vec<Case<'_>> = vec![
            ("no session at all", vec![], false, None),
            (
                "sealed",
                vec![opened("a"), incident(), seal("a")],
                false,
                None,
            ),
            (
                "restart, seal, restart to export",
                vec![opened("a"), opened("a"), seal("a"), opened("a"), unlock()],
                false,
                None,
            ),
            (
                "an earlier session opened again after the next one stays sealed",
                vec![
                    opened("a"),
                    seal("a"),
                    opened("b"),
                    seal("b"),
                    opened("a"),
                    unlock(),
                ],
                false,
                None,
            ),
            (
                "nothing but the allowed kinds after it, either",
                vec![
                    opened("a"),
                    seal("a"),
                    opened("b"),
                    seal("b"),
                    opened("a"),
                    incident(),
                ],
                false,
                Some((6, after("incident"))),
            ),
            (
                "two sessions sealed",
                vec![opened("a"), seal("a"), opened("b"), incident(), seal("b")],
                false,
                None,
            ),
            (
                "the log ends unsealed",
                vec![opened("a"), incident()],
                false,
                Some((1, unsealed("a", None))),
            ),
            (
                "a live log mid-session",
                vec![opened("a"), incident()],
                true,
                None,
            ),
            (
                "the next session opens over an unsealed one, even live",
                vec![opened("a"), incident(), opened("b")],
                true,
                Some((1, unsealed("a", Some(3)))),
            ),
            (
                "an incident after the seal",
                vec![opened("a"), seal("a"), unlock(), incident()],
                false,
                Some((4, after("incident"))),
            ),
            (
                "a second seal",
                vec![opened("a"), seal("a"), seal("a")],
                false,
                Some((3, after("seal"))),
            ),
            (
                "an unknown kind after the seal",
                vec![opened("a"), seal("a"), ("teleport", "{}".into())],
                false,
                Some((3, after("teleport"))),
            ),
            (
                "an unknown kind inside a session is the kiosk's (signed) business",
                vec![opened("a"), ("teleport", "{}".into()), seal("a")],
                false,
                None,
            ),
            (
                "a seal of another session",
                vec![opened("a"), seal("b")],
                false,
                Some((
                    2,
                    Problem::SealOfAnotherSession {
                        sealed: "b".into(),
                        open: Some("a".into()),
                    },
                )),
            ),
            (
                "a known kind that does not parse",
                vec![opened("a"), ("incident", "{}".into())],
                true,
                Some((
                    2,
                    Problem::Unreadable {
                        kind: "incident".into(),
                        why: "missing field `invigilator` at line 1 column 2".into(),
                    },
                )),
            ),
        ];
        for (name, list, live, expected) in cases {
            let rows = events(&list, &keys);
            assert_eq!(verify_sessions(&rows, live).err(), expected, "{name}");
        }
    }

    #[test]
    fn r12_every_seal_gives_its_code_and_a_seal_code_checks_against_the_log() {
        let keys = SeedKeyStore::from_seed(&[3; 32]);
        let rows = events(
            &[
                opened("a"),
                incident(),
                seal("a"),
                opened("b"),
                seal("b"),
                unlock(),
            ],
            &keys,
        );
        let sessions = verify_sessions(&rows, false).expect("sealed");
        let hash = |seq: usize| <[u8; 32]>::try_from(rows[seq - 1].hash.as_slice()).expect("32");
        let (a, b) = (SealCode::new(3, &hash(3)), SealCode::new(5, &hash(5)));
        assert_eq!(
            sessions.seals,
            vec![("a".to_string(), a), ("b".to_string(), b)]
        );
        assert_eq!(verify_seal_code(&rows, &a), None);
        assert_eq!(verify_seal_code(&rows, &b), None);
        let reject = |code: SealCode| match verify_seal_code(&rows, &code) {
            Some((_, Problem::SealCodeMismatch { found, .. })) => found,
            other => panic!("{code}: {other:?}"),
        };
        let mut wrong = a;
        wrong.fingerprint[0] ^= 0x80;
        assert_eq!(reject(wrong), format!("the seal at event 3 has code {a}"));
        assert_eq!(
            reject(SealCode { events: 2, ..a }),
            "event 2 is of kind incident, not a seal"
        );
        assert_eq!(
            reject(SealCode { events: 9, ..a }),
            "the log has no event 9 (it has 6: cut off?)"
        );
    }

    #[test]
    fn r12_evidence_named_by_an_event_must_be_stored() {
        let keys = SeedKeyStore::from_seed(&[3; 32]);
        let named = format!(r#"{{"evidence_sha256":"{}"}}"#, "ab".repeat(32));
        let rows = events(&[opened("a"), ("teleport", named)], &keys);
        assert_eq!(
            verify_evidence(&rows, &[]),
            Some((2, Problem::EvidenceMissing))
        );
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
