//! `examgate kiosk --package DIR --config FILE` as installed at a door: a room package built
//! by `package build` for an exam happening now, the kiosk's own key and configuration, the
//! real pcscd with a virtual passport on "Virtual PCD 00 01" (`../shared/tools`), camera
//! frames from a directory (no camera can exist here), ticket numbers typed on standard input
//! as a USB barcode scanner types them, and a kill -9 in the middle of the session. Also: a
//! camera lost and back at the door; a kiosk with no camera and no reader on the
//! device-error screen, still running; bad configurations and packages refused with the
//! reason and nothing written.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use examgate::platform::clock::Stopwatch;

use common::packages::{build, examgate, scratch};

const SLOT: u8 = 1;
const READER: &str = "Virtual PCD 00 01";
const TICKET: &str = "2027090001";

/// The candidate's passport on the reader (the holder's second photo on the chip).
fn put_passport() {
    let photo = common::sample("obama2.jpg");
    common::cards::insert(
        SLOT,
        &[
            "--doc",
            "AB1234567",
            "--dob",
            "110804",
            "--exp",
            "310415",
            "--surname",
            "OBAMA",
            "--given",
            "BARACK",
            "--photo",
            photo.to_str().expect("utf-8 path"),
        ],
    );
}

/// Take the card off the reader and give pcscd time to notice.
fn take_passport() {
    common::cards::remove(SLOT);
    std::thread::sleep(Duration::from_millis(700));
}

