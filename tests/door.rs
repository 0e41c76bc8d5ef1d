//! The door with simulated devices and a fixed clock: the example room package built with the
//! real face models, the emulated passport (with the chip's own PKI), replayed sample photos
//! as the camera, a real log file. Each outcome of the demo script: an impostor referred, the
//! genuine candidate admitted with the seat, the same ticket again referred, a candidate at
//! the wrong room sent to the right site, room and seat, a late candidate turned away.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use chrono::FixedOffset;
use examgate::card::emrtd::Access;
use examgate::card::emulated::{Document, EmulatedPassport};
use examgate::card::mrz;
use examgate::card::pace::{Curve, PaceInfo};
use examgate::card::Deadline;
use examgate::decision::{Decision, DenyReason, Guidance, ReferReason, TicketNumber};
use examgate::journal::Journal;
use examgate::kiosk::config::ExportTo;
use examgate::kiosk::demo::at;
use examgate::kiosk::devices::{self, ReadError, Slot};
use examgate::kiosk::devices::{DocumentReader, FrameSource};
use examgate::kiosk::door::{Door, Input, Phase, Timeouts};
use examgate::kiosk::roster::Roster;
use examgate::kiosk::runner::Runner;
use examgate::platform::clock::{Clock, FixedClock};
use examgate::platform::keystore::{KeyStore, SeedKeyStore};

struct Chip(EmulatedPassport);

impl DocumentReader for Chip {
    fn read(
        &mut self,
        _: Slot,
        access: Option<&Access>,
        deadline: &Deadline,
        at_utc_ms: i64,
    ) -> Result<devices::Document, ReadError> {
        self.0.reset(); // a fresh tap
        let csca = vec![self.0.csca()];
        let mut random = |b: &mut [u8]| b.fill(0x5A);
        devices::read_contactless(&mut self.0, access, &csca, at_utc_ms, &mut random, deadline)
    }
}

/// The camera: whichever face stands at the door now (the test swaps it).
struct Replay(Rc<RefCell<image::RgbImage>>);

impl FrameSource for Replay {
    fn frames(&mut self, n: usize) -> Result<Vec<image::RgbImage>, String> {
        Ok(vec![self.0.borrow().clone(); n])
    }
}

fn photo(name: &str) -> image::RgbImage {
    image::open(common::sample(name))
        .expect("sample photo")
        .to_rgb8()
}

/// Obama's passport: PACE with `can`, the roster's document number, birth date and expiry
/// in its MRZ, obama2.jpg as its portrait.
fn obama_passport(can: &str) -> EmulatedPassport {
    EmulatedPassport::new(
        Document {
            mrz: mrz::td3(
                "Obama",
                "Barack",
                "L898902C3",
                "UTO",
                "110804",
                'M',
                "310415",
            ),
            portrait: std::fs::read(common::sample("obama2.jpg")).expect("portrait"),
            pace: Some(PaceInfo {
                key_len: 16,
                curve: Curve::BrainpoolP256,
            }),
            can: Some(can.into()),
            pace_only: false,
            uid: vec![8, 1, 2, 3],
        },
        Box::new(|b: &mut [u8]| b.fill(0x33)),
    )
    .expect("emulated passport")
}

