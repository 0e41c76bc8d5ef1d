//! What the kiosk knows about the candidate at the door, as plain values: the roster entry
//! the ticket led to, the document read (if any), the face capture, the answer-sheet scan,
//! and whether this person was already admitted this session.

use std::fmt;

/// An admission-ticket number (the roster key).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct TicketNumber(pub String);

impl fmt::Debug for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ticket({})", self.0)
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An exam session (one subject at one time), as named in the room package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SessionId(pub String);

/// An exam site and a room in it.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct RoomRef {
    /// Site (school) code.
    pub site: String,
    /// Room code within the site.
    pub room: String,
}

impl RoomRef {
    /// `SITE/ROOM` (spaces around either part ignored); `None` unless both parts are there
    /// and there is one slash.
    pub fn parse(text: &str) -> Option<RoomRef> {
        let (site, room) = text.trim().split_once('/')?;
        let (site, room) = (site.trim(), room.trim());
        (!site.is_empty() && !room.is_empty() && !room.contains('/')).then(|| RoomRef {
            site: site.to_string(),
            room: room.to_string(),
        })
    }
}

impl std::fmt::Display for RoomRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.site, self.room)
    }
}

/// Where a candidate sits in one session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Placement {
    /// Site and room.
    pub room: RoomRef,
    /// Seat number in the room, from 1.
    pub seat: u16,
}

/// The kind of identity document a candidate registered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// Chinese resident identity card (read through the reader bridge).
    CnId,
    /// Passport (ICAO 9303 eMRTD).
    Passport,
    /// Other electronic ID card (ICAO 9303 eMRTD).
    Eid,
    /// No document: ticket, registration photo and face must suffice.
    None,
}

/// The roster's record of the candidate the ticket names, for the session at hand.
#[derive(Clone, PartialEq)]
pub struct CandidateRecord {
    /// Ticket number.
    pub ticket: TicketNumber,
    /// Name as registered.
    pub name: String,
    /// Name as the document prints it, where it differs in script (a Latin MRZ name for a
    /// Chinese registration name); compared with the document instead of `name`.
    pub document_name: Option<String>,
    /// Registered document.
    pub document_kind: DocumentKind,
    /// Registered document number (empty for [`DocumentKind::None`]).
    pub document_number: String,
    /// Where the candidate sits in this session; `None` if not sitting it.
    pub placement: Option<Placement>,
}

impl fmt::Debug for CandidateRecord {
    // Names and document numbers are a child's personal data: logs see the ticket only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CandidateRecord")
            .field("ticket", &self.ticket)
            .field("name", &"<redacted>")
            .field("document_kind", &self.document_kind)
            .field("document_number", &"<redacted>")
            .field("placement", &self.placement)
            .finish()
    }
}

/// Outcome of passive authentication of a chip's data (ICAO 9303 part 11).
///
/// format-stable: serialized into the signed log; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassiveAuth {
    /// Hashes, signature and certificate chain all verified.
    Valid,
    /// Something failed; the words say what (a data-group hash, the signature, the signer).
    Failed(String),
    /// Not applicable (a document without a signed chip, such as the bridge's ID cards).
    NotApplicable,
}

/// How a document's data reached the kiosk: what its authenticity rests on.
///
/// format-stable: serialized into the signed log; do not rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadBy {
    /// An ICAO 9303 chip read over PC/SC; its data is checked by passive authentication.
    Chip,
    /// A resident ID card read by the certified reader through its vendor SDK (the bridge):
    /// the reader's security module checked the card; no passive authentication exists for
    /// it on our side.
    CertifiedReader,
}

/// What the document reader produced.
#[derive(Clone, PartialEq)]
pub enum DocumentEvidence {
    /// No document was presented (a candidate registered without one).
    NotPresented,
    /// A document was read.
    Read {
        /// Document number as read.
        number: String,
        /// Holder's name as read.
        name: String,
        /// What read it.
        read_by: ReadBy,
        /// Passive authentication ([`PassiveAuth::NotApplicable`] for a certified reader).
        passive_auth: PassiveAuth,
    },
    /// A UID-only card (student or campus card): its UID led to a roster entry, or did not
    /// match the ticket's. A UID proves nothing alone (clonable); the face decides.
    CardUid {
        /// Whether the UID is the one the roster holds for the candidate.
        matches_roster: bool,
    },
    /// The candidate's document could not be read (no key, a refused chip, a failing
    /// bridge, nothing presented before the deadline): an invigilator must look.
    Unreadable {
        /// Why, in words (no personal data).
        why: String,
    },
}

impl fmt::Debug for DocumentEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocumentEvidence::NotPresented => f.write_str("NotPresented"),
            DocumentEvidence::Read {
                read_by,
                passive_auth,
                ..
            } => f
                .debug_struct("Read")
                .field("number", &"<redacted>")
                .field("name", &"<redacted>")
                .field("read_by", read_by)
                .field("passive_auth", passive_auth)
                .finish(),
            DocumentEvidence::CardUid { matches_roster } => f
                .debug_struct("CardUid")
                .field("matches_roster", matches_roster)
                .finish(),
            DocumentEvidence::Unreadable { why } => {
                f.debug_struct("Unreadable").field("why", why).finish()
            }
        }
    }
}

/// The live face capture, reduced to the numbers the decision needs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FaceEvidence {
    /// No usable face after this many tries (none found, or quality issues every time).
    NoUsableFace {
        /// Capture attempts made.
        tries: u8,
    },
    /// A face was captured.
    Captured {
        /// Liveness averaged over the capture's frames.
        liveness: f32,
        /// Cosine score against the registration template.
        registration_score: f32,
        /// Cosine score against the document portrait, when a portrait was read.
        portrait_score: Option<f32>,
    },
}

/// The answer-sheet barcode, when scanned at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaperEvidence {
    /// Not scanned (yet): the paper check happens at the seat.
    NotScanned,
    /// The label's candidate and session.
    Scanned {
        /// Ticket number printed on the label.
        ticket: TicketNumber,
        /// Session printed on the label.
        session: SessionId,
    },
}

/// Everything gathered for one candidate at the door.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The ticket presented.
    pub ticket: TicketNumber,
    /// The roster entry for it; `None` when the ticket is not in the exam's roster.
    pub candidate: Option<CandidateRecord>,
    /// The document.
    pub document: DocumentEvidence,
    /// The face.
    pub face: FaceEvidence,
    /// The answer sheet.
    pub paper: PaperEvidence,
    /// Whether this ticket was already admitted this session (by this kiosk's log).
    pub already_admitted: bool,
}
