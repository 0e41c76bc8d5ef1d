//! `examgate doctor` (issue 16): a ready kiosk passes, and each way a door is not ready is
//! named with its fix: a missing or altered model, a package for another room or out of
//! date, a clock before the package was built, a kiosk key others can read, a log that does
//! not verify, no frames, no reader, a bridge that dies. The installer's clock confirmation
//! is logged; a frame is saved with --snap and the face at the mark reported; a tapped card
//! is read with --test-card.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::packages::{build_with_env, examgate, keys_with_kiosks, scratch, todays_exam_toml};
use serde_json::Value;

/// Keys, today's exam built for S01/R101 and a kiosk.toml for `room` whose models are in
/// `models` and whose camera replays one frame: (config, package).
fn door(dir: &Path, room: &str, exam_toml: &str, models: &Path) -> (PathBuf, PathBuf) {
    door_built(dir, room, exam_toml, models, &[])
}

/// [`door`], the package built with `env` set.
fn door_built(
    dir: &Path,
    room: &str,
    exam_toml: &str,
    models: &Path,
    env: &[(&str, &str)],
) -> (PathBuf, PathBuf) {
    let keys = keys_with_kiosks(&dir.join("keys"), &["K-T1"]);
    let inp = common::packages::inputs(dir);
    std::fs::write(inp.join("exam.toml"), exam_toml).expect("exam.toml");
    std::fs::write(
        inp.join("candidates.csv"),
        "ticket,name,sex,birth_date,doc_type,doc_number,doc_expiry,can,card_uid,photo,maths_site,maths_room,maths_seat\n\
         2027090001,\"OBAMA, BARACK\",M,2011-08-04,none,,,,,obama.jpg,S01,R101,7\n",
    )
    .expect("candidates.csv");
    std::fs::write(
        inp.join("invigilators.csv"),
        "id,name,rooms,pin\nT001,Teacher,S01/R101,480613927\nT002,Second,S01/R101,905127384\n",
    )
    .expect("invigilators.csv");
    let built = build_with_env(&inp, &keys, &dir.join("packages"), &["--skip-bad"], env);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    std::fs::create_dir_all(dir.join("frames")).expect("frames");
    std::fs::copy(common::sample("obama3.jpg"), dir.join("frames/live.jpg")).expect("frame");
    let config = dir.join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "kiosk_id = \"K-T1\"\nroom = \"{room}\"\noffice_key = \"keys/office-sign.pub\"\n\
             kiosk_key = \"keys/kiosk-K-T1.key\"\nlog = \"kiosk-log.db\"\nexport_dir = \"export\"\n\
             models = \"{}\"\n\n[camera]\ndirectory = \"frames\"\n",
            models.display()
        ),
    )
    .expect("kiosk.toml");
    (config, dir.join("packages/S01/R101"))
}

/// `doctor --json`: (exit code, the report).
fn doctor(config: &Path, package: &Path) -> (Option<i32>, Value) {
    doctor_with(config, package, &[])
}

