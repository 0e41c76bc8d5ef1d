//! A synthetic exam for the office's benchmark and tests: room packages built from
//! `demo-data`'s inputs (signed by a generated office key), a kiosk per room, and each
//! kiosk's log written through the real journal code — real signatures, sealed evidence,
//! seals — and exported after every session as an invigilator would. The faces come from
//! the caller: random unit vectors for the benchmark, real photos' embeddings for the proxy
//! tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::Error;
use crate::decision::{
    Decision, DenyReason, FaceEvidence, Guidance, PassiveAuth, ReadBy, ReferReason,
};
use crate::journal::actions::{ReasonCode, Resolution, Verdict};
use crate::journal::events::{ClockConfirmed, DecisionEvent, DocumentLogged, Event, SessionOpened};
use crate::journal::evidence::{generate_office_keypair, EvidencePlain, EvidenceSealer};
use crate::journal::seal::{Attestation, Counts, Report, Seal};
use crate::journal::Journal;
use crate::package::build::{self, Inputs, OfficeMaterial};
use crate::package::demo_data::{self, Spec};
use crate::package::enrol::Enrolment;
use crate::package::{exam, roster};
use crate::platform::keystore::{hex, KeyStore, SeedKeyStore};

/// What to make.
#[derive(Debug, Clone)]
pub struct SyntheticSpec {
    /// Candidates.
    pub candidates: usize,
    /// Rooms (one kiosk each).
    pub rooms: usize,
    /// Sites.
    pub sites: usize,
    /// Sessions (1 to 4).
    pub sessions: usize,
    /// Seed (the same seed makes the same exam, keys and events).
    pub seed: u64,
}

/// One candidate's face at the door: the live crop (JPEG) and its embedding.
pub type Face = (Vec<u8>, Vec<f32>);

/// Where it was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Room packages.
    pub packages: PathBuf,
    /// Office public keys, the evidence secret key, kiosk keys and rooms.
    pub keys: PathBuf,
    /// The exports.
    pub exports: PathBuf,
    /// Export files written.
    pub export_files: usize,
    /// Admissions logged.
    pub admissions: usize,
}

/// A tiny grey JPEG standing in for a live crop where the test needs none.
pub fn grey_crop() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(24, 24, image::Rgb([128, 128, 128]));
    let mut jpeg = Vec::new();
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80).encode_image(&img);
    jpeg
}

/// A deterministic random unit vector of `d` values for `key`.
pub fn random_unit(key: u64, d: usize) -> Vec<f32> {
    let mut state = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let v: Vec<f32> = (0..d)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Sum of uniforms, close enough to Gaussian for a random direction.
            let u = |s: u64, k: u32| ((s >> k) & 0xFFFF) as f32 / 65536.0;
            u(state, 0) + u(state, 16) + u(state, 32) + u(state, 48) - 2.0
        })
        .collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.into_iter().map(|x| x / n).collect()
}

fn seed_for(seed: u64, what: &str) -> [u8; 32] {
    Sha256::digest(format!("{seed}/{what}").as_bytes()).into()
}

/// The signing key of kiosk `id` in the exam made with `seed` (tests write more events).
pub fn kiosk_key(seed: u64, id: &str) -> SeedKeyStore {
    SeedKeyStore::from_seed(&seed_for(seed, id))
}

