//! Passive authentication (ICAO 9303-11 §5.1): every data group read hashes to the value in
//! EF.SOD; the SOD's signed attributes carry the hash of its content; the Document Signer's
//! signature over them verifies; the DS certificate is signed by a CSCA from the trust list.
//! Each check is reported; the result is a value, never an error, and a failure never stops
//! the read.

use der::{Decode, Encode};
use signature::hazmat::PrehashVerifier;
use x509_cert::Certificate;

use super::lds::File;
use super::sod::{HashAlg, Sod};

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PaResult {
    /// Every check passed.
    Valid,
    /// A data group's hash differs from the SOD's.
    HashMismatch {
        /// The data group.
        dg: u8,
    },
    /// A data group read has no hash in the SOD.
    MissingHash {
        /// The data group.
        dg: u8,
    },
    /// The SOD's signature (or its content digest) does not verify.
    BadSignature,
    /// No CSCA in the trust list issued the DS certificate.
    UnknownSigner,
    /// The DS certificate's signature by its CSCA does not verify.
    BadCertificate,
    /// An algorithm this build does not verify (RSA, an unknown curve).
    Unsupported {
        /// Which.
        what: String,
    },
    /// EF.SOD could not be parsed or was absent.
    NoSod {
        /// Why.
        reason: String,
    },
}

/// Every check, for the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaReport {
    /// Per data group read: whether its hash matches.
    pub dg_hashes: Vec<(String, bool)>,
    /// messageDigest == hash(content).
    pub content_digest: bool,
    /// The DS signature over the signed attributes.
    pub sod_signature: bool,
    /// The DS certificate chains to a CSCA of the trust list.
    pub ds_by_csca: bool,
    /// The first failure, or Valid.
    #[serde(flatten)]
    pub result: PaResult,
}

impl PaReport {
    /// Whether data group `dg` is authenticated: its hash matched a SOD whose content digest
    /// and signature verified, by a DS certificate that chains to a CSCA of the trust list.
    /// Only then may its content be handed to a decoder (issue 12: the portrait is decoded
    /// after authentication, never before).
    pub fn authenticates(&self, dg: u8) -> bool {
        let name = File::Dg(dg).name();
        self.content_digest
            && self.sod_signature
            && self.ds_by_csca
            && self.dg_hashes.iter().any(|(n, ok)| *n == name && *ok)
    }
}

/// Verify an ECDSA signature (DER) over `prehash` with a SEC1 public key on the curve the
/// SPKI names.
fn ecdsa_verify(
    curve_oid: &str,
    public: &[u8],
    prehash: &[u8],
    sig_der: &[u8],
) -> Result<bool, String> {
    macro_rules! verify {
        ($curve:ty) => {{
            let Ok(key) = ecdsa::VerifyingKey::<$curve>::from_sec1_bytes(public) else {
                return Ok(false);
            };
            let Ok(sig) = ecdsa::Signature::<$curve>::from_der(sig_der) else {
                return Ok(false);
            };
            Ok(key.verify_prehash(prehash, &sig).is_ok())
        }};
    }
    match curve_oid {
        "1.2.840.10045.3.1.7" => verify!(p256::NistP256),
        "1.3.132.0.34" => verify!(p384::NistP384),
        "1.3.36.3.3.2.8.1.1.7" => verify!(bp256::BrainpoolP256r1),
        "1.3.36.3.3.2.8.1.1.11" => verify!(bp384::BrainpoolP384r1),
        other => Err(format!("curve {other}")),
    }
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";

/// The hash of an RSA PKCS#1 v1.5 signature algorithm OID.
fn rsa_hash(oid: &str) -> Option<HashAlg> {
    Some(match oid {
        "1.2.840.113549.1.1.5" => HashAlg::Sha1,
        "1.2.840.113549.1.1.14" => HashAlg::Sha224,
        "1.2.840.113549.1.1.11" => HashAlg::Sha256,
        "1.2.840.113549.1.1.12" => HashAlg::Sha384,
        "1.2.840.113549.1.1.13" => HashAlg::Sha512,
        _ => return None,
    })
}

/// The hash and salt length of RSASSA-PSS-params (`[0] hashAlgorithm`, `[2] saltLength`;
/// SHA-1 and 20 when absent, RFC 4055 §3.1).
fn pss_params(params: Option<&[u8]>) -> Option<(HashAlg, usize)> {
    let Some(params) = params else {
        return Some((HashAlg::Sha1, 20));
    };
    let fields = crate::card::tlv::unwrap(params, 0x30).ok()?;
    let hash = match crate::card::tlv::find(fields, 0xA0) {
        Ok(h) => {
            let alg = crate::card::tlv::unwrap(h.value, 0x30).ok()?;
            let oid = crate::card::tlv::find(alg, 0x06).ok()?;
            HashAlg::from_oid(
                &der::asn1::ObjectIdentifier::from_bytes(oid.value)
                    .ok()?
                    .to_string(),
            )?
        }
        Err(_) => HashAlg::Sha1,
    };
    let salt = match crate::card::tlv::find(fields, 0xA2) {
        Ok(s) => {
            let n = crate::card::tlv::unwrap(s.value, 0x02).ok()?;
            if n.len() > 4 {
                return None;
            }
            n.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b))
        }
        Err(_) => 20,
    };
    Some((hash, salt))
}

