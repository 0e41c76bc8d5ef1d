//! The clock the door decides with. The late cutoff and the entry window are decided from
//! the kiosk's own clock, offline; a door machine whose clock is ten minutes off turns away
//! candidates who are on time. So when invigilators open a session the first one compares
//! the kiosk's time with the exam site's standard time and confirms it, or two of them enter
//! a correction, bounded here; the door then decides with the corrected time, and the log and
//! the seal carry the offset. Pure: the station keeps the state, the runner applies it.

use chrono::{NaiveDate, NaiveDateTime};

/// The largest correction two invigilators may enter (ms): a clock further off than half an
/// hour is a broken kiosk, for the exam office, not a correction at the door.
pub const MAX_CORRECTION_MS: i64 = 30 * 60_000;

/// Why a correction is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// Beyond ±30 minutes.
    #[error(
        "a clock correction of {} is more than the ±30:00 allowed: call the exam office",
        signed(*.0)
    )]
    TooLarge(i64),
}

/// A correction added to the kiosk's clock, within ±30 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockOffset(i64);

impl ClockOffset {
    /// No correction.
    pub const ZERO: ClockOffset = ClockOffset(0);

    /// A correction of `ms`, refused beyond ±30 minutes.
    pub fn new(ms: i64) -> Result<ClockOffset, ClockError> {
        if ms.abs() > MAX_CORRECTION_MS {
            return Err(ClockError::TooLarge(ms));
        }
        Ok(ClockOffset(ms))
    }

    /// The correction in ms.
    pub fn ms(self) -> i64 {
        self.0
    }

    /// The kiosk's time `kiosk_ms` corrected.
    pub fn apply(self, kiosk_ms: i64) -> i64 {
        kiosk_ms.saturating_add(self.0)
    }

    /// This correction moved by `delta_ms`, refused beyond the bound.
    pub fn moved(self, delta_ms: i64) -> Result<ClockOffset, ClockError> {
        ClockOffset::new(self.0.saturating_add(delta_ms))
    }
}

impl std::fmt::Display for ClockOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&signed(self.0))
    }
}

/// "+1:30", "−0:45", "±0:00": minutes and seconds with the sign a person reads.
fn signed(ms: i64) -> String {
    let sign = match ms.signum() {
        1 => "+",
        -1 => "−",
        _ => "±",
    };
    let s = ms.unsigned_abs() / 1000;
    format!("{sign}{}:{:02}", s / 60, s % 60)
}

/// Whether the session's clock has been confirmed, and with what correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockState {
    /// Nobody has confirmed the clock this session.
    #[default]
    Unconfirmed,
    /// Confirmed, with this correction (zero when the clock was right).
    Confirmed(ClockOffset),
}

impl ClockState {
    /// The correction in force (none until confirmed).
    pub fn offset(self) -> ClockOffset {
        match self {
            ClockState::Unconfirmed => ClockOffset::ZERO,
            ClockState::Confirmed(o) => o,
        }
    }
}

/// Whether the door may take candidates: always once the clock is confirmed; before that
/// only for a session whose date is today by the kiosk's clock (a session on another day
/// means the clock, or the session picked, is wrong, and nobody should be decided by it).
pub fn door_may_open(state: ClockState, session_day: NaiveDate, kiosk_now: NaiveDateTime) -> bool {
    matches!(state, ClockState::Confirmed(_)) || kiosk_now.date() == session_day
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 6, 12)
            .expect("date")
            .and_time(NaiveTime::from_hms_opt(h, m, s).expect("time"))
    }

    #[test]
    fn corrections_are_bounded_to_half_an_hour_either_way() {
        assert_eq!(
            ClockOffset::new(MAX_CORRECTION_MS).map(ClockOffset::ms),
            Ok(1_800_000)
        );
        assert_eq!(
            ClockOffset::new(-MAX_CORRECTION_MS).map(ClockOffset::ms),
            Ok(-1_800_000)
        );
        let e = ClockOffset::new(MAX_CORRECTION_MS + 1000).expect_err("too large");
        assert_eq!(
            e.to_string(),
            "a clock correction of +30:01 is more than the ±30:00 allowed: call the exam office"
        );
        assert!(ClockOffset::new(-31 * 60_000).is_err());
        let near = ClockOffset::new(29 * 60_000).expect("in bounds");
        assert!(near.moved(60_000).is_ok());
        assert!(near.moved(61_000).is_err());
    }

    #[test]
    fn offsets_read_with_their_sign() {
        assert_eq!(ClockOffset::ZERO.to_string(), "±0:00");
        assert_eq!(ClockOffset(90_000).to_string(), "+1:30");
        assert_eq!(ClockOffset(-45_000).to_string(), "−0:45");
        assert_eq!(ClockOffset(-600_000).to_string(), "−10:00");
    }

    #[test]
    fn a_session_on_another_day_waits_for_the_confirmation() {
        let today = at(7, 50, 0).date();
        let tomorrow = today.succ_opt().expect("tomorrow");
        assert!(door_may_open(ClockState::Unconfirmed, today, at(7, 50, 0)));
        assert!(!door_may_open(
            ClockState::Unconfirmed,
            tomorrow,
            at(7, 50, 0)
        ));
        assert!(door_may_open(
            ClockState::Confirmed(ClockOffset::ZERO),
            tomorrow,
            at(7, 50, 0)
        ));
    }
}
