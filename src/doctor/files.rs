//! The checks on files: the models, the kiosk key, the log and its disk, the room package
//! and the clock against it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::Check;
use crate::face::{FaceEngine, ModelKind};
use crate::package::open::VerifiedPackage;
use crate::platform::keystore::{self, KeyStore, SeedKeyStore};

/// Every model file present and hashing to its pin; then how long loading them takes. The
/// loaded engine, when they load, for the camera's face check.
pub fn models(dir: &Path) -> (Vec<Check>, Option<FaceEngine>) {
    if !dir.is_dir() {
        let check = Check::fail(
            "models",
            format!("{} is not a directory", dir.display()),
            "run models/fetch.sh, or set models in kiosk.toml to where the models are",
        );
        return (vec![check], None);
    }
    let mut checks: Vec<Check> = ModelKind::ALL
        .iter()
        .filter_map(|&kind| {
            let path = dir.join(kind.file_name());
            let name = format!("model {}", kind.file_name());
            let fetch = "run models/fetch.sh (it fetches and checks every model)";
            match std::fs::read(&path) {
                Err(e) => Some(Check::fail(
                    &name,
                    format!("cannot read {}: {e}", path.display()),
                    fetch,
                )),
                Ok(bytes) => {
                    let actual = keystore::hex(&Sha256::digest(&bytes));
                    (actual != kind.sha256()).then(|| {
                        Check::fail(
                            &name,
                            format!("SHA-256 {actual}, pinned {}", kind.sha256()),
                            fetch,
                        )
                    })
                }
            }
        })
        .collect();
    if !checks.is_empty() {
        return (checks, None);
    }
    let started = crate::platform::clock::Stopwatch::start();
    match FaceEngine::load(dir) {
        Ok(engine) => {
            checks.push(Check::pass(
                "models",
                format!(
                    "all {} match their pinned SHA-256; loaded in {:.2} s",
                    ModelKind::ALL.len(),
                    started.elapsed().as_secs_f64()
                ),
            ));
            (checks, Some(engine))
        }
        Err(e) => {
            checks.push(Check::fail("models", e.to_string(), "run models/fetch.sh"));
            (checks, None)
        }
    }
}

/// The kiosk's signing key: present, readable only by its owner; its public key printed for
/// the office to register. The key store, for the log check, when it loads.
pub fn kiosk_key(path: &Path) -> (Check, Option<SeedKeyStore>) {
    let name = "kiosk key";
    let mode = match std::fs::metadata(path) {
        Ok(m) => m.permissions().mode() & 0o777,
        Err(e) => {
            return (
                Check::fail(
                    name,
                    format!("cannot read {}: {e}", path.display()),
                    "examgate keys gen --kiosk ID writes one; set kiosk_key in kiosk.toml",
                ),
                None,
            )
        }
    };
    let keys = match SeedKeyStore::from_file(path) {
        Ok(k) => k,
        Err(e) => {
            return (
                Check::fail(name, e.to_string(), "write the key again with keys gen"),
                None,
            )
        }
    };
    let public = keystore::hex(keys.verifying_key().as_bytes());
    let check = if mode & 0o077 != 0 {
        Check::fail(
            name,
            format!(
                "{} has mode {mode:03o}: others can read the signing key",
                path.display()
            ),
            format!("chmod 600 {}", path.display()),
        )
    } else {
        Check::pass(
            name,
            format!(
                "{} (mode {mode:03o}); public key {public} (register it with the office)",
                path.display()
            ),
        )
    };
    (check, Some(keys))
}

/// The room package opened as the kiosk opens it: signed by the office, for this room,
/// valid now, templates from the loaded embedding model.
pub fn package(opened: Result<&VerifiedPackage, String>, dir: &Path) -> Check {
    let name = "room package";
    match opened {
        Err(e) => Check::fail(
            name,
            format!("{}: {e}", dir.display()),
            "import the package the office built for this room (examgate package verify tells why)",
        ),
        Ok(p) => match crate::package::open::check_template_model(p, ModelKind::Embed.sha256()) {
            Err(e) => Check::fail(
                name,
                e.to_string(),
                "ask the office to rebuild the package with these models",
            ),
            Ok(()) => Check::pass(
                name,
                format!(
                    "{} {}/{}, {} candidates, valid {} to {}",
                    p.package.exam,
                    p.package.site,
                    p.package.room,
                    p.package.candidates.len(),
                    p.package.valid_from,
                    p.package.valid_until
                ),
            ),
        },
    }
}

/// The clock beside the package's first session, for the installer to compare with a
/// reference clock: the door decides late arrivals from it. A clock before the package was
/// built is wrong for certain. A clock outside the package's validity already fails the
/// package check (it does not open: [`clock_outside_validity`]). `confirmed_by`: the
/// installer who confirmed it against a reference clock (`--confirm-clock`).
pub fn clock(now_ms: i64, p: &VerifiedPackage, confirmed_by: Option<&str>) -> Check {
    let name = "clock";
    let now = crate::package::open::local_time(now_ms, p.offset);
    let first = p.package.sessions.iter().map(|s| s.start).min();
    let shown = format!(
        "{} (exam time, UTC{}); first session {}",
        now.format("%Y-%m-%d %H:%M:%S"),
        p.package.utc_offset,
        first.map_or("none".to_string(), |f| f
            .format("%Y-%m-%d %H:%M")
            .to_string())
    );
    if let Some(built) = p.package.built_at.filter(|b| now < *b) {
        return Check::fail(
            name,
            format!(
                "{shown}: before the package was built ({})",
                built.format("%Y-%m-%d %H:%M:%S")
            ),
            "set the clock from a reference clock (timedatectl set-time 'YYYY-MM-DD HH:MM:SS'), then run doctor again",
        );
    }
    match confirmed_by {
        Some(who) => Check::pass(
            name,
            format!("{shown}; confirmed by {who} against a reference clock (logged)"),
        ),
        None => Check::warn(
            name,
            shown,
            "compare it with a reference clock and run doctor again with --confirm-clock NAME",
        ),
    }
}