/// Write the exam into `dir` (`packages/`, `keys/`, `exports/`; kiosk logs in `kiosks/`).
/// `face(candidate index, session index)` is the face the door sees.
pub fn write(
    dir: &Path,
    spec: &SyntheticSpec,
    face: &(dyn Fn(usize, usize) -> Face + Sync),
) -> Result<Written, Error> {
    let date = NaiveDate::from_ymd_opt(2027, 6, 12).unwrap_or_default();
    let files = demo_data::generate(&Spec {
        candidates: spec.candidates,
        rooms: spec.rooms,
        sites: spec.sites,
        date,
        photos: vec!["face.jpg".into()],
        seed: spec.seed,
        sessions: spec.sessions,
    });
    let bad = |what: &str, problems: Vec<crate::package::Problem>| {
        Error::Input(format!(
            "synthetic {what}: {}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    };
    let exam = exam::parse(&files.exam_toml).map_err(|p| bad("exam", p))?;
    let rooms = exam.rooms();
    let session_ids: Vec<&str> = exam.sessions.iter().map(|s| s.id.as_str()).collect();
    let candidates = roster::parse(&files.candidates_csv, &session_ids, &rooms)
        .map_err(|p| bad("candidates", p))?;
    let inputs = Inputs {
        exam,
        candidates,
        invigilators: Vec::new(),
        csca: Vec::new(),
    };
    let enrolments = HashMap::from([(
        "face.jpg".to_string(),
        Enrolment {
            template: random_unit(0, 512),
            thumbnail_jpeg: grey_crop(),
            warnings: Vec::new(),
        },
    )]);
    let office = SeedKeyStore::from_seed(&seed_for(spec.seed, "office"));
    let (evidence_secret, evidence_public) = generate_office_keypair();
    let plan = build::assemble(
        &inputs,
        &enrolments,
        &[],
        &OfficeMaterial {
            evidence_key: evidence_public,
            template_model: crate::face::ModelKind::Embed.sha256().to_string(),
            built_at: None,
        },
    );
    let packages = dir.join("packages");
    build::write(&packages, &plan, &office).map_err(|e| Error::Input(e.to_string()))?;
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).map_err(Error::io(&keys))?;
    let put = |name: &str, text: String| -> Result<(), Error> {
        let p = keys.join(name);
        std::fs::write(&p, format!("{text}\n")).map_err(Error::io(&p))
    };
    put("office-sign.pub", hex(office.verifying_key().as_bytes()))?;
    put("office-evidence.pub", hex(&evidence_public))?;
    put("office-evidence.key", hex(&evidence_secret))?;
    let exports = dir.join("exports");
    let logs = dir.join("kiosks");
    for d in [&exports, &logs] {
        std::fs::create_dir_all(d).map_err(Error::io(d))?;
    }
    let sealer = EvidenceSealer::new(evidence_public);
    let offset = inputs.exam.utc_offset;
    let to_ms = |t: chrono::NaiveDateTime| {
        t.and_utc().timestamp_millis() - i64::from(offset.local_minus_utc()) * 1000
    };
    // Candidate index by ticket (demo-data numbers them from 2027000001).
    let index = |ticket: &str| ticket.parse::<usize>().map_or(0, |t| t - 2_027_000_001);
    let packages_by_room: Vec<_> = plan.packages.iter().collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let results: Vec<Result<(usize, usize), Error>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<(usize, usize), Error> {
                    let (mut files_written, mut admissions) = (0, 0);
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(p) = packages_by_room.get(i) else {
                            break;
                        };
                        let id = format!("K-{}-{}", p.site, p.room);
                        let kiosk = kiosk_key(spec.seed, &id);
                        std::fs::write(
                            keys.join(format!("kiosk-{id}.pub")),
                            format!("{}\n", hex(kiosk.verifying_key().as_bytes())),
                        )
                        .map_err(Error::io(&keys))?;
                        std::fs::write(
                            keys.join(format!("kiosk-{id}.room")),
                            format!("{}/{}\n", p.site, p.room),
                        )
                        .map_err(Error::io(&keys))?;
                        let path = logs.join(format!("{id}.db"));
                        let mut log = Journal::open(&path, &id, &kiosk.verifying_key())
                            .map_err(|e| Error::Input(e.to_string()))?;
                        for (si, s) in p.sessions.iter().enumerate() {
                            let seated: Vec<(&str, u16)> = p
                                .candidates
                                .iter()
                                .filter_map(|c| {
                                    c.seats.get(&s.id).map(|seat| (c.ticket.as_str(), *seat))
                                })
                                .collect();
                            let a = session(
                                &mut log,
                                &kiosk,
                                &sealer,
                                &s.id,
                                to_ms(s.entry_opens),
                                to_ms(s.late_cutoff),
                                &seated,
                                si,
                                face,
                                &index,
                            )
                            .map_err(|e| Error::Input(format!("kiosk {id}: {e}")))?;
                            admissions += a;
                            let name = format!(
                                "{id}-{}-{}.examgate-log",
                                s.id,
                                s.end.format("%Y%m%dT%H%M%S")
                            );
                            let at = to_ms(s.end) + 60_000;
                            log.export_to(&exports.join(&name), &kiosk, at)
                                .map_err(|e| Error::Input(e.to_string()))?;
                            let events = log.head_seq();
                            let e = Event::LogExported { file: name, events };
                            log.append(&e.kind(), &e.payload(), at, &kiosk)
                                .map_err(|e| Error::Input(e.to_string()))?;
                            files_written += 1;
                        }
                    }
                    Ok((files_written, admissions))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(Error::Input("a generator thread panicked".into())))
            })
            .collect()
    });
    let (mut export_files, mut admissions) = (0, 0);
    for r in results {
        let (f, a) = r?;
        export_files += f;
        admissions += a;
    }
    Ok(Written {
        packages,
        keys,
        exports,
        export_files,
        admissions,
    })
}

