//! `exam.toml`: the exam's name, its sessions (subject, date, start, end, entry opens, late
//! cutoff), its sites and rooms with seat counts, and an optional `[policy]` for the door
//! (thresholds, capture tries, document read deadline). Times are exam-local wall-clock
//! times; `utc_offset` ties them to the kiosk clock.
//!
//! [`parse`] returns the whole exam or every problem it found, each with the line it is on
//! (TOML syntax errors included), so the office fixes the file in one pass.

use std::collections::HashSet;

use chrono::{Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

use super::format::{self, DoorPolicy};
use super::{Problem, Rooms};
use crate::decision::{RoomRef, SessionWindow};

/// Late cutoff when a session does not name one (`docs/design.md`: 15 minutes).
pub const DEFAULT_LATE_CUTOFF_MINUTES: u32 = 15;

/// How long before the first session a package becomes valid when `valid_from` is not given:
/// long enough to install the kiosks the week before.
pub const DEFAULT_VALID_DAYS_BEFORE: i64 = 7;

/// A validated exam description.
#[derive(Debug, Clone, PartialEq)]
pub struct Exam {
    /// The exam's name.
    pub name: String,
    /// Offset of exam-local time from UTC.
    pub utc_offset: FixedOffset,
    /// First instant (local) a package of this exam is accepted.
    pub valid_from: NaiveDateTime,
    /// Last instant (local) a package of this exam is accepted.
    pub valid_until: NaiveDateTime,
    /// Sessions in file order.
    pub sessions: Vec<Session>,
    /// Sites in file order.
    pub sites: Vec<Site>,
    /// The door's thresholds and deadlines (the defaults where `[policy]` is silent).
    pub policy: DoorPolicy,
}

/// One session: one subject at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Id used in `candidates.csv` column names (`<id>_room`).
    pub id: String,
    /// Subject shown on the idle screen.
    pub subject: String,
    /// Entry window.
    pub window: SessionWindow,
    /// When the session ends.
    pub end: NaiveDateTime,
}

/// One site (a school) and its rooms.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Site code.
    pub id: String,
    /// Name shown in guidance ("go to site X").
    pub name: String,
    /// Room code and seat count, in file order.
    pub rooms: Vec<(String, u16)>,
}

impl Exam {
    /// Every room with its seat count.
    pub fn rooms(&self) -> Rooms {
        self.sites
            .iter()
            .flat_map(|s| {
                s.rooms.iter().map(|(room, seats)| {
                    (
                        RoomRef {
                            site: s.id.clone(),
                            room: room.clone(),
                        },
                        *seats,
                    )
                })
            })
            .collect()
    }

    /// Session ids in file order.
    pub fn session_ids(&self) -> Vec<&str> {
        self.sessions.iter().map(|s| s.id.as_str()).collect()
    }
}

/// A date or time written either as a TOML literal (`2027-06-12`, `09:00:00`) or a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Written {
    Text(String),
    Toml(toml::value::Datetime),
}

