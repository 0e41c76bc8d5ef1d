//! The built-in demo: an exam office's work done at start (a demo exam whose room package is
//! built and signed from the sample photos, with emulated passports and their CSCAs), the
//! kiosk for room S01/R101 with simulated devices, and a scripted queue that shows every
//! outcome, then the invigilator resolving the referrals and sealing the session.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use chrono::{FixedOffset, NaiveDate};
use image::RgbImage;

use super::config::ExportTo;
use super::devices::bridge::Mailbox;
use super::devices::{EmulatedReader, ReplayCamera};
use super::door::Device;
use super::station::{Command, IncidentKind};
use super::worker::{Job, Parts};
use crate::card::bridge::BridgeCard;
use crate::card::emulated::{Document, EmulatedPassport};
use crate::card::mrz;
use crate::card::pace::{Curve, PaceInfo};
use crate::face::{FaceEngine, ModelKind};
use crate::journal::actions::ReasonCode;
use crate::journal::evidence::generate_office_keypair;
use crate::journal::Journal;
use crate::package::build::{self, InputPaths, OfficeMaterial};
use crate::package::{enrol, open};
use crate::platform::clock::{Clock, FixedClock};
use crate::platform::keystore::{KeyStore, SeedKeyStore};

/// The demo's exam day.
pub fn exam_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 6, 12).expect("a valid date")
}

/// The exam's UTC offset.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// Milliseconds since the epoch of exam-local `h:m:s` on the exam day.
pub fn at(h: u32, m: u32, s: u32) -> i64 {
    exam_day()
        .and_hms_opt(h, m, s)
        .expect("a valid time")
        .and_utc()
        .timestamp_millis()
        - i64::from(offset().local_minus_utc()) * 1000
}

/// The demo exam office's signing key (a fixed seed: demo packages are not secrets).
pub fn office_key() -> SeedKeyStore {
    SeedKeyStore::from_seed(&[0x0F; 32])
}

/// The photos the demo needs from `assets/samples` (fetched by models/fetch.sh).
pub const PHOTOS: [&str; 4] = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"];

const EXAM_TOML: &str = r#"name = "2027 市中考 Middle-School Entrance Examination (demo)"
utc_offset = "+08:00"

[[session]]
id = "chinese"
subject = "语文 Chinese"
date = 2027-06-12
entry_opens = "08:30"
start = "09:00"
end = "11:30"

[[site]]
id = "S01"
name = "第一中学 No. 1 Middle School"
rooms = [
  { id = "R101", seats = 30 },
  { id = "R102", seats = 30 },
]
"#;

const INVIGILATORS_CSV: &str = "id,name,rooms,pin
T001,张老师,S01/R101;S01/R102,480613927
T002,Ms Li,S01/R101,905127384
T003,王老师,S01/R102,361840572
";

/// One demo candidate with a passport: ticket, surname, given names, document number,
/// birth YYMMDD, expiry YYMMDD, CAN, the chip's portrait, the registration photo and the
/// seat in S01/R101.
struct Holder {
    ticket: &'static str,
    surname: &'static str,
    given: &'static str,
    number: &'static str,
    birth: &'static str,
    expiry: &'static str,
    can: &'static str,
    portrait: &'static str,
    photo: &'static str,
    seat: u16,
}

const HOLDERS: [Holder; 3] = [
    Holder {
        ticket: "2027010001",
        surname: "OBAMA",
        given: "BARACK",
        number: "L898902C3",
        birth: "110804",
        expiry: "310415",
        can: "123456",
        portrait: "obama2.jpg",
        photo: "obama.jpg",
        seat: 1,
    },
    Holder {
        ticket: "2027010002",
        surname: "BIDEN",
        given: "JOSEPH",
        number: "C01X00T47",
        birth: "111120",
        expiry: "300630",
        can: "654321",
        portrait: "biden.jpg",
        photo: "biden.jpg",
        seat: 2,
    },
    Holder {
        ticket: "2027010004",
        surname: "ZHANG",
        given: "WEI",
        number: "E12345678",
        birth: "110302",
        expiry: "320101",
        can: "246810",
        portrait: "obama3.jpg",
        photo: "obama3.jpg",
        seat: 4,
    },
];

