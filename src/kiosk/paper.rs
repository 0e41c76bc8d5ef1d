//! The paper step: after admission the candidate's answer-sheet label is scanned (the same
//! USB HID scanner as the ticket) and must name this candidate and this session. Labels
//! read `TICKET/SESSION`, e.g. `2027010001/chinese`.

use crate::decision::{PaperEvidence, SessionId, TicketNumber};

/// Why a label cannot be read as an answer-sheet label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// No `/` between ticket and session.
    #[error("answer-sheet label {0:?} is not TICKET/SESSION")]
    Shape(String),
    /// The ticket part is not 6–20 digits.
    #[error("answer-sheet label {0:?}: the ticket must be 6–20 digits")]
    Ticket(String),
    /// The session part is empty or has characters a session id cannot have.
    #[error("answer-sheet label {0:?}: the session must be letters, digits, - or _")]
    Session(String),
}

/// Parse a label.
pub fn parse(label: &str) -> Result<(TicketNumber, SessionId), LabelError> {
    let text = label.trim();
    let (ticket, session) = text
        .split_once('/')
        .ok_or_else(|| LabelError::Shape(text.to_string()))?;
    let ticket = super::ticket::parse(ticket).map_err(|_| LabelError::Ticket(text.to_string()))?;
    if session.is_empty()
        || !session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(LabelError::Session(text.to_string()));
    }
    Ok((ticket, SessionId(session.to_string())))
}

/// The paper evidence of a scanned label, for `decision::decide` (which holds the rule:
/// the sheet must be the candidate's, for this session). A label that is not a label at
/// all names itself as the ticket with an empty session, so the invigilator sees what was
/// scanned in the log.
pub fn scanned(label: &str) -> PaperEvidence {
    match parse(label) {
        Ok((ticket, session)) => PaperEvidence::Scanned { ticket, session },
        Err(_) => PaperEvidence::Scanned {
            ticket: TicketNumber(label.trim().chars().take(40).collect()),
            session: SessionId(String::new()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TicketNumber {
        TicketNumber(s.into())
    }

    fn s(x: &str) -> SessionId {
        SessionId(x.into())
    }

    #[test]
    fn labels_become_paper_evidence_and_garbage_names_itself() {
        assert_eq!(
            scanned("2027010002/chinese\n"),
            PaperEvidence::Scanned {
                ticket: t("2027010002"),
                session: s("chinese")
            }
        );
        assert_eq!(
            scanned("hello"),
            PaperEvidence::Scanned {
                ticket: t("hello"),
                session: s("")
            }
        );
    }

    #[test]
    fn malformed_labels_are_named() {
        assert_eq!(
            parse("2027010001"),
            Err(LabelError::Shape("2027010001".into()))
        );
        assert_eq!(
            parse("20x7/chinese"),
            Err(LabelError::Ticket("20x7/chinese".into()))
        );
        assert_eq!(
            parse("2027010001/chi nese"),
            Err(LabelError::Session("2027010001/chi nese".into()))
        );
        assert_eq!(
            parse("2027010001/"),
            Err(LabelError::Session("2027010001/".into()))
        );
    }
}
