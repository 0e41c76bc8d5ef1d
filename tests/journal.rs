//! The log file as a whole: crash safety under SIGKILL, tamper detection through
//! `examgate log verify`, completeness of an export (seals, evidence, the kiosk-signed
//! trailer, seal codes), the kiosk refusing to open a broken log, and `log show`'s
//! redaction. Real SQLite files, a real writer process.

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

/// `log verify --live`: `log stress` writes a kiosk's own log, which has no export trailer
/// (and its events belong to no session).
fn verify(db: &Path) -> (bool, String) {
    verify_with(db, &["--live"])
}

fn verify_with(db: &Path, extra: &[&str]) -> (bool, String) {
    let out = examgate()
        .args(["log", "verify", "--kiosk-key", &public_key()])
        .args(extra)
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
    // One full, uninterrupted run of 1000 to learn how long an append takes here.
    let t = examgate::platform::clock::Stopwatch::start();
    assert!(stress(&s, 1000).output().expect("runs").status.success());
    let append_us = (t.ms() as u64).max(50); // ms for 1000 = µs for one

    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut killed_mid_run = 0;
    for round in 0..50 {
        // A random point among the appends: once a random number of them has returned,
        // plus a random part of three appends' time, so the kill lands anywhere in an
        // append (signing, the insert, the commit's fsync). Counted from the appends, not
        // from the start: opening verifies the whole file first (issue 12), longer each
        // round as the file grows, and a busy machine stretches it further.
        let after = 1 + next(&mut rng) % 900;
        let delay_us = next(&mut rng) % (3 * append_us);
        let mut child = stress(&s, 1000)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns");
        let stdout = child.stdout.take().expect("piped");
        let (returned_tx, returned_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut seqs = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(seq) = line.trim().parse::<i64>() {
                    let _ = returned_tx.send(seq);
                    seqs.push(seq);
                }
            }
            seqs
        });
        let mut seen = 0;
        while seen < after && returned_rx.recv_timeout(Duration::from_secs(60)).is_ok() {
            seen += 1;
        }
        std::thread::sleep(Duration::from_micros(delay_us));
        let _ = child.kill(); // SIGKILL
        child.wait().expect("reaped");
        let returned = reader.join().expect("reader");
        if !returned.is_empty() && returned.len() < 1000 {
            killed_mid_run += 1;
        }

        let (ok, text) = verify(&s.db);
        assert!(
            ok,
            "round {round} (kill {delay_us} µs after append {after}): {text}"
        );
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
    // A kiosk opens its session before anything else; a seal closes the session opened.
    let opened =
        examgate::journal::events::Event::SessionOpened(examgate::journal::events::SessionOpened {
            session: "chinese".into(),
            resumed_decisions: 0,
        });
    log.append(&opened.kind(), &opened.payload(), now, &keys)
        .expect("append");
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
    assert!(text.contains("11 events"), "{text}");
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

