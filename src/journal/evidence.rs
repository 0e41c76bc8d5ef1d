//! Evidence images sealed to the exam office: an anonymous sealed box (X25519 +
//! XSalsa20-Poly1305) under the office's public key. The kiosk holds no key that opens it,
//! so a stolen kiosk reveals no child's face. Only [`SealedEvidence`] can be stored; plain
//! image bytes have no path to the disk.

use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};
use sha2::{Digest, Sha256};

use crate::platform::keystore::hex;

/// Evidence errors.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Sealing failed (the RNG or the cipher refused).
    #[error("evidence could not be sealed")]
    Seal,
    /// The ciphertext does not open with this key (wrong key, or altered bytes).
    #[error("evidence does not open with this office key (wrong key or altered ciphertext)")]
    Open,
    /// The office's public key is a low-order X25519 point: anything sealed to it could be
    /// opened by anyone.
    #[error("office evidence key {0} is a low-order X25519 point; generate a new key pair")]
    LowOrderKey(String),
    /// Opened, but the plaintext is neither an evidence envelope nor a JPEG.
    #[error("opened evidence is malformed: {0}")]
    Malformed(String),
}

/// What one sealed evidence holds: the live face crop (JPEG) and, for an admission, the
/// crop's embedding, which is biometric data and sealed like the crop (the office's proxy
/// check compares them). Referrals sealed before embeddings were kept are a bare JPEG.
#[derive(Clone, PartialEq)]
pub struct EvidencePlain {
    /// The live face crop.
    pub crop_jpeg: Vec<u8>,
    /// Its embedding (unit length), when kept.
    pub embedding: Option<Vec<f32>>,
}

impl std::fmt::Debug for EvidencePlain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EvidencePlain({} byte crop, embedding: {})",
            self.crop_jpeg.len(),
            self.embedding.as_ref().map_or(0, Vec::len)
        )
    }
}

/// Starts an evidence envelope: `EGEV`, version 1.
const ENVELOPE: &[u8; 5] = b"EGEV\x01";

impl EvidencePlain {
    /// `EGEV 01`, the crop's length (u32 LE) and bytes, the embedding's length (u16 LE, 0
    /// for none) and values (f32 LE).
    pub fn encode(&self) -> Vec<u8> {
        let values = self.embedding.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(11 + self.crop_jpeg.len() + 4 * values.len());
        out.extend_from_slice(ENVELOPE);
        out.extend_from_slice(&(self.crop_jpeg.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.crop_jpeg);
        out.extend_from_slice(&(values.len() as u16).to_le_bytes());
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Read opened evidence: an envelope, or a bare JPEG (crop only).
    pub fn decode(bytes: &[u8]) -> Result<EvidencePlain, EvidenceError> {
        let bad = |why: &str| EvidenceError::Malformed(why.to_string());
        if bytes.starts_with(&[0xFF, 0xD8]) {
            return Ok(EvidencePlain {
                crop_jpeg: bytes.to_vec(),
                embedding: None,
            });
        }
        let rest = bytes
            .strip_prefix(ENVELOPE.as_slice())
            .ok_or_else(|| bad("neither an evidence envelope nor a JPEG"))?;
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("cut short before the crop's length"))?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(bad("cut short inside the crop"));
        }
        let (crop, rest) = rest.split_at(len);
        let (n, rest) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| bad("cut short before the embedding's length"))?;
        let n = usize::from(u16::from_le_bytes(*n));
        if rest.len() != 4 * n {
            return Err(bad("the embedding's length does not match its values"));
        }
        let values: Vec<f32> = rest
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(EvidencePlain {
            crop_jpeg: crop.to_vec(),
            embedding: (n > 0).then_some(values),
        })
    }
}

/// Refuse a low-order X25519 public key (RFC 7748 §6.1: the shared secret with such a point
/// is all zeros, whatever the other side's secret). X25519 clamps every scalar to a multiple
/// of the cofactor 8, so a point gives the zero output exactly when its order divides 8.
pub fn check_office_key(public: &[u8; 32]) -> Result<(), EvidenceError> {
    let product = curve25519_dalek::MontgomeryPoint(*public).mul_clamped([0x55; 32]);
    if product.0 == [0; 32] {
        return Err(EvidenceError::LowOrderKey(hex(public)));
    }
    Ok(())
}

