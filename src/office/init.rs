//! `office init`: a new office database from the room packages the office issued (each
//! verified with the office key) and the kiosks' public keys, each bound to its room
//! (`keys gen --kiosk ID=SITE/ROOM` writes `kiosk-ID.pub` and `kiosk-ID.room`). Everything
//! is read and checked first; the database is written only when all of it is good.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use rusqlite::params;

use super::db::{self, OfficeDb};
use super::Error;
use crate::decision::RoomRef;
use crate::package::format::{RoomPackage, PACKAGE_FILE};
use crate::package::open::{self, VerifiedPackage};

/// What went into a new database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Room packages.
    pub rooms: usize,
    /// Sessions of the exam.
    pub sessions: usize,
    /// Distinct candidates.
    pub candidates: usize,
    /// Kiosks registered.
    pub kiosks: usize,
}

/// One registered kiosk.
#[derive(Debug, Clone)]
pub struct Kiosk {
    /// Its id.
    pub id: String,
    /// Its room.
    pub room: RoomRef,
    /// Its signing public key.
    pub key: VerifyingKey,
}

/// Every room package under `dir` (directories holding `package.json`), in path order.
pub fn package_dirs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if d.join(PACKAGE_FILE).is_file() {
            found.push(d.clone());
        }
        for entry in std::fs::read_dir(&d).map_err(Error::io(&d))? {
            let path = entry.map_err(Error::io(&d))?.path();
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(Error::Input(format!(
            "{}: no room package (no directory with {PACKAGE_FILE})",
            dir.display()
        )));
    }
    Ok(found)
}

/// The kiosks in `dir`: each `kiosk-ID.pub` with its `kiosk-ID.room`.
pub fn kiosks(dir: &Path) -> Result<Vec<Kiosk>, Error> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(id) = name
            .strip_prefix("kiosk-")
            .and_then(|n| n.strip_suffix(".pub"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
        let key = crate::platform::keystore::parse_public_key(text.trim(), name)
            .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        let room_path = dir.join(format!("kiosk-{id}.room"));
        let room_text = std::fs::read_to_string(&room_path).map_err(|_| {
            Error::Input(format!(
                "kiosk {id} has no room: {} is missing (keys gen --kiosk {id}=SITE/ROOM writes it)",
                room_path.display()
            ))
        })?;
        let room = RoomRef::parse(&room_text).ok_or_else(|| {
            Error::Input(format!(
                "{}: {:?} is not SITE/ROOM",
                room_path.display(),
                room_text.trim()
            ))
        })?;
        out.push(Kiosk {
            id: id.to_string(),
            room,
            key,
        });
    }
    if out.is_empty() {
        return Err(Error::Input(format!(
            "{}: no kiosk public key (kiosk-ID.pub)",
            dir.display()
        )));
    }
    Ok(out)
}

/// Make the database at `db_path` from the packages under `packages` (verified with
/// `office`) and the kiosks in `kiosk_keys`.
pub fn init(
    db_path: &Path,
    packages: &Path,
    office: &VerifyingKey,
    kiosk_keys: &Path,
) -> Result<Summary, Error> {
    // Only the package itself is kept: every room's package carries the whole exam's
    // directory (all placements), and 923 of those held at once is quadratic memory.
    let opened: Vec<RoomPackage> = package_dirs(packages)?
        .iter()
        .map(|dir| {
            open::open_any_time(dir, office)
                .map(|v: VerifiedPackage| slim(v.package))
                .map_err(|e| Error::Input(format!("package {}: {e}", dir.display())))
        })
        .collect::<Result<_, _>>()?;
    let first = &opened[0];
    if let Some(other) = opened.iter().find(|p| p.exam != first.exam) {
        return Err(Error::Input(format!(
            "package {}/{} is for exam {:?}, the others for {:?}",
            other.site, other.room, other.exam, first.exam
        )));
    }
    let rooms: BTreeSet<RoomRef> = opened.iter().map(RoomPackage::room_ref).collect();
    let kiosks = kiosks(kiosk_keys)?;
    if let Some(k) = kiosks.iter().find(|k| !rooms.contains(&k.room)) {
        return Err(Error::Input(format!(
            "kiosk {} is registered for {}, which has no package",
            k.id, k.room
        )));
    }
    let db = OfficeDb::create(db_path)?;
    let written = write(&db, &opened, &kiosks, office);
    if written.is_err() {
        drop(db);
        let _ = std::fs::remove_file(db_path);
    }
    written
}

/// A local time as stored (ISO 8601, what `NaiveDateTime` parses back).
fn stamp(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The package without what the office does not keep (templates, thumbnails).
fn slim(mut p: RoomPackage) -> RoomPackage {
    for c in &mut p.candidates {
        c.template.clear();
        c.thumbnail_jpeg.clear();
    }
    p
}

fn write(
    db: &OfficeDb,
    opened: &[RoomPackage],
    kiosks: &[Kiosk],
    office: &VerifyingKey,
) -> Result<Summary, Error> {
    let sql = db.sql();
    let tx = db.conn.unchecked_transaction().map_err(&sql)?;
    let first = &opened[0];
    let meta = [
        (db::EXAM, first.exam.clone()),
        (db::UTC_OFFSET, first.utc_offset.clone()),
        (
            db::OFFICE_KEY,
            crate::platform::keystore::hex(office.as_bytes()),
        ),
        (
            db::PROXY_THRESHOLD,
            first.policy.proxy_threshold.to_string(),
        ),
    ];
    for (k, v) in meta {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![k, v],
        )
        .map_err(&sql)?;
    }
    for s in &first.sessions {
        tx.execute(
            "INSERT INTO sessions (id, subject, entry_opens, start, late_cutoff, end_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                s.id,
                s.subject,
                stamp(s.entry_opens),
                stamp(s.start),
                stamp(s.late_cutoff),
                stamp(s.end)
            ],
        )
        .map_err(&sql)?;
    }
    let mut candidates = BTreeSet::new();
    let mut people = BTreeMap::new();
    for p in opened {
        tx.execute(
            "INSERT INTO rooms (site, room, site_name, seats) VALUES (?1, ?2, ?3, ?4)",
            params![p.site, p.room, p.site_name, p.seats],
        )
        .map_err(&sql)?;
        for c in &p.candidates {
            candidates.insert(c.ticket.clone());
            for (session, seat) in &c.seats {
                tx.execute(
                    "INSERT OR REPLACE INTO roster (session, ticket, name, site, room, seat)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![session, c.ticket, c.name, p.site, p.room, seat],
                )
                .map_err(&sql)?;
            }
        }
        for i in &p.invigilators {
            people.insert(
                (i.id.clone(), p.site.clone(), p.room.clone()),
                i.name.clone(),
            );
        }
    }
    for ((id, site, room), name) in &people {
        tx.execute(
            "INSERT INTO invigilators (id, name, site, room) VALUES (?1, ?2, ?3, ?4)",
            params![id, name, site, room],
        )
        .map_err(&sql)?;
    }
    for k in kiosks {
        tx.execute(
            "INSERT INTO kiosks (kiosk_id, site, room, public_key) VALUES (?1, ?2, ?3, ?4)",
            params![k.id, k.room.site, k.room.room, k.key.as_bytes().as_slice()],
        )
        .map_err(&sql)?;
    }
    tx.commit().map_err(&sql)?;
    Ok(Summary {
        rooms: opened.len(),
        sessions: first.sessions.len(),
        candidates: candidates.len(),
        kiosks: kiosks.len(),
    })
}
