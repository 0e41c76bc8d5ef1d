//! EF.SOD (ICAO 9303-10 §4.6.2, 9303-11 §5.1): a CMS SignedData (RFC 5652) whose content is
//! the LDS security object, the hash of every data group, signed by the Document Signer
//! whose certificate it carries. Parsed with RustCrypto's `cms` and `x509-cert`.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerInfo};
use der::{Decode, Encode};
use x509_cert::Certificate;

use super::tlv;
use super::Error;

/// A hash algorithm the SOD may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum HashAlg {
    /// SHA-1 (older documents).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// From a digest algorithm OID (dotted).
    pub fn from_oid(oid: &str) -> Option<HashAlg> {
        Some(match oid {
            "1.3.14.3.2.26" => HashAlg::Sha1,
            "2.16.840.1.101.3.4.2.4" => HashAlg::Sha224,
            "2.16.840.1.101.3.4.2.1" => HashAlg::Sha256,
            "2.16.840.1.101.3.4.2.2" => HashAlg::Sha384,
            "2.16.840.1.101.3.4.2.3" => HashAlg::Sha512,
            _ => return None,
        })
    }

    /// From an ECDSA signature algorithm OID (its hash).
    pub fn from_ecdsa_oid(oid: &str) -> Option<HashAlg> {
        Some(match oid {
            "1.2.840.10045.4.1" => HashAlg::Sha1,
            "1.2.840.10045.4.3.1" => HashAlg::Sha224,
            "1.2.840.10045.4.3.2" => HashAlg::Sha256,
            "1.2.840.10045.4.3.3" => HashAlg::Sha384,
            "1.2.840.10045.4.3.4" => HashAlg::Sha512,
            _ => return None,
        })
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            HashAlg::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlg::Sha224 => sha2::Sha224::digest(data).to_vec(),
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// How the SignerInfo names its signer (RFC 5652 §5.3 `sid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerId {
    /// `issuerAndSerialNumber`: the issuer's name (DER) and the serial number's bytes.
    IssuerSerial {
        /// Issuer Name, DER.
        issuer: Vec<u8>,
        /// Serial number, big-endian bytes as encoded.
        serial: Vec<u8>,
    },
    /// `[0] subjectKeyIdentifier`.
    KeyId(Vec<u8>),
}

/// id-icao-mrtd-security-ldsSecurityObject (ICAO 9303-10 §4.6.2.1): EF.SOD's eContentType.
pub const LDS_SECURITY_OBJECT: &str = "2.23.136.1.1.1";

/// The parts of EF.SOD passive authentication needs.
#[derive(Debug, Clone)]
pub struct Sod {
    /// The encapsulated content's type (must be [`LDS_SECURITY_OBJECT`]).
    pub content_type: String,
    /// Who the SignerInfo says signed.
    pub signer_id: SignerId,
    /// Hash algorithm of the data-group hashes.
    pub hash_alg: HashAlg,
    /// (data group number, hash) pairs.
    pub hashes: Vec<(u8, Vec<u8>)>,
    /// The encapsulated content bytes (the LDS security object DER).
    pub content: Vec<u8>,
    /// The signer's digest algorithm OID.
    pub digest_oid: String,
    /// The signature algorithm OID.
    pub signature_oid: String,
    /// Its parameters, DER (RSASSA-PSS names its hash there).
    pub signature_params: Option<Vec<u8>>,
    /// The signed attributes exactly as received, with their `[0]` tag turned into SET
    /// (0x31): what the signature covers (RFC 5652 §5.4). Never re-encoded: a SET OF the
    /// signer did not sort into DER order must still verify.
    pub signed_attrs: Option<Vec<u8>>,
    /// The messageDigest signed attribute.
    pub message_digest: Option<Vec<u8>>,
    /// The signature value.
    pub signature: Vec<u8>,
    /// The Document Signer certificate carried in the SOD: the one `signer_id` names, or
    /// the first when none matches (passive authentication then reports the mismatch).
    pub ds_certificate: Option<Certificate>,
}

impl SignerId {
    /// Whether `cert` is the certificate this identifier names (issuer and serial, or the
    /// subject key identifier extension).
    pub fn names(&self, cert: &Certificate) -> bool {
        match self {
            SignerId::IssuerSerial { issuer, serial } => {
                cert.tbs_certificate.issuer.to_der().ok().as_ref() == Some(issuer)
                    && cert.tbs_certificate.serial_number.as_bytes() == serial.as_slice()
            }
            SignerId::KeyId(id) => subject_key_id(cert).as_ref() == Some(id),
        }
    }
}

/// A certificate's subjectKeyIdentifier extension value, if it has one.
pub fn subject_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    cert.tbs_certificate
        .get::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
        .ok()
        .flatten()
        .map(|(_, ski)| ski.0.as_bytes().to_vec())
}

