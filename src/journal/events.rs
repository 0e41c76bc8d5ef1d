//! Every kind of event the kiosk writes to its log, as one typed enum: the writer (the door
//! runner, the station, the invigilator actions) builds an [`Event`] and appends its
//! [`Event::kind`] and [`Event::payload`]; the reader (`kiosk::resume`, the office) gets it
//! back with [`Event::parse`]. An unknown kind or a payload that does not parse is an error
//! naming the event, never a silent skip.
//!
//! format-stable: the kind names and the payloads' field names are part of the signed log;
//! do not rename or reorder. Add kinds and optional fields only.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::actions::Resolution;
use super::seal::Seal;
use super::EventKind;
use crate::decision::{Decision, FaceEvidence, PassiveAuth, ReadBy};

/// Why an event cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// A kind this examgate does not write.
    #[error("unknown event kind {0:?}")]
    UnknownKind(String),
    /// The payload does not parse as its kind's.
    #[error("{kind} payload: {reason}")]
    Payload {
        /// The kind.
        kind: &'static str,
        /// The parser's words.
        reason: String,
    },
}

/// What the door notes in the log about its own course (no personal data; the detail is
/// words for the people who read the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorNote {
    /// A code was read from the camera that is not an admission ticket.
    TicketUnreadable,
    /// A waiting phase passed its deadline.
    DoorTimeout,
    /// A document read failed (the candidate may tap again).
    DocumentReadFailed,
    /// A document that leads to no roster entry of this room.
    DocumentNotInRoster,
    /// The candidate's document could not be had: they are referred.
    DocumentUnreadable,
    /// A device went away.
    DeviceLost,
    /// The devices are back.
    DeviceRecovered,
}

const DOOR_NOTES: [DoorNote; 7] = [
    DoorNote::TicketUnreadable,
    DoorNote::DoorTimeout,
    DoorNote::DocumentReadFailed,
    DoorNote::DocumentNotInRoster,
    DoorNote::DocumentUnreadable,
    DoorNote::DeviceLost,
    DoorNote::DeviceRecovered,
];

impl DoorNote {
    /// The event kind.
    pub fn as_str(self) -> &'static str {
        match self {
            DoorNote::TicketUnreadable => "ticket_unreadable",
            DoorNote::DoorTimeout => "door_timeout",
            DoorNote::DocumentReadFailed => "document_read_failed",
            DoorNote::DocumentNotInRoster => "document_not_in_roster",
            DoorNote::DocumentUnreadable => "document_unreadable",
            DoorNote::DeviceLost => "device_lost",
            DoorNote::DeviceRecovered => "device_recovered",
        }
    }
}

/// The kiosk started (or resumed) a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionOpened {
    /// Session id.
    pub session: String,
    /// Decisions of the session found in the log at the start (0 on a first start).
    #[serde(default)]
    pub resumed_decisions: usize,
}

/// An invigilator compared the kiosk's clock with the exam site's standard time: confirmed it
/// (offset zero, one invigilator) or entered a correction (two invigilators). From this event
/// on, the door decides, and the log is timed, with the corrected clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockConfirmed {
    /// Session id.
    pub session: String,
    /// The invigilator who compared the clock.
    pub invigilator: String,
    /// The second invigilator, for a correction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_invigilator: Option<String>,
    /// The kiosk's own clock when it was confirmed, ms since the epoch (uncorrected).
    pub kiosk_time_ms: i64,
    /// The correction added to the kiosk's clock (ms, within ±30 minutes).
    pub offset_ms: i64,
}

/// How the candidate's document was read, as logged (no number, no name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "document", rename_all = "snake_case")]
pub enum DocumentLogged {
    /// None presented (registered without one).
    NotPresented,
    /// Read, and by what: a chip with its passive authentication, or the certified
    /// resident-ID reader (no passive authentication exists for it).
    Read {
        /// What read it.
        read_by: ReadBy,
        /// Passive authentication (`not_applicable` for the certified reader).
        passive_auth: PassiveAuth,
    },
    /// A UID-only card.
    CardUid {
        /// Whether it is the roster's UID for the candidate.
        matches_roster: bool,
    },
    /// Could not be read.
    Unreadable {
        /// Why.
        why: String,
    },
}

/// A decision at the door: scores and reasons, never templates or names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionEvent {
    /// The candidate's ticket.
    pub ticket: String,
    /// `admit`, `refer` or `deny` (for people reading the log with a text tool).
    pub verdict: String,
    /// The decision.
    pub decision: Decision,
    /// The face scores, when a face was captured.
    pub face: Option<FaceEvidence>,
    /// How the document was read; absent for a ticket turned away before any document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentLogged>,
    /// The sealed live crop's SHA-256 (the evidence row beside the event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<String>,
    /// Why the crop could not be sealed, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_error: Option<String>,
}

