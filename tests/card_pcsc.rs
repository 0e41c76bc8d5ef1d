//! End to end through a real pcscd with the virtual cards of `../shared/tools/`
//! (`virtual-card-env.sh`, `card-testing.md`): BAC with a real face, PACE with MRZ and CAN
//! on every curve, a TD1 ID card, a corrupt DG2, a wrong MRZ, a UID-only card, a card pulled
//! away in the middle of DG2 (and the next one reading fine), reads above offset 32767, two
//! readers at once, and `examgate card read --json`.
//!
//! `.ci/test` installs pcscd and the virtual reader and starts the environment; each test
//! swaps the card it needs into a slot. One pcscd, two slots: the tests take turns.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::cards::{enabled, insert};
use std::sync::{Mutex, MutexGuard};

use examgate::card::emrtd::{self, Access, Protocol};
use examgate::card::mrz::AccessKey;
use examgate::card::pa::PaResult;
use examgate::card::pace::Curve;
use examgate::card::pcsc_reader::Readers;
use examgate::card::{Deadline, Error, Transport, TransportError};
use zeroize::Zeroizing;

const SLOT0: &str = "Virtual PCD 00 00";
const SLOT1: &str = "Virtual PCD 00 01";
const SPECIMEN: &str =
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C<3UTO6908061F9406236ZE184226B<<<<<14";

fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

/// The test PKI the virtual card signs with (created by its first start).
fn csca() -> Vec<Vec<u8>> {
    let pem = std::fs::read("/tmp/vicc-passport-pki/csca.pem").expect("virtual card PKI");
    examgate::package::trust::certificates(&pem).expect("CSCA PEM")
}

fn face(name: &str) -> PathBuf {
    let dev = common::dev_set().expect("the dev face set (../shared/testdata/faces/dev)");
    dev.join(name).join(format!("{name}_0001.jpg"))
}

fn random(buf: &mut [u8]) {
    use crypto_box::aead::rand_core::RngCore;
    crypto_box::aead::OsRng.fill_bytes(buf);
}

fn read(reader: &str, access: &Access) -> Result<emrtd::DocumentRead, Error> {
    let readers = Readers::establish().expect("pcscd runs");
    let mut card = readers.connect(reader).expect("a card in the slot");
    emrtd::read(
        &mut card,
        access,
        &csca(),
        now(),
        &mut random,
        &Deadline::never(),
    )
}

fn specimen() -> Access {
    Access::Mrz(AccessKey::from_mrz(SPECIMEN).expect("specimen MRZ"))
}

#[test]
fn bac_read_of_a_real_face_gives_the_portrait_byte_for_byte() {
    if !enabled() {
        return;
    }
    let _t = turn();
    let photo = face("Adel_Al-Jubeir");
    insert(0, &["--photo", photo.to_str().expect("utf-8 path")]);
    let doc = read(SLOT0, &specimen()).expect("BAC read");
    assert_eq!(doc.access, Protocol::Bac);
    assert_eq!(
        doc.dg1.as_ref().expect("DG1 parses").document_number,
        "L898902C"
    );
    assert_eq!(
        doc.portrait.image,
        std::fs::read(&photo).expect("photo"),
        "portrait differs from the card's photo"
    );
    assert_eq!(doc.passive_authentication.result, PaResult::Valid);
    // The face engine finds the face in the portrait read from the chip.
    let frame = examgate::imaging::decode(&doc.portrait.image).expect("portrait decodes");
    assert_eq!(common::engine().analyze(&frame).expect("engine").faces, 1);
}