/// An exam whose session is on now: the offset is chosen so that exam-local time is 08:40
/// (entry opened 08:30, start 09:00), whatever the machine's clock says.
/// Keys, inputs and the built packages in `dir`; returns the R101 package directory.
fn exam(dir: &Path) -> PathBuf {
    let keys = common::packages::keys_with_kiosks(&dir.join("keys"), &["K-T1"]);
    let inp = dir.join("inputs");
    std::fs::create_dir_all(inp.join("photos")).expect("photos");
    std::fs::create_dir_all(inp.join("csca")).expect("csca");
    std::fs::write(inp.join("exam.toml"), common::packages::todays_exam_toml()).expect("exam.toml");
    std::fs::write(
        inp.join("candidates.csv"),
        "ticket,name,sex,birth_date,doc_type,doc_number,doc_expiry,can,card_uid,photo,maths_site,maths_room,maths_seat\n\
         2027090001,\"OBAMA, BARACK\",M,2011-08-04,passport,AB1234567,2031-04-15,,,obama.jpg,S01,R101,7\n\
         2027090002,Joe Biden,M,2011-11-20,none,,,,,biden.jpg,S01,R101,8\n",
    )
    .expect("candidates.csv");
    std::fs::write(
        inp.join("invigilators.csv"),
        "id,name,rooms,pin\nT001,Teacher,S01/R101,480613927\nT002,Second,S01/R101,905127384\n",
    )
    .expect("invigilators.csv");
    for p in ["obama.jpg", "biden.jpg"] {
        std::fs::copy(common::sample(p), inp.join("photos").join(p)).expect("photo");
    }
    // The virtual passports' test CSCA when the card environment made one; else the
    // example CSCA (the tests without a card never read a chip).
    let vicc = Path::new("/tmp/vicc-passport-pki/csca.pem");
    let csca = if vicc.is_file() {
        vicc.to_path_buf()
    } else {
        common::packages::examples().join("csca/example-csca.pem")
    };
    std::fs::copy(csca, inp.join("csca/csca.pem")).expect("csca");
    let built = build(&inp, &keys, &dir.join("packages"), &[]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    dir.join("packages/S01/R101")
}

/// A kiosk.toml in `dir` with `camera` and `reader` sections as given.
fn config(dir: &Path, room: &str, camera: &str, reader: &str) -> PathBuf {
    let path = dir.join("kiosk.toml");
    std::fs::write(
        &path,
        format!(
            "kiosk_id = \"K-T1\"\nroom = \"{room}\"\noffice_key = \"keys/office-sign.pub\"\n\
             kiosk_key = \"keys/kiosk-K-T1.key\"\nlog = \"kiosk-log.db\"\nexport_dir = \"export\"\n\
             models = \"{}\"\nlanguage = \"en\"\n\n[camera]\n{camera}\n\n[reader]\n{reader}\n",
            common::models_dir().display()
        ),
    )
    .expect("kiosk.toml");
    path
}

/// The exam, and a kiosk at S01/R101 on the test reader whose camera sees the candidate's
/// live photo: (package, configuration, the one frame file).
fn door(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let package = exam(dir);
    let frames = dir.join("frames");
    std::fs::create_dir_all(&frames).expect("frames dir");
    let frame = frames.join("live.jpg");
    std::fs::copy(common::sample("obama3.jpg"), &frame).expect("frame");
    let config = config(
        dir,
        "S01/R101",
        "directory = \"frames\"",
        &format!("name = \"{READER}\""),
    );
    (package, config, frame)
}

/// A running `examgate kiosk --headless`: its input (the scanner) and its output lines.
struct Kiosk {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Kiosk {
    fn start(package: &Path, config: &Path) -> Kiosk {
        Kiosk::start_with(package, config, &[])
    }

    /// [`Kiosk::start`] with environment variables set (the service manager's).
    fn start_with(package: &Path, config: &Path, env: &[(&str, &str)]) -> Kiosk {
        Kiosk::start_full(package, config, env, &[])
    }

    /// [`Kiosk::start`] with environment variables and more options.
    fn start_full(package: &Path, config: &Path, env: &[(&str, &str)], extra: &[&str]) -> Kiosk {
        let mut child = examgate()
            .envs(env.iter().copied())
            .arg("kiosk")
            .arg("--package")
            .arg(package)
            .arg("--config")
            .arg(config)
            .arg("--headless")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("examgate kiosk starts");
        let (tx, lines) = channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
        }
        Kiosk {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Wait up to `secs` for a line containing `want`; the line.
    fn expect(&mut self, want: &str, secs: u64) -> String {
        self.expect_all(&[want], secs)
    }

    /// Wait up to `secs` for a line containing each of `wanted`; the line.
    fn expect_all(&mut self, wanted: &[&str], secs: u64) -> String {
        let waited = Stopwatch::start();
        loop {
            let left = Duration::from_secs(secs).saturating_sub(waited.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted.iter().all(|w| line.contains(w)) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {wanted:?} within {secs} s; the kiosk said:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// The scanner reads `code`.
    fn scan(&mut self, code: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{code}").expect("the kiosk reads its input");
    }

    /// End of input: the kiosk stops by itself; its exit status.
    fn finish(mut self) -> (bool, Vec<String>) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("the kiosk exits");
        let mut seen = std::mem::take(&mut self.seen);
        seen.extend(self.lines.try_iter());
        (status.success(), seen)
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn verify_log(dir: &Path) {
    // The kiosk's own log, mid-session: no export trailer, the session not sealed yet.
    let out = examgate()
        .args(["log", "verify", "--live"])
        .arg(dir.join("kiosk-log.db"))
        .arg("--kiosk-key")
        .arg(format!("@{}", dir.join("keys/kiosk-K-T1.pub").display()))
        .output()
        .expect("log verify runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_candidate_is_admitted_with_the_real_reader_and_after_a_crash_a_second_entry_is_caught() {
    if !common::cards::enabled() {
        return;
    }
    let dir = scratch("kiosk-door");
    let (package, config, _) = door(&dir);
    take_passport();

    let mut kiosk = Kiosk::start(&package, &config);
    kiosk.expect("session maths (Maths), 2 candidates", 60);
    kiosk.expect("screen idle", 60);
    kiosk.scan(TICKET);
    put_passport();
    let line = kiosk.expect(&format!("{TICKET}: "), 60);
    assert!(line.contains(&format!("ADMIT {TICKET}: seat 7")), "{line}");
    take_passport();
    kiosk.expect("screen idle", 30);

    // Power cut: the process dies without warning (SIGKILL), and comes back.
    drop(kiosk);
    let mut kiosk = Kiosk::start(&package, &config);
    kiosk.expect("screen idle", 60);
    // The same ticket and passport again: the restarted kiosk knows the seat is taken.
    kiosk.scan(TICKET);
    put_passport();
    let line = kiosk.expect(&format!("{TICKET}: "), 60);
    assert!(
        line.contains("REFER") && line.contains("already admitted this session"),
        "{line}"
    );
    take_passport();
    let (ok, said) = kiosk.finish();
    assert!(ok, "{}", said.join("\n"));
    verify_log(&dir);
}

/// Issue 15: `log copy-to-stick` (the image's self-test uses it as the kiosk's export does)
/// copies through a helper, and says which socket does not answer when none does.
#[test]
fn r15_copy_to_stick_goes_through_the_helper_and_names_a_missing_one() {
    let dir = scratch("kiosk-copy-to-stick");
    let file = dir.join("K-T1-maths-20270612T113105.examgate-log");
    std::fs::write(&file, b"an export").expect("export");
    let out = examgate()
        .args(["log", "copy-to-stick"])
        .arg(&file)
        .arg("--helper")
        .arg(dir.join("none.sock"))
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("does not answer") && err.contains("none.sock"),
        "{err}"
    );

    // A helper that copies and answers with the copy's hash, as files/stick-export does.
    let socket = dir.join("stick.sock");
    let helper = common::stick::helper(&socket, dir.clone(), dir.join("stick"), vec![None]);
    let out = examgate()
        .args(["log", "copy-to-stick"])
        .arg(&file)
        .arg("--helper")
        .arg(&socket)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "examgate-exports/K-T1-maths-20270612T113105.examgate-log"
    );
    assert_eq!(
        helper.join().expect("helper"),
        ["copy K-T1-maths-20270612T113105.examgate-log\n"]
    );
    assert_eq!(
        std::fs::read(dir.join("stick/examgate-exports/K-T1-maths-20270612T113105.examgate-log"))
            .expect("the copy"),
        b"an export"
    );
}

/// Issue 15's first boot: with no package the kiosk waits for the USB stick, refuses a
/// package whose signature does not verify, imports the signed one and starts with it.
#[test]
fn r15_a_first_boot_takes_only_the_signed_package_from_the_stick() {
    let dir = scratch("kiosk-first-boot");
    let (package, config, _) = door(&dir);
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data");
    let target = data.join("package");
    let stick = dir.join("stick");
    let on_stick = stick.join("S01/R101");
    std::fs::create_dir_all(&on_stick).expect("stick");
    let mut kiosk = Kiosk::start_full(
        &target,
        &config,
        &[],
        &["--import-from", stick.to_str().expect("utf-8")],
    );
    kiosk.expect("no room package in", 30);
    // A package changed after the office signed it: refused, nothing imported.
    for f in std::fs::read_dir(&package)
        .expect("package")
        .filter_map(Result::ok)
    {
        std::fs::copy(f.path(), on_stick.join(f.file_name())).expect("copy");
    }
    let json = on_stick.join("package.json");
    let signed = std::fs::read_to_string(&json).expect("json");
    std::fs::write(&json, signed.replacen("\"seats\":", "\"seats\": ", 1)).expect("write");
    let line = kiosk.expect("refused:", 30);
    assert!(line.contains("signature"), "{line}");
    assert!(!target.exists(), "nothing imported");
    // The signed package: imported, and the kiosk starts with it.
    std::fs::write(&json, signed).expect("write");
    kiosk.expect("imported the room package from", 30);
    kiosk.expect("session maths (Maths), 2 candidates", 60);
    assert!(target.join("package.json").is_file());
    let (ok, said) = kiosk.finish();
    assert!(ok, "{}", said.join("\n"));
}

/// Issue 15's service: the kiosk prints one line when it first draws the idle screen, tells
/// systemd it is ready, and pings the watchdog while its worker lives.
#[test]
fn the_kiosk_says_when_the_idle_screen_is_drawn_and_pings_the_watchdog() {
    if !common::cards::enabled() {
        return;
    }
    let dir = scratch("kiosk-notify");
    let (package, config, _) = door(&dir);
    take_passport();
    let socket_path = dir.join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).expect("bind");
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("timeout");
    let mut kiosk = Kiosk::start_with(
        &package,
        &config,
        &[
            ("NOTIFY_SOCKET", socket_path.to_str().expect("utf-8")),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    kiosk.expect("examgate kiosk: idle screen drawn", 60);
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !(got.iter().any(|m: &String| m.starts_with("READY=1"))
        && got.iter().filter(|m| m.as_str() == "WATCHDOG=1").count() >= 2)
    {
        let n = socket.recv(&mut buf).expect("a notification within 60 s");
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        assert!(got.len() < 500, "{got:?}");
    }
    let (ok, said) = kiosk.finish();
    assert!(ok, "{}", said.join("\n"));
    let drawn = said
        .iter()
        .filter(|l| l.contains("idle screen drawn"))
        .count();
    assert_eq!(drawn, 1, "said once: {said:?}");
}

#[test]
fn a_camera_unplugged_at_the_door_shows_the_device_error_until_it_is_back() {
    if !common::cards::enabled() {
        return;
    }
    let dir = scratch("kiosk-camera-loss");
    let (package, config, frame) = door(&dir);
    let mut kiosk = Kiosk::start(&package, &config);
    kiosk.expect("screen idle", 60);
    // The directory source fails like an unplugged camera when its only file goes.
    let away = dir.join("live.jpg");
    std::fs::rename(&frame, &away).expect("unplug");
    let line = kiosk.expect("screen device-error", 30);
    assert!(
        line.contains("Camera") && !line.contains("Reader"),
        "{line}"
    );
    std::fs::rename(&away, &frame).expect("plug back");
    kiosk.expect("screen idle", 30);
    let (ok, said) = kiosk.finish();
    assert!(ok, "{}", said.join("\n"));
}

#[test]
fn without_camera_or_reader_the_device_error_screen_shows_and_the_kiosk_keeps_running() {
    let dir = scratch("kiosk-no-devices");
    let package = exam(&dir);
    // /dev/video63 does not exist on these machines (no camera can), nor this reader.
    let config = config(
        &dir,
        "S01/R101",
        "device = 63",
        "name = \"No Such Reader 00 00\"",
    );
    let mut kiosk = Kiosk::start(&package, &config);
    kiosk.expect("/dev/video63", 60);
    // Both are reported, in whichever order their threads notice.
    kiosk.expect_all(&["screen device-error", "Camera", "Reader"], 60);
    // A ticket at a door without devices decides nothing.
    kiosk.scan(TICKET);
    std::thread::sleep(Duration::from_secs(2));
    let (ok, said) = kiosk.finish();
    assert!(ok, "{}", said.join("\n"));
    assert!(
        !said
            .iter()
            .any(|l| l.contains("ADMIT ") || l.contains("REFER ")),
        "{said:?}"
    );
    verify_log(&dir);
}

#[test]
fn r12_a_kiosk_refuses_to_start_on_a_log_that_does_not_verify_and_says_where() {
    let dir = scratch("kiosk-broken-log");
    let package = exam(&dir);
    let config = config(
        &dir,
        "S01/R101",
        "device = 63",
        "name = \"No Such Reader 00 00\"",
    );
    let mut kiosk = Kiosk::start(&package, &config);
    kiosk.expect("screen device-error", 60);
    let (ok, said) = kiosk.finish();
    assert!(ok, "{}", said.join("\n"));
    verify_log(&dir);

    // Someone edits the session start on the kiosk's disk (the triggers dropped first).
    let log = dir.join("kiosk-log.db");
    let conn = rusqlite::Connection::open(&log).expect("open the kiosk log");
    conn.execute_batch(
        "DROP TRIGGER events_no_update;
         UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), 'maths', 'mathz') AS BLOB)
         WHERE seq = 1;",
    )
    .expect("tamper");
    let events = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .expect("count")
    };
    let before = events(&conn);
    drop(conn);
    let out = examgate()
        .arg("kiosk")
        .arg("--package")
        .arg(&package)
        .arg("--config")
        .arg(&config)
        .arg("--headless")
        .stdin(Stdio::null())
        .output()
        .expect("examgate kiosk runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("kiosk-log.db")
            && said.contains("does not verify at seq 1: content does not match its hash"),
        "{said}"
    );
    let conn = rusqlite::Connection::open(&log).expect("open the kiosk log");
    assert_eq!(
        events(&conn),
        before,
        "the refused kiosk appended to the log"
    );
}

#[test]
fn a_bad_configuration_or_a_package_for_another_room_is_refused_and_nothing_is_written() {
    let dir = scratch("kiosk-refused");
    let package = exam(&dir);
    let run = |config: &Path| {
        let out = examgate()
            .arg("kiosk")
            .arg("--package")
            .arg(&package)
            .arg("--config")
            .arg(config)
            .arg("--headless")
            .stdin(Stdio::null())
            .output()
            .expect("examgate kiosk runs");
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };

    let wrong_room = config(&dir, "S01/R102", "directory = \"frames\"", "");
    let e = run(&wrong_room);
    assert!(e.contains("S01/R101") && e.contains("S01/R102"), "{e}");

    let typo = config(&dir, "S01/R101", "directory = \"frames\"", "");
    let text = std::fs::read_to_string(&typo).expect("config");
    std::fs::write(&typo, text.replace("export_dir", "exportdir")).expect("config");
    let e = run(&typo);
    assert!(e.contains("kiosk.toml") && e.contains("exportdir"), "{e}");

    let both = config(&dir, "S01/R101", "device = 0\ndirectory = \"frames\"", "");
    let e = run(&both);
    assert!(e.contains("camera") && e.contains("not both"), "{e}");

    let no_key = config(&dir, "S01/R101", "directory = \"frames\"", "");
    std::fs::remove_file(dir.join("keys/kiosk-K-T1.key")).expect("remove key");
    let e = run(&no_key);
    assert!(e.contains("kiosk-K-T1.key"), "{e}");

    assert!(
        !dir.join("kiosk-log.db").exists(),
        "a refused start wrote a log"
    );
}