/// Seals evidence to the office key from the room package.
#[derive(Clone)]
pub struct EvidenceSealer {
    office: PublicKey,
}

impl std::fmt::Debug for EvidenceSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EvidenceSealer(office {})", hex(self.office.as_bytes()))
    }
}

/// Ciphertext of one evidence image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEvidence(Vec<u8>);

impl SealedEvidence {
    /// From stored bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> SealedEvidence {
        SealedEvidence(bytes)
    }

    /// The ciphertext.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Hex SHA-256 of the ciphertext: what the signed event payload carries as
    /// `evidence_sha256`.
    pub fn sha256_hex(&self) -> String {
        hex(&Sha256::digest(&self.0))
    }
}

impl EvidenceSealer {
    /// For the office's X25519 public key.
    pub fn new(office_public: [u8; 32]) -> EvidenceSealer {
        EvidenceSealer {
            office: PublicKey::from(office_public),
        }
    }

    /// Seal image bytes.
    pub fn seal(&self, plain: &[u8]) -> Result<SealedEvidence, EvidenceError> {
        self.office
            .seal(&mut OsRng, plain)
            .map(SealedEvidence)
            .map_err(|_| EvidenceError::Seal)
    }
}

/// The office side: open evidence with the office's secret key.
pub fn open(office_secret: &[u8; 32], sealed: &SealedEvidence) -> Result<Vec<u8>, EvidenceError> {
    SecretKey::from(*office_secret)
        .unseal(&sealed.0)
        .map_err(|_| EvidenceError::Open)
}

/// A new office encryption key pair: (secret, public).
pub fn generate_office_keypair() -> ([u8; 32], [u8; 32]) {
    let secret = SecretKey::generate(&mut OsRng);
    (secret.to_bytes(), *secret.public_key().as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_envelope_round_trips_and_a_bare_jpeg_is_a_crop() {
        let plain = EvidencePlain {
            crop_jpeg: vec![0xFF, 0xD8, 1, 2, 3],
            embedding: Some(vec![0.5, -0.25, 1.0]),
        };
        assert_eq!(
            EvidencePlain::decode(&plain.encode()).ok(),
            Some(plain.clone())
        );
        let bare = EvidencePlain::decode(&[0xFF, 0xD8, 9]).expect("jpeg");
        assert_eq!(bare.embedding, None);
        let mut cut = plain.encode();
        cut.pop();
        assert!(matches!(
            EvidencePlain::decode(&cut),
            Err(EvidenceError::Malformed(_))
        ));
        assert!(EvidencePlain::decode(b"junk").is_err());
    }

    use super::*;

    #[test]
    fn only_the_office_secret_opens_sealed_evidence() {
        let (secret, public) = generate_office_keypair();
        let sealed = EvidenceSealer::new(public)
            .seal(b"face crop")
            .expect("seals");
        assert!(!sealed.as_bytes().windows(9).any(|w| w == b"face crop"));
        assert_eq!(open(&secret, &sealed).expect("opens"), b"face crop");
        let (other, _) = generate_office_keypair();
        assert!(open(&other, &sealed).is_err());
        let mut altered = sealed.as_bytes().to_vec();
        altered[40] ^= 1;
        assert!(open(&secret, &SealedEvidence::from_bytes(altered)).is_err());
    }

    #[test]
    fn r12_low_order_office_keys_are_refused() {
        // 0, 1, and a point of order 8 (from the libsodium / RFC 7748 lists), and p - 1.
        let order8 = [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ];
        let mut one = [0u8; 32];
        one[0] = 1;
        let mut p_minus_1 = [0xff; 32];
        p_minus_1[0] = 0xec;
        p_minus_1[31] = 0x7f;
        for bad in [[0u8; 32], one, order8, p_minus_1] {
            assert!(
                matches!(check_office_key(&bad), Err(EvidenceError::LowOrderKey(_))),
                "{}",
                hex(&bad)
            );
        }
        let (_, good) = generate_office_keypair();
        assert!(check_office_key(&good).is_ok());
    }
}