#[test]
fn pace_with_mrz_and_with_can_on_every_curve() {
    if !enabled() {
        return;
    }
    let _t = turn();
    for (curve, cipher, expected, bits) in [
        ("brainpoolP256r1", "aes128", Curve::BrainpoolP256, 128),
        ("secp256r1", "aes192", Curve::P256, 192),
        ("brainpoolP384r1", "aes256", Curve::BrainpoolP384, 256),
        ("secp384r1", "aes128", Curve::P384, 128),
    ] {
        insert(
            0,
            &[
                "--pace",
                curve,
                "--pace-cipher",
                cipher,
                "--can",
                "482915",
                "--pace-only",
            ],
        );
        for (access, password) in [
            (specimen(), "mrz"),
            (Access::Can(Zeroizing::new("482915".into())), "can"),
        ] {
            let doc =
                read(SLOT0, &access).unwrap_or_else(|e| panic!("{curve} {cipher} {password}: {e}"));
            assert_eq!(
                doc.access,
                Protocol::Pace {
                    curve: expected,
                    aes_bits: bits,
                    password
                },
                "{curve}"
            );
            assert_eq!(
                doc.passive_authentication.result,
                PaResult::Valid,
                "{curve} {password}"
            );
        }
        let wrong = read(SLOT0, &Access::Can(Zeroizing::new("482916".into())));
        assert!(
            matches!(wrong, Err(Error::AccessDenied { protocol: "PACE" })),
            "{curve}: {wrong:?}"
        );
    }
}

#[test]
fn a_td1_id_card_reads_with_its_own_mrz() {
    if !enabled() {
        return;
    }
    let _t = turn();
    let td1 = "I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
    insert(0, &["--mrz", td1]);
    let doc = read(SLOT0, &Access::Mrz(AccessKey::from_mrz(td1).expect("TD1"))).expect("TD1 read");
    assert_eq!(
        (
            doc.dg1.as_ref().expect("DG1 parses").document_code.as_str(),
            doc.dg1
                .as_ref()
                .expect("DG1 parses")
                .document_number
                .as_str()
        ),
        ("I", "D23145890")
    );
    assert!(doc.dg1.as_ref().expect("DG1 parses").check_digits_valid);
}

#[test]
fn a_corrupt_dg2_is_reported_and_a_wrong_mrz_is_access_denied() {
    if !enabled() {
        return;
    }
    let _t = turn();
    insert(0, &["--corrupt-dg2"]);
    let doc = read(SLOT0, &specimen()).expect("a failed check does not stop the read");
    assert_eq!(
        doc.passive_authentication.result,
        PaResult::HashMismatch { dg: 2 }
    );
    let wrong =
        Access::Mrz(AccessKey::from_fields("L898902C", "690806", "940624").expect("well formed"));
    let err = read(SLOT0, &wrong).expect_err("wrong expiry");
    assert!(
        matches!(err, Error::AccessDenied { protocol: "BAC" }),
        "{err:?}"
    );
    assert!(err.to_string().contains("do not open this chip"), "{err}");
}

#[test]
fn a_uid_only_card_gives_its_uid_and_is_no_emrtd() {
    if !enabled() {
        return;
    }
    let _t = turn();
    insert(1, &["--type", "uid", "--uid", "04A1B2C3D4E5F6"]);
    let readers = Readers::establish().expect("pcscd");
    let mut card = readers.connect(SLOT1).expect("card");
    assert_eq!(
        emrtd::uid(&mut card, &Deadline::never()),
        Some(vec![0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6])
    );
    assert!(!emrtd::is_emrtd(&mut card, &Deadline::never()).expect("identifies"));
}

/// A large portrait: a dev face scaled up and saved at high quality (over 32767 bytes, so
/// the read goes past the plain READ BINARY offsets).
fn large_portrait(dir: &std::path::Path) -> PathBuf {
    let img = image::open(face("Arantxa_Sanchez-Vicario"))
        .expect("dev photo")
        .to_rgb8();
    let big = image::imageops::resize(&img, 900, 900, image::imageops::FilterType::Triangle);
    let path = dir.join("large-portrait.jpg");
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 95)
        .encode_image(&big)
        .expect("encode");
    assert!(
        bytes.len() > 40_000,
        "{} bytes is too small to test offsets above 32767",
        bytes.len()
    );
    std::fs::write(&path, bytes).expect("write portrait");
    path
}

