//! The door with simulated devices and a fixed clock: the example room package built with the
//! real face models, the emulated passport (with the chip's own PKI), replayed sample photos
//! as the camera, a real log file. Each outcome of the demo script: an impostor referred, the
//! genuine candidate admitted with the seat, the same ticket again referred, a candidate at
//! the wrong room sent to the right site, room and seat, a late candidate turned away.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use chrono::FixedOffset;
use examgate::card::emrtd::{self, Access, DocumentRead};
use examgate::card::emulated::{Document, EmulatedPassport};
use examgate::card::mrz;
use examgate::card::pace::{Curve, PaceInfo};
use examgate::decision::{Decision, DenyReason, Guidance, ReferReason, TicketNumber};
use examgate::journal::Journal;
use examgate::kiosk::demo::at;
use examgate::kiosk::door::{Door, Input, Phase, Timeouts};
use examgate::kiosk::roster::Roster;
use examgate::kiosk::runner::{DocumentReader, FrameSource, Runner};
use examgate::platform::clock::{Clock, FixedClock};
use examgate::platform::keystore::{KeyStore, SeedKeyStore};

struct Chip(EmulatedPassport);

impl DocumentReader for Chip {
    fn read(&mut self, access: &Access) -> Result<DocumentRead, examgate::card::Error> {
        self.0.reset(); // a fresh tap
        let csca = vec![self.0.csca()];
        emrtd::read(&mut self.0, access, &csca, &mut |b: &mut [u8]| b.fill(0x5A))
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

#[test]
fn the_demo_outcomes_through_the_door() {
    let dir = common::packages::scratch("door");
    let package = common::packages::example_room_package(&dir, at(8, 30, 0));
    let offset: FixedOffset = "+08:00".parse().expect("offset");
    let engine = common::engine();
    let kiosk = SeedKeyStore::from_seed(&[3; 32]);
    let mut log =
        Journal::open(&dir.join("door.db"), "K-S01-R101", &kiosk.verifying_key()).expect("log");

    // Obama's passport: PACE with the CAN the roster holds, the roster's document number,
    // birth date and expiry in its MRZ, obama2.jpg as its portrait.
    let passport = EmulatedPassport::new(
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
            can: Some("123456".into()),
            pace_only: false,
            uid: vec![8, 1, 2, 3],
        },
        Box::new(|b: &mut [u8]| b.fill(0x33)),
    )
    .expect("emulated passport");
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
            door.feed(Input::CardPresent).expect("tap");
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
        door.feed(Input::CardPresent).expect("tap");
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