/// The clock line when the package does not open because the clock is outside its
/// validity: the clock is the likelier culprit the evening before an exam.
pub fn clock_outside_validity(error: &crate::package::open::OpenError) -> Option<Check> {
    use crate::package::open::OpenError;
    let (now, bound) = match error {
        OpenError::NotYetValid { from, now } => (now, format!("valid only from {from}")),
        OpenError::Expired { until, now } => (now, format!("valid only until {until}")),
        _ => return None,
    };
    Some(Check::fail(
        "clock",
        format!(
            "{} (exam time): the package is {bound}",
            now.format("%Y-%m-%d %H:%M:%S")
        ),
        "check the clock against a reference clock first; if it is right, the package is for another day",
    ))
}

/// The log: absent (made at the first start) or opening and verifying.
pub fn log(path: &Path, kiosk_id: &str, keys: Option<&SeedKeyStore>) -> Check {
    let name = "log";
    if !path.exists() {
        return Check::pass(
            name,
            format!("{}: none yet (made at the first start)", path.display()),
        );
    }
    let Some(keys) = keys else {
        return Check::fail(
            name,
            format!("{}: cannot verify without the kiosk key", path.display()),
            "fix the kiosk key first",
        );
    };
    match crate::journal::Journal::open(path, kiosk_id, &keys.verifying_key()) {
        Ok(j) => Check::pass(
            name,
            format!("{}: {} events, chain and signatures verify", path.display(), j.head_seq()),
        ),
        Err(e) => Check::fail(
            name,
            format!("{}: {e}", path.display()),
            "export what can be read (examgate log verify) and call the exam office before starting",
        ),
    }
}

/// Room the log needs for one exam day, with margin: each decision is a log row (~2 KB) and,
/// for referrals and sealed admissions, a sealed live crop (~40 KB); four sessions of at
/// most 60 candidates with three attempts each is about 30 MB. Exports to the stick and
/// SQLite's journal double that; the rest is margin for a second day without cleanup.
pub const DAY_OF_EVIDENCE_BYTES: u64 = 256 * 1024 * 1024;

/// Free space where the log lives, against a day of evidence.
pub fn disk(dir: &Path, available: Result<u64, String>) -> Check {
    let name = "disk";
    let mib = |b: u64| b / (1024 * 1024);
    match available {
        Err(e) => Check::fail(
            name,
            format!("{}: {e}", dir.display()),
            "make the log's directory (the data partition) available",
        ),
        Ok(free) if free < DAY_OF_EVIDENCE_BYTES => Check::fail(
            name,
            format!(
                "{}: {} MiB free, a day of evidence needs {} MiB",
                dir.display(),
                mib(free),
                mib(DAY_OF_EVIDENCE_BYTES)
            ),
            "free space on the data partition (export and remove old logs with the exam office's consent)",
        ),
        Ok(free) => Check::pass(name, format!("{}: {} MiB free", dir.display(), mib(free))),
    }
}

/// Bytes free for an unprivileged writer on the file system holding `dir`.
pub fn available_bytes(dir: &Path) -> Result<u64, String> {
    let st = rustix::fs::statvfs(dir).map_err(|e| e.to_string())?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Log the installer's confirmation of the clock (kiosk time, who) in the kiosk's log; its
/// sequence number.
pub fn log_clock_check(
    path: &Path,
    kiosk_id: &str,
    keys: &SeedKeyStore,
    by: &str,
    now_ms: i64,
) -> Result<u64, crate::journal::Error> {
    let mut journal = crate::journal::Journal::open(path, kiosk_id, &keys.verifying_key())?;
    let event = crate::journal::events::Event::ClockChecked {
        by: by.to_string(),
        kiosk_time_ms: now_ms,
    };
    journal.append(&event.kind(), &event.payload(), now_ms, keys)?;
    Ok(journal.head_seq())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn less_than_a_day_of_evidence_free_fails() {
        let dir = Path::new("/var/lib/examgate");
        let low = disk(dir, Ok(DAY_OF_EVIDENCE_BYTES - 1));
        assert_eq!(
            low.line(),
            "✘ disk: /var/lib/examgate: 255 MiB free, a day of evidence needs 256 MiB — free space on the data partition (export and remove old logs with the exam office's consent)"
        );
        assert_eq!(disk(dir, Ok(DAY_OF_EVIDENCE_BYTES)).status, Status::Pass);
        assert_eq!(disk(dir, Err("gone".into())).status, Status::Fail);
        assert!(available_bytes(Path::new("/")).is_ok_and(|b| b > 0));
    }
}
