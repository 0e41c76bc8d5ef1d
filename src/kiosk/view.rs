//! What the screen shows, as plain data: the UI adapter (src/ui.rs) copies a [`View`] into
//! the slint window property by property, and the screenshot writer renders it. No UI types
//! here, so a view can be built, compared and sent between threads in tests.

use image::RgbImage;

use super::door::{Device, Hint};
use crate::decision::{DenyReason, ReferReason};
use crate::journal::actions::ReasonCode;

/// Which screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// Waiting for a candidate.
    #[default]
    Idle,
    /// Reading the document.
    Reading,
    /// Face capture with the live preview.
    Capture,
    /// The verdict.
    Result,
    /// A device is missing.
    DeviceError,
    /// An invigilator PIN.
    Pin,
    /// Invigilator mode: seat map and referrals.
    Invigilator,
    /// One referral under review.
    Review,
    /// Recording incidents.
    Incidents,
    /// Sealing the session.
    Seal,
    /// The clock compared with the exam site's standard time (and, at the door, a session
    /// on another day waiting for that).
    Clock,
    /// No room package yet (first boot): waiting for an invigilator to import one from the
    /// USB stick.
    NoPackage,
}

impl Screen {
    /// A short file-name-safe name.
    pub fn name(self) -> &'static str {
        match self {
            Screen::Idle => "idle",
            Screen::Reading => "reading",
            Screen::Capture => "capture",
            Screen::Result => "result",
            Screen::DeviceError => "device-error",
            Screen::Pin => "pin",
            Screen::Invigilator => "invigilator",
            Screen::Review => "review",
            Screen::Incidents => "incidents",
            Screen::Seal => "seal",
            Screen::Clock => "clock",
            Screen::NoPackage => "no-package",
        }
    }
}

/// The verdict shown to the candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Green: enter, with the seat and the registered name.
    Admit {
        /// Seat.
        seat: u16,
        /// Registered name.
        name: String,
    },
    /// Amber: wait for the invigilator.
    Refer,
    /// Red: with the reason and where to go.
    Deny {
        /// Why.
        reason: DenyReason,
        /// Site, room, seat to go to (wrong room).
        go_to: Option<(String, String, u16)>,
        /// When entry opens (too early), exam-local "HH:MM".
        come_back_at: Option<String>,
    },
}

/// Why a PIN is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PinPurpose {
    /// Opening invigilator mode.
    #[default]
    Unlock,
    /// A second invigilator confirms an admission that needs two people (a high-severity
    /// reason, no usable face, low liveness, or an admission by hand).
    SecondForAdmit,
    /// A second invigilator attests the seal.
    SecondForSeal,
    /// A second invigilator checks a clock correction.
    SecondForClock,
}

/// The message under the PIN pad.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PinMessage {
    /// Nothing to say.
    #[default]
    None,
    /// Wrong PIN, with the tries left.
    Wrong {
        /// Before the lockout.
        tries_left: u32,
    },
    /// Locked out until this exam-local time ("HH:MM:SS").
    Locked {
        /// Until.
        until: String,
    },
    /// The second invigilator was the first one again.
    SamePerson,
    /// No invigilator chosen.
    Unknown,
}

/// A seat on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatState {
    /// Nobody sits here this session.
    Empty,
    /// A candidate who has not arrived.
    Expected,
    /// Admitted.
    Admitted,
    /// Waiting for an invigilator.
    Referred,
    /// Turned away (late) or denied after review.
    Denied,
}

/// One open referral in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralRow {
    /// Ticket.
    pub ticket: String,
    /// Registered name.
    pub name: String,
    /// A possible impersonation or forgery.
    pub high: bool,
}

/// The referral under review.
#[derive(Debug, Clone)]
pub struct Review {
    /// Ticket.
    pub ticket: String,
    /// Registered name.
    pub name: String,
    /// Registration thumbnail.
    pub thumbnail: Option<RgbImage>,
    /// Document portrait.
    pub portrait: Option<RgbImage>,
    /// Live face crop.
    pub live: Option<RgbImage>,
    /// Score against the registration template, "0.12" or "—".
    pub registration_score: String,
    /// Score against the portrait.
    pub portrait_score: String,
    /// Liveness.
    pub liveness: String,
    /// Reasons, most severe first, each with its numbers.
    pub reasons: Vec<(ReferReason, String)>,
}

/// A passing message in the footer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Notice {
    /// None.
    #[default]
    None,
    /// The log was exported to this path.
    Exported(String),
    /// A referral was resolved with this code.
    Resolved(ReasonCode),
    /// An incident was recorded.
    IncidentRecorded,
    /// The admitted candidate's answer sheet was scanned and is theirs.
    PaperChecked,
    /// Something failed; the text names it.
    Failed(String),
    /// The clock was confirmed, with this correction ("±0:00" when it was right).
    ClockConfirmed(String),
    /// A stage of the kiosk's work failed and was isolated (the stage named): the candidate
    /// should try again.
    Fault(String),
}

