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

/// (distinct tickets admitted, referrals, denials) of the office database, by SQL.
fn counted_in_db(db: &Path) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(db).expect("db");
    let one = |q: &str| -> i64 { conn.query_row(q, [], |r| r.get(0)).expect(q) };
    let admitted = one("SELECT COUNT(DISTINCT t) FROM (
           SELECT json_extract(CAST(payload AS TEXT), '$.ticket') AS t FROM events
             WHERE kind = 'decision' AND json_extract(CAST(payload AS TEXT), '$.verdict') = 'admit'
           UNION SELECT json_extract(CAST(payload AS TEXT), '$.ticket') FROM events
             WHERE kind = 'referral_resolved'
               AND json_extract(CAST(payload AS TEXT), '$.verdict.verdict') = 'admit'
           UNION SELECT json_extract(CAST(payload AS TEXT), '$.ticket') FROM events
             WHERE kind = 'manual_admission')");
    let verdicts = |v: &str| {
        one(&format!(
            "SELECT COUNT(*) FROM events WHERE kind = 'decision'
               AND json_extract(CAST(payload AS TEXT), '$.verdict') = '{v}'"
        ))
    };
    (admitted, verdicts("refer"), verdicts("deny"))
}

/// The page opened in headless Chromium (Debian's package), its screenshot written to
/// `png` (a person looks at it; the test checks it is a real, non-blank picture). Without
/// Chromium the test says so, and fails in CI, which installs it.
fn screenshot(page: &Path, png: &Path) {
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        assert!(
            std::env::var_os("EXAMGATE_CARD_TESTS").is_none(),
            "chromium is missing: .ci/setup-debian.sh --card-tests installs it"
        );
        eprintln!("no chromium: the report's screenshot is skipped");
        return;
    };
    let profile = png.with_extension("profile");
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,1600")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let img = image::open(png)
        .unwrap_or_else(|e| {
            panic!(
                "no screenshot ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .to_rgb8();
    assert_eq!(img.dimensions(), (1280, 1600));
    let distinct: std::collections::HashSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(
        distinct.len() > 50,
        "a blank page: {} colours",
        distinct.len()
    );
    let keep = std::env::temp_dir().join("examgate-office-report.png");
    let _ = std::fs::copy(png, &keep);
    eprintln!("report screenshot: {}", keep.display());
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

/// `office init` of `db` from `packages` and the keys in `keys`.
fn init_with(db: &Path, packages: &Path, keys: &Path) -> Output {
    examgate()
        .args(["office", "init", "--db"])
        .arg(db)
        .arg("--packages")
        .arg(packages)
        .arg("--office-key")
        .arg(format!("@{}", keys.join("office-sign.pub").display()))
        .arg("--kiosk-keys")
        .arg(keys)
        .output()
        .expect("init")
}

/// `office init` from the demo's packages and keys, which must succeed.
fn init(work: &Path, db: &Path) {
    let out = init_with(db, &work.join("packages"), &work.join("keys"));
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
    // The same export in other bytes (re-saved by a SQLite tool): still nothing new.
    let resaved = altered(&export, &work, "resaved", "SELECT 1");
    assert_ne!(std::fs::read(&resaved).ok(), std::fs::read(&export).ok());
    let out = ingest(&db, &[&resaved]);
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
    // The page's numbers against the database, counted here with SQL on the events.
    let (admitted, referred, denied) = counted_in_db(&db);
    let page = std::fs::read_to_string(report_dir.join("session-chinese.html")).expect("page");
    for want in [
        format!("入场 Admitted {admitted}"),
        format!("核验 Referred {referred}"),
        format!("拒绝 Denied {denied}"),
    ] {
        assert!(page.contains(&want), "the session page lacks {want:?}");
    }
    assert!(
        page.contains("<svg") && page.contains("迟到截止 late cutoff"),
        "charts"
    );
    screenshot(
        &report_dir.join("session-chinese.html"),
        &work.join("report-session.png"),
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
    // (name, the change to the export's tables, what the refusal says)
    let changes = [
        ("payload", "UPDATE events SET payload = CAST(CAST(payload AS TEXT) || ' ' AS BLOB) WHERE seq = 2", "does not verify"),
        ("signature", "UPDATE events SET signature = zeroblob(64) WHERE seq = 3", "does not verify"),
        ("swapped", "UPDATE events SET seq = 100000 WHERE seq = 4; UPDATE events SET seq = 4 WHERE seq = 5; UPDATE events SET seq = 5 WHERE seq = 100000", "does not verify"),
        ("tail", "DELETE FROM events WHERE seq >= (SELECT MAX(seq) - 1 FROM events)", "does not verify"),
        ("evidence", "DELETE FROM evidence WHERE rowid = (SELECT MIN(rowid) FROM evidence)", "does not verify"),
        ("unregistered", "UPDATE kiosk SET kiosk_id = 'K-S99-R999'; UPDATE events SET kiosk_id = 'K-S99-R999'; UPDATE export_trailer SET kiosk_id = 'K-S99-R999'", "not registered"),
    ];
    let mut cases: Vec<(PathBuf, &str)> = changes
        .iter()
        .map(|(name, change, why)| (altered(&export, &bad, name, change), *why))
        .collect();
    cases.push((truncated, "not a readable exported log"));
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
    let out = init_with(&db2, &work.join("packages"), &other);
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

// ---------------------------------------------------------------------------------------
// A synthetic exam written through the real journal code (office::synthetic).
// ---------------------------------------------------------------------------------------

use examgate::office::db::OfficeDb;
use examgate::office::ingest::{self as office_ingest, Options, Outcome};
use examgate::office::synthetic::{self, SyntheticSpec};
use examgate::office::{facts, init as office_init, proxies};
use examgate::platform::keystore::KeyStore;

const SEED: u64 = 16;

/// A one-room exam of `candidates` over `sessions`, its office database initialised: (the
/// written exam, the database path).
fn synthetic_exam(
    name: &str,
    candidates: usize,
    sessions: usize,
    face: &(dyn Fn(usize, usize) -> synthetic::Face + Sync),
) -> (PathBuf, synthetic::Written, PathBuf) {
    let dir = scratch(name);
    let spec = SyntheticSpec {
        candidates,
        rooms: 1,
        sites: 1,
        sessions,
        seed: SEED,
    };
    let written = synthetic::write(&dir, &spec, face).expect("synthetic exam");
    let db = dir.join("office.db");
    let office = examgate::platform::keystore::parse_public_key(
        std::fs::read_to_string(written.keys.join("office-sign.pub"))
            .expect("key")
            .trim(),
        "office",
    )
    .expect("office key");
    office_init::init(&db, &written.packages, &office, &written.keys).expect("init");
    (dir, written, db)
}

fn random_face(candidate: usize, _session: usize) -> synthetic::Face {
    (
        synthetic::grey_crop(),
        synthetic::random_unit(candidate as u64 + 1, 512),
    )
}

/// The exports of the one kiosk, oldest first.
fn exports(w: &synthetic::Written) -> Vec<PathBuf> {
    office_ingest::collect(std::slice::from_ref(&w.exports)).expect("exports")
}

fn take(db: &Path, file: &Path) -> Outcome {
    let db = OfficeDb::open(db).expect("db");
    office_ingest::ingest(&db, file, 0, Options::default()).expect("ingest runs")
}

#[test]
fn a_missing_middle_export_and_a_fork_are_refused_and_named() {
    let (dir, w, db) = synthetic_exam("office-chain", 12, 3, &random_face);
    let e = exports(&w);
    assert_eq!(e.len(), 3);
    assert!(matches!(take(&db, &e[0]), Outcome::Ingested { .. }));
    let before = held(&db);
    // The third without the second: the kiosk logged the second export, the office lacks it.
    match take(&db, &e[2]) {
        Outcome::Rejected(why) => assert!(
            why.contains("exported")
                && why.contains(&*e[1].file_name().expect("name").to_string_lossy())
                && why.contains("ingest it first"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(held(&db), before, "nothing of it kept");
    assert!(matches!(take(&db, &e[1]), Outcome::Ingested { .. }));
    assert!(matches!(take(&db, &e[2]), Outcome::Ingested { .. }));
    // An older export after a newer one adds nothing and is no fork.
    let all = held(&db);

    // A fork: the kiosk's log copied before one more event, and each copy goes on with a
    // different event at the same sequence number.
    let log = std::fs::read_dir(dir.join("kiosks"))
        .expect("kiosk logs")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "db"))
        .expect("the kiosk's log");
    let kiosk_id = log
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned();
    let kiosk_id = kiosk_id.as_str();
    let copy = dir.join("kiosks/copy.db");
    std::fs::copy(&log, &copy).expect("copy the log");
    let key = synthetic::kiosk_key(SEED, kiosk_id);
    let export_one = |path: &Path, who: &str, out: &str| -> PathBuf {
        let mut j = examgate::journal::Journal::open(path, kiosk_id, &key.verifying_key())
            .expect("open log");
        let e = examgate::journal::events::Event::Unlock {
            invigilator: who.into(),
        };
        j.append(&e.kind(), &e.payload(), 1, &key).expect("append");
        let file = w.exports.join(out);
        j.export_to(&file, &key, 2).expect("export");
        file
    };
    let a = export_one(&log, "T1", "fork-a.examgate-log");
    let b = export_one(&copy, "T2", "fork-b.examgate-log");
    assert!(matches!(
        take(&db, &a),
        Outcome::Ingested { new_events: 2, .. }
    ));
    let before = held(&db);
    assert!(before.1 > all.1);
    match take(&db, &b) {
        Outcome::Rejected(why) => assert!(
            why.contains("fork at event") && why.contains("invigilator_unlock"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(held(&db), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The first person of the dev set with two photos, and the next `n` people's first photo.
fn dev_photos(n: usize) -> Option<((PathBuf, PathBuf), Vec<PathBuf>)> {
    let dev = common::dev_set()?;
    let mut people: Vec<PathBuf> = std::fs::read_dir(&dev)
        .expect("dev set")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    people.sort();
    let photos = |p: &Path| {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .expect("person")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    };
    let twin = people.iter().find(|p| photos(p).len() >= 2)?;
    let t = photos(twin);
    let others: Vec<PathBuf> = people
        .iter()
        .filter(|p| *p != twin)
        .take(n)
        .map(|p| photos(p)[0].clone())
        .collect();
    Some(((t[0].clone(), t[1].clone()), others))
}

fn face_of(photo: &Path) -> synthetic::Face {
    let img = image::open(photo).expect("photo").to_rgb8();
    let a = common::engine().analyze(&img).expect("analysis");
    let face = a.face.expect("a face in every dev photo");
    let e = face.embedding.expect("an embedding");
    (std::fs::read(photo).expect("jpeg"), e.as_slice().to_vec())
}

#[test]
fn a_planted_proxy_is_found_and_a_clean_exam_has_none() {
    let Some(((twin_a, twin_b), others)) = dev_photos(11) else {
        eprintln!("no dev set: skipped");
        return;
    };
    let mut faces: Vec<synthetic::Face> = others.iter().map(|p| face_of(p)).collect();
    faces.push(face_of(&twin_a));
    let clean = faces.clone();
    // Ticket 2027000003 (candidate 2) and ticket 2027000012 (candidate 11), both admitted
    // by the synthetic door: two photos of one person.
    faces[2] = face_of(&twin_b);
    for (name, faces, want) in [("office-clean", clean, 0), ("office-proxy", faces, 1)] {
        let pick = |c: usize, _s: usize| faces[c % faces.len()].clone();
        let (dir, w, db) = synthetic_exam(name, faces.len(), 1, &pick);
        for e in exports(&w) {
            assert!(matches!(take(&db, &e), Outcome::Ingested { .. }));
        }
        let office = OfficeDb::open(&db).expect("db");
        let f = facts::load(&office).expect("facts");
        let secret = examgate::platform::keystore::parse_hex32(
            std::fs::read_to_string(w.keys.join("office-evidence.key"))
                .expect("key")
                .trim(),
            "key",
        )
        .expect("hex");
        let admissions = proxies::admissions(&office, &f, &secret).expect("open evidence");
        assert!(admissions.len() >= 10, "{}", admissions.len());
        let pairs = proxies::proxies(&admissions, f.proxy_threshold);
        assert_eq!(pairs.len(), want, "{name}: {pairs:?}");
        if want == 1 {
            let mut t = [pairs[0].a.0.as_str(), pairs[0].b.0.as_str()];
            t.sort_unstable();
            assert_eq!(t, ["2027000003", "2027000012"], "{pairs:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A second kiosk, in the demo's room R102, that admits its own candidate and, by hand, the
/// genuine candidate already admitted in R101: taken in (one odd admission does not refuse
/// a room's log) and reported as admitted in two rooms.
#[test]
fn a_candidate_admitted_in_two_rooms_is_reported() {
    use examgate::decision::Decision;
    use examgate::journal::actions::ReasonCode;
    use examgate::journal::events::{DecisionEvent, Event, ManualAdmission, SessionOpened};
    use examgate::journal::seal::{Attestation, Counts, Report, Seal};
    use examgate::platform::keystore::SeedKeyStore;

    let work = scratch("office-two-rooms");
    let export = demo(&work);
    let key = SeedKeyStore::from_seed(&[0x52; 32]);
    let keys = work.join("keys");
    std::fs::write(
        keys.join("kiosk-K-S01-R102.pub"),
        examgate::platform::keystore::hex(key.verifying_key().as_bytes()),
    )
    .expect("pub");
    std::fs::write(keys.join("kiosk-K-S01-R102.room"), "S01/R102\n").expect("room");
    let log = work.join("r102.db");
    let mut j =
        examgate::journal::Journal::open(&log, "K-S01-R102", &key.verifying_key()).expect("log");
    let at = examgate::kiosk::demo::at(8, 45, 0);
    for e in [
        Event::SessionOpened(SessionOpened {
            session: "chinese".into(),
            resumed_decisions: 0,
        }),
        Event::Decision(Box::new(DecisionEvent::new(
            "2027010003",
            &Decision::Admit { seat: 5 },
            None,
            None,
        ))),
        Event::ManualAdmission(ManualAdmission {
            ticket: "2027010001".into(),
            seat: 6,
            reason: ReasonCode::IdentityConfirmedByHand,
            invigilator: "T003".into(),
            second_invigilator: "T004".into(),
        }),
    ] {
        j.append(&e.kind(), &e.payload(), at, &key).expect("append");
    }
    let att = |who: &str| Attestation {
        invigilator: who.into(),
        at_ms: at,
    };
    let seal = Seal::new(
        "chinese",
        Counts::new(1, 2, 0, 0),
        Report::Zero,
        [att("T003"), att("T004")],
        j.head_hash(),
    )
    .expect("seal");
    let e = Event::Seal(seal);
    j.append(&e.kind(), &e.payload(), at, &key).expect("seal");
    let second = work.join("export/K-S01-R102-chinese.examgate-log");
    j.export_to(&second, &key, at).expect("export");
    drop(j);

    let db = work.join("office.db");
    init(&work, &db);
    let out = ingest(&db, &[&export, &second]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report_dir = work.join("report");
    let out = run(&[
        "office",
        "report",
        "--db",
        db.to_str().expect("utf-8"),
        "--out",
        report_dir.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // Attendance counts each room's own candidates once.
    let status = run(&[
        "office",
        "status",
        "--json",
        "--db",
        db.to_str().expect("utf-8"),
    ]);
    let rows: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    let room = |r: &str| {
        rows.as_array()
            .expect("rows")
            .iter()
            .find(|x| x["room"] == r)
            .cloned()
            .expect("room")
    };
    assert_eq!(
        (
            room("R101")["admitted"].clone(),
            room("R101")["absent"].clone()
        ),
        (2.into(), 18.into())
    );
    assert_eq!(
        (
            room("R102")["admitted"].clone(),
            room("R102")["absent"].clone()
        ),
        (1.into(), 0.into())
    );
    let two = std::fs::read_to_string(report_dir.join("admitted-in-two-rooms.csv")).expect("csv");
    assert_eq!(
        two, "session,ticket,rooms\nchinese,2027010001,S01/R101 S01/R102\n",
        "{two}"
    );
    let index = std::fs::read_to_string(report_dir.join("index.html")).expect("index");
    assert!(
        index.contains("Admitted in two rooms in one session (1)"),
        "the overview names it"
    );
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn init_refuses_a_package_that_does_not_verify_and_writes_nothing() {
    let work = scratch("office-init-bad");
    demo(&work);
    let json = work.join("packages/S01/R102/package.json");
    let signed = std::fs::read_to_string(&json).expect("package.json");
    std::fs::write(&json, signed.replacen("\"seats\":", "\"seats\": ", 1)).expect("write");
    let db = work.join("office.db");
    let out = init_with(&db, &work.join("packages"), &work.join("keys"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("S01/R102") && text(&out).contains("signature"),
        "{}",
        text(&out)
    );
    assert!(!db.exists(), "no database from a bad package");
    let _ = std::fs::remove_dir_all(&work);
}
