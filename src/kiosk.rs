//! The kiosk at the door: the door flow as a pure state machine driven by events (`door`),
//! the session roster (`roster`), the runner that performs the door's effects on injected
//! devices (`runner`), invigilator mode around it (`station`), what the screen shows as
//! plain data (`view`), the session picked up from the log after a restart (`resume`),
//! simulated devices (`devices`), the built-in demo (`demo`) and the
//! worker thread that keeps card reads and face inference off the UI thread (`worker`). No
//! UI type appears here; src/ui.rs draws views.

pub mod demo;
pub mod devices;
pub mod door;
pub mod paper;
pub mod resume;
pub mod roster;
pub mod runner;
pub mod station;
pub mod ticket;
pub mod view;
pub mod worker;