impl Written {
    fn text(&self) -> String {
        match self {
            Written::Text(s) => s.trim().to_string(),
            Written::Toml(d) => d.to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExam {
    name: String,
    utc_offset: String,
    valid_from: Option<Written>,
    valid_until: Option<Written>,
    #[serde(default)]
    session: Vec<toml::Spanned<RawSession>>,
    #[serde(default)]
    site: Vec<toml::Spanned<RawSite>>,
    policy: Option<RawPolicy>,
}

/// `[policy]`: every key optional. Integers are read wide so an out-of-range value is
/// named as written rather than as a TOML type error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    face_threshold: Option<toml::Spanned<f64>>,
    portrait_threshold: Option<toml::Spanned<f64>>,
    liveness_threshold: Option<toml::Spanned<f64>>,
    capture_tries: Option<toml::Spanned<i64>>,
    read_deadline_s: Option<toml::Spanned<i64>>,
    seal_admissions: Option<bool>,
    proxy_threshold: Option<toml::Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    id: String,
    subject: String,
    date: toml::Spanned<Written>,
    start: toml::Spanned<Written>,
    end: toml::Spanned<Written>,
    entry_opens: toml::Spanned<Written>,
    late_cutoff_minutes: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    id: String,
    name: String,
    #[serde(default)]
    rooms: Vec<toml::Spanned<RawRoom>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoom {
    id: String,
    seats: i64,
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> u64 {
    let upto = text.get(..offset.min(text.len())).unwrap_or(text);
    upto.bytes().filter(|&b| b == b'\n').count() as u64 + 1
}

/// Whether `id` can be a column-name part and a directory name: letters, digits, `-`, `_`.
pub fn is_code(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()
}

fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

/// Parse and validate `text` (the contents of `exam.toml`).
pub fn parse(text: &str) -> Result<Exam, Vec<Problem>> {
    let raw: RawExam = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        vec![Problem::new(line, e.message().trim().to_string())]
    })?;
    let mut problems = Vec::new();
    let mut at = |line: u64, reason: String| problems.push(Problem::new(Some(line), reason));

    let utc_offset = match raw.utc_offset.parse::<FixedOffset>() {
        Ok(o) => Some(o),
        Err(_) => {
            at(
                line_of(text, text.find("utc_offset").unwrap_or(0)),
                format!(
                    "utc_offset {:?} is not an offset such as \"+08:00\"",
                    raw.utc_offset
                ),
            );
            None
        }
    };
    if raw.name.trim().is_empty() {
        at(1, "name is empty".to_string());
    }

    let mut sessions = Vec::new();
    let mut session_ids = HashSet::new();
    if raw.session.is_empty() {
        at(1, "no [[session]]: an exam needs at least one".to_string());
    }
    for spanned in &raw.session {
        let line = line_of(text, spanned.span().start);
        let s = spanned.get_ref();
        let mut bad = |reason: String| at(line, format!("session {:?}: {reason}", s.id));
        if !is_code(&s.id) {
            bad("id must be 1–32 letters, digits, '-' or '_'".to_string());
        } else if !session_ids.insert(s.id.clone()) {
            bad("id appears twice".to_string());
        }
        if s.subject.trim().is_empty() {
            bad("subject is empty".to_string());
        }
        let mut field = |name: &str, w: &toml::Spanned<Written>, what: &str| {
            let value = w.get_ref().text();
            let parsed = if what == "date" {
                parse_date(&value).map(|d| d.and_time(NaiveTime::MIN))
            } else {
                parse_time(&value).map(|t| NaiveDate::MIN.and_time(t))
            };
            if parsed.is_none() {
                let example = if what == "date" {
                    "YYYY-MM-DD"
                } else {
                    "HH:MM"
                };
                at(
                    line_of(text, w.span().start),
                    format!(
                        "session {:?}: {name} {value:?} is not a {what} ({example})",
                        s.id
                    ),
                );
            }
            parsed
        };
        let date = field("date", &s.date, "date").map(|d| d.date());
        let (start, end, opens) = (
            field("start", &s.start, "time").map(|t| t.time()),
            field("end", &s.end, "time").map(|t| t.time()),
            field("entry_opens", &s.entry_opens, "time").map(|t| t.time()),
        );
        let cutoff = s.late_cutoff_minutes.unwrap_or(DEFAULT_LATE_CUTOFF_MINUTES);
        let (Some(date), Some(start), Some(end), Some(opens)) = (date, start, end, opens) else {
            continue;
        };
        let mut bad = |reason: String| at(line, format!("session {:?}: {reason}", s.id));
        if opens > start {
            bad(format!(
                "entry_opens {opens} is after start {start}: entry must open first"
            ));
        }
        if end <= start {
            bad(format!("end {end} is not after start {start}"));
        }
        let late_cutoff = date.and_time(start) + Duration::minutes(i64::from(cutoff));
        if late_cutoff > date.and_time(end) {
            bad(format!(
                "late_cutoff_minutes {cutoff} puts the cutoff after the end {end}"
            ));
        }
        sessions.push(Session {
            id: s.id.clone(),
            subject: s.subject.trim().to_string(),
            window: SessionWindow {
                entry_opens: date.and_time(opens),
                start: date.and_time(start),
                late_cutoff,
            },
            end: date.and_time(end),
        });
    }

    let mut sites = Vec::new();
    let mut site_ids = HashSet::new();
    if raw.site.is_empty() {
        at(1, "no [[site]]: an exam needs at least one".to_string());
    }
    for spanned in &raw.site {
        let line = line_of(text, spanned.span().start);
        let s = spanned.get_ref();
        let mut bad = |reason: String| at(line, format!("site {:?}: {reason}", s.id));
        if !is_code(&s.id) {
            bad("id must be 1–32 letters, digits, '-' or '_'".to_string());
        } else if !site_ids.insert(s.id.clone()) {
            bad("id appears twice".to_string());
        }
        if s.rooms.is_empty() {
            bad("has no rooms".to_string());
        }
        let mut room_ids = HashSet::new();
        let mut rooms = Vec::new();
        for spanned_room in &s.rooms {
            let r = spanned_room.get_ref();
            let room_line = line_of(text, spanned_room.span().start);
            let mut bad = |reason: String| at(room_line, format!("site {:?}: {reason}", s.id));
            if !is_code(&r.id) {
                bad(format!(
                    "room {:?}: id must be 1–32 letters, digits, '-' or '_'",
                    r.id
                ));
            } else if !room_ids.insert(r.id.clone()) {
                bad(format!("room {:?} appears twice", r.id));
            }
            match u16::try_from(r.seats) {
                Ok(n) if (1..=999).contains(&n) => rooms.push((r.id.clone(), n)),
                _ => bad(format!(
                    "room {:?}: seats {} must be 1 to 999",
                    r.id, r.seats
                )),
            }
        }
        sites.push(Site {
            id: s.id.clone(),
            name: s.name.trim().to_string(),
            rooms,
        });
    }

    let first = sessions.iter().map(|s| s.window.entry_opens).min();
    let last = sessions.iter().map(|s| s.end).max();
    let bound = |w: &Option<Written>, name: &str, fallback: Option<NaiveDateTime>| match w {
        None => Ok(fallback),
        Some(w) => {
            let t = w.text();
            parse_datetime(&t)
                .or_else(|| parse_date(&t).map(|d| d.and_time(NaiveTime::MIN)))
                .map(Some)
                .ok_or_else(|| format!("{name} {t:?} is not a date-time (YYYY-MM-DDTHH:MM:SS)"))
        }
    };
    let valid_from = bound(
        &raw.valid_from,
        "valid_from",
        first.map(|f| {
            (f.date() - Duration::days(DEFAULT_VALID_DAYS_BEFORE)).and_time(NaiveTime::MIN)
        }),
    );
    let valid_until = bound(
        &raw.valid_until,
        "valid_until",
        last.and_then(|l| l.date().and_hms_opt(23, 59, 59)),
    );
    let (valid_from, valid_until) = match (valid_from, valid_until) {
        (Ok(f), Ok(u)) => (f, u),
        (f, u) => {
            for e in [f.err(), u.err()].into_iter().flatten() {
                at(line_of(text, text.find("valid_").unwrap_or(0)), e);
            }
            (None, None)
        }
    };
    if let (Some(from), Some(until), Some(first), Some(last)) =
        (valid_from, valid_until, first, last)
    {
        if from > first || until < last {
            at(
                line_of(text, text.find("valid_").unwrap_or(0)),
                format!(
                    "validity {from} to {until} does not cover the sessions ({first} to {last})"
                ),
            );
        }
    }

    let policy = match &raw.policy {
        None => DoorPolicy::default(),
        Some(p) => {
            let (policy, policy_problems) = door_policy(text, p);
            for (line, reason) in policy_problems {
                at(line, reason);
            }
            policy
        }
    };

    match (problems.is_empty(), utc_offset, valid_from, valid_until) {
        (true, Some(utc_offset), Some(valid_from), Some(valid_until)) => Ok(Exam {
            name: raw.name.trim().to_string(),
            utc_offset,
            valid_from,
            valid_until,
            sessions,
            sites,
            policy,
        }),
        _ => Err(problems),
    }
}

/// `[policy]` over the defaults, with each out-of-range value's line and reason.
fn door_policy(text: &str, raw: &RawPolicy) -> (DoorPolicy, Vec<(u64, String)>) {
    let defaults = DoorPolicy::default();
    let mut problems = Vec::new();
    let mut bad = |span: std::ops::Range<usize>, reason: String| {
        problems.push((line_of(text, span.start), format!("policy: {reason}")))
    };
    let mut threshold = |name: &str, v: &Option<toml::Spanned<f64>>, default: f32| match v {
        None => default,
        Some(v) => {
            // Scores are f32; a difference beyond f32 precision is no difference.
            let value = *v.get_ref() as f32;
            if let Some(reason) = format::threshold_problem(name, value) {
                bad(v.span(), reason);
            }
            value
        }
    };
    let face_threshold = threshold(
        "face_threshold",
        &raw.face_threshold,
        defaults.face_threshold,
    );
    let portrait_threshold = threshold(
        "portrait_threshold",
        &raw.portrait_threshold,
        // The portrait threshold follows the face threshold unless set.
        face_threshold,
    );
    let liveness_threshold = threshold(
        "liveness_threshold",
        &raw.liveness_threshold,
        defaults.liveness_threshold,
    );
    let proxy_threshold = threshold(
        "proxy_threshold",
        &raw.proxy_threshold,
        defaults.proxy_threshold,
    );
    let mut integer =
        |v: &Option<toml::Spanned<i64>>, problem: fn(i64) -> Option<String>| -> Option<i64> {
            let v = v.as_ref()?;
            match problem(*v.get_ref()) {
                Some(reason) => {
                    bad(v.span(), reason);
                    None
                }
                None => Some(*v.get_ref()),
            }
        };
    let capture_tries = integer(&raw.capture_tries, format::capture_tries_problem)
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(defaults.capture_tries);
    let read_deadline_s = integer(&raw.read_deadline_s, format::read_deadline_problem)
        .and_then(|v| u16::try_from(v).ok())
        .unwrap_or(defaults.read_deadline_s);
    let policy = DoorPolicy {
        face_threshold,
        portrait_threshold,
        liveness_threshold,
        capture_tries,
        read_deadline_s,
        seal_admissions: raw.seal_admissions.unwrap_or(defaults.seal_admissions),
        proxy_threshold,
    };
    (policy, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "2027 中考 Entrance Examination"
utc_offset = "+08:00"

[[session]]
id = "chinese"
subject = "语文 Chinese"
date = 2027-06-12
start = "09:00"
end = "11:00"
entry_opens = "08:30"

[[session]]
id = "math"
subject = "数学 Mathematics"
date = "2027-06-12"
start = 14:30:00
end = 16:30:00
entry_opens = 14:00:00
late_cutoff_minutes = 10

[[site]]
id = "S01"
name = "第一中学"
rooms = [ { id = "R101", seats = 30 }, { id = "R102", seats = 24 } ]
"#;

    fn dt(s: &str) -> NaiveDateTime {
        parse_datetime(s).expect("test date-time")
    }

    #[test]
    fn a_valid_file_gives_sessions_rooms_and_validity() {
        let exam = parse(GOOD).expect("valid");
        assert_eq!(exam.session_ids(), vec!["chinese", "math"]);
        let chinese = &exam.sessions[0].window;
        assert_eq!(
            chinese.late_cutoff,
            dt("2027-06-12T09:15:00"),
            "default 15 minutes"
        );
        assert_eq!(
            exam.sessions[1].window.late_cutoff,
            dt("2027-06-12T14:40:00")
        );
        assert_eq!(exam.rooms().len(), 2);
        assert_eq!(exam.valid_from, dt("2027-06-05T00:00:00"));
        assert_eq!(exam.valid_until, dt("2027-06-12T23:59:59"));
        assert_eq!(exam.utc_offset.local_minus_utc(), 8 * 3600);
    }

    #[test]
    fn each_mistake_is_named_with_its_line() {
        let cases: [(&str, &str, &str); 8] = [
            ("start = \"09:00\"", "start = \"9 o'clock\"", "line 9: session \"chinese\": start \"9 o'clock\" is not a time (HH:MM)"),
            ("entry_opens = \"08:30\"", "entry_opens = \"09:30\"", "line 5: session \"chinese\": entry_opens 09:30:00 is after start 09:00:00: entry must open first"),
            ("id = \"math\"", "id = \"chinese\"", "line 13: session \"chinese\": id appears twice"),
            ("{ id = \"R102\", seats = 24 }", "{ id = \"R101\", seats = 24 }", "line 25: site \"S01\": room \"R101\" appears twice"),
            ("seats = 24", "seats = 0", "line 25: site \"S01\": room \"R102\": seats 0 must be 1 to 999"),
            ("late_cutoff_minutes = 10", "late_cutoff_minutes = 600", "line 13: session \"math\": late_cutoff_minutes 600 puts the cutoff after the end 16:30:00"),
            ("utc_offset = \"+08:00\"", "utc_offset = \"CST\"", "line 3: utc_offset \"CST\" is not an offset such as \"+08:00\""),
            ("date = 2027-06-12\n", "date = \"2027-13-12\"\n", "line 8: session \"chinese\": date \"2027-13-12\" is not a date (YYYY-MM-DD)"),
        ];
        for (from, to, expected) in cases {
            let text = GOOD.replacen(from, to, 1);
            assert_ne!(text, GOOD, "case {expected} must change the file");
            let problems = parse(&text).expect_err(expected);
            let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
            assert!(
                shown.iter().any(|p| p == expected),
                "{expected}\n got {shown:?}"
            );
        }
    }

    #[test]
    fn syntax_errors_and_unknown_keys_carry_the_line() {
        let problems = parse(&GOOD.replace("seats = 30", "seats = ")).expect_err("syntax");
        assert_eq!(problems[0].line, Some(25), "{problems:?}");
        let problems = parse(&GOOD.replace("late_cutoff_minutes", "late_cutof")).expect_err("typo");
        assert!(problems[0].reason.contains("late_cutof"), "{problems:?}");
    }

    #[test]
    fn a_validity_that_misses_a_session_is_refused() {
        let text = GOOD.replace(
            "utc_offset = \"+08:00\"",
            "utc_offset = \"+08:00\"\nvalid_until = 2027-06-12T12:00:00",
        );
        let problems = parse(&text).expect_err("validity too short");
        assert!(
            problems[0].reason.contains("does not cover"),
            "{problems:?}"
        );
    }

    #[test]
    fn the_policy_table_sets_the_door_and_defaults_fill_the_rest() {
        assert_eq!(parse(GOOD).expect("valid").policy, DoorPolicy::default());
        let text = format!(
            "{GOOD}\n[policy]\nface_threshold = 0.4\nliveness_threshold = 0.6\ncapture_tries = 5\nread_deadline_s = 20\n"
        );
        let policy = parse(&text).expect("valid").policy;
        assert_eq!(
            policy,
            DoorPolicy {
                face_threshold: 0.4,
                portrait_threshold: 0.4,
                liveness_threshold: 0.6,
                capture_tries: 5,
                read_deadline_s: 20,
                ..DoorPolicy::default()
            },
            "the portrait threshold follows the face threshold"
        );
        let text = format!("{GOOD}\n[policy]\nseal_admissions = false\nproxy_threshold = 0.6\n");
        let policy = parse(&text).expect("valid").policy;
        assert!(!policy.seal_admissions);
        assert_eq!(policy.proxy_threshold, 0.6);
        let text = format!("{GOOD}\n[policy]\nportrait_threshold = 0.3\n");
        let policy = parse(&text).expect("valid").policy;
        assert_eq!(policy.portrait_threshold, 0.3);
        assert_eq!(policy.face_threshold, DoorPolicy::default().face_threshold);
    }

    #[test]
    fn a_policy_value_out_of_range_is_named_with_its_line() {
        // GOOD ends with line 25, then a blank line: `[policy]` is line 27, its key line 28.
        let cases = [
            (
                "face_threshold = 1.5",
                "line 28: policy: face_threshold 1.5 must be between 0 and 1 (exclusive)",
            ),
            (
                "portrait_threshold = 0",
                "line 28: policy: portrait_threshold 0 must be between 0 and 1 (exclusive)",
            ),
            (
                "liveness_threshold = -0.2",
                "line 28: policy: liveness_threshold -0.2 must be between 0 and 1 (exclusive)",
            ),
            (
                "capture_tries = 0",
                "line 28: policy: capture_tries 0 must be 1 to 10",
            ),
            (
                "capture_tries = 300",
                "line 28: policy: capture_tries 300 must be 1 to 10",
            ),
            (
                "read_deadline_s = 2",
                "line 28: policy: read_deadline_s 2 must be 3 to 120 seconds",
            ),
            (
                "read_deadline_s = 121",
                "line 28: policy: read_deadline_s 121 must be 3 to 120 seconds",
            ),
        ];
        for (line, expected) in cases {
            let text = format!("{GOOD}\n[policy]\n{line}\n");
            let problems = parse(&text).expect_err(expected);
            let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
            assert_eq!(shown, vec![expected.to_string()]);
        }
        let problems =
            parse(&format!("{GOOD}\n[policy]\nface_treshold = 0.4\n")).expect_err("unknown key");
        assert!(problems[0].reason.contains("face_treshold"), "{problems:?}");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }
    }
}
