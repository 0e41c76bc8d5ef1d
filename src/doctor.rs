//! `examgate doctor`: the installer's check at the door. Each check says what it found and,
//! when it fails, how to fix it; the kiosk is ready only when every required check passes.
//! The checks are adapters (they look at files, devices and pcscd); what they found is a
//! plain [`Check`] value, and the verdict over them is pure.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::face::ModelKind;
use crate::kiosk::config::CameraSource;
use crate::package::open::VerifiedPackage;
use crate::platform::keystore::{self, KeyStore, SeedKeyStore};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ready.
    Pass,
    /// Not ready.
    Fail,
    /// Worth the installer's attention; does not stop the kiosk.
    Warn,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// What was checked (`models`, `kiosk key`, …).
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// What was found (a value, a path, a time).
    pub found: String,
    /// What to do about it, for a failure or warning.
    pub fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn pass(name: &str, found: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Pass,
            found: found.into(),
            fix: None,
        }
    }

    /// A failed check and its fix.
    pub fn fail(name: &str, found: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Fail,
            found: found.into(),
            fix: Some(fix.into()),
        }
    }

    /// A warning and what to do.
    pub fn warn(name: &str, found: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Warn,
            found: found.into(),
            fix: Some(fix.into()),
        }
    }

    /// The report line: `✔ name: found`, `✘ name: found — fix`.
    pub fn line(&self) -> String {
        let mark = match self.status {
            Status::Pass => '✔',
            Status::Fail => '✘',
            Status::Warn => '!',
        };
        match &self.fix {
            Some(fix) => format!("{mark} {}: {} — {fix}", self.name, self.found),
            None => format!("{mark} {}: {}", self.name, self.found),
        }
    }
}

/// Ready when no check failed.
pub fn ready(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != Status::Fail)
}

/// Every model file present and hashing to its pin; then how long loading them takes.
pub fn models(dir: &Path) -> Vec<Check> {
    if !dir.is_dir() {
        return vec![Check::fail(
            "models",
            format!("{} is not a directory", dir.display()),
            "run models/fetch.sh, or set models in kiosk.toml to where the models are",
        )];
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
    if checks.is_empty() {
        let started = crate::platform::clock::Stopwatch::start();
        checks.push(match crate::face::FaceEngine::load(dir) {
            Ok(_) => Check::pass(
                "models",
                format!(
                    "all {} match their pinned SHA-256; loaded in {:.2} s",
                    ModelKind::ALL.len(),
                    started.elapsed().as_secs_f64()
                ),
            ),
            Err(e) => Check::fail("models", e.to_string(), "run models/fetch.sh"),
        });
    }
    checks
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
/// reference clock: the door decides late arrivals from it. A clock outside the package's
/// validity already fails the package check (it does not open), so this runs only for a
/// package that opened.
pub fn clock(now_ms: i64, p: &VerifiedPackage) -> Check {
    let now = crate::package::open::local_time(now_ms, p.offset);
    let first = p.package.sessions.iter().map(|s| s.start).min();
    Check::warn(
        "clock",
        format!(
            "{} (exam time, UTC{}); first session {}",
            now.format("%Y-%m-%d %H:%M:%S"),
            p.package.utc_offset,
            first.map_or("none".to_string(), |f| f.to_string())
        ),
        "compare it with a reference clock; the door decides late arrivals from it",
    )
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

/// The camera: a directory source holds frames; a device node exists.
pub fn camera(source: &CameraSource) -> Check {
    let name = "camera";
    match source {
        CameraSource::Directory(dir) => {
            let frames = std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| {
                            e.path().extension().is_some_and(|x| {
                                ["jpg", "jpeg", "png"]
                                    .contains(&x.to_string_lossy().to_lowercase().as_str())
                            })
                        })
                        .count()
                })
                .unwrap_or(0);
            if frames == 0 {
                Check::fail(
                    name,
                    format!("{}: no image files", dir.display()),
                    "put frames there, or configure a camera device",
                )
            } else {
                Check::pass(name, format!("{}: {frames} frames", dir.display()))
            }
        }
        CameraSource::Device { index, .. } => {
            let node = format!("/dev/video{index}");
            if Path::new(&node).exists() {
                Check::pass(name, format!("{node} present"))
            } else {
                Check::fail(
                    name,
                    format!("{node}: no such device"),
                    "check the cable; examgate camera list shows what is connected",
                )
            }
        }
    }
}

/// The PC/SC reader: pcscd answers and the configured reader (or any) is there.
pub fn reader(wanted: Option<&str>) -> Check {
    let name = "reader";
    let listed = crate::card::pcsc_reader::Readers::establish().and_then(|r| r.list());
    match (listed, wanted) {
        (Err(e), _) => Check::fail(
            name,
            e.to_string(),
            "check that pcscd runs (systemctl status pcscd) and the reader is plugged in",
        ),
        (Ok(names), Some(w)) if !names.iter().any(|n| n == w) => Check::fail(
            name,
            format!("{w:?} not connected (pcscd sees: {})", names.join(", ")),
            "plug in the configured reader or fix [reader] name in kiosk.toml",
        ),
        (Ok(names), _) if names.is_empty() => Check::fail(
            name,
            "pcscd sees no reader".to_string(),
            "plug in the reader",
        ),
        (Ok(names), _) => Check::pass(name, names.join(", ")),
    }
}

/// The resident-ID bridge program, when configured: present and executable.
pub fn bridge(program: &Path) -> Check {
    let name = "resident-ID bridge";
    match std::fs::metadata(program) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {
            Check::pass(name, program.display().to_string())
        }
        Ok(_) => Check::fail(
            name,
            format!("{} is not an executable file", program.display()),
            format!("chmod 755 {}", program.display()),
        ),
        Err(e) => Check::fail(
            name,
            format!("{}: {e}", program.display()),
            "install the reader vendor's bridge or fix [reader] bridge in kiosk.toml",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_mark_the_outcome_and_give_the_fix() {
        assert_eq!(Check::pass("log", "none yet").line(), "✔ log: none yet");
        assert_eq!(
            Check::fail("camera", "/dev/video0: no such device", "check the cable").line(),
            "✘ camera: /dev/video0: no such device — check the cable"
        );
    }

    #[test]
    fn ready_only_without_a_failure() {
        let ok = Check::pass("a", "");
        let warn = Check::warn("b", "", "look");
        assert!(ready(&[ok.clone(), warn.clone()]));
        assert!(!ready(&[ok, warn, Check::fail("c", "", "fix")]));
    }

    #[test]
    fn a_missing_bridge_and_an_empty_frame_directory_fail() {
        assert_eq!(
            bridge(Path::new("/nonexistent/bridge")).status,
            Status::Fail
        );
        let empty = std::env::temp_dir().join(format!("doctor-empty-{}", std::process::id()));
        std::fs::create_dir_all(&empty).expect("dir");
        assert_eq!(
            camera(&CameraSource::Directory(empty.clone())).status,
            Status::Fail
        );
        assert_eq!(
            camera(&CameraSource::Device {
                index: 97,
                width: 640,
                height: 480
            })
            .status,
            Status::Fail
        );
        let _ = std::fs::remove_dir(empty);
    }
}
