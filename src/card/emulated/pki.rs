//! A throwaway test PKI made at run time for the emulated passport: a self-signed CSCA and a
//! Document Signer (ECDSA P-256, SHA-256; ICAO 9303-12 §7 profiles: CSCA with
//! basicConstraints cA and keyCertSign, DS with digitalSignature, key identifiers), and the
//! EF.SOD the DS signs (CMS SignedData over the LDS security object, ICAO 9303-10 §4.6.2).
//! [`PkiOptions`] mints the deviations passive authentication must catch or accept (an
//! expired DS, a DS without digitalSignature, a brainpoolP256r1 DS key with explicit domain
//! parameters, signed attributes out of DER order). DER is written with the crate's own TLV
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

/// A key of the test PKI: P-256, or brainpoolP256r1 written with explicit parameters.
enum Key {
    P256(SigningKey),
    Bp256Explicit(ecdsa::SigningKey<bp256::BrainpoolP256r1>),
}

impl Key {
    fn point(&self) -> Vec<u8> {
        match self {
            Key::P256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Key::Bp256Explicit(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
        }
    }

    /// A key identifier: the first 20 bytes of SHA-256 over the public point.
    fn id(&self) -> Vec<u8> {
        Sha256::digest(self.point())[..20].to_vec()
    }
}

fn spki(key: &Key) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend(key.point());
    let params = match key {
        Key::P256(_) => oid("1.2.840.10045.3.1.7"),
        Key::Bp256Explicit(_) => crate::card::ecparams::explicit("1.3.36.3.3.2.8.1.1.7")
            .expect("brainpoolP256r1 is in the curve table"),
    };
    seq(&[
        &seq(&[&oid("1.2.840.10045.2.1"), &params]),
        &encode(0x03, &bits),
    ])
}

fn sign(key: &Key, message: &[u8]) -> Result<Vec<u8>, Error> {
    let failed = |e: signature::Error| Error::Malformed {
        what: "test PKI",
        reason: format!("signing failed: {e}"),
    };
    let digest = Sha256::digest(message);
    Ok(match key {
        Key::P256(k) => {
            let sig: Signature = k.sign_prehash(&digest).map_err(failed)?;
            sig.to_der().as_bytes().to_vec()
        }
        Key::Bp256Explicit(k) => {
            // bp256 is built without its digest feature, so no RFC 6979 signer: the nonce
            // is SHA-256(secret ‖ digest), deterministic and secret like RFC 6979's (test
            // keys only), retried in the (negligible) case it is not a valid scalar.
            let mut seed = Sha256::new_with_prefix(k.to_bytes());
            seed.update(digest);
            let mut nonce = seed.finalize().to_vec();
            let k_nonce = loop {
                match ecdsa::SigningKey::<bp256::BrainpoolP256r1>::from_slice(&nonce) {
                    Ok(n) => break n,
                    Err(_) => nonce = Sha256::digest(&nonce).to_vec(),
                }
            };
            let (sig, _) = ecdsa::hazmat::sign_prehashed::<bp256::BrainpoolP256r1>(
                k.as_nonzero_scalar(),
                k_nonce.as_nonzero_scalar(),
                &digest,
            )
            .map_err(failed)?;
            sig.to_der().as_bytes().to_vec()
        }
    })
}

/// How to mint the test PKI and its EF.SOD; [`Default`] is a well-formed one.
#[derive(Debug, Clone)]
pub struct PkiOptions {
    /// The DS validity period as UTCTime (`YYMMDDHHMMSSZ`).
    pub ds_validity: (&'static str, &'static str),
    /// Give the DS keyUsage digitalSignature (else keyUsage keyEncipherment only).
    pub ds_digital_signature: bool,
    /// The DS key on brainpoolP256r1, its SubjectPublicKeyInfo with explicit parameters.
    pub ds_brainpool_explicit: bool,
    /// Write the SOD's signed attributes out of DER order (messageDigest before
    /// contentType), signed as written.
    pub attrs_out_of_der_order: bool,
    /// The serial number the SignerInfo's sid names (the DS has serial 2).
    pub sid_serial: u8,
}

