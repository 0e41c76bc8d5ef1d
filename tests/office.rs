//! The exam office (issue 14) on the demo's real export: init from the demo's packages and
//! keys, ingest, status, report, proxies and evidence through the CLI; and each way an
//! export is refused, with the office database left as it was.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::packages::{examgate, scratch};

/// The headless demo run into `work` (its packages, keys and export).
fn demo(work: &Path) -> PathBuf {
    let out = examgate()
        .args(["demo", "--headless", "--work"])
        .arg(work)
        .arg("--samples")
        .arg(common::root().join("assets/samples"))
        .output()
        .expect("demo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let export = std::fs::read_dir(work.join("export"))
        .expect("export dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "examgate-log"))
        .expect("the demo's export");
    export
}

fn run(args: &[&str]) -> Output {
    examgate().args(args).output().expect("examgate runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn init(work: &Path, db: &Path) {
    let keys = work.join("keys");
    let out = examgate()
        .args(["office", "init", "--db"])
        .arg(db)
        .arg("--packages")
        .arg(work.join("packages"))
        .arg("--office-key")
        .arg(format!("@{}", keys.join("office-sign.pub").display()))
        .arg("--kiosk-keys")
        .arg(&keys)
        .output()
        .expect("init");
    assert!(out.status.success(), "{}", text(&out));
}

fn ingest(db: &Path, files: &[&Path]) -> Output {
    examgate()
        .args(["office", "ingest", "--db"])
        .arg(db)
        .args(files)
        .output()
        .expect("ingest")
}

/// What the office holds: (exports, events, evidence rows).
fn held(db: &Path) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(db).expect("office db");
    let count = |t: &str| -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
            .expect("count")
    };
    (count("exports"), count("events"), count("evidence"))
}

/// A copy of `export` changed by `change` (on its SQLite tables).
fn altered(export: &Path, dir: &Path, name: &str, change: &str) -> PathBuf {
    let copy = dir.join(format!("{name}.examgate-log"));
    std::fs::copy(export, &copy).expect("copy");
    let conn = rusqlite::Connection::open(&copy).expect("open copy");
    // The log's triggers refuse changes: a forger drops them first.
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("triggers");
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {t}"))
            .expect("drop trigger");
    }
    conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {change}"))
        .expect("change");
    drop(conn);
    copy
}