/// Names for the rest of the room (registered without a document: the face alone).
const OTHERS: [&str; 16] = [
    "李明", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄婷", "周杰", "吴敏", "徐强", "孙丽", "马超",
    "朱琳", "胡斌", "郭佳", "何欣",
];

/// The demo's resident ID card holder: what the certified reader's bridge reports when the
/// card is put on it (the card's own photo is small: 102×126, as the vendor SDK gives it).
struct IdHolder {
    ticket: &'static str,
    name: &'static str,
    id_number: &'static str,
    /// Registration photo.
    photo: &'static str,
    /// The photo on the card's chip, before it is shrunk to the card's size.
    card_photo: &'static str,
    seat: u16,
}

const ID_HOLDER: IdHolder = IdHolder {
    ticket: "2027010021",
    name: "李娜",
    id_number: "11010520110308001X",
    photo: "obama2.jpg",
    card_photo: "obama.jpg",
    seat: 21,
};

/// The resident ID card's photo as the reader gives it: the face in sample photo `name`
/// cropped and shrunk to 102×126 pixels, JPEG (the tests use it too).
pub fn id_card_photo(samples: &Path, name: &str, engine: &FaceEngine) -> anyhow::Result<Vec<u8>> {
    let path = samples.join(name);
    let img = image::open(&path)
        .with_context(|| format!("demo ID photo {}", path.display()))?
        .to_rgb8();
    let face = engine
        .analyze(&img)
        .ok()
        .and_then(|a| a.face)
        .with_context(|| format!("no face in {}", path.display()))?;
    let b = face.detection.raw;
    // A passport-style crop around the face: 102:126, the face about half the width.
    let (cx, cy) = ((b.x1 + b.x2) / 2.0, (b.y1 + b.y2) / 2.0);
    let w = (b.x2 - b.x1) * 1.9;
    let h = w * 126.0 / 102.0;
    let x = (cx - w / 2.0).max(0.0) as u32;
    let y = (cy - h / 2.2).max(0.0) as u32;
    let w = (w as u32).min(img.width() - x);
    let h = (h as u32).min(img.height() - y);
    let crop = image::imageops::crop_imm(&img, x, y, w, h).to_image();
    let small = image::imageops::resize(&crop, 102, 126, image::imageops::FilterType::Triangle);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&small)
        .context("encoding the demo ID photo")?;
    Ok(jpeg)
}

fn candidates_csv() -> String {
    let mut csv = String::from(
        "ticket,name,sex,birth_date,doc_type,doc_number,doc_expiry,can,card_uid,photo,chinese_site,chinese_room,chinese_seat\n",
    );
    let date = |yymmdd: &str| format!("20{}-{}-{}", &yymmdd[0..2], &yymmdd[2..4], &yymmdd[4..6]);
    for h in &HOLDERS {
        csv += &format!(
            "{},\"{}, {}\",M,{},passport,{},{},{},,{},S01,R101,{}\n",
            h.ticket,
            h.surname,
            h.given,
            date(h.birth),
            h.number,
            date(h.expiry),
            h.can,
            h.photo,
            h.seat
        );
    }
    // Sent to R102: the wrong-room candidate.
    csv += "2027010003,陈晨,F,2011-05-06,none,,,,,obama2.jpg,S01,R102,5\n";
    // A resident ID card holder (read through the certified reader's bridge).
    csv += &format!(
        "{},{},M,2011-03-08,cn-id,{},,,,{},S01,R101,{}\n",
        ID_HOLDER.ticket, ID_HOLDER.name, ID_HOLDER.id_number, ID_HOLDER.photo, ID_HOLDER.seat
    );
    for (i, name) in OTHERS.iter().enumerate() {
        let seat = 5 + i;
        let photo = PHOTOS[i % PHOTOS.len()];
        csv += &format!(
            "20270101{:02},{name},{},2011-0{}-1{},none,,,,,{photo},S01,R101,{seat}\n",
            seat,
            if i % 2 == 0 { "M" } else { "F" },
            1 + i % 9,
            i % 10
        );
    }
    csv
}

