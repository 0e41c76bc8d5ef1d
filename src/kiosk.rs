//! The kiosk at the door (issue 5): the door flow as a pure state machine driven by events,
//! owning no device and no UI type. A runner (not written yet) turns its effects into work on
//! the devices, off the UI thread, and feeds the results back as inputs.

pub mod door;
pub mod roster;
pub mod runner;