/// RSA signature check (PKCS#1 v1.5 or PSS) with the PKCS#1 public key `public`.
fn rsa_verify(
    public: &[u8],
    sig_oid: &str,
    sig_params: Option<&[u8]>,
    digest_oid: Option<&str>,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, String> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    let key =
        rsa::RsaPublicKey::from_pkcs1_der(public).map_err(|e| format!("RSA public key: {e}"))?;
    macro_rules! check {
        ($hash:expr, $scheme:ident :: $make:ident ( $($arg:expr),* )) => {{
            let digest = $hash.digest(message);
            match $hash {
                HashAlg::Sha1 => key.verify(rsa::$scheme::$make::<sha1::Sha1>($($arg),*), &digest, signature),
                HashAlg::Sha224 => key.verify(rsa::$scheme::$make::<sha2::Sha224>($($arg),*), &digest, signature),
                HashAlg::Sha256 => key.verify(rsa::$scheme::$make::<sha2::Sha256>($($arg),*), &digest, signature),
                HashAlg::Sha384 => key.verify(rsa::$scheme::$make::<sha2::Sha384>($($arg),*), &digest, signature),
                HashAlg::Sha512 => key.verify(rsa::$scheme::$make::<sha2::Sha512>($($arg),*), &digest, signature),
            }
        }};
    }
    if sig_oid == RSASSA_PSS {
        let (hash, salt) = pss_params(sig_params).ok_or("RSASSA-PSS parameters")?;
        return Ok(check!(hash, Pss::new_with_salt(salt)).is_ok());
    }
    let hash = rsa_hash(sig_oid)
        .or_else(|| {
            (sig_oid == RSA_ENCRYPTION)
                .then(|| digest_oid.and_then(HashAlg::from_oid))
                .flatten()
        })
        .ok_or_else(|| format!("signature algorithm {sig_oid}"))?;
    Ok(check!(hash, Pkcs1v15Sign::new()).is_ok())
}

