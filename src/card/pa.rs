//! Passive authentication (ICAO 9303-11 §5.1, certificate profiles of 9303-12 §7): EF.SOD's
//! content is an LDS security object; every data group read hashes to the value in it; the
//! signed attributes (hashed as received) carry the hash of the content; the SignerInfo's
//! `sid` names the Document Signer certificate, whose signature over them verifies; the DS
//! certificate is signed by a CSCA of the trust list (found by name or by key identifier);
//! at the time of the read both are within their validity periods, the DS key may sign
//! (digitalSignature) and the CSCA is a CA that may sign certificates (basicConstraints cA,
//! keyCertSign). Each check is reported; the result is a value, never an error, and a
//! failure never stops the read.

use der::{Decode, Encode};
use signature::hazmat::PrehashVerifier;
use x509_cert::Certificate;

use super::lds::File;
use super::sod::{self, HashAlg, Sod};

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
    /// EF.SOD's eContentType is not the LDS security object.
    WrongContentType {
        /// The OID found.
        oid: String,
    },
    /// The SignerInfo's `sid` names no certificate the SOD carries.
    SignerMismatch,
    /// A certificate was not yet valid or no longer valid at the time of the read.
    CertificateNotValid {
        /// `DS` or `CSCA`.
        certificate: String,
        /// Its validity period (UTC, RFC 3339).
        not_before: String,
        /// End of the validity period.
        not_after: String,
        /// The time of the read.
        at: String,
    },
    /// A certificate lacks a use its role needs (DS: digitalSignature; CSCA: keyCertSign
    /// and basicConstraints cA).
    CertificateUsage {
        /// `DS` or `CSCA`.
        certificate: String,
        /// What is missing.
        missing: String,
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
    /// eContentType is id-icao-mrtd-security-ldsSecurityObject.
    pub content_type: bool,
    /// The SignerInfo's `sid` names the DS certificate.
    pub signer_matches: bool,
    /// DS and CSCA valid at the time of the read, with the key usages and CA constraint
    /// their roles need.
    pub certificates_valid: bool,
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
            && self.content_type
            && self.signer_matches
            && self.certificates_valid
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
    // The curve is named by OID, or spelled out as explicit ECParameters that must equal
    // one of the supported curves exactly.
    let params = spki
        .algorithm
        .parameters
        .as_ref()
        .ok_or("EC key without curve parameters")?;
    let curve = match params.decode_as::<der::asn1::ObjectIdentifier>() {
        Ok(oid) => oid.to_string(),
        Err(_) => params
            .to_der()
            .ok()
            .and_then(|der| super::ecparams::named_curve(&der))
            .ok_or("EC key with explicit parameters of no supported curve")?
            .to_string(),
    };
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

/// The time as RFC 3339 UTC, for reports.
fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || format!("{secs} s"),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// Why `cert`, in `role`, may not be relied on at `at` (seconds since the epoch): outside
/// its validity period, or without the key usage (and for a CSCA the CA constraint) the role
/// needs. A usage extension that is absent or undecodable counts as missing.
fn unfit(cert: &Certificate, role: &str, at: i64) -> Option<PaResult> {
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
    let v = &cert.tbs_certificate.validity;
    let secs = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    let (from, to) = (secs(v.not_before), secs(v.not_after));
    if at < from || at > to {
        return Some(PaResult::CertificateNotValid {
            certificate: role.into(),
            not_before: rfc3339(from),
            not_after: rfc3339(to),
            at: rfc3339(at),
        });
    }
    let usage = |missing: &str| {
        Some(PaResult::CertificateUsage {
            certificate: role.into(),
            missing: missing.into(),
        })
    };
    let key_usage = cert
        .tbs_certificate
        .get::<KeyUsage>()
        .ok()
        .flatten()
        .map(|(_, k)| k);
    if role == "DS" {
        if !key_usage.is_some_and(|k| k.digital_signature()) {
            return usage("keyUsage digitalSignature");
        }
        return None;
    }
    let ca = cert
        .tbs_certificate
        .get::<BasicConstraints>()
        .ok()
        .flatten()
        .is_some_and(|(_, b)| b.ca);
    if !ca {
        return usage("basicConstraints cA");
    }
    if !key_usage.is_some_and(|k| k.key_cert_sign()) {
        return usage("keyUsage keyCertSign");
    }
    None
}

/// The DS certificate's authorityKeyIdentifier keyIdentifier, if present.
fn authority_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    cert.tbs_certificate
        .get::<x509_cert::ext::pkix::AuthorityKeyIdentifier>()
        .ok()
        .flatten()
        .and_then(|(_, aki)| aki.key_identifier)
        .map(|k| k.as_bytes().to_vec())
}

