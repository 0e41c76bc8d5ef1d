//! The SQLite file: migrations on open, WAL with `synchronous=FULL` (an append that returned
//! survives a crash or power cut), one transaction per event, triggers that refuse UPDATE
//! and DELETE. This is the only file that names `rusqlite` types.

use std::path::Path;

use ed25519_dalek::VerifyingKey;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::evidence::SealedEvidence;
use super::record::{AuditRecord, EventKind, Signed, Unsigned};
use super::trailer::Trailer;
use super::verify::{StoredRow, StoredTrailer};
use super::Error;
use crate::platform::keystore::{hex, KeyStore};

/// Numbered migrations, applied in order inside one transaction, tracked in `user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_events.sql"),
    include_str!("migrations/0002_evidence.sql"),
];

/// An open log for one kiosk.
pub struct Journal {
    conn: Connection,
    path: String,
    kiosk_id: String,
    head_seq: u64,
    head_hash: [u8; 32],
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Journal({}, kiosk {}, head {})",
            self.path, self.kiosk_id, self.head_seq
        )
    }
}

fn sql(path: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Sqlite {
        path: path.to_string(),
        source,
    }
}

fn connect(path: &Path, create: bool) -> Result<(Connection, String), Error> {
    let shown = path.display().to_string();
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(sql(&shown))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sql(&shown))?;
    // WAL + FULL: a committed transaction is on disk before commit returns.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sql(&shown))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql(&shown))?;
    migrate(&conn, &shown)?;
    Ok((conn, shown))
}

fn migrate(conn: &Connection, path: &str) -> Result<(), Error> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sql(path))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(Error::SchemaTooNew {
            path: path.to_string(),
            found: version,
            known,
        });
    }
    if version == known {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql(path))?;
    let applied = MIGRATIONS
        .iter()
        .skip(version as usize)
        .try_for_each(|m| conn.execute_batch(m))
        .and_then(|()| conn.pragma_update(None, "user_version", known));
    match applied {
        Ok(()) => conn.execute_batch("COMMIT").map_err(sql(path)),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(sql(path)(e))
        }
    }
}