/// The first SignerInfo's `[0] IMPLICIT` signed attributes as they are on the wire, retagged
/// as the SET the signature covers; `None` when it has none. Walked with our own TLV parser,
/// because the CMS decoder sorts a SET OF and so loses the signed byte order.
fn signed_attrs_as_received(content_info: &[u8]) -> Result<Option<Vec<u8>>, Error> {
    let ci = tlv::parse_all(tlv::unwrap(content_info, 0x30)?)?;
    let explicit = ci
        .get(1)
        .filter(|t| t.tag == 0xA0)
        .ok_or_else(|| bad("ContentInfo has no [0] content"))?;
    let fields = tlv::parse_all(tlv::unwrap(explicit.value, 0x30)?)?;
    let infos = fields
        .last()
        .filter(|t| t.tag == 0x31)
        .ok_or_else(|| bad("SignedData ends without a SignerInfo SET"))?;
    let first = tlv::parse_all(infos.value)?;
    let info = first
        .first()
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| bad("no SignerInfo"))?;
    Ok(tlv::parse_all(info.value)?
        .into_iter()
        .find(|t| t.tag == 0xA0)
        .map(|attrs| {
            let mut set = attrs.raw.to_vec();
            // [0] IMPLICIT SET OF Attribute → SET OF (0x31), length and content unchanged.
            set[0] = 0x31;
            set
        }))
}

fn bad(reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: "EF.SOD",
        reason: reason.into(),
    }
}

/// OID of the messageDigest attribute (RFC 5652 §11.2).
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";

fn signer(sd: &SignedData) -> Result<&SignerInfo, Error> {
    sd.signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| bad("no SignerInfo"))
}

/// Parse EF.SOD (`77 { ContentInfo }`).
pub fn parse(bytes: &[u8]) -> Result<Sod, Error> {
    let inner = tlv::unwrap(bytes, 0x77)?;
    let ci = ContentInfo::from_der(inner).map_err(|e| bad(format!("ContentInfo: {e}")))?;
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| bad(format!("SignedData: {e}")))?;
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("no encapsulated LDS security object"))?
        .value()
        .to_vec();
    let (hash_alg, hashes) = parse_security_object(&content)?;
    let si = signer(&sd)?;
    let signed_attrs = signed_attrs_as_received(inner)?;
    let signer_id = match &si.sid {
        cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(isn) => SignerId::IssuerSerial {
            issuer: isn
                .issuer
                .to_der()
                .map_err(|e| bad(format!("sid issuer: {e}")))?,
            serial: isn.serial_number.as_bytes().to_vec(),
        },
        cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(ski) => {
            SignerId::KeyId(ski.0.as_bytes().to_vec())
        }
    };
    let message_digest = si.signed_attrs.as_ref().and_then(|attrs| {
        attrs
            .iter()
            .find(|a| a.oid.to_string() == MESSAGE_DIGEST)
            .and_then(|a| a.values.iter().next())
            .map(|v| v.value().to_vec())
    });
    let certificates: Vec<&Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(cert) => Some(cert),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let ds_certificate = certificates
        .iter()
        .find(|c| signer_id.names(c))
        .or(certificates.first())
        .map(|c| (*c).clone());
    Ok(Sod {
        content_type: sd.encap_content_info.econtent_type.to_string(),
        signer_id,
        hash_alg,
        hashes,
        content,
        digest_oid: si.digest_alg.oid.to_string(),
        signature_oid: si.signature_algorithm.oid.to_string(),
        signature_params: si
            .signature_algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.to_der().ok()),
        signed_attrs,
        message_digest,
        signature: si.signature.as_bytes().to_vec(),
        ds_certificate,
    })
}

/// (data group number, hash) pairs.
type DgHashes = Vec<(u8, Vec<u8>)>;

/// LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues, … }.
fn parse_security_object(der: &[u8]) -> Result<(HashAlg, DgHashes), Error> {
    let fields = tlv::parse_all(tlv::unwrap(der, 0x30)?)?;
    let (Some(alg), Some(values)) = (fields.get(1), fields.get(2)) else {
        return Err(bad("LDS security object has too few fields"));
    };
    let oid = tlv::find(alg.value, 0x06)?;
    let oid_text = der::asn1::ObjectIdentifier::from_bytes(oid.value)
        .map_err(|e| bad(format!("hash algorithm OID: {e}")))?
        .to_string();
    let hash_alg = HashAlg::from_oid(&oid_text)
        .ok_or_else(|| bad(format!("hash algorithm {oid_text} is not supported")))?;
    let mut hashes = Vec::new();
    for entry in tlv::parse_all(values.value)? {
        let parts = tlv::parse_all(entry.value)?;
        match (parts.first(), parts.get(1)) {
            (Some(n), Some(h)) if n.tag == 0x02 && h.tag == 0x04 && n.value.len() == 1 => {
                hashes.push((n.value[0], h.value.to_vec()))
            }
            _ => {
                return Err(bad(
                    "a data-group hash entry is not { INTEGER, OCTET STRING }",
                ))
            }
        }
    }
    Ok((hash_alg, hashes))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = parse(&bytes);
            let _ = parse(&tlv::encode(0x77, &bytes));
        }
    }
}
