//! The room's roster at the door, from a verified room package: who sits here this session,
//! where everyone else sits (for "go to site X, room Y, seat Z"), how to open each
//! candidate's chip (MRZ seed or CAN), and each registration template. Lookups by ticket,
//! by document number and by card UID; everything the decision needs becomes plain values.
//! The thresholds and the document read deadline are the package's [`DoorPolicy`].

use std::collections::HashMap;

use base64ct::Encoding;
use zeroize::Zeroizing;

use crate::card::emrtd::Access;
use crate::card::mrz::AccessKey;
use crate::decision::{
    CandidateRecord, DocumentKind, Placement, RoomPolicy, SessionId, SessionWindow, TicketNumber,
};
use crate::face::Embedding;
use crate::package::format::{self, DoorPolicy, PackageCandidate};
use crate::package::open::VerifiedPackage;

/// Why a roster cannot be made for a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// The package has no such session.
    #[error("the package has no session {0:?}")]
    UnknownSession(String),
    /// A candidate's template is unusable (checked when the package was opened, so this
    /// means a bug).
    #[error("candidate {0}: template unusable")]
    Template(String),
}

struct Entry {
    candidate: PackageCandidate,
    template: Embedding,
}

/// One session's roster for this room.
pub struct Roster {
    session: SessionId,
    policy: RoomPolicy,
    door: DoorPolicy,
    here: HashMap<TicketNumber, Entry>,
    elsewhere: HashMap<TicketNumber, Placement>,
    by_document: HashMap<String, TicketNumber>,
    by_uid: HashMap<String, TicketNumber>,
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Roster({:?}, {} here, {} elsewhere)",
            self.session,
            self.here.len(),
            self.elsewhere.len()
        )
    }
}

impl Roster {
    /// The roster of `session` from `package`, with the package's door policy.
    pub fn new(package: &VerifiedPackage, session: &str) -> Result<Roster, RosterError> {
        let p = &package.package;
        let s = p
            .sessions
            .iter()
            .find(|s| s.id == session)
            .ok_or_else(|| RosterError::UnknownSession(session.to_string()))?;
        let door = p.policy;
        let policy = RoomPolicy {
            session: SessionId(s.id.clone()),
            room: p.room_ref(),
            window: SessionWindow {
                entry_opens: s.entry_opens,
                start: s.start,
                late_cutoff: s.late_cutoff,
            },
            min_liveness: door.liveness_threshold,
            min_registration_score: door.face_threshold,
            min_portrait_score: door.portrait_threshold,
            max_capture_tries: door.capture_tries,
        };
        let mut here = HashMap::new();
        let (mut by_document, mut by_uid) = (HashMap::new(), HashMap::new());
        for c in p
            .candidates
            .iter()
            .filter(|c| c.seats.contains_key(session))
        {
            let ticket = TicketNumber(c.ticket.clone());
            let template = format::decode_template(&c.template)
                .and_then(|t| Embedding::from_raw(&t))
                .ok_or_else(|| RosterError::Template(c.ticket.clone()))?;
            if !c.document_number.is_empty() {
                by_document.insert(normalise(&c.document_number), ticket.clone());
            }
            if let Some(uid) = &c.card_uid {
                by_uid.insert(uid.to_ascii_lowercase(), ticket.clone());
            }
            here.insert(
                ticket,
                Entry {
                    candidate: c.clone(),
                    template,
                },
            );
        }
        let elsewhere = package
            .directory
            .iter()
            .filter(|e| e.session == session && !here.contains_key(&e.ticket))
            .map(|e| (e.ticket.clone(), e.placement.clone()))
            .collect();
        Ok(Roster {
            session: SessionId(session.to_string()),
            policy,
            door,
            here,
            elsewhere,
            by_document,
            by_uid,
        })
    }

    /// The room policy for the decision.
    pub fn policy(&self) -> &RoomPolicy {
        &self.policy
    }

    /// The exam office's door policy this roster was made with.
    pub fn door_policy(&self) -> &DoorPolicy {
        &self.door
    }

    /// How long the door waits for a document read, in milliseconds.
    pub fn read_deadline_ms(&self) -> i64 {
        self.door.read_deadline_ms()
    }

    /// Candidates seated here this session.
    pub fn seated(&self) -> usize {
        self.here.len()
    }

