//! The slint UI, driven through slint's testing backend with the software renderer:
//! every screen rendered in Chinese and English (PNG files that must exist, have the panel's
//! size and not be blank), and the invigilator flows done with simulated touches — choose
//! a name, type the PIN on the keypad, review a referral, resolve it, record an incident,
//! seal with the second invigilator, export — against the real kiosk worker (demo exam,
//! emulated passports, replayed photos, a real log file).
//!
//! One #[test] drives the UI: slint allows one platform per process and its objects stay
//! on the thread that made them.

mod common;

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use examgate::decision::{DenyReason, Placement, ReferReason, RoomRef};
use examgate::kiosk::demo::{self, Step};
use examgate::kiosk::door::{Device, Hint};
use examgate::kiosk::station::Command;
use examgate::kiosk::view::{
    ClockCheck, Notice, PinMessage, PinPurpose, ReferralRow, Review, Screen, SeatState, Verdict,
    View,
};
use examgate::kiosk::worker::{self, Job, Update};
use examgate::ui::{self, AppWindow, Language, Screenful};
use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use slint::platform::{Key, PointerEventButton, WindowEvent};
use slint::ComponentHandle;

const W: u32 = 1280;
const H: u32 = 800;

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Snapshot the window to `name`.png; the picture must have the panel's size and real
/// content (many colours, no single colour over most of it), and match the previous
/// run's file in size.
fn snap(ui: &AppWindow, name: &str) -> PathBuf {
    let s = ui.window().take_snapshot().expect("snapshot");
    let img = image::RgbaImage::from_raw(s.width(), s.height(), s.as_bytes().to_vec())
        .expect("snapshot buffer");
    assert_eq!((img.width(), img.height()), (W, H), "{name}: size");
    let mut counts = std::collections::HashMap::new();
    for p in img.pixels() {
        *counts.entry(p.0).or_insert(0u32) += 1;
    }
    let top = counts.values().max().copied().unwrap_or(0);
    assert!(
        counts.len() > 50,
        "{name}: only {} colours: blank?",
        counts.len()
    );
    assert!(
        (top as f64) < 0.97 * f64::from(W * H),
        "{name}: one colour covers {top} of {} pixels: blank?",
        W * H
    );
    let path = shots().join(format!("{name}.png"));
    if let Ok((w, h)) = image::image_dimensions(&path) {
        assert_eq!(
            (w, h),
            (W, H),
            "{name}: the previous screenshot had another size"
        );
    }
    img.save(&path).expect("write screenshot");
    path
}

fn photo(name: &str) -> image::RgbImage {
    image::open(common::sample(name)).expect("sample").to_rgb8()
}

fn base() -> View {
    View {
        room: "S01 · R101  第一中学 No. 1 Middle School".into(),
        subject: "语文 Chinese".into(),
        clock: "08:44:10".into(),
        countdown: "30:50".into(),
        admitted: 12,
        expected: 20,
        people: vec![
            ("T001".into(), "张老师".into()),
            ("T002".into(), "Ms Li".into()),
        ],
        ..View::default()
    }
}

