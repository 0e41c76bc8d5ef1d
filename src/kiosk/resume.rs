//! A kiosk restarted in the middle of a session (power cut, crash) must not forget who is
//! already seated: a second entry on the same ticket would be admitted again. The log has
//! everything: `replay` rebuilds the session's decisions, admissions, open referrals,
//! incidents and seal from its events. Events belong to the session named by the most recent
//! `session_opened` before them, so the log of a kiosk that served yesterday's session does
//! not leak into today's.

use std::collections::HashMap;

use serde::Deserialize;

use super::runner::Referral;
use super::tally::Tally;
use crate::decision::{Decision, FaceEvidence, TicketNumber};
use crate::journal::seal::Incident;
use crate::journal::StoredRow;

/// Kind of the event a kiosk logs when it starts a session.
pub const SESSION_OPENED: &str = "session_opened";

/// The state of one session as its log left it.
#[derive(Debug, Default)]
pub struct Replayed {
    /// Decisions, seats, outcomes and open referrals (a replayed referral has no portrait
    /// or live crop: the crop is sealed to the office, the portrait never logged).
    pub tally: Tally,
    /// Incidents recorded.
    pub incidents: Vec<Incident>,
    /// Whether the session was sealed.
    pub sealed: bool,
    /// Wrong PINs per invigilator since their last unlock (count, time of the last), from
    /// the whole log: a restart must not lift a lockout.
    pub wrong_pins: HashMap<String, (u32, i64)>,
    /// Events of the session that could not be read back (named by sequence number).
    pub unreadable: Vec<u64>,
}

#[derive(Deserialize)]
struct Opened {
    session: String,
}

#[derive(Deserialize)]
struct Decided {
    ticket: String,
    decision: Decision,
    face: Option<FaceEvidence>,
}

#[derive(Deserialize)]
struct Resolved {
    ticket: String,
    verdict: String,
    seat: Option<u16>,
}

#[derive(Deserialize)]
struct Who {
    invigilator: String,
}

#[derive(Deserialize)]
struct Accepted {
    #[serde(default)]
    second_invigilator: Option<String>,
    #[serde(default)]
    attestations: Vec<Who>,
}

#[derive(Deserialize)]
struct Noted {
    invigilator: String,
    text: String,
}

/// The state of `session` from this kiosk's `rows` (in sequence order).
pub fn replay(rows: &[StoredRow], session: &str) -> Replayed {
    let mut out = Replayed::default();
    let mut current: Option<String> = None;
    for row in rows {
        let seq = u64::try_from(row.seq).unwrap_or_default();
        match row.kind.as_str() {
            "invigilator_pin_rejected" | "invigilator_unlock" => {
                match serde_json::from_slice::<Who>(&row.payload) {
                    Ok(w) if row.kind == "invigilator_unlock" => {
                        out.wrong_pins.remove(&w.invigilator);
                    }
                    Ok(w) => {
                        let e = out.wrong_pins.entry(w.invigilator).or_insert((0, 0));
                        *e = (e.0 + 1, row.at_ms);
                    }
                    Err(_) => out.unreadable.push(seq),
                }
                continue;
            }
            // A second invigilator's accepted PIN is recorded in the resolution or the seal
            // it allowed, not as an unlock; it clears their count all the same.
            "referral_resolved" | "seal" => {
                if let Ok(p) = serde_json::from_slice::<Accepted>(&row.payload) {
                    let people = p.second_invigilator.into_iter();
                    for who in people.chain(p.attestations.into_iter().map(|a| a.invigilator)) {
                        out.wrong_pins.remove(&who);
                    }
                }
            }
            _ => {}
        }
        if row.kind == SESSION_OPENED {
            match serde_json::from_slice::<Opened>(&row.payload) {
                Ok(o) => current = Some(o.session),
                Err(_) => out.unreadable.push(seq),
            }
            continue;
        }
        if current.as_deref() != Some(session) {
            continue;
        }
        let read = match row.kind.as_str() {
            "decision" => {
                serde_json::from_slice::<Decided>(&row.payload).map(|d| decided(&mut out, seq, d))
            }
            "referral_resolved" => {
                serde_json::from_slice::<Resolved>(&row.payload).map(|r| resolved(&mut out, r))
            }
            "incident" => serde_json::from_slice::<Noted>(&row.payload).map(|n| {
                out.incidents.push(Incident {
                    at_ms: row.at_ms,
                    invigilator: n.invigilator,
                    text: n.text,
                })
            }),
            "seal" => {
                out.sealed = true;
                Ok(())
            }
            _ => Ok(()),
        };
        if read.is_err() {
            out.unreadable.push(seq);
        }
    }
    out
}

fn decided(out: &mut Replayed, seq: u64, d: Decided) {
    let ticket = TicketNumber(d.ticket);
    let face = d.face.unwrap_or(FaceEvidence::NoUsableFace { tries: 0 });
    out.tally.decided(&ticket, &d.decision, |reasons| Referral {
        ticket: ticket.clone(),
        seq,
        reasons,
        face,
        portrait: None,
        live_jpeg: None,
    });
}

