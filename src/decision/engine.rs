//! `decide`: the rules of `docs/design.md` in order. A candidate who may not enter at all is
//! denied first (not in the roster, not sitting this session, late, wrong room, too early);
//! otherwise every reason an invigilator must look at is collected, and only a candidate with
//! none is admitted.

use chrono::NaiveDateTime;

use super::evidence::{
    CandidateRecord, DocumentEvidence, Evidence, FaceEvidence, PaperEvidence, PassiveAuth,
    Placement, SessionId, TicketNumber,
};
use super::policy::RoomPolicy;

/// The outcome at the door.
///
/// format-stable: serialized into the signed log (decision events); do not rename or
/// reorder, only add.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    /// Enter and sit here.
    Admit {
        /// Seat number.
        seat: u16,
    },
    /// Wait for an invigilator, who sees every reason.
    Refer {
        /// Why, most severe first.
        reasons: Vec<ReferReason>,
    },
    /// May not enter here (now).
    Deny {
        /// Why.
        reason: DenyReason,
        /// What the candidate should do.
        guidance: Guidance,
    },
}

/// Why a candidate is turned away.
///
/// format-stable: serialized into the signed log; do not rename, only add.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DenyReason {
    /// The ticket is not in this exam's roster.
    NotInRoster,
    /// The candidate does not sit this session.
    NotInThisSession,
    /// Arrived at or after the late cutoff.
    Late {
        /// The cutoff that passed.
        cutoff: NaiveDateTime,
    },
    /// Assigned to another room or site this session.
    WrongRoom,
    /// Entry has not opened yet.
    TooEarly,
}

/// What the kiosk tells a denied candidate.
///
/// format-stable: serialized into the signed log; do not rename, only add.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Guidance {
    /// Go to this site, room and seat.
    GoTo(Placement),
    /// Come back when entry opens.
    ComeBackAt(NaiveDateTime),
    /// Nobody enters after the cutoff; the incident is recorded.
    NoEntry,
    /// Go to the exam office's desk at the site.
    SeeExamOffice,
}

/// How urgently an invigilator should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Routine check.
    Normal,
    /// Possible impersonation or forged document.
    High,
}

/// Why a candidate needs an invigilator.
///
/// format-stable: serialized into the signed log (decision events); do not rename or
/// reorder variants or fields, only add.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ReferReason {
    /// This ticket was already admitted this session: possible impersonation.
    AlreadyAdmitted,
    /// The document's chip data failed passive authentication.
    PassiveAuthFailed(String),
    /// The live face does not match the registration photo.
    RegistrationMismatch {
        /// Cosine score.
        score: f32,
        /// Policy minimum.
        threshold: f32,
    },
    /// The live face does not match the document portrait.
    PortraitMismatch {
        /// Cosine score.
        score: f32,
        /// Policy minimum.
        threshold: f32,
    },
    /// The document number differs from the roster's.
    DocumentNumberMismatch,
    /// The holder's name differs from the roster's.
    NameMismatch,
    /// Liveness below the policy minimum.
    LivenessLow {
        /// Averaged liveness.
        score: f32,
        /// Policy minimum.
        threshold: f32,
    },
    /// No usable face after the capture loop gave up.
    NoUsableFace {
        /// Attempts made.
        tries: u8,
    },
    /// The candidate's document could not be read (no key, a refused chip, a failing
    /// reader bridge, nothing presented before the deadline).
    DocumentUnreadable {
        /// Why, in words.
        why: String,
    },
    /// The answer sheet belongs to someone else or another session.
    PaperMismatch {
        /// Ticket on the label.
        ticket: TicketNumber,
        /// Session on the label.
        session: SessionId,
    },
}

impl ReferReason {
    /// How urgent this reason is.
    pub fn severity(&self) -> Severity {
        match self {
            ReferReason::AlreadyAdmitted
            | ReferReason::PassiveAuthFailed(_)
            | ReferReason::RegistrationMismatch { .. }
            | ReferReason::PortraitMismatch { .. } => Severity::High,
            _ => Severity::Normal,
        }
    }
}

