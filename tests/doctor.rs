//! `examgate doctor` (issue 16, first part): a ready kiosk passes, and each way a door is
//! not ready is named with its fix: a missing or altered model, a package for another room
//! or out of date, a kiosk key others can read, a log that does not verify, no frames.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::packages::{build, examgate, keys_with_kiosks, scratch, todays_exam_toml};
use serde_json::Value;

/// Keys, today's exam built for S01/R101 and a kiosk.toml for `room` whose models are in
/// `models` and whose camera replays one frame: (config, package).
fn door(dir: &Path, room: &str, exam_toml: &str, models: &Path) -> (PathBuf, PathBuf) {
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
    let built = build(&inp, &keys, &dir.join("packages"), &["--skip-bad"]);
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
    let out = examgate()
        .args(["doctor", "--json", "--config"])
        .arg(config)
        .arg("--package")
        .arg(package)
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
    assert!(found.contains("no image files"), "{found}");
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
