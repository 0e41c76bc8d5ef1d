//! The reader bridge for Chinese resident identity cards. Those cards are read only by
//! certified readers with a security module and a vendor SDK, so examgate does not talk to
//! the card: it starts a configured external program (the vendor-SDK wrapper) and reads one
//! JSON object per card from its standard output:
//!
//! `{"id_number": "11010519491231002X", "name": "…", "photo": "<base64>", "photo_format": "jpeg"}`
//!
//! A malformed line, a program that dies, or no card within the timeout is a clear error;
//! the kiosk shows it and carries on.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use base64ct::{Base64, Encoding};
use serde::Deserialize;

use crate::package::resident_id;

/// Why the bridge gave no card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BridgeError {
    /// The program could not be started.
    #[error("cannot start the reader bridge {program}: {reason}")]
    Start {
        /// The program.
        program: String,
        /// The OS error.
        reason: String,
    },
    /// The program's output ended (it exited or closed stdout).
    #[error("the reader bridge exited ({status})")]
    Died {
        /// Exit status as text.
        status: String,
    },
    /// Nothing within the timeout.
    #[error("no card from the reader bridge within {0} ms")]
    Timeout(u128),
    /// A line that is not the JSON object the bridge must print.
    #[error("reader bridge line {line}: {reason}")]
    Malformed {
        /// 1-based line of the bridge's output.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// One card as the bridge reports it.
#[derive(Clone, PartialEq, Eq)]
pub struct BridgeCard {
    /// The 18-character resident ID number (validated).
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Photo bytes.
    pub photo: Vec<u8>,
    /// `jpeg`, `jpeg2000`, `png` or `bmp` as the bridge says.
    pub photo_format: String,
}

impl std::fmt::Debug for BridgeCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "BridgeCard(<redacted>, {} byte {} photo)",
            self.photo.len(),
            self.photo_format
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id_number: String,
    name: String,
    photo: String,
    photo_format: String,
}

/// Parse one output line.
pub fn parse_line(line_no: u64, text: &str) -> Result<BridgeCard, BridgeError> {
    let bad = |reason: String| BridgeError::Malformed {
        line: line_no,
        reason,
    };
    let l: Line =
        serde_json::from_str(text).map_err(|e| bad(format!("not the card JSON object: {e}")))?;
    resident_id::validate(&l.id_number).map_err(|e| bad(format!("id_number {e}")))?;
    if l.name.trim().is_empty() {
        return Err(bad("name is empty".into()));
    }
    let photo =
        Base64::decode_vec(l.photo.trim()).map_err(|_| bad("photo is not Base64".into()))?;
    if photo.is_empty() {
        return Err(bad("photo is empty".into()));
    }
    if !matches!(l.photo_format.as_str(), "jpeg" | "jpeg2000" | "png" | "bmp") {
        return Err(bad(format!(
            "photo_format {:?} must be jpeg, jpeg2000, png or bmp",
            l.photo_format
        )));
    }
    Ok(BridgeCard {
        id_number: l.id_number.to_ascii_uppercase(),
        name: l.name,
        photo,
        photo_format: l.photo_format,
    })
}

/// A running bridge program.
pub struct Bridge {
    child: Child,
    lines: Receiver<(u64, String)>,
}

impl Bridge {
    /// Start `program` with `args`.
    pub fn start(program: &str, args: &[String]) -> Result<Bridge, BridgeError> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| BridgeError::Start {
                program: program.to_string(),
                reason: e.to_string(),
            })?;
        let stdout = child.stdout.take().ok_or_else(|| BridgeError::Start {
            program: program.to_string(),
            reason: "no stdout".into(),
        })?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for (i, line) in BufReader::new(stdout).lines().enumerate() {
                let Ok(line) = line else { break };
                if tx.send((i as u64 + 1, line)).is_err() {
                    break;
                }
            }
        });
        Ok(Bridge { child, lines: rx })
    }

    /// The next card, waiting up to `timeout`. Blank lines are skipped.
    pub fn next_card(&mut self, timeout: Duration) -> Result<BridgeCard, BridgeError> {
        loop {
            match self.lines.recv_timeout(timeout) {
                Ok((_, line)) if line.trim().is_empty() => continue,
                Ok((n, line)) => return parse_line(n, &line),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(BridgeError::Timeout(timeout.as_millis()))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self
                        .child
                        .wait()
                        .map_or_else(|e| e.to_string(), |s| s.to_string());
                    return Err(BridgeError::Died { status });
                }
            }
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_line_parses_and_bad_ones_are_named() {
        let good = r#"{"id_number":"11010519491231002x","name":"吉田 𠮷","photo":"/9j/4AAQ","photo_format":"jpeg"}"#;
        let card = parse_line(1, good).expect("good line");
        assert_eq!(card.id_number, "11010519491231002X");
        assert_eq!(card.photo, [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]);
        for (line, expected) in [
            ("not json", "reader bridge line 2: not the card JSON object"),
            (
                r#"{"id_number":"110105194912310021","name":"a","photo":"AA==","photo_format":"jpeg"}"#,
                "id_number check character is 1, expected X",
            ),
            (
                r#"{"id_number":"11010519491231002X","name":"a","photo":"***","photo_format":"jpeg"}"#,
                "photo is not Base64",
            ),
            (
                r#"{"id_number":"11010519491231002X","name":"a","photo":"AA==","photo_format":"gif"}"#,
                "photo_format \"gif\"",
            ),
        ] {
            let err = parse_line(2, line).expect_err(expected).to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