impl ReferReason {
    /// Whether admitting over this reason needs a second, different invigilator's PIN
    /// (design.md: any high-severity reason, a missing face or low liveness): covering the
    /// face or holding up a photo must not be a way round the face check.
    pub fn needs_second_invigilator(&self) -> bool {
        self.severity() == Severity::High
            || matches!(
                self,
                ReferReason::NoUsableFace { .. } | ReferReason::LivenessLow { .. }
            )
    }
}

impl Decision {
    /// The highest severity among a referral's reasons; `None` for admit and deny.
    pub fn severity(&self) -> Option<Severity> {
        match self {
            Decision::Refer { reasons } => reasons.iter().map(ReferReason::severity).max(),
            _ => None,
        }
    }
}

/// The checks that turn a candidate away before any document or face is taken: not in the
/// exam's roster, not sitting this session, late, at the wrong room, too early. The door
/// runs them as soon as it knows the ticket; [`decide`] runs them first as well, so both
/// paths apply one set of rules. `None`: the candidate may go on to the checks.
pub fn admissible(
    candidate: Option<&CandidateRecord>,
    policy: &RoomPolicy,
    now: NaiveDateTime,
) -> Option<Decision> {
    gate(candidate, policy, now).err()
}

/// [`admissible`], giving the record and the placement to go on with.
fn gate<'e>(
    candidate: Option<&'e CandidateRecord>,
    policy: &RoomPolicy,
    now: NaiveDateTime,
) -> Result<(&'e CandidateRecord, &'e Placement), Decision> {
    let deny = |reason, guidance| Err(Decision::Deny { reason, guidance });
    let Some(candidate) = candidate else {
        return deny(DenyReason::NotInRoster, Guidance::SeeExamOffice);
    };
    let Some(placement) = &candidate.placement else {
        return deny(DenyReason::NotInThisSession, Guidance::SeeExamOffice);
    };
    // Late before wrong room: after the cutoff nobody enters anywhere.
    if now >= policy.window.late_cutoff {
        let cutoff = policy.window.late_cutoff;
        return deny(DenyReason::Late { cutoff }, Guidance::NoEntry);
    }
    if placement.room != policy.room {
        return deny(DenyReason::WrongRoom, Guidance::GoTo(placement.clone()));
    }
    if now < policy.window.entry_opens {
        return deny(
            DenyReason::TooEarly,
            Guidance::ComeBackAt(policy.window.entry_opens),
        );
    }
    Ok((candidate, placement))
}

