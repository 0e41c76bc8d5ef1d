//! What the office database says happened, read once: the exam as issued and every kiosk
//! event taken in, typed, with its kiosk, room and session. Each session of each kiosk is
//! also replayed by the kiosk's own rules (`kiosk::resume::replay`), so the office counts
//! exactly what the kiosk counted when it sealed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{FixedOffset, NaiveDateTime};

use super::db::{self, OfficeDb};
use super::Error;
use crate::decision::RoomRef;
use crate::journal::events::Event;
use crate::journal::verify::StoredRow;
use crate::kiosk::resume::{self, Replayed};

/// A session of the exam.
#[derive(Debug, Clone)]
pub struct Session {
    /// Id.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Entry opens, exam-local.
    pub entry_opens: NaiveDateTime,
    /// Start.
    pub start: NaiveDateTime,
    /// Late cutoff.
    pub late_cutoff: NaiveDateTime,
    /// End.
    pub end: NaiveDateTime,
}

/// A room of the exam.
#[derive(Debug, Clone)]
pub struct Room {
    /// Site and room.
    pub room: RoomRef,
    /// The site's name.
    pub site_name: String,
    /// Seats.
    pub seats: u16,
}

/// A candidate's place in one session.
#[derive(Debug, Clone)]
pub struct Seat {
    /// Registered name.
    pub name: String,
    /// Room.
    pub room: RoomRef,
    /// Seat.
    pub seat: u16,
}

/// One event taken in, typed.
#[derive(Debug, Clone)]
pub struct Logged {
    /// The kiosk.
    pub kiosk: String,
    /// Its room.
    pub room: RoomRef,
    /// Sequence number.
    pub seq: u64,
    /// When (ms since the epoch, the kiosk's clock as corrected by its invigilators).
    pub at_ms: i64,
    /// The session it belongs to.
    pub session: Option<String>,
    /// The event.
    pub event: Event,
}

/// Everything the reports need.
#[derive(Debug)]
pub struct Facts {
    /// The exam's name.
    pub exam: String,
    /// Its UTC offset.
    pub offset: FixedOffset,
    /// Sessions, by start.
    pub sessions: Vec<Session>,
    /// Rooms, by site and room.
    pub rooms: Vec<Room>,
    /// Roster: (session, ticket) → seat.
    pub roster: HashMap<(String, String), Seat>,
    /// Roster by (session, room): the tickets seated there.
    pub by_room: HashMap<(String, RoomRef), Vec<String>>,
    /// Invigilators' names by id.
    pub invigilators: HashMap<String, String>,
    /// Kiosks' rooms.
    pub kiosks: BTreeMap<String, RoomRef>,
    /// Every event taken in, by kiosk and sequence.
    pub events: Vec<Logged>,
    /// Each (session, kiosk) replayed by the kiosk's rules.
    pub replayed: BTreeMap<(String, String), Replayed>,
    /// The proxy check's threshold.
    pub proxy_threshold: f32,
}

impl Facts {
    /// Exam-local time of `ms`.
    pub fn local(&self, ms: i64) -> NaiveDateTime {
        crate::package::open::local_time(ms, self.offset)
    }

    /// Tickets seated in `room` in `session`.
    pub fn seated(&self, session: &str, room: &RoomRef) -> &[String] {
        self.by_room
            .get(&(session.to_string(), room.clone()))
            .map_or(&[], Vec::as_slice)
    }
}

fn time(text: &str, what: &str) -> Result<NaiveDateTime, Error> {
    text.parse()
        .map_err(|e| Error::Input(format!("office database: {what} {text:?}: {e}")))
}