/// One hand-made view per screen and outcome.
fn every_screen() -> Vec<(&'static str, View)> {
    let mut out = vec![("idle", base())];
    out.push((
        "idle-place-document",
        View {
            hint: Some(Hint::PlaceDocument),
            ..base()
        },
    ));
    out.push((
        "reading",
        View {
            screen: Screen::Reading,
            ..base()
        },
    ));
    out.push((
        "capture",
        View {
            screen: Screen::Capture,
            preview: Some(photo("obama3.jpg")),
            hint: Some(Hint::ComeCloser),
            ..base()
        },
    ));
    out.push((
        "result-admit",
        View {
            screen: Screen::Result,
            verdict: Some(Verdict::Admit {
                seat: 17,
                name: "OBAMA, Barack".into(),
            }),
            ..base()
        },
    ));
    out.push((
        "result-refer",
        View {
            screen: Screen::Result,
            verdict: Some(Verdict::Refer),
            ..base()
        },
    ));
    let go = Placement {
        room: RoomRef {
            site: "S01".into(),
            room: "R102".into(),
        },
        seat: 5,
    };
    out.push((
        "result-deny-wrong-room",
        View {
            screen: Screen::Result,
            verdict: Some(Verdict::Deny {
                reason: DenyReason::WrongRoom,
                go_to: Some((go.room.site.clone(), go.room.room.clone(), go.seat)),
                come_back_at: None,
            }),
            ..base()
        },
    ));
    out.push((
        "result-deny-late",
        View {
            screen: Screen::Result,
            late: true,
            verdict: Some(Verdict::Deny {
                reason: DenyReason::Late {
                    cutoff: demo::exam_day().and_hms_opt(9, 15, 0).expect("time"),
                },
                go_to: None,
                come_back_at: None,
            }),
            ..base()
        },
    ));
    out.push((
        "device-error",
        View {
            screen: Screen::DeviceError,
            missing: vec![Device::Camera, Device::Reader, Device::Software],
            ..base()
        },
    ));
    out.push((
        "pin-wrong",
        View {
            screen: Screen::Pin,
            pin_message: PinMessage::Wrong { tries_left: 4 },
            ..base()
        },
    ));
    out.push((
        "pin-second-admit",
        View {
            screen: Screen::Pin,
            pin_purpose: PinPurpose::SecondForAdmit,
            ..base()
        },
    ));
    let mut seats: Vec<_> = (1..=30).map(|n| (n, SeatState::Empty)).collect();
    for (i, s) in seats.iter_mut().enumerate().take(20) {
        s.1 = match i % 5 {
            0 | 1 => SeatState::Admitted,
            2 => SeatState::Expected,
            3 => SeatState::Referred,
            _ => SeatState::Denied,
        };
    }
    let referrals = vec![ReferralRow {
        ticket: "2027010002".into(),
        name: "BIDEN, Joseph".into(),
        high: true,
    }];
    out.push((
        "invigilator",
        View {
            screen: Screen::Invigilator,
            seats,
            referrals: referrals.clone(),
            invigilator: "T001".into(),
            ..base()
        },
    ));
    out.push((
        "review",
        View {
            screen: Screen::Review,
            referrals,
            review: Some(Review {
                ticket: "2027010002".into(),
                name: "BIDEN, Joseph".into(),
                thumbnail: Some(photo("biden.jpg")),
                portrait: Some(photo("biden.jpg")),
                live: Some(photo("obama.jpg")),
                registration_score: "0.08".into(),
                portrait_score: "0.05".into(),
                liveness: "0.98".into(),
                reasons: vec![
                    (
                        ReferReason::RegistrationMismatch {
                            score: 0.08,
                            threshold: 0.34,
                        },
                        "0.08 < 0.34".into(),
                    ),
                    (
                        ReferReason::PortraitMismatch {
                            score: 0.05,
                            threshold: 0.34,
                        },
                        "0.05 < 0.34".into(),
                    ),
                ],
            }),
            ..base()
        },
    ));
    out.push((
        "incidents",
        View {
            screen: Screen::Incidents,
            incidents: vec!["09:20:00  T001  candidate unwell".into()],
            notice: Notice::IncidentRecorded,
            ..base()
        },
    ));
    out.push((
        "seal",
        View {
            screen: Screen::Seal,
            referred: 2,
            denied: 2,
            ..base()
        },
    ));
    out.push((
        "sealed-exported",
        View {
            screen: Screen::Seal,
            sealed: true,
            seal_code: "142 · K7F3-9QW2".into(),
            notice: Notice::Exported("/media/usb/K-S01-R101-chinese.examgate-log".into()),
            ..base()
        },
    ));
    // Issue 16: the clock compared by the first invigilator, a correction entered; and the
    // door of a session on another day, waiting for that.
    let clock = |offset: &str, corrected: &str, door_waits: bool| ClockCheck {
        kiosk_time: "08:44:10".into(),
        kiosk_date: "2027-06-12".into(),
        corrected_time: corrected.into(),
        offset: offset.into(),
        session_start: "2027-06-12 09:00".into(),
        late_cutoff: "09:15".into(),
        confirmed: false,
        needs_second: offset != "±0:00",
        door_waits,
    };
    out.push((
        "clock",
        View {
            screen: Screen::Clock,
            clock_check: Some(clock("±0:00", "08:44:10", false)),
            ..base()
        },
    ));
    out.push((
        "clock-corrected",
        View {
            screen: Screen::Clock,
            clock_check: Some(clock("−1:30", "08:42:40", false)),
            ..base()
        },
    ));
    out.push((
        "clock-door-waits",
        View {
            screen: Screen::Clock,
            clock_check: Some(ClockCheck {
                kiosk_date: "2027-06-11".into(),
                ..clock("±0:00", "08:44:10", true)
            }),
            ..base()
        },
    ));
    // Issue 15: a first boot without a room package, and a package on the stick refused.
    out.push((
        "no-package",
        View {
            screen: Screen::NoPackage,
            ..base()
        },
    ));
    out.push((
        "no-package-refused",
        View {
            screen: Screen::NoPackage,
            refused: "the package in /media/examgate-usb/S01/R101: its signature does not verify with the office key".into(),
            ..base()
        },
    ));
    // Issue 12: after the seal the door is closed and shows the seal code.
    out.push((
        "idle-sealed",
        View {
            screen: Screen::Idle,
            sealed: true,
            seal_code: "142 · K7F3-9QW2".into(),
            ..base()
        },
    ));
    out
}

