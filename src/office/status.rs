//! `office status`: per session and room, whether the kiosk's export came in, whether the
//! session was sealed and with which code, and the counts as the kiosk's rules count them.

use serde::Serialize;

use super::facts::Facts;
use crate::decision::RoomRef;

/// One room in one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomStatus {
    /// Session id.
    pub session: String,
    /// Site.
    pub site: String,
    /// Room.
    pub room: String,
    /// On the roster.
    pub expected: u32,
    /// Events of this session came in from the room's kiosk.
    pub export: bool,
    /// The session was sealed.
    pub sealed: bool,
    /// The seal code (`142 · K7F3-9QW2`), once sealed.
    pub seal_code: Option<String>,
    /// Admitted (at the door, on review or by hand).
    pub admitted: u32,
    /// Referrals raised.
    pub referred: u32,
    /// Turned away at the door.
    pub denied: u32,
    /// On the roster and not admitted.
    pub absent: u32,
}

/// Every (session, room) with candidates or an export, by session start then room.
pub fn status(f: &Facts) -> Vec<RoomStatus> {
    let mut out = Vec::new();
    for s in &f.sessions {
        for r in &f.rooms {
            let expected = f.seated(&s.id, &r.room).len() as u32;
            let replayed: Vec<_> = f
                .kiosks
                .iter()
                .filter(|(_, room)| **room == r.room)
                .filter_map(|(k, _)| f.replayed.get(&(s.id.clone(), k.clone())))
                .collect();
            if expected == 0 && replayed.is_empty() {
                continue;
            }
            let count = |pick: fn(&crate::decision::Decision) -> bool| {
                replayed
                    .iter()
                    .map(|x| x.tally.decisions.iter().filter(|(_, d)| pick(d)).count() as u32)
                    .sum::<u32>()
            };
            // Roster tickets admitted by any of the room's kiosks, each once: a ticket of
            // another room admitted here is not this room's attendance.
            let admitted = f
                .seated(&s.id, &r.room)
                .iter()
                .filter(|t| {
                    let t = crate::decision::TicketNumber((*t).clone());
                    replayed.iter().any(|x| x.tally.admitted.contains_key(&t))
                })
                .count() as u32;
            let code = replayed.iter().find_map(|x| x.seal_code);
            out.push(RoomStatus {
                session: s.id.clone(),
                site: r.room.site.clone(),
                room: r.room.room.clone(),
                expected,
                export: !replayed.is_empty(),
                sealed: replayed.iter().any(|x| x.sealed),
                seal_code: code.map(|c| c.to_string()),
                admitted,
                referred: count(|d| matches!(d, crate::decision::Decision::Refer { .. })),
                denied: count(|d| matches!(d, crate::decision::Decision::Deny { .. })),
                absent: expected.saturating_sub(admitted),
            });
        }
    }
    out
}

/// The room of a status row.
pub fn room_of(s: &RoomStatus) -> RoomRef {
    RoomRef {
        site: s.site.clone(),
        room: s.room.clone(),
    }
}
