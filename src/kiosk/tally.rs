//! What the door knows of its session so far: every decision, who is seated where, each
//! ticket's latest outcome and the referrals still open. It changes only through a decision
//! at the door or an invigilator's resolution, whether they happen now (the runner) or are
//! replayed from the log after a restart (resume), so both go through the same two methods.

use std::collections::HashMap;

use super::runner::Referral;
use crate::decision::{Decision, DenyReason, FaceEvidence, Guidance, ReferReason, TicketNumber};

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
    /// A decision at the door. A referral is made by `referral` from its reasons; while one
    /// is open for the ticket, a new attempt's reasons are merged into it (the worst first,
    /// none lost), so covering the face on a second try cannot hide a face mismatch from
    /// the first. A wrong answer sheet (the paper step) unseats the candidate it was an
    /// admission for.
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
                let mut new = referral(reasons.clone());
                if let Some(i) = self.referrals.iter().position(|r| &r.ticket == ticket) {
                    let old = self.referrals.remove(i);
                    new = merge(old, new);
                }
                self.referrals.push(new);
            }
            Decision::Deny { .. } => {}
        }
        self.outcomes.insert(ticket.clone(), d.clone());
        self.decisions.push((ticket.clone(), d.clone()));
    }

    /// The open referral of `ticket`.
    pub fn referral(&self, ticket: &TicketNumber) -> Option<&Referral> {
        self.referrals.iter().find(|r| &r.ticket == ticket)
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

/// One referral from an open one and a new attempt's: every reason of both (the worst
/// first), the new event's sequence number (the one a resolution closes), and the new
/// pictures and scores where the new attempt has them.
fn merge(old: Referral, new: Referral) -> Referral {
    let mut reasons = old.reasons;
    for r in new.reasons {
        if !reasons.contains(&r) {
            reasons.push(r);
        }
    }
    reasons.sort_by_key(|r| std::cmp::Reverse(r.severity()));
    let face = match new.face {
        FaceEvidence::Captured { .. } => new.face,
        FaceEvidence::NoUsableFace { .. } => old.face,
    };
    Referral {
        ticket: new.ticket,
        seq: new.seq,
        reasons,
        face,
        portrait: new.portrait.or(old.portrait),
        live_jpeg: new.live_jpeg.or(old.live_jpeg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refer(
        seq: u64,
        reasons: Vec<ReferReason>,
    ) -> (Decision, impl FnOnce(Vec<ReferReason>) -> Referral) {
        (
            Decision::Refer {
                reasons: reasons.clone(),
            },
            move |reasons| Referral {
                ticket: TicketNumber("A".into()),
                seq,
                reasons,
                face: FaceEvidence::NoUsableFace { tries: 3 },
                portrait: None,
                live_jpeg: None,
            },
        )
    }

    #[test]
    fn r11_a_second_attempt_merges_into_the_open_referral_never_replaces_it() {
        let t = TicketNumber("A".into());
        let mut tally = Tally::default();
        let mismatch = ReferReason::RegistrationMismatch {
            score: 0.1,
            threshold: 0.42,
        };
        let (d, make) = refer(4, vec![mismatch.clone()]);
        tally.decided(&t, &d, make);
        let (d, make) = refer(9, vec![ReferReason::NoUsableFace { tries: 3 }]);
        tally.decided(&t, &d, make);
        assert_eq!(tally.referrals.len(), 1);
        let r = tally.referral(&t).expect("open");
        assert_eq!(r.seq, 9, "a resolution closes the newest event");
        assert_eq!(
            r.reasons,
            vec![mismatch, ReferReason::NoUsableFace { tries: 3 }],
            "the face mismatch stays, first"
        );
        assert!(r.needs_second());
    }
}
