//! A stand-in for the kiosk image's USB-stick helper (`kiosk-image/files/stick-export`, run
//! for real by `kiosk-image/test` under QEMU): the kiosk side's tests talk to it over a real
//! Unix socket.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use sha2::Digest;

/// Listens at `socket` and answers one connection per reply: `Some(why)` refuses with
/// `error WHY`; `None` copies the named export from `from` into `stick/examgate-exports/`
/// and answers `ok PATH SHA256` as the real helper does. Returns the requests it read.
pub fn helper(
    socket: &Path,
    from: PathBuf,
    stick: PathBuf,
    replies: Vec<Option<&'static str>>,
) -> JoinHandle<Vec<String>> {
    let listener = std::os::unix::net::UnixListener::bind(socket).expect("bind");
    std::thread::spawn(move || {
        let mut requests = Vec::new();
        for reply in replies {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut line = String::new();
            std::io::BufReader::new(&stream)
                .read_line(&mut line)
                .expect("request");
            let answer = match reply {
                Some(refusal) => format!("error {refusal}\n"),
                None => {
                    let name = line.trim().strip_prefix("copy ").expect("a copy request");
                    let bytes = std::fs::read(from.join(name)).expect("the export");
                    let dir = stick.join("examgate-exports");
                    std::fs::create_dir_all(&dir).expect("dir");
                    std::fs::write(dir.join(name), &bytes).expect("copy");
                    let hex = examgate::platform::keystore::hex(&sha2::Sha256::digest(&bytes));
                    format!("ok examgate-exports/{name} {hex}\n")
                }
            };
            stream.write_all(answer.as_bytes()).expect("answer");
            requests.push(line);
        }
        requests
    })
}
