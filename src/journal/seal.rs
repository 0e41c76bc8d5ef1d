//! The seal event that closes a session (`docs/design.md`, "The log"): the counts, the zero
//! report or the incidents, both invigilators' attestations, and the chain head it closes.
//! format-stable: the serialized field names are part of the log; do not rename or reorder.

use serde::{Deserialize, Serialize};

/// Counts for the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Admitted candidates.
    pub admitted: u32,
    /// Referrals raised (each resolved by an invigilator).
    pub referred: u32,
    /// Candidates turned away.
    pub denied: u32,
    /// Roster size minus admitted.
    pub absent: u32,
}

impl Counts {
    /// Counts with `absent` derived from the roster size.
    pub fn new(roster: u32, admitted: u32, referred: u32, denied: u32) -> Counts {
        Counts {
            admitted,
            referred,
            denied,
            absent: roster.saturating_sub(admitted),
        }
    }
}

/// One incident recorded by an invigilator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// When, milliseconds since the epoch.
    pub at_ms: i64,
    /// Who recorded it.
    pub invigilator: String,
    /// What happened.
    pub text: String,
}

/// The session report: nothing happened, or what did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "incidents", rename_all = "snake_case")]
pub enum Report {
    /// The zero report: no incidents.
    Zero,
    /// The incidents, at least one.
    Incidents(Vec<Incident>),
}

/// One invigilator's attestation (given by entering their PIN at the seal screen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// Invigilator id.
    pub invigilator: String,
    /// When, milliseconds since the epoch.
    pub at_ms: i64,
}

/// Seal errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Both attestations are by one person.
    #[error("both attestations are by {0}: a seal needs two different invigilators")]
    SameInvigilator(String),
    /// An incident report with no incident.
    #[error("an incident report needs at least one incident; use the zero report")]
    EmptyIncidents,
    /// A seal code that does not read as one.
    #[error("seal code {0:?} must read like `142 · K7F3-9QW2`: the event count, then 8 letters and digits")]
    BadCode(String),
}

/// Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or copied by hand
/// does not confuse 1/I/L or 0/O.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Bytes of the chain head in a seal code's fingerprint: 40 bits, 8 Crockford characters.
const FINGERPRINT_BYTES: usize = 5;

/// The seal code the seal screen shows and the invigilators copy onto the paper room
/// record (`docs/design.md`, "The log"): the number of events in the log up to and
/// including the seal, and the first 40 bits of the seal event's own hash (the chain head
/// once the seal is written, so it vouches for the seal's counts and attestations as well as
/// for everything before it). A log cut short after the fact no longer has this event, or
/// no longer has it at this count.
///
/// format-stable: the text form `142 · K7F3-9QW2` is written on paper; do not change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealCode {
    /// Events up to and including the seal (the seal's sequence number).
    pub events: u64,
    /// The first bytes of the seal event's hash.
    pub fingerprint: [u8; FINGERPRINT_BYTES],
}

impl SealCode {
    /// The code of a seal stored as event `seq` with hash `hash`.
    pub fn new(seq: u64, hash: &[u8; 32]) -> SealCode {
        let mut fingerprint = [0u8; FINGERPRINT_BYTES];
        fingerprint.copy_from_slice(&hash[..FINGERPRINT_BYTES]);
        SealCode {
            events: seq,
            fingerprint,
        }
    }

    /// Read a code as a person copied it: `142 · K7F3-9QW2`, `142 K7F39QW2`, lower case,
    /// and O for 0 or I/L for 1 (Crockford's reading rules) are all accepted.
    pub fn parse(text: &str) -> Result<SealCode, SealError> {
        let bad = || SealError::BadCode(text.to_string());
        let t = text.trim();
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let events: u64 = t[..digits].parse().map_err(|_| bad())?;
        let mut bits: u64 = 0;
        let mut n = 0;
        for c in t[digits..].chars() {
            if matches!(c, ' ' | '·' | '-' | '.' | '/') {
                continue;
            }
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let v = CROCKFORD
                .iter()
                .position(|&a| char::from(a) == c)
                .ok_or_else(bad)?;
            bits = (bits << 5) | v as u64;
            n += 1;
            if n > 8 {
                return Err(bad());
            }
        }
        if n != 8 {
            return Err(bad());
        }
        let mut fingerprint = [0u8; FINGERPRINT_BYTES];
        for (i, b) in fingerprint.iter_mut().enumerate() {
            *b = (bits >> (8 * (FINGERPRINT_BYTES - 1 - i))) as u8;
        }
        Ok(SealCode {
            events,
            fingerprint,
        })
    }
}

impl std::fmt::Display for SealCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bits = self
            .fingerprint
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars: String = (0..8)
            .map(|i| char::from(CROCKFORD[((bits >> (35 - 5 * i)) & 31) as usize]))
            .collect();
        write!(f, "{} · {}-{}", self.events, &chars[..4], &chars[4..])
    }
}

/// The seal payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// Session id.
    pub session: String,
    /// Counts.
    pub counts: Counts,
    /// Zero report or incidents.
    pub report: Report,
    /// Both invigilators.
    pub attestations: [Attestation; 2],
    /// Hex hash of the last event before the seal.
    pub chain_head: String,
    /// The clock correction the door decided with (ms; zero when the clock was confirmed as
    /// right). Absent in seals written before corrections existed: zero.
    #[serde(default)]
    pub clock_offset_ms: i64,
}