/// A kiosk's log of one whole session, exported: the session opens, two referrals with
/// sealed live crops, both resolved, an incident, the seal, an unlock after it (to export).
/// Returns the setup, the export and the seal code.
fn sealed_export(name: &str) -> (Setup, PathBuf, journal::SealCode) {
    use examgate::decision::{Decision, FaceEvidence, ReferReason};
    use examgate::journal::actions::{Action, ReasonCode, Resolution, Verdict};
    use examgate::journal::events::{DecisionEvent, Event, SessionOpened};
    use examgate::journal::evidence::{generate_office_keypair, EvidenceSealer};
    use examgate::journal::seal::{Attestation, Counts, Report, Seal};

    let s = setup(name);
    let keys = SeedKeyStore::from_seed(&SEED);
    let mut log = journal::Journal::open(&s.db, "K-R101", &keys.verifying_key()).expect("open");
    let mut now = 1_781_913_600_000;
    let mut append = |log: &mut journal::Journal, e: Event| {
        now += 1000;
        log.append(&e.kind(), &e.payload(), now, &keys)
            .expect("append")
            .seq
    };
    append(
        &mut log,
        Event::SessionOpened(SessionOpened {
            session: "chinese".into(),
            resumed_decisions: 0,
        }),
    );
    let sealer = EvidenceSealer::new(generate_office_keypair().1);
    let mut referrals = Vec::new();
    for ticket in ["2027010001", "2027010002"] {
        let crop = sealer.seal(b"face crop").expect("seals");
        let mut d = DecisionEvent::new(
            ticket,
            &Decision::Refer {
                reasons: vec![ReferReason::LivenessLow {
                    score: 0.2,
                    threshold: 0.5,
                }],
            },
            Some(FaceEvidence::Captured {
                liveness: 0.2,
                registration_score: 0.8,
                portrait_score: None,
            }),
            None,
        );
        d.evidence_sha256 = Some(crop.sha256_hex());
        let e = Event::Decision(Box::new(d));
        let r = log
            .append_with_evidence(&e.kind(), &e.payload(), 1_781_913_700_000, &keys, &crop)
            .expect("decision with evidence");
        referrals.push((ticket, r.seq));
    }
    for (seat, (ticket, seq)) in referrals.into_iter().enumerate() {
        let r = Resolution::new(
            ticket,
            seq,
            Verdict::Admit {
                seat: seat as u16 + 1,
            },
            ReasonCode::IdentityConfirmedByHand,
            "T001",
            Some("T002"),
            true,
        )
        .expect("two invigilators");
        append(&mut log, Action::Resolve(r).event());
    }
    let incident = Action::incident("T001", None, "candidate unwell").expect("incident");
    append(&mut log, incident.event());
    let attest = |who: &str| Attestation {
        invigilator: who.into(),
        at_ms: 1_781_913_800_000,
    };
    let seal = Seal::new(
        "chinese",
        Counts::new(30, 2, 2, 0),
        Report::Zero,
        [attest("T001"), attest("T002")],
        log.head_hash(),
    )
    .expect("seal");
    let seal_seq = append(&mut log, Event::Seal(seal));
    let code = journal::SealCode::new(seal_seq, &log.head_hash());
    append(
        &mut log,
        Event::Unlock {
            invigilator: "T001".into(),
        },
    );
    let export = s.dir.join("K-R101-chinese.examgate-log");
    log.export_to(&export, &keys, 1_781_913_900_000)
        .expect("export");
    (s, export, code)
}

#[test]
fn r12_an_intact_sealed_export_verifies_with_its_trailer_and_seal_code() {
    let (_s, export, code) = sealed_export("export-intact");
    assert_eq!(code.events, 7);
    let (ok, text) = verify_with(&export, &["--seal-code", &code.to_string()]);
    assert!(ok, "{text}");
    for expected in [
        "8 events",
        "2 sealed evidence items match",
        "export trailer signed by the kiosk matches",
        &format!("session chinese sealed at event 7: seal code {code}"),
        &format!("seal code {code} matches the log"),
    ] {
        assert!(text.contains(expected), "{expected:?} missing: {text}");
    }
    // The export is one self-contained file, and exporting never overwrites.
    assert!(!PathBuf::from(format!("{}-wal", export.display())).exists());
    assert!(!PathBuf::from(format!("{}.partial", export.display())).exists());
}

#[test]
fn r12_verify_needs_the_kiosk_key_the_key_in_the_file_proves_nothing() {
    let (_s, export, _) = sealed_export("export-nokey");
    let out = examgate()
        .args(["log", "verify"])
        .arg(&export)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("--kiosk-key is required") && said.contains("proves nothing"),
        "{said}"
    );
}

#[test]
fn r12_an_export_with_its_tail_cut_off_fails() {
    // Decisions, resolutions, the seal and what follows deleted: what is left still links.
    let (s, export, code) = sealed_export("export-cut");
    tamper(
        &export,
        "DROP TRIGGER events_no_delete; DROP TRIGGER evidence_no_delete;
         DELETE FROM evidence WHERE seq > 1; DELETE FROM events WHERE seq > 1;",
    );
    let (ok, text) = verify_with(&export, &[]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("BROKEN at seq 1: session chinese is opened here and never sealed"),
        "{text}"
    );
    // Only the events after the seal cut: the seal is there, the signed trailer says more.
    let (_s2, export2, _) = sealed_export("export-cut-after-seal");
    tamper(
        &export2,
        "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 8;",
    );
    let (ok, text) = verify_with(&export2, &[]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("trailer names 8 events") && text.contains("the file has 7"),
        "{text}"
    );
    // Cut back to the seal and the trailer dropped too: not an export any more, and as a
    // live log the seal code from paper still catches a cut before the seal.
    tamper(&export2, "DROP TABLE export_trailer;");
    let (ok, text) = verify_with(&export2, &[]);
    assert!(
        !ok && text.contains("no kiosk-signed export trailer"),
        "{text}"
    );
    let (ok, text) = verify_with(&export2, &["--live"]);
    assert!(ok, "cut after the seal, read as a live log: {text}");
    tamper(&export2, "DELETE FROM events WHERE seq >= 7;");
    let (ok, text) = verify_with(&export2, &["--live", "--seal-code", &code.to_string()]);
    assert!(!ok, "{text}");
    assert!(text.contains("the log has no event 7"), "{text}");
    drop(s);
}