impl Journal {
    /// Open (creating if absent) the log at `path` for `kiosk_id` signing with `key`. A file
    /// made for another kiosk or key is refused.
    pub fn open(path: &Path, kiosk_id: &str, key: &VerifyingKey) -> Result<Journal, Error> {
        let (conn, shown) = connect(path, true)?;
        let existing: Option<(String, Vec<u8>)> = conn
            .query_row("SELECT kiosk_id, public_key FROM kiosk", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(sql(&shown))?;
        match existing {
            None => {
                conn.execute(
                    "INSERT INTO kiosk (kiosk_id, public_key) VALUES (?1, ?2)",
                    params![kiosk_id, key.as_bytes().as_slice()],
                )
                .map_err(sql(&shown))?;
            }
            Some((found, found_key)) if found != kiosk_id || found_key != key.as_bytes() => {
                return Err(Error::WrongKiosk {
                    path: shown,
                    found,
                    found_key: hex(&found_key),
                    expected: kiosk_id.to_string(),
                    expected_key: hex(key.as_bytes()),
                })
            }
            Some(_) => {}
        }
        let (head_seq, head_hash) = head(&conn, kiosk_id, &shown)?;
        let journal = Journal {
            conn,
            path: shown,
            kiosk_id: kiosk_id.to_string(),
            head_seq,
            head_hash,
        };
        journal.check(key)?;
        Ok(journal)
    }

    /// The whole file checked before anything is appended: every event's link, hash and
    /// signature under the kiosk key, and the sealed evidence against the events naming it.
    /// A kiosk that started on an edited or cut-down file would carry on from it (forget
    /// admissions, lift PIN lockouts) and extend a chain nobody can verify; it refuses,
    /// naming the first broken place.
    fn check(&self, key: &VerifyingKey) -> Result<(), Error> {
        let rows = self.rows()?;
        let evidence = evidence_rows(&self.conn, &self.kiosk_id, &self.path)?;
        let evidence_problem = super::verify::verify_evidence(&rows, &evidence);
        let report = super::verify::verify_rows(rows, &self.kiosk_id, key);
        let broken = |seq: u64, what: String| Error::BrokenHead {
            path: self.path.clone(),
            seq,
            what,
        };
        if let Some((seq, problem)) = report.problem.or(evidence_problem) {
            return Err(broken(seq, problem.to_string()));
        }
        // The head read separately must be the head that verified (rows() and head() are
        // two queries; a row of another kiosk id or a seq < 1 would part them).
        if report.verified != self.head_seq || report.head.unwrap_or([0; 32]) != self.head_hash {
            return Err(broken(
                self.head_seq,
                format!(
                    "the last event is seq {} but the chain verified up to seq {}",
                    self.head_seq, report.verified
                ),
            ));
        }
        Ok(())
    }

    /// A consistent copy of the whole log (events and sealed evidence) in a new file at
    /// `to`, for the exam office, closed by a trailer the kiosk signs with `keys`: its id,
    /// the number of events and the chain head (see [`super::trailer`]). Refuses to
    /// overwrite an existing file. The copy is written beside `to` and renamed only once
    /// its trailer is in, so a file at `to` is always a whole export.
    pub fn export_to(&self, to: &Path, keys: &dyn KeyStore, at_ms: i64) -> Result<(), Error> {
        let shown = to.display().to_string();
        if to.exists() {
            return Err(Error::ExportExists(shown));
        }
        let mut partial = to.as_os_str().to_owned();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        // A partial copy left by an export that was cut off (power) holds nothing new.
        let _ = std::fs::remove_file(&partial);
        let shown_partial = partial.display().to_string();
        // VACUUM INTO writes a transactionally consistent, compacted copy; this connection
        // is the only writer, so the head in memory is the copy's last event.
        self.conn
            .execute("VACUUM INTO ?1", params![shown_partial])
            .map_err(sql(&shown_partial))?;
        let trailer = Trailer {
            kiosk_id: self.kiosk_id.clone(),
            events: self.head_seq,
            chain_head: self.head_hash,
            exported_at_ms: at_ms,
        };
        let signature = trailer.sign(keys);
        let written = Connection::open(&partial).and_then(|copy| {
            copy.execute_batch(super::trailer::TRAILER_TABLE_SQL)?;
            copy.execute(
                "INSERT INTO export_trailer (kiosk_id, events, chain_head, exported_at_ms, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    trailer.kiosk_id,
                    trailer.events as i64,
                    trailer.chain_head.as_slice(),
                    trailer.exported_at_ms,
                    signature.as_slice()
                ],
            )?;
            // One self-contained file for the stick: no -wal beside it.
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            copy.close().map_err(|(_, e)| e)
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(sql(&shown_partial)(e));
        }
        std::fs::rename(&partial, to).map_err(|source| Error::ExportWrite {
            path: shown,
            source,
        })
    }

    /// This kiosk's events in sequence order (a restarted kiosk resumes its session from them).
    pub fn rows(&self) -> Result<Vec<StoredRow>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kiosk_id, seq, at_ms, kind, payload, prev_hash, hash, signature
                 FROM events WHERE kiosk_id = ?1 ORDER BY seq",
            )
            .map_err(sql(&self.path))?;
        let rows = stmt
            .query_map([&self.kiosk_id], stored_row)
            .map_err(sql(&self.path))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql(&self.path));
        rows
    }

    /// The last event's sequence number (0 for an empty log).
    pub fn head_seq(&self) -> u64 {
        self.head_seq
    }

    /// The last event's hash (zeros for an empty log): what a seal closes.
    pub fn head_hash(&self) -> [u8; 32] {
        self.head_hash
    }

    /// Append one event in its own durable transaction; returns once it is on disk.
    pub fn append(
        &mut self,
        kind: &EventKind,
        payload: &[u8],
        at_ms: i64,
        keys: &dyn KeyStore,
    ) -> Result<AuditRecord<Signed>, Error> {
        let mut records = self.append_batch(&[(kind, payload, at_ms)], keys)?;
        Ok(records.remove(0))
    }

    /// Append several events in one transaction (bulk import, benchmarks); all or none are
    /// stored. The kiosk appends one event at a time.
    pub fn append_batch(
        &mut self,
        events: &[(&EventKind, &[u8], i64)],
        keys: &dyn KeyStore,
    ) -> Result<Vec<AuditRecord<Signed>>, Error> {
        let mut seq = self.head_seq;
        let mut prev = self.head_hash;
        let records: Vec<AuditRecord<Signed>> = events
            .iter()
            .map(|(kind, payload, at_ms)| {
                seq += 1;
                let signed = AuditRecord {
                    kiosk_id: self.kiosk_id.clone(),
                    seq,
                    at_ms: *at_ms,
                    kind: kind.as_str().to_string(),
                    payload: payload.to_vec(),
                    prev_hash: prev,
                    state: Unsigned,
                }
                .sign(keys);
                prev = signed.state.hash;
                signed
            })
            .collect();
        let err = sql(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        insert_events(&tx, &records).map_err(&err)?;
        tx.commit().map_err(&err)?;
        self.head_seq = seq;
        self.head_hash = prev;
        Ok(records)
    }

    /// Append one event with its sealed evidence, both in one durable transaction. The
    /// payload must be a JSON object whose `evidence_sha256` is the ciphertext's hash, so the
    /// signed chain vouches for the evidence.
    pub fn append_with_evidence(
        &mut self,
        kind: &EventKind,
        payload: &[u8],
        at_ms: i64,
        keys: &dyn KeyStore,
        evidence: &SealedEvidence,
    ) -> Result<AuditRecord<Signed>, Error> {
        let expected = evidence.sha256_hex();
        if referenced_evidence(payload).as_deref() != Some(expected.as_str()) {
            return Err(Error::EvidenceNotReferenced { expected });
        }
        let record = AuditRecord {
            kiosk_id: self.kiosk_id.clone(),
            seq: self.head_seq + 1,
            at_ms,
            kind: kind.as_str().to_string(),
            payload: payload.to_vec(),
            prev_hash: self.head_hash,
            state: Unsigned,
        }
        .sign(keys);
        let err = sql(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        insert_events(&tx, std::slice::from_ref(&record)).map_err(&err)?;
        tx.execute(
            "INSERT INTO evidence (kiosk_id, seq, ciphertext) VALUES (?1, ?2, ?3)",
            params![record.kiosk_id, record.seq as i64, evidence.as_bytes()],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        self.head_seq = record.seq;
        self.head_hash = record.state.hash;
        Ok(record)
    }
}

/// The `evidence_sha256` a payload names, if it is a JSON object with one.
pub fn referenced_evidence(payload: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    v.get("evidence_sha256")?.as_str().map(str::to_string)
}

fn insert_events(
    tx: &rusqlite::Transaction<'_>,
    records: &[AuditRecord<Signed>],
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO events (kiosk_id, seq, at_ms, kind, payload, prev_hash, hash, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for r in records {
        insert.execute(params![
            r.kiosk_id,
            r.seq as i64,
            r.at_ms,
            r.kind,
            r.payload,
            r.prev_hash.as_slice(),
            r.state.hash.as_slice(),
            r.state.signature.as_slice(),
        ])?;
    }
    Ok(())
}

fn head(conn: &Connection, kiosk_id: &str, path: &str) -> Result<(u64, [u8; 32]), Error> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash FROM events WHERE kiosk_id = ?1 ORDER BY seq DESC LIMIT 1",
            [kiosk_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql(path))?;
    match row {
        None => Ok((0, [0; 32])),
        Some((seq, hash)) => {
            let seq = u64::try_from(seq).unwrap_or(0);
            let hash = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| Error::BrokenHead {
                path: path.to_string(),
                seq,
                what: format!("head hash has {} bytes", hash.len()),
            })?;
            Ok((seq, hash))
        }
    }
}

/// One `events` row, columns in the order both queries select them.
fn stored_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow {
        kiosk_id: r.get(0)?,
        seq: r.get(1)?,
        at_ms: r.get(2)?,
        kind: r.get(3)?,
        payload: r.get(4)?,
        prev_hash: r.get(5)?,
        hash: r.get(6)?,
        signature: r.get(7)?,
    })
}

