//! The room's rules for one session: where the kiosk stands, the entry window, and the
//! thresholds. Every number the decision compares against lives here, from the room package.

use chrono::NaiveDateTime;

use super::evidence::{RoomRef, SessionId};

/// When candidates may enter, in exam-local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionWindow {
    /// Entry opens (typically 30 minutes before the start).
    pub entry_opens: NaiveDateTime,
    /// The exam starts.
    pub start: NaiveDateTime,
    /// Entry closes at this instant: a candidate arriving at or after it is late.
    pub late_cutoff: NaiveDateTime,
}

/// One room's policy for one session.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomPolicy {
    /// The session being sat.
    pub session: SessionId,
    /// The room this kiosk stands at.
    pub room: RoomRef,
    /// Entry times.
    pub window: SessionWindow,
    /// Minimum averaged liveness.
    pub min_liveness: f32,
    /// Minimum cosine score against the registration template.
    pub min_registration_score: f32,
    /// Minimum cosine score against the document portrait.
    pub min_portrait_score: f32,
    /// Capture attempts after which a face still unusable is referred.
    pub max_capture_tries: u8,
}