#[test]
fn r12_an_export_whose_sealed_evidence_rows_were_deleted_fails() {
    let (_s, export, _) = sealed_export("export-evidence");
    tamper(
        &export,
        "DROP TRIGGER evidence_no_delete; DELETE FROM evidence WHERE seq = 3;",
    );
    let (ok, text) = verify_with(&export, &[]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("BROKEN at seq 3: the event names sealed evidence that is not in the file"),
        "{text}"
    );
}

#[test]
fn r12_a_trailer_that_does_not_match_fails() {
    let (_s, export, _) = sealed_export("export-trailer");
    // The count edited to fit a shorter file: the kiosk's signature no longer holds.
    tamper(&export, "UPDATE export_trailer SET events = 7;");
    let (ok, text) = verify_with(&export, &[]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("trailer's signature does not verify"),
        "{text}"
    );
    // A trailer signed by another key (someone's own "kiosk").
    let (_s2, export2, _) = sealed_export("export-trailer-2");
    let forged = examgate::journal::trailer::Trailer {
        kiosk_id: "K-R101".into(),
        events: 9,
        chain_head: [0; 32],
        exported_at_ms: 0,
    };
    let sig = forged.sign(&SeedKeyStore::from_seed(&[1; 32]));
    let conn = rusqlite::Connection::open(&export2).expect("open");
    conn.execute(
        "UPDATE export_trailer SET chain_head = ?1, signature = ?2",
        rusqlite::params![[0u8; 32].as_slice(), sig.as_slice()],
    )
    .expect("forge");
    drop(conn);
    let (ok, text) = verify_with(&export2, &[]);
    assert!(
        !ok && text.contains("trailer's signature does not verify"),
        "{text}"
    );
    // Two trailers.
    let (_s3, export3, _) = sealed_export("export-trailer-3");
    tamper(
        &export3,
        "INSERT INTO export_trailer SELECT * FROM export_trailer;",
    );
    let (ok, text) = verify_with(&export3, &[]);
    assert!(!ok && text.contains("holds 2 rows"), "{text}");
}

#[test]
fn r12_a_seal_code_is_accepted_only_as_the_log_has_it() {
    let (_s, export, code) = sealed_export("export-code");
    // As copied by hand: lower case, no separators.
    let copied = code.to_string().to_lowercase().replace(['·', '-'], "");
    let (ok, text) = verify_with(&export, &["--seal-code", &copied]);
    assert!(ok, "{copied}: {text}");
    let mut other = code;
    other.fingerprint[4] ^= 0x01;
    let (ok, text) = verify_with(&export, &["--seal-code", &other.to_string()]);
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("the seal at event 7 has code {code}")),
        "{text}"
    );
    let shifted = journal::SealCode { events: 6, ..code };
    let (ok, text) = verify_with(&export, &["--seal-code", &shifted.to_string()]);
    assert!(
        !ok && text.contains("event 6 is of kind incident, not a seal"),
        "{text}"
    );
    let out = examgate()
        .args([
            "log",
            "verify",
            "--kiosk-key",
            &public_key(),
            "--seal-code",
            "7 K7F3",
        ])
        .arg(&export)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("must read like"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn r12_the_kiosk_refuses_to_open_a_log_with_a_row_deleted_or_changed() {
    let keys = SeedKeyStore::from_seed(&SEED);
    let open = |db: &Path| journal::Journal::open(db, "K-TEST", &keys.verifying_key()).map(|_| ());
    let s = written("open-deleted", 20);
    assert!(open(&s.db).is_ok());
    tamper(
        &s.db,
        "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 5;",
    );
    let err = open(&s.db).expect_err("a row deleted").to_string();
    assert!(
        err.contains("does not verify at seq 5: sequence gap: expected 5, found 6"),
        "{err}"
    );
    let s = written("open-changed", 20);
    tamper(
        &s.db,
        "DROP TRIGGER events_no_update;
         UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), '\"i\":11', '\"i\":12') AS BLOB) WHERE seq = 12;",
    );
    let err = open(&s.db).expect_err("a row changed").to_string();
    assert!(
        err.contains("does not verify at seq 12: content does not match its hash"),
        "{err}"
    );
    // The kiosk's own writer refuses too, with the same words, and appends nothing.
    let out = stress(&s, 1).output().expect("runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not verify at seq 12"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(journal::read(&s.db).expect("read").rows.len(), 20);
}