    /// The roster record for `ticket`: full for a candidate of this room, placement only
    /// for one seated elsewhere this session, `None` for a ticket not in the exam.
    pub fn record(&self, ticket: &TicketNumber) -> Option<CandidateRecord> {
        if let Some(e) = self.here.get(ticket) {
            let c = &e.candidate;
            return Some(CandidateRecord {
                ticket: ticket.clone(),
                name: c.name.clone(),
                document_name: c.document_name.clone(),
                document_kind: format::parse_document_kind(&c.document_kind)
                    .unwrap_or(DocumentKind::None),
                document_number: c.document_number.clone(),
                placement: c.seats.get(&self.session.0).map(|&seat| Placement {
                    room: self.policy.room.clone(),
                    seat,
                }),
            });
        }
        self.elsewhere.get(ticket).map(|placement| CandidateRecord {
            ticket: ticket.clone(),
            // Names of other rooms' candidates are not in this package; the decision sends
            // them on by placement before it would compare a name.
            name: String::new(),
            document_name: None,
            document_kind: DocumentKind::None,
            document_number: String::new(),
            placement: Some(placement.clone()),
        })
    }

    /// The ticket of this room's candidate holding document `number`.
    pub fn by_document(&self, number: &str) -> Option<&TicketNumber> {
        self.by_document.get(&normalise(number))
    }

    /// The ticket of this room's candidate with card UID `uid` (hex).
    pub fn by_uid(&self, uid_hex: &str) -> Option<&TicketNumber> {
        self.by_uid.get(&uid_hex.to_ascii_lowercase())
    }

    /// Whether the candidate registered a document to read at the door.
    pub fn document_needed(&self, ticket: &TicketNumber) -> bool {
        self.here
            .get(ticket)
            .is_some_and(|e| e.candidate.document_kind != "none")
    }

    /// How to open the candidate's chip: the CAN when registered, else the MRZ seed from
    /// document number, birth date and expiry.
    pub fn access(&self, ticket: &TicketNumber) -> Option<Access> {
        let c = &self.here.get(ticket)?.candidate;
        if let Some(can) = &c.can {
            return Some(Access::Can(Zeroizing::new(can.clone())));
        }
        let expiry = c.document_expiry?;
        let key = AccessKey::from_fields(
            &c.document_number,
            &c.birth_date.format("%y%m%d").to_string(),
            &expiry.format("%y%m%d").to_string(),
        )
        .ok()?;
        Some(Access::Mrz(key))
    }

    /// This session's seating here: (seat, ticket), by seat.
    pub fn seating(&self) -> Vec<(u16, TicketNumber)> {
        let mut seats: Vec<_> = self
            .here
            .iter()
            .filter_map(|(t, e)| {
                e.candidate
                    .seats
                    .get(&self.session.0)
                    .map(|&s| (s, t.clone()))
            })
            .collect();
        seats.sort();
        seats
    }

    /// The registered name of this room's candidate.
    pub fn name(&self, ticket: &TicketNumber) -> Option<&str> {
        self.here.get(ticket).map(|e| e.candidate.name.as_str())
    }

    /// The registration photo thumbnail (JPEG bytes) of this room's candidate.
    pub fn thumbnail(&self, ticket: &TicketNumber) -> Option<Vec<u8>> {
        let b64 = &self.here.get(ticket)?.candidate.thumbnail_jpeg;
        base64ct::Base64::decode_vec(b64).ok()
    }

    /// The registration template.
    pub fn template(&self, ticket: &TicketNumber) -> Option<&Embedding> {
        self.here.get(ticket).map(|e| &e.template)
    }
}