/// Check `signature` over `message` with `signer`'s key, the hash taken from the ECDSA
/// signature algorithm OID, or from `digest_oid` when the OID is plain id-ecPublicKey.
fn verify_with(
    signer: &Certificate,
    sig_oid: &str,
    sig_params: Option<&[u8]>,
    digest_oid: Option<&str>,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, String> {
    let spki = &signer.tbs_certificate.subject_public_key_info;
    let key_alg = spki.algorithm.oid.to_string();
    if key_alg == RSA_ENCRYPTION {
        return rsa_verify(
            spki.subject_public_key.raw_bytes(),
            sig_oid,
            sig_params,
            digest_oid,
            message,
            signature,
        );
    }
    if key_alg != "1.2.840.10045.2.1" {
        return Err(format!(
            "public key algorithm {key_alg} (ECDSA and RSA keys are verified)"
        ));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
        .map(|o| o.to_string())
        .ok_or("EC key without a named curve")?;
    let hash = HashAlg::from_ecdsa_oid(sig_oid)
        .or_else(|| {
            (sig_oid == "1.2.840.10045.2.1")
                .then(|| digest_oid.and_then(HashAlg::from_oid))
                .flatten()
        })
        .ok_or_else(|| format!("signature algorithm {sig_oid}"))?;
    let public = spki.subject_public_key.raw_bytes();
    ecdsa_verify(&curve, public, &hash.digest(message), signature)
}

/// Run passive authentication over the files read.
pub fn verify(sod: Result<&Sod, String>, files: &[(File, &[u8])], csca: &[Vec<u8>]) -> PaReport {
    let mut report = PaReport {
        dg_hashes: Vec::new(),
        content_digest: false,
        sod_signature: false,
        ds_by_csca: false,
        result: PaResult::Valid,
    };
    let sod = match sod {
        Ok(s) => s,
        Err(reason) => {
            report.result = PaResult::NoSod { reason };
            return report;
        }
    };
    let mut first: Option<PaResult> = None;
    let fail = |r: PaResult, first: &mut Option<PaResult>| {
        if first.is_none() {
            *first = Some(r);
        }
    };
    for (file, bytes) in files {
        let File::Dg(n) = file else { continue };
        match sod.hashes.iter().find(|(dg, _)| dg == n) {
            Some((_, expected)) => {
                let ok = sod.hash_alg.digest(bytes) == *expected;
                report.dg_hashes.push((file.name(), ok));
                if !ok {
                    fail(PaResult::HashMismatch { dg: *n }, &mut first);
                }
            }
            None => {
                report.dg_hashes.push((file.name(), false));
                fail(PaResult::MissingHash { dg: *n }, &mut first);
            }
        }
    }
    let digest_alg = HashAlg::from_oid(&sod.digest_oid);
    report.content_digest = match (&sod.message_digest, digest_alg) {
        (Some(md), Some(alg)) => {
            // The attribute value is an OCTET STRING; compare its content.
            let value = der::asn1::OctetString::from_der(md)
                .map(|o| o.as_bytes().to_vec())
                .unwrap_or_else(|_| md.clone());
            value == alg.digest(&sod.content)
        }
        // Without signed attributes the signature covers the content itself.
        (None, Some(_)) => sod.signed_attrs.is_none(),
        _ => false,
    };
    let Some(ds) = &sod.ds_certificate else {
        fail(PaResult::UnknownSigner, &mut first);
        report.result = first.unwrap_or(PaResult::UnknownSigner);
        return report;
    };
    let message = sod.signed_attrs.as_deref().unwrap_or(&sod.content);
    match verify_with(
        ds,
        &sod.signature_oid,
        sod.signature_params.as_deref(),
        Some(&sod.digest_oid),
        message,
        &sod.signature,
    ) {
        Ok(ok) => report.sod_signature = ok && report.content_digest,
        Err(what) => fail(PaResult::Unsupported { what }, &mut first),
    }
    if !report.sod_signature {
        fail(PaResult::BadSignature, &mut first);
    }
    let issuer = ds.tbs_certificate.issuer.to_der().unwrap_or_default();
    let tbs = ds.tbs_certificate.to_der().unwrap_or_default();
    let cert_sig_oid = ds.signature_algorithm.oid.to_string();
    let cert_sig_params = ds
        .signature_algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok());
    let mut issuer_found = false;
    for c in csca
        .iter()
        .filter_map(|der| Certificate::from_der(der).ok())
    {
        if c.tbs_certificate.subject.to_der().unwrap_or_default() != issuer {
            continue;
        }
        issuer_found = true;
        if let Ok(true) = verify_with(
            &c,
            &cert_sig_oid,
            cert_sig_params.as_deref(),
            None,
            &tbs,
            ds.signature.raw_bytes(),
        ) {
            report.ds_by_csca = true;
            break;
        }
    }
    if !issuer_found {
        fail(PaResult::UnknownSigner, &mut first);
    } else if !report.ds_by_csca {
        fail(PaResult::BadCertificate, &mut first);
    }
    report.result = first.unwrap_or(PaResult::Valid);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::{files, sod};

    const COM: &[u8] = include_bytes!("../../tests/fixtures/emrtd/COM.bin");
    const DG1: &[u8] = include_bytes!("../../tests/fixtures/emrtd/DG1.bin");
    const DG2: &[u8] = include_bytes!("../../tests/fixtures/emrtd/DG2.bin");
    const SOD: &[u8] = include_bytes!("../../tests/fixtures/emrtd/SOD.bin");
    const FACE: &[u8] = include_bytes!("../../tests/fixtures/emrtd/face.jpg");
    const CSCA: &[u8] = include_bytes!("../../tests/fixtures/emrtd/csca.pem");
    const OTHER: &[u8] = include_bytes!("../../tests/fixtures/emrtd/other-csca.pem");

    fn trust(pem: &[u8]) -> Vec<Vec<u8>> {
        crate::package::trust::certificates(pem).expect("fixture PEM")
    }

    fn run(dg2: &[u8], csca: &[u8]) -> PaReport {
        let sod = sod::parse(SOD).expect("fixture SOD parses");
        verify(
            Ok(&sod),
            &[(File::Dg(1), DG1), (File::Dg(2), dg2)],
            &trust(csca),
        )
    }

    #[test]
    fn a_specimen_dump_parses_and_passes() {
        // Files dumped by ../shared/tools/vicc-passport.py --dump (test PKI, ECDSA P-256).
        assert_eq!(
            files::parse_com(COM).expect("COM").files,
            vec![File::Dg(1), File::Dg(2)]
        );
        assert_eq!(
            files::parse_dg1(DG1).expect("DG1").document_number,
            "L898902C"
        );
        assert_eq!(
            files::parse_dg2(DG2).expect("DG2").image,
            FACE,
            "portrait byte-identical"
        );
        let report = run(DG2, CSCA);
        assert_eq!(report.result, PaResult::Valid, "{report:?}");
        assert!(report.content_digest && report.sod_signature && report.ds_by_csca);
    }

    #[test]
    fn a_changed_dg2_byte_is_a_hash_mismatch_and_other_checks_still_run() {
        let mut dg2 = DG2.to_vec();
        let last = dg2.len() - 1;
        dg2[last] ^= 1;
        let report = run(&dg2, CSCA);
        assert_eq!(report.result, PaResult::HashMismatch { dg: 2 });
        assert_eq!(
            report.dg_hashes,
            vec![("DG1".into(), true), ("DG2".into(), false)]
        );
        assert!(report.sod_signature && report.ds_by_csca);
    }

    #[test]
    fn another_trust_list_gives_unknown_signer() {
        assert_eq!(run(DG2, OTHER).result, PaResult::UnknownSigner);
    }

    #[test]
    fn rsa_document_signers_verify_with_pkcs1_v15_and_pss() {
        // The virtual passport's files signed by an RSA-2048 PKI (openssl), once as it signs
        // (PKCS#1 v1.5, SHA-256) and once re-signed with RSASSA-PSS.
        let dg1: &[u8] = include_bytes!("../../tests/fixtures/emrtd-rsa/DG1.bin");
        let dg2: &[u8] = include_bytes!("../../tests/fixtures/emrtd-rsa/DG2.bin");
        let csca = trust(include_bytes!("../../tests/fixtures/emrtd-rsa/csca.pem"));
        for sod_bytes in [
            &include_bytes!("../../tests/fixtures/emrtd-rsa/SOD.bin")[..],
            &include_bytes!("../../tests/fixtures/emrtd-rsa/SOD-pss.bin")[..],
        ] {
            let sod = sod::parse(sod_bytes).expect("RSA SOD parses");
            let report = verify(Ok(&sod), &[(File::Dg(1), dg1), (File::Dg(2), dg2)], &csca);
            assert_eq!(
                report.result,
                PaResult::Valid,
                "{} {report:?}",
                sod.signature_oid
            );
            let mut bad = sod.clone();
            bad.signature[10] ^= 1;
            assert_eq!(
                verify(Ok(&bad), &[(File::Dg(1), dg1)], &csca).result,
                PaResult::BadSignature
            );
        }
    }

    #[test]
    fn a_changed_signature_is_a_bad_signature() {
        let mut sod = sod::parse(SOD).expect("parses");
        let n = sod.signature.len();
        sod.signature[n - 3] ^= 0x40;
        let report = verify(Ok(&sod), &[(File::Dg(1), DG1)], &trust(CSCA));
        assert_eq!(report.result, PaResult::BadSignature);
        assert!(!report.sod_signature && report.ds_by_csca);
    }
}