#[test]
fn the_demo_outcomes_through_the_door() {
    let dir = common::packages::scratch("door");
    let package = common::packages::example_room_package(&dir, at(8, 30, 0));
    let offset: FixedOffset = "+08:00".parse().expect("offset");
    let engine = common::engine();
    let kiosk = SeedKeyStore::from_seed(&[3; 32]);
    let mut log =
        Journal::open(&dir.join("door.db"), "K-S01-R101", &kiosk.verifying_key()).expect("log");

    // Obama's passport, opened with the CAN the roster holds.
    let passport = obama_passport("123456");
    let mut chip = Chip(passport);
    let face = Rc::new(RefCell::new(photo("biden.jpg")));
    let mut camera = Replay(face.clone());
    let clock = FixedClock::at(at(8, 40, 0));
    let obama = TicketNumber("2027010001".into());
    let biden = TicketNumber("2027010002".into());

    /// One candidate: ticket, tap when asked, the decision, then the result times out.
    fn next(door: &mut Runner<'_>, clock: &FixedClock, ticket: &TicketNumber) -> Decision {
        let before = door.tally.decisions.len();
        door.ticket(ticket.clone()).expect("ticket");
        if matches!(door.door.phase, Phase::AwaitingDocument { .. }) {
            door.feed(Input::CardPresent(Slot::Contactless))
                .expect("tap");
        }
        assert_eq!(
            door.tally.decisions.len(),
            before + 1,
            "one decision per candidate: {:?}",
            door.door.phase
        );
        let (t, d) = door.tally.decisions.last().cloned().expect("a decision");
        assert_eq!(&t, ticket);
        assert!(matches!(door.door.phase, Phase::Showing { .. }));
        clock.advance(7_000);
        door.feed(Input::Tick).expect("tick");
        assert_eq!(
            door.door.phase,
            Phase::Idle,
            "back to idle after the result"
        );
        d
    }

    let chinese = Roster::new(&package, "chinese").expect("roster");
    {
        let mut door = Runner::new(
            Door::new(Timeouts::default()),
            &chinese,
            engine,
            &mut log,
            &kiosk,
            &clock,
            offset,
            &mut chip,
            &mut camera,
        );
        // 1. An impostor with Obama's ticket and passport: the face matches neither.
        match next(&mut door, &clock, &obama) {
            Decision::Refer { reasons } => assert!(
                reasons
                    .iter()
                    .any(|r| matches!(r, ReferReason::RegistrationMismatch { .. }))
                    && reasons
                        .iter()
                        .any(|r| matches!(r, ReferReason::PortraitMismatch { .. })),
                "{reasons:?}"
            ),
            other => panic!("impostor: {other:?}"),
        }
        // 2. The genuine candidate: admitted to seat 1.
        *face.borrow_mut() = photo("obama.jpg");
        assert_eq!(next(&mut door, &clock, &obama), Decision::Admit { seat: 1 });
        // 3. The same ticket again: referred as a possible impersonation.
        match next(&mut door, &clock, &obama) {
            Decision::Refer { reasons } => assert!(
                reasons.contains(&ReferReason::AlreadyAdmitted),
                "{reasons:?}"
            ),
            other => panic!("duplicate: {other:?}"),
        }
        // 4. At 09:15:00 the cutoff has passed: turned away on the ticket alone.
        clock.advance(at(9, 15, 0) - clock.now_utc_ms());
        match next(&mut door, &clock, &biden) {
            Decision::Deny {
                reason: DenyReason::Late { .. },
                guidance,
            } => assert_eq!(guidance, Guidance::NoEntry),
            other => panic!("late: {other:?}"),
        }
    }
    // 5. The math session: the second candidate sits in R102, not here.
    clock.advance(at(14, 10, 0) - clock.now_utc_ms());
    let math = Roster::new(&package, "math").expect("roster");
    {
        let mut door = Runner::new(
            Door::new(Timeouts::default()),
            &math,
            engine,
            &mut log,
            &kiosk,
            &clock,
            offset,
            &mut chip,
            &mut camera,
        );
        match next(&mut door, &clock, &biden) {
            Decision::Deny {
                guidance: Guidance::GoTo(p),
                ..
            } => {
                assert_eq!(
                    (p.room.site.as_str(), p.room.room.as_str(), p.seat),
                    ("S01", "R102", 5)
                )
            }
            other => panic!("wrong room: {other:?}"),
        }
        // 6. The paper step: Obama admitted for math, his own sheet checks; a sheet of
        //    another session on his desk turns the admission into a referral.
        assert_eq!(
            door.paper("2027010001/math").expect("log"),
            None,
            "nothing on screen"
        );
        door.ticket(obama.clone()).expect("ticket");
        door.feed(Input::CardPresent(Slot::Contactless))
            .expect("tap");
        assert_eq!(
            door.tally.decisions.last().map(|d| d.1.clone()),
            Some(Decision::Admit { seat: 1 })
        );
        assert_eq!(door.paper("2027010001/math").expect("log"), Some(true));
        assert_eq!(door.paper("2027010001/chinese").expect("log"), Some(false));
        let paper = Decision::Refer {
            reasons: vec![ReferReason::PaperMismatch {
                ticket: obama.clone(),
                session: examgate::decision::SessionId("chinese".into()),
            }],
        };
        assert_eq!(
            door.tally.decisions.last().map(|d| d.1.clone()),
            Some(paper.clone())
        );
        assert!(
            matches!(&door.door.phase, Phase::Showing { decision, .. } if *decision == paper),
            "the referral replaces the admit on screen: {:?}",
            door.door.phase
        );
        assert!(!door.admitted().contains_key(&obama));
        assert_eq!(door.tally.referrals.len(), 1);
    }
    drop(log);
    // The log holds the seven decisions and the sheet check, verifies, and carries no
    // template.
    let file = examgate::journal::read(&dir.join("door.db")).expect("log");
    let decisions: Vec<String> = file
        .rows
        .iter()
        .filter(|r| r.kind == "decision")
        .map(|r| String::from_utf8_lossy(&r.payload).into_owned())
        .collect();
    assert_eq!(decisions.len(), 7, "{decisions:?}");
    assert_eq!(
        file.rows
            .iter()
            .filter(|r| r.kind == "paper_checked")
            .count(),
        1
    );
    assert!(decisions.iter().all(|p| !p.contains("template")));
    let report = examgate::journal::verify_rows(file.rows, &file.kiosk_id, &kiosk.verifying_key());
    assert!(report.is_ok(), "{report:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// Issue 11: the door on exam day. Every candidate gets a decision (resident ID cards
// through the bridge, unreadable documents, tap first); one attempt per candidate; the
// two-person rule; auto-lock; the log replays from its typed events.
// ---------------------------------------------------------------------------------------

mod exam_day {
    use std::sync::atomic::Ordering;
    use std::sync::{mpsc, Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use examgate::decision::{ReadBy, ReferReason};
    use examgate::journal::actions::ReasonCode;
    use examgate::journal::events::{DocumentLogged, Event};
    use examgate::kiosk::devices::bridge;
    use examgate::kiosk::devices::EmulatedReader;
    use examgate::kiosk::setup::Room;
    use examgate::kiosk::station::{Command, Station};
    use examgate::kiosk::time_check::{ClockOffset, ClockState};
    use examgate::kiosk::view::{Notice, PinMessage, PinPurpose, Screen};
    use examgate::package::open::VerifiedPackage;

    /// Obama (passport, seat 1), the resident-ID holder 2027010002 (seat 2, UID card
    /// 04A1B2C3D4E5F6) and 2027010003, registered without a document (seat 3).
    const NO_DOCUMENT: &str =
        "2027010003,陈晨,F,2011-05-06,none,,,,,biden.jpg,S01,R101,3,S01,R101,3";

    fn package(name: &str) -> (std::path::PathBuf, VerifiedPackage) {
        let dir = common::packages::scratch(name);
        let package = common::packages::room_package(&dir, at(8, 30, 0), &[NO_DOCUMENT]);
        (dir, package)
    }

    fn ticket(t: &str) -> TicketNumber {
        TicketNumber(t.into())
    }

    fn last(door: &Runner<'_>) -> (TicketNumber, Decision) {
        door.tally.decisions.last().cloned().expect("a decision")
    }

    fn settle(door: &mut Runner<'_>, clock: &FixedClock) {
        clock.advance(7_000);
        door.feed(Input::Tick).expect("tick");
        assert_eq!(door.door.phase, Phase::Idle);
        assert!(!door.attempt_open(), "the attempt ends at idle");
    }

    #[test]
    fn r11_a_candidate_without_a_document_is_not_scored_against_the_last_passport() {
        let (dir, package) = package("r11-no-document");
        let chinese = Roster::new(&package, "chinese").expect("roster");
        let kiosk = SeedKeyStore::from_seed(&[3; 32]);
        let mut log =
            Journal::open(&dir.join("door.db"), "K-S01-R101", &kiosk.verifying_key()).expect("log");
        let mut chip = Chip(obama_passport("123456"));
        let face = Rc::new(RefCell::new(photo("obama.jpg")));
        let mut camera = Replay(face.clone());
        let clock = FixedClock::at(at(8, 40, 0));
        let mut door = Runner::new(
            Door::new(Timeouts::default()),
            &chinese,
            common::engine(),
            &mut log,
            &kiosk,
            &clock,
            "+08:00".parse().expect("offset"),
            &mut chip,
            &mut camera,
        );
        door.ticket(ticket("2027010001")).expect("ticket");
        door.feed(Input::CardPresent(Slot::Contactless))
            .expect("tap");
        assert_eq!(last(&door).1, Decision::Admit { seat: 1 });
        settle(&mut door, &clock);
        // The next candidate has no document; their face is nothing like the passport's.
        *face.borrow_mut() = photo("biden.jpg");
        door.ticket(ticket("2027010003")).expect("ticket");
        assert_eq!(
            last(&door),
            (ticket("2027010003"), Decision::Admit { seat: 3 }),
            "ticket + registration photo + face suffice; no portrait of anyone else"
        );
        settle(&mut door, &clock);
    }

    /// A kiosk station on the example room with `reader` and the camera showing `face`.
    struct Kiosk {
        dir: std::path::PathBuf,
        package: VerifiedPackage,
        kiosk: SeedKeyStore,
        clock: FixedClock,
        face: Rc<RefCell<image::RgbImage>>,
    }

    impl Kiosk {
        fn new(name: &str, face: &str) -> Kiosk {
            let (dir, package) = package(name);
            Kiosk {
                dir,
                package,
                kiosk: SeedKeyStore::from_seed(&[4; 32]),
                clock: FixedClock::at(at(8, 40, 0)),
                face: Rc::new(RefCell::new(photo(face))),
            }
        }

        fn room(&self) -> Room {
            let s = self
                .package
                .package
                .sessions
                .iter()
                .find(|s| s.id == "chinese")
                .expect("session");
            Room::new(
                &self.package,
                s,
                "K-S01-R101",
                ExportTo::Dir(self.dir.join("export")),
            )
            .expect("room")
        }

        fn journal(&self) -> Journal {
            Journal::open(
                &self.dir.join("door.db"),
                "K-S01-R101",
                &self.kiosk.verifying_key(),
            )
            .expect("log")
        }

        fn events(&self) -> Vec<Event> {
            examgate::journal::read(&self.dir.join("door.db"))
                .expect("log")
                .rows
                .iter()
                .map(|r| Event::parse(&r.kind, &r.payload).expect("typed event"))
                .collect()
        }
    }

    fn station<'a>(
        k: &'a Kiosk,
        room: Room,
        roster: &'a Roster,
        log: &'a mut Journal,
        reader: &'a mut dyn DocumentReader,
        camera: &'a mut Replay,
    ) -> Station<'a> {
        let runner = Runner::new(
            Door::new(Timeouts::default()),
            roster,
            common::engine(),
            log,
            &k.kiosk,
            &k.clock,
            "+08:00".parse().expect("offset"),
            reader,
            camera,
        );
        let mut s = Station::new(runner, room.info, room.gate);
        s.resume().expect("resume");
        s
    }

    /// Sign in as `id`; the session's first invigilator is asked for the clock first and
    /// confirms it as right.
    fn unlock(s: &mut Station<'_>, id: &str, pin: &str) {
        s.handle(Command::OpenInvigilator).expect("open");
        pin_in(s, id, pin);
        if s.view().screen == Screen::Clock {
            s.handle(Command::ConfirmClock).expect("confirm the clock");
        }
        assert_eq!(s.view().screen, Screen::Invigilator);
    }

    fn pin_in(s: &mut Station<'_>, id: &str, pin: &str) {
        s.handle(Command::Pin {
            id: id.into(),
            pin: pin.into(),
        })
        .expect("pin");
    }

    /// Ms of the chinese session's late cutoff on the kiosk's clock.
    fn cutoff_ms(room: &Room) -> i64 {
        use chrono::Timelike;
        let c = room.info.late_cutoff;
        at(c.hour(), c.minute(), c.second())
    }

    /// Issue 16: the first invigilator compares the clock before anything else; a
    /// correction takes a second, different invigilator, is bounded to ±30 minutes, moves
    /// the late cutoff, and is in the log, in the seal and in a restarted kiosk.
    #[test]
    fn r16_a_clock_correction_by_two_invigilators_moves_the_late_cutoff() {
        // Without a correction, 30 s before the cutoff by the kiosk's clock: on time.
        let k = Kiosk::new("r16-clock-right", "obama3.jpg");
        let room = k.room();
        let cutoff = cutoff_ms(&room);
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut reader = EmulatedReader::new(vec![]);
        k.clock.advance(cutoff - 30_000 - k.clock.now_utc_ms());
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        unlock(&mut s, "T001", "480613927");
        s.handle(Command::Lock).expect("lock");
        s.handle(Command::Ticket("2027010001".into()))
            .expect("ticket");
        assert!(
            s.runner.tally.decisions.is_empty(),
            "on time: the door waits for the document"
        );
        drop(s);

        // The same kiosk time, but the kiosk is a minute slow: corrected, it is late.
        let k = Kiosk::new("r16-clock-slow", "obama3.jpg");
        let room = k.room();
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut reader = EmulatedReader::new(vec![]);
        k.clock.advance(cutoff - 30_000 - k.clock.now_utc_ms());
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        s.handle(Command::OpenInvigilator).expect("open");
        pin_in(&mut s, "T001", "480613927");
        let v = s.view();
        assert_eq!(
            v.screen,
            Screen::Clock,
            "the first sign-in asks for the clock"
        );
        for other in [
            Command::Back,
            Command::ShowSeal,
            Command::ShowIncidents,
            Command::Export,
        ] {
            s.handle(other.clone()).expect("ignored");
            assert_eq!(s.view().screen, Screen::Clock, "no way round it: {other:?}");
        }
        // Bounded: 31 minutes is refused and nothing moves.
        s.handle(Command::AdjustClock(31 * 60)).expect("adjust");
        let v = s.view();
        assert!(
            matches!(&v.notice, Notice::Failed(why) if why.contains("±30:00")),
            "{:?}",
            v.notice
        );
        assert_eq!(
            v.clock_check.as_ref().map(|c| c.offset.as_str()),
            Some("±0:00")
        );
        s.handle(Command::AdjustClock(60)).expect("adjust");
        assert_eq!(
            s.view().clock_check.map(|c| c.offset),
            Some("+1:00".to_string())
        );
        s.handle(Command::ConfirmClock).expect("confirm");
        assert_eq!(
            (s.view().screen, s.view().pin_purpose),
            (Screen::Pin, PinPurpose::SecondForClock),
            "a correction takes a second invigilator"
        );
        pin_in(&mut s, "T001", "480613927");
        assert_eq!(s.view().pin_message, PinMessage::SamePerson);
        assert_eq!(s.clock(), ClockState::Unconfirmed);
        let kiosk_ms = k.clock.now_utc_ms();
        pin_in(&mut s, "T002", "905127384");
        let offset = ClockOffset::new(60_000).expect("in bounds");
        assert_eq!(s.clock(), ClockState::Confirmed(offset));
        assert_eq!(s.view().screen, Screen::Invigilator);
        assert_eq!(s.runner.now_ms(), kiosk_ms + 60_000);
        // Undoing the correction is a change too: one invigilator cannot do it alone.
        s.handle(Command::ShowClock).expect("clock");
        assert_eq!(
            s.view().clock_check.map(|c| c.offset),
            Some("+1:00".to_string()),
            "a later look starts from the correction in force"
        );
        s.handle(Command::AdjustClock(-60)).expect("adjust");
        s.handle(Command::ConfirmClock).expect("confirm");
        assert_eq!(s.view().pin_purpose, PinPurpose::SecondForClock);
        s.handle(Command::PinCancel).expect("cancel");
        assert_eq!(s.clock(), ClockState::Confirmed(offset), "unchanged");
        s.handle(Command::Lock).expect("lock");
        s.handle(Command::Ticket("2027010001".into()))
            .expect("ticket");
        assert!(
            matches!(
                last(&s.runner).1,
                Decision::Deny {
                    reason: DenyReason::Late { .. },
                    ..
                }
            ),
            "{:?}",
            last(&s.runner)
        );
        // The seal carries the offset.
        k.clock.advance(7_000);
        s.handle(Command::Tick).expect("tick");
        unlock(&mut s, "T001", "480613927");
        s.handle(Command::ShowSeal).expect("seal screen");
        s.handle(Command::Seal).expect("seal");
        pin_in(&mut s, "T002", "905127384");
        assert!(s.sealed());
        drop(s);
        let events = k.events();
        let confirmed: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::ClockConfirmed(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            confirmed,
            vec![examgate::journal::events::ClockConfirmed {
                session: "chinese".into(),
                invigilator: "T001".into(),
                second_invigilator: Some("T002".into()),
                kiosk_time_ms: kiosk_ms,
                offset_ms: 60_000,
            }]
        );
        let seal = events
            .iter()
            .find_map(|e| match e {
                Event::Seal(s) => Some(s.clone()),
                _ => None,
            })
            .expect("a seal");
        assert_eq!(seal.clock_offset_ms, 60_000);

        // A restarted kiosk decides with the same correction and does not ask again.
        let room = k.room();
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut reader = EmulatedReader::new(vec![]);
        let s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        assert_eq!(s.clock(), ClockState::Confirmed(offset));
        assert_eq!(s.runner.now_ms(), k.clock.now_utc_ms() + 60_000);
    }

    /// Issue 15: on the kiosk image the export goes onto a USB stick through the image's
    /// helper; the export is logged as done only when the copy is on the stick, and a
    /// missing helper or stick is named on the screen.
    #[test]
    fn r15_an_export_through_the_stick_helper_is_logged_only_once_on_the_stick() {
        let k = Kiosk::new("r15-stick", "obama3.jpg");
        let mut room = k.room();
        let socket = k.dir.join("stick.sock");
        let dir = k.dir.join("export");
        room.info.export = ExportTo::Stick {
            dir: dir.clone(),
            helper: socket.clone(),
        };
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut reader = EmulatedReader::new(vec![]);
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        let exported = || {
            k.events()
                .iter()
                .filter(|e| matches!(e, Event::LogExported { .. }))
                .count()
        };

        // No helper (the socket unit is not running).
        unlock(&mut s, "T001", "480613927");
        s.handle(Command::Export).expect("export");
        let v = s.view();
        assert!(
            matches!(&v.notice, Notice::Failed(why)
                if why.contains("not on the USB stick") && why.contains("stick.sock")),
            "{:?}",
            v.notice
        );
        assert_eq!(exported(), 0, "not logged as exported");
        assert_eq!(
            std::fs::read_dir(&dir).expect("export dir").count(),
            1,
            "kept on the kiosk"
        );

        // The helper finds no stick, then copies.
        let stick = k.dir.join("stick");
        let helper = common::stick::helper(
            &socket,
            dir.clone(),
            stick.clone(),
            vec![Some("no USB stick is plugged in (FAT32 or exFAT)"), None],
        );
        k.clock.advance(1_000);
        unlock(&mut s, "T001", "480613927");
        s.handle(Command::Export).expect("export");
        assert_eq!(
            s.view().notice,
            Notice::Failed(
                "the log is not on the USB stick: USB stick: no USB stick is plugged in (FAT32 \
                 or exFAT)"
                    .into()
            )
        );
        assert_eq!(exported(), 0);
        k.clock.advance(1_000);
        unlock(&mut s, "T001", "480613927");
        s.handle(Command::Export).expect("export");
        let v = s.view();
        let Notice::Exported(place) = &v.notice else {
            panic!("export failed: {:?}", v.notice);
        };
        let name = place
            .strip_prefix("USB examgate-exports/")
            .expect("the place on the stick");
        assert!(
            stick.join("examgate-exports").join(name).is_file(),
            "{place}"
        );
        assert_eq!(
            std::fs::read(stick.join("examgate-exports").join(name)).expect("copy"),
            std::fs::read(dir.join(name)).expect("export"),
        );
        let requests = helper.join().expect("helper");
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[1], format!("copy {name}\n"));
        assert_eq!(exported(), 1, "logged once it is on the stick");
    }

    /// Issue 16: a kiosk whose clock says another day than the session's does not take
    /// candidates until an invigilator has confirmed the clock.
    #[test]
    fn r16_a_session_on_another_day_waits_for_the_clock_confirmation() {
        let k = Kiosk::new("r16-other-day", "obama3.jpg");
        let room = k.room();
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut reader = EmulatedReader::new(vec![]);
        k.clock.advance(-86_400_000); // the evening before, by the kiosk's clock
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        assert!(!s.clock_lets_door_open());
        let v = s.view();
        assert_eq!(v.screen, Screen::Clock);
        assert!(
            v.clock_check.as_ref().is_some_and(|c| c.door_waits),
            "{v:?}"
        );
        s.handle(Command::Ticket("2027010001".into()))
            .expect("ticket");
        s.handle(Command::CardPresent).expect("tap");
        assert!(s.runner.tally.decisions.is_empty(), "the door is closed");
        assert_eq!(s.runner.door.phase, Phase::Idle);
        // The invigilator confirms the kiosk's clock; the door opens (and, the day before,
        // says the candidate is too early).
        s.handle(Command::OpenInvigilator).expect("open");
        pin_in(&mut s, "T001", "480613927");
        assert_eq!(s.view().screen, Screen::Clock);
        assert!(s.view().clock_check.is_some_and(|c| !c.door_waits));
        s.handle(Command::ConfirmClock).expect("confirm");
        assert_eq!(s.clock(), ClockState::Confirmed(ClockOffset::ZERO));
        s.handle(Command::Lock).expect("lock");
        assert!(s.clock_lets_door_open());
        s.handle(Command::Ticket("2027010001".into()))
            .expect("ticket");
        assert!(
            matches!(
                last(&s.runner).1,
                Decision::Deny {
                    reason: DenyReason::TooEarly,
                    ..
                }
            ),
            "{:?}",
            last(&s.runner)
        );
        drop(s);
        assert!(k.events().iter().any(|e| matches!(
            e,
            Event::ClockConfirmed(c) if c.second_invigilator.is_none() && c.offset_ms == 0
        )));
    }

    /// The card the bridge program reports, through the real watcher thread.
    fn run_bridge(
        args: &[&str],
        mailbox: bridge::Mailbox,
    ) -> (Arc<std::sync::atomic::AtomicBool>, mpsc::Receiver<Command>) {
        let program = common::root().join("tests/fixtures/fake-bridge.sh");
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let stop = bridge::spawn(
            program.display().to_string(),
            args.iter().map(|a| a.to_string()).collect(),
            mailbox,
            move |c| tx.lock().map(|t| t.send(c).is_ok()).unwrap_or(false),
        );
        (stop, rx)
    }

    #[test]
    fn r11_a_resident_id_card_through_the_bridge_is_admitted_tapped_first() {
        let k = Kiosk::new("r11-bridge", "biden.jpg");
        let card_photo = k.dir.join("id-photo.jpg");
        let small = examgate::kiosk::demo::id_card_photo(
            common::sample("biden.jpg").parent().expect("samples"),
            "biden.jpg",
            common::engine(),
        )
        .expect("ID photo");
        assert_eq!(
            image::load_from_memory(&small)
                .expect("jpeg")
                .to_rgb8()
                .dimensions(),
            (102, 126),
            "the card's photo is as small as a real card's"
        );
        std::fs::write(&card_photo, &small).expect("write photo");
        let room = k.room();
        let mut reader = EmulatedReader::new(vec![]);
        let (stop, rx) = run_bridge(
            &[
                "good",
                card_photo.to_str().expect("path"),
                "110105201111200034",
            ],
            reader.bridge.clone(),
        );
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        // Tap first: the bridge reports the card, the attempt starts without a ticket.
        let c = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the bridge reports");
        assert_eq!(c, Command::IdCardRead);
        s.handle(c).expect("card");
        stop.store(true, Ordering::SeqCst);
        let (t, d) = last(&s.runner);
        assert_eq!((t, d), (ticket("2027010002"), Decision::Admit { seat: 2 }));
        drop(s);
        let decided = k
            .events()
            .into_iter()
            .find_map(|e| match e {
                Event::Decision(d) => Some(d),
                _ => None,
            })
            .expect("a decision event");
        assert_eq!(
            decided.document,
            Some(DocumentLogged::Read {
                read_by: ReadBy::CertifiedReader,
                passive_auth: examgate::decision::PassiveAuth::NotApplicable,
            }),
            "logged as read by the certified reader, no passive authentication claimed"
        );
        match decided.face {
            Some(examgate::decision::FaceEvidence::Captured {
                portrait_score: Some(p),
                ..
            }) => assert!(p > 0.42, "scored against the card's small photo: {p}"),
            other => panic!("no portrait score: {other:?}"),
        }
    }

    /// A camera whose frames have stopped (a dead or hung capture thread).
    struct Dead;

    impl FrameSource for Dead {
        fn frames(&mut self, _: usize) -> Result<Vec<image::RgbImage>, String> {
            Err("the camera gave no frame within 2000 ms".into())
        }
    }

    #[test]
    fn r12_frames_that_stop_are_a_lost_camera_not_a_candidate_without_a_face() {
        let (dir, package) = package("r12-dead-camera");
        let chinese = Roster::new(&package, "chinese").expect("roster");
        let kiosk = SeedKeyStore::from_seed(&[3; 32]);
        let mut log =
            Journal::open(&dir.join("door.db"), "K-S01-R101", &kiosk.verifying_key()).expect("log");
        let mut reader = EmulatedReader::new(vec![]);
        let mut camera = Dead;
        let clock = FixedClock::at(at(8, 40, 0));
        let mut door = Runner::new(
            Door::new(Timeouts::default()),
            &chinese,
            common::engine(),
            &mut log,
            &kiosk,
            &clock,
            "+08:00".parse().expect("offset"),
            &mut reader,
            &mut camera,
        );
        door.ticket(ticket("2027010003")).expect("ticket");
        assert!(door.tally.decisions.is_empty(), "no NoUsableFace referral");
        assert_eq!(
            door.door.phase,
            Phase::DeviceError {
                missing: vec![examgate::kiosk::door::Device::Camera]
            }
        );
        // At the idle door too.
        door.feed(Input::DeviceBack(examgate::kiosk::door::Device::Camera))
            .expect("back");
        door.look().expect("look");
        assert!(matches!(door.door.phase, Phase::DeviceError { .. }));
    }

    #[test]
    fn r11_a_demo_data_exam_runs_through_the_bridge() {
        // A small synthetic exam as `demo-data` writes it (90 % resident ID cards), built
        // into packages by `package build` as the office would.
        let dir = common::packages::scratch("r11-demo-data");
        let inputs = dir.join("inputs");
        let made = common::packages::examgate()
            .args([
                "demo-data",
                "--candidates",
                "20",
                "--rooms",
                "1",
                "--sites",
                "1",
            ])
            .arg("--photos")
            .arg(common::sample("obama.jpg").parent().expect("samples"))
            .arg("--out")
            .arg(&inputs)
            .output()
            .expect("demo-data runs");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let office = common::packages::keys(&dir.join("office"));
        let out = dir.join("packages");
        let built = common::packages::build(&inputs, &office, &out, &[]);
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        let room_dir = std::fs::read_dir(&out)
            .expect("packages")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.is_dir())
            .and_then(|site| {
                std::fs::read_dir(site)
                    .ok()?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .find(|p| p.is_dir())
            })
            .expect("one room's package");
        let key = examgate::platform::keystore::parse_public_key(
            &std::fs::read_to_string(office.join("office-sign.pub")).expect("office key"),
            "office key",
        )
        .expect("key");
        // demo-data's exam day is the demo's (2027-06-12, +08:00).
        let package =
            examgate::package::open::open(&room_dir, &key, None, at(8, 30, 0)).expect("opens");
        let session = package.package.sessions[0].clone();
        let opens_ms = (session.entry_opens + chrono::Duration::minutes(5))
            .and_utc()
            .timestamp_millis()
            - i64::from(package.offset.local_minus_utc()) * 1000;
        let rows = common::read_csv(&inputs.join("candidates.csv"));
        let roster = Roster::new(&package, &session.id).expect("roster");
        let holder = rows
            .iter()
            .find(|r| {
                r["doc_type"] == "cn-id"
                    && roster
                        .record(&TicketNumber(r["ticket"].clone()))
                        .is_some_and(|c| c.placement.is_some())
            })
            .expect("a resident ID card holder in the room");
        let ticket_no = TicketNumber(holder["ticket"].clone());
        let seat = roster
            .record(&ticket_no)
            .and_then(|c| c.placement)
            .map(|p| p.seat)
            .expect("seated");
        let samples = common::sample("obama.jpg");
        let samples = samples.parent().expect("samples");
        let card_photo = dir.join("id-photo.jpg");
        std::fs::write(
            &card_photo,
            examgate::kiosk::demo::id_card_photo(samples, &holder["photo"], common::engine())
                .expect("ID photo"),
        )
        .expect("write");
        let mut reader = EmulatedReader::new(vec![]);
        let (stop, rx) = run_bridge(
            &[
                "good",
                card_photo.to_str().expect("path"),
                &holder["doc_number"],
                &holder["name"],
            ],
            reader.bridge.clone(),
        );
        let kiosk = SeedKeyStore::from_seed(&[5; 32]);
        let mut log =
            Journal::open(&dir.join("door.db"), "K-1", &kiosk.verifying_key()).expect("log");
        let face = Rc::new(RefCell::new(photo(&holder["photo"])));
        let mut camera = Replay(face);
        let clock = FixedClock::at(opens_ms);
        let mut door = Runner::new(
            Door::new(Timeouts::default()),
            &roster,
            common::engine(),
            &mut log,
            &kiosk,
            &clock,
            package.offset,
            &mut reader,
            &mut camera,
        );
        door.ticket(ticket_no.clone()).expect("ticket");
        assert!(
            matches!(door.door.phase, Phase::AwaitingDocument { .. }),
            "a resident ID card is expected: {:?}",
            door.door.phase
        );
        let c = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the bridge reports");
        assert_eq!(c, Command::IdCardRead);
        door.feed(Input::CardPresent(Slot::ResidentId))
            .expect("card");
        stop.store(true, Ordering::SeqCst);
        assert_eq!(last(&door), (ticket_no, Decision::Admit { seat }));
    }

    #[test]
    fn r11_a_silent_or_garbled_bridge_is_a_referral_the_invigilator_resolves() {
        for mode in ["silent", "garbage"] {
            let k = Kiosk::new(&format!("r11-bridge-{mode}"), "biden.jpg");
            let room = k.room();
            let mut reader = EmulatedReader::new(vec![]);
            let (stop, rx) = run_bridge(&[mode], reader.bridge.clone());
            let roster = Roster::new(&k.package, "chinese").expect("roster");
            let mut log = k.journal();
            let mut camera = Replay(k.face.clone());
            let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
            s.handle(Command::Ticket("2027010002".into()))
                .expect("ticket");
            assert!(matches!(
                s.runner.door.phase,
                Phase::AwaitingDocument { .. }
            ));
            if mode == "garbage" {
                let c = rx
                    .recv_timeout(Duration::from_secs(20))
                    .expect("the bridge reports");
                s.handle(c).expect("the failure");
                assert!(
                    matches!(
                        s.runner.door.phase,
                        Phase::AwaitingDocument { failures: 1, .. }
                    ),
                    "{:?}",
                    s.runner.door.phase
                );
            }
            stop.store(true, Ordering::SeqCst);
            k.clock.advance(30_000);
            s.handle(Command::Tick).expect("tick");
            let (t, d) = last(&s.runner);
            assert_eq!(t, ticket("2027010002"));
            let Decision::Refer { reasons } = d else {
                panic!("{mode}: {d:?}")
            };
            assert!(
                reasons
                    .iter()
                    .any(|r| matches!(r, ReferReason::DocumentUnreadable { .. })),
                "{mode}: {reasons:?}"
            );
            // The invigilator checks the card by hand and admits.
            unlock(&mut s, "T001", "480613927");
            s.handle(Command::Review("2027010002".into()))
                .expect("review");
            assert_eq!(s.view().screen, Screen::Review);
            s.handle(Command::Resolve(ReasonCode::DocumentUnreadable))
                .expect("resolve");
            assert!(s.runner.tally.referrals.is_empty(), "{mode}");
            assert_eq!(s.runner.admitted().get(&ticket("2027010002")), Some(&2));
            assert!(!s.invigilating(), "{mode}: locked after the resolution");
        }
    }

    #[test]
    fn r11_a_chip_that_refuses_the_key_and_a_uid_tap_first() {
        let k = Kiosk::new("r11-wrong-key", "obama.jpg");
        let room = k.room();
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        // The roster's CAN does not open this chip: two taps, then a referral.
        let mut reader = Chip(obama_passport("999999"));
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        s.handle(Command::Ticket("2027010001".into()))
            .expect("ticket");
        s.handle(Command::CardPresent).expect("tap");
        assert!(
            s.runner.tally.decisions.is_empty(),
            "one failed read: tap again"
        );
        s.handle(Command::CardPresent).expect("tap again");
        let (t, d) = last(&s.runner);
        assert_eq!(t, ticket("2027010001"));
        assert!(
            matches!(&d, Decision::Refer { reasons } if reasons.iter().any(|r| matches!(r, ReferReason::DocumentUnreadable { why } if why.contains("2 reads failed")))),
            "{d:?}"
        );
        drop(s);

        // A student card's UID, tapped without a ticket, starts the attempt.
        let k = Kiosk::new("r11-uid", "biden.jpg");
        let room = k.room();
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut reader = EmulatedReader::new(vec![]);
        *reader.uid_card.lock().expect("lock") =
            Some(vec![0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]);
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        s.handle(Command::CardPresent).expect("tap");
        assert_eq!(
            last(&s.runner),
            (ticket("2027010002"), Decision::Admit { seat: 2 })
        );
    }

    /// A reader that notes the deadline and time the door gives each read, then reads its
    /// chip as a card that has used the whole budget would end: with the deadline passed.
    struct Stalled {
        chip: Chip,
        seen: Vec<(u64, i64)>,
    }

    impl DocumentReader for Stalled {
        fn read(
            &mut self,
            slot: Slot,
            access: Option<&Access>,
            deadline: &Deadline,
            at_utc_ms: i64,
        ) -> Result<devices::Document, ReadError> {
            self.seen.push((deadline.limit_ms(), at_utc_ms));
            self.chip
                .read(slot, access, &Deadline::after_ms(0), at_utc_ms)
        }
    }

    #[test]
    fn r12_the_door_gives_the_read_its_deadline_and_a_stalled_card_is_referred() {
        let k = Kiosk::new("r12-deadline", "obama.jpg");
        let room = k.room();
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut reader = Stalled {
            chip: Chip(obama_passport("123456")),
            seen: Vec::new(),
        };
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        s.handle(Command::Ticket("2027010001".into()))
            .expect("ticket");
        s.handle(Command::CardPresent).expect("tap");
        s.handle(Command::CardPresent).expect("tap again");
        let (t, d) = last(&s.runner);
        assert_eq!(t, ticket("2027010001"));
        assert!(
            matches!(&d, Decision::Refer { reasons } if reasons.iter().any(|r| matches!(r, ReferReason::DocumentUnreadable { why } if why.contains("deadline")))),
            "{d:?}"
        );
        drop(s);
        // The roster's read deadline less the APDU allowance, at the door's clock.
        let budget = u64::try_from(roster.read_deadline_ms()).expect("positive") - 1_000;
        assert_eq!(reader.seen, vec![(budget, at(8, 40, 0)); 2]);
    }

    #[test]
    fn r11_a_covered_face_keeps_the_mismatch_and_two_pins_auto_lock_and_admit_by_hand() {
        let k = Kiosk::new("r11-two-person", "biden.jpg");
        let room = k.room();
        let roster = Roster::new(&k.package, "chinese").expect("roster");
        let mut log = k.journal();
        let mut camera = Replay(k.face.clone());
        let mut reader = Chip(obama_passport("123456"));
        let mut s = station(&k, room, &roster, &mut log, &mut reader, &mut camera);
        // An impostor with Obama's ticket and passport.
        s.handle(Command::Ticket("2027010001".into()))
            .expect("ticket");
        s.handle(Command::CardPresent).expect("tap");
        assert!(matches!(last(&s.runner).1, Decision::Refer { .. }));
        k.clock.advance(7_000);
        s.handle(Command::Tick).expect("tick");
        // Again, face covered (nothing the camera can use).
        *k.face.borrow_mut() = image::RgbImage::new(640, 480);
        s.handle(Command::Ticket("2027010001".into()))
            .expect("ticket");
        s.handle(Command::CardPresent).expect("tap");
        let referral = s
            .runner
            .tally
            .referral(&ticket("2027010001"))
            .expect("open");
        assert!(
            referral
                .reasons
                .iter()
                .any(|r| matches!(r, ReferReason::RegistrationMismatch { .. })),
            "the face mismatch is still there: {:?}",
            referral.reasons
        );
        assert!(referral
            .reasons
            .iter()
            .any(|r| matches!(r, ReferReason::NoUsableFace { .. })));
        assert_eq!(s.runner.tally.referrals.len(), 1);
        k.clock.advance(7_000);
        s.handle(Command::Tick).expect("tick");

        // One invigilator cannot admit over it.
        unlock(&mut s, "T001", "480613927");
        s.handle(Command::Review("2027010001".into()))
            .expect("review");
        s.handle(Command::Resolve(ReasonCode::IdentityConfirmedByHand))
            .expect("resolve");
        let v = s.view();
        assert_eq!(
            (v.screen, v.pin_purpose),
            (Screen::Pin, PinPurpose::SecondForAdmit)
        );
        s.handle(Command::PinCancel).expect("cancel");

        // Unattended: locked after 60 s without a touch, not before.
        k.clock.advance(59_000);
        s.handle(Command::Tick).expect("tick");
        assert!(s.invigilating(), "59 s: still open");
        k.clock.advance(1_000);
        s.handle(Command::Tick).expect("tick");
        assert!(!s.invigilating(), "60 s without a touch: locked");
        assert_eq!(s.view().screen, Screen::Idle);
        s.handle(Command::Resolve(ReasonCode::IdentityConfirmedByHand))
            .expect("ignored");
        assert_eq!(
            s.runner.tally.referrals.len(),
            1,
            "nothing resolved while locked"
        );

        // From the seat map: the candidate without a document admitted by hand, with two PINs.
        unlock(&mut s, "T001", "480613927");
        s.handle(Command::ReviewSeat(3)).expect("seat 3");
        let v = s.view();
        assert_eq!(v.screen, Screen::Review);
        assert_eq!(
            v.review.as_ref().map(|r| r.ticket.as_str()),
            Some("2027010003")
        );
        s.handle(Command::Resolve(ReasonCode::IdentityConfirmedByHand))
            .expect("admit");
        assert_eq!(s.view().pin_purpose, PinPurpose::SecondForAdmit);
        s.handle(Command::Pin {
            id: "T002".into(),
            pin: "905127384".into(),
        })
        .expect("second pin");
        assert_eq!(s.runner.admitted().get(&ticket("2027010003")), Some(&3));
        assert!(!s.invigilating(), "locked after the admission");
        let admitted = s.runner.admitted().clone();
        drop(s);

        // The log replays from its typed events to the same session.
        let rows = examgate::journal::read(&k.dir.join("door.db"))
            .expect("log")
            .rows;
        let replayed = examgate::kiosk::resume::replay(&rows, "chinese").expect("replays");
        assert_eq!(replayed.tally.admitted, admitted);
        assert_eq!(replayed.tally.referrals.len(), 1);
        assert!(replayed.tally.referrals[0].needs_second());
        assert!(k
            .events()
            .iter()
            .any(|e| matches!(e, Event::ManualAdmission(m) if m.second_invigilator == "T002")));
    }
}