impl Seal {
    /// A seal, checked: two different invigilators, no empty incident list.
    pub fn new(
        session: &str,
        counts: Counts,
        report: Report,
        attestations: [Attestation; 2],
        chain_head: [u8; 32],
    ) -> Result<Seal, SealError> {
        if attestations[0].invigilator == attestations[1].invigilator {
            return Err(SealError::SameInvigilator(
                attestations[0].invigilator.clone(),
            ));
        }
        if report == Report::Incidents(Vec::new()) {
            return Err(SealError::EmptyIncidents);
        }
        Ok(Seal {
            session: session.to_string(),
            counts,
            report,
            attestations,
            chain_head: crate::platform::keystore::hex(&chain_head),
            clock_offset_ms: 0,
        })
    }

    /// The seal of a session decided with the clock corrected by `offset`.
    pub fn with_clock_offset(self, offset: crate::kiosk::time_check::ClockOffset) -> Seal {
        Seal {
            clock_offset_ms: offset.ms(),
            ..self
        }
    }

    /// The canonical payload bytes.
    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a Seal is plain data and always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{read, verify_rows, EventKind, Journal};
    use crate::platform::keystore::{KeyStore, SeedKeyStore};

    fn att(who: &str, at_ms: i64) -> Attestation {
        Attestation {
            invigilator: who.into(),
            at_ms,
        }
    }

    #[test]
    fn a_seal_code_is_the_count_and_40_bits_of_the_head_in_crockford_base32() {
        let mut head = [0u8; 32];
        // 0x00 0x44 0x32 0x14 0xC7 → 00000 00001 00010 00011 00100 00101 00110 00111.
        head[..5].copy_from_slice(&[0x00, 0x44, 0x32, 0x14, 0xC7]);
        head[5] = 0xFF; // beyond the fingerprint: not shown
        let code = SealCode::new(142, &head);
        assert_eq!(code.to_string(), "142 · 0123-4567");
        let all_ones = SealCode::new(7, &[0xFF; 32]);
        assert_eq!(all_ones.to_string(), "7 · ZZZZ-ZZZZ");
        // Letters that are not Crockford digits never appear.
        let text = SealCode::new(1, &[0xA5; 32]).to_string();
        assert!(!text.contains(['I', 'L', 'O', 'U']), "{text}");
    }

    #[test]
    fn a_seal_code_reads_back_as_people_copy_it() {
        let code = SealCode::new(142, &[0x9C; 32]);
        let shown = code.to_string();
        assert_eq!(SealCode::parse(&shown), Ok(code));
        let plain = shown.replace(" · ", " ").replace('-', "");
        assert_eq!(SealCode::parse(&plain), Ok(code), "{plain}");
        assert_eq!(SealCode::parse(&shown.to_lowercase()), Ok(code));
        // O and 0, I/L and 1 are the same digit when read back.
        let zeros = SealCode::new(3, &[0; 32]);
        assert_eq!(SealCode::parse("3 · OOOO-0oo0"), Ok(zeros));
        assert_eq!(
            SealCode::parse("3 · 0000-0001"),
            SealCode::parse("3 · 0000-000l")
        );
        for bad in [
            "",
            "142",
            "· K7F3-9QW2",
            "142 · K7F3-9QW",
            "142 · K7F3-9QW22",
            "142 · K7F3-9QWU",
            "142 · K7F3_9QW2",
        ] {
            assert_eq!(
                SealCode::parse(bad),
                Err(SealError::BadCode(bad.to_string())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn absent_is_the_roster_minus_the_admitted() {
        assert_eq!(Counts::new(30, 27, 2, 1).absent, 3);
        assert_eq!(Counts::new(3, 5, 0, 0).absent, 0);
    }

    #[test]
    fn a_seal_needs_two_different_invigilators_and_real_incidents() {
        let counts = Counts::new(30, 30, 0, 0);
        assert_eq!(
            Seal::new(
                "math-am",
                counts,
                Report::Zero,
                [att("a", 1), att("a", 2)],
                [0; 32]
            ),
            Err(SealError::SameInvigilator("a".into()))
        );
        assert_eq!(
            Seal::new(
                "math-am",
                counts,
                Report::Incidents(vec![]),
                [att("a", 1), att("b", 2)],
                [0; 32]
            ),
            Err(SealError::EmptyIncidents)
        );
    }

    #[test]
    fn a_sealed_session_verifies_and_records_its_head() {
        let dir = std::env::temp_dir().join(format!("examgate-seal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("log.db");
        let keys = SeedKeyStore::from_seed(&[8; 32]);
        let mut log = Journal::open(&path, "K1", &keys.verifying_key()).expect("open");
        let decision = EventKind::new("decision").expect("kind");
        for i in 0..3 {
            log.append(&decision, format!("{{\"i\":{i}}}").as_bytes(), i, &keys)
                .expect("append");
        }
        let head = log.head_hash();
        let seal = Seal::new(
            "math-am",
            Counts::new(30, 2, 1, 0),
            Report::Incidents(vec![Incident {
                at_ms: 5,
                invigilator: "inv-1".into(),
                text: "candidate 2026010009 fainted, taken out at 09:40".into(),
            }]),
            [att("inv-1", 10), att("inv-2", 11)],
            head,
        )
        .expect("valid seal");
        log.append(
            &EventKind::new("seal").expect("kind"),
            &seal.payload(),
            12,
            &keys,
        )
        .expect("sealed");
        drop(log);
        let file = read(&path).expect("read");
        let last: serde_json::Value =
            serde_json::from_slice(&file.rows[3].payload).expect("seal payload is JSON");
        assert_eq!(last["counts"]["absent"], 28);
        assert_eq!(last["report"]["kind"], "incidents");
        assert_eq!(last["chain_head"], crate::platform::keystore::hex(&head));
        assert!(verify_rows(file.rows, "K1", &keys.verifying_key()).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
