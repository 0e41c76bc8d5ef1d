//! Invigilator actions as log events (`docs/design.md`, "The log"): unlocking the kiosk, a
//! refused PIN, resolving a referral with a reason code, recording an incident, sealing the
//! session. Every action names the invigilator it is attributed to; the kiosk appends it
//! only after that invigilator's PIN was accepted at the gate.
//!
//! The one rule checked here: admitting a candidate over a high-severity reason, a missing
//! face or low liveness needs a second, different invigilator ([`Resolution::new`]).
//!
//! format-stable: the serialized field names and reason codes are part of the log; do not
//! rename or reorder.

use serde::{Deserialize, Serialize};

use super::events::{Event, IncidentEvent};
use super::seal::Seal;
use super::EventKind;
use crate::invigilator::Attempt;

/// Why an invigilator admitted or denied a referred candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Ticket, document and registration photo compared by hand: same person.
    IdentityConfirmedByHand,
    /// The registration photo is old; the person was confirmed by the document.
    RegistrationPhotoOutdated,
    /// The document could not be read; the person was confirmed otherwise.
    DocumentUnreadable,
    /// A camera, reader or model failure; identity confirmed by hand.
    TechnicalFailure,
    /// The earlier admission of this ticket was a kiosk error (a repeated tap).
    DuplicateWasKioskError,
    /// Identity could not be confirmed.
    IdentityNotConfirmed,
    /// Another person presented this ticket.
    Impersonation,
    /// The candidate refused the checks.
    RefusedChecks,
}

impl ReasonCode {
    /// Whether the code can justify admitting (the others justify denying).
    pub fn admits(self) -> bool {
        matches!(
            self,
            ReasonCode::IdentityConfirmedByHand
                | ReasonCode::RegistrationPhotoOutdated
                | ReasonCode::DocumentUnreadable
                | ReasonCode::TechnicalFailure
                | ReasonCode::DuplicateWasKioskError
        )
    }
}

/// The invigilator's verdict on a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Admit to this seat.
    Admit {
        /// Seat number.
        seat: u16,
    },
    /// Turn away.
    Deny,
}

/// Why an action cannot be recorded as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// Admitting over a reason that needs two people, with one.
    #[error("admitting ticket {ticket} over this referral needs a second invigilator's PIN")]
    SecondInvigilatorNeeded {
        /// Ticket.
        ticket: String,
    },
    /// The same person as both invigilators.
    #[error("{0} cannot be both first and second invigilator")]
    SameInvigilator(String),
    /// A reason code that does not fit the verdict.
    #[error("reason {reason:?} cannot justify {verdict}")]
    ReasonDoesNotFit {
        /// The code.
        reason: ReasonCode,
        /// `admit` or `deny`.
        verdict: &'static str,
    },
    /// An incident without words.
    #[error("an incident needs a description")]
    EmptyIncident,
}

/// A resolved referral, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// Ticket of the referred candidate.
    pub ticket: String,
    /// Sequence number of the referral event this resolves.
    pub referral_seq: u64,
    /// Admit or deny.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Why.
    pub reason: ReasonCode,
    /// The invigilator who resolved it.
    pub invigilator: String,
    /// The second invigilator, when one was needed or present.
    pub second_invigilator: Option<String>,
}

impl Resolution {
    /// A resolution; `needs_second` says whether the referral's reasons need two people to
    /// admit over ([`crate::decision::ReferReason::needs_second_invigilator`]).
    pub fn new(
        ticket: &str,
        referral_seq: u64,
        verdict: Verdict,
        reason: ReasonCode,
        invigilator: &str,
        second: Option<&str>,
        needs_second: bool,
    ) -> Result<Resolution, ActionError> {
        let admitting = matches!(verdict, Verdict::Admit { .. });
        if admitting != reason.admits() {
            return Err(ActionError::ReasonDoesNotFit {
                reason,
                verdict: if admitting { "admit" } else { "deny" },
            });
        }
        if second == Some(invigilator) {
            return Err(ActionError::SameInvigilator(invigilator.to_string()));
        }
        if admitting && needs_second && second.is_none() {
            return Err(ActionError::SecondInvigilatorNeeded {
                ticket: ticket.to_string(),
            });
        }
        Ok(Resolution {
            ticket: ticket.to_string(),
            referral_seq,
            verdict,
            reason,
            invigilator: invigilator.to_string(),
            second_invigilator: second.map(str::to_string),
        })
    }
}

