//! Room packages (issue 4, "Room package"): the office's inputs (`exam.toml`,
//! `candidates.csv`, `invigilators.csv`), their validation, and the signed per-room package
//! the kiosk loads. Every bad row is reported with its line number and reason, and nothing
//! is written unless the whole input is valid.

pub mod build;
pub mod demo_data;
pub mod enrol;
pub mod exam;
pub mod format;
pub mod invigilators;
pub mod open;
pub mod parallel;
pub mod resident_id;
pub mod roster;
pub mod table;
pub mod text;
pub mod trust;

use std::collections::HashMap;

use crate::decision::RoomRef;

/// Rooms and their seat counts, from the exam description.
pub type Rooms = HashMap<RoomRef, u16>;

/// One problem in an input file: the line it is on (when it has one) and what is wrong,
/// naming the field and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the file; `None` for a problem of the file as a whole.
    pub line: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl Problem {
    /// A problem at `line`.
    pub fn new(line: Option<u64>, reason: String) -> Problem {
        Problem { line, reason }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}
