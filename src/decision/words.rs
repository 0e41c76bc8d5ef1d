//! Decisions in words for people: the headless kiosk's lines, the CLI and the log viewer
//! print these, never Rust `Debug` text. English, short, with the values that matter (the
//! seat, where to go, the score against its threshold); no names or document numbers.

use std::fmt;

use super::engine::{Decision, DenyReason, Guidance, ReferReason};
use super::evidence::TicketNumber;

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::NotInRoster => f.write_str("not in this exam's roster"),
            DenyReason::NotInThisSession => f.write_str("not sitting this session"),
            DenyReason::Late { cutoff } => {
                write!(f, "late (entry closed at {})", cutoff.format("%H:%M"))
            }
            DenyReason::WrongRoom => f.write_str("wrong room"),
            DenyReason::TooEarly => f.write_str("too early"),
        }
    }
}

impl fmt::Display for Guidance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Guidance::GoTo(p) => write!(f, "go to {}/{} seat {}", p.room.site, p.room.room, p.seat),
            Guidance::ComeBackAt(t) => write!(f, "come back at {}", t.format("%H:%M")),
            Guidance::NoEntry => f.write_str("no entry after the cutoff; recorded"),
            Guidance::SeeExamOffice => f.write_str("see the exam office desk"),
        }
    }
}

impl fmt::Display for ReferReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferReason::AlreadyAdmitted => f.write_str("already admitted this session"),
            ReferReason::PassiveAuthFailed(why) => {
                write!(f, "document chip failed passive authentication ({why})")
            }
            ReferReason::RegistrationMismatch { score, threshold } => write!(
                f,
                "face does not match the registration photo ({score:.2} < {threshold:.2})"
            ),
            ReferReason::PortraitMismatch { score, threshold } => write!(
                f,
                "face does not match the document photo ({score:.2} < {threshold:.2})"
            ),
            ReferReason::DocumentNumberMismatch => {
                f.write_str("document is not the one registered")
            }
            ReferReason::NameMismatch => f.write_str("name on the document differs"),
            ReferReason::LivenessLow { score, threshold } => {
                write!(f, "liveness low ({score:.2} < {threshold:.2})")
            }
            ReferReason::NoUsableFace { tries } => {
                write!(f, "no usable face after {tries} tries")
            }
            ReferReason::DocumentUnreadable { why } => {
                write!(f, "document unreadable: {why}")
            }
            ReferReason::PaperMismatch { ticket, session } => {
                write!(f, "answer sheet belongs to {}/{}", ticket.0, session.0)
            }
        }
    }
}

/// One decision as a line: `ADMIT 2027010001: seat 1`, `REFER 2027010002: …; …`,
/// `DENY 2027010003: wrong room, go to S01/R102 seat 5`.
pub fn line(ticket: &TicketNumber, d: &Decision) -> String {
    match d {
        Decision::Admit { seat } => format!("ADMIT {ticket}: seat {seat}"),
        Decision::Refer { reasons } => {
            let words: Vec<String> = reasons.iter().map(ToString::to_string).collect();
            format!("REFER {ticket}: {}", words.join("; "))
        }
        Decision::Deny { reason, guidance } => format!("DENY {ticket}: {reason}, {guidance}"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::decision::{Placement, RoomRef};

    #[test]
    fn r11_lines_are_words_not_debug_text() {
        let t = TicketNumber("2027010003".into());
        let wrong_room = Decision::Deny {
            reason: DenyReason::WrongRoom,
            guidance: Guidance::GoTo(Placement {
                room: RoomRef {
                    site: "S01".into(),
                    room: "R102".into(),
                },
                seat: 5,
            }),
        };
        assert_eq!(
            line(&t, &wrong_room),
            "DENY 2027010003: wrong room, go to S01/R102 seat 5"
        );
        assert_eq!(
            line(&t, &Decision::Admit { seat: 7 }),
            "ADMIT 2027010003: seat 7"
        );
        let cutoff = NaiveDate::from_ymd_opt(2027, 6, 12)
            .and_then(|d| d.and_hms_opt(9, 15, 0))
            .expect("a time");
        let late = Decision::Deny {
            reason: DenyReason::Late { cutoff },
            guidance: Guidance::NoEntry,
        };
        assert_eq!(
            line(&t, &late),
            "DENY 2027010003: late (entry closed at 09:15), no entry after the cutoff; recorded"
        );
        let refer = Decision::Refer {
            reasons: vec![
                ReferReason::RegistrationMismatch {
                    score: 0.12,
                    threshold: 0.42,
                },
                ReferReason::DocumentUnreadable {
                    why: "no card from the reader bridge within 15 s".into(),
                },
            ],
        };
        let text = line(&t, &refer);
        assert_eq!(
            text,
            "REFER 2027010003: face does not match the registration photo (0.12 < 0.42); \
             document unreadable: no card from the reader bridge within 15 s"
        );
        assert!(!text.contains('{') && !text.contains("Mismatch"));
    }
}
