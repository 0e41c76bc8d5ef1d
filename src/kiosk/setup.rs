//! From an opened room package to what the kiosk needs for one session: the session (named,
//! or the day's next one not yet over), its roster, the room's header, the invigilators' PIN
//! gate, the evidence sealer and the CSCA list. The demo and the real kiosk both start here.

use chrono::NaiveDateTime;

use super::config::ExportTo;
use super::door::Timeouts;
use super::roster::{Roster, RosterError};
use super::station::RoomInfo;
use crate::invigilator::{LockoutPolicy, PinGate};
use crate::journal::evidence::EvidenceSealer;
use crate::package::format::PackageSession;
use crate::package::open::VerifiedPackage;

/// Why a package cannot run a session now.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The configured session is not in the package.
    #[error("the package has no session {wanted:?} (it has: {have})")]
    NoSuchSession {
        /// Asked for.
        wanted: String,
        /// What the package has.
        have: String,
    },
    /// Every session has ended.
    #[error("every session of this package is over (the last ended at {last})")]
    AllOver {
        /// The last session's end.
        last: NaiveDateTime,
    },
    /// The package has no sessions at all.
    #[error("the package has no sessions")]
    NoSessions,
    /// The roster cannot be built.
    #[error(transparent)]
    Roster(#[from] RosterError),
    /// A CSCA certificate is not Base64.
    #[error("the package's CSCA certificate {index} is not Base64")]
    Csca {
        /// Its position in the list.
        index: usize,
    },
    /// The evidence key is not 64 hex digits.
    #[error("the package's office evidence key: {0}")]
    EvidenceKey(String),
}

/// The session to run: `wanted` by id, else the earliest one that has not ended at `now`.
pub fn pick_session<'a>(
    sessions: &'a [PackageSession],
    wanted: Option<&str>,
    now: NaiveDateTime,
) -> Result<&'a PackageSession, SetupError> {
    if let Some(w) = wanted {
        return sessions
            .iter()
            .find(|s| s.id == w)
            .ok_or_else(|| SetupError::NoSuchSession {
                wanted: w.to_string(),
                have: sessions
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
    }
    let last = sessions
        .iter()
        .map(|s| s.end)
        .max()
        .ok_or(SetupError::NoSessions)?;
    sessions
        .iter()
        .filter(|s| s.end > now)
        .min_by_key(|s| s.entry_opens)
        .ok_or(SetupError::AllOver { last })
}

/// One room's session, ready for the worker (devices, engine, log and clock come apart).
pub struct Room {
    /// The session's roster.
    pub roster: Roster,
    /// What the screens say about the room.
    pub info: RoomInfo,
    /// The invigilators' PINs.
    pub gate: PinGate,
    /// Sealing of referral evidence to the office key.
    pub sealer: EvidenceSealer,
    /// CSCA certificates (DER) for passive authentication.
    pub csca: Vec<Vec<u8>>,
    /// The door's deadlines, the document read's from the package's policy.
    pub timeouts: Timeouts,
}

impl Room {
    /// The room of `package` for `s` (one of its sessions); this kiosk is `kiosk_id`,
    /// exports go to `export`.
    pub fn new(
        package: &VerifiedPackage,
        s: &PackageSession,
        kiosk_id: &str,
        export: ExportTo,
    ) -> Result<Room, SetupError> {
        let roster = Roster::new(package, &s.id)?;
        let p = &package.package;
        let csca = p
            .csca
            .iter()
            .enumerate()
            .map(|(index, c)| {
                <base64ct::Base64 as base64ct::Encoding>::decode_vec(c)
                    .map_err(|_| SetupError::Csca { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let key = crate::platform::keystore::parse_hex32(&p.office_evidence_key, "evidence key")
            .map_err(|e| SetupError::EvidenceKey(e.to_string()))?;
        Ok(Room {
            info: RoomInfo {
                room: format!("{} · {}  {}", p.site, p.room, p.site_name),
                subject: s.subject.clone(),
                session: s.id.clone(),
                seats: p.seats,
                start: s.start,
                late_cutoff: s.late_cutoff,
                people: p
                    .invigilators
                    .iter()
                    .map(|i| (i.id.clone(), i.name.clone()))
                    .collect(),
                export,
                kiosk_id: kiosk_id.to_string(),
            },
            gate: PinGate::new(
                LockoutPolicy::default(),
                p.invigilators
                    .iter()
                    .map(|i| (i.id.clone(), i.pin_hash.clone())),
            ),
            sealer: EvidenceSealer::new(*key),
            csca,
            timeouts: Timeouts {
                document_read: roster.read_deadline_ms(),
                ..Timeouts::default()
            },
            roster,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 6, d)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("a date")
    }

    fn session(id: &str, day: u32, from: u32, to: u32) -> PackageSession {
        PackageSession {
            id: id.into(),
            subject: id.into(),
            entry_opens: at(day, from, 30),
            start: at(day, from + 1, 0),
            late_cutoff: at(day, from + 1, 15),
            end: at(day, to, 0),
        }
    }

    fn sessions() -> Vec<PackageSession> {
        vec![
            session("maths", 12, 13, 16),
            session("chinese", 12, 8, 11),
            session("english", 13, 8, 11),
        ]
    }

    #[test]
    fn the_earliest_session_not_yet_over() {
        let s = sessions();
        assert_eq!(
            pick_session(&s, None, at(11, 20, 0)).map(|s| &*s.id).ok(),
            Some("chinese")
        );
        assert_eq!(
            pick_session(&s, None, at(12, 10, 59)).map(|s| &*s.id).ok(),
            Some("chinese")
        );
        assert_eq!(
            pick_session(&s, None, at(12, 11, 0)).map(|s| &*s.id).ok(),
            Some("maths")
        );
        assert_eq!(
            pick_session(&s, None, at(12, 17, 0)).map(|s| &*s.id).ok(),
            Some("english")
        );
    }

    #[test]
    fn after_the_last_session_nothing_runs() {
        let e = pick_session(&sessions(), None, at(13, 11, 0)).expect_err("over");
        assert_eq!(
            e.to_string(),
            "every session of this package is over (the last ended at 2027-06-13 11:00:00)"
        );
        assert!(matches!(
            pick_session(&[], None, at(1, 1, 0)),
            Err(SetupError::NoSessions)
        ));
    }

    #[test]
    fn a_named_session_is_taken_or_the_choices_listed() {
        let s = sessions();
        assert_eq!(
            pick_session(&s, Some("maths"), at(12, 8, 0))
                .map(|s| &*s.id)
                .ok(),
            Some("maths")
        );
        let e = pick_session(&s, Some("physics"), at(12, 8, 0)).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "the package has no session \"physics\" (it has: maths, chinese, english)"
        );
    }
}