/// One session at one door: opened, the clock confirmed, every seated candidate decided
/// (most admitted with their sealed face, a few referred and admitted on review, a few
/// late, some absent), sealed. The number of admissions.
#[allow(clippy::too_many_arguments)] // one session's whole context, written once
fn session(
    log: &mut Journal,
    kiosk: &SeedKeyStore,
    sealer: &EvidenceSealer,
    session: &str,
    opens_ms: i64,
    cutoff_ms: i64,
    seated: &[(&str, u16)],
    session_index: usize,
    face: &(dyn Fn(usize, usize) -> Face + Sync),
    index: &dyn Fn(&str) -> usize,
) -> Result<usize, String> {
    let mut at = opens_ms;
    let put = |log: &mut Journal, e: &Event, at: i64| -> Result<(), String> {
        log.append(&e.kind(), &e.payload(), at, kiosk)
            .map(drop)
            .map_err(|e| e.to_string())
    };
    put(
        log,
        &Event::SessionOpened(SessionOpened {
            session: session.into(),
            resumed_decisions: 0,
        }),
        at,
    )?;
    put(
        log,
        &Event::ClockConfirmed(ClockConfirmed {
            session: session.into(),
            invigilator: "T1".into(),
            second_invigilator: None,
            kiosk_time_ms: at,
            offset_ms: 0,
        }),
        at,
    )?;
    let span = (cutoff_ms - opens_ms).max(1);
    let (mut admitted, mut referred, mut denied) = (0u32, 0u32, 0u32);
    let read = DocumentLogged::Read {
        read_by: ReadBy::CertifiedReader,
        passive_auth: PassiveAuth::NotApplicable,
    };
    for (n, (ticket, seat)) in seated.iter().enumerate() {
        let i = index(ticket);
        let roll = (i * 7 + session_index * 13) % 100;
        if roll < 3 {
            continue; // absent
        }
        at = opens_ms + span * (n as i64 + 1) / (seated.len() as i64 + 2);
        if roll < 5 {
            let d = Decision::Deny {
                reason: DenyReason::Late {
                    cutoff: chrono::DateTime::from_timestamp_millis(cutoff_ms)
                        .unwrap_or_default()
                        .naive_utc(),
                },
                guidance: Guidance::NoEntry,
            };
            put(
                log,
                &Event::Decision(Box::new(DecisionEvent::new(ticket, &d, None, None))),
                cutoff_ms + 60_000,
            )?;
            denied += 1;
            continue;
        }
        let (crop, embedding) = face(i, session_index);
        let face_scores = FaceEvidence::Captured {
            liveness: 0.95,
            registration_score: 0.7,
            portrait_score: Some(0.68),
        };
        let refer = roll < 8;
        let d = if refer {
            Decision::Refer {
                reasons: vec![ReferReason::RegistrationMismatch {
                    score: 0.38,
                    threshold: 0.43,
                }],
            }
        } else {
            Decision::Admit { seat: *seat }
        };
        let mut event = DecisionEvent::new(ticket, &d, Some(face_scores), Some(read.clone()));
        let sealed = sealer
            .seal(
                &EvidencePlain {
                    crop_jpeg: crop,
                    embedding: Some(embedding),
                }
                .encode(),
            )
            .map_err(|e| e.to_string())?;
        event.evidence_sha256 = Some(sealed.sha256_hex());
        let e = Event::Decision(Box::new(event));
        log.append_with_evidence(&e.kind(), &e.payload(), at, kiosk, &sealed)
            .map_err(|e| e.to_string())?;
        admitted += 1;
        if refer {
            referred += 1;
            let seq = log.head_seq();
            let r = Resolution::new(
                ticket,
                seq,
                Verdict::Admit { seat: *seat },
                ReasonCode::RegistrationPhotoOutdated,
                "T1",
                None,
                false,
            )
            .map_err(|e| e.to_string())?;
            put(log, &Event::Resolved(r), at + 60_000)?;
        }
    }
    let end = cutoff_ms + 3 * 3_600_000;
    let att = |who: &str| Attestation {
        invigilator: who.into(),
        at_ms: end,
    };
    let seal = Seal::new(
        session,
        Counts::new(seated.len() as u32, admitted, referred, denied),
        Report::Zero,
        [att("T1"), att("T2")],
        log.head_hash(),
    )
    .map_err(|e| e.to_string())?;
    put(log, &Event::Seal(seal), end)?;
    Ok(admitted as usize)
}
