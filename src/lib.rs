//! examgate: the exam-room door kiosk.
//!
//! The library holds everything the `examgate` binary's verbs share: image decoding, the
//! face verification engine, and (as they arrive) cards, decisions and the log. Adapters to
//! hardware sit at the edges; the decisions in the middle are pure functions.

#![deny(unsafe_code)] // forbid would also refuse slint's generated code (src/ui.rs)

pub mod card;
pub mod decision;
pub mod doctor;
pub mod face;
pub mod imaging;
pub mod invigilator;
pub mod journal;
pub mod kiosk;
pub mod office;
pub mod package;
pub mod platform;
#[cfg(feature = "ui")]
pub mod ui;
