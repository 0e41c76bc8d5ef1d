//! Handing an export to the kiosk image's USB-stick helper (`kiosk-image/files/stick-export`).
//!
//! On the kiosk image the kiosk runs without privileges and cannot mount anything; a USB
//! stick is mounted only while an invigilator exports, by a root helper listening on a Unix
//! socket (systemd socket activation, one helper per connection). The kiosk writes the
//! export on its data partition and asks the helper to copy it:
//!
//! ```text
//! kiosk  → helper   copy K-S01-R101-maths-20270612T113105.examgate-log
//! helper → kiosk    ok examgate-exports/K-S01-R101-maths-20270612T113105.examgate-log <sha256 hex>
//!                   error <what went wrong, for the invigilator>
//! ```
//!
//! The helper mounts the stick read-write, copies the file, unmounts it, mounts it again
//! read-only and hashes the copy as the stick now holds it, and unmounts it. The kiosk
//! compares that hash with its own file's, so an export reported done is on the stick as
//! written, and the stick can be pulled as soon as the screen says so.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// How long the helper may take: the door's worker waits for it, and systemd's watchdog
/// (30 s on the image) restarts a kiosk whose worker is silent for longer.
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(20);

/// The longest reply line taken from the helper.
const MAX_REPLY: u64 = 4096;

/// Why an export did not reach the stick.
#[derive(Debug, thiserror::Error)]
pub enum StickError {
    /// The export's file name is not one the helper accepts.
    #[error("export file name {0:?} is not a plain name of letters, digits, '.', '-' and '_'")]
    BadName(String),
    /// The export cannot be read back on the kiosk.
    #[error("cannot read the export {path}: {source}")]
    ReadExport {
        /// The export.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No helper answers at the socket (not the kiosk image, or its socket unit stopped).
    #[error("the USB stick helper at {path} does not answer: {source}")]
    NoHelper {
        /// The socket.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The conversation broke off or timed out.
    #[error("the USB stick helper at {path} stopped answering: {source}")]
    Talk {
        /// The socket.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The helper could not do it; its words (no stick, two sticks, a full stick…).
    #[error("USB stick: {0}")]
    Refused(String),
    /// The helper said something outside the protocol.
    #[error("the USB stick helper answered {0:?}, not 'ok …' or 'error …'")]
    Protocol(String),
    /// The copy on the stick is not the export.
    #[error(
        "the copy on the USB stick ({copy}) differs from the export: sha256 {got}, expected {want}"
    )]
    Mismatch {
        /// Where the helper put it.
        copy: String,
        /// The copy's hash, as the helper read it back.
        got: String,
        /// The export's hash.
        want: String,
    },
}

/// Copies `export` onto the USB stick through the helper at `socket`; the copy's path on
/// the stick.
pub fn copy_to_stick(socket: &Path, export: &Path) -> Result<String, StickError> {
    copy_with_timeout(socket, export, HELPER_TIMEOUT)
}

fn copy_with_timeout(
    socket: &Path,
    export: &Path,
    timeout: Duration,
) -> Result<String, StickError> {
    let name = export
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| plain_name(n))
        .ok_or_else(|| StickError::BadName(export.display().to_string()))?;
    let want = sha256_file(export)?;
    let talk = |source| StickError::Talk {
        path: socket.to_path_buf(),
        source,
    };
    let mut stream = UnixStream::connect(socket).map_err(|source| StickError::NoHelper {
        path: socket.to_path_buf(),
        source,
    })?;
    stream.set_read_timeout(Some(timeout)).map_err(talk)?;
    stream.set_write_timeout(Some(timeout)).map_err(talk)?;
    stream
        .write_all(format!("copy {name}\n").as_bytes())
        .map_err(talk)?;
    let mut line = String::new();
    BufReader::new((&stream).take(MAX_REPLY))
        .read_line(&mut line)
        .map_err(talk)?;
    let line = line.trim_end_matches(['\n', '\r']);
    if let Some(why) = line.strip_prefix("error ") {
        return Err(StickError::Refused(why.to_string()));
    }
    let Some((copy, got)) = line.strip_prefix("ok ").and_then(|r| r.split_once(' ')) else {
        return Err(StickError::Protocol(line.to_string()));
    };
    if !got.eq_ignore_ascii_case(&want) {
        return Err(StickError::Mismatch {
            copy: copy.to_string(),
            got: got.to_string(),
            want,
        });
    }
    Ok(copy.to_string())
}

