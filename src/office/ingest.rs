//! `office ingest`: take in a kiosk's exported log only when everything about it holds.
//!
//! An export is the kiosk's whole log (events from 1, sealed evidence, a kiosk-signed
//! trailer). It is taken in when: its kiosk is registered; every signature, the chain, the
//! evidence, the seals and the trailer verify (`journal::verify_log`, with the registered
//! key, never the one in the file); what it admitted sits in the kiosk's registered room;
//! it agrees with every event the office already holds from that kiosk (two different
//! events with one sequence number are a **fork**, reported with both); and every earlier
//! export it records (`log_exported`) has been taken in before it. Anything else is
//! **rejected** with its reason and nothing of it is stored. Taking in an export already
//! held changes nothing. The database changes in one transaction per export.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use super::db::OfficeDb;
use super::Error;
use crate::decision::Decision;
use crate::journal::actions::Verdict;
use crate::journal::events::Event;
use crate::journal::verify::{verify_log, Checks, StoredRow};
use crate::journal::LogFile;
use crate::platform::keystore::hex;

/// What became of one export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Taken in, with this many events new to the office.
    Ingested {
        /// The kiosk.
        kiosk: String,
        /// Events the office did not hold.
        new_events: u64,
    },
    /// The same file was taken in before: nothing changed.
    AlreadyHeld,
    /// Not taken in; why, in words that name the problem.
    Rejected(String),
}

/// Options of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Take in an export even when an earlier export it records was never received (its
    /// events are all in this one; the missing file is then only named).
    pub allow_missing_exports: bool,
}

