//! `examgate package build|verify` end to end on the example files in `assets/examples/`,
//! the fetched sample photos and the real face models: a good build verifies; a package
//! signed by another key, for another room, edited after signing, with an edited directory,
//! unsigned or out of its validity period is refused; bad inputs give their line numbers and
//! write nothing; a photo without a face fails the build unless `--skip-bad`.

mod common;

use common::packages::{build, examgate, inputs, keys, scratch};

use std::path::Path;

const DURING_EXAM: &str = "2027-06-12T08:40";

fn verify(dir: &Path, keys: &Path, room: &str, at: &str) -> (bool, String) {
    let out = examgate()
        .args(["package", "verify"])
        .arg(dir)
        .arg("--office-key")
        .arg(format!("@{}", keys.join("office-sign.pub").display()))
        .args(["--room", room, "--at", at])
        .output()
        .expect("package verify runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "verify must decide, not fail: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

#[test]
fn a_built_package_verifies_and_every_kind_of_tampering_is_refused() {
    let dir = scratch("tamper");
    let office = keys(&dir.join("office"));
    let other = keys(&dir.join("other"));
    let inp = inputs(&dir);
    let out = dir.join("packages");
    let built = build(&inp, &office, &out, &[]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let r101 = out.join("S01/R101");
    let (ok, text) = verify(&r101, &office, "S01/R101", DURING_EXAM);
    assert!(ok, "{text}");
    assert!(text.contains("2 candidates, 2 invigilators"), "{text}");
    assert!(verify(&out.join("S01/R102"), &office, "S01/R102", DURING_EXAM).0);

    // For another room.
    let (ok, text) = verify(&r101, &office, "S01/R102", DURING_EXAM);
    assert!(
        !ok && text.contains("for room S01/R101, this kiosk stands at S01/R102"),
        "{text}"
    );

    // Outside the validity period, both ends.
    let (ok, text) = verify(&r101, &office, "S01/R101", "2027-06-13T00:00");
    assert!(
        !ok && text.contains("expired at 2027-06-12 23:59:59"),
        "{text}"
    );
    let (ok, text) = verify(&r101, &office, "S01/R101", "2027-06-04T23:59");
    assert!(
        !ok && text.contains("valid from 2027-06-05 00:00:00"),
        "{text}"
    );

    // Signed by another key: the same inputs built with the other office's key.
    let foreign = dir.join("foreign");
    assert!(build(&inp, &other, &foreign, &[]).status.success());
    let (ok, text) = verify(&foreign.join("S01/R101"), &office, "S01/R101", DURING_EXAM);
    assert!(!ok && text.contains("not by the office key"), "{text}");

    // Edited after signing: one seat number changed in package.json.
    let edited = dir.join("edited");
    copy_dir(&r101, &edited);
    let json = std::fs::read_to_string(edited.join("package.json")).expect("json");
    let changed = json.replacen("\"chinese\":2", "\"chinese\":3", 1);
    assert_ne!(json, changed, "the edit must change the file");
    std::fs::write(edited.join("package.json"), changed).expect("write");
    let (ok, text) = verify(&edited, &office, "S01/R101", DURING_EXAM);
    assert!(
        !ok && text.contains("changed after it was signed"),
        "{text}"
    );

    // The shared directory edited: a candidate sent to another seat.
    let redirected = dir.join("redirected");
    copy_dir(&r101, &redirected);
    let csv = std::fs::read_to_string(redirected.join("directory.csv")).expect("csv");
    std::fs::write(
        redirected.join("directory.csv"),
        csv.replace("math,S01,R102,5", "math,S01,R102,6"),
    )
    .expect("write");
    let (ok, text) = verify(&redirected, &office, "S01/R101", DURING_EXAM);
    assert!(!ok && text.contains("directory.csv has SHA-256"), "{text}");

    // Unsigned.
    let unsigned = dir.join("unsigned");
    copy_dir(&r101, &unsigned);
    std::fs::remove_file(unsigned.join("package.sig")).expect("rm sig");
    let (ok, text) = verify(&unsigned, &office, "S01/R101", DURING_EXAM);
    assert!(!ok && text.contains("unsigned"), "{text}");

    // A second build into the same directory is refused, and the first is untouched.
    let again = build(&inp, &office, &out, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    assert!(verify(&r101, &office, "S01/R101", DURING_EXAM).0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Replace `from` by `to` in the input file `name` (asserting the text changed).
fn spoil(inp: &Path, name: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(inp.join(name)).expect("read input");
    let spoiled = text.replacen(from, to, 1);
    assert_ne!(text, spoiled, "{name}: {from:?} not found");
    std::fs::write(inp.join(name), spoiled).expect("write input");
}

#[test]
fn bad_inputs_are_named_by_file_and_line_and_nothing_is_written() {
    let cases: [(&str, &str, &str, &str); 6] = [
        ("candidates.csv", "2011-08-04", "2011-02-30", "candidates.csv line 2: birth_date \"2011-02-30\" is not a date (YYYY-MM-DD)"),
        ("candidates.csv", "110105201111200034", "110105201111200035", "candidates.csv line 3: doc_number \"110105201111200035\" check character is 5, expected 4 (ISO 7064 MOD 11-2)"),
        ("candidates.csv", "S01,R102,5", "S01,R101,1", "candidates.csv line 3: session math: seat S01/R101/1 is already taken by ticket 2027010001 (line 2)"),
        ("candidates.csv", "S01,R101,2", "S01,R101,31", "candidates.csv line 3: session chinese: seat 31 is beyond room S01/R101's 30 seats"),
        ("invigilators.csv", "T003,王老师,S01/R102", "T003,王老师,S01/R103", "invigilators.csv line 4: unknown room S01/R103"),
        ("exam.toml", "start = \"14:30\"", "start = \"14:70\"", "exam.toml line 23: session \"math\": start \"14:70\" is not a time (HH:MM)"),
    ];
    let dir = scratch("bad");
    let office = keys(&dir.join("office"));
    for (i, (file, from, to, expected)) in cases.into_iter().enumerate() {
        let case = dir.join(format!("case{i}"));
        let inp = inputs(&case);
        spoil(&inp, file, from, to);
        let out = case.join("packages");
        let built = build(&inp, &office, &out, &[]);
        let stderr = String::from_utf8_lossy(&built.stderr);
        assert_eq!(built.status.code(), Some(1), "{expected}: {stderr}");
        assert!(
            stderr.lines().any(|l| l.ends_with(expected)),
            "{expected}\n got {stderr}"
        );
        assert!(!out.exists(), "{expected}: something was written");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Excel's "CSV UTF-8" (a byte-order mark, CRLF lines) builds like the plain file; Excel's
/// "CSV (Comma delimited)" on Chinese Windows (GBK) is refused on the line of its first
/// Chinese character, with the way to re-save it, and nothing is written.
#[test]
fn an_excel_saved_csv_builds_and_a_gbk_one_is_refused_with_the_fix() {
    let dir = scratch("excel");
    let office = keys(&dir.join("office"));
    let inp = inputs(&dir.join("utf8-bom"));
    let text = std::fs::read_to_string(inp.join("candidates.csv")).expect("read");
    let excel = [&b"\xEF\xBB\xBF"[..], text.replace('\n', "\r\n").as_bytes()].concat();
    std::fs::write(inp.join("candidates.csv"), excel).expect("write");
    let built = build(&inp, &office, &dir.join("utf8-bom/packages"), &[]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    let inp = inputs(&dir.join("gbk"));
    let text = std::fs::read_to_string(inp.join("candidates.csv")).expect("read");
    let (first, rest) = text.split_once('\n').expect("a header");
    let (ticket, row) = rest.split_once(',').expect("a row");
    // 张伟 in GBK before the first candidate's name.
    let gbk = [
        format!("{first}\n{ticket},").as_bytes(),
        b"\xD5\xC5\xCE\xB0",
        row.as_bytes(),
    ]
    .concat();
    std::fs::write(inp.join("candidates.csv"), gbk).expect("write");
    let out = dir.join("gbk/packages");
    let built = build(&inp, &office, &out, &[]);
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert_eq!(built.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("candidates.csv line 2: not UTF-8 text (byte 0xD5")
            && stderr.contains("GBK")
            && stderr.contains("CSV UTF-8 (Comma delimited)"),
        "{stderr}"
    );
    assert!(!out.exists(), "something was written");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_room_with_one_invigilator_fails_the_build() {
    let dir = scratch("one-invigilator");
    let office = keys(&dir.join("office"));
    let inp = inputs(&dir);
    spoil(
        &inp,
        "invigilators.csv",
        "T003,王老师,S01/R102,361840572\n",
        "",
    );
    let built = build(&inp, &office, &dir.join("packages"), &[]);
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert_eq!(built.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("room S01/R102 has only T001; 2 are needed"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 13: "eyes closed" misreads narrow eyes, so it never refuses a registration photo
/// on its own; the office gets a warning naming the line. Ray_Allen_0002 (dev-large) has
/// his eyes shut tight: the one real closed-eye photo of the dev sets.
#[test]
fn a_photo_with_closed_eyes_is_used_with_a_warning() {
    let Some(large) = common::dev_large_set() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI has dev-large"
        );
        return eprintln!("skipped: no dev-large set");
    };
    let dir = scratch("closed-eyes");
    let office = keys(&dir.join("office"));
    let inp = inputs(&dir);
    std::fs::copy(
        large.join("Ray_Allen/Ray_Allen_0002.jpg"),
        inp.join("photos/eyes-shut.jpg"),
    )
    .expect("copy photo");
    spoil(&inp, "candidates.csv", "biden.jpg", "eyes-shut.jpg");
    let out = dir.join("packages");
    let built = build(&inp, &office, &out, &[]);
    let stdout = String::from_utf8_lossy(&built.stdout);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert!(
        stdout.contains("warning: line 3: ticket 2027010002: photo eyes-shut.jpg: EyesClosed"),
        "{stdout}"
    );
    assert!(stdout.contains("(2 candidates)"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_photo_without_a_face_fails_the_build_unless_skipped() {
    let dir = scratch("noface");
    let office = keys(&dir.join("office"));
    let inp = inputs(&dir);
    // A grey card where biden.jpg was: decodable, no face.
    image::RgbImage::from_pixel(400, 500, image::Rgb([128, 128, 128]))
        .save(inp.join("photos/grey.png"))
        .expect("write png");
    spoil(&inp, "candidates.csv", "biden.jpg", "grey.png");
    let out = dir.join("packages");
    let built = build(&inp, &office, &out, &[]);
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert_eq!(built.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("candidates.csv line 3: ticket 2027010002: photo grey.png: no face found"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written without --skip-bad");

    let built = build(&inp, &office, &out, &["--skip-bad"]);
    let stdout = String::from_utf8_lossy(&built.stdout);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert!(
        stdout.contains("skipped line 3: ticket 2027010002"),
        "{stdout}"
    );
    assert!(
        stdout.contains("wrote 1 room packages (1 candidates)"),
        "{stdout}"
    );
    let (ok, text) = verify(&out.join("S01/R101"), &office, "S01/R101", DURING_EXAM);
    assert!(ok && text.contains("1 candidates"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_door_roster_from_a_package_finds_candidates_and_sends_the_wrong_room_on() {
    use examgate::decision::{
        self, Decision, DocumentEvidence, Evidence, FaceEvidence, Guidance, PaperEvidence,
        TicketNumber,
    };
    use examgate::kiosk::roster::Roster;

    let dir = scratch("roster");
    let at = chrono::NaiveDate::from_ymd_opt(2027, 6, 12)
        .and_then(|d| d.and_hms_opt(0, 40, 0)) // 08:40 at +08:00
        .expect("time")
        .and_utc()
        .timestamp_millis();
    let pkg = common::packages::example_room_package(&dir, at);

    let chinese = Roster::new(&pkg, "chinese").expect("roster");
    assert_eq!(chinese.seated(), 2);
    let obama = TicketNumber("2027010001".into());
    assert_eq!(
        chinese
            .record(&obama)
            .and_then(|r| r.placement)
            .map(|p| p.seat),
        Some(1)
    );
    assert_eq!(
        chinese.by_document("l898902c3"),
        Some(&obama),
        "document numbers compare normalised"
    );
    assert!(chinese.document_needed(&obama));
    assert!(
        matches!(
            chinese.access(&obama),
            Some(examgate::card::emrtd::Access::Can(_))
        ),
        "the CAN is preferred"
    );
    assert_eq!(
        chinese.template(&obama).map(|t| t.as_slice().len()),
        Some(512)
    );
    assert!(Roster::new(&pkg, "physics").is_err());

    // In the math session the second candidate sits in R102: at R101 the decision sends them on.
    let math = Roster::new(&pkg, "math").expect("roster");
    let second = TicketNumber("2027010002".into());
    assert_eq!(math.seated(), 1);
    let evidence = Evidence {
        ticket: second.clone(),
        candidate: math.record(&second),
        document: DocumentEvidence::NotPresented,
        face: FaceEvidence::NoUsableFace { tries: 0 },
        paper: PaperEvidence::NotScanned,
        already_admitted: false,
    };
    let now = chrono::NaiveDate::from_ymd_opt(2027, 6, 12)
        .and_then(|d| d.and_hms_opt(14, 10, 0))
        .expect("time");
    match decision::decide(&evidence, math.policy(), now) {
        Decision::Deny {
            guidance: Guidance::GoTo(p),
            ..
        } => {
            assert_eq!(
                (p.room.site.as_str(), p.room.room.as_str(), p.seat),
                ("S01", "R102", 5)
            );
        }
        other => panic!("expected a deny with guidance, got {other:?}"),
    }
    let stranger = TicketNumber("2099999999".into());
    assert!(math.record(&stranger).is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
