//! One stage of the door's work run so that a panic inside it becomes a value. Third-party
//! code on untrusted input can still panic (a QR finder's assert on a small rotated code, an
//! image decoder on a hostile portrait): the kiosk must log it and carry on, never let one
//! candidate's frame or card take the door (and its log writer) down.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A panic caught in a named stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{stage} failed: {message}")]
pub struct Fault {
    /// Which stage (`qr`, `door`, …).
    pub stage: &'static str,
    /// The panic's message.
    pub message: String,
}

/// Run `f`; a panic in it is returned as a [`Fault`] of `stage`.
///
/// `AssertUnwindSafe`: after a fault the caller drops what the stage was working on (the
/// door returns to idle and the candidate's attempt is discarded), so no half-updated state
/// is used again.
pub fn isolate<T>(stage: &'static str, f: impl FnOnce() -> T) -> Result<T, Fault> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Fault {
        stage,
        message: message(payload.as_ref()),
    })
}

fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_a_fault_naming_its_stage_and_message() {
        assert_eq!(isolate("sum", || 2 + 2), Ok(4));
        let f = isolate("qr", || -> u8 {
            panic!("assertion failed: x <= i32::MAX as f64")
        });
        assert_eq!(
            f,
            Err(Fault {
                stage: "qr",
                message: "assertion failed: x <= i32::MAX as f64".into()
            })
        );
        let n = 7;
        let f = isolate("door", || -> u8 { panic!("index {n} out of range") });
        assert_eq!(
            f.map_err(|e| e.to_string()),
            Err("door failed: index 7 out of range".into())
        );
    }
}