/// A transport that pulls the card (kills the virtual card's process) after `after` APDUs.
struct Puller<T: Transport> {
    inner: T,
    sent: u32,
    after: u32,
}

impl<T: Transport> Transport for Puller<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent += 1;
        if self.sent == self.after {
            common::cards::remove(0);
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        self.inner.transmit(apdu)
    }

    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }
}

#[test]
fn reads_above_32767_and_a_card_pulled_mid_dg2_then_the_next_card_reads() {
    if !enabled() {
        return;
    }
    let _t = turn();
    let dir = std::env::temp_dir().join(format!("examgate-card-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let photo = large_portrait(&dir);
    let photo_arg = photo.to_str().expect("utf-8 path");
    insert(0, &["--photo", photo_arg]);
    let doc = read(SLOT0, &specimen()).expect("large read");
    assert_eq!(doc.portrait.image, std::fs::read(&photo).expect("photo"));
    assert_eq!(doc.passive_authentication.result, PaResult::Valid);
    let dg2 = doc
        .files
        .iter()
        .find(|f| f.file == "DG2")
        .expect("DG2 timing");
    assert!(dg2.bytes > 32_767 && dg2.apdus > 140, "{dg2:?}");

    insert(0, &["--photo", photo_arg]);
    let readers = Readers::establish().expect("pcscd");
    let card = readers.connect(SLOT0).expect("card");
    let mut puller = Puller {
        inner: card,
        sent: 0,
        after: 40,
    };
    let started = examgate::platform::clock::Stopwatch::start();
    let err = emrtd::read(
        &mut puller,
        &specimen(),
        &csca(),
        now(),
        &mut random,
        &Deadline::never(),
    )
    .expect_err("the card left");
    assert!(
        matches!(
            err,
            Error::Transport(
                TransportError::CardRemoved | TransportError::ReaderGone | TransportError::Other(_)
            )
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed().as_secs() < 20,
        "the read hung for {:?}",
        started.elapsed()
    );
    drop(puller);

    insert(0, &[]);
    let doc = read(SLOT0, &specimen()).expect("the next card reads fine");
    assert_eq!(doc.passive_authentication.result, PaResult::Valid);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_readers_read_at_once() {
    if !enabled() {
        return;
    }
    let _t = turn();
    insert(
        0,
        &["--photo", face("Adel_Al-Jubeir").to_str().expect("path")],
    );
    insert(
        1,
        &[
            "--doc",
            "AB1234567",
            "--dob",
            "900101",
            "--exp",
            "300101",
            "--photo",
            face("Alejandro_Atchugarry").to_str().expect("path"),
        ],
    );
    let second =
        Access::Mrz(AccessKey::from_fields("AB1234567", "900101", "300101").expect("fields"));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| read(SLOT0, &specimen()));
        let b = s.spawn(|| read(SLOT1, &second));
        (a.join().expect("thread"), b.join().expect("thread"))
    });
    assert_eq!(
        a.expect("slot 0").dg1.expect("DG1 parses").document_number,
        "L898902C"
    );
    assert_eq!(
        b.expect("slot 1").dg1.expect("DG1 parses").document_number,
        "AB1234567"
    );
}

#[test]
fn card_read_json_reports_and_writes_the_portrait() {
    if !enabled() {
        return;
    }
    let _t = turn();
    let photo = face("Adel_Al-Jubeir");
    insert(0, &["--photo", photo.to_str().expect("path")]);
    let out_file =
        std::env::temp_dir().join(format!("examgate-portrait-{}.jpg", std::process::id()));
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_examgate"))
            .args([
                "card",
                "read",
                "--json",
                "--reader",
                SLOT0,
                "--csca",
                "/tmp/vicc-passport-pki/csca.pem",
            ])
            .args(extra)
            .output()
            .expect("card read runs")
    };
    let ok = run(&[
        "--doc",
        "L898902C",
        "--dob",
        "690806",
        "--exp",
        "940623",
        "--portrait-out",
        out_file.to_str().expect("path"),
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("one JSON object");
    assert_eq!(v["card"], "emrtd");
    assert_eq!(v["access"]["protocol"], "BAC");
    assert_eq!(v["dg1"]["surname"], "ERIKSSON");
    assert_eq!(v["portrait"]["format"], "jpeg");
    assert_eq!(v["passive_authentication"]["result"], "valid");
    assert!(v["timings"]["apdus"].as_u64().is_some_and(|n| n > 5));
    assert_eq!(
        std::fs::read(&out_file).expect("portrait written"),
        std::fs::read(&photo).expect("photo")
    );
    let denied = run(&["--doc", "L898902C", "--dob", "690806", "--exp", "940624"]);
    assert_eq!(denied.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&denied.stdout).expect("JSON error");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("BAC refused")),
        "{v}"
    );
    let _ = std::fs::remove_file(&out_file);
}