/// The exported log files in `paths` (files, or directories searched for
/// `*.examgate-log`), each kiosk's in the order they were exported (by event count), so
/// one run can take in a kiosk's exports one after the other.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).map_err(Error::io(&d))? {
                    let path = entry.map_err(Error::io(&d))?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "examgate-log") {
                        files.push(path);
                    }
                }
            }
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(Error::Input(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    // A file whose trailer cannot be read sorts last; its own check says why.
    let mut keyed: Vec<((String, i64), PathBuf)> =
        files.into_iter().map(|f| (sort_key(&f), f)).collect();
    keyed.sort();
    Ok(keyed.into_iter().map(|(_, f)| f).collect())
}

fn sort_key(file: &Path) -> (String, i64) {
    let read = || -> Option<(String, i64)> {
        let conn =
            rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .ok()?;
        conn.query_row("SELECT kiosk_id, events FROM export_trailer", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .ok()
    };
    read().unwrap_or_else(|| ("\u{10FFFF}".to_string(), i64::MAX))
}

/// Take in the export at `path`.
pub fn ingest(db: &OfficeDb, path: &Path, now_ms: i64, options: Options) -> Result<Outcome, Error> {
    let bytes = std::fs::read(path).map_err(Error::io(path))?;
    let sha = hex(&Sha256::digest(&bytes));
    let sql = db.sql();
    let held: Option<i64> = db
        .conn
        .query_row("SELECT id FROM exports WHERE sha256 = ?1", [&sha], |r| {
            r.get(0)
        })
        .optional()
        .map_err(&sql)?;
    if held.is_some() {
        return Ok(Outcome::AlreadyHeld);
    }
    // Read from a private copy: opening a log sets its journal mode and schema, and the
    // export on the stick (and its hash) must stay as the kiosk wrote it.
    let copy = private_copy(&bytes)?;
    drop(bytes);
    let read = crate::journal::read(&copy.0);
    drop(copy);
    let file = match read {
        Ok(f) => f,
        Err(e) => {
            return Ok(Outcome::Rejected(format!(
                "not a readable exported log: {e}"
            )))
        }
    };
    let Some((kiosk_room, key)) = registered(db, &file.kiosk_id)? else {
        return Ok(Outcome::Rejected(format!(
            "kiosk {} is not registered with this office (office init --kiosk-keys)",
            file.kiosk_id
        )));
    };
    let report = verify_log(&file, &key, &Checks::default());
    if let Some((seq, problem)) = &report.report.problem {
        return Ok(Outcome::Rejected(format!(
            "does not verify against kiosk {}'s registered key: event {seq}: {problem}",
            file.kiosk_id
        )));
    }
    let Some(trailer) = file.trailers.as_ref().and_then(|t| t.first()) else {
        return Ok(Outcome::Rejected(
            "no export trailer: a kiosk's own log file, not an export".to_string(),
        ));
    };
    if let Some(why) = outside_room(db, &file.rows, &kiosk_room)? {
        return Ok(Outcome::Rejected(why));
    }
    // What the office holds is read and extended in one write transaction, taken before the
    // checks: a second ingest running at once waits, so it cannot pass the same checks
    // against the same held prefix and append a different continuation.
    let tx =
        rusqlite::Transaction::new_unchecked(&db.conn, rusqlite::TransactionBehavior::Immediate)
            .map_err(&sql)?;
    let head = trailer.chain_head.clone();
    let same: Option<i64> = tx
        .query_row(
            "SELECT id FROM exports WHERE kiosk_id = ?1 AND events = ?2 AND chain_head = ?3",
            params![file.kiosk_id, trailer.events, head],
            |r| r.get(0),
        )
        .optional()
        .map_err(&sql)?;
    if same.is_some() {
        // The same export in other bytes (copied or re-saved by a tool): nothing new.
        return Ok(Outcome::AlreadyHeld);
    }
    if let Some(why) = fork(db, &file)? {
        return Ok(Outcome::Rejected(why));
    }
    if !options.allow_missing_exports {
        if let Some(why) = missing_export(db, &file)? {
            return Ok(Outcome::Rejected(why));
        }
    }
    let new_events = store(db, path, &sha, &file, trailer, now_ms)?;
    tx.commit().map_err(&sql)?;
    Ok(Outcome::Ingested {
        kiosk: file.kiosk_id,
        new_events,
    })
}

/// A file holding `bytes` in a private temporary directory, removed when dropped.
struct PrivateCopy(PathBuf);

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn private_copy(bytes: &[u8]) -> Result<PrivateCopy, Error> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "examgate-ingest-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let path = dir.join("export.db");
    std::fs::write(&path, bytes).map_err(Error::io(&path))?;
    Ok(PrivateCopy(path))
}

/// The kiosk's registered room ("S01/R101") and key, if registered.
fn registered(
    db: &OfficeDb,
    kiosk: &str,
) -> Result<Option<(String, ed25519_dalek::VerifyingKey)>, Error> {
    let row: Option<(String, String, Vec<u8>)> = db
        .conn
        .query_row(
            "SELECT site, room, public_key FROM kiosks WHERE kiosk_id = ?1",
            [kiosk],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(db.sql())?;
    Ok(row.and_then(|(site, room, key)| {
        let key: [u8; 32] = key.try_into().ok()?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key).ok()?;
        Some((format!("{site}/{room}"), key))
    }))
}

/// A kiosk that is not where the office put it: most of its admissions (at the door, on
/// review or by hand) are of candidates seated in another room. A single odd admission is
/// taken in and reported (`report`: admitted in two rooms), not a reason to refuse the
/// room's whole log.
fn outside_room(db: &OfficeDb, rows: &[StoredRow], room: &str) -> Result<Option<String>, Error> {
    let mut stmt = db
        .conn
        .prepare_cached(
            "SELECT site || '/' || room, seat FROM roster WHERE session = ?1 AND ticket = ?2",
        )
        .map_err(db.sql())?;
    let mut session: Option<String> = None;
    let (mut inside, mut outside) = (0usize, Vec::new());
    for row in rows {
        let Ok(event) = Event::parse(&row.kind, &row.payload) else {
            continue;
        };
        let admitted = match event {
            Event::SessionOpened(o) => {
                session = Some(o.session);
                continue;
            }
            Event::Decision(d) => match d.decision {
                Decision::Admit { seat } => Some((d.ticket, seat)),
                _ => None,
            },
            Event::Resolved(r) => match r.verdict {
                Verdict::Admit { seat } => Some((r.ticket, seat)),
                Verdict::Deny => None,
            },
            Event::ManualAdmission(m) => Some((m.ticket, m.seat)),
            _ => None,
        };
        let (Some((ticket, seat)), Some(s)) = (admitted, session.as_deref()) else {
            continue;
        };
        let placed: Option<(String, u16)> = stmt
            .query_row(params![s, ticket], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db.sql())?;
        if placed.as_ref().is_some_and(|(r, _)| r == room) {
            inside += 1;
        } else {
            let sits = placed.map_or_else(
                || "is not on the roster of that session".to_string(),
                |(r, s)| format!("sits in {r} seat {s}"),
            );
            outside.push(format!(
                "event {} admits ticket {ticket} to seat {seat} in session {s}, who {sits}",
                row.seq
            ));
        }
    }
    Ok((outside.len() > inside).then(|| {
        format!(
            "kiosk {} is registered for {room}, but {} of its {} admissions are of candidates seated elsewhere (first: {})",
            rows.first().map_or("", |r| r.kiosk_id.as_str()),
            outside.len(),
            outside.len() + inside,
            outside[0]
        )
    }))
}

/// The first event where this export and what the office holds from the kiosk differ, as
/// words naming both.
fn fork(db: &OfficeDb, file: &LogFile) -> Result<Option<String>, Error> {
    let sql = db.sql();
    let held_max: i64 = db
        .conn
        .query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE kiosk_id = ?1",
            [&file.kiosk_id],
            |r| r.get(0),
        )
        .map_err(&sql)?;
    let overlap = held_max.min(file.rows.len() as i64);
    if overlap == 0 {
        return Ok(None);
    }
    let hash_at = |seq: i64| -> Result<Vec<u8>, Error> {
        db.conn
            .query_row(
                "SELECT hash FROM events WHERE kiosk_id = ?1 AND seq = ?2",
                params![file.kiosk_id, seq],
                |r| r.get(0),
            )
            .map_err(&sql)
    };
    // Hashes chain: the same event at the end of the overlap means the same before it.
    let row = |seq: i64| &file.rows[(seq - 1) as usize];
    if hash_at(overlap)? == row(overlap).hash {
        return Ok(None);
    }
    let mut seq = 1;
    while seq < overlap && hash_at(seq)? == row(seq).hash {
        seq += 1;
    }
    let (kind, at_ms): (String, i64) = db
        .conn
        .query_row(
            "SELECT kind, at_ms FROM events WHERE kiosk_id = ?1 AND seq = ?2",
            params![file.kiosk_id, seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(&sql)?;
    let theirs = row(seq);
    Ok(Some(format!(
        "fork at event {seq} of kiosk {}: the office holds {kind} at {at_ms} ms, this export has {} at {} ms (two different events with one sequence number)",
        file.kiosk_id, theirs.kind, theirs.at_ms
    )))
}

/// An earlier export this one records that the office has not taken in.
fn missing_export(db: &OfficeDb, file: &LogFile) -> Result<Option<String>, Error> {
    let mut stmt = db
        .conn
        .prepare_cached("SELECT events FROM exports WHERE kiosk_id = ?1")
        .map_err(db.sql())?;
    let held: HashSet<i64> = stmt
        .query_map([&file.kiosk_id], |r| r.get(0))
        .map_err(db.sql())?
        .collect::<Result<_, _>>()
        .map_err(db.sql())?;
    for row in &file.rows {
        if let Ok(Event::LogExported { file: name, events }) = Event::parse(&row.kind, &row.payload)
        {
            if !held.contains(&(events as i64)) {
                return Ok(Some(format!(
                    "kiosk {} exported {name} ({events} events) before this export, and the office has not taken it in: ingest it first (or --allow-missing-exports)",
                    file.kiosk_id
                )));
            }
        }
    }
    Ok(None)
}

/// Store the export, its events new to the office (with the session each belongs to) and
/// their evidence, inside the caller's transaction.
fn store(
    db: &OfficeDb,
    path: &Path,
    sha: &str,
    file: &LogFile,
    trailer: &crate::journal::verify::StoredTrailer,
    now_ms: i64,
) -> Result<u64, Error> {
    let sql = db.sql();
    let tx = &db.conn;
    let held_max: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE kiosk_id = ?1",
            [&file.kiosk_id],
            |r| r.get(0),
        )
        .map_err(&sql)?;
    tx.execute(
        "INSERT INTO exports (kiosk_id, file, sha256, events, chain_head, exported_at_ms, ingested_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            file.kiosk_id,
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            sha,
            trailer.events,
            trailer.chain_head,
            trailer.exported_at_ms,
            now_ms
        ],
    )
    .map_err(&sql)?;
    let mut new_events = 0;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO events (kiosk_id, seq, at_ms, kind, payload, hash, session)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(&sql)?;
        let mut session: Option<String> = None;
        for row in &file.rows {
            if let Ok(Event::SessionOpened(o)) = Event::parse(&row.kind, &row.payload) {
                session = Some(o.session);
            }
            if row.seq <= held_max {
                continue;
            }
            insert
                .execute(params![
                    row.kiosk_id,
                    row.seq,
                    row.at_ms,
                    row.kind,
                    row.payload,
                    row.hash,
                    session
                ])
                .map_err(&sql)?;
            new_events += 1;
        }
        let mut evidence = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO evidence (kiosk_id, seq, sealed) VALUES (?1, ?2, ?3)",
            )
            .map_err(&sql)?;
        for (seq, sealed) in &file.evidence {
            if *seq > held_max {
                evidence
                    .execute(params![file.kiosk_id, seq, sealed])
                    .map_err(&sql)?;
            }
        }
    }
    Ok(new_events)
}

/// Copy a rejected export aside (`DIR/<name>`, `DIR/<name>.reason.txt`); the copy's path.
pub fn quarantine(dir: &Path, file: &Path, reason: &str) -> Result<PathBuf, Error> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_string());
    let mut target = dir.join(&name);
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = dir.join(format!("{n}-{name}"));
    }
    std::fs::copy(file, &target).map_err(Error::io(&target))?;
    let mut why = target.as_os_str().to_owned();
    why.push(".reason.txt");
    let why = PathBuf::from(why);
    std::fs::write(&why, format!("{}\n{reason}\n", file.display())).map_err(Error::io(&why))?;
    Ok(target)
}
