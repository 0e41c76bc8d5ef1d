//! The world outside the program, behind small seams: time, keys and randomness; and the
//! isolation of stages that run third-party code on untrusted input (`isolate`); telling the
//! service manager the kiosk is up and alive (`notify`).

pub mod clock;
pub mod isolate;
pub mod keygen;
pub mod keystore;
pub mod notify;
pub mod random;
