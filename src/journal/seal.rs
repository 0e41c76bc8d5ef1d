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
        })
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
