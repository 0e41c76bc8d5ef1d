//! Building room packages from the example inputs for tests: scratch directories, office
//! keys, the example files (spoilable copies) and `examgate package build`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use examgate::platform::clock::Clock;

/// The examgate binary (set by cargo for integration tests).
pub fn examgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_examgate"))
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("examgate-pkg-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

pub fn keys(dir: &Path) -> PathBuf {
    keys_with_kiosks(dir, &[])
}

/// The office keys and a signing key per kiosk id (`kiosk-<id>.key`) in `dir`.
pub fn keys_with_kiosks(dir: &Path, kiosks: &[&str]) -> PathBuf {
    let out = examgate()
        .args(["keys", "gen", "--out"])
        .arg(dir)
        .args(kiosks.iter().flat_map(|k| ["--kiosk", k]))
        .output()
        .expect("keys gen runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.to_path_buf()
}

pub fn examples() -> PathBuf {
    super::root().join("assets/examples")
}

/// The example inputs copied into `dir` (so tests can spoil them), photos included.
pub fn inputs(dir: &Path) -> PathBuf {
    let inp = dir.join("inputs");
    std::fs::create_dir_all(inp.join("photos")).expect("photos dir");
    std::fs::create_dir_all(inp.join("csca")).expect("csca dir");
    for f in ["exam.toml", "candidates.csv", "invigilators.csv"] {
        std::fs::copy(examples().join(f), inp.join(f)).expect("copy example");
    }
    std::fs::copy(
        examples().join("csca/example-csca.pem"),
        inp.join("csca/example-csca.pem"),
    )
    .expect("copy csca");
    for p in ["obama.jpg", "biden.jpg"] {
        std::fs::copy(super::sample(p), inp.join("photos").join(p)).expect("copy photo");
    }
    inp
}

pub fn build(inp: &Path, keys: &Path, out: &Path, extra: &[&str]) -> Output {
    build_with_env(inp, keys, out, extra, &[])
}

/// [`build`] with environment variables set (`SOURCE_DATE_EPOCH`).
pub fn build_with_env(
    inp: &Path,
    keys: &Path,
    out: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Output {
    examgate()
        .envs(env.iter().copied())
        .args(["package", "build", "--exam"])
        .arg(inp.join("exam.toml"))
        .arg("--candidates")
        .arg(inp.join("candidates.csv"))
        .arg("--invigilators")
        .arg(inp.join("invigilators.csv"))
        .arg("--photos")
        .arg(inp.join("photos"))
        .arg("--csca")
        .arg(inp.join("csca"))
        .arg("--office-key")
        .arg(keys.join("office-sign.key"))
        .arg("--out")
        .arg(out)
        .arg("--models")
        .arg(super::models_dir())
        .args(["--threads", "2"])
        .args(extra)
        .output()
        .expect("package build runs")
}

/// The example inputs built into `dir/packages` and room S01/R101's package opened as the
/// kiosk opens it, at `at_ms` (milliseconds since the epoch).
pub fn example_room_package(dir: &Path, at_ms: i64) -> examgate::package::open::VerifiedPackage {
    room_package(dir, at_ms, &[])
}

/// [`example_room_package`] with `extra` rows appended to candidates.csv (their photos
/// among obama.jpg and biden.jpg).
pub fn room_package(
    dir: &Path,
    at_ms: i64,
    extra: &[&str],
) -> examgate::package::open::VerifiedPackage {
    let office = keys(&dir.join("office"));
    let inp = inputs(dir);
    if !extra.is_empty() {
        let path = inp.join("candidates.csv");
        let mut csv = std::fs::read_to_string(&path).expect("candidates.csv");
        for row in extra {
            csv += row;
            csv += "\n";
        }
        std::fs::write(&path, csv).expect("candidates.csv");
    }
    let out = dir.join("packages");
    let built = build(&inp, &office, &out, &[]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let key = examgate::platform::keystore::parse_public_key(
        &std::fs::read_to_string(office.join("office-sign.pub")).expect("office public key"),
        "office key",
    )
    .expect("key");
    examgate::package::open::open(&out.join("S01/R101"), &key, None, at_ms).expect("package opens")
}

/// An exam.toml whose one session (S01/R101, "maths", 08:30–11:30) is today, its UTC
/// offset chosen so that the exam-local time now is 08:40: entry open, not late.
pub fn todays_exam_toml() -> String {
    // The kiosk reads the same system clock.
    let secs = examgate::platform::clock::SystemClock
        .now_utc_ms()
        .div_euclid(1000);
    let mut offset = 8 * 60 + 40 - secs.rem_euclid(86_400) / 60;
    if offset >= 12 * 60 {
        offset -= 24 * 60;
    }
    if offset < -12 * 60 {
        offset += 24 * 60;
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let date = chrono::DateTime::from_timestamp(secs + offset * 60, 0)
        .expect("a representable time")
        .date_naive();
    format!(
        r#"name = "Kiosk test exam"
utc_offset = "{sign}{:02}:{:02}"

[[session]]
id = "maths"
subject = "Maths"
date = {date}
entry_opens = "08:30"
start = "09:00"
end = "11:30"

[[site]]
id = "S01"
name = "Test School"
rooms = [{{ id = "R101", seats = 30 }}]
"#,
        offset.abs() / 60,
        offset.abs() % 60
    )
}
