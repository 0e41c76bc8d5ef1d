//! `candidates.csv`: one row per candidate, UTF-8 with a header (names may hold characters
//! outside the BMP such as 𠮷). Columns: `ticket, name, sex, birth_date, doc_type,
//! doc_number, doc_expiry, can, card_uid, photo`, then per session `<id>_site, <id>_room,
//! <id>_seat` (all three empty when the candidate does not sit that session). An optional
//! `document_name` column holds the name as the document prints it where it differs from
//! `name` in script (`ZHANG<<SAN` on the passport of 张三); the door compares the name read
//! from the chip with it instead of `name`.
//!
//! [`parse`] checks every row and returns either every candidate or every problem, each
//! with its line number: nothing half-valid goes into a package.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{resident_id, table, Problem, Rooms};
use crate::decision::{DocumentKind, Placement, RoomRef, TicketNumber};

/// A validated candidate.
#[derive(Clone, PartialEq)]
pub struct Candidate {
    /// Ticket number.
    pub ticket: TicketNumber,
    /// Name.
    pub name: String,
    /// `M` or `F`.
    pub sex: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Document kind.
    pub document_kind: DocumentKind,
    /// Document number (empty for none).
    pub document_number: String,
    /// Document expiry (needed for BAC on passports and eID cards).
    pub document_expiry: Option<NaiveDate>,
    /// Name as the document prints it, when given.
    pub document_name: Option<String>,
    /// Card access number, if any.
    pub can: Option<String>,
    /// Contactless card UID (hex), if any.
    pub card_uid: Option<String>,
    /// Registration photo file name.
    pub photo: String,
    /// Placement per session id.
    pub placements: HashMap<String, Placement>,
    /// Line in the file, for problems found later (a photo without a face).
    pub line: u64,
}

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Candidate({:?}, <personal data redacted>)", self.ticket)
    }
}

/// Longest `document_name` accepted, in characters: the longest printed name (an MRZ name
/// field is 39 characters, 30 on an ID card), with room for a chip's full DG11 name.
pub const MAX_DOCUMENT_NAME_CHARS: usize = 100;

const FIXED: [&str; 10] = [
    "ticket",
    "name",
    "sex",
    "birth_date",
    "doc_type",
    "doc_number",
    "doc_expiry",
    "can",
    "card_uid",
    "photo",
];