#[test]
fn the_demo_export_is_ingested_once_reported_and_its_proxy_found() {
    let work = scratch("office-demo");
    let export = demo(&work);
    let db = work.join("office.db");
    init(&work, &db);
    let out = ingest(&db, &[&export]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = held(&db);
    assert_eq!(after.0, 1);
    assert!(after.1 > 10 && after.2 >= 3, "{after:?}");
    // Twice: nothing changes.
    let out = ingest(&db, &[&export]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).contains("already held"), "{}", text(&out));
    assert_eq!(held(&db), after);

    let status = run(&[
        "office",
        "status",
        "--json",
        "--db",
        db.to_str().expect("utf-8"),
    ]);
    let rows: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    let r101 = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["room"] == "R101")
        .expect("R101");
    assert_eq!(r101["export"], true);
    assert_eq!(r101["sealed"], true);
    assert_eq!(r101["admitted"], 2, "{r101}");
    assert!(r101["seal_code"].as_str().is_some_and(|c| c.contains('·')));

    // The demo plays its resident-ID holder with the genuine candidate's face: one face
    // admitted under two tickets.
    let key = work.join("keys/office-evidence.key");
    let proxies = run(&[
        "office",
        "proxies",
        "--json",
        "--db",
        db.to_str().expect("utf-8"),
        "--evidence-key",
        key.to_str().expect("utf-8"),
    ]);
    let p: serde_json::Value = serde_json::from_slice(&proxies.stdout).expect("json");
    let pairs = p["pairs"].as_array().expect("pairs");
    assert!(
        pairs.iter().any(|x| {
            let t = [x["a"][0].as_str(), x["b"][0].as_str()];
            t.contains(&Some("2027010001")) && t.contains(&Some("2027010021"))
        }),
        "{p}"
    );

    let report_dir = work.join("report");
    let out = run(&[
        "office",
        "report",
        "--db",
        db.to_str().expect("utf-8"),
        "--out",
        report_dir.to_str().expect("utf-8"),
        "--evidence-key",
        key.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let index = std::fs::read_to_string(report_dir.join("index.html")).expect("index");
    assert!(
        index.contains("session-chinese.html") && !index.contains("http"),
        "self-contained"
    );
    let rooms = std::fs::read_to_string(report_dir.join("attendance-rooms.csv")).expect("csv");
    assert!(
        rooms.contains("chinese,S01,R101,20,2,2,2,18,true,true,"),
        "{rooms}"
    );

    // Evidence for a hearing, and the opening logged.
    let ev = work.join("hearing");
    let out = run(&[
        "office",
        "evidence",
        "--db",
        db.to_str().expect("utf-8"),
        "--evidence-key",
        key.to_str().expect("utf-8"),
        "--ticket",
        "2027010002",
        "--out",
        ev.to_str().expect("utf-8"),
        "--by",
        "Hearing Chair",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let crop = std::fs::read_dir(&ev)
        .expect("crops")
        .filter_map(Result::ok)
        .next()
        .expect("a crop");
    image::open(crop.path()).expect("a JPEG face crop");
    let conn = rusqlite::Connection::open(&db).expect("db");
    let by: String = conn
        .query_row("SELECT opened_by FROM evidence_opened", [], |r| r.get(0))
        .expect("logged");
    assert_eq!(by, "Hearing Chair");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn each_bad_export_is_quarantined_with_its_reason_and_nothing_of_it_kept() {
    let work = scratch("office-bad");
    let export = demo(&work);
    let db = work.join("office.db");
    init(&work, &db);
    let bad = work.join("bad");
    std::fs::create_dir_all(&bad).expect("dir");
    let truncated = bad.join("truncated.examgate-log");
    let bytes = std::fs::read(&export).expect("export");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            altered(&export, &bad, "payload", "UPDATE events SET payload = CAST(CAST(payload AS TEXT) || ' ' AS BLOB) WHERE seq = 2"),
            "does not verify",
        ),
        (
            altered(&export, &bad, "signature", "UPDATE events SET signature = zeroblob(64) WHERE seq = 3"),
            "does not verify",
        ),
        (
            altered(&export, &bad, "swapped", "UPDATE events SET seq = 100000 WHERE seq = 4; UPDATE events SET seq = 4 WHERE seq = 5; UPDATE events SET seq = 5 WHERE seq = 100000"),
            "does not verify",
        ),
        (
            altered(&export, &bad, "tail", "DELETE FROM events WHERE seq >= (SELECT MAX(seq) - 1 FROM events)"),
            "does not verify",
        ),
        (
            altered(&export, &bad, "evidence", "DELETE FROM evidence WHERE rowid = (SELECT MIN(rowid) FROM evidence)"),
            "does not verify",
        ),
        (
            altered(&export, &bad, "unregistered", "UPDATE kiosk SET kiosk_id = 'K-S99-R999'; UPDATE events SET kiosk_id = 'K-S99-R999'; UPDATE export_trailer SET kiosk_id = 'K-S99-R999'"),
            "not registered",
        ),
        (truncated, "not a readable exported log"),
    ];
    for (file, why) in &cases {
        let out = ingest(&db, &[file]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}: {}",
            file.display(),
            text(&out)
        );
        assert!(
            text(&out).contains(why),
            "{}: wanted {why:?} in {}",
            file.display(),
            text(&out)
        );
        assert_eq!(held(&db), (0, 0, 0), "{}: nothing kept", file.display());
        let mut reason = db.as_os_str().to_owned();
        reason.push(".quarantine");
        let reason = PathBuf::from(reason).join(format!(
            "{}.reason.txt",
            file.file_name().expect("name").to_string_lossy()
        ));
        assert!(reason.is_file(), "{}", reason.display());
    }

    // The good export goes in; a kiosk registered for another room is refused.
    let out = ingest(&db, &[&export]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = held(&db);
    let other = work.join("other-room");
    std::fs::create_dir_all(&other).expect("dir");
    let db2 = work.join("office2.db");
    for f in std::fs::read_dir(work.join("keys"))
        .expect("keys")
        .filter_map(Result::ok)
    {
        std::fs::copy(f.path(), other.join(f.file_name())).expect("copy key");
    }
    std::fs::write(other.join("kiosk-K-S01-R101.room"), "S01/R102\n").expect("room");
    let out = examgate()
        .args(["office", "init", "--db"])
        .arg(&db2)
        .arg("--packages")
        .arg(work.join("packages"))
        .arg("--office-key")
        .arg(format!("@{}", other.join("office-sign.pub").display()))
        .arg("--kiosk-keys")
        .arg(&other)
        .output()
        .expect("init");
    assert!(out.status.success(), "{}", text(&out));
    let out = ingest(&db2, &[&export]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out).contains("registered for S01/R102"),
        "{}",
        text(&out)
    );
    assert_eq!(held(&db2), (0, 0, 0));
    assert_eq!(held(&db), before);
    let _ = std::fs::remove_dir_all(&work);
}