/// One invigilator action, ready to be logged.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Invigilator mode opened with this invigilator's PIN.
    Unlock {
        /// Who.
        invigilator: String,
    },
    /// A wrong PIN (the PIN itself is never logged).
    PinRejected {
        /// Who it was tried for.
        invigilator: String,
        /// Tries left before a lockout.
        tries_left: u32,
    },
    /// Locked out after too many wrong PINs.
    LockedOut {
        /// Who.
        invigilator: String,
        /// Until when, milliseconds since the epoch.
        until_ms: i64,
    },
    /// A referral resolved.
    Resolve(Resolution),
    /// An incident recorded.
    Incident {
        /// Who recorded it.
        invigilator: String,
        /// Ticket concerned, if any.
        ticket: Option<String>,
        /// What happened.
        text: String,
    },
    /// The session sealed (attributed to both attesting invigilators).
    Seal(Seal),
}

impl Action {
    /// The event a PIN attempt at the gate leads to; `None` for an id not in the package
    /// (nobody to attribute it to; the kiosk shows the error and logs nothing).
    pub fn from_attempt(invigilator: &str, attempt: Attempt) -> Option<Action> {
        let invigilator = invigilator.to_string();
        match attempt {
            Attempt::Unlocked => Some(Action::Unlock { invigilator }),
            Attempt::WrongPin { left } => Some(Action::PinRejected {
                invigilator,
                tries_left: left,
            }),
            Attempt::LockedOut { until_ms } => Some(Action::LockedOut {
                invigilator,
                until_ms,
            }),
            Attempt::UnknownInvigilator => None,
        }
    }

    /// An incident, refusing an empty description.
    pub fn incident(
        invigilator: &str,
        ticket: Option<&str>,
        text: &str,
    ) -> Result<Action, ActionError> {
        if text.trim().is_empty() {
            return Err(ActionError::EmptyIncident);
        }
        Ok(Action::Incident {
            invigilator: invigilator.to_string(),
            ticket: ticket.map(str::to_string),
            text: text.trim().to_string(),
        })
    }

    /// The log event.
    pub fn event(&self) -> Event {
        match self.clone() {
            Action::Unlock { invigilator } => Event::Unlock { invigilator },
            Action::PinRejected {
                invigilator,
                tries_left,
            } => Event::PinRejected {
                invigilator,
                tries_left,
            },
            Action::LockedOut {
                invigilator,
                until_ms,
            } => Event::LockedOut {
                invigilator,
                until_ms,
            },
            Action::Resolve(r) => Event::Resolved(r),
            Action::Incident {
                invigilator,
                ticket,
                text,
            } => Event::Incident(IncidentEvent {
                invigilator,
                ticket,
                text,
            }),
            Action::Seal(s) => Event::Seal(s),
        }
    }

    /// The event kind.
    pub fn kind(&self) -> EventKind {
        self.event().kind()
    }

    /// The canonical payload.
    pub fn payload(&self) -> Vec<u8> {
        self.event().payload()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admit(second: Option<&str>, needs_second: bool) -> Result<Resolution, ActionError> {
        Resolution::new(
            "2027010001",
            41,
            Verdict::Admit { seat: 7 },
            ReasonCode::IdentityConfirmedByHand,
            "T001",
            second,
            needs_second,
        )
    }

    #[test]
    fn admitting_over_a_face_mismatch_needs_a_different_second_invigilator() {
        assert_eq!(
            admit(None, true),
            Err(ActionError::SecondInvigilatorNeeded {
                ticket: "2027010001".into()
            })
        );
        assert_eq!(
            admit(Some("T001"), true),
            Err(ActionError::SameInvigilator("T001".into()))
        );
        assert!(admit(Some("T002"), true).is_ok());
        assert!(
            admit(None, false).is_ok(),
            "other referrals need one invigilator"
        );
    }

    #[test]
    fn denying_needs_no_second_invigilator_but_a_fitting_reason() {
        let deny =
            |reason| Resolution::new("2027010001", 41, Verdict::Deny, reason, "T001", None, true);
        assert!(deny(ReasonCode::Impersonation).is_ok());
        assert_eq!(
            deny(ReasonCode::IdentityConfirmedByHand),
            Err(ActionError::ReasonDoesNotFit {
                reason: ReasonCode::IdentityConfirmedByHand,
                verdict: "deny"
            })
        );
    }

    #[test]
    fn payloads_name_the_invigilator_and_never_a_pin() {
        let r = admit(Some("T002"), true).expect("valid");
        let payload = String::from_utf8(Action::Resolve(r).payload()).expect("utf-8");
        assert_eq!(
            payload,
            r#"{"ticket":"2027010001","referral_seq":41,"verdict":"admit","seat":7,"reason":"identity_confirmed_by_hand","invigilator":"T001","second_invigilator":"T002"}"#
        );
        let rejected = Action::PinRejected {
            invigilator: "T001".into(),
            tries_left: 3,
        };
        assert_eq!(rejected.kind().as_str(), "invigilator_pin_rejected");
        assert_eq!(
            rejected.payload(),
            br#"{"invigilator":"T001","tries_left":3}"#
        );
        assert_eq!(
            Action::incident("T001", None, "  "),
            Err(ActionError::EmptyIncident)
        );
    }
}