#[test]
fn events_report_presence_and_removal_waits_cancel_and_a_reset_card_reconnects() {
    if !enabled() {
        return;
    }
    let _t = turn();
    insert(0, &[]);
    let mut readers = Readers::establish().expect("pcscd");
    // The first wait reports every card already present.
    let first = readers
        .next_events(Some(std::time::Duration::from_secs(5)))
        .expect("events");
    assert!(
        first.iter().any(|e| matches!(e, examgate::card::pcsc_reader::Event::Present { reader, .. } if reader == SLOT0)),
        "{first:?}"
    );
    // The card leaves (its process ends): Removed; a new one comes: Present.
    common::cards::remove(0);
    let wait_for = |readers: &mut Readers, present: bool| {
        let mut seen = Vec::new();
        for _ in 0..20 {
            seen.extend(
                readers
                    .next_events(Some(std::time::Duration::from_millis(500)))
                    .expect("events"),
            );
            let hit = seen.iter().any(|e| match e {
                examgate::card::pcsc_reader::Event::Present { reader, .. } => {
                    present && reader == SLOT0
                }
                examgate::card::pcsc_reader::Event::Removed { reader } => {
                    !present && reader == SLOT0
                }
                _ => false,
            });
            if hit {
                return seen;
            }
        }
        panic!(
            "no {} event: {seen:?}",
            if present { "Present" } else { "Removed" }
        );
    };
    wait_for(&mut readers, false);
    insert(0, &[]);
    wait_for(&mut readers, true);
    // A wait with nothing happening is cancelled from another thread.
    let canceller = readers.canceller();
    let waiter = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        canceller.cancel();
    });
    let cancelled = readers.next_events(None);
    waiter.join().expect("thread");
    assert_eq!(
        cancelled,
        Err(examgate::card::pcsc_reader::ReaderError::Cancelled)
    );

    // Another handle that disconnects with a reset: ours sees CardReset, reconnects, reads.
    let mut card = readers.connect(SLOT0).expect("card");
    assert!(emrtd::uid(&mut card, &Deadline::never()).is_some());
    drop(readers.connect(SLOT0).expect("second handle"));
    let err = card
        .transmit(&[0xFF, 0xCA, 0x00, 0x00, 0x00])
        .expect_err("the card was reset");
    assert_eq!(err, TransportError::CardReset);
    card.reconnect().expect("reconnect");
    let doc = emrtd::read(
        &mut card,
        &specimen(),
        &csca(),
        now(),
        &mut random,
        &Deadline::never(),
    )
    .expect("reads after reconnect");
    assert_eq!(doc.passive_authentication.result, PaResult::Valid);
}

#[test]
fn card_watch_prints_the_present_card() {
    if !enabled() {
        return;
    }
    let _t = turn();
    insert(0, &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_examgate"))
        .args(["card", "watch"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("card watch starts");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("present Virtual PCD 00 00 ATR 3b80800101"),
        "{text}"
    );
}

/// The time of a read: now (the virtual passport's test PKI is made valid from its creation).
fn now() -> i64 {
    use examgate::platform::clock::Clock;
    examgate::platform::clock::SystemClock.now_utc_ms()
}
