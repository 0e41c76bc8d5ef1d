//! The kiosk at the door: the door flow as a pure state machine driven by events (`door`),
//! the session roster (`roster`), the runner that performs the door's effects on injected
//! devices (`runner`), invigilator mode around it (`station`), what the screen shows as
//! plain data (`view`), simulated devices (`devices`), the built-in demo (`demo`) and the
//! worker thread that keeps card reads and face inference off the UI thread (`worker`). A
//! real kiosk adds its configuration (`config`), the session set up from its room package
//! (`setup`) or resumed from its log after a restart (`resume`), the PC/SC reader (`card_reader`) and the camera (`camera`, `v4l_camera`). No
//! UI type appears here; src/ui.rs draws views.

pub mod camera;
pub mod card_reader;
pub mod config;
pub mod demo;
pub mod devices;
pub mod door;
pub mod paper;
pub mod resume;
pub mod roster;
pub mod runner;
pub mod setup;
pub mod station;
pub mod tally;
pub mod ticket;
#[cfg(feature = "ui")]
pub mod v4l_camera;
pub mod view;
pub mod worker;
