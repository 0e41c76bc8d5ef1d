//! `examgate doctor`: the installer's check at the door. Each check says what it found and,
//! when it fails, how to fix it; the kiosk is ready only when every required check passes.
//! The checks are adapters (they look at files, devices and pcscd); what they found is a
//! plain [`Check`] value, and the verdict over them is pure.

use serde::Serialize;

pub mod devices;
pub mod files;

pub use devices::{bridge, camera, display, face_at_mark, reader, snap, touch, touch_screens};
pub use files::{
    available_bytes, clock, clock_outside_validity, disk, kiosk_key, log, log_clock_check, models,
    package,
};

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
}
