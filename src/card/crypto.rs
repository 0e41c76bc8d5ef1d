//! The symmetric primitives of ICAO 9303-11 §9.7–9.8: the key derivation function, 3DES
//! (two-key, CBC, zero IV) with the ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC"), and AES
//! (CBC, CMAC truncated to 8 bytes), with ISO/IEC 9797-1 padding method 2. Built on the
//! RustCrypto block ciphers; CBC is spelled out here because the SM IVs are per message.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::{Aes128, Aes192, Aes256};
use cmac::{Cmac, Mac};
use des::{Des, TdesEde2};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Which cipher a session uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Cipher {
    /// Two-key 3DES (BAC).
    Tdes,
    /// AES with a 16-, 24- or 32-byte key (PACE).
    Aes(usize),
}

impl Cipher {
    /// Block size in bytes.
    pub fn block(self) -> usize {
        match self {
            Cipher::Tdes => 8,
            Cipher::Aes(_) => 16,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Cipher::Tdes => 16,
            Cipher::Aes(n) => n,
        }
    }
}

/// KDF(K, c) of 9303-11 §9.7.1: SHA-1 for 3DES and AES-128, SHA-256 for AES-192/256,
/// truncated to the key length. (3DES parity bits are left as they come: DES ignores them.)
pub fn kdf(secret: &[u8], counter: u32, cipher: Cipher) -> Zeroizing<Vec<u8>> {
    let mut input = secret.to_vec();
    input.extend_from_slice(&counter.to_be_bytes());
    let n = cipher.key_len();
    let digest: Vec<u8> = if n <= 16 {
        Sha1::digest(&input).to_vec()
    } else {
        Sha256::digest(&input).to_vec()
    };
    Zeroizing::new(digest[..n].to_vec())
}

/// ISO/IEC 9797-1 padding method 2: 0x80 then zeros to a whole block.
pub fn pad(data: &[u8], block: usize) -> Vec<u8> {
    let mut out = data.to_vec();
    out.push(0x80);
    while !out.len().is_multiple_of(block) {
        out.push(0);
    }
    out
}

/// Remove method-2 padding; `None` when there is none.
pub fn unpad(data: &[u8]) -> Option<Vec<u8>> {
    let end = data.iter().rposition(|&b| b != 0)?;
    (data[end] == 0x80).then(|| data[..end].to_vec())
}

enum Block {
    Tdes(Box<TdesEde2>),
    Aes128(Box<Aes128>),
    Aes192(Box<Aes192>),
    Aes256(Box<Aes256>),
}

impl Block {
    fn new(cipher: Cipher, key: &[u8]) -> Option<Block> {
        Some(match (cipher, key.len()) {
            (Cipher::Tdes, 16) => Block::Tdes(Box::new(TdesEde2::new_from_slice(key).ok()?)),
            (Cipher::Aes(16), 16) => Block::Aes128(Box::new(Aes128::new_from_slice(key).ok()?)),
            (Cipher::Aes(24), 24) => Block::Aes192(Box::new(Aes192::new_from_slice(key).ok()?)),
            (Cipher::Aes(32), 32) => Block::Aes256(Box::new(Aes256::new_from_slice(key).ok()?)),
            _ => return None,
        })
    }

    fn encrypt(&self, b: &mut [u8]) {
        match self {
            Block::Tdes(c) => c.encrypt_block(GenericArray::from_mut_slice(b)),
            Block::Aes128(c) => c.encrypt_block(GenericArray::from_mut_slice(b)),
            Block::Aes192(c) => c.encrypt_block(GenericArray::from_mut_slice(b)),
            Block::Aes256(c) => c.encrypt_block(GenericArray::from_mut_slice(b)),
        }
    }

    fn decrypt(&self, b: &mut [u8]) {
        match self {
            Block::Tdes(c) => c.decrypt_block(GenericArray::from_mut_slice(b)),
            Block::Aes128(c) => c.decrypt_block(GenericArray::from_mut_slice(b)),
            Block::Aes192(c) => c.decrypt_block(GenericArray::from_mut_slice(b)),
            Block::Aes256(c) => c.decrypt_block(GenericArray::from_mut_slice(b)),
        }
    }
}

/// Why a primitive refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// A key of the wrong length for the cipher.
    #[error("a {cipher:?} key must be {expected} bytes, got {got}")]
    KeyLength {
        /// Cipher.
        cipher: Cipher,
        /// Expected.
        expected: usize,
        /// Given.
        got: usize,
    },
    /// Data not a whole number of blocks.
    #[error("{0} bytes is not a whole number of cipher blocks")]
    NotBlocks(usize),
}

fn block(cipher: Cipher, key: &[u8]) -> Result<Block, CryptoError> {
    Block::new(cipher, key).ok_or(CryptoError::KeyLength {
        cipher,
        expected: cipher.key_len(),
        got: key.len(),
    })
}

/// CBC encryption of whole blocks with `iv`.
pub fn cbc_encrypt(
    cipher: Cipher,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let bs = cipher.block();
    if !data.len().is_multiple_of(bs) || iv.len() != bs {
        return Err(CryptoError::NotBlocks(data.len()));
    }
    let c = block(cipher, key)?;
    let mut prev = iv.to_vec();
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks(bs) {
        let mut b: Vec<u8> = chunk.iter().zip(&prev).map(|(x, y)| x ^ y).collect();
        c.encrypt(&mut b);
        out.extend_from_slice(&b);
        prev = b;
    }
    Ok(out)
}