/// Parse and validate `text` for the given sessions and rooms.
pub fn parse(text: &str, sessions: &[&str], rooms: &Rooms) -> Result<Vec<Candidate>, Vec<Problem>> {
    let mut wanted: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    for s in sessions {
        for part in ["site", "room", "seat"] {
            wanted.push(format!("{s}_{part}"));
        }
    }
    let table = table::read(text, &wanted)?;

    let mut errors = Vec::new();
    let mut candidates = Vec::new();
    let mut tickets: HashMap<String, u64> = HashMap::new();
    let mut seats: HashMap<(String, RoomRef, u16), (String, u64)> = HashMap::new();
    for row in &table.rows {
        let row = match row {
            Ok(r) => r,
            Err(problem) => {
                errors.push(problem.clone());
                continue;
            }
        };
        let line = row.line;
        let mut row_errors = Vec::new();
        let mut err = |reason: String| row_errors.push(Problem::new(Some(line), reason));
        let get = |name: &str| table.get(row, name);
        if row.width != table.width {
            err(format!(
                "has {} fields, the header has {}",
                row.width, table.width
            ));
        }
        for required in ["ticket", "name", "sex", "birth_date", "doc_type", "photo"] {
            if get(required).is_empty() {
                err(format!("{required} is empty"));
            }
        }
        let ticket = get("ticket").to_string();
        if !ticket.is_empty() {
            if let Some(first) = tickets.get(&ticket) {
                err(format!(
                    "duplicate ticket number {ticket} (first on line {first})"
                ));
            } else {
                tickets.insert(ticket.clone(), line);
            }
            if !super::exam::is_code(&ticket) {
                err(format!(
                    "ticket {ticket:?} must be 1–32 letters, digits, '-' or '_'"
                ));
            }
        }
        if !get("sex").is_empty() && !matches!(get("sex"), "M" | "F") {
            err(format!("sex {:?} must be M or F", get("sex")));
        }
        let date = |name: &str, err: &mut dyn FnMut(String)| -> Option<NaiveDate> {
            let v = get(name);
            if v.is_empty() {
                return None;
            }
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| err(format!("{name} {v:?} is not a date (YYYY-MM-DD)")))
                .ok()
        };
        let birth_date = date("birth_date", &mut err);
        let document_expiry = date("doc_expiry", &mut err);
        let number = get("doc_number").to_string();
        let kind = match get("doc_type") {
            "cn-id" => Some(DocumentKind::CnId),
            "passport" => Some(DocumentKind::Passport),
            "eid" => Some(DocumentKind::Eid),
            "none" => Some(DocumentKind::None),
            "" => None,
            other => {
                err(format!(
                    "doc_type {other:?} must be cn-id, passport, eid or none"
                ));
                None
            }
        };
        match kind {
            Some(DocumentKind::None) if !number.is_empty() => {
                err(format!("doc_type none but doc_number {number:?} given"))
            }
            Some(DocumentKind::CnId) => {
                if let Err(e) = resident_id::validate(&number) {
                    err(format!("doc_number {number:?} {e}"));
                }
            }
            Some(DocumentKind::Passport | DocumentKind::Eid) => {
                if number.is_empty() {
                    err("doc_number is empty".to_string());
                }
                if get("doc_expiry").is_empty() {
                    err("doc_expiry is needed to read a passport or eID chip".to_string());
                }
            }
            _ => {}
        }
        // Optional column: absent, or empty in this row, means the document prints `name`.
        let document_name = get("document_name");
        if !document_name.is_empty() {
            let chars = document_name.chars().count();
            if !document_name.chars().any(char::is_alphanumeric) {
                err(format!(
                    "document_name {document_name:?} has no letters: write the name as the document prints it (ZHANG<<SAN)"
                ));
            } else if chars > MAX_DOCUMENT_NAME_CHARS {
                err(format!(
                    "document_name is {chars} characters, at most {MAX_DOCUMENT_NAME_CHARS}"
                ));
            }
        }
        let mut placements = HashMap::new();
        for s in sessions {
            let (site, room, seat) = (
                get(&format!("{s}_site")),
                get(&format!("{s}_room")),
                get(&format!("{s}_seat")),
            );
            if site.is_empty() && room.is_empty() && seat.is_empty() {
                continue;
            }
            let room_ref = RoomRef {
                site: site.to_string(),
                room: room.to_string(),
            };
            let Some(&capacity) = rooms.get(&room_ref) else {
                err(format!("session {s}: unknown room {site}/{room}"));
                continue;
            };
            let seat_no = match seat.parse::<u16>() {
                Ok(n) if n >= 1 && n <= capacity => n,
                Ok(n) => {
                    err(format!(
                        "session {s}: seat {n} is beyond room {site}/{room}'s {capacity} seats"
                    ));
                    continue;
                }
                Err(_) => {
                    err(format!("session {s}: seat {seat:?} is not a seat number"));
                    continue;
                }
            };
            let key = (s.to_string(), room_ref.clone(), seat_no);
            if let Some((other, other_line)) = seats.get(&key) {
                err(format!(
                    "session {s}: seat {site}/{room}/{seat_no} is already taken by ticket {other} (line {other_line})"
                ));
            } else {
                seats.insert(key, (ticket.clone(), line));
            }
            placements.insert(
                s.to_string(),
                Placement {
                    room: room_ref,
                    seat: seat_no,
                },
            );
        }
        if !row_errors.is_empty() {
            errors.extend(row_errors);
            continue;
        }
        let optional = |name: &str| Some(get(name).to_string()).filter(|v| !v.is_empty());
        if let (Some(birth_date), Some(document_kind)) = (birth_date, kind) {
            candidates.push(Candidate {
                ticket: TicketNumber(ticket),
                name: get("name").to_string(),
                sex: get("sex").to_string(),
                birth_date,
                document_kind,
                document_number: number,
                document_expiry,
                document_name: optional("document_name"),
                can: optional("can"),
                card_uid: optional("card_uid"),
                photo: get("photo").to_string(),
                placements,
                line,
            });
        }
    }
    if errors.is_empty() {
        Ok(candidates)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "ticket,name,sex,birth_date,doc_type,doc_number,doc_expiry,can,card_uid,photo,math_site,math_room,math_seat";

    fn rooms() -> Rooms {
        let mut r = Rooms::new();
        r.insert(
            RoomRef {
                site: "S01".into(),
                room: "R101".into(),
            },
            30,
        );
        r
    }

    fn parse_rows(rows: &[&str]) -> Result<Vec<Candidate>, Vec<Problem>> {
        let text = format!("{HEADER}\n{}\n", rows.join("\n"));
        parse(&text, &["math"], &rooms())
    }

    const GOOD: &str =
        "2026010001,吉田 𠮷,F,2011-03-04,cn-id,11010519491231002X,,,,p1.jpg,S01,R101,1";

    #[test]
    fn a_valid_file_gives_every_candidate_with_placements() {
        let c = parse_rows(&[
            GOOD,
            "2026010002,Anna Eriksson,F,2011-05-06,passport,L898902C,2030-01-01,,04A1B2C3,p2.jpg,S01,R101,2",
            "2026010003,王小明,M,2011-07-08,none,,,,,p3.jpg,,,",
        ])
        .expect("valid");
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].name, "吉田 𠮷", "characters outside the BMP survive");
        assert_eq!(c[1].placements["math"].seat, 2);
        assert_eq!(c[1].card_uid.as_deref(), Some("04A1B2C3"));
        assert!(c[2].placements.is_empty(), "not sitting math");
    }

    #[test]
    fn each_bad_row_is_reported_with_its_line_and_reason() {
        let cases: [(&str, &str); 10] = [
            ("2026010009,Li,M,2011-02-30,none,,,,,p.jpg,S01,R101,3", "line 3: birth_date \"2011-02-30\" is not a date (YYYY-MM-DD)"),
            ("2026010009,Li,M,2011-02-03,cn-id,110105194912310021,,,,p.jpg,S01,R101,3", "line 3: doc_number \"110105194912310021\" check character is 1, expected X (ISO 7064 MOD 11-2)"),
            ("2026010001,Li,M,2011-02-03,none,,,,,p.jpg,S01,R101,3", "line 3: duplicate ticket number 2026010001 (first on line 2)"),
            ("2026010009,Li,M,2011-02-03,none,,,,,p.jpg,S01,R101,1", "line 3: session math: seat S01/R101/1 is already taken by ticket 2026010001 (line 2)"),
            ("2026010009,Li,M,2011-02-03,none,,,,,p.jpg,S01,R101,31", "line 3: session math: seat 31 is beyond room S01/R101's 30 seats"),
            ("2026010009,Li,M,2011-02-03,none,,,,,p.jpg,S09,R999,3", "line 3: session math: unknown room S09/R999"),
            ("2026010009,,M,2011-02-03,none,,,,,p.jpg,S01,R101,3", "line 3: name is empty"),
            ("2026010009,Li,X,2011-02-03,none,,,,,p.jpg,S01,R101,3", "line 3: sex \"X\" must be M or F"),
            ("2026010009,Li,M,2011-02-03,passport,E1,,,,p.jpg,S01,R101,3", "line 3: doc_expiry is needed to read a passport or eID chip"),
            ("2026010009,Li,M,2011-02-03,visa,,,,,p.jpg,S01,R101,3", "line 3: doc_type \"visa\" must be cn-id, passport, eid or none"),
        ];
        for (row, expected) in cases {
            let errors = parse_rows(&[GOOD, row]).expect_err(expected);
            let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert!(
                shown.iter().any(|e| e == expected),
                "{expected}\n got {shown:?}"
            );
        }
    }

    #[test]
    fn the_optional_document_name_column_is_read_and_checked() {
        let header = format!("{HEADER},document_name");
        let rows = [
            "2026010001,张三,M,2011-03-04,passport,E1234567,2031-01-01,,,p1.jpg,S01,R101,1,ZHANG<<SAN",
            "2026010002,李四,M,2011-03-04,none,,,,,p2.jpg,S01,R101,2,",
        ];
        let text = format!("{header}\n{}\n", rows.join("\n"));
        let c = parse(&text, &["math"], &rooms()).expect("valid");
        assert_eq!(c[0].document_name.as_deref(), Some("ZHANG<<SAN"));
        assert_eq!(
            c[1].document_name, None,
            "an empty cell is no document name"
        );
        let without = parse_rows(&[GOOD]).expect("the column is optional");
        assert_eq!(without[0].document_name, None);

        let long = "A".repeat(MAX_DOCUMENT_NAME_CHARS + 1);
        let cases = [
            (
                "<<<".to_string(),
                "line 2: document_name \"<<<\" has no letters: write the name as the document prints it (ZHANG<<SAN)".to_string(),
            ),
            (
                long,
                format!("line 2: document_name is 101 characters, at most {MAX_DOCUMENT_NAME_CHARS}"),
            ),
        ];
        for (name, expected) in cases {
            let text = format!("{header}\n{GOOD},{name}\n");
            let errors = parse(&text, &["math"], &rooms()).expect_err(&expected);
            let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert_eq!(shown, vec![expected]);
        }
    }

    #[test]
    fn a_missing_column_is_named_on_line_one() {
        let text = "ticket,name,sex\n1,a,M\n";
        let errors = parse(text, &["math"], &rooms()).expect_err("columns missing");
        assert_eq!(errors[0].line, Some(1));
        assert!(errors[0].reason.contains("birth_date") && errors[0].reason.contains("math_seat"));
    }

    #[test]
    fn all_problems_are_reported_not_just_the_first() {
        let errors = parse_rows(&[
            "2026010001,Li,M,2011-13-01,none,,,,,p.jpg,S01,R101,1",
            "2026010002,Li,M,2011-01-01,none,,,,,p.jpg,S01,R101,99",
        ])
        .expect_err("two bad rows");
        let lines: Vec<Option<u64>> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3)]);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s, &["math"], &rooms());
        }
    }
}
