//! The office database: the exam as issued (sessions, rooms, rosters, invigilators), the
//! registered kiosks, and what the kiosks' exports brought in (exports, events, sealed
//! evidence), plus who opened which evidence. Events are stored as the kiosk signed them
//! (hash included), so anything read from here can be checked again.

use std::path::Path;

use rusqlite::Connection;

use super::Error;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, subject TEXT NOT NULL, entry_opens TEXT NOT NULL,
    start TEXT NOT NULL, late_cutoff TEXT NOT NULL, end_at TEXT NOT NULL);
CREATE TABLE rooms (
    site TEXT NOT NULL, room TEXT NOT NULL, site_name TEXT NOT NULL, seats INTEGER NOT NULL,
    PRIMARY KEY (site, room));
CREATE TABLE roster (
    session TEXT NOT NULL, ticket TEXT NOT NULL, name TEXT NOT NULL,
    site TEXT NOT NULL, room TEXT NOT NULL, seat INTEGER NOT NULL,
    PRIMARY KEY (session, ticket));
CREATE TABLE invigilators (
    id TEXT NOT NULL, name TEXT NOT NULL, site TEXT NOT NULL, room TEXT NOT NULL,
    PRIMARY KEY (id, site, room));
CREATE TABLE kiosks (
    kiosk_id TEXT PRIMARY KEY, site TEXT NOT NULL, room TEXT NOT NULL,
    public_key BLOB NOT NULL);
CREATE TABLE exports (
    id INTEGER PRIMARY KEY, kiosk_id TEXT NOT NULL, file TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE, events INTEGER NOT NULL, chain_head BLOB NOT NULL,
    exported_at_ms INTEGER NOT NULL, ingested_at_ms INTEGER NOT NULL);
CREATE TABLE events (
    kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL, payload BLOB NOT NULL, hash BLOB NOT NULL, session TEXT,
    PRIMARY KEY (kiosk_id, seq)) WITHOUT ROWID;
CREATE TABLE evidence (
    kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, sealed BLOB NOT NULL,
    PRIMARY KEY (kiosk_id, seq)) WITHOUT ROWID;
CREATE TABLE evidence_opened (
    id INTEGER PRIMARY KEY, ticket TEXT NOT NULL, opened_by TEXT NOT NULL,
    at_ms INTEGER NOT NULL, crops INTEGER NOT NULL);
";

/// Meta keys.
pub const EXAM: &str = "exam";
/// The exam's UTC offset (`+08:00`).
pub const UTC_OFFSET: &str = "utc_offset";
/// The office signing key the packages verified with (hex).
pub const OFFICE_KEY: &str = "office_key";
/// The proxy check's threshold (from the packages' policy).
pub const PROXY_THRESHOLD: &str = "proxy_threshold";

/// An open office database.
pub struct OfficeDb {
    /// The connection.
    pub conn: Connection,
    /// Its path, for messages.
    pub shown: String,
}

impl OfficeDb {
    /// A new database at `path`; refuses an existing file (an office database holds what was
    /// ingested: it is never overwritten).
    pub fn create(path: &Path) -> Result<OfficeDb, Error> {
        let shown = path.display().to_string();
        if path.exists() {
            return Err(Error::Input(format!(
                "{shown} exists: an office database is never overwritten (choose another path)"
            )));
        }
        let conn = Connection::open(path).map_err(sql(&shown))?;
        let db = OfficeDb { conn, shown };
        db.pragmas()?;
        db.conn.execute_batch(SCHEMA).map_err(sql(&db.shown))?;
        Ok(db)
    }

    /// An existing database at `path`.
    pub fn open(path: &Path) -> Result<OfficeDb, Error> {
        let shown = path.display().to_string();
        if !path.is_file() {
            return Err(Error::Input(format!(
                "{shown} does not exist: make it with examgate office init"
            )));
        }
        let conn = Connection::open(path).map_err(sql(&shown))?;
        let db = OfficeDb { conn, shown };
        db.pragmas()?;
        // A file that is not ours fails here, by name, rather than at the first query.
        db.meta(EXAM)?;
        Ok(db)
    }

    fn pragmas(&self) -> Result<(), Error> {
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(sql(&self.shown))
    }

    /// A meta value.
    pub fn meta(&self, key: &str) -> Result<String, Error> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .map_err(|e| {
                Error::Input(format!(
                    "{} is not an office database made by examgate office init ({key}: {e})",
                    self.shown
                ))
            })
    }

    /// Map a SQLite error to ours.
    pub fn sql(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        sql(&self.shown)
    }
}

/// Map a SQLite error on `shown` to ours.
pub fn sql(shown: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Db {
        path: shown.to_string(),
        source,
    }
}
