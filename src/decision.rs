//! The admission decision (`docs/design.md`, "The decision"): a pure function of the
//! evidence gathered at the door, the room's policy and the time, returning admit (with the
//! seat), refer to an invigilator (with every reason), or deny (with guidance). Deny and
//! Refer are values, never errors; nothing here reads a device, a clock or a file.

pub mod engine;
pub mod evidence;
pub mod policy;
pub mod words;

pub use engine::{admissible, decide, Decision, DenyReason, Guidance, ReferReason, Severity};
pub use evidence::{
    CandidateRecord, DocumentEvidence, DocumentKind, Evidence, FaceEvidence, PaperEvidence,
    PassiveAuth, Placement, ReadBy, RoomRef, SessionId, TicketNumber,
};
pub use policy::{RoomPolicy, SessionWindow};
