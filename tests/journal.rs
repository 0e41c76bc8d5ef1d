//! The log file as a whole: crash safety under SIGKILL, tamper detection through
//! `examgate log verify`, and `log show`'s redaction. Real SQLite files, a real writer
//! process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use examgate::journal;
use examgate::platform::keystore::{hex, KeyStore, SeedKeyStore};

const SEED: [u8; 32] = [42; 32];

struct Setup {
    dir: PathBuf,
    db: PathBuf,
    key_file: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn setup(name: &str) -> Setup {
    let dir = std::env::temp_dir().join(format!("examgate-log-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let key_file = dir.join("kiosk.key");
    std::fs::write(&key_file, hex(&SEED)).expect("key file");
    Setup {
        db: dir.join("log.db"),
        key_file,
        dir,
    }
}

fn public_key() -> String {
    hex(SeedKeyStore::from_seed(&SEED).verifying_key().as_bytes())
}

fn examgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_examgate"))
}

fn stress(s: &Setup, count: u64) -> Command {
    let mut c = examgate();
    c.args(["log", "stress", "--count", &count.to_string(), "--db"])
        .arg(&s.db)
        .arg("--key-file")
        .arg(&s.key_file);
    c
}

fn verify(db: &Path) -> (bool, String) {
    let out = examgate()
        .args(["log", "verify", "--kiosk-key", &public_key()])
        .arg(db)
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// xorshift64: reproducible "random" kill points without a dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn sigkill_at_random_points_never_loses_a_returned_append_or_breaks_the_chain() {
    let s = setup("crash");
    // One full, uninterrupted run of 1000 to learn how long a run takes here.
    let t = examgate::platform::clock::Stopwatch::start();
    assert!(stress(&s, 1000).output().expect("runs").status.success());
    let full_ms = t.ms().max(50.0) as u64;

    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut killed_mid_run = 0;
    for round in 0..50 {
        // The first run was the slowest (a cold file); later ones finish sooner, so kill
        // within the first half of it.
        let delay = next(&mut rng) % (full_ms / 2);
        let mut child = stress(&s, 1000)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns");
        let stdout = child.stdout.take().expect("piped");
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.trim().parse::<i64>().ok())
                .collect::<Vec<i64>>()
        });
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        child.wait().expect("reaped");
        let returned = reader.join().expect("reader");
        if !returned.is_empty() && returned.len() < 1000 {
            killed_mid_run += 1;
        }

        let (ok, text) = verify(&s.db);
        assert!(ok, "round {round} (kill after {delay} ms): {text}");
        let file = journal::read(&s.db).expect("readable after the kill");
        let present: std::collections::HashSet<i64> = file.rows.iter().map(|r| r.seq).collect();
        let lost: Vec<&i64> = returned
            .iter()
            .filter(|seq| !present.contains(seq))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round}: appends that returned are missing: {lost:?}"
        );
    }
    assert!(
        killed_mid_run >= 35,
        "only {killed_mid_run} of 50 runs were killed between two appends; the test did not test crashes"
    );
    eprintln!("{killed_mid_run} of 50 runs killed between appends; none lost a returned append");
}

fn written(name: &str, events: u64) -> Setup {
    let s = setup(name);
    let out = stress(&s, events).output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s
}

fn tamper(db: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(db).expect("open for tampering");
    conn.execute_batch(sql).expect("tamper");
}

#[test]
fn an_intact_log_verifies() {
    let s = written("intact", 20);
    let (ok, text) = verify(&s.db);
    assert!(ok, "{text}");
    assert!(text.contains("20 events") && text.contains("OK"), "{text}");
}

#[test]
fn a_changed_payload_byte_is_reported_at_its_sequence_number() {
    let s = written("payload", 20);
    tamper(
        &s.db,
        "DROP TRIGGER events_no_update;
         UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), '\"i\":6', '\"i\":7') AS BLOB) WHERE seq = 7;",
    );
    let (ok, text) = verify(&s.db);
    assert!(!ok);
    assert!(
        text.contains("BROKEN at seq 7") && text.contains("edited"),
        "{text}"
    );
}

#[test]
fn a_deleted_row_is_reported_as_a_gap() {
    let s = written("delete", 20);
    tamper(
        &s.db,
        "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 5;",
    );
    let (ok, text) = verify(&s.db);
    assert!(!ok);
    assert!(
        text.contains("BROKEN at seq 5") && text.contains("expected 5, found 6"),
        "{text}"
    );
}

#[test]
fn two_swapped_rows_are_reported() {
    let s = written("swap", 20);
    tamper(
        &s.db,
        "DROP TRIGGER events_no_update;
         UPDATE events SET seq = 1000000 WHERE seq = 8;
         UPDATE events SET seq = 8 WHERE seq = 9;
         UPDATE events SET seq = 9 WHERE seq = 1000000;",
    );
    let (ok, text) = verify(&s.db);
    assert!(!ok);
    assert!(text.contains("BROKEN at seq 8"), "{text}");
}