/// Decide at `now` (exam-local time) for the candidate in `evidence` at the room of `policy`.
pub fn decide(evidence: &Evidence, policy: &RoomPolicy, now: NaiveDateTime) -> Decision {
    let (candidate, placement) = match gate(evidence.candidate.as_ref(), policy, now) {
        Ok(admissible) => admissible,
        Err(denied) => return denied,
    };

    let mut reasons = Vec::new();
    if evidence.already_admitted {
        reasons.push(ReferReason::AlreadyAdmitted);
    }
    match &evidence.document {
        DocumentEvidence::Read {
            number,
            name,
            passive_auth,
            ..
        } => {
            if let PassiveAuth::Failed(why) = passive_auth {
                reasons.push(ReferReason::PassiveAuthFailed(why.clone()));
            }
            if normalise_number(number) != normalise_number(&candidate.document_number) {
                reasons.push(ReferReason::DocumentNumberMismatch);
            }
            let registered = candidate
                .document_name
                .as_deref()
                .unwrap_or(&candidate.name);
            if normalise_name(name) != normalise_name(registered) {
                reasons.push(ReferReason::NameMismatch);
            }
        }
        DocumentEvidence::CardUid {
            matches_roster: false,
        } => reasons.push(ReferReason::DocumentNumberMismatch),
        DocumentEvidence::Unreadable { why } => {
            reasons.push(ReferReason::DocumentUnreadable { why: why.clone() })
        }
        DocumentEvidence::CardUid { .. } | DocumentEvidence::NotPresented => {}
    }
    match evidence.face {
        FaceEvidence::NoUsableFace { tries } => reasons.push(ReferReason::NoUsableFace { tries }),
        FaceEvidence::Captured {
            liveness,
            registration_score,
            portrait_score,
        } => {
            if registration_score < policy.min_registration_score {
                reasons.push(ReferReason::RegistrationMismatch {
                    score: registration_score,
                    threshold: policy.min_registration_score,
                });
            }
            if let Some(score) = portrait_score {
                if score < policy.min_portrait_score {
                    reasons.push(ReferReason::PortraitMismatch {
                        score,
                        threshold: policy.min_portrait_score,
                    });
                }
            }
            if liveness < policy.min_liveness {
                reasons.push(ReferReason::LivenessLow {
                    score: liveness,
                    threshold: policy.min_liveness,
                });
            }
        }
    }
    if let PaperEvidence::Scanned { ticket, session } = &evidence.paper {
        if *ticket != candidate.ticket || *session != policy.session {
            reasons.push(ReferReason::PaperMismatch {
                ticket: ticket.clone(),
                session: session.clone(),
            });
        }
    }
    if reasons.is_empty() {
        Decision::Admit {
            seat: placement.seat,
        }
    } else {
        // Stable: within a severity, the order of the rules above.
        reasons.sort_by_key(|r| std::cmp::Reverse(r.severity()));
        Decision::Refer { reasons }
    }
}

