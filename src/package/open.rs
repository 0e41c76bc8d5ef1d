//! Signing a room package (office side) and opening one (kiosk side). The kiosk refuses a
//! package that is unsigned, signed by a key other than the office's, changed after signing,
//! for another room, outside its validity period, or whose directory or templates do not
//! match what was signed. The signature is checked on the raw bytes before anything in the
//! package is trusted. [`check_template_model`] refuses templates made with another
//! embedding model than the kiosk runs.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use ed25519_dalek::{Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use super::format::{
    self, DirectoryEntry, RoomPackage, Signature, DIRECTORY_FILE, FORMAT, PACKAGE_FILE,
    SIGNATURE_FILE, SIGNING_CONTEXT,
};
use crate::decision::RoomRef;
use crate::platform::keystore::{hex, KeyStore};

/// Values in a registration template.
pub const TEMPLATE_LEN: usize = 512;

/// Why a package is refused.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A file of the package could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No signature file.
    #[error("{0} is missing: the package is unsigned")]
    Unsigned(PathBuf),
    /// The signature file is not what `package build` writes.
    #[error("{path} is malformed: {reason}")]
    MalformedSignature {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Signed, but by another key.
    #[error("signed by key {signer}, not by the office key {expected}")]
    WrongSigner {
        /// Hex public key in the signature file.
        signer: String,
        /// Hex office public key the kiosk trusts.
        expected: String,
    },
    /// The office key's signature does not match the bytes.
    #[error("{0} was changed after it was signed (the office signature does not match)")]
    Altered(PathBuf),
    /// The signed content is not a package this build reads.
    #[error("{path} is not a room package: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A package format this build does not know.
    #[error("package format {found} is not supported (this build reads format {expected})")]
    Format {
        /// Found.
        found: u32,
        /// Supported.
        expected: u32,
    },
    /// A package for another room.
    #[error("the package is for room {package}, this kiosk stands at {expected}")]
    WrongRoom {
        /// Room in the package, `SITE/ROOM`.
        package: String,
        /// Room of the kiosk.
        expected: String,
    },
    /// Too early.
    #[error("the package is valid from {from}; it is now {now} (exam-local time)")]
    NotYetValid {
        /// Start of validity.
        from: NaiveDateTime,
        /// Now.
        now: NaiveDateTime,
    },
    /// Too late.
    #[error("the package expired at {until}; it is now {now} (exam-local time)")]
    Expired {
        /// End of validity.
        until: NaiveDateTime,
        /// Now.
        now: NaiveDateTime,
    },
    /// `directory.csv` is not the one that was signed.
    #[error("{DIRECTORY_FILE} has SHA-256 {actual}, the signed package expects {expected}")]
    DirectoryMismatch {
        /// Digest in the package.
        expected: String,
        /// Digest of the file.
        actual: String,
    },
    /// The door policy holds a value out of range.
    #[error("the package's door policy: {0}")]
    BadPolicy(String),
    /// The office evidence key is not a usable X25519 public key.
    #[error("the package's office evidence key: {0}")]
    EvidenceKey(String),
    /// An invigilator's PIN hash is cheaper to guess than the kiosk accepts.
    #[error("invigilator {id}'s PIN hash: {reason}; rebuild the package with this examgate")]
    WeakPinHash {
        /// The invigilator.
        id: String,
        /// What is short.
        reason: String,
    },
    /// The templates were made with another embedding model than the kiosk runs: their
    /// scores against this model's embeddings would mean nothing.
    #[error(
        "templates were made with model {package} but this kiosk runs {kiosk}: rebuild the package"
    )]
    TemplateModel {
        /// SHA-256 (hex) of the model named in the package.
        package: String,
        /// SHA-256 (hex) of the kiosk's embedding model.
        kiosk: String,
    },
    /// A candidate's template cannot be used.
    #[error("candidate {ticket}: {reason}")]
    BadCandidate {
        /// Ticket.
        ticket: String,
        /// What is wrong.
        reason: String,
    },
}

/// A package that passed every check, with its directory.
#[derive(Debug, Clone)]
pub struct VerifiedPackage {
    /// The package.
    pub package: RoomPackage,
    /// Every placement in the exam.
    pub directory: Vec<DirectoryEntry>,
    /// The exam's UTC offset (`package.utc_offset`, parsed and checked).
    pub offset: FixedOffset,
}