/// A sample photo as a chip would store it: at most 640 pixels a side, JPEG. The samples
/// are camera photos of up to 600 KB; a DG2 over 256 KiB is refused by the reader (issue 12),
/// and real chips hold portraits of some 15–50 KB.
fn chip_portrait(photo: &[u8]) -> anyhow::Result<Vec<u8>> {
    const SIDE: u32 = 640;
    let image = crate::imaging::decode(photo)?;
    let scale = f64::from(SIDE) / f64::from(image.width().max(image.height()));
    let image = if scale < 1.0 {
        let w = ((f64::from(image.width()) * scale).round() as u32).max(1);
        let h = ((f64::from(image.height()) * scale).round() as u32).max(1);
        image::imageops::resize(&image, w, h, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&image)?;
    Ok(jpeg)
}

fn passport(h: &Holder, samples: &Path, seed: u8) -> anyhow::Result<EmulatedPassport> {
    let photo = std::fs::read(samples.join(h.portrait))
        .with_context(|| format!("demo portrait {}", samples.join(h.portrait).display()))?;
    let portrait = chip_portrait(&photo)?;
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let doc = Document {
        mrz: mrz::td3(h.surname, h.given, h.number, "UTO", h.birth, 'M', h.expiry),
        portrait,
        pace: Some(PaceInfo {
            key_len: 16,
            curve: Curve::BrainpoolP256,
        }),
        can: Some(h.can.to_string()),
        pace_only: false,
        uid: vec![8, seed, 2, 3],
    };
    // The emulated chip's own nonces and its test PKI keys: SplitMix64, reproducible.
    let random = Box::new(move |b: &mut [u8]| {
        for x in b.iter_mut() {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *x = (z ^ (z >> 31)) as u8;
        }
    });
    EmulatedPassport::new(doc, random).map_err(|e| anyhow::anyhow!("demo passport: {e}"))
}

/// The demo kiosk, ready to start.
pub struct Demo {
    /// What the worker owns.
    pub parts: Parts,
    /// The handles on its simulated devices.
    pub stage: Stage,
}

/// The demo's simulated devices, seen from the script's side.
#[derive(Clone)]
pub struct Stage {
    /// The passports, by ticket (put on the reader by the script).
    pub passports: HashMap<String, Arc<Mutex<Option<EmulatedPassport>>>>,
    /// The card on the reader.
    pub card: Arc<Mutex<Option<EmulatedPassport>>>,
    /// The resident-ID reader's bridge reports (the demo's fake bridge writes here).
    pub bridge: Mailbox,
    /// The resident ID cards, by ticket, as the bridge reports them.
    pub id_cards: HashMap<String, BridgeCard>,
    /// What stands in front of the camera.
    pub scene: Arc<Mutex<Option<RgbImage>>>,
    /// The simulated clock.
    pub clock: Arc<FixedClock>,
    /// The sample photos directory.
    pub samples: PathBuf,
    /// Where the log file is.
    pub log: PathBuf,
    /// The kiosk's public key (hex), for `examgate log verify`.
    pub kiosk_public: String,
}

/// Build the demo exam in `work` (which must be empty or absent) and the kiosk for room
/// S01/R101 at 08:40 on the exam day.
pub fn prepare(work: &Path, samples: &Path, engine: Arc<FaceEngine>) -> anyhow::Result<Demo> {
    for p in PHOTOS {
        if !samples.join(p).is_file() {
            bail!(
                "sample photo {} is missing; run models/fetch.sh first",
                samples.join(p).display()
            );
        }
    }
    let inputs = work.join("inputs");
    std::fs::create_dir_all(inputs.join("csca"))
        .with_context(|| format!("creating {}", inputs.display()))?;
    let mut passports = HashMap::new();
    for (i, h) in HOLDERS.iter().enumerate() {
        let chip = passport(h, samples, i as u8 + 1)?;
        std::fs::write(
            inputs.join("csca").join(format!("demo-csca-{}.der", i + 1)),
            chip.csca(),
        )?;
        passports.insert(h.ticket.to_string(), Arc::new(Mutex::new(Some(chip))));
    }
    std::fs::write(inputs.join("exam.toml"), EXAM_TOML)?;
    std::fs::write(inputs.join("candidates.csv"), candidates_csv())?;
    std::fs::write(inputs.join("invigilators.csv"), INVIGILATORS_CSV)?;

    // The exam office's side: validate, enrol the photos, hash the PINs, sign.
    let paths = InputPaths {
        exam: inputs.join("exam.toml"),
        candidates: inputs.join("candidates.csv"),
        invigilators: inputs.join("invigilators.csv"),
        csca: inputs.join("csca"),
    };
    let read = build::read_inputs(&paths).map_err(|problems| {
        anyhow::anyhow!(
            "the demo inputs are invalid: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let names: BTreeSet<String> = read.candidates.iter().map(|c| c.photo.clone()).collect();
    let enrolments = enrol::enrol_all(&engine, samples, &names, 2)
        .into_iter()
        .map(|(name, r)| {
            r.map(|e| (name.clone(), e))
                .map_err(|p| anyhow::anyhow!("demo photo {name}: {p}"))
        })
        .collect::<anyhow::Result<HashMap<_, _>>>()?;
    let pins = crate::package::invigilators::hash_pins(&read.invigilators, 2);
    let (evidence_secret, evidence_public) = generate_office_keypair();
    let office = office_key();
    let kiosk = SeedKeyStore::from_seed(&[0x4B; 32]);
    write_office_keys(
        &work.join("keys"),
        &office,
        &kiosk,
        &evidence_secret,
        &evidence_public,
    )?;
    let plan = build::assemble(
        &read,
        &enrolments,
        &pins,
        &OfficeMaterial {
            evidence_key: evidence_public,
            template_model: ModelKind::Embed.sha256().to_string(),
            built_at: None,
        },
    );
    let out = work.join("packages");
    build::write(&out, &plan, &office)?;

    // The kiosk's side: open the package as on exam day.
    let clock = Arc::new(FixedClock::at(at(8, 40, 0)));
    let package = open::open(
        &out.join("S01/R101"),
        &office.verifying_key(),
        None,
        clock.now_utc_ms(),
    )?;
    let session = super::setup::pick_session(
        &package.package.sessions,
        Some("chinese"),
        open::local_time(clock.now_utc_ms(), offset()),
    )?;
    let room = super::setup::Room::new(
        &package,
        session,
        "K-S01-R101",
        ExportTo::Dir(work.join("export")),
    )?;
    let reader = EmulatedReader::new(room.csca);
    let card = reader.card.clone();
    let bridge = reader.bridge.clone();
    let id_cards = HashMap::from([(
        ID_HOLDER.ticket.to_string(),
        BridgeCard {
            id_number: ID_HOLDER.id_number.to_string(),
            name: ID_HOLDER.name.to_string(),
            photo: id_card_photo(samples, ID_HOLDER.card_photo, &engine)?,
            photo_format: "jpeg".to_string(),
        },
    )]);
    let camera = ReplayCamera::default();
    let scene = camera.scene.clone();
    let kiosk_public = crate::platform::keystore::hex(kiosk.verifying_key().as_bytes());
    let log = work.join("kiosk-log.db");
    let journal = Journal::open(&log, "K-S01-R101", &kiosk.verifying_key())?;
    Ok(Demo {
        stage: Stage {
            passports,
            card,
            bridge,
            id_cards,
            scene,
            clock: clock.clone(),
            samples: samples.to_path_buf(),
            log,
            kiosk_public,
        },
        parts: Parts {
            roster: room.roster,
            engine,
            journal,
            keys: Box::new(kiosk),
            clock: clock.clone(),
            offset: offset(),
            reader: Box::new(reader),
            camera: Box::new(camera),
            info: room.info,
            gate: room.gate,
            sealer: Some(room.sealer),
            timeouts: room.timeouts,
        },
    })
}

/// What the exam office needs to try the office verbs on the demo's export (README,
/// "The exam office"): its public keys, the evidence secret key, and the kiosk's public key
/// bound to its room.
fn write_office_keys(
    dir: &Path,
    office: &SeedKeyStore,
    kiosk: &SeedKeyStore,
    evidence_secret: &[u8; 32],
    evidence_public: &[u8; 32],
) -> anyhow::Result<()> {
    use crate::platform::keystore::hex;
    std::fs::create_dir_all(dir)?;
    let files = [
        ("office-sign.pub", hex(office.verifying_key().as_bytes())),
        ("office-evidence.pub", hex(evidence_public)),
        ("office-evidence.key", hex(evidence_secret)),
        (
            "kiosk-K-S01-R101.pub",
            hex(kiosk.verifying_key().as_bytes()),
        ),
        ("kiosk-K-S01-R101.room", "S01/R101".to_string()),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), format!("{text}\n"))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join("office-evidence.key"),
            std::fs::Permissions::from_mode(0o600),
        )?;
    }
    Ok(())
}

/// One step of the demo script.
#[derive(Debug, Clone)]
pub enum Step {
    /// A caption (printed; names the outcome to expect).
    Say(&'static str),
    /// The clock jumps to exam-local h:m:s.
    At(u32, u32, u32),
    /// This sample photo now stands in front of the camera.
    Face(&'static str),
    /// The candidate holds this ticket's QR code up to the camera (the door looks on the
    /// next tick).
    ShowTicket(&'static str),
    /// The passport of this ticket's holder goes on the reader (and a tap is felt).
    Tap(&'static str),
    /// The holder takes the passport back.
    Untap(&'static str),
    /// This ticket's holder puts their resident ID card on the certified reader (its bridge
    /// reports the card).
    IdCard(&'static str),
    /// A command.
    Do(Command),
    /// The result shows its full time; the door returns to idle.
    Settle,
}

/// The scripted queue: every outcome, then the invigilator's work.
pub fn script() -> Vec<Step> {
    use Command as C;
    use Step::*;
    let pin = |id: &str, pin: &str| {
        Do(C::Pin {
            id: id.into(),
            pin: pin.into(),
        })
    };
    vec![
        Say("the invigilators open the session: the first compares the kiosk's clock with the site's standard time and confirms it"),
        Do(C::OpenInvigilator),
        pin("T001", "480613927"),
        Do(C::ConfirmClock),
        Do(C::Lock),
        Say("a genuine candidate: ticket, passport, face → admitted with the seat"),
        Face("obama3.jpg"),
        Do(C::Scan("2027010001".into())),
        Tap("2027010001"),
        Untap("2027010001"),
        Say("the admitted candidate's answer sheet is scanned: it is theirs"),
        Do(C::Scan("2027010001/chinese".into())),
        Settle,
        Say("a resident ID card holder taps the card first (certified reader) → admitted with the seat"),
        Face("obama3.jpg"),
        IdCard("2027010021"),
        Settle,
        Say("an impostor holds Biden's ticket up to the camera, taps Biden's passport → referred"),
        ShowTicket("2027010002"),
        Face("obama.jpg"),
        Tap("2027010002"),
        Untap("2027010002"),
        Settle,
        Say("a candidate at the wrong room → sent to S01/R102 seat 5"),
        Do(C::Ticket("2027010003".into())),
        Settle,
        Say("the admitted ticket again → referred as a duplicate"),
        Face("obama3.jpg"),
        Do(C::Ticket("2027010001".into())),
        Tap("2027010001"),
        Untap("2027010001"),
        Settle,
        Say("the camera is unplugged and back"),
        Do(C::DeviceLost(Device::Camera)),
        Do(C::DeviceBack(Device::Camera)),
        Say("a candidate after the late cutoff → turned away"),
        At(9, 16, 0),
        Do(C::Ticket("2027010004".into())),
        Settle,
        Say("the invigilator: a wrong PIN, then the right one"),
        Do(C::OpenInvigilator),
        pin("T001", "111111"),
        pin("T001", "480613927"),
        Say("the impostor's referral: denied for impersonation"),
        Do(C::Review("2027010002".into())),
        Do(C::Resolve(ReasonCode::Impersonation)),
        Say("the duplicate (invigilator mode locked itself after the resolution: unlock again): the first admission stands, the repeat was a kiosk error"),
        Do(C::OpenInvigilator),
        pin("T001", "480613927"),
        Do(C::Review("2027010001".into())),
        Do(C::Resolve(ReasonCode::DuplicateWasKioskError)),
        Say("already admitted is a high-severity reason: the second invigilator confirms"),
        pin("T002", "905127384"),
        Say("an incident, then the seal with the second invigilator"),
        Do(C::OpenInvigilator),
        pin("T001", "480613927"),
        Do(C::ShowIncidents),
        Do(C::RecordIncident(IncidentKind::Unwell)),
        Do(C::Back),
        Do(C::ShowSeal),
        Do(C::Seal),
        pin("T002", "905127384"),
        Say("the signed log goes to the exam office"),
        Do(C::OpenInvigilator),
        pin("T001", "480613927"),
        Do(C::Export),
    ]
}

impl Stage {
    /// Exchange what is on the reader with the holder's pocket: a tap puts the passport
    /// down, the same exchange again gives it back.
    fn swap(&self, ticket: &str) -> anyhow::Result<Job> {
        let pocket = self
            .passports
            .get(ticket)
            .with_context(|| format!("no demo passport for {ticket}"))?
            .clone();
        let card = self.card.clone();
        Ok(Job::Do(Box::new(move || {
            let mut a = pocket.lock().unwrap_or_else(|p| p.into_inner());
            let mut b = card.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::swap(&mut *a, &mut *b);
        })))
    }

    /// The jobs that perform one step on the simulated devices.
    pub fn jobs(&self, step: &Step) -> anyhow::Result<Vec<Job>> {
        Ok(match step {
            Step::Say(words) => vec![Job::Say(words.to_string())],
            Step::At(h, m, s) => {
                let clock = self.clock.clone();
                let to = at(*h, *m, *s);
                vec![
                    Job::Do(Box::new(move || clock.advance(to - clock.now_utc_ms()))),
                    Job::Command(Command::Tick),
                ]
            }
            Step::Face(photo) => {
                let path = self.samples.join(photo);
                let photo = image::open(&path)
                    .with_context(|| format!("demo face {}", path.display()))?
                    .to_rgb8();
                // What a 640x480 camera at the door would see of the person in the photo.
                let img = crate::imaging::camera_frame(&photo, 640, 480);
                let scene = self.scene.clone();
                vec![Job::Do(Box::new(move || {
                    *scene.lock().unwrap_or_else(|p| p.into_inner()) = Some(img);
                }))]
            }
            Step::ShowTicket(ticket) => {
                let frame =
                    crate::imaging::camera_frame(&super::ticket::qr_card(ticket, 8), 640, 480);
                let scene = self.scene.clone();
                vec![
                    Job::Do(Box::new(move || {
                        *scene.lock().unwrap_or_else(|p| p.into_inner()) = Some(frame);
                    })),
                    Job::Command(Command::Tick),
                ]
            }
            Step::Tap(ticket) => vec![self.swap(ticket)?, Job::Command(Command::CardPresent)],
            Step::Untap(ticket) => vec![self.swap(ticket)?, Job::Command(Command::CardRemoved)],
            Step::IdCard(ticket) => {
                let card = self
                    .id_cards
                    .get(*ticket)
                    .with_context(|| format!("no demo ID card for {ticket}"))?
                    .clone();
                let bridge = self.bridge.clone();
                vec![
                    Job::Do(Box::new(move || bridge.put(Ok(card)))),
                    Job::Command(Command::IdCardRead),
                ]
            }
            Step::Do(c) => vec![Job::Command(c.clone())],
            Step::Settle => {
                let clock = self.clock.clone();
                vec![
                    Job::Do(Box::new(move || clock.advance(7_000))),
                    Job::Command(Command::Tick),
                ]
            }
        })
    }
}
