//! The room package's inputs (issue 4, "Room package"): so far the candidate roster and its
//! validation. Every bad row is reported with its line number and reason, and nothing is
//! accepted unless the whole input is valid.

pub mod resident_id;
pub mod roster;
