//! Randomness from the operating system (challenges and ephemeral keys of the chip's access
//! control).

use crypto_box::aead::rand_core::RngCore;

/// Fill `buf` from the operating system's generator.
pub fn fill(buf: &mut [u8]) {
    crypto_box::aead::OsRng.fill_bytes(buf);
}