// ---------------------------------------------------------------------------------------
// Issue 12: the worker survives hostile frames and cards.
// ---------------------------------------------------------------------------------------

mod supervision {
    use std::sync::{Arc, Mutex};

    use super::*;
    use examgate::journal::events::Event;
    use examgate::kiosk::door::Device;
    use examgate::kiosk::setup::Room;
    use examgate::kiosk::station::Command;
    use examgate::kiosk::view::{Notice, Screen, View};
    use examgate::kiosk::worker::{self, Job, Parts, Update};

    /// A camera showing whatever frame the test puts there.
    struct Scene(Arc<Mutex<image::RgbImage>>);

    impl FrameSource for Scene {
        fn frames(&mut self, n: usize) -> Result<Vec<image::RgbImage>, String> {
            Ok(vec![self.0.lock().expect("scene").clone(); n])
        }
    }

    /// A reader whose card makes the chip parser panic (a stand-in for any third-party
    /// code tripping on a hostile card).
    struct Hostile;

    impl DocumentReader for Hostile {
        fn read(
            &mut self,
            _: Slot,
            _: Option<&Access>,
            _: &examgate::card::Deadline,
            _: i64,
        ) -> Result<devices::Document, ReadError> {
            panic!("index 4294967295 out of range for slice of length 12")
        }
    }

