//! A kiosk restarted in the middle of a session (power cut, crash) must not forget who is
//! already seated: a second entry on the same ticket would be admitted again. The log has
//! everything: `replay` rebuilds the session's decisions, admissions, open referrals,
//! incidents and seal from its events. Events belong to the session named by the most recent
//! `session_opened` before them, so the log of a kiosk that served yesterday's session does
//! not leak into today's.

use std::collections::HashMap;

use super::runner::Referral;
use super::tally::Tally;
use super::time_check::ClockOffset;
use crate::decision::{FaceEvidence, TicketNumber};
use crate::journal::actions::Verdict;
use crate::journal::events::{DecisionEvent, Event, EventError};
use crate::journal::seal::{Incident, SealCode};
use crate::journal::StoredRow;

/// Kind of the event a kiosk logs when it starts a session.
pub const SESSION_OPENED: &str = "session_opened";

/// An event of the kiosk's own log that cannot be read back: the kiosk does not start on a
/// log it does not understand (it would forget who is seated).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} ({kind}) cannot be read back: {source}")]
pub struct ReplayError {
    /// Its sequence number.
    pub seq: u64,
    /// Its kind as stored.
    pub kind: String,
    /// What is wrong.
    pub source: EventError,
}

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
    /// The seal's code (what the invigilators copied onto the paper record), once sealed.
    pub seal_code: Option<SealCode>,
    /// The clock correction confirmed for the session (the last one logged), if any.
    pub clock: Option<ClockOffset>,
    /// Wrong PINs per invigilator since their last unlock (count, time of the last), from
    /// the whole log: a restart must not lift a lockout.
    pub wrong_pins: HashMap<String, (u32, i64)>,
}