/// Read the database.
pub fn load(db: &OfficeDb) -> Result<Facts, Error> {
    let sql = db.sql();
    let exam = db.meta(db::EXAM)?;
    let offset: FixedOffset = db
        .meta(db::UTC_OFFSET)?
        .parse()
        .map_err(|_| Error::Input("office database: utc_offset is not an offset".into()))?;
    let proxy_threshold = db
        .meta(db::PROXY_THRESHOLD)?
        .parse()
        .unwrap_or(crate::face::PROXY_THRESHOLD);
    let mut stmt = db
        .conn
        .prepare("SELECT id, subject, entry_opens, start, late_cutoff, end_at FROM sessions ORDER BY start")
        .map_err(&sql)?;
    let raw: Vec<(String, String, String, String, String, String)> = stmt
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
        .map_err(&sql)?
        .collect::<Result<_, _>>()
        .map_err(&sql)?;
    let sessions = raw
        .into_iter()
        .map(|(id, subject, e, s, l, end)| {
            Ok(Session {
                entry_opens: time(&e, "entry_opens")?,
                start: time(&s, "start")?,
                late_cutoff: time(&l, "late_cutoff")?,
                end: time(&end, "end")?,
                id,
                subject,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut stmt = db
        .conn
        .prepare("SELECT site, room, site_name, seats FROM rooms ORDER BY site, room")
        .map_err(&sql)?;
    let rooms = stmt
        .query_map([], |r| {
            Ok(Room {
                room: RoomRef {
                    site: r.get(0)?,
                    room: r.get(1)?,
                },
                site_name: r.get(2)?,
                seats: r.get(3)?,
            })
        })
        .map_err(&sql)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(&sql)?;
    let mut stmt = db
        .conn
        .prepare("SELECT session, ticket, name, site, room, seat FROM roster")
        .map_err(&sql)?;
    let roster = stmt
        .query_map([], |r| {
            Ok((
                (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                Seat {
                    name: r.get(2)?,
                    room: RoomRef {
                        site: r.get(3)?,
                        room: r.get(4)?,
                    },
                    seat: r.get(5)?,
                },
            ))
        })
        .map_err(&sql)?
        .collect::<Result<HashMap<_, _>, _>>()
        .map_err(&sql)?;
    let mut by_room: HashMap<(String, RoomRef), Vec<String>> = HashMap::new();
    for ((session, ticket), seat) in &roster {
        by_room
            .entry((session.clone(), seat.room.clone()))
            .or_default()
            .push(ticket.clone());
    }
    for tickets in by_room.values_mut() {
        tickets.sort();
    }
    let mut stmt = db
        .conn
        .prepare("SELECT id, name FROM invigilators")
        .map_err(&sql)?;
    let invigilators = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(&sql)?
        .collect::<Result<HashMap<_, _>, _>>()
        .map_err(&sql)?;
    let mut stmt = db
        .conn
        .prepare("SELECT kiosk_id, site, room FROM kiosks")
        .map_err(&sql)?;
    let kiosks = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                RoomRef {
                    site: r.get(1)?,
                    room: r.get(2)?,
                },
            ))
        })
        .map_err(&sql)?
        .collect::<Result<BTreeMap<_, _>, _>>()
        .map_err(&sql)?;
    let mut stmt = db
        .conn
        .prepare("SELECT kiosk_id, seq, at_ms, kind, payload, hash, session FROM events ORDER BY kiosk_id, seq")
        .map_err(&sql)?;
    let rows: Vec<(StoredRow, Option<String>)> = stmt
        .query_map([], |r| {
            Ok((
                StoredRow {
                    kiosk_id: r.get(0)?,
                    seq: r.get(1)?,
                    at_ms: r.get(2)?,
                    kind: r.get(3)?,
                    payload: r.get(4)?,
                    prev_hash: Vec::new(),
                    hash: r.get(5)?,
                    signature: Vec::new(),
                },
                r.get(6)?,
            ))
        })
        .map_err(&sql)?
        .collect::<Result<_, _>>()
        .map_err(&sql)?;
    let mut events = Vec::with_capacity(rows.len());
    let mut replayed = BTreeMap::new();
    // Each kiosk's rows and the sessions they belong to, gathered in the one pass.
    let mut by_kiosk: BTreeMap<&str, (Vec<StoredRow>, BTreeSet<&str>)> = BTreeMap::new();
    for (row, session) in &rows {
        let (kiosk_rows, seen) = by_kiosk.entry(row.kiosk_id.as_str()).or_default();
        kiosk_rows.push(row.clone());
        seen.extend(session.as_deref());
        // Every event verified at ingest; one this examgate cannot type is skipped here.
        let Ok(event) = Event::parse(&row.kind, &row.payload) else {
            continue;
        };
        let Some(room) = kiosks.get(&row.kiosk_id) else {
            continue;
        };
        events.push(Logged {
            kiosk: row.kiosk_id.clone(),
            room: room.clone(),
            seq: row.seq as u64,
            at_ms: row.at_ms,
            session: session.clone(),
            event,
        });
    }
    for (kiosk, (kiosk_rows, seen)) in by_kiosk {
        for session in seen {
            let r = resume::replay(&kiosk_rows, session)
                .map_err(|e| Error::Input(format!("kiosk {kiosk}: {e}")))?;
            replayed.insert((session.to_string(), kiosk.to_string()), r);
        }
    }
    Ok(Facts {
        exam,
        offset,
        sessions,
        rooms,
        roster,
        by_room,
        invigilators,
        kiosks,
        events,
        replayed,
        proxy_threshold,
    })
}