/// CBC decryption of whole blocks with `iv`.
pub fn cbc_decrypt(
    cipher: Cipher,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let bs = cipher.block();
    if !data.len().is_multiple_of(bs) || iv.len() != bs {
        return Err(CryptoError::NotBlocks(data.len()));
    }
    let c = block(cipher, key)?;
    let mut prev = iv.to_vec();
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks(bs) {
        let mut b = chunk.to_vec();
        c.decrypt(&mut b);
        out.extend(b.iter().zip(&prev).map(|(x, y)| x ^ y));
        prev = chunk.to_vec();
    }
    Ok(out)
}

/// One block encrypted alone (the AES SM IV is E(KSenc, SSC)).
pub fn ecb_encrypt_block(cipher: Cipher, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if data.len() != cipher.block() {
        return Err(CryptoError::NotBlocks(data.len()));
    }
    let c = block(cipher, key)?;
    let mut b = data.to_vec();
    c.encrypt(&mut b);
    Ok(b)
}

/// ISO/IEC 9797-1 MAC algorithm 3 with single DES and a final 3DES step, over data already
/// padded (BAC's MAC, 9303-11 §9.8.6.1).
pub fn retail_mac(key: &[u8], padded: &[u8]) -> Result<[u8; 8], CryptoError> {
    if key.len() != 16 {
        return Err(CryptoError::KeyLength {
            cipher: Cipher::Tdes,
            expected: 16,
            got: key.len(),
        });
    }
    if !padded.len().is_multiple_of(8) {
        return Err(CryptoError::NotBlocks(padded.len()));
    }
    let ka = Des::new_from_slice(&key[..8]).map_err(|_| CryptoError::NotBlocks(0))?;
    let kb = Des::new_from_slice(&key[8..]).map_err(|_| CryptoError::NotBlocks(0))?;
    let mut h = [0u8; 8];
    for chunk in padded.chunks(8) {
        for (x, y) in h.iter_mut().zip(chunk) {
            *x ^= y;
        }
        ka.encrypt_block(GenericArray::from_mut_slice(&mut h));
    }
    kb.decrypt_block(GenericArray::from_mut_slice(&mut h));
    ka.encrypt_block(GenericArray::from_mut_slice(&mut h));
    Ok(h)
}

/// AES-CMAC truncated to 8 bytes (PACE SM and tokens, 9303-11 §9.8.6.2).
pub fn cmac8(key: &[u8], data: &[u8]) -> Result<[u8; 8], CryptoError> {
    fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Option<[u8; 8]> {
        let mut m = <M as KeyInit>::new_from_slice(key).ok()?;
        m.update(data);
        let tag = m.finalize().into_bytes();
        tag[..8].try_into().ok()
    }
    let tag = match key.len() {
        16 => run::<Cmac<Aes128>>(key, data),
        24 => run::<Cmac<Aes192>>(key, data),
        32 => run::<Cmac<Aes256>>(key, data),
        _ => None,
    };
    tag.ok_or(CryptoError::KeyLength {
        cipher: Cipher::Aes(key.len()),
        expected: 16,
        got: key.len(),
    })
}

/// Constant-time comparison of MACs and tokens.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test hex"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdf_gives_the_appendix_d_keys() {
        // 9303-11 D.2: Kseed = 239AB9CB282DAF66231DC5A4DF6BFBAE; Kenc and Kmac before the
        // parity adjustment D.2 prints (DES ignores parity bits).
        let seed = hex("239AB9CB282DAF66231DC5A4DF6BFBAE");
        assert_eq!(
            *kdf(&seed, 1, Cipher::Tdes),
            hex("AB94FCEDF2664EDFB9B291F85D7F77F2")
        );
        assert_eq!(
            *kdf(&seed, 2, Cipher::Tdes),
            hex("7862D9ECE03C1BCD4D77089DCF131442")
        );
        assert_eq!(
            kdf(&seed, 1, Cipher::Aes(32))[..24],
            kdf(&seed, 1, Cipher::Aes(24))[..]
        );
    }

    #[test]
    fn padding_round_trips_and_rejects_garbage() {
        assert_eq!(pad(&[1, 2, 3], 8), [1, 2, 3, 0x80, 0, 0, 0, 0]);
        assert_eq!(pad(&[0; 8], 8).len(), 16);
        assert_eq!(unpad(&pad(&[1, 0, 0], 8)), Some(vec![1, 0, 0]));
        assert_eq!(unpad(&[1, 2, 0, 0]), None);
    }

    #[test]
    fn cbc_round_trips_for_every_cipher() {
        for cipher in [
            Cipher::Tdes,
            Cipher::Aes(16),
            Cipher::Aes(24),
            Cipher::Aes(32),
        ] {
            let key = vec![0x5A; cipher.key_len()];
            let iv = vec![3; cipher.block()];
            let data = pad(b"secure messaging", cipher.block());
            let enc = cbc_encrypt(cipher, &key, &iv, &data).expect("encrypt");
            assert_ne!(enc, data);
            assert_eq!(cbc_decrypt(cipher, &key, &iv, &enc).expect("decrypt"), data);
        }
        assert!(cbc_encrypt(Cipher::Aes(16), &[0; 15], &[0; 16], &[0; 16]).is_err());
    }
}
