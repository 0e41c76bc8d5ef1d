//! The tamper-evident local log (`docs/design.md`, "The log"): one append-only series of
//! events per kiosk in a SQLite file, each event hashed over its content and its
//! predecessor's hash and signed with the kiosk key. Scores and reasons go in; face
//! templates never do.

pub mod actions;
pub mod events;
pub mod evidence;
pub mod record;
pub mod seal;
pub mod store;
pub mod trailer;
pub mod verify;

pub use evidence::{EvidenceSealer, SealedEvidence};
pub use record::{AuditRecord, EventKind, Signed, Unsigned};
pub use seal::SealCode;
pub use store::{read, Journal, LogFile};
pub use verify::{
    verify_evidence, verify_log, verify_rows, Checks, LogReport, Problem, Report, StoredRow,
    StoredTrailer,
};

/// What went wrong with the log file itself. A broken chain is a [`verify::Report`], not
/// an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An export would overwrite a file.
    #[error("export target {0} already exists; choose a new file")]
    ExportExists(String),
    /// The finished export could not be put in place.
    #[error("export {path}: {source}")]
    ExportWrite {
        /// The export's file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// SQLite refused an operation (corrupt file, disk full, a trigger).
    #[error("log database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file belongs to another kiosk or was created with another key.
    #[error("log {path} belongs to kiosk {found} (key {found_key}), not {expected} (key {expected_key})")]
    WrongKiosk {
        /// The database file.
        path: String,
        /// Kiosk id in the file.
        found: String,
        /// Its key (hex).
        found_key: String,
        /// Kiosk id asked for.
        expected: String,
        /// Key asked for (hex).
        expected_key: String,
    },
    /// The file's schema is newer than this program.
    #[error("log {path} has schema version {found}; this examgate knows up to {known}")]
    SchemaTooNew {
        /// The database file.
        path: String,
        /// `user_version` in the file.
        found: i64,
        /// Highest migration known.
        known: i64,
    },
    /// An event kind that is empty, too long or not lower-case ASCII.
    #[error("event kind {0:?} must be 1–32 characters of a–z, 0–9, '-' or '_'")]
    BadKind(String),
    /// Evidence whose hash the event payload does not carry as `evidence_sha256`.
    #[error("the event payload must carry evidence_sha256 = {expected}")]
    EvidenceNotReferenced {
        /// The hash expected.
        expected: String,
    },
    /// The file does not verify (chain, signatures or evidence) when it is opened for
    /// appending; appending would extend a broken chain.
    #[error("log {path} does not verify at seq {seq}: {what}; refusing to append")]
    BrokenHead {
        /// The database file.
        path: String,
        /// Where.
        seq: u64,
        /// What.
        what: String,
    },
}