/// Run passive authentication over the files read, with certificates checked at
/// `at_utc_ms` (the time of the read, milliseconds since the epoch).
pub fn verify(
    sod: Result<&Sod, String>,
    files: &[(File, &[u8])],
    csca: &[Vec<u8>],
    at_utc_ms: i64,
) -> PaReport {
    let at = at_utc_ms.div_euclid(1000);
    let mut report = PaReport {
        dg_hashes: Vec::new(),
        content_digest: false,
        sod_signature: false,
        ds_by_csca: false,
        content_type: false,
        signer_matches: false,
        certificates_valid: false,
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
    report.content_type = sod.content_type == sod::LDS_SECURITY_OBJECT;
    if !report.content_type {
        fail(
            PaResult::WrongContentType {
                oid: sod.content_type.clone(),
            },
            &mut first,
        );
    }
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
    report.signer_matches = sod.signer_id.names(ds);
    if !report.signer_matches {
        fail(PaResult::SignerMismatch, &mut first);
    }
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
    let ds_problem = unfit(ds, "DS", at);
    let issuer = ds.tbs_certificate.issuer.to_der().unwrap_or_default();
    let aki = authority_key_id(ds);
    let tbs = ds.tbs_certificate.to_der().unwrap_or_default();
    let cert_sig_oid = ds.signature_algorithm.oid.to_string();
    let cert_sig_params = ds
        .signature_algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok());
    let mut issuer_found = false;
    // Of the CSCAs whose signature on the DS verifies, one fit for the role is enough (a
    // renewed CSCA may share its key with an expired one).
    let mut csca_problem: Option<PaResult> = None;
    for c in csca
        .iter()
        .filter_map(|der| Certificate::from_der(der).ok())
    {
        let by_name = c.tbs_certificate.subject.to_der().unwrap_or_default() == issuer;
        let by_key = aki.is_some() && sod::subject_key_id(&c) == aki;
        if !by_name && !by_key {
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
            match unfit(&c, "CSCA", at) {
                None => {
                    csca_problem = None;
                    break;
                }
                Some(p) => {
                    csca_problem.get_or_insert(p);
                }
            }
        }
    }
    if !issuer_found {
        fail(PaResult::UnknownSigner, &mut first);
    } else if !report.ds_by_csca {
        fail(PaResult::BadCertificate, &mut first);
    }
    if let Some(p) = ds_problem.clone() {
        fail(p, &mut first);
    }
    if let Some(p) = csca_problem.clone() {
        fail(p, &mut first);
    }
    report.certificates_valid = report.ds_by_csca && ds_problem.is_none() && csca_problem.is_none();
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
    /// 2027-01-01T00:00:00Z: within the fixtures' validity periods (made 2026-11-28).
    const READ_AT: i64 = 1_798_761_600_000;

    fn trust(pem: &[u8]) -> Vec<Vec<u8>> {
        crate::package::trust::certificates(pem).expect("fixture PEM")
    }

    fn run(dg2: &[u8], csca: &[u8]) -> PaReport {
        let sod = sod::parse(SOD).expect("fixture SOD parses");
        verify(
            Ok(&sod),
            &[(File::Dg(1), DG1), (File::Dg(2), dg2)],
            &trust(csca),
            READ_AT,
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
            let report = verify(
                Ok(&sod),
                &[(File::Dg(1), dg1), (File::Dg(2), dg2)],
                &csca,
                READ_AT,
            );
            assert_eq!(
                report.result,
                PaResult::Valid,
                "{} {report:?}",
                sod.signature_oid
            );
            let mut bad = sod.clone();
            bad.signature[10] ^= 1;
            assert_eq!(
                verify(Ok(&bad), &[(File::Dg(1), dg1)], &csca, READ_AT).result,
                PaResult::BadSignature
            );
        }
    }

    #[test]
    fn a_changed_signature_is_a_bad_signature() {
        let mut sod = sod::parse(SOD).expect("parses");
        let n = sod.signature.len();
        sod.signature[n - 3] ^= 0x40;
        let report = verify(Ok(&sod), &[(File::Dg(1), DG1)], &trust(CSCA), READ_AT);
        assert_eq!(report.result, PaResult::BadSignature);
        assert!(!report.sod_signature && report.ds_by_csca);
    }

    mod minted {
        //! Issue 12's passive-authentication cases, on SODs minted by the test PKI.
        use super::super::*;
        use crate::card::emulated::pki::{PkiOptions, TestPki};
        use crate::card::sod;

        const DG1: &[u8] = include_bytes!("../../tests/fixtures/emrtd/DG1.bin");
        /// 2026-06-01T00:00:00Z: within the test PKI's default validity (2025–2045).
        const AT: i64 = 1_780_272_000_000;

        fn random() -> impl FnMut(&mut [u8]) {
            let mut n = 7u8;
            move |b: &mut [u8]| {
                for x in b {
                    n = n.wrapping_mul(29).wrapping_add(11);
                    *x = n;
                }
            }
        }

        fn mint(options: PkiOptions) -> (Sod, Vec<Vec<u8>>) {
            let pki = TestPki::generate_with(&mut random(), options).expect("test PKI");
            let bytes = pki.sign_sod(&[(1, DG1)]).expect("SOD");
            (sod::parse(&bytes).expect("parses"), vec![pki.csca.clone()])
        }

        fn check(options: PkiOptions) -> PaReport {
            let (sod, csca) = mint(options);
            verify(Ok(&sod), &[(File::Dg(1), DG1)], &csca, AT)
        }

        #[test]
        fn the_default_test_pki_passes_every_check() {
            let r = check(PkiOptions::default());
            assert_eq!(r.result, PaResult::Valid, "{r:?}");
            assert!(r.content_type && r.signer_matches && r.certificates_valid);
            assert!(r.authenticates(1));
        }

        #[test]
        fn r12_signed_attributes_out_of_der_order_verify_as_received() {
            let (sod, csca) = mint(PkiOptions {
                attrs_out_of_der_order: true,
                ..PkiOptions::default()
            });
            // The first attribute on the wire is messageDigest (…09 04), not contentType:
            // re-encoding the SET in DER order would change the signed bytes.
            let attrs = sod.signed_attrs.as_deref().expect("signed attributes");
            assert_eq!(attrs[0], 0x31);
            let first = crate::card::tlv::parse_all(&attrs[2..]).expect("attributes")[0].value;
            assert_eq!(
                &first[..11],
                &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04]
            );
            let r = verify(Ok(&sod), &[(File::Dg(1), DG1)], &csca, AT);
            assert_eq!(r.result, PaResult::Valid, "{r:?}");
        }

        #[test]
        fn r12_an_expired_ds_is_reported_as_expired() {
            let r = check(PkiOptions {
                ds_validity: ("200101000000Z", "230101000000Z"),
                ..PkiOptions::default()
            });
            assert_eq!(
                r.result,
                PaResult::CertificateNotValid {
                    certificate: "DS".into(),
                    not_before: "2020-01-01T00:00:00Z".into(),
                    not_after: "2023-01-01T00:00:00Z".into(),
                    at: "2026-06-01T00:00:00Z".into(),
                }
            );
            // The signature and chain still verify; only the dates fail.
            assert!(r.sod_signature && r.ds_by_csca && !r.certificates_valid);
            assert!(!r.authenticates(1));
            // The same PKI read before the CSCA's validity: the CSCA is reported.
            let (sod, csca) = mint(PkiOptions::default());
            let early = verify(Ok(&sod), &[(File::Dg(1), DG1)], &csca, 1_700_000_000_000);
            assert!(
                matches!(&early.result, PaResult::CertificateNotValid { certificate, .. } if certificate == "DS"),
                "{early:?}"
            );
        }

        #[test]
        fn r12_a_ds_without_digital_signature_is_refused() {
            let r = check(PkiOptions {
                ds_digital_signature: false,
                ..PkiOptions::default()
            });
            assert_eq!(
                r.result,
                PaResult::CertificateUsage {
                    certificate: "DS".into(),
                    missing: "keyUsage digitalSignature".into()
                }
            );
            assert!(!r.authenticates(1));
        }

        #[test]
        fn r12_a_ds_key_with_explicit_brainpool_p256r1_parameters_verifies() {
            let (sod, csca) = mint(PkiOptions {
                ds_brainpool_explicit: true,
                ..PkiOptions::default()
            });
            let spki = &sod
                .ds_certificate
                .as_ref()
                .expect("DS")
                .tbs_certificate
                .subject_public_key_info;
            let params = spki.algorithm.parameters.as_ref().expect("parameters");
            assert_eq!(
                der::Tagged::tag(params),
                der::Tag::Sequence,
                "explicit, not a named curve"
            );
            let r = verify(Ok(&sod), &[(File::Dg(1), DG1)], &csca, AT);
            assert_eq!(r.result, PaResult::Valid, "{r:?}");
            assert!(r.sod_signature);
        }

        #[test]
        fn r12_sid_content_type_and_issuer_by_key_identifier() {
            // sid naming serial 3 while the DS is serial 2.
            let r = check(PkiOptions {
                sid_serial: 3,
                ..PkiOptions::default()
            });
            assert_eq!(r.result, PaResult::SignerMismatch);
            assert!(!r.authenticates(1));
            // eContentType other than the LDS security object.
            let (mut sod, csca) = mint(PkiOptions::default());
            sod.content_type = "1.2.840.113549.1.7.1".into();
            assert_eq!(
                verify(Ok(&sod), &[(File::Dg(1), DG1)], &csca, AT).result,
                PaResult::WrongContentType {
                    oid: "1.2.840.113549.1.7.1".into()
                }
            );
            // A CSCA whose subject name differs from the DS's issuer (one letter) but
            // whose subjectKeyIdentifier is the DS's authorityKeyIdentifier is found.
            let (sod, csca) = mint(PkiOptions::default());
            let mut renamed = csca[0].clone();
            let at = renamed
                .windows(22)
                .position(|w| w == b"examgate emulated CSCA")
                .expect("CSCA name");
            renamed[at + 21] = b'B';
            let r = verify(Ok(&sod), &[(File::Dg(1), DG1)], &[renamed], AT);
            assert_eq!(r.result, PaResult::Valid, "{r:?}");
        }
    }
}