impl DecisionEvent {
    /// The event for `decision` on `ticket`.
    pub fn new(
        ticket: &str,
        decision: &Decision,
        face: Option<FaceEvidence>,
        document: Option<DocumentLogged>,
    ) -> DecisionEvent {
        let verdict = match decision {
            Decision::Admit { .. } => "admit",
            Decision::Refer { .. } => "refer",
            Decision::Deny { .. } => "deny",
        };
        DecisionEvent {
            ticket: ticket.to_string(),
            verdict: verdict.to_string(),
            decision: decision.clone(),
            face,
            document,
            evidence_sha256: None,
            evidence_error: None,
        }
    }
}

/// An invigilator admitted a candidate by hand from the seat map (no referral was open):
/// ticket, registration photo and document compared on screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManualAdmission {
    /// The candidate's ticket.
    pub ticket: String,
    /// The seat.
    pub seat: u16,
    /// Reason code (snake_case, as in resolutions).
    pub reason: super::actions::ReasonCode,
    /// The invigilator.
    pub invigilator: String,
    /// The second invigilator (always needed: no face was checked by the kiosk).
    pub second_invigilator: String,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentEvent {
    /// Who recorded it.
    pub invigilator: String,
    /// Ticket concerned, if any.
    pub ticket: Option<String>,
    /// What happened.
    pub text: String,
}

/// One event of the kiosk's log.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `session_opened`.
    SessionOpened(SessionOpened),
    /// `decision`.
    Decision(Box<DecisionEvent>),
    /// `clock_confirmed`.
    ClockConfirmed(ClockConfirmed),
    /// `log_exported`: the log was exported to a file for the exam office. The next export
    /// carries this record, so the office knows of every export before it (a missing one
    /// is named).
    LogExported {
        /// The export's file name.
        file: String,
        /// Events in it (its trailer's count).
        events: u64,
    },
    /// `clock_checked`: the installer compared the kiosk's clock with a reference clock
    /// (`examgate doctor --confirm-clock`).
    ClockChecked {
        /// Who compared it.
        by: String,
        /// The kiosk's clock then, ms since the epoch.
        kiosk_time_ms: i64,
    },
    /// `paper_checked`: the admitted candidate's own answer sheet was scanned.
    PaperChecked {
        /// Ticket.
        ticket: String,
        /// Always true (a wrong sheet is a decision: a referral).
        matches: bool,
    },
    /// One of the door's notes (`door_timeout`, `device_lost`, …) with its words.
    Door {
        /// Which.
        note: DoorNote,
        /// What happened, in words.
        detail: String,
    },
    /// `invigilator_unlock`.
    Unlock {
        /// Who.
        invigilator: String,
    },
    /// `invigilator_pin_rejected` (the PIN itself is never logged).
    PinRejected {
        /// Who it was tried for.
        invigilator: String,
        /// Tries left before a lockout.
        tries_left: u32,
    },
    /// `invigilator_locked_out`.
    LockedOut {
        /// Who.
        invigilator: String,
        /// Until when, ms since the epoch.
        until_ms: i64,
    },
    /// `referral_resolved`.
    Resolved(Resolution),
    /// `manual_admission`.
    ManualAdmission(ManualAdmission),
    /// `incident`.
    Incident(IncidentEvent),
    /// `seal`.
    Seal(Seal),
    /// `worker_fault`: a stage of the door's work panicked and was isolated.
    WorkerFault {
        /// Which stage (`qr`, `door`).
        stage: String,
        /// The panic's message.
        message: String,
    },
}

#[derive(Serialize, Deserialize)]
struct FaultPayload {
    stage: String,
    message: String,
}

#[derive(Serialize, Deserialize)]
struct Detail {
    detail: String,
}

#[derive(Serialize, Deserialize)]
struct Paper {
    ticket: String,
    matches: bool,
}

#[derive(Serialize, Deserialize)]
struct Exported {
    file: String,
    events: u64,
}