/// A log opened for reading: the kiosk it belongs to and its rows.
#[derive(Debug)]
pub struct LogFile {
    /// Kiosk id recorded in the file.
    pub kiosk_id: String,
    /// Public key recorded in the file (trust it only as far as the file).
    pub recorded_key: Vec<u8>,
    /// Every event row of that kiosk, in sequence order.
    pub rows: Vec<StoredRow>,
    /// Sealed evidence: (sequence number of its event, ciphertext).
    pub evidence: Vec<(i64, Vec<u8>)>,
    /// The export trailer's rows (exactly one in a whole export); `None` when the file has
    /// no trailer table (a kiosk's own log, or an export whose table was dropped).
    pub trailers: Option<Vec<StoredTrailer>>,
}

/// Read a log file without creating it (a missing file is an error).
pub fn read(path: &Path) -> Result<LogFile, Error> {
    let (conn, shown) = connect(path, false)?;
    let (kiosk_id, recorded_key): (String, Vec<u8>) = conn
        .query_row("SELECT kiosk_id, public_key FROM kiosk", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(sql(&shown))?;
    let mut stmt = conn
        .prepare(
            "SELECT kiosk_id, seq, at_ms, kind, payload, prev_hash, hash, signature
             FROM events ORDER BY kiosk_id = ?1 DESC, seq",
        )
        .map_err(sql(&shown))?;
    let rows = stmt
        .query_map([&kiosk_id], stored_row)
        .map_err(sql(&shown))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql(&shown))?;
    let evidence = evidence_rows(&conn, &kiosk_id, &shown)?;
    let trailers = trailer_rows(&conn, &shown)?;
    Ok(LogFile {
        kiosk_id,
        recorded_key,
        rows,
        evidence,
        trailers,
    })
}

