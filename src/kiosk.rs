//! The kiosk at the door: the door flow as a pure state machine driven by events (`door`),
//! the session roster (`roster`), the runner that performs the door's effects on injected
//! devices (`runner`), invigilator mode around it (`station`), what the screen shows as
//! plain data (`view`), simulated devices (`devices`), the built-in demo (`demo`) and the
//! worker thread that keeps card reads and face inference off the UI thread (`worker`). A
//! real kiosk adds its configuration (`config`), the session set up from its room package
//! (`setup`) or resumed from its log after a restart (`resume`). One candidate's attempt is
//! one value (`attempt`); the clock the door decides with is confirmed or corrected by the
//! invigilators (`time_check`); a first boot takes its room package from the USB stick
//! (`import`). The device seams and their adapters (contactless reader,
//! resident-ID bridge, camera, emulated devices) are in `devices`. No UI type appears here;
//! src/ui.rs draws views.

pub mod attempt;
pub mod config;
pub mod demo;
pub mod devices;
pub mod door;
pub mod import;
pub mod paper;
pub mod resume;
pub mod roster;
pub mod runner;
pub mod setup;
pub mod station;
pub mod tally;
pub mod ticket;
pub mod time_check;
pub mod view;
pub mod worker;