/// The clock screen: the kiosk's time beside the corrected one, for the invigilator to
/// compare with the exam site's standard time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClockCheck {
    /// The kiosk's own clock, exam-local "HH:MM:SS".
    pub kiosk_time: String,
    /// Its date, "YYYY-MM-DD".
    pub kiosk_date: String,
    /// With the correction entered, "HH:MM:SS".
    pub corrected_time: String,
    /// The correction entered, "+1:30".
    pub offset: String,
    /// The session's start, "YYYY-MM-DD HH:MM".
    pub session_start: String,
    /// The late cutoff, "HH:MM".
    pub late_cutoff: String,
    /// Confirmed already this session (this is a later correction).
    pub confirmed: bool,
    /// Confirming what is shown takes a second invigilator (it changes the correction).
    pub needs_second: bool,
    /// At the door: the session is on another day and the door waits for a confirmation.
    pub door_waits: bool,
}

/// Everything on screen.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Which screen.
    pub screen: Screen,
    /// "S01 · R101 第一中学 …".
    pub room: String,
    /// The session's subject.
    pub subject: String,
    /// Exam-local "HH:MM:SS".
    pub clock: String,
    /// Time left to the late cutoff, "MM:SS" (or "H:MM:SS").
    pub countdown: String,
    /// The late cutoff has passed.
    pub late: bool,
    /// Admitted this session.
    pub admitted: u32,
    /// On this room's roster this session.
    pub expected: u32,
    /// Referrals raised this session.
    pub referred: u32,
    /// Turned away this session.
    pub denied: u32,
    /// The hint for the candidate.
    pub hint: Option<Hint>,
    /// The live camera frame.
    pub preview: Option<RgbImage>,
    /// The verdict (result screen).
    pub verdict: Option<Verdict>,
    /// Missing devices (device-error screen).
    pub missing: Vec<Device>,
    /// PIN screen.
    pub pin_purpose: PinPurpose,
    /// PIN screen message.
    pub pin_message: PinMessage,
    /// The room's invigilators (id, name).
    pub people: Vec<(String, String)>,
    /// Seats by number.
    pub seats: Vec<(u16, SeatState)>,
    /// Open referrals.
    pub referrals: Vec<ReferralRow>,
    /// The invigilator signed in.
    pub invigilator: String,
    /// The session is sealed.
    pub sealed: bool,
    /// The seal code (`142 · K7F3-9QW2`) once sealed, for the paper room record; empty
    /// before.
    pub seal_code: String,
    /// The referral under review.
    pub review: Option<Review>,
    /// Incidents recorded this session, as shown.
    pub incidents: Vec<String>,
    /// The footer message.
    pub notice: Notice,
    /// The clock screen.
    pub clock_check: Option<ClockCheck>,
    /// The no-package screen: why the package on the stick was refused, if one was.
    pub refused: String,
}

/// "MM:SS" (or "H:MM:SS") for a non-negative number of seconds.
pub fn countdown(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// A score for the review screen: two decimals, or a dash when there is none.
pub fn score(value: Option<f32>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.2}"))
}

/// The numbers behind a referral reason ("0.12 < 0.34"), empty when it has none.
pub fn reason_detail(r: &ReferReason) -> String {
    match r {
        ReferReason::RegistrationMismatch { score, threshold }
        | ReferReason::PortraitMismatch { score, threshold }
        | ReferReason::LivenessLow { score, threshold } => format!("{score:.2} < {threshold:.2}"),
        ReferReason::NoUsableFace { tries } => format!("{tries}"),
        ReferReason::PassiveAuthFailed(why) | ReferReason::DocumentUnreadable { why } => {
            why.clone()
        }
        ReferReason::PaperMismatch { ticket, session } => format!("{} / {}", ticket.0, session.0),
        ReferReason::AlreadyAdmitted
        | ReferReason::DocumentNumberMismatch
        | ReferReason::NameMismatch => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_and_scores_read_as_on_a_clock() {
        assert_eq!(countdown(35 * 60), "35:00");
        assert_eq!(countdown(59), "00:59");
        assert_eq!(countdown(-5), "00:00");
        assert_eq!(countdown(3600 + 61), "1:01:01");
        assert_eq!(score(Some(0.3456)), "0.35");
        assert_eq!(score(None), "—");
        assert_eq!(
            reason_detail(&ReferReason::RegistrationMismatch {
                score: 0.1,
                threshold: 0.34
            }),
            "0.10 < 0.34"
        );
    }
}