/// The signature file for `package_json`.
pub fn sign(package_json: &[u8], office: &dyn KeyStore) -> Signature {
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(package_json);
    Signature {
        signer: hex(office.verifying_key().as_bytes()),
        signature: hex(&office.sign(&message)),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, OpenError> {
    std::fs::read(path).map_err(|source| OpenError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn check_signature(dir: &Path, json: &[u8], office: &VerifyingKey) -> Result<(), OpenError> {
    let sig_path = dir.join(SIGNATURE_FILE);
    if !sig_path.exists() {
        return Err(OpenError::Unsigned(sig_path));
    }
    let malformed = |reason: String| OpenError::MalformedSignature {
        path: sig_path.clone(),
        reason,
    };
    let sig: Signature =
        serde_json::from_slice(&read(&sig_path)?).map_err(|e| malformed(e.to_string()))?;
    let expected = hex(office.as_bytes());
    if sig.signer != expected {
        return Err(OpenError::WrongSigner {
            signer: sig.signer,
            expected,
        });
    }
    let bytes: [u8; 64] = unhex(&sig.signature)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed("signature is not 128 hex digits".to_string()))?;
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(json);
    office
        .verify(&message, &ed25519_dalek::Signature::from_bytes(&bytes))
        .map_err(|_| OpenError::Altered(dir.join(PACKAGE_FILE)))
}

/// Exam-local time of `now_ms` (milliseconds since the epoch) at `offset`.
pub fn local_time(now_ms: i64, offset: FixedOffset) -> NaiveDateTime {
    // Whole seconds: validity bounds are whole seconds, and messages read better.
    DateTime::from_timestamp(now_ms.div_euclid(1000), 0)
        .unwrap_or(DateTime::UNIX_EPOCH)
        .with_timezone(&offset)
        .naive_local()
}

/// Open and check the package in `dir`: signed by `office`, for `room` (when the kiosk
/// knows its room), valid at `now_ms`.
pub fn open(
    dir: &Path,
    office: &VerifyingKey,
    room: Option<&RoomRef>,
    now_ms: i64,
) -> Result<VerifiedPackage, OpenError> {
    open_checked(dir, office, room, Some(now_ms))
}

/// Open and check the package in `dir` as [`open`] does, at no particular time: the exam
/// office reads its own packages after the exam, when they are no longer valid at a door.
pub fn open_any_time(dir: &Path, office: &VerifyingKey) -> Result<VerifiedPackage, OpenError> {
    open_checked(dir, office, None, None)
}

fn open_checked(
    dir: &Path,
    office: &VerifyingKey,
    room: Option<&RoomRef>,
    now_ms: Option<i64>,
) -> Result<VerifiedPackage, OpenError> {
    let json_path = dir.join(PACKAGE_FILE);
    let json = read(&json_path)?;
    check_signature(dir, &json, office)?;
    let malformed = |reason: String| OpenError::Malformed {
        path: json_path.clone(),
        reason,
    };
    // Read the format first, so a future format is named as such rather than as a parse error.
    let probe: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| malformed(e.to_string()))?;
    let found = probe.get("format").and_then(|f| f.as_u64()).unwrap_or(0);
    if found != u64::from(FORMAT) {
        return Err(OpenError::Format {
            found: u32::try_from(found).unwrap_or(u32::MAX),
            expected: FORMAT,
        });
    }
    let package: RoomPackage =
        serde_json::from_value(probe).map_err(|e| malformed(e.to_string()))?;

    if let Some(room) = room {
        if package.room_ref() != *room {
            return Err(OpenError::WrongRoom {
                package: format!("{}/{}", package.site, package.room),
                expected: format!("{}/{}", room.site, room.room),
            });
        }
    }
    let offset: FixedOffset = package.utc_offset.parse().map_err(|_| {
        malformed(format!(
            "utc_offset {:?} is not an offset",
            package.utc_offset
        ))
    })?;
    if let Some(now_ms) = now_ms {
        let now = local_time(now_ms, offset);
        if now < package.valid_from {
            return Err(OpenError::NotYetValid {
                from: package.valid_from,
                now,
            });
        }
        if now > package.valid_until {
            return Err(OpenError::Expired {
                until: package.valid_until,
                now,
            });
        }
    }

    // Signed, so the office's mistake rather than an attack; a NaN threshold would still
    // admit every face, so the kiosk checks the ranges again.
    if let Some((_, reason)) = package.policy.problems().into_iter().next() {
        return Err(OpenError::BadPolicy(reason));
    }
    let evidence = crate::platform::keystore::parse_hex32(&package.office_evidence_key, "key")
        .map_err(|e| OpenError::EvidenceKey(e.to_string()))?;
    crate::journal::evidence::check_office_key(&evidence)
        .map_err(|e| OpenError::EvidenceKey(e.to_string()))?;
    // Likewise: a PIN hash built with cheaper parameters would make a stolen package's PINs
    // cheap to guess offline.
    for i in &package.invigilators {
        crate::invigilator::hash_strength(&i.pin_hash).map_err(|reason| {
            OpenError::WeakPinHash {
                id: i.id.clone(),
                reason,
            }
        })?;
    }

    let directory_bytes = read(&dir.join(DIRECTORY_FILE))?;
    let actual = hex(&Sha256::digest(&directory_bytes));
    if actual != package.directory_sha256 {
        return Err(OpenError::DirectoryMismatch {
            expected: package.directory_sha256.clone(),
            actual,
        });
    }
    let directory = std::str::from_utf8(&directory_bytes)
        .map_err(|e| e.to_string())
        .and_then(format::read_directory)
        .map_err(|reason| OpenError::Malformed {
            path: dir.join(DIRECTORY_FILE),
            reason,
        })?;

    for c in &package.candidates {
        let bad = |reason: String| OpenError::BadCandidate {
            ticket: c.ticket.clone(),
            reason,
        };
        match format::decode_template(&c.template) {
            Some(t) if t.len() == TEMPLATE_LEN => {}
            Some(t) => {
                return Err(bad(format!(
                    "template has {} values, expected {TEMPLATE_LEN}",
                    t.len()
                )))
            }
            None => return Err(bad("template is not Base64 of f32 values".to_string())),
        }
        if format::parse_document_kind(&c.document_kind).is_none() {
            return Err(bad(format!(
                "document kind {:?} is unknown",
                c.document_kind
            )));
        }
    }
    Ok(VerifiedPackage {
        package,
        directory,
        offset,
    })
}

/// Refuse `package` unless its templates were made with the embedding model whose SHA-256
/// (hex) is `kiosk_model` (the kiosk's: `face::ModelKind::Embed.sha256()`, which the engine
/// checks every model file against when loading).
pub fn check_template_model(package: &VerifiedPackage, kiosk_model: &str) -> Result<(), OpenError> {
    let made_with = &package.package.template_model;
    if made_with.eq_ignore_ascii_case(kiosk_model) {
        Ok(())
    } else {
        Err(OpenError::TemplateModel {
            package: made_with.clone(),
            kiosk: kiosk_model.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::format::DoorPolicy;
    use crate::platform::keystore::SeedKeyStore;

    const DIRECTORY: &[u8] = b"ticket,session,site,room,seat\n";

    fn package(template_model: &str, policy: DoorPolicy) -> RoomPackage {
        let at = chrono::NaiveDate::from_ymd_opt(2027, 6, 12)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("a valid time");
        RoomPackage {
            format: FORMAT,
            exam: "exam".into(),
            utc_offset: "+08:00".into(),
            valid_from: at,
            valid_until: at + chrono::Duration::days(1),
            site: "S01".into(),
            site_name: "site".into(),
            room: "R101".into(),
            seats: 30,
            sessions: Vec::new(),
            candidates: Vec::new(),
            invigilators: Vec::new(),
            csca: Vec::new(),
            office_evidence_key: hex(&crate::journal::evidence::generate_office_keypair().1),
            template_model: template_model.into(),
            directory_sha256: hex(&Sha256::digest(DIRECTORY)),
            policy,
            built_at: None,
        }
    }

    /// `json` signed by `office` into a fresh package directory with an empty directory.csv.
    fn write(name: &str, json: &[u8], office: &SeedKeyStore) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("examgate-open-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        std::fs::write(dir.join(PACKAGE_FILE), json).expect("write package");
        let sig = serde_json::to_vec(&sign(json, office)).expect("a signature serializes");
        std::fs::write(dir.join(SIGNATURE_FILE), sig).expect("write signature");
        std::fs::write(dir.join(DIRECTORY_FILE), DIRECTORY).expect("write directory");
        dir
    }

    fn noon_ms() -> i64 {
        // 12:00 at +08:00 on the exam day.
        chrono::NaiveDate::from_ymd_opt(2027, 6, 12)
            .and_then(|d| d.and_hms_opt(4, 0, 0))
            .expect("a valid time")
            .and_utc()
            .timestamp_millis()
    }

    #[test]
    fn templates_from_another_model_are_refused_naming_both() {
        let office = SeedKeyStore::from_seed(&[7; 32]);
        let ours = crate::face::ModelKind::Embed.sha256();
        let theirs = "ab".repeat(32);
        let json = serde_json::to_vec(&package(&theirs, DoorPolicy::default())).expect("json");
        let other = write("model", &json, &office);
        let opened = open(&other, &office.verifying_key(), None, noon_ms()).expect("opens");
        let e = check_template_model(&opened, ours).expect_err("another model");
        assert_eq!(
            e.to_string(),
            format!("templates were made with model {theirs} but this kiosk runs {ours}: rebuild the package")
        );
        let json = serde_json::to_vec(&package(ours, DoorPolicy::default())).expect("json");
        let dir = write("model-ok", &json, &office);
        let opened = open(&dir, &office.verifying_key(), None, noon_ms()).expect("opens");
        assert!(check_template_model(&opened, ours).is_ok());
        let _ = std::fs::remove_dir_all(other);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_package_without_a_policy_opens_with_the_defaults() {
        let office = SeedKeyStore::from_seed(&[7; 32]);
        let mut value = serde_json::to_value(package("aa", DoorPolicy::default())).expect("json");
        // As written before the policy existed.
        value
            .as_object_mut()
            .and_then(|o| o.remove("policy"))
            .expect("the policy field");
        let dir = write("old", &serde_json::to_vec(&value).expect("json"), &office);
        let opened = open(&dir, &office.verifying_key(), None, noon_ms()).expect("opens");
        assert_eq!(opened.package.policy, DoorPolicy::default());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_signed_policy_out_of_range_is_refused() {
        let office = SeedKeyStore::from_seed(&[7; 32]);
        let policy = DoorPolicy {
            face_threshold: f32::NAN,
            ..DoorPolicy::default()
        };
        let json = serde_json::to_vec(&package("aa", policy)).expect("json");
        let nan = write("nan", &json, &office);
        // serde_json writes NaN as null, which is no f32: refused either way, never opened.
        assert!(open(&nan, &office.verifying_key(), None, noon_ms()).is_err());
        let _ = std::fs::remove_dir_all(nan);
        let policy = DoorPolicy {
            capture_tries: 0,
            ..DoorPolicy::default()
        };
        let json = serde_json::to_vec(&package("aa", policy)).expect("json");
        let dir = write("tries", &json, &office);
        let e = open(&dir, &office.verifying_key(), None, noon_ms()).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "the package's door policy: capture_tries 0 must be 1 to 10"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn r12_a_pin_hash_cheaper_than_the_kiosk_accepts_is_refused() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let office = SeedKeyStore::from_seed(&[7; 32]);
        // The argon2 crate's defaults (19 MiB, t=2): what packages carried before.
        let weak = argon2::Argon2::default()
            .hash_password(
                b"480613927",
                &SaltString::encode_b64(b"salt-salt-salt!!").expect("salt"),
            )
            .expect("hash")
            .to_string();
        for (hash, refused) in [
            (weak, true),
            (crate::invigilator::hash_pin("480613927"), false),
        ] {
            let mut p = package("aa", DoorPolicy::default());
            p.invigilators
                .push(crate::package::format::PackageInvigilator {
                    id: "T001".into(),
                    name: "张老师".into(),
                    pin_hash: hash,
                });
            let json = serde_json::to_vec(&p).expect("json");
            let dir = write("pin", &json, &office);
            let opened = open(&dir, &office.verifying_key(), None, noon_ms());
            let _ = std::fs::remove_dir_all(dir);
            match (opened, refused) {
                (Err(e), true) => assert_eq!(
                    e.to_string(),
                    "invigilator T001's PIN hash: m=19456 KiB, t=2 is weaker than m=65536 KiB, \
                     t=3; rebuild the package with this examgate"
                ),
                (Ok(_), false) => {}
                (other, _) => panic!("refused={refused}: {:?}", other.map(|_| ())),
            }
        }
    }
}