    fn next_view(updates: &std::sync::mpsc::Receiver<Update>) -> View {
        loop {
            match updates
                .recv_timeout(std::time::Duration::from_secs(60))
                .expect("the worker answers")
            {
                Update::View(v) => return *v,
                Update::Failed(why) => panic!("the worker stopped: {why}"),
                _ => {}
            }
        }
    }

    #[test]
    fn r12_faults_are_logged_the_door_goes_on_and_three_in_a_minute_show_the_error() {
        let dir = common::packages::scratch("r12-supervision");
        let package = common::packages::example_room_package(&dir, at(8, 30, 0));
        let session = package
            .package
            .sessions
            .iter()
            .find(|s| s.id == "chinese")
            .expect("session")
            .clone();
        let room = Room::new(
            &package,
            &session,
            "K-S01-R101",
            ExportTo::Dir(dir.join("export")),
        )
        .expect("room");
        let keys = SeedKeyStore::from_seed(&[6; 32]);
        let journal =
            Journal::open(&dir.join("door.db"), "K-S01-R101", &keys.verifying_key()).expect("log");
        let clock = Arc::new(FixedClock::at(at(8, 40, 0)));
        // A printed QR code that trips the finder's assert, held up at the idle door.
        let scene = Arc::new(Mutex::new(examgate::kiosk::ticket::small_turned_code()));
        let parts = Parts {
            roster: room.roster,
            engine: Arc::new(
                examgate::face::FaceEngine::load(&common::models_dir()).expect("models"),
            ),
            journal,
            keys: Box::new(keys),
            clock: clock.clone(),
            offset: "+08:00".parse().expect("offset"),
            reader: Box::new(Hostile),
            camera: Box::new(Scene(scene.clone())),
            info: room.info,
            gate: room.gate,
            sealer: None,
            timeouts: room.timeouts,
        };
        let (jobs, updates, handle) = worker::spawn(parts);
        next_view(&updates);
        let send = |c: Command| {
            jobs.send(Job::Command(c)).expect("worker alive");
            next_view(&updates)
        };
        let v = send(Command::Tick);
        assert_eq!(v.screen, Screen::Idle);
        assert_eq!(v.notice, Notice::Fault("qr".into()), "the screen says so");
        // A card that makes the parser panic: the door is idle again, not dead.
        let v = send(Command::Ticket("2027010001".into()));
        assert_eq!(v.screen, Screen::Idle);
        let v = send(Command::CardPresent);
        assert_eq!(v.notice, Notice::Fault("door".into()));
        assert_eq!(v.screen, Screen::Idle, "two faults: the door goes on");
        let v = send(Command::Tick);
        assert_eq!(
            v.screen,
            Screen::DeviceError,
            "the third fault within a minute"
        );
        assert_eq!(v.missing, vec![Device::Software]);
        // A quiet minute later (the printed code taken away) the door is back.
        *scene.lock().expect("scene") = image::RgbImage::new(640, 480);
        clock.advance(60_000);
        let v = send(Command::Tick);
        assert_eq!(v.screen, Screen::Idle, "{:?}", v.missing);
        jobs.send(Job::Quit).expect("quit");
        handle.join().expect("the worker ends cleanly");
        let faults: Vec<(String, String)> = examgate::journal::read(&dir.join("door.db"))
            .expect("log")
            .rows
            .iter()
            .filter_map(
                |r| match Event::parse(&r.kind, &r.payload).expect("typed") {
                    Event::WorkerFault { stage, message } => Some((stage, message)),
                    _ => None,
                },
            )
            .collect();
        assert_eq!(faults.len(), 3, "{faults:?}");
        assert_eq!(faults[0].0, "qr");
        assert!(faults[0].1.contains("rotated perspective"), "{faults:?}");
        assert_eq!(faults[1].0, "door");
        assert!(faults[1].1.contains("out of range"), "{faults:?}");
    }
}
