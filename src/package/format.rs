//! The room package on disk: one directory per room holding
//!
//! - `package.json`: everything the kiosk needs for its room ([`RoomPackage`]);
//! - `directory.csv`: every candidate's placement in the whole exam (ticket, session, site,
//!   room, seat; no names), so a candidate at the wrong door is sent to the right one. It is
//!   the same file for every room, bound to each package by its SHA-256;
//! - `package.sig`: the office's Ed25519 signature over `package.json` ([`Signature`]).
//!
//! format-stable: field names and order are part of the signed bytes; do not rename or
//! reorder, add a new `FORMAT` instead.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use base64ct::{Base64, Encoding};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::decision::{DocumentKind, Placement, RoomRef, TicketNumber};

/// The package format this build writes and reads.
pub const FORMAT: u32 = 1;
/// File names inside a room package directory.
pub const PACKAGE_FILE: &str = "package.json";
/// See the module header.
pub const DIRECTORY_FILE: &str = "directory.csv";
/// See the module header.
pub const SIGNATURE_FILE: &str = "package.sig";
/// Prefix of the signed message, so a package signature can never pass for a log event's.
pub const SIGNING_CONTEXT: &[u8] = b"examgate room package v1\0";

/// One room's package.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomPackage {
    /// [`FORMAT`].
    pub format: u32,
    /// Exam name.
    pub exam: String,
    /// Offset of exam-local time from UTC, e.g. `+08:00`.
    pub utc_offset: String,
    /// First local instant the kiosk accepts this package.
    pub valid_from: NaiveDateTime,
    /// Last local instant the kiosk accepts this package.
    pub valid_until: NaiveDateTime,
    /// Site code.
    pub site: String,
    /// Site name, for the idle screen.
    pub site_name: String,
    /// Room code.
    pub room: String,
    /// Seats in the room.
    pub seats: u16,
    /// The exam's sessions (all of them; a room may be empty in some).
    pub sessions: Vec<PackageSession>,
    /// Candidates seated in this room in at least one session, by ticket.
    pub candidates: Vec<PackageCandidate>,
    /// Invigilators of this room.
    pub invigilators: Vec<PackageInvigilator>,
    /// CSCA certificates (DER, Base64) for passive authentication.
    pub csca: Vec<String>,
    /// The office's X25519 evidence key (hex): evidence is sealed to it.
    pub office_evidence_key: String,
    /// SHA-256 (hex) of the embedding model the templates were made with; the kiosk refuses
    /// templates from another model, whose scores would mean nothing.
    pub template_model: String,
    /// SHA-256 (hex) of `directory.csv`.
    pub directory_sha256: String,
    /// The door's thresholds and deadlines from `exam.toml`'s `[policy]`. Added within
    /// format 1, after it: a package written before it existed opens with the defaults.
    #[serde(default)]
    pub policy: DoorPolicy,
    /// When the office built the package, exam-local. A kiosk clock before it is wrong
    /// (`examgate doctor`). Added within format 1, after `policy`: absent in older packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_at: Option<NaiveDateTime>,
}

impl std::fmt::Debug for RoomPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomPackage")
            .field("exam", &self.exam)
            .field("site", &self.site)
            .field("room", &self.room)
            .field("candidates", &self.candidates.len())
            .finish_non_exhaustive()
    }
}

impl RoomPackage {
    /// The room this package is for.
    pub fn room_ref(&self) -> RoomRef {
        RoomRef {
            site: self.site.clone(),
            room: self.room.clone(),
        }
    }
}

/// Capture attempts a [`DoorPolicy`] may allow: at least one, and few enough that the queue
/// at the door keeps moving.
pub const CAPTURE_TRIES: RangeInclusive<u8> = 1..=10;
/// Document read deadlines (seconds) a [`DoorPolicy`] may set: a chip read with secure
/// messaging and a portrait takes a few seconds; two minutes holds up the queue.
pub const READ_DEADLINE_S: RangeInclusive<u16> = 3..=120;

/// The door's thresholds and deadlines, set by the exam office (`exam.toml` `[policy]`) and
/// signed into the package. The one place their defaults live.
///
/// format-stable: field names and order are part of the signed bytes; do not rename or
/// reorder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoorPolicy {
    /// Minimum cosine score of the live face against the registration template.
    pub face_threshold: f32,
    /// Minimum cosine score of the live face against the document portrait.
    pub portrait_threshold: f32,
    /// Minimum liveness averaged over the capture.
    pub liveness_threshold: f32,
    /// Capture attempts after which a face still unusable is referred.
    pub capture_tries: u8,
    /// How long the door waits for a document read to finish, in seconds.
    pub read_deadline_s: u16,
    /// Seal every admission's best live crop and its embedding to the office evidence key,
    /// for the office's one-face-two-tickets check (referrals are always sealed). Added
    /// within format 1: absent in older packages, on.
    #[serde(default = "seal_admissions_default")]
    pub seal_admissions: bool,
    /// The strict threshold for the office's proxy check (one face admitted under two
    /// tickets): the FAR 1e-4 point. Added within format 1.
    #[serde(default = "proxy_threshold_default")]
    pub proxy_threshold: f32,
}