#[derive(Serialize, Deserialize)]
struct Checked {
    by: String,
    kiosk_time_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct Who {
    invigilator: String,
}

#[derive(Serialize, Deserialize)]
struct Rejected {
    invigilator: String,
    tries_left: u32,
}

#[derive(Serialize, Deserialize)]
struct Locked {
    invigilator: String,
    until_ms: i64,
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("event payloads are plain data and always serialize")
}

fn from<T: DeserializeOwned>(kind: &'static str, payload: &[u8]) -> Result<T, EventError> {
    serde_json::from_slice(payload).map_err(|e| EventError::Payload {
        kind,
        reason: e.to_string(),
    })
}

impl Event {
    /// The kind's name.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Event::SessionOpened(_) => "session_opened",
            Event::Decision(_) => "decision",
            Event::ClockConfirmed(_) => "clock_confirmed",
            Event::ClockChecked { .. } => "clock_checked",
            Event::LogExported { .. } => "log_exported",
            Event::PaperChecked { .. } => "paper_checked",
            Event::Door { note, .. } => note.as_str(),
            Event::Unlock { .. } => "invigilator_unlock",
            Event::PinRejected { .. } => "invigilator_pin_rejected",
            Event::LockedOut { .. } => "invigilator_locked_out",
            Event::Resolved(_) => "referral_resolved",
            Event::ManualAdmission(_) => "manual_admission",
            Event::Incident(_) => "incident",
            Event::Seal(_) => "seal",
            Event::WorkerFault { .. } => "worker_fault",
        }
    }

    /// The event kind as the log stores it.
    pub fn kind(&self) -> EventKind {
        EventKind::new(self.kind_name()).expect("fixed event kinds are valid")
    }

    /// The canonical payload.
    pub fn payload(&self) -> Vec<u8> {
        match self {
            Event::SessionOpened(s) => json(s),
            Event::Decision(d) => json(d),
            Event::ClockConfirmed(c) => json(c),
            Event::LogExported { file, events } => json(&Exported {
                file: file.clone(),
                events: *events,
            }),
            Event::ClockChecked { by, kiosk_time_ms } => json(&Checked {
                by: by.clone(),
                kiosk_time_ms: *kiosk_time_ms,
            }),
            Event::PaperChecked { ticket, matches } => json(&Paper {
                ticket: ticket.clone(),
                matches: *matches,
            }),
            Event::Door { detail, .. } => json(&Detail {
                detail: detail.clone(),
            }),
            Event::Unlock { invigilator } => json(&Who {
                invigilator: invigilator.clone(),
            }),
            Event::PinRejected {
                invigilator,
                tries_left,
            } => json(&Rejected {
                invigilator: invigilator.clone(),
                tries_left: *tries_left,
            }),
            Event::LockedOut {
                invigilator,
                until_ms,
            } => json(&Locked {
                invigilator: invigilator.clone(),
                until_ms: *until_ms,
            }),
            Event::Resolved(r) => json(r),
            Event::ManualAdmission(m) => json(m),
            Event::Incident(i) => json(i),
            Event::Seal(s) => s.payload(),
            Event::WorkerFault { stage, message } => json(&FaultPayload {
                stage: stage.clone(),
                message: message.clone(),
            }),
        }
    }

    /// The event stored as `kind` with `payload`.
    pub fn parse(kind: &str, payload: &[u8]) -> Result<Event, EventError> {
        if let Some(note) = DOOR_NOTES.iter().find(|n| n.as_str() == kind) {
            let d: Detail = from(note.as_str(), payload)?;
            return Ok(Event::Door {
                note: *note,
                detail: d.detail,
            });
        }
        Ok(match kind {
            "session_opened" => Event::SessionOpened(from("session_opened", payload)?),
            "decision" => Event::Decision(Box::new(from("decision", payload)?)),
            "clock_confirmed" => Event::ClockConfirmed(from("clock_confirmed", payload)?),
            "log_exported" => {
                let e: Exported = from("log_exported", payload)?;
                Event::LogExported {
                    file: e.file,
                    events: e.events,
                }
            }
            "clock_checked" => {
                let c: Checked = from("clock_checked", payload)?;
                Event::ClockChecked {
                    by: c.by,
                    kiosk_time_ms: c.kiosk_time_ms,
                }
            }
            "paper_checked" => {
                let p: Paper = from("paper_checked", payload)?;
                Event::PaperChecked {
                    ticket: p.ticket,
                    matches: p.matches,
                }
            }
            "invigilator_unlock" => {
                let w: Who = from("invigilator_unlock", payload)?;
                Event::Unlock {
                    invigilator: w.invigilator,
                }
            }
            "invigilator_pin_rejected" => {
                let r: Rejected = from("invigilator_pin_rejected", payload)?;
                Event::PinRejected {
                    invigilator: r.invigilator,
                    tries_left: r.tries_left,
                }
            }
            "invigilator_locked_out" => {
                let l: Locked = from("invigilator_locked_out", payload)?;
                Event::LockedOut {
                    invigilator: l.invigilator,
                    until_ms: l.until_ms,
                }
            }
            "referral_resolved" => Event::Resolved(from("referral_resolved", payload)?),
            "manual_admission" => Event::ManualAdmission(from("manual_admission", payload)?),
            "incident" => Event::Incident(from("incident", payload)?),
            "seal" => Event::Seal(from("seal", payload)?),
            "worker_fault" => {
                let f: FaultPayload = from("worker_fault", payload)?;
                Event::WorkerFault {
                    stage: f.stage,
                    message: f.message,
                }
            }
            other => return Err(EventError::UnknownKind(other.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{ReferReason, TicketNumber};
    use crate::journal::actions::{ReasonCode, Verdict};
    use crate::journal::seal::{Attestation, Counts, Report};

    fn every_kind() -> Vec<Event> {
        let mut events = vec![
            Event::SessionOpened(SessionOpened {
                session: "chinese".into(),
                resumed_decisions: 3,
            }),
            Event::Decision(Box::new(DecisionEvent::new(
                "2027010001",
                &Decision::Refer {
                    reasons: vec![
                        ReferReason::LivenessLow {
                            score: 0.25,
                            threshold: 0.5,
                        },
                        ReferReason::PaperMismatch {
                            ticket: TicketNumber("2027010009".into()),
                            session: crate::decision::SessionId("chinese".into()),
                        },
                        ReferReason::DocumentUnreadable {
                            why: "bridge died".into(),
                        },
                    ],
                },
                Some(FaceEvidence::Captured {
                    liveness: 0.25,
                    registration_score: 0.5,
                    portrait_score: None,
                }),
                Some(DocumentLogged::Read {
                    read_by: ReadBy::CertifiedReader,
                    passive_auth: PassiveAuth::NotApplicable,
                }),
            ))),
            Event::Decision(Box::new(DecisionEvent::new(
                "2027010002",
                &Decision::Admit { seat: 4 },
                None,
                Some(DocumentLogged::Unreadable { why: "x".into() }),
            ))),
            Event::PaperChecked {
                ticket: "2027010001".into(),
                matches: true,
            },
            Event::ClockConfirmed(ClockConfirmed {
                session: "chinese".into(),
                invigilator: "T001".into(),
                second_invigilator: Some("T002".into()),
                kiosk_time_ms: 1_781_222_400_000,
                offset_ms: -90_000,
            }),
            Event::LogExported {
                file: "K-S01-R101-chinese-20270612T113000.examgate-log".into(),
                events: 41,
            },
            Event::ClockChecked {
                by: "installer Wang".into(),
                kiosk_time_ms: 1_781_222_400_000,
            },
            Event::ClockConfirmed(ClockConfirmed {
                session: "chinese".into(),
                invigilator: "T001".into(),
                second_invigilator: None,
                kiosk_time_ms: 1_781_222_400_000,
                offset_ms: 0,
            }),
            Event::Unlock {
                invigilator: "T001".into(),
            },
            Event::PinRejected {
                invigilator: "T001".into(),
                tries_left: 2,
            },
            Event::LockedOut {
                invigilator: "T001".into(),
                until_ms: 99,
            },
            Event::Resolved(
                Resolution::new(
                    "2027010001",
                    7,
                    Verdict::Admit { seat: 3 },
                    ReasonCode::IdentityConfirmedByHand,
                    "T001",
                    Some("T002"),
                    true,
                )
                .expect("valid"),
            ),
            Event::ManualAdmission(ManualAdmission {
                ticket: "2027010003".into(),
                seat: 5,
                reason: ReasonCode::DocumentUnreadable,
                invigilator: "T001".into(),
                second_invigilator: "T002".into(),
            }),
            Event::Incident(IncidentEvent {
                invigilator: "T001".into(),
                ticket: None,
                text: "noise".into(),
            }),
            Event::Seal(
                Seal::new(
                    "chinese",
                    Counts::new(30, 2, 1, 0),
                    Report::Zero,
                    [
                        Attestation {
                            invigilator: "T001".into(),
                            at_ms: 1,
                        },
                        Attestation {
                            invigilator: "T002".into(),
                            at_ms: 2,
                        },
                    ],
                    [7; 32],
                )
                .expect("valid"),
            ),
        ];
        events.push(Event::WorkerFault {
            stage: "qr".into(),
            message: "assertion failed".into(),
        });
        events.extend(DOOR_NOTES.iter().map(|n| Event::Door {
            note: *n,
            detail: "words".into(),
        }));
        events
    }

    #[test]
    fn r11_every_kind_round_trips_through_its_stored_form() {
        for event in every_kind() {
            let kind = event.kind();
            let back = Event::parse(kind.as_str(), &event.payload())
                .unwrap_or_else(|e| panic!("{}: {e}", kind.as_str()));
            assert_eq!(back, event, "{}", kind.as_str());
        }
    }

    #[test]
    fn r11_an_unknown_kind_or_a_bad_payload_is_an_error() {
        assert_eq!(
            Event::parse("teleport", b"{}"),
            Err(EventError::UnknownKind("teleport".into()))
        );
        assert!(matches!(
            Event::parse("decision", br#"{"ticket":"A"}"#),
            Err(EventError::Payload {
                kind: "decision",
                ..
            })
        ));
    }
}
