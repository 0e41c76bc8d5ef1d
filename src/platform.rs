//! The world outside the program, behind small seams: time, keys and randomness.

pub mod clock;
pub mod keygen;
pub mod keystore;
pub mod random;