/// The names the helper accepts: no path, no leading dot, nothing a shell would read.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn sha256_file(path: &Path) -> Result<String, StickError> {
    let read = |source| StickError::ReadExport {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(read)?;
    Ok(super::keystore::hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A fresh directory, removed afterwards.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir =
                std::env::temp_dir().join(format!("examgate-stick-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("scratch dir");
            Scratch(dir)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A helper that reads one request and answers `reply(request, sha)`.
    fn helper(
        dir: &Path,
        reply: impl Fn(&str) -> Option<String> + Send + 'static,
    ) -> (PathBuf, std::thread::JoinHandle<String>) {
        let socket = dir.join("stick.sock");
        let listener = UnixListener::bind(&socket).expect("bind");
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut request = String::new();
            BufReader::new(&stream)
                .read_line(&mut request)
                .expect("request");
            if let Some(answer) = reply(&request) {
                stream.write_all(answer.as_bytes()).expect("answer");
            } else {
                // Hang: hold the connection open past the client's timeout.
                std::thread::sleep(Duration::from_millis(800));
            }
            request
        });
        (socket, handle)
    }

    fn export(dir: &Path, name: &str) -> (PathBuf, String) {
        let path = dir.join(name);
        std::fs::write(&path, b"an export's bytes").expect("write");
        let sha = crate::platform::keystore::hex(&Sha256::digest(b"an export's bytes"));
        (path, sha)
    }

    const NAME: &str = "K-S01-R101-maths-20270612T113105.examgate-log";

    #[test]
    fn a_copy_the_helper_read_back_with_the_same_hash_is_done() {
        let dir = Scratch::new("done");
        let (file, sha) = export(dir.path(), NAME);
        let (socket, h) = helper(dir.path(), move |_| {
            Some(format!("ok examgate-exports/{NAME} {sha}\n"))
        });
        let copy = copy_to_stick(&socket, &file).expect("copied");
        assert_eq!(copy, format!("examgate-exports/{NAME}"));
        assert_eq!(h.join().expect("helper"), format!("copy {NAME}\n"));
    }

    #[test]
    fn a_copy_with_another_hash_is_refused_with_both_hashes() {
        let dir = Scratch::new("mismatch");
        let (file, sha) = export(dir.path(), NAME);
        let (socket, _h) = helper(dir.path(), |_| {
            Some(format!("ok examgate-exports/{NAME} {}\n", "0".repeat(64)))
        });
        match copy_to_stick(&socket, &file) {
            Err(StickError::Mismatch { got, want, .. }) => {
                assert_eq!(got, "0".repeat(64));
                assert_eq!(want, sha);
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn the_helpers_error_reaches_the_invigilator() {
        let dir = Scratch::new("refused");
        let (file, _) = export(dir.path(), NAME);
        let (socket, _h) = helper(dir.path(), |_| {
            Some("error no USB stick is plugged in\n".into())
        });
        let e = copy_to_stick(&socket, &file).expect_err("refused");
        assert_eq!(e.to_string(), "USB stick: no USB stick is plugged in");
    }

    #[test]
    fn a_reply_outside_the_protocol_is_named() {
        let dir = Scratch::new("protocol");
        let (file, _) = export(dir.path(), NAME);
        let (socket, _h) = helper(dir.path(), |_| Some("yes\n".into()));
        let e = copy_to_stick(&socket, &file).expect_err("garbage");
        assert!(matches!(&e, StickError::Protocol(l) if l == "yes"), "{e}");
    }

    #[test]
    fn a_silent_helper_times_out_instead_of_hanging_the_door() {
        let dir = Scratch::new("timeout");
        let (file, _) = export(dir.path(), NAME);
        let (socket, _h) = helper(dir.path(), |_| None);
        let e = copy_with_timeout(&socket, &file, Duration::from_millis(200)).expect_err("timeout");
        assert!(matches!(e, StickError::Talk { .. }), "{e}");
    }

    #[test]
    fn no_helper_and_odd_names_are_named() {
        let dir = Scratch::new("nohelper");
        let (file, _) = export(dir.path(), NAME);
        let e = copy_to_stick(&dir.path().join("none.sock"), &file).expect_err("no helper");
        assert!(e.to_string().contains("none.sock"), "{e}");
        for bad in [".hidden", "a b", "x;rm", "名字"] {
            let (file, _) = export(dir.path(), bad);
            let e = copy_to_stick(&dir.path().join("none.sock"), &file).expect_err("bad name");
            assert!(matches!(e, StickError::BadName(_)), "{bad}: {e}");
        }
    }
}