/// Wait for the worker's next full view, merging frames and hints on the way.
fn next_view(updates: &Receiver<Update>, state: &mut Screenful) -> View {
    loop {
        let u = updates
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the kiosk worker answers");
        if let Update::Failed(why) = &u {
            panic!("the kiosk stopped: {why}");
        }
        let full = matches!(u, Update::View(_));
        state.apply(&u);
        if full {
            return state.view.clone();
        }
    }
}

/// Whether an element with exactly this text (a `Text`'s label is its text) is on screen.
fn has_text(ui: &AppWindow, text: &str) -> bool {
    ElementHandle::find_by_accessible_label(ui, text)
        .next()
        .is_some()
}

fn click(ui: &AppWindow, label: &str) {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(ui, label).collect();
    assert!(!found.is_empty(), "no element labelled {label:?} on screen");
    found[0].mock_single_click(PointerEventButton::Left);
}

/// Type `pin` on the keypad and press the OK key (labelled in the current language).
fn type_pin(ui: &AppWindow, pin: &str, ok: &str) {
    for d in pin.chars() {
        click(ui, &d.to_string());
    }
    click(ui, ok);
}

#[test]
fn every_screen_in_both_languages_and_the_invigilator_flows_by_touch() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .expect("one platform for this test binary");
    let ui = AppWindow::new().expect("the window");
    ui.window().set_size(slint::PhysicalSize::new(W, H));
    ui.show().expect("show");

    // Every screen, both languages.
    let mut written = Vec::new();
    for lang in [Language::Chinese, Language::English] {
        ui::set_language(&ui, lang);
        for (name, view) in every_screen() {
            ui::show(&ui, &view);
            written.push(snap(&ui, &format!("{name}-{}", lang.code())));
            if lang == Language::English {
                // The invigilator's way in: at the idle door and on a device error, never
                // over a candidate's result or inside invigilator mode.
                let entry = ElementHandle::find_by_accessible_label(&ui, "Invigilator").count();
                let wanted = matches!(view.screen, Screen::Idle | Screen::DeviceError)
                    || view.clock_check.as_ref().is_some_and(|c| c.door_waits);
                assert_eq!(entry > 0, wanted, "{name}: invigilator button");
            }
        }
    }
    assert_eq!(written.len(), 2 * every_screen().len());
    // The languages really differ on screen (a missing catalogue would not).
    let a = std::fs::read(shots().join("idle-zh.png")).expect("zh");
    let b = std::fs::read(shots().join("idle-en.png")).expect("en");
    assert_ne!(a, b, "the Chinese and English idle screens are identical");

    // The real kiosk behind the window: the demo exam, run up to two open referrals.
    let work = common::packages::scratch("ui-kiosk");
    let engine = Arc::new(examgate::face::FaceEngine::load(&common::models_dir()).expect("models"));
    let d = demo::prepare(&work, &common::root().join("assets/samples"), engine).expect("demo");
    let stage = d.stage;
    let (jobs, updates, handle) = worker::spawn(d.parts);
    let mut state = Screenful::default();
    next_view(&updates, &mut state);
    let send = jobs.clone();
    ui::connect(&ui, move |c| send.send(Job::Command(c)).expect("worker"));
    ui::set_language(&ui, Language::English);
    let run = |steps: &[Step], state: &mut Screenful| {
        for step in steps {
            // The worker answers every job with a view.
            for job in stage.jobs(step).expect("step") {
                jobs.send(job).expect("worker");
                next_view(&updates, state);
            }
        }
    };
    // The genuine candidate's ticket typed by the USB barcode scanner (keystrokes and
    // Enter into the window), then the tap, then their answer sheet scanned the same way.
    let scan = |code: &str, state: &mut Screenful| -> View {
        for c in code.chars() {
            let text: slint::SharedString = c.to_string().into();
            ui.window()
                .dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
            ui.window()
                .dispatch_event(WindowEvent::KeyReleased { text });
        }
        let enter: slint::SharedString = Key::Return.into();
        ui.window().dispatch_event(WindowEvent::KeyPressed {
            text: enter.clone(),
        });
        ui.window()
            .dispatch_event(WindowEvent::KeyReleased { text: enter });
        next_view(&updates, state)
    };
    run(&[Step::Face("obama3.jpg")], &mut state);
    // Keys from a plugged keyboard, no Enter: dropped after a second without a key, so the
    // scan after them is the ticket alone.
    for c in ["x", "7", "q"] {
        let text: slint::SharedString = c.into();
        ui.window()
            .dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        ui.window()
            .dispatch_event(WindowEvent::KeyReleased { text });
    }
    i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(1_200));
    let v = scan("2027010001", &mut state);
    assert_eq!(
        v.hint,
        Some(Hint::PlaceDocument),
        "the scanned ticket was taken"
    );
    run(&[Step::Tap("2027010001")], &mut state);
    assert!(
        matches!(state.view.verdict, Some(Verdict::Admit { seat: 1, .. })),
        "{:?}",
        state.view.verdict
    );
    let v = scan("2027010001/chinese", &mut state);
    assert_eq!(v.notice, Notice::PaperChecked);
    ui::show(&ui, &v);
    snap(&ui, "flow-00-admit-sheet-checked-en");
    run(&[Step::Untap("2027010001"), Step::Settle], &mut state);
    run(
        &[
            Step::Face("obama.jpg"),
            Step::Do(Command::Ticket("2027010002".into())),
            Step::Tap("2027010002"),
            Step::Untap("2027010002"),
            Step::Settle,
            Step::Face("obama3.jpg"),
            Step::Do(Command::Ticket("2027010001".into())),
            Step::Tap("2027010001"),
            Step::Untap("2027010001"),
            Step::Settle,
        ],
        &mut state,
    );
    ui::show(&ui, &state.view);
    assert_eq!(state.view.screen, Screen::Idle);
    assert_eq!(
        state.view.referrals.len(),
        2,
        "impostor and duplicate referred"
    );

    // Each touch goes to the worker; the test waits for its answer and shows it.
    let mut touch = |f: &dyn Fn(&AppWindow)| -> View {
        f(&ui);
        let v = next_view(&updates, &mut state);
        ui::show(&ui, &v);
        v
    };
    let v = touch(&|ui| click(ui, "Invigilator"));
    assert_eq!(v.screen, Screen::Pin);
    click(&ui, "张老师  (T001)"); // chosen on screen, nothing sent yet
    let v = touch(&|ui| type_pin(ui, "111111", "OK"));
    assert_eq!(v.pin_message, PinMessage::Wrong { tries_left: 4 });
    snap(&ui, "flow-01-wrong-pin-en");
    let v = touch(&|ui| type_pin(ui, "480613927", "OK"));
    // Issue 16: the session's first invigilator compares the clock first. A correction
    // takes a second invigilator's PIN and is in force from then on.
    assert_eq!(v.screen, Screen::Clock, "{:?}", v.pin_message);
    let shown = v.clock_check.clone().expect("clock screen");
    assert_eq!(shown.offset, "±0:00");
    assert!(has_text(&ui, "The time is right: confirm"));
    snap(&ui, "flow-01b-clock-en");
    let v = touch(&|ui| click(ui, "+0:10"));
    let shown = v.clock_check.clone().expect("clock screen");
    assert_eq!(shown.offset, "+0:10");
    assert!(has_text(&ui, "Apply the correction (second invigilator)"));
    snap(&ui, "flow-01c-clock-corrected-en");
    let v = touch(&|ui| click(ui, "Apply the correction (second invigilator)"));
    assert_eq!(
        (v.screen, v.pin_purpose),
        (Screen::Pin, PinPurpose::SecondForClock)
    );
    click(&ui, "Ms Li  (T002)");
    let v = touch(&|ui| type_pin(ui, "905127384", "OK"));
    assert_eq!(v.screen, Screen::Invigilator, "{:?}", v.pin_message);
    assert_eq!(v.notice, Notice::ClockConfirmed("+0:10".into()));
    assert_eq!(v.seats.len(), 30);
    assert_eq!(
        v.seats
            .iter()
            .filter(|s| s.1 == SeatState::Admitted)
            .count(),
        1
    );
    assert_eq!(ui::seat_count(&ui), 30);
    snap(&ui, "flow-02-seat-map-en");

    // The impostor: admitting over a face mismatch asks for a second invigilator, and the
    // same invigilator cannot be the second.
    let v = touch(&|ui| click(ui, "2027010002  BIDEN, JOSEPH"));
    assert_eq!(v.screen, Screen::Review, "{:?}", v.referrals);
    snap(&ui, "flow-03-review-en");
    let v = touch(&|ui| click(ui, "Identity confirmed by hand"));
    assert_eq!(
        (v.screen, v.pin_purpose),
        (Screen::Pin, PinPurpose::SecondForAdmit)
    );
    click(&ui, "张老师  (T001)");
    let v = touch(&|ui| type_pin(ui, "480613927", "OK"));
    assert_eq!(v.pin_message, PinMessage::SamePerson);
    let v = touch(&|ui| click(ui, "Cancel"));
    assert_eq!(v.screen, Screen::Review, "cancel returns to the review");
    let v = touch(&|ui| click(ui, "Impersonation"));
    // r11: invigilator mode locks itself after every resolution.
    assert_eq!(v.screen, Screen::Idle, "locked after the resolution");
    assert_eq!(v.referrals.len(), 1);
    assert_eq!(
        v.notice,
        Notice::Resolved(examgate::journal::actions::ReasonCode::Impersonation)
    );
    type Touch<'t> = dyn FnMut(&dyn Fn(&AppWindow)) -> View + 't;
    let unlock = |touch: &mut Touch<'_>| {
        touch(&|ui| click(ui, "Invigilator"));
        click(&ui, "张老师  (T001)");
        let v = touch(&|ui| type_pin(ui, "480613927", "OK"));
        assert_eq!(v.screen, Screen::Invigilator, "{:?}", v.pin_message);
    };
    unlock(&mut touch);

    // The duplicate: a kiosk error. Already admitted is a high-severity reason: admitting
    // over it takes a second invigilator's PIN (r11).
    touch(&|ui| click(ui, "2027010001  OBAMA, BARACK"));
    let v = touch(&|ui| click(ui, "Duplicate was a kiosk error"));
    assert_eq!(
        (v.screen, v.pin_purpose),
        (Screen::Pin, PinPurpose::SecondForAdmit)
    );
    click(&ui, "Ms Li  (T002)");
    let v = touch(&|ui| type_pin(ui, "905127384", "OK"));
    assert_eq!((v.screen, v.referrals.len()), (Screen::Idle, 0));
    unlock(&mut touch);

    // An incident, then the seal: the second invigilator attests.
    touch(&|ui| click(ui, "Incidents"));
    let v = touch(&|ui| click(ui, "Candidate unwell"));
    assert_eq!(v.incidents.len(), 1);
    touch(&|ui| click(ui, "Back"));
    let v = touch(&|ui| click(ui, "Seal the session"));
    assert_eq!(v.screen, Screen::Seal);
    snap(&ui, "flow-04-seal-en");
    let v = touch(&|ui| click(ui, "Seal (second invigilator attests)"));
    assert_eq!(
        (v.screen, v.pin_purpose),
        (Screen::Pin, PinPurpose::SecondForSeal)
    );
    click(&ui, "Ms Li  (T002)");
    let v = touch(&|ui| type_pin(ui, "905127384", "OK"));
    assert!(
        v.sealed && v.screen == Screen::Idle,
        "sealed, then locked: {v:?}"
    );
    // Issue 12: the seal code is on the door's screen after the seal (invigilator mode has
    // locked itself), for the paper room record.
    let seal_code = v.seal_code.clone();
    assert!(
        examgate::journal::SealCode::parse(&seal_code).is_ok(),
        "seal code {seal_code:?}"
    );
    assert!(
        has_text(&ui, &format!("Seal code: {seal_code}")),
        "{seal_code}"
    );
    snap(&ui, "flow-04-sealed-idle-en");
    unlock(&mut touch);
    assert!(
        has_text(&ui, &format!("Seal code: {seal_code}")),
        "{seal_code}"
    );
    snap(&ui, "flow-04-sealed-home-en");
    let v = touch(&|ui| click(ui, "Export the log"));
    let Notice::Exported(path) = &v.notice else {
        panic!("export failed: {:?}", v.notice);
    };
    assert_eq!(v.screen, Screen::Idle, "locked after the export");
    snap(&ui, "flow-05-exported-en");
    let exported = PathBuf::from(path);
    assert!(exported.is_file());

    // The exported log verifies (against the kiosk's key, with the seal code copied from
    // the screen) and holds the whole story.
    let out = common::packages::examgate()
        .args(["log", "verify", "--kiosk-key", &stage.kiosk_public])
        .args(["--seal-code", &seal_code])
        .arg(&exported)
        .output()
        .expect("log verify");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let shown = common::packages::examgate()
        .args(["log", "show"])
        .arg(&exported)
        .output()
        .expect("log show");
    let text = String::from_utf8_lossy(&shown.stdout);
    for kind in [
        "decision",
        "pin_rejected",
        "unlock",
        "clock_confirmed",
        "referral_resolved",
        "incident",
        "seal",
    ] {
        assert!(
            text.contains(kind),
            "no {kind} event in the exported log:\n{text}"
        );
    }
    jobs.send(Job::Quit).expect("quit");
    handle.join().expect("worker ends");
}

