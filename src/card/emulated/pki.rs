//! A throwaway test PKI made at run time for the emulated passport: a self-signed CSCA and a
//! Document Signer (ECDSA P-256, SHA-256), and the EF.SOD the DS signs (CMS SignedData over
//! the LDS security object, ICAO 9303-10 §4.6.2). DER is written with the crate's own TLV
//! encoder; the signatures are RustCrypto ECDSA. Nothing here is a real trust anchor.

use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};
use signature::hazmat::PrehashSigner;

use crate::card::tlv::encode;
use crate::card::Error;

fn oid(dotted: &str) -> Vec<u8> {
    let o = der::asn1::ObjectIdentifier::new_unwrap(dotted);
    encode(0x06, o.as_bytes())
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    encode(0x30, &parts.concat())
}

fn set(parts: &[&[u8]]) -> Vec<u8> {
    encode(0x31, &parts.concat())
}

fn int(v: &[u8]) -> Vec<u8> {
    // Positive INTEGER: a leading zero when the top bit is set.
    let mut bytes = v.to_vec();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    encode(0x02, &bytes)
}

const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";

fn name(country: &str, common: &str) -> Vec<u8> {
    let c = set(&[&seq(&[&oid("2.5.4.6"), &encode(0x13, country.as_bytes())])]);
    let cn = set(&[&seq(&[&oid("2.5.4.3"), &encode(0x0C, common.as_bytes())])]);
    seq(&[&c, &cn])
}

fn spki(key: &SigningKey) -> Vec<u8> {
    let point = key.verifying_key().to_sec1_point(false);
    let mut bits = vec![0u8];
    bits.extend_from_slice(point.as_bytes());
    seq(&[
        &seq(&[&oid("1.2.840.10045.2.1"), &oid("1.2.840.10045.3.1.7")]),
        &encode(0x03, &bits),
    ])
}

fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, Error> {
    let sig: Signature =
        key.sign_prehash(&Sha256::digest(message))
            .map_err(|e| Error::Malformed {
                what: "test PKI",
                reason: format!("signing failed: {e}"),
            })?;
    Ok(sig.to_der().as_bytes().to_vec())
}

/// A signing key from the random source (rejection sampling into the scalar field).
pub fn random_key(random: &mut dyn FnMut(&mut [u8])) -> SigningKey {
    loop {
        let mut b = [0u8; 32];
        random(&mut b);
        if let Ok(k) = SigningKey::from_slice(&b) {
            return k;
        }
    }
}

/// An X.509 v3 certificate for `subject_key`, signed by `issuer_key`.
fn certificate(
    serial: u8,
    issuer: &[u8],
    subject: &[u8],
    subject_key: &SigningKey,
    issuer_key: &SigningKey,
    ca: bool,
) -> Result<Vec<u8>, Error> {
    let alg = seq(&[&oid(ECDSA_SHA256)]);
    let validity = seq(&[
        &encode(0x17, b"250101000000Z"),
        &encode(0x17, b"450101000000Z"),
    ]);
    let basic = if ca {
        seq(&[&encode(0x01, &[0xFF])])
    } else {
        seq(&[])
    };
    let ext = seq(&[
        &oid("2.5.29.19"),
        &encode(0x01, &[0xFF]),
        &encode(0x04, &basic),
    ]);
    let tbs = seq(&[
        &encode(0xA0, &int(&[2])),
        &int(&[serial]),
        &alg,
        issuer,
        &validity,
        subject,
        &spki(subject_key),
        &encode(0xA3, &seq(&[&ext])),
    ]);
    let sig = sign(issuer_key, &tbs)?;
    let mut bits = vec![0u8];
    bits.extend(sig);
    Ok(seq(&[&tbs, &alg, &encode(0x03, &bits)]))
}

/// The test PKI: CSCA certificate and the DS key and certificate.
pub struct TestPki {
    /// CSCA certificate, DER (the trust anchor to give the reader).
    pub csca: Vec<u8>,
    ds_key: SigningKey,
    ds_cert: Vec<u8>,
    ds_issuer: Vec<u8>,
}

impl TestPki {
    /// Generate a CSCA and a DS.
    pub fn generate(random: &mut dyn FnMut(&mut [u8])) -> Result<TestPki, Error> {
        let csca_key = random_key(random);
        let ds_key = random_key(random);
        let csca_name = name("UT", "examgate emulated CSCA");
        let ds_name = name("UT", "examgate emulated Document Signer");
        let csca = certificate(1, &csca_name, &csca_name, &csca_key, &csca_key, true)?;
        let ds_cert = certificate(2, &csca_name, &ds_name, &ds_key, &csca_key, false)?;
        Ok(TestPki {
            csca,
            ds_key,
            ds_cert,
            ds_issuer: csca_name,
        })
    }

    /// EF.SOD over `groups` (data group number, file bytes), SHA-256, signed by the DS.
    pub fn sign_sod(&self, groups: &[(u8, &[u8])]) -> Result<Vec<u8>, Error> {
        let sha256 = seq(&[&oid(SHA256)]);
        let hashes: Vec<Vec<u8>> = groups
            .iter()
            .map(|(n, bytes)| seq(&[&int(&[*n]), &encode(0x04, &Sha256::digest(bytes))]))
            .collect();
        let lds = seq(&[
            &int(&[0]),
            &sha256,
            &seq(&hashes.iter().map(Vec::as_slice).collect::<Vec<_>>()),
        ]);
        let content_type = oid("2.23.136.1.1.1");
        let attrs_content = [
            seq(&[&oid("1.2.840.113549.1.9.3"), &set(&[&content_type])]),
            seq(&[
                &oid("1.2.840.113549.1.9.4"),
                &set(&[&encode(0x04, &Sha256::digest(&lds))]),
            ]),
        ]
        .concat();
        // The signature covers the attributes encoded as a SET (RFC 5652 §5.4).
        let signature = sign(&self.ds_key, &encode(0x31, &attrs_content))?;
        let signer = seq(&[
            &int(&[1]),
            &seq(&[&self.ds_issuer, &int(&[2])]),
            &sha256,
            &encode(0xA0, &attrs_content),
            &seq(&[&oid(ECDSA_SHA256)]),
            &encode(0x04, &signature),
        ]);
        let signed_data = seq(&[
            &int(&[3]),
            &set(&[&sha256]),
            &seq(&[&content_type, &encode(0xA0, &encode(0x04, &lds))]),
            &encode(0xA0, &self.ds_cert),
            &set(&[&signer]),
        ]);
        let content_info = seq(&[&oid("1.2.840.113549.1.7.2"), &encode(0xA0, &signed_data)]);
        Ok(encode(0x77, &content_info))
    }
}