/// Sealed evidence rows of `kiosk_id`: (sequence number of its event, ciphertext).
fn evidence_rows(
    conn: &Connection,
    kiosk_id: &str,
    path: &str,
) -> Result<Vec<(i64, Vec<u8>)>, Error> {
    conn.prepare("SELECT seq, ciphertext FROM evidence WHERE kiosk_id = ?1 ORDER BY seq")
        .and_then(|mut stmt| {
            stmt.query_map([kiosk_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql(path))
}

/// The export trailer rows, if the file has the table (only exports do).
fn trailer_rows(conn: &Connection, path: &str) -> Result<Option<Vec<StoredTrailer>>, Error> {
    let has_table: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'export_trailer'",
            [],
            |r| r.get(0),
        )
        .map_err(sql(path))?;
    if !has_table {
        return Ok(None);
    }
    conn.prepare(
        "SELECT kiosk_id, events, chain_head, exported_at_ms, signature FROM export_trailer",
    )
    .and_then(|mut stmt| {
        stmt.query_map([], |r| {
            Ok(StoredTrailer {
                kiosk_id: r.get(0)?,
                events: r.get(1)?,
                chain_head: r.get(2)?,
                exported_at_ms: r.get(3)?,
                signature: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()
    })
    .map(Some)
    .map_err(sql(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::verify::verify_rows;
    use crate::platform::keystore::SeedKeyStore;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("examgate-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join("log.db")
    }

    #[test]
    fn appends_persist_across_reopen_and_verify() {
        let path = temp("reopen");
        let keys = SeedKeyStore::from_seed(&[5; 32]);
        let kind = EventKind::new("decision").expect("kind");
        {
            let mut j = Journal::open(&path, "K1", &keys.verifying_key()).expect("open");
            for i in 0..3 {
                j.append(&kind, format!("{{\"i\":{i}}}").as_bytes(), 1000 + i, &keys)
                    .expect("append");
            }
        }
        let mut j = Journal::open(&path, "K1", &keys.verifying_key()).expect("reopen");
        assert_eq!(j.head_seq(), 3);
        j.append(&kind, b"{}", 2000, &keys)
            .expect("append after reopen");
        let file = read(&path).expect("read");
        let report = verify_rows(file.rows, "K1", &keys.verifying_key());
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.verified, 4);
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn update_and_delete_are_refused_by_the_database() {
        let path = temp("triggers");
        let keys = SeedKeyStore::from_seed(&[5; 32]);
        let mut j = Journal::open(&path, "K1", &keys.verifying_key()).expect("open");
        j.append(&EventKind::new("decision").expect("kind"), b"{}", 1, &keys)
            .expect("append");
        let conn = Connection::open(&path).expect("second connection");
        let upd = conn.execute("UPDATE events SET payload = x'00'", []);
        let del = conn.execute("DELETE FROM events", []);
        assert!(upd
            .expect_err("update refused")
            .to_string()
            .contains("append-only"));
        assert!(del
            .expect_err("delete refused")
            .to_string()
            .contains("append-only"));
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn a_log_of_another_kiosk_or_key_is_refused() {
        let path = temp("wrongkiosk");
        let keys = SeedKeyStore::from_seed(&[5; 32]);
        drop(Journal::open(&path, "K1", &keys.verifying_key()).expect("open"));
        let other = SeedKeyStore::from_seed(&[6; 32]).verifying_key();
        assert!(matches!(
            Journal::open(&path, "K1", &other),
            Err(Error::WrongKiosk { .. })
        ));
        assert!(matches!(
            Journal::open(&path, "K2", &keys.verifying_key()),
            Err(Error::WrongKiosk { .. })
        ));
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn evidence_is_stored_sealed_and_tied_to_its_signed_event() {
        use crate::journal::evidence::{self, EvidenceSealer};
        use crate::journal::verify::verify_evidence;

        let path = temp("evidence");
        let keys = SeedKeyStore::from_seed(&[5; 32]);
        let (office_secret, office_public) = evidence::generate_office_keypair();
        let sealed = EvidenceSealer::new(office_public)
            .seal(b"JPEG face crop of a 15-year-old")
            .expect("seals");
        let kind = EventKind::new("decision").expect("kind");
        let mut j = Journal::open(&path, "K1", &keys.verifying_key()).expect("open");

        // A payload that does not name the evidence is refused, and nothing is written.
        let err = j
            .append_with_evidence(&kind, br#"{"verdict":"refer"}"#, 1, &keys, &sealed)
            .expect_err("unreferenced evidence");
        assert!(matches!(err, Error::EvidenceNotReferenced { .. }));
        assert_eq!(j.head_seq(), 0);

        let payload = format!(
            r#"{{"verdict":"refer","evidence_sha256":"{}"}}"#,
            sealed.sha256_hex()
        );
        j.append_with_evidence(&kind, payload.as_bytes(), 1, &keys, &sealed)
            .expect("append with evidence");
        drop(j);

        let file = read(&path).expect("read");
        assert_eq!(file.evidence.len(), 1);
        let stored = crate::journal::SealedEvidence::from_bytes(file.evidence[0].1.clone());
        assert!(
            !stored.as_bytes().windows(9).any(|w| w == b"face crop"),
            "plain bytes on disk"
        );
        assert_eq!(
            evidence::open(&office_secret, &stored).expect("office opens"),
            b"JPEG face crop of a 15-year-old"
        );
        assert_eq!(verify_evidence(&file.rows, &file.evidence), None);

        // Replacing the ciphertext (with the trigger dropped) is caught.
        let other = EvidenceSealer::new(office_public)
            .seal(b"someone else")
            .expect("seals");
        let conn = Connection::open(&path).expect("tamper connection");
        conn.execute_batch("DROP TRIGGER evidence_no_update")
            .expect("drop trigger");
        conn.execute("UPDATE evidence SET ciphertext = ?1", [other.as_bytes()])
            .expect("replace");
        let file = read(&path).expect("read");
        assert_eq!(
            verify_evidence(&file.rows, &file.evidence),
            Some((1, crate::journal::Problem::EvidenceChanged))
        );
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn reading_a_missing_file_does_not_create_it() {
        let path = temp("missing");
        assert!(read(&path).is_err());
        assert!(!path.exists());
    }
}
