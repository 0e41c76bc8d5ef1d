//! `office evidence`: one candidate's sealed live crops, opened for a hearing. Opening is
//! logged in the office database (ticket, by whom, when, how many crops): a child's face is
//! read only when someone answers for it.

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::db::OfficeDb;
use super::Error;
use crate::journal::events::Event;
use crate::journal::evidence::{self, EvidencePlain, SealedEvidence};

/// Open every sealed crop of `ticket` into `out` (`<session>-<kiosk>-<seq>.jpg`), log the
/// opening as done by `by` at `now_ms`; the files written.
pub fn open_for_ticket(
    db: &OfficeDb,
    secret: &[u8; 32],
    ticket: &str,
    out: &Path,
    by: &str,
    now_ms: i64,
) -> Result<Vec<PathBuf>, Error> {
    if by.trim().is_empty() {
        return Err(Error::Input(
            "--by NAME: opening evidence is logged with who opened it".into(),
        ));
    }
    let mut stmt = db
        .conn
        .prepare(
            "SELECT e.kiosk_id, e.seq, e.session, e.kind, e.payload, v.sealed
             FROM events e JOIN evidence v ON v.kiosk_id = e.kiosk_id AND v.seq = e.seq
             ORDER BY e.at_ms",
        )
        .map_err(db.sql())?;
    type Row = (String, i64, Option<String>, String, Vec<u8>, Vec<u8>);
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .map_err(db.sql())?
        .collect::<Result<_, _>>()
        .map_err(db.sql())?;
    let mine: Vec<&Row> = rows
        .iter()
        .filter(|(_, _, _, kind, payload, _)| {
            matches!(Event::parse(kind, payload), Ok(Event::Decision(d)) if d.ticket == ticket)
        })
        .collect();
    if mine.is_empty() {
        return Err(Error::Input(format!(
            "no sealed evidence for ticket {ticket}"
        )));
    }
    let mut crops = Vec::new();
    for (kiosk, seq, session, _, _, sealed) in &mine {
        let plain = evidence::open(secret, &SealedEvidence::from_bytes(sealed.clone()))
            .and_then(|p| EvidencePlain::decode(&p))
            .map_err(|e| Error::Input(format!("evidence of kiosk {kiosk} event {seq}: {e}")))?;
        // Names from signed payloads, made safe all the same: a file name, never a path.
        let name = format!(
            "{}-{}-{seq}.jpg",
            super::report::file_safe(session.as_deref().unwrap_or("no-session")),
            super::report::file_safe(kiosk)
        );
        crops.push((out.join(name), plain.crop_jpeg));
    }
    std::fs::create_dir_all(out).map_err(Error::io(out))?;
    // Logged before the faces are written: an opening is on record even if writing fails.
    db.conn
        .execute(
            "INSERT INTO evidence_opened (ticket, opened_by, at_ms, crops) VALUES (?1, ?2, ?3, ?4)",
            params![ticket, by.trim(), now_ms, crops.len() as i64],
        )
        .map_err(db.sql())?;
    let mut written = Vec::new();
    for (path, jpeg) in crops {
        std::fs::write(&path, jpeg).map_err(Error::io(&path))?;
        written.push(path);
    }
    Ok(written)
}