fn normalise(number: &str) -> String {
    number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::NaiveDate;

    use super::*;
    use crate::decision::{
        self, Decision, DocumentEvidence, Evidence, FaceEvidence, PaperEvidence, PassiveAuth,
        ReadBy, ReferReason,
    };
    use crate::package::build::{self, Inputs, OfficeMaterial};
    use crate::package::enrol::Enrolment;
    use crate::package::{exam, roster};

    const EXAM: &str = r#"
name = "exam"
utc_offset = "+08:00"

[[session]]
id = "math"
subject = "Mathematics"
date = 2027-06-12
start = "09:00"
end = "11:00"
entry_opens = "08:30"

[[site]]
id = "S01"
name = "site"
rooms = [ { id = "R101", seats = 30 } ]
"#;

    const CANDIDATES: &str = "ticket,name,sex,birth_date,doc_type,doc_number,doc_expiry,can,card_uid,photo,math_site,math_room,math_seat,document_name
2027010001,张三,M,2011-03-04,passport,E12345678,2031-01-01,,,p1.jpg,S01,R101,1,ZHANG<<SAN
";

    /// The office's pipeline without photos or files: parse, assemble (a made-up template),
    /// and the package as the kiosk holds it after opening.
    fn package(exam_toml: &str) -> VerifiedPackage {
        let exam = exam::parse(exam_toml).expect("exam parses");
        let candidates =
            roster::parse(CANDIDATES, &exam.session_ids(), &exam.rooms()).expect("roster parses");
        let inputs = Inputs {
            exam,
            candidates,
            invigilators: Vec::new(),
            csca: Vec::new(),
        };
        let mut template = vec![0.0; 512];
        template[0] = 1.0;
        let enrolments = HashMap::from([(
            "p1.jpg".to_string(),
            Enrolment {
                template,
                thumbnail_jpeg: Vec::new(),
                warnings: Vec::new(),
            },
        )]);
        let office = OfficeMaterial {
            evidence_key: [0; 32],
            template_model: crate::face::ModelKind::Embed.sha256().to_string(),
            built_at: None,
        };
        let plan = build::assemble(&inputs, &enrolments, &[], &office);
        let package = plan.packages.into_iter().next().expect("one room");
        VerifiedPackage {
            directory: format::read_directory(&plan.directory).expect("directory"),
            offset: package.utc_offset.parse().expect("offset"),
            package,
        }
    }

    #[test]
    fn the_document_name_reaches_the_record_and_the_decision_compares_with_it() {
        let roster = Roster::new(&package(EXAM), "math").expect("roster");
        let ticket = TicketNumber("2027010001".into());
        let record = roster.record(&ticket).expect("seated here");
        assert_eq!(record.name, "张三");
        assert_eq!(record.document_name.as_deref(), Some("ZHANG<<SAN"));

        let evidence = Evidence {
            ticket: ticket.clone(),
            candidate: Some(record),
            document: DocumentEvidence::Read {
                number: "E12345678".into(),
                name: "ZHANG<<SAN<<<<".into(),
                read_by: ReadBy::Chip,
                passive_auth: PassiveAuth::Valid,
            },
            face: FaceEvidence::Captured {
                liveness: 0.9,
                registration_score: 0.8,
                portrait_score: Some(0.8),
            },
            paper: PaperEvidence::NotScanned,
            already_admitted: false,
        };
        let now = NaiveDate::from_ymd_opt(2027, 6, 12)
            .and_then(|d| d.and_hms_opt(8, 45, 0))
            .expect("a valid time");
        assert_eq!(
            decision::decide(&evidence, roster.policy(), now),
            Decision::Admit { seat: 1 }
        );
        // Without the document name the Latin MRZ name cannot match the registered 张三.
        let mut without = evidence.clone();
        if let Some(c) = &mut without.candidate {
            c.document_name = None;
        }
        assert!(matches!(
            decision::decide(&without, roster.policy(), now),
            Decision::Refer { reasons } if reasons.contains(&ReferReason::NameMismatch)
        ));
    }

    #[test]
    fn the_exam_policy_becomes_the_room_policy_and_the_read_deadline() {
        let defaults = Roster::new(&package(EXAM), "math").expect("roster");
        assert_eq!(*defaults.door_policy(), DoorPolicy::default());
        assert_eq!(
            defaults.policy().min_registration_score,
            crate::face::DEFAULT_THRESHOLD
        );
        assert_eq!(defaults.read_deadline_ms(), 15_000);

        let text = format!(
            "{EXAM}\n[policy]\nface_threshold = 0.42\nportrait_threshold = 0.31\nliveness_threshold = 0.7\ncapture_tries = 4\nread_deadline_s = 25\n"
        );
        let roster = Roster::new(&package(&text), "math").expect("roster");
        let p = roster.policy();
        assert_eq!(
            (
                p.min_registration_score,
                p.min_portrait_score,
                p.min_liveness,
                p.max_capture_tries
            ),
            (0.42, 0.31, 0.7, 4)
        );
        assert_eq!(roster.read_deadline_ms(), 25_000);
    }
}