#[test]
fn a_truncated_file_is_reported() {
    let s = written("truncate", 200);
    let len = std::fs::metadata(&s.db).expect("db").len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&s.db)
        .expect("open");
    f.set_len(len / 2).expect("truncate");
    drop(f);
    let (ok, text) = verify(&s.db);
    assert!(!ok, "a truncated log must not verify: {text}");
    assert!(
        text.contains("BROKEN") || text.contains("malformed") || text.contains("not a database"),
        "{text}"
    );
}

#[test]
fn another_kiosks_key_does_not_verify() {
    let s = written("otherkey", 3);
    let other = hex(SeedKeyStore::from_seed(&[1; 32]).verifying_key().as_bytes());
    let out = examgate()
        .args(["log", "verify", "--kiosk-key", &other])
        .arg(&s.db)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("BROKEN at seq 1: signature"));
}

#[test]
fn show_redacts_names_unless_revealed() {
    let s = written("show", 2);
    let shown = |reveal: bool| {
        let mut c = examgate();
        c.args(["log", "show"]).arg(&s.db);
        if reveal {
            c.arg("--reveal");
        }
        String::from_utf8(c.output().expect("runs").stdout).expect("utf-8")
    };
    let hidden = shown(false);
    assert!(
        hidden.contains("<redacted>") && !hidden.contains("测试"),
        "{hidden}"
    );
    assert!(shown(true).contains("测试 𠮷"));
}

#[test]
fn verifying_a_missing_file_is_a_clear_error_and_creates_nothing() {
    let s = setup("missing");
    let (ok, text) = verify(&s.db);
    assert!(!ok);
    assert!(text.contains("log.db"), "{text}");
    assert!(!s.db.exists());
}

#[test]
fn invigilator_actions_are_attributed_events_in_a_verifying_chain() {
    use examgate::invigilator::{hash_pin, LockoutPolicy, PinGate};
    use examgate::journal::actions::{Action, ReasonCode, Resolution, Verdict};
    use examgate::journal::seal::{Attestation, Counts, Report, Seal};

    let s = setup("actions");
    let keys = SeedKeyStore::from_seed(&SEED);
    let mut log = journal::Journal::open(&s.db, "K-R101", &keys.verifying_key()).expect("open");
    let mut gate = PinGate::new(
        LockoutPolicy::default(),
        [
            ("T001".to_string(), hash_pin("480613927")),
            ("T002".to_string(), hash_pin("905127384")),
        ],
    );
    let mut now = 1_000_000;
    let record = |log: &mut journal::Journal, action: Action, now: i64| {
        log.append(&action.kind(), &action.payload(), now, &keys)
            .expect("append");
    };
    // Five wrong PINs, then the sixth try is refused unchecked while locked.
    for _ in 0..5 {
        let action = Action::from_attempt("T001", gate.attempt("T001", "271828", now))
            .expect("known invigilator");
        record(&mut log, action, now);
        now += 1000;
    }
    let locked =
        Action::from_attempt("T001", gate.attempt("T001", "480613927", now)).expect("known");
    assert!(matches!(locked, Action::LockedOut { .. }), "{locked:?}");
    record(&mut log, locked, now);
    assert!(Action::from_attempt("T009", gate.attempt("T009", "1", now)).is_none());
    now += 60_000;
    let unlock =
        Action::from_attempt("T001", gate.attempt("T001", "480613927", now)).expect("known");
    assert_eq!(
        unlock,
        Action::Unlock {
            invigilator: "T001".into()
        }
    );
    record(&mut log, unlock, now);

    let resolution = Resolution::new(
        "2027010001",
        3,
        Verdict::Admit { seat: 1 },
        ReasonCode::RegistrationPhotoOutdated,
        "T001",
        Some("T002"),
        true,
    )
    .expect("two invigilators");
    record(&mut log, Action::Resolve(resolution), now + 1);
    let incident =
        Action::incident("T002", Some("2027010002"), "phone found at seat 2").expect("incident");
    record(&mut log, incident, now + 2);
    let seal = Seal::new(
        "chinese",
        Counts::new(2, 1, 1, 0),
        Report::Incidents(vec![examgate::journal::seal::Incident {
            at_ms: now + 2,
            invigilator: "T002".into(),
            text: "phone found at seat 2".into(),
        }]),
        [
            Attestation {
                invigilator: "T001".into(),
                at_ms: now + 3,
            },
            Attestation {
                invigilator: "T002".into(),
                at_ms: now + 3,
            },
        ],
        log.head_hash(),
    )
    .expect("seal");
    record(&mut log, Action::Seal(seal), now + 3);
    drop(log);

    let (ok, text) = verify(&s.db);
    assert!(ok, "{text}");
    assert!(text.contains("10 events"), "{text}");
    let shown = String::from_utf8(
        examgate()
            .args(["log", "show"])
            .arg(&s.db)
            .output()
            .expect("runs")
            .stdout,
    )
    .expect("utf-8");
    for expected in [
        "invigilator_pin_rejected",
        "invigilator_locked_out",
        "invigilator_unlock",
        "referral_resolved",
        "\"second_invigilator\":\"T002\"",
        "incident",
        "seal",
    ] {
        assert!(shown.contains(expected), "{expected} missing:\n{shown}");
    }
    assert!(
        !shown.contains("480613927") && !shown.contains("271828"),
        "a PIN was logged"
    );
}
