//! The world outside the program, behind small seams: time, keys and randomness; and the
//! isolation of stages that run third-party code on untrusted input (`isolate`); telling the
//! service manager the kiosk is up and alive (`notify`); handing exports to the kiosk
//! image's USB-stick helper (`stick`).

pub mod clock;
pub mod isolate;
pub mod keygen;
pub mod keystore;
pub mod notify;
pub mod random;
pub mod stick;