#[test]
fn every_visible_string_has_a_chinese_translation() {
    let root = common::root();
    let po = std::fs::read_to_string(root.join("src/ui/lang/zh_CN/LC_MESSAGES/examgate.po"))
        .expect("catalogue");
    let mut missing = Vec::new();
    for file in ["src/ui/kiosk.slint", "src/ui/parts.slint"] {
        let text = std::fs::read_to_string(root.join(file)).expect("slint source");
        for part in text.split("@tr(\"").skip(1) {
            let msgid = &part[..part.find('"').expect("closing quote")];
            let entry = format!("msgid \"{msgid}\"\nmsgstr \"");
            match po.find(&entry) {
                Some(at) if !po[at + entry.len()..].starts_with('"') => {}
                _ => missing.push(msgid.to_string()),
            }
        }
        // A literal text outside @tr would show untranslated (digits and the other
        // language's own name are the allowed exceptions).
        for line in text.lines() {
            if let Some(at) = line.find("text: \"") {
                let literal = &line[at + 7..];
                let literal = &literal[..literal.find('"').unwrap_or(0)];
                // Signed times ("−1:00", the clock's correction buttons) read alike in
                // both languages.
                let allowed = literal.is_empty()
                    || literal
                        .chars()
                        .all(|c| c.is_ascii_digit() || "●:+−".contains(c))
                    || literal == "中文"
                    || literal == "English";
                assert!(allowed, "{file}: untranslatable text {literal:?}");
            }
        }
    }
    assert!(missing.is_empty(), "no Chinese for: {missing:?}");
}
