//! The exam office: one SQLite database made from the room packages the office issued and
//! the kiosks' public keys (`init`), into which every kiosk's exported log is taken only when
//! it verifies (`ingest`), and from which the office reads what happened (`facts`) for the
//! status table, the reports, the one-face-two-tickets check (`proxies`) and a hearing's
//! evidence (`evidence`).

pub mod db;
pub mod evidence;
pub mod facts;
pub mod ingest;
pub mod init;
pub mod proxies;
pub mod report;
pub mod status;
pub mod synthetic;

/// What went wrong in the office database or its inputs (a bad export is not an error: it
/// is quarantined with its reason, see [`ingest::Rejected`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database.
    #[error("office database {path}: {source}")]
    Db {
        /// Its path.
        path: String,
        /// SQLite's words.
        source: rusqlite::Error,
    },
    /// A file.
    #[error("{path}: {source}")]
    Io {
        /// Which.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// An input that cannot be used, in words naming it.
    #[error("{0}")]
    Input(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |source| Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