fn seal_admissions_default() -> bool {
    true
}

fn proxy_threshold_default() -> f32 {
    crate::face::PROXY_THRESHOLD
}

impl Default for DoorPolicy {
    fn default() -> Self {
        Self {
            face_threshold: crate::face::DEFAULT_THRESHOLD,
            portrait_threshold: crate::face::DEFAULT_THRESHOLD,
            liveness_threshold: 0.5,
            capture_tries: 3,
            read_deadline_s: 15,
            seal_admissions: seal_admissions_default(),
            proxy_threshold: proxy_threshold_default(),
        }
    }
}

impl DoorPolicy {
    /// Every value out of range, as (field, what is wrong naming the value).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        [
            (
                "face_threshold",
                threshold_problem("face_threshold", self.face_threshold),
            ),
            (
                "portrait_threshold",
                threshold_problem("portrait_threshold", self.portrait_threshold),
            ),
            (
                "liveness_threshold",
                threshold_problem("liveness_threshold", self.liveness_threshold),
            ),
            (
                "capture_tries",
                capture_tries_problem(i64::from(self.capture_tries)),
            ),
            (
                "read_deadline_s",
                read_deadline_problem(i64::from(self.read_deadline_s)),
            ),
            (
                "proxy_threshold",
                threshold_problem("proxy_threshold", self.proxy_threshold),
            ),
        ]
        .into_iter()
        .filter_map(|(field, problem)| problem.map(|p| (field, p)))
        .collect()
    }

    /// The document read deadline in milliseconds, as the door counts time.
    pub fn read_deadline_ms(&self) -> i64 {
        i64::from(self.read_deadline_s) * 1000
    }
}

/// Why `value` cannot be the threshold `field`, if it cannot. A threshold outside (0, 1),
/// NaN included, would admit everyone or no one.
pub fn threshold_problem(field: &str, value: f32) -> Option<String> {
    (!(value > 0.0 && value < 1.0))
        .then(|| format!("{field} {value} must be between 0 and 1 (exclusive)"))
}

/// Why `value` cannot be `capture_tries`, if it cannot (see [`CAPTURE_TRIES`]).
pub fn capture_tries_problem(value: i64) -> Option<String> {
    let ok = u8::try_from(value).is_ok_and(|v| CAPTURE_TRIES.contains(&v));
    (!ok).then(|| {
        format!(
            "capture_tries {value} must be {} to {}",
            CAPTURE_TRIES.start(),
            CAPTURE_TRIES.end()
        )
    })
}

/// Why `value` cannot be `read_deadline_s`, if it cannot (see [`READ_DEADLINE_S`]).
pub fn read_deadline_problem(value: i64) -> Option<String> {
    let ok = u16::try_from(value).is_ok_and(|v| READ_DEADLINE_S.contains(&v));
    (!ok).then(|| {
        format!(
            "read_deadline_s {value} must be {} to {} seconds",
            READ_DEADLINE_S.start(),
            READ_DEADLINE_S.end()
        )
    })
}

/// One session's times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSession {
    /// Session id.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Entry opens.
    pub entry_opens: NaiveDateTime,
    /// Exam starts.
    pub start: NaiveDateTime,
    /// First late instant.
    pub late_cutoff: NaiveDateTime,
    /// Session ends.
    pub end: NaiveDateTime,
}

/// One candidate of this room.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageCandidate {
    /// Ticket number.
    pub ticket: String,
    /// Name.
    pub name: String,
    /// `M` or `F`.
    pub sex: String,
    /// Birth date (BAC key seed).
    pub birth_date: NaiveDate,
    /// `cn-id`, `passport`, `eid` or `none`.
    pub document_kind: String,
    /// Document number.
    pub document_number: String,
    /// Document expiry (BAC key seed).
    pub document_expiry: Option<NaiveDate>,
    /// Card access number (PACE).
    pub can: Option<String>,
    /// Contactless card UID, hex.
    pub card_uid: Option<String>,
    /// Seat per session id, for the sessions sat in this room.
    pub seats: BTreeMap<String, u16>,
    /// Registration template: 512 little-endian f32, Base64.
    pub template: String,
    /// Small JPEG of the registration face for the invigilator screen, Base64.
    pub thumbnail_jpeg: String,
    /// Name as the document prints it (`ZHANG<<SAN` for 张三), when it differs from `name`.
    /// Added within format 1, after it: absent in older packages and left out when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_name: Option<String>,
}

