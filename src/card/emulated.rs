//! The emulated eMRTD: a chip in-process behind the transport trait, with its own test PKI,
//! so the demo can simulate a passport tap and unit tests read a passport without pcscd.

pub mod chip;
pub mod pki;

pub use chip::{Document, EmulatedPassport};