impl Default for PkiOptions {
    fn default() -> PkiOptions {
        PkiOptions {
            ds_validity: ("250101000000Z", "450101000000Z"),
            ds_digital_signature: true,
            ds_brainpool_explicit: false,
            attrs_out_of_der_order: false,
            sid_serial: 2,
        }
    }
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

/// One extension: `SEQUENCE { extnID, critical TRUE, extnValue OCTET STRING }`.
fn extension(id: &str, value: &[u8]) -> Vec<u8> {
    seq(&[&oid(id), &encode(0x01, &[0xFF]), &encode(0x04, value)])
}

/// An X.509 v3 certificate for `subject_key`, signed by `issuer_key`: a CA (basicConstraints
/// cA, keyUsage keyCertSign + cRLSign) or an end entity (keyUsage digitalSignature, or
/// keyEncipherment when `signs` is false), with subject and authority key identifiers.
#[allow(clippy::too_many_arguments)] // a certificate's fields, named at the two call sites
fn certificate(
    serial: u8,
    issuer: &[u8],
    subject: &[u8],
    subject_key: &Key,
    issuer_key: &Key,
    ca: bool,
    signs: bool,
    validity: (&str, &str),
) -> Result<Vec<u8>, Error> {
    let alg = seq(&[&oid(ECDSA_SHA256)]);
    let validity = seq(&[
        &encode(0x17, validity.0.as_bytes()),
        &encode(0x17, validity.1.as_bytes()),
    ]);
    let basic = if ca {
        seq(&[&encode(0x01, &[0xFF])])
    } else {
        seq(&[])
    };
    // KeyUsage BIT STRING: 01 06 = keyCertSign + cRLSign (bits 5, 6); 07 80 =
    // digitalSignature (bit 0); 05 20 = keyEncipherment (bit 2).
    let usage: &[u8] = match (ca, signs) {
        (true, _) => &[0x01, 0x06],
        (false, true) => &[0x07, 0x80],
        (false, false) => &[0x05, 0x20],
    };
    let exts = [
        extension("2.5.29.19", &basic),
        extension("2.5.29.15", &encode(0x03, usage)),
        extension("2.5.29.14", &encode(0x04, &subject_key.id())),
        // AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier }
        extension("2.5.29.35", &seq(&[&encode(0x80, &issuer_key.id())])),
    ];
    let tbs = seq(&[
        &encode(0xA0, &int(&[2])),
        &int(&[serial]),
        &alg,
        issuer,
        &validity,
        subject,
        &spki(subject_key),
        &encode(
            0xA3,
            &seq(&exts.iter().map(Vec::as_slice).collect::<Vec<_>>()),
        ),
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
    ds_key: Key,
    ds_cert: Vec<u8>,
    ds_issuer: Vec<u8>,
    options: PkiOptions,
}

impl TestPki {
    /// Generate a CSCA and a DS.
    pub fn generate(random: &mut dyn FnMut(&mut [u8])) -> Result<TestPki, Error> {
        TestPki::generate_with(random, PkiOptions::default())
    }

    /// Generate a CSCA and a DS as `options` say.
    pub fn generate_with(
        random: &mut dyn FnMut(&mut [u8]),
        options: PkiOptions,
    ) -> Result<TestPki, Error> {
        let csca_key = Key::P256(random_key(random));
        let ds_key = if options.ds_brainpool_explicit {
            loop {
                let mut b = [0u8; 32];
                random(&mut b);
                if let Ok(k) = ecdsa::SigningKey::<bp256::BrainpoolP256r1>::from_slice(&b) {
                    break Key::Bp256Explicit(k);
                }
            }
        } else {
            Key::P256(random_key(random))
        };
        let csca_name = name("UT", "examgate emulated CSCA");
        let ds_name = name("UT", "examgate emulated Document Signer");
        let csca_validity = ("250101000000Z", "450101000000Z");
        let csca = certificate(
            1,
            &csca_name,
            &csca_name,
            &csca_key,
            &csca_key,
            true,
            true,
            csca_validity,
        )?;
        let ds_cert = certificate(
            2,
            &csca_name,
            &ds_name,
            &ds_key,
            &csca_key,
            false,
            options.ds_digital_signature,
            options.ds_validity,
        )?;
        Ok(TestPki {
            csca,
            ds_key,
            ds_cert,
            ds_issuer: csca_name,
            options,
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
        let mut attrs = [
            seq(&[&oid("1.2.840.113549.1.9.3"), &set(&[&content_type])]),
            seq(&[
                &oid("1.2.840.113549.1.9.4"),
                &set(&[&encode(0x04, &Sha256::digest(&lds))]),
            ]),
        ];
        // DER orders a SET OF by its encodings: contentType (30 18 …) before messageDigest
        // (30 2F …). Some signers write them unsorted and sign what they wrote.
        if self.options.attrs_out_of_der_order {
            attrs.reverse();
        }
        let attrs_content = attrs.concat();
        // The signature covers the attributes encoded as a SET (RFC 5652 §5.4).
        let signature = sign(&self.ds_key, &encode(0x31, &attrs_content))?;
        let signer = seq(&[
            &int(&[1]),
            &seq(&[&self.ds_issuer, &int(&[self.options.sid_serial])]),
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
