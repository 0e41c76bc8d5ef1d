//! The world outside the program, behind small seams: time (and, as they arrive, keys and
//! randomness).

pub mod clock;
pub mod keygen;
pub mod keystore;