fn resolved(out: &mut Replayed, r: Resolved) {
    let seat = r.seat.filter(|_| r.verdict == "admit");
    out.tally.resolved(&TicketNumber(r.ticket), seat);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::ReferReason;
    use serde_json::json;

    fn row(seq: i64, kind: &str, payload: serde_json::Value) -> StoredRow {
        StoredRow {
            kiosk_id: "K".into(),
            seq,
            at_ms: seq * 1000,
            kind: kind.into(),
            payload: serde_json::to_vec(&payload).expect("json"),
            prev_hash: vec![],
            hash: vec![],
            signature: vec![],
        }
    }

    fn decision(seq: i64, ticket: &str, d: &Decision) -> StoredRow {
        row(
            seq,
            "decision",
            json!({ "ticket": ticket, "verdict": "x", "decision": d, "face": null }),
        )
    }

    fn t(s: &str) -> TicketNumber {
        TicketNumber(s.into())
    }

    fn refer(reason: ReferReason) -> Decision {
        Decision::Refer {
            reasons: vec![reason],
        }
    }

    #[test]
    fn admissions_referrals_and_resolutions_come_back() {
        let rows = [
            row(1, SESSION_OPENED, json!({ "session": "maths" })),
            decision(2, "A", &Decision::Admit { seat: 3 }),
            decision(3, "B", &refer(ReferReason::NameMismatch)),
            decision(4, "A", &refer(ReferReason::AlreadyAdmitted)),
            row(
                5,
                "referral_resolved",
                json!({ "ticket": "B", "referral_seq": 3, "verdict": "admit", "seat": 4, "reason": "x", "invigilator": "T1" }),
            ),
            row(
                6,
                "incident",
                json!({ "invigilator": "T1", "ticket": null, "text": "noise" }),
            ),
        ];
        let r = replay(&rows, "maths");
        assert_eq!(r.tally.admitted, HashMap::from([(t("A"), 3), (t("B"), 4)]));
        assert_eq!(r.tally.decisions.len(), 3);
        assert_eq!(r.tally.referrals.len(), 1, "A's duplicate is still open");
        assert_eq!(r.tally.referrals[0].ticket, t("A"));
        assert_eq!(r.tally.referrals[0].seq, 4);
        assert_eq!(
            r.tally.outcomes.get(&t("B")),
            Some(&Decision::Admit { seat: 4 })
        );
        assert_eq!(r.incidents.len(), 1);
        assert_eq!(r.incidents[0].at_ms, 6000);
        assert!(!r.sealed);
        assert!(r.unreadable.is_empty());
    }

    #[test]
    fn a_wrong_answer_sheet_unseats_and_a_seal_is_kept() {
        let paper = refer(ReferReason::PaperMismatch {
            ticket: t("Z"),
            session: crate::decision::SessionId("maths".into()),
        });
        let rows = [
            row(1, SESSION_OPENED, json!({ "session": "maths" })),
            decision(2, "A", &Decision::Admit { seat: 3 }),
            decision(3, "A", &paper),
            row(4, "seal", json!({ "session": "maths" })),
        ];
        let r = replay(&rows, "maths");
        assert!(r.tally.admitted.is_empty());
        assert!(r.sealed);
    }

    #[test]
    fn only_the_named_session_counts() {
        let rows = [
            decision(1, "OLD", &Decision::Admit { seat: 9 }), // before any session_opened
            row(2, SESSION_OPENED, json!({ "session": "chinese" })),
            decision(3, "A", &Decision::Admit { seat: 1 }),
            row(4, "seal", json!({ "session": "chinese" })),
            row(5, SESSION_OPENED, json!({ "session": "maths" })),
            decision(6, "B", &Decision::Admit { seat: 2 }),
            row(7, SESSION_OPENED, json!({ "session": "chinese" })),
            decision(8, "C", &Decision::Admit { seat: 5 }),
        ];
        let maths = replay(&rows, "maths");
        assert_eq!(maths.tally.admitted, HashMap::from([(t("B"), 2)]));
        assert!(!maths.sealed);
        let chinese = replay(&rows, "chinese");
        assert_eq!(
            chinese.tally.admitted,
            HashMap::from([(t("A"), 1), (t("C"), 5)])
        );
        assert!(chinese.sealed);
    }

    #[test]
    fn wrong_pins_count_across_sessions_until_an_unlock() {
        let rejected = |seq, who: &str| {
            row(
                seq,
                "invigilator_pin_rejected",
                json!({ "invigilator": who, "tries_left": 1 }),
            )
        };
        let rows = [
            rejected(1, "T1"),
            row(2, "invigilator_unlock", json!({ "invigilator": "T1" })),
            rejected(3, "T1"),
            row(4, SESSION_OPENED, json!({ "session": "maths" })),
            rejected(5, "T1"),
            rejected(6, "T2"),
            rejected(7, "T3"),
            rejected(8, "T4"),
            row(
                9,
                "referral_resolved",
                json!({ "ticket": "A", "verdict": "deny", "reason": "x", "invigilator": "T1", "second_invigilator": "T3" }),
            ),
            row(
                10,
                "seal",
                json!({ "session": "maths", "attestations": [{ "invigilator": "T4", "at_ms": 1 }] }),
            ),
        ];
        let r = replay(&rows, "maths");
        assert_eq!(
            r.wrong_pins,
            HashMap::from([("T1".to_string(), (2, 5000)), ("T2".to_string(), (1, 6000))])
        );
    }

    #[test]
    fn unreadable_events_are_named_not_fatal() {
        let rows = [
            row(1, SESSION_OPENED, json!({ "session": "maths" })),
            row(
                2,
                "decision",
                json!({ "ticket": "A", "verdict": "admit", "detail": "Admit { seat: 3 }" }),
            ),
            decision(3, "B", &Decision::Admit { seat: 4 }),
        ];
        let r = replay(&rows, "maths");
        assert_eq!(r.unreadable, vec![2]);
        assert_eq!(r.tally.admitted, HashMap::from([(t("B"), 4)]));
    }
}