/// The state of `session` from this kiosk's `rows` (in sequence order).
pub fn replay(rows: &[StoredRow], session: &str) -> Result<Replayed, ReplayError> {
    let mut out = Replayed::default();
    let mut current: Option<String> = None;
    for row in rows {
        let seq = u64::try_from(row.seq).unwrap_or_default();
        let event = Event::parse(&row.kind, &row.payload).map_err(|source| ReplayError {
            seq,
            kind: row.kind.clone(),
            source,
        })?;
        // PIN counts span sessions: a lockout holds whatever session is open.
        match &event {
            Event::Unlock { invigilator } => {
                out.wrong_pins.remove(invigilator);
            }
            Event::PinRejected { invigilator, .. } => {
                let e = out.wrong_pins.entry(invigilator.clone()).or_insert((0, 0));
                *e = (e.0 + 1, row.at_ms);
            }
            // A second invigilator's accepted PIN is recorded in the resolution, admission
            // or seal it allowed, not as an unlock; it clears their count all the same.
            Event::Resolved(r) => {
                if let Some(who) = &r.second_invigilator {
                    out.wrong_pins.remove(who);
                }
            }
            Event::ManualAdmission(m) => {
                out.wrong_pins.remove(&m.second_invigilator);
            }
            Event::Seal(s) => {
                for a in &s.attestations {
                    out.wrong_pins.remove(&a.invigilator);
                }
            }
            _ => {}
        }
        if let Event::SessionOpened(o) = &event {
            current = Some(o.session.clone());
            continue;
        }
        if current.as_deref() != Some(session) {
            continue;
        }
        match event {
            Event::Decision(d) => decided(&mut out, seq, *d),
            Event::Resolved(r) => {
                let seat = match r.verdict {
                    Verdict::Admit { seat } => Some(seat),
                    Verdict::Deny => None,
                };
                out.tally.resolved(&TicketNumber(r.ticket), seat);
            }
            Event::ManualAdmission(m) => {
                out.tally.resolved(&TicketNumber(m.ticket), Some(m.seat));
            }
            // A logged correction was within bounds when it was made; one that is not (a log
            // this kiosk did not write) is not applied, and the clock asks again.
            Event::ClockConfirmed(c) => out.clock = ClockOffset::new(c.offset_ms).ok(),
            Event::Incident(i) => out.incidents.push(Incident {
                at_ms: row.at_ms,
                invigilator: i.invigilator,
                text: i.text,
            }),
            Event::Seal(_) => {
                out.sealed = true;
                let hash = <[u8; 32]>::try_from(row.hash.as_slice()).unwrap_or([0; 32]);
                out.seal_code = Some(SealCode::new(seq, &hash));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn decided(out: &mut Replayed, seq: u64, d: DecisionEvent) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Decision, ReferReason};
    use crate::journal::actions::{Action, ReasonCode, Resolution};
    use crate::journal::events::SessionOpened;
    use crate::journal::seal::{Attestation, Counts, Report, Seal};

    fn row(seq: i64, event: Event) -> StoredRow {
        StoredRow {
            kiosk_id: "K".into(),
            seq,
            at_ms: seq * 1000,
            kind: event.kind_name().into(),
            payload: event.payload(),
            prev_hash: vec![],
            hash: vec![],
            signature: vec![],
        }
    }

    fn opened(seq: i64, session: &str) -> StoredRow {
        row(
            seq,
            Event::SessionOpened(SessionOpened {
                session: session.into(),
                resumed_decisions: 0,
            }),
        )
    }

    fn decision(seq: i64, ticket: &str, d: &Decision) -> StoredRow {
        row(
            seq,
            Event::Decision(Box::new(DecisionEvent::new(ticket, d, None, None))),
        )
    }

    fn resolved(seq: i64, ticket: &str, verdict: Verdict, second: Option<&str>) -> StoredRow {
        let reason = match verdict {
            Verdict::Admit { .. } => ReasonCode::IdentityConfirmedByHand,
            Verdict::Deny => ReasonCode::Impersonation,
        };
        let r = Resolution::new(ticket, 3, verdict, reason, "T1", second, false).expect("valid");
        row(seq, Event::Resolved(r))
    }

    fn seal(seq: i64, session: &str, second: &str) -> StoredRow {
        let at = |who: &str| Attestation {
            invigilator: who.into(),
            at_ms: 1,
        };
        let s = Seal::new(
            session,
            Counts::new(3, 1, 0, 0),
            Report::Zero,
            [at("T9"), at(second)],
            [0; 32],
        )
        .expect("valid");
        row(seq, Event::Seal(s))
    }

    fn t(s: &str) -> TicketNumber {
        TicketNumber(s.into())
    }

    fn refer(reason: ReferReason) -> Decision {
        Decision::Refer {
            reasons: vec![reason],
        }
    }

    fn clock(seq: i64, session: &str, offset_ms: i64) -> StoredRow {
        row(
            seq,
            Event::ClockConfirmed(crate::journal::events::ClockConfirmed {
                session: session.into(),
                invigilator: "T1".into(),
                second_invigilator: Some("T2".into()),
                kiosk_time_ms: 5,
                offset_ms,
            }),
        )
    }

    #[test]
    fn r16_the_session_s_clock_correction_comes_back_and_no_other_s() {
        let rows = [
            opened(1, "maths"),
            clock(2, "maths", 120_000),
            opened(3, "chinese"),
            clock(4, "chinese", -60_000),
            clock(5, "chinese", 30_000),
        ];
        let offset = |session: &str| replay(&rows, session).expect("replays").clock;
        assert_eq!(
            offset("chinese").map(ClockOffset::ms),
            Some(30_000),
            "the last"
        );
        assert_eq!(offset("maths").map(ClockOffset::ms), Some(120_000));
        assert_eq!(offset("english"), None);
        let forged = [opened(1, "maths"), clock(2, "maths", 3_600_000)];
        assert_eq!(replay(&forged, "maths").expect("replays").clock, None);
    }

    #[test]
    fn admissions_referrals_and_resolutions_come_back() {
        let rows = [
            opened(1, "maths"),
            decision(2, "A", &Decision::Admit { seat: 3 }),
            decision(3, "B", &refer(ReferReason::NameMismatch)),
            decision(4, "A", &refer(ReferReason::AlreadyAdmitted)),
            resolved(5, "B", Verdict::Admit { seat: 4 }, None),
            row(
                6,
                Action::incident("T1", None, "noise")
                    .expect("valid")
                    .event(),
            ),
        ];
        let r = replay(&rows, "maths").expect("replays");
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
    }

    #[test]
    fn a_wrong_answer_sheet_unseats_and_a_seal_is_kept() {
        let paper = refer(ReferReason::PaperMismatch {
            ticket: t("Z"),
            session: crate::decision::SessionId("maths".into()),
        });
        let mut rows = [
            opened(1, "maths"),
            decision(2, "A", &Decision::Admit { seat: 3 }),
            decision(3, "A", &paper),
            seal(4, "maths", "T2"),
        ];
        rows[3].hash = vec![0xA7; 32];
        let r = replay(&rows, "maths").expect("replays");
        assert!(r.tally.admitted.is_empty());
        assert!(r.sealed);
        // r12: a restarted kiosk shows the same seal code the invigilators copied.
        assert_eq!(r.seal_code, Some(SealCode::new(4, &[0xA7; 32])));
    }

    #[test]
    fn only_the_named_session_counts() {
        let rows = [
            decision(1, "OLD", &Decision::Admit { seat: 9 }), // before any session_opened
            opened(2, "chinese"),
            decision(3, "A", &Decision::Admit { seat: 1 }),
            seal(4, "chinese", "T2"),
            opened(5, "maths"),
            decision(6, "B", &Decision::Admit { seat: 2 }),
            opened(7, "chinese"),
            decision(8, "C", &Decision::Admit { seat: 5 }),
        ];
        let maths = replay(&rows, "maths").expect("replays");
        assert_eq!(maths.tally.admitted, HashMap::from([(t("B"), 2)]));
        assert!(!maths.sealed);
        let chinese = replay(&rows, "chinese").expect("replays");
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
                Event::PinRejected {
                    invigilator: who.into(),
                    tries_left: 1,
                },
            )
        };
        let rows = [
            rejected(1, "T1"),
            row(
                2,
                Event::Unlock {
                    invigilator: "T1".into(),
                },
            ),
            rejected(3, "T1"),
            opened(4, "maths"),
            rejected(5, "T1"),
            rejected(6, "T2"),
            rejected(7, "T3"),
            rejected(8, "T4"),
            resolved(9, "A", Verdict::Deny, Some("T3")),
            seal(10, "maths", "T4"),
        ];
        let r = replay(&rows, "maths").expect("replays");
        assert_eq!(
            r.wrong_pins,
            HashMap::from([("T1".to_string(), (2, 5000)), ("T2".to_string(), (1, 6000))])
        );
    }

    #[test]
    fn r11_an_unknown_kind_or_an_unreadable_event_stops_the_replay_naming_it() {
        let mut bad = decision(2, "A", &Decision::Admit { seat: 3 });
        bad.payload = br#"{"ticket":"A","verdict":"admit","detail":"Admit { seat: 3 }"}"#.to_vec();
        let err = replay(&[opened(1, "maths"), bad], "maths").expect_err("unreadable");
        assert_eq!(err.seq, 2);
        assert!(err.to_string().contains("event 2 (decision)"), "{err}");
        let mut unknown = opened(3, "maths");
        unknown.kind = "teleport".into();
        let err = replay(&[opened(1, "maths"), unknown], "maths").expect_err("unknown");
        assert_eq!(err.source, EventError::UnknownKind("teleport".into()));
    }
}