impl std::fmt::Debug for PackageCandidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PackageCandidate({}, <personal data redacted>)",
            self.ticket
        )
    }
}

/// One invigilator of this room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageInvigilator {
    /// Login id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Argon2id PHC string of the PIN.
    pub pin_hash: String,
}

/// `package.sig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Public key of the signer (hex), so a wrong key is named rather than reported as a
    /// corrupt package.
    pub signer: String,
    /// Ed25519 signature over [`SIGNING_CONTEXT`] + `package.json` bytes (hex).
    pub signature: String,
}

/// Document kind as written in the CSV and the package.
pub fn document_kind_code(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::CnId => "cn-id",
        DocumentKind::Passport => "passport",
        DocumentKind::Eid => "eid",
        DocumentKind::None => "none",
    }
}

/// The inverse of [`document_kind_code`].
pub fn parse_document_kind(code: &str) -> Option<DocumentKind> {
    [
        DocumentKind::CnId,
        DocumentKind::Passport,
        DocumentKind::Eid,
        DocumentKind::None,
    ]
    .into_iter()
    .find(|k| document_kind_code(*k) == code)
}

/// A template as Base64 of little-endian f32.
pub fn encode_template(values: &[f32]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    Base64::encode_string(&bytes)
}

/// The inverse of [`encode_template`]; `None` when the text is not Base64 of whole f32s.
pub fn decode_template(text: &str) -> Option<Vec<f32>> {
    let bytes = Base64::decode_vec(text).ok()?;
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// One line of `directory.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Ticket.
    pub ticket: TicketNumber,
    /// Session id.
    pub session: String,
    /// Where the candidate sits.
    pub placement: Placement,
}

/// `directory.csv` text, sorted by ticket then session so equal inputs give equal bytes.
pub fn write_directory(entries: &mut [DirectoryEntry]) -> String {
    entries.sort_by(|a, b| (&a.ticket, &a.session).cmp(&(&b.ticket, &b.session)));
    let mut out = String::from("ticket,session,site,room,seat\n");
    for e in entries.iter() {
        // Codes are validated to letters, digits, '-' and '_', and tickets contain no comma
        // or quote (checked when parsing the roster), so no field needs quoting.
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            e.ticket, e.session, e.placement.room.site, e.placement.room.room, e.placement.seat
        ));
    }
    out
}

/// Parse `directory.csv`; the error names the line.
pub fn read_directory(text: &str) -> Result<Vec<DirectoryEntry>, String> {
    let mut lines = text.lines();
    if lines.next() != Some("ticket,session,site,room,seat") {
        return Err("line 1: header is not ticket,session,site,room,seat".to_string());
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(',').collect();
            let seat = f.get(4).and_then(|s| s.parse::<u16>().ok());
            match (f.len(), seat) {
                (5, Some(seat)) => Ok(DirectoryEntry {
                    ticket: TicketNumber(f[0].to_string()),
                    session: f[1].to_string(),
                    placement: Placement {
                        room: RoomRef {
                            site: f[2].to_string(),
                            room: f[3].to_string(),
                        },
                        seat,
                    },
                }),
                _ => Err(format!("line {}: not ticket,session,site,room,seat", i + 2)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_round_trip_exactly() {
        let v = vec![0.5f32, -1.25, f32::MIN_POSITIVE, 3.0e-7];
        assert_eq!(decode_template(&encode_template(&v)), Some(v));
        assert_eq!(decode_template("AAA="), None, "two bytes are not an f32");
    }

    #[test]
    fn the_directory_round_trips_and_names_a_bad_line() {
        let mut entries = vec![DirectoryEntry {
            ticket: TicketNumber("2027000002".into()),
            session: "math".into(),
            placement: Placement {
                room: RoomRef {
                    site: "S01".into(),
                    room: "R101".into(),
                },
                seat: 7,
            },
        }];
        let text = write_directory(&mut entries);
        assert_eq!(read_directory(&text), Ok(entries));
        assert_eq!(
            read_directory(&format!("{text}2027,math,S01,R101,seven\n")),
            Err("line 3: not ticket,session,site,room,seat".to_string())
        );
    }

    #[test]
    fn document_kinds_round_trip() {
        for code in ["cn-id", "passport", "eid", "none"] {
            let kind = parse_document_kind(code).expect("known code");
            assert_eq!(document_kind_code(kind), code);
        }
        assert_eq!(parse_document_kind("visa"), None);
    }
}
