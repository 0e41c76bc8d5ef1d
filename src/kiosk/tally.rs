//! What the door knows of its session so far: every decision, who is seated where, each
//! ticket's latest outcome and the referrals still open. It changes only through a decision
//! at the door or an invigilator's resolution, whether they happen now (the runner) or are
//! replayed from the log after a restart (resume), so both go through the same two methods.

use std::collections::HashMap;

use super::runner::Referral;
use crate::decision::{Decision, DenyReason, Guidance, ReferReason, TicketNumber};

/// The session's decisions and what follows from them.
#[derive(Debug, Default)]
pub struct Tally {
    /// Decisions made at the door, in order (what the screen showed).
    pub decisions: Vec<(TicketNumber, Decision)>,
    /// Seated candidates and their seats.
    pub admitted: HashMap<TicketNumber, u16>,
    /// The last outcome for each ticket (door or invigilator).
    pub outcomes: HashMap<TicketNumber, Decision>,
    /// Referrals not yet resolved, oldest first.
    pub referrals: Vec<Referral>,
}

impl Tally {
    /// A decision at the door. A referral replaces the ticket's open one, made by `referral`
    /// from its reasons; a wrong answer sheet (the paper step) unseats the candidate it was
    /// an admission for.
    pub fn decided(
        &mut self,
        ticket: &TicketNumber,
        d: &Decision,
        referral: impl FnOnce(Vec<ReferReason>) -> Referral,
    ) {
        match d {
            Decision::Admit { seat } => {
                self.admitted.insert(ticket.clone(), *seat);
            }
            Decision::Refer { reasons } => {
                if reasons
                    .iter()
                    .any(|r| matches!(r, ReferReason::PaperMismatch { .. }))
                {
                    self.admitted.remove(ticket);
                }
                self.referrals.retain(|r| &r.ticket != ticket);
                self.referrals.push(referral(reasons.clone()));
            }
            Decision::Deny { .. } => {}
        }
        self.outcomes.insert(ticket.clone(), d.clone());
        self.decisions.push((ticket.clone(), d.clone()));
    }

    /// An invigilator's verdict on a referral: the referral is closed; an admit seats the
    /// candidate.
    pub fn resolved(&mut self, ticket: &TicketNumber, admit_seat: Option<u16>) {
        self.referrals.retain(|r| &r.ticket != ticket);
        let d = match admit_seat {
            Some(seat) => {
                self.admitted.insert(ticket.clone(), seat);
                Decision::Admit { seat }
            }
            None => Decision::Deny {
                reason: DenyReason::NotInThisSession,
                guidance: Guidance::SeeExamOffice,
            },
        };
        self.outcomes.insert(ticket.clone(), d);
    }
}