/// `doctor --json` with more options.
fn doctor_with(config: &Path, package: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let out = examgate()
        .args(["doctor", "--json", "--config"])
        .arg(config)
        .arg("--package")
        .arg(package)
        .args(extra)
        .output()
        .expect("examgate runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

/// The check named `name`: (status, found, fix).
fn check(report: &Value, name: &str) -> (String, String, String) {
    let c = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report}"));
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    (s("status"), s("found"), s("fix"))
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Without pcscd (no card tests) the reader check fails; everything else must pass.
fn failed_besides_the_reader(report: &Value) -> Vec<String> {
    let mut f = failed(report);
    if !common::cards::enabled() {
        f.retain(|n| n != "reader");
    }
    f
}

#[test]
fn a_ready_kiosk_passes_every_check_and_prints_its_public_key() {
    let dir = scratch("doctor-ready");
    let (config, package) = door(&dir, "S01/R101", &todays_exam_toml(), &common::models_dir());
    let (code, report) = doctor(&config, &package);
    assert_eq!(
        failed_besides_the_reader(&report),
        Vec::<String>::new(),
        "{report}"
    );
    if common::cards::enabled() {
        assert_eq!(code, Some(0), "{report}");
        assert_eq!(report["ready"], true);
    }
    let public = std::fs::read_to_string(dir.join("keys/kiosk-K-T1.pub")).unwrap_or_default();
    let (status, found, _) = check(&report, "kiosk key");
    assert_eq!(status, "pass");
    assert!(found.contains("mode 600"), "{found}");
    if !public.trim().is_empty() {
        assert!(found.contains(public.trim()), "{found} lacks {public}");
    }
    let (status, found, fix) = check(&report, "clock");
    assert_eq!(status, "warn", "the installer is asked to compare it");
    assert!(
        found.contains("first session") && fix.contains("reference clock"),
        "{found}"
    );
    // The text form: one line per check.
    let out = examgate()
        .args(["doctor", "--config"])
        .arg(&config)
        .arg("--package")
        .arg(&package)
        .output()
        .expect("examgate runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✔ room package: Kiosk test exam S01/R101"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_or_altered_model_is_named_with_the_fetch_script_as_fix() {
    let dir = scratch("doctor-models");
    let models = dir.join("models");
    std::fs::create_dir_all(&models).expect("models dir");
    for kind in examgate::face::ModelKind::ALL {
        let name = kind.file_name();
        if name != "fr_eye.onnx" && name != "onet.onnx" {
            std::os::unix::fs::symlink(common::models_dir().join(name), models.join(name))
                .expect("link");
        }
    }
    // fr_eye.onnx missing; onet.onnx present but not what the pin says.
    std::fs::write(models.join("onet.onnx"), b"not a model").expect("write");
    let (config, package) = door(&dir, "S01/R101", &todays_exam_toml(), &models);
    let (code, report) = doctor(&config, &package);
    assert_eq!(code, Some(1));
    let (status, found, fix) = check(&report, "model fr_eye.onnx");
    assert_eq!(status, "fail");
    assert!(
        found.contains("cannot read") && fix.contains("models/fetch.sh"),
        "{found}"
    );
    let (status, found, _) = check(&report, "model onet.onnx");
    assert_eq!(status, "fail");
    assert!(found.contains("pinned"), "{found}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_package_for_another_room_or_out_of_date_fails() {
    let dir = scratch("doctor-room");
    let (config, package) = door(&dir, "S01/R102", &todays_exam_toml(), &common::models_dir());
    let (code, report) = doctor(&config, &package);
    assert_eq!(code, Some(1));
    let (status, found, _) = check(&report, "room package");
    assert_eq!(status, "fail");
    assert!(found.contains("R101") && found.contains("R102"), "{found}");
    let _ = std::fs::remove_dir_all(&dir);

    // The same exam a century ago (2026 → 1926): its package expired long since.
    let dir = scratch("doctor-expired");
    let old = todays_exam_toml().replacen("date = 20", "date = 19", 1);
    let (config, package) = door(&dir, "S01/R101", &old, &common::models_dir());
    let (code, report) = doctor(&config, &package);
    assert_eq!(code, Some(1));
    let (status, found, _) = check(&report, "room package");
    assert_eq!(status, "fail");
    assert!(found.contains("expired"), "{found}");
    // The clock is the likelier culprit: it has its own line.
    let (status, found, fix) = check(&report, "clock");
    assert_eq!(status, "fail");
    assert!(
        found.contains("valid only until") && fix.contains("reference clock"),
        "{found}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_kiosk_key_others_can_read_a_broken_log_and_no_frames_fail() {
    let dir = scratch("doctor-key-log");
    let (config, package) = door(&dir, "S01/R101", &todays_exam_toml(), &common::models_dir());
    let key = dir.join("keys/kiosk-K-T1.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::write(dir.join("kiosk-log.db"), b"this is not a log").expect("write");
    std::fs::remove_file(dir.join("frames/live.jpg")).expect("rm frame");
    let (code, report) = doctor(&config, &package);
    assert_eq!(code, Some(1));
    let (status, found, fix) = check(&report, "kiosk key");
    assert_eq!(status, "fail");
    assert!(
        found.contains("644") && fix.starts_with("chmod 600"),
        "{found} / {fix}"
    );
    let (status, found, _) = check(&report, "log");
    assert_eq!(status, "fail", "{found}");
    let (status, found, _) = check(&report, "camera");
    assert_eq!(status, "fail");
    assert!(found.contains("no .jpg or .png files"), "{found}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_configuration_that_does_not_load_is_one_failed_check() {
    let dir = scratch("doctor-config");
    std::fs::write(dir.join("kiosk.toml"), "kiosk_id = 3\n").expect("write");
    let (code, report) = doctor(&dir.join("kiosk.toml"), &dir);
    assert_eq!(code, Some(1));
    assert_eq!(failed(&report), ["configuration"]);
    let _ = std::fs::remove_dir_all(&dir);
}

fn now_s() -> i64 {
    use examgate::platform::clock::Clock;
    examgate::platform::clock::SystemClock.now_utc_ms() / 1000
}

#[test]
fn r16_a_clock_before_the_package_was_built_fails() {
    let dir = scratch("doctor-built");
    // Built (by the office's clock) a day after the kiosk's now.
    let tomorrow = (now_s() + 86_400).to_string();
    let (config, package) = door_built(
        &dir,
        "S01/R101",
        &todays_exam_toml(),
        &common::models_dir(),
        &[("SOURCE_DATE_EPOCH", &tomorrow)],
    );
    let (code, report) = doctor(&config, &package);
    assert_eq!(code, Some(1), "{report}");
    let (status, found, fix) = check(&report, "clock");
    assert_eq!(status, "fail", "{report}");
    assert!(
        found.contains("before the package was built") && fix.contains("timedatectl"),
        "{found}"
    );
    let (status, _, _) = check(&report, "room package");
    assert_eq!(status, "pass", "the package itself is fine");
    // A confirmation does not make a provably wrong clock right.
    let (code, report) = doctor_with(&config, &package, &["--confirm-clock", "Installer Wang"]);
    assert_eq!(code, Some(1));
    assert_eq!(check(&report, "clock").0, "fail");
    assert!(
        !dir.join("kiosk-log.db").exists(),
        "nothing logged for a clock that is wrong"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn r16_the_installer_s_clock_confirmation_is_logged() {
    let dir = scratch("doctor-confirm");
    let (config, package) = door(&dir, "S01/R101", &todays_exam_toml(), &common::models_dir());
    let (_, report) = doctor_with(&config, &package, &["--confirm-clock", "Installer Wang"]);
    let (status, found, _) = check(&report, "clock");
    assert_eq!(status, "pass", "{report}");
    assert!(found.contains("confirmed by Installer Wang"), "{found}");
    let rows = examgate::journal::read(&dir.join("kiosk-log.db"))
        .expect("the log was made")
        .rows;
    let events: Vec<examgate::journal::events::Event> = rows
        .iter()
        .map(|r| examgate::journal::events::Event::parse(&r.kind, &r.payload).expect("typed"))
        .collect();
    assert!(
        matches!(
            events.as_slice(),
            [examgate::journal::events::Event::ClockChecked { by, kiosk_time_ms }]
                if by == "Installer Wang" && (kiosk_time_ms / 1000 - now_s()).abs() < 600
        ),
        "{events:?}"
    );
    // The log, with the confirmation in it, verifies.
    let (_, report) = doctor(&config, &package);
    let (status, found, _) = check(&report, "log");
    assert_eq!(status, "pass", "{found}");
    assert!(found.contains("1 events"), "{found}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn r16_a_frame_is_saved_and_the_face_at_the_mark_reported() {
    let dir = scratch("doctor-snap");
    let (config, package) = door(&dir, "S01/R101", &todays_exam_toml(), &common::models_dir());
    let snap = dir.join("door.png");
    let (_, report) = doctor_with(
        &config,
        &package,
        &["--snap", snap.to_str().expect("utf-8")],
    );
    assert_eq!(check(&report, "snapshot").0, "pass", "{report}");
    let saved = image::open(&snap).expect("a PNG").to_rgb8();
    let live = image::open(common::sample("obama3.jpg")).expect("jpeg");
    assert_eq!(saved.dimensions(), (live.width(), live.height()));
    let (status, found, _) = check(&report, "face at the mark");
    assert_eq!(status, "pass", "{found}");
    assert!(found.contains("a face found"), "{found}");
    let (status, found, _) = check(&report, "camera");
    assert_eq!(status, "pass");
    assert!(found.contains("frame arrived"), "{found}");

    // Nobody at the mark: reported, not a failure.
    image::RgbImage::from_pixel(640, 480, image::Rgb([200, 200, 200]))
        .save(dir.join("frames/live.jpg"))
        .expect("write");
    let (_, report) = doctor(&config, &package);
    let (status, found, fix) = check(&report, "face at the mark");
    assert_eq!(status, "warn", "{found}");
    assert!(fix.contains("stand at the mark"), "{fix}");
    assert!(!failed(&report).contains(&"face at the mark".to_string()));
    let _ = std::fs::remove_dir_all(&dir);
}

/// kiosk.toml's [reader] section added to a door's configuration.
fn with_reader(config: &Path, reader: &str) {
    let mut text = std::fs::read_to_string(config).expect("kiosk.toml");
    text = text.replace("\n[camera]", &format!("\n[reader]\n{reader}\n\n[camera]"));
    std::fs::write(config, text).expect("kiosk.toml");
}

#[test]
fn r16_no_reader_and_a_bridge_that_dies_fail_a_running_bridge_passes() {
    let dir = scratch("doctor-reader");
    let (config, package) = door(&dir, "S01/R101", &todays_exam_toml(), &common::models_dir());
    let bridge = common::root().join("tests/fixtures/fake-bridge.sh");
    with_reader(
        &config,
        &format!(
            "name = \"No Such Reader 00 00\"\nbridge = \"{}\"\nbridge_args = [\"die\"]",
            bridge.display()
        ),
    );
    let (code, report) = doctor(&config, &package);
    assert_eq!(code, Some(1));
    let (status, found, fix) = check(&report, "reader");
    assert_eq!(status, "fail");
    if common::cards::enabled() {
        assert!(found.contains("No Such Reader 00 00"), "{found}");
        assert!(fix.contains("plug in"), "{fix}");
    }
    let (status, found, _) = check(&report, "resident-ID bridge");
    assert_eq!(status, "fail");
    assert!(found.contains("exited"), "{found}");

    // A bridge that runs and waits for a card, and one that answers with a card.
    let config_text = std::fs::read_to_string(&config).expect("kiosk.toml");
    std::fs::write(&config, config_text.replace("[\"die\"]", "[\"silent\"]")).expect("write");
    let (_, report) = doctor(&config, &package);
    let (status, found, _) = check(&report, "resident-ID bridge");
    assert_eq!(status, "pass", "{found}");
    assert!(found.contains("waits for a card"), "{found}");
    let photo = common::sample("obama3.jpg");
    std::fs::write(
        &config,
        config_text.replace("[\"die\"]", &format!("[\"good\", \"{}\"]", photo.display())),
    )
    .expect("write");
    let (_, report) = doctor(&config, &package);
    let (status, found, _) = check(&report, "resident-ID bridge");
    assert_eq!(status, "pass", "{found}");
    assert!(
        found.contains("answered with a card (ID number ending 002X"),
        "{found}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn r16_a_tapped_card_is_read_with_test_card() {
    if !common::cards::enabled() {
        return;
    }
    let dir = scratch("doctor-card");
    let (config, package) = door(&dir, "S01/R101", &todays_exam_toml(), &common::models_dir());
    common::cards::insert(1, &["--type", "uid", "--uid", "04A1B2C3D4E5F6"]);
    with_reader(&config, "name = \"Virtual PCD 00 01\"");
    let (_, report) = doctor_with(&config, &package, &["--test-card", "--card-timeout", "10"]);
    common::cards::remove(1);
    let (status, found, _) = check(&report, "test card");
    assert_eq!(status, "pass", "{report}");
    assert!(
        found.contains("Virtual PCD 00 01") && found.contains("UID 04a1b2c3d4e5f6"),
        "{found}"
    );
    // Nothing tapped: a failure naming the wait.
    let (_, report) = doctor_with(&config, &package, &["--test-card", "--card-timeout", "1"]);
    let (status, found, _) = check(&report, "test card");
    assert_eq!(status, "fail");
    assert!(found.contains("no card within 1 s"), "{found}");
    let _ = std::fs::remove_dir_all(&dir);
}
