//! `examgate demo` as a user runs it: headless, every outcome of the script printed in
//! order and the kiosk's log verifying; with `--screenshots`, a PNG of every screen the
//! script passes through, in English.

mod common;

use std::path::Path;

fn demo(work: &Path, extra: &[&str]) -> (String, String) {
    let out = common::packages::examgate()
        .arg("demo")
        .arg("--work")
        .arg(work)
        .arg("--models")
        .arg(common::models_dir())
        .arg("--samples")
        .arg(common::root().join("assets/samples"))
        .args(extra)
        .output()
        .expect("examgate demo runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn headless_demo_prints_every_outcome_in_order_and_its_log_verifies() {
    let dir = common::packages::scratch("demo-headless");
    let work = dir.join("work");
    let (stdout, _) = demo(&work, &["--headless"]);
    let decisions: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            ["  ADMIT ", "  REFER ", "  DENY "]
                .iter()
                .any(|v| l.starts_with(v))
        })
        .collect();
    let expected = [
        ("2027010001", "ADMIT 2027010001: seat 1"),
        // r11: the resident ID card holder, tapped first through the bridge.
        ("2027010021", "ADMIT 2027010021: seat 21"),
        ("2027010002", "REFER 2027010002: "),
        (
            "2027010003",
            "DENY 2027010003: wrong room, go to S01/R102 seat 5",
        ),
        ("2027010001", "already admitted this session"),
        (
            "2027010004",
            "DENY 2027010004: late (entry closed at 09:15)",
        ),
    ];
    assert_eq!(decisions.len(), expected.len(), "{stdout}");
    for (line, (ticket, what)) in decisions.iter().zip(expected) {
        assert!(
            line.contains(ticket) && line.contains(what),
            "{line:?} should be {ticket} {what}"
        );
    }
    assert!(
        stdout.contains("face does not match the registration photo")
            && stdout.contains("face does not match the document photo"),
        "the impostor matches neither photo: {stdout}"
    );
    // r11: people read words, not Rust Debug text.
    assert!(
        !stdout.contains("GoTo(") && !stdout.contains("Placement {"),
        "{stdout}"
    );
    // r11: each narration line comes just before the decision it narrates.
    let lines: Vec<&str> = stdout.lines().collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in {stdout}"))
    };
    let narrated = [
        ("— a genuine candidate", "ADMIT 2027010001"),
        ("— a resident ID card holder", "ADMIT 2027010021"),
        ("— an impostor", "REFER 2027010002"),
        ("— a candidate at the wrong room", "DENY 2027010003"),
        ("— a candidate after the late cutoff", "DENY 2027010004"),
    ];
    for pair in narrated.windows(2) {
        let ((say, decided), (next_say, _)) = (pair[0], pair[1]);
        assert!(
            at(say) < at(decided) && at(decided) < at(next_say),
            "{say:?} before {decided:?} before {next_say:?}: {stdout}"
        );
    }

    // Issue 12: the seal code is printed at the seal, and the kiosk key at the end.
    let seal_code = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("SEALED: seal code "))
        .and_then(|rest| rest.split(" (").next())
        .unwrap_or_else(|| panic!("no seal code printed: {stdout}"))
        .to_string();
    assert!(
        at("SEALED: seal code") > at("— an incident, then the seal"),
        "{stdout}"
    );
    let kiosk_key = stdout
        .lines()
        .find_map(|l| l.split("--kiosk-key ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no kiosk key printed: {stdout}"));

    // The kiosk's own log (--live: it has no trailer) and the exported copy both verify
    // against the printed key and seal code, seal included.
    let log = work.join("kiosk-log.db");
    let exported: Vec<_> = std::fs::read_dir(work.join("export"))
        .expect("export dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(exported.len(), 1, "one export");
    for (file, live) in [(log, true), (exported[0].clone(), false)] {
        let mut verify = common::packages::examgate();
        verify
            .args(["log", "verify", "--kiosk-key", &kiosk_key])
            .args(["--seal-code", &seal_code]);
        if live {
            verify.arg("--live");
        }
        let out = verify.arg(&file).output().expect("log verify");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        // Both referrals' crops, and both admissions' crops with their embeddings
        // ([policy] seal_admissions, on by default: the office's proxy check).
        assert!(text.contains("4 sealed evidence items match"), "{text}");
        assert!(text.contains(&format!("seal code {seal_code}")), "{text}");
        assert_eq!(
            text.contains("export trailer signed by the kiosk matches"),
            !live,
            "{text}"
        );
    }
    // Without the kiosk key nothing is verified: the key in the file proves nothing.
    let out = common::packages::examgate()
        .args(["log", "verify"])
        .arg(&exported[0])
        .output()
        .expect("log verify");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("--kiosk-key is required") && said.contains("proves nothing"),
        "{said}"
    );
    let shown = common::packages::examgate()
        .args(["log", "show"])
        .arg(work.join("kiosk-log.db"))
        .output()
        .expect("log show");
    let text = String::from_utf8_lossy(&shown.stdout);
    for kind in [
        "device_lost",
        "device_recovered",
        "invigilator_pin_rejected",
        "invigilator_unlock",
        "referral_resolved",
        "incident",
        "seal",
    ] {
        assert!(text.contains(kind), "no {kind} in the log:\n{text}");
    }
    // A demo refuses a work directory with something in it (it would mix two exams).
    let out = common::packages::examgate()
        .arg("demo")
        .arg("--headless")
        .arg("--work")
        .arg(&work)
        .output()
        .expect("examgate demo runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not empty"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn screenshots_of_every_screen_the_script_passes_through() {
    let dir = common::packages::scratch("demo-shots");
    let shots = dir.join("shots");
    let (stdout, _) = demo(
        &dir.join("work"),
        &[
            "--screenshots",
            shots.to_str().expect("utf-8"),
            "--lang",
            "en",
        ],
    );
    assert!(stdout.contains("screenshots"), "{stdout}");
    let mut names: Vec<String> = std::fs::read_dir(&shots)
        .expect("shots")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .collect();
    names.sort();
    for screen in [
        "idle",
        "reading",
        "capture",
        "result",
        "device-error",
        "pin",
        "invigilator",
        "review",
        "incidents",
        "seal",
    ] {
        assert!(
            names.iter().any(|n| n.contains(&format!("-{screen}-en"))),
            "no {screen} screenshot in {names:?}"
        );
    }
    for n in &names {
        let img = image::open(shots.join(n)).expect("a PNG").to_rgb8();
        assert_eq!(img.dimensions(), (1280, 800), "{n}");
        let first = img.get_pixel(0, 200);
        assert!(
            img.pixels().filter(|p| *p != first).count() > 10_000,
            "{n} is nearly blank"
        );
    }
}