/// Document numbers compare without MRZ filler, spaces or case.
fn normalise_number(n: &str) -> String {
    n.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Names compare as upper-case words: MRZ filler (`<`), commas and runs of spaces do not
/// count, so `ERIKSSON<<ANNA<MARIA` equals `Eriksson, Anna Maria`. Han characters are
/// letters and compare as they are.
fn normalise_name(n: &str) -> String {
    n.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::decision::evidence::{CandidateRecord, DocumentKind, ReadBy, RoomRef};
    use crate::decision::policy::SessionWindow;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 6, 20)
            .and_then(|d| d.and_hms_opt(h, m, s))
            .expect("valid test time")
    }

    fn room(site: &str, room: &str) -> RoomRef {
        RoomRef {
            site: site.into(),
            room: room.into(),
        }
    }

    fn policy() -> RoomPolicy {
        RoomPolicy {
            session: SessionId("math-am".into()),
            room: room("S01", "R101"),
            window: SessionWindow {
                entry_opens: at(8, 30, 0),
                start: at(9, 0, 0),
                late_cutoff: at(9, 15, 0),
            },
            min_liveness: 0.5,
            min_registration_score: 0.34,
            min_portrait_score: 0.30,
            max_capture_tries: 3,
        }
    }

    fn ticket() -> TicketNumber {
        TicketNumber("2026010001".into())
    }

    /// A genuine candidate with a passport, at the right room, on time: admitted at seat 7.
    fn genuine() -> Evidence {
        Evidence {
            ticket: ticket(),
            candidate: Some(CandidateRecord {
                ticket: ticket(),
                name: "李雷".into(),
                document_name: Some("LI<<LEI".into()),
                document_kind: DocumentKind::Passport,
                document_number: "E12345678".into(),
                placement: Some(Placement {
                    room: room("S01", "R101"),
                    seat: 7,
                }),
            }),
            document: DocumentEvidence::Read {
                number: "E12345678".into(),
                name: "LI<<LEI<<<<<<<<".into(),
                read_by: ReadBy::Chip,
                passive_auth: PassiveAuth::Valid,
            },
            face: FaceEvidence::Captured {
                liveness: 0.97,
                registration_score: 0.71,
                portrait_score: Some(0.66),
            },
            paper: PaperEvidence::NotScanned,
            already_admitted: false,
        }
    }

    /// The candidate sits in S07/R305 seat 12 this session, not at this kiosk's room.
    fn to_other_room(e: &mut Evidence) {
        if let Some(c) = &mut e.candidate {
            c.placement = Some(Placement {
                room: room("S07", "R305"),
                seat: 12,
            });
        }
    }

    fn refer(reasons: Vec<ReferReason>) -> Decision {
        Decision::Refer { reasons }
    }

    #[test]
    fn one_row_per_rule_and_per_combination_that_matters() {
        type Spoil = fn(&mut Evidence);
        let ok: Spoil = |_| {};
        let other_room = Placement {
            room: room("S07", "R305"),
            seat: 12,
        };
        let cases: Vec<(&str, Spoil, NaiveDateTime, Decision)> = vec![
            (
                "genuine, on time",
                ok,
                at(8, 45, 0),
                Decision::Admit { seat: 7 },
            ),
            (
                "at entry opening exactly",
                ok,
                at(8, 30, 0),
                Decision::Admit { seat: 7 },
            ),
            (
                "before entry opens: come back at the opening time",
                ok,
                at(8, 29, 59),
                Decision::Deny {
                    reason: DenyReason::TooEarly,
                    guidance: Guidance::ComeBackAt(at(8, 30, 0)),
                },
            ),
            (
                "one second before the cutoff",
                ok,
                at(9, 14, 59),
                Decision::Admit { seat: 7 },
            ),
            (
                "at the cutoff: late",
                ok,
                at(9, 15, 0),
                Decision::Deny {
                    reason: DenyReason::Late {
                        cutoff: at(9, 15, 0),
                    },
                    guidance: Guidance::NoEntry,
                },
            ),
            (
                "not in the roster",
                |e| e.candidate = None,
                at(8, 45, 0),
                Decision::Deny {
                    reason: DenyReason::NotInRoster,
                    guidance: Guidance::SeeExamOffice,
                },
            ),
            (
                "in the roster but not sitting this session",
                |e| {
                    if let Some(c) = &mut e.candidate {
                        c.placement = None;
                    }
                },
                at(8, 45, 0),
                Decision::Deny {
                    reason: DenyReason::NotInThisSession,
                    guidance: Guidance::SeeExamOffice,
                },
            ),
            (
                "wrong room: sent to the right site, room and seat",
                to_other_room,
                at(8, 45, 0),
                Decision::Deny {
                    reason: DenyReason::WrongRoom,
                    guidance: Guidance::GoTo(other_room.clone()),
                },
            ),
            (
                "wrong room and too early: still sent to the right room",
                to_other_room,
                at(8, 0, 0),
                Decision::Deny {
                    reason: DenyReason::WrongRoom,
                    guidance: Guidance::GoTo(other_room.clone()),
                },
            ),
            (
                "wrong room and late: late wins",
                to_other_room,
                at(9, 20, 0),
                Decision::Deny {
                    reason: DenyReason::Late {
                        cutoff: at(9, 15, 0),
                    },
                    guidance: Guidance::NoEntry,
                },
            ),
            (
                "already admitted this session",
                |e| e.already_admitted = true,
                at(8, 45, 0),
                refer(vec![ReferReason::AlreadyAdmitted]),
            ),
            (
                "document number differs",
                |e| {
                    e.document = DocumentEvidence::Read {
                        number: "E99999999".into(),
                        name: "LI<<LEI".into(),
                        read_by: ReadBy::Chip,
                        passive_auth: PassiveAuth::Valid,
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::DocumentNumberMismatch]),
            ),
            (
                "name differs",
                |e| {
                    e.document = DocumentEvidence::Read {
                        number: "E12345678".into(),
                        name: "HAN<<MEIMEI".into(),
                        read_by: ReadBy::Chip,
                        passive_auth: PassiveAuth::Valid,
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::NameMismatch]),
            ),
            (
                "passive authentication failed",
                |e| {
                    e.document = DocumentEvidence::Read {
                        number: "E12345678".into(),
                        name: "LI<<LEI".into(),
                        read_by: ReadBy::Chip,
                        passive_auth: PassiveAuth::Failed("DG2 hash".into()),
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::PassiveAuthFailed("DG2 hash".into())]),
            ),
            (
                "liveness low",
                |e| {
                    e.face = FaceEvidence::Captured {
                        liveness: 0.2,
                        registration_score: 0.71,
                        portrait_score: Some(0.66),
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::LivenessLow {
                    score: 0.2,
                    threshold: 0.5,
                }]),
            ),
            (
                "face below threshold against the registration photo",
                |e| {
                    e.face = FaceEvidence::Captured {
                        liveness: 0.97,
                        registration_score: 0.12,
                        portrait_score: Some(0.66),
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::RegistrationMismatch {
                    score: 0.12,
                    threshold: 0.34,
                }]),
            ),
            (
                "face below threshold against the document portrait",
                |e| {
                    e.face = FaceEvidence::Captured {
                        liveness: 0.97,
                        registration_score: 0.71,
                        portrait_score: Some(0.05),
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::PortraitMismatch {
                    score: 0.05,
                    threshold: 0.30,
                }]),
            ),
            (
                "no usable face after the tries",
                |e| e.face = FaceEvidence::NoUsableFace { tries: 3 },
                at(8, 45, 0),
                refer(vec![ReferReason::NoUsableFace { tries: 3 }]),
            ),
            (
                "paper of another candidate",
                |e| {
                    e.paper = PaperEvidence::Scanned {
                        ticket: TicketNumber("2026010002".into()),
                        session: SessionId("math-am".into()),
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::PaperMismatch {
                    ticket: TicketNumber("2026010002".into()),
                    session: SessionId("math-am".into()),
                }]),
            ),
            (
                "own paper but for another session",
                |e| {
                    e.paper = PaperEvidence::Scanned {
                        ticket: TicketNumber("2026010001".into()),
                        session: SessionId("chinese-pm".into()),
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::PaperMismatch {
                    ticket: TicketNumber("2026010001".into()),
                    session: SessionId("chinese-pm".into()),
                }]),
            ),
            (
                "own paper for this session",
                |e| {
                    e.paper = PaperEvidence::Scanned {
                        ticket: TicketNumber("2026010001".into()),
                        session: SessionId("math-am".into()),
                    }
                },
                at(8, 45, 0),
                Decision::Admit { seat: 7 },
            ),
            (
                "a candidate without any document: ticket and face suffice",
                |e| {
                    e.document = DocumentEvidence::NotPresented;
                    e.face = FaceEvidence::Captured {
                        liveness: 0.9,
                        registration_score: 0.6,
                        portrait_score: None,
                    };
                    if let Some(c) = &mut e.candidate {
                        c.document_kind = DocumentKind::None;
                        c.document_number = String::new();
                    }
                },
                at(8, 45, 0),
                Decision::Admit { seat: 7 },
            ),
            (
                "without a document and the face does not match",
                |e| {
                    e.document = DocumentEvidence::NotPresented;
                    e.face = FaceEvidence::Captured {
                        liveness: 0.9,
                        registration_score: 0.2,
                        portrait_score: None,
                    };
                },
                at(8, 45, 0),
                refer(vec![ReferReason::RegistrationMismatch {
                    score: 0.2,
                    threshold: 0.34,
                }]),
            ),
            (
                "everything wrong at once: every reason, most severe first",
                |e| {
                    e.already_admitted = true;
                    e.document = DocumentEvidence::Read {
                        number: "X1".into(),
                        name: "LI<<LEI".into(),
                        read_by: ReadBy::Chip,
                        passive_auth: PassiveAuth::Failed("signature".into()),
                    };
                    e.face = FaceEvidence::Captured {
                        liveness: 0.1,
                        registration_score: 0.1,
                        portrait_score: Some(0.1),
                    };
                },
                at(8, 45, 0),
                refer(vec![
                    ReferReason::AlreadyAdmitted,
                    ReferReason::PassiveAuthFailed("signature".into()),
                    ReferReason::RegistrationMismatch {
                        score: 0.1,
                        threshold: 0.34,
                    },
                    ReferReason::PortraitMismatch {
                        score: 0.1,
                        threshold: 0.30,
                    },
                    ReferReason::DocumentNumberMismatch,
                    ReferReason::LivenessLow {
                        score: 0.1,
                        threshold: 0.5,
                    },
                ]),
            ),
            (
                "r11: a resident ID card read by the certified reader: admitted, no PA claimed",
                |e| {
                    e.document = DocumentEvidence::Read {
                        number: "E12345678".into(),
                        name: "LI LEI".into(),
                        read_by: ReadBy::CertifiedReader,
                        passive_auth: PassiveAuth::NotApplicable,
                    }
                },
                at(8, 45, 0),
                Decision::Admit { seat: 7 },
            ),
            (
                "r11: an unreadable document is a referral with its reason",
                |e| {
                    e.document = DocumentEvidence::Unreadable {
                        why: "BAC refused".into(),
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::DocumentUnreadable {
                    why: "BAC refused".into(),
                }]),
            ),
            (
                "r11: a UID card of the roster's holder: the face decides",
                |e| {
                    e.document = DocumentEvidence::CardUid {
                        matches_roster: true,
                    }
                },
                at(8, 45, 0),
                Decision::Admit { seat: 7 },
            ),
            (
                "r11: a UID card that is not the ticket holder's",
                |e| {
                    e.document = DocumentEvidence::CardUid {
                        matches_roster: false,
                    }
                },
                at(8, 45, 0),
                refer(vec![ReferReason::DocumentNumberMismatch]),
            ),
            (
                "r11: no document registered, none presented: ticket and face suffice",
                |e| e.document = DocumentEvidence::NotPresented,
                at(8, 45, 0),
                Decision::Admit { seat: 7 },
            ),
        ];
        for (name, spoil, now, expected) in cases {
            let mut e = genuine();
            spoil(&mut e);
            assert_eq!(decide(&e, &policy(), now), expected, "case: {name}");
        }
    }

    /// The door decides with the kiosk's clock plus the correction the invigilators entered
    /// (kiosk::time_check): the same kiosk time is on time or late by the offset.
    #[test]
    fn r16_a_clock_correction_moves_the_late_cutoff_decision() {
        use crate::kiosk::time_check::ClockOffset;
        let decided = |kiosk: NaiveDateTime, correction_s: i64| {
            let offset = ClockOffset::new(correction_s * 1000).expect("within ±30 min");
            let ms = offset.apply(kiosk.and_utc().timestamp_millis());
            let now = chrono::DateTime::from_timestamp_millis(ms)
                .expect("a time")
                .naive_utc();
            decide(&genuine(), &policy(), now)
        };
        let late = Decision::Deny {
            reason: DenyReason::Late {
                cutoff: at(9, 15, 0),
            },
            guidance: Guidance::NoEntry,
        };
        let admit = Decision::Admit { seat: 7 };
        // (what happened, kiosk time, correction in s, decision)
        let cases = [
            ("kiosk right, before the cutoff", at(9, 14, 30), 0, &admit),
            (
                "kiosk a minute slow: really past the cutoff",
                at(9, 14, 30),
                60,
                &late,
            ),
            ("kiosk right, after the cutoff", at(9, 15, 30), 0, &late),
            (
                "kiosk a minute fast: really on time",
                at(9, 15, 30),
                -60,
                &admit,
            ),
            (
                "corrected to exactly the cutoff: late",
                at(9, 15, 30),
                -30,
                &late,
            ),
            (
                "corrected to a second before it",
                at(9, 15, 30),
                -31,
                &admit,
            ),
            (
                "half an hour slow, at the start",
                at(8, 45, 0),
                30 * 60,
                &late,
            ),
        ];
        for (what, kiosk, correction, want) in cases {
            assert_eq!(&decided(kiosk, correction), want, "{what}");
        }
    }

    #[test]
    fn r11_admissible_applies_the_deny_rules_of_decide() {
        let e = genuine();
        assert_eq!(
            admissible(e.candidate.as_ref(), &policy(), at(8, 45, 0)),
            None
        );
        for now in [at(8, 0, 0), at(9, 15, 0)] {
            assert_eq!(
                admissible(e.candidate.as_ref(), &policy(), now),
                Some(decide(&e, &policy(), now)),
                "the same deny at {now}"
            );
        }
        assert!(matches!(
            admissible(None, &policy(), at(8, 45, 0)),
            Some(Decision::Deny {
                reason: DenyReason::NotInRoster,
                ..
            })
        ));
    }

    #[test]
    fn r11_a_second_invigilator_for_high_severity_no_face_and_low_liveness() {
        let needs = |r: ReferReason| r.needs_second_invigilator();
        assert!(needs(ReferReason::AlreadyAdmitted));
        assert!(needs(ReferReason::PassiveAuthFailed("DG2 hash".into())));
        assert!(needs(ReferReason::RegistrationMismatch {
            score: 0.1,
            threshold: 0.4
        }));
        assert!(needs(ReferReason::NoUsableFace { tries: 3 }));
        assert!(needs(ReferReason::LivenessLow {
            score: 0.1,
            threshold: 0.5
        }));
        assert!(!needs(ReferReason::NameMismatch));
        assert!(!needs(ReferReason::DocumentUnreadable { why: "x".into() }));
    }

    #[test]
    fn thresholds_come_from_the_policy() {
        let mut e = genuine();
        e.face = FaceEvidence::Captured {
            liveness: 0.97,
            registration_score: 0.40,
            portrait_score: Some(0.66),
        };
        assert_eq!(
            decide(&e, &policy(), at(8, 45, 0)),
            Decision::Admit { seat: 7 }
        );
        let strict = RoomPolicy {
            min_registration_score: 0.45,
            ..policy()
        };
        assert!(matches!(
            decide(&e, &strict, at(8, 45, 0)),
            Decision::Refer { .. }
        ));
    }

    #[test]
    fn severity_is_high_for_impersonation_and_forgery_signs() {
        let mut e = genuine();
        e.paper = PaperEvidence::Scanned {
            ticket: TicketNumber("x".into()),
            session: SessionId("math-am".into()),
        };
        assert_eq!(
            decide(&e, &policy(), at(8, 45, 0)).severity(),
            Some(Severity::Normal)
        );
        e.already_admitted = true;
        assert_eq!(
            decide(&e, &policy(), at(8, 45, 0)).severity(),
            Some(Severity::High)
        );
        assert_eq!(decide(&genuine(), &policy(), at(8, 45, 0)).severity(), None);
    }

    #[test]
    fn names_and_numbers_compare_without_filler_case_or_punctuation() {
        assert_eq!(
            normalise_name("ERIKSSON<<ANNA<MARIA<<<"),
            normalise_name("Eriksson, Anna Maria")
        );
        assert_ne!(
            normalise_name("ERIKSSON<<ANNA"),
            normalise_name("ERIKSSON<<ANNA<MARIA")
        );
        assert_eq!(normalise_name("李 雷"), "李 雷");
        assert_eq!(normalise_number("l898902c<"), "L898902C");
    }

    #[test]
    fn debug_output_redacts_names_and_numbers() {
        let shown = format!("{:?}", genuine());
        assert!(
            !shown.contains("李雷") && !shown.contains("E12345678"),
            "{shown}"
        );
        assert!(shown.contains("2026010001"));
    }
}
