//! The door with its devices: performs the door state machine's effects on injected devices
//! (a document reader, a frame source), the face engine, the roster, the decision and the
//! log, and feeds the results back. Synchronous and single-threaded here; the UI runs it on
//! a worker thread. Everything from the world comes through a trait or an argument, so
//! tests drive it with the emulated passport, replayed photos and a fixed clock.

use std::collections::{HashMap, VecDeque};

use chrono::FixedOffset;
use image::RgbImage;
use serde_json::json;

use super::door::{Door, Effect, Hint, Input};
use super::roster::Roster;
use super::tally::Tally;
use crate::card::emrtd::{Access, DocumentRead};
use crate::card::pa::PaResult;
use crate::decision::{
    self, Decision, DocumentEvidence, Evidence, FaceEvidence, PaperEvidence, PassiveAuth,
    TicketNumber,
};
use crate::face::{cosine, Embedding, FaceEngine, QualityIssue};
use crate::journal::actions::Action;
use crate::journal::evidence::EvidenceSealer;
use crate::journal::{EventKind, Journal};
use crate::platform::clock::{Clock, Stopwatch};
use crate::platform::keystore::KeyStore;

/// Reads the document on the reader with the candidate's access key.
pub trait DocumentReader {
    /// One read; a pulled card or a wrong key is an error.
    fn read(&mut self, access: &Access) -> Result<DocumentRead, crate::card::Error>;
}

/// Gives camera frames.
pub trait FrameSource {
    /// The next `n` frames of the candidate.
    fn frames(&mut self, n: usize) -> Result<Vec<RgbImage>, String>;
}

/// What went wrong running the door (device and log failures; decisions are values).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The face engine failed.
    #[error("face engine: {0}")]
    Face(#[from] crate::face::Error),
    /// The log refused an append.
    #[error("log: {0}")]
    Log(#[from] crate::journal::Error),
}

/// Frames taken per capture (liveness is averaged over them, the best one is matched).
pub const FRAMES_PER_CAPTURE: usize = 5;

/// A referral waiting for an invigilator, with what the review screen shows.
#[derive(Debug, Clone)]
pub struct Referral {
    /// The candidate's ticket.
    pub ticket: TicketNumber,
    /// Sequence number of the decision event it resolves.
    pub seq: u64,
    /// Why.
    pub reasons: Vec<decision::ReferReason>,
    /// The face scores.
    pub face: FaceEvidence,
    /// The document portrait read, if any.
    pub portrait: Option<RgbImage>,
    /// The live face crop (JPEG), if a face was captured.
    pub live_jpeg: Option<Vec<u8>>,
}

impl Referral {
    /// Whether a face score was below threshold (admitting then needs a second invigilator).
    pub fn face_mismatch(&self) -> bool {
        self.reasons.iter().any(|r| {
            matches!(
                r,
                decision::ReferReason::RegistrationMismatch { .. }
                    | decision::ReferReason::PortraitMismatch { .. }
            )
        })
    }
}

/// Where one candidate's time went, in milliseconds (the benchmark reads it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    /// The chip read (access control, files, passive authentication).
    pub card_ms: f64,
    /// Face work: the portrait's embedding and the live capture.
    pub face_ms: f64,
    /// Scoring, the decision and its log append.
    pub decide_ms: f64,
}

/// What the door is showing while it works (for a live screen).
#[derive(Debug, Clone)]
pub enum Progress {
    /// A camera frame (the live preview).
    Frame(RgbImage),
    /// A hint for the candidate.
    Hint(Hint),
    /// The door moved to a phase that shows its own screen while it works.
    Phase(super::view::Screen),
}

/// The hint for the most pressing quality issue of a frame.
pub fn hint_for(issues: &[QualityIssue]) -> Hint {
    match issues.first() {
        Some(QualityIssue::TooSmall) => Hint::ComeCloser,
        Some(QualityIssue::NotFrontal) => Hint::LookStraight,
        Some(QualityIssue::Blurred) => Hint::HoldStill,
        Some(_) => Hint::RemoveCovering,
        None => Hint::LookAtCamera,
    }
}

/// Told of frames, hints and phase changes as they happen.
type Observer<'a> = Box<dyn FnMut(&Door, Progress) + 'a>;

/// The door and everything it uses.
pub struct Runner<'a> {
    /// The state machine.
    pub door: Door,
    roster: &'a Roster,
    engine: &'a FaceEngine,
    journal: &'a mut Journal,
    keys: &'a dyn KeyStore,
    clock: &'a dyn Clock,
    offset: FixedOffset,
    reader: &'a mut dyn DocumentReader,
    camera: &'a mut dyn FrameSource,
    portrait: Option<Embedding>,
    portrait_image: Option<RgbImage>,
    live: Option<Embedding>,
    live_jpeg: Option<Vec<u8>>,
    sealer: Option<EvidenceSealer>,
    observer: Option<Observer<'a>>,
    /// The session's decisions, seats, outcomes and open referrals.
    pub tally: Tally,
    /// The last hint given to the candidate.
    pub hint: Option<Hint>,
    /// The last camera frame (the live preview).
    pub preview: Option<RgbImage>,
    /// The current candidate's stage times.
    pub times: StageTimes,
    last_code: Option<(String, i64)>,
}

fn kind(name: &str) -> EventKind {
    EventKind::new(name).expect("fixed event kinds are valid")
}

impl<'a> Runner<'a> {
    /// A runner.
    #[allow(clippy::too_many_arguments)] // each is a separate device or service, injected
    pub fn new(
        door: Door,
        roster: &'a Roster,
        engine: &'a FaceEngine,
        journal: &'a mut Journal,
        keys: &'a dyn KeyStore,
        clock: &'a dyn Clock,
        offset: FixedOffset,
        reader: &'a mut dyn DocumentReader,
        camera: &'a mut dyn FrameSource,
    ) -> Runner<'a> {
        Runner {
            door,
            roster,
            engine,
            journal,
            keys,
            clock,
            offset,
            reader,
            camera,
            portrait: None,
            portrait_image: None,
            live: None,
            live_jpeg: None,
            sealer: None,
            observer: None,
            tally: Tally::default(),
            hint: None,
            preview: None,
            times: StageTimes::default(),
            last_code: None,
        }
    }

    /// While the door is idle, look for an admission ticket's QR code in one camera frame.
    pub fn look(&mut self) -> Result<(), RunError> {
        if self.door.phase != super::door::Phase::Idle {
            return Ok(());
        }
        // A camera that fails here is reported by its adapter as a lost device.
        let Ok(frames) = self.camera.frames(1) else {
            return Ok(());
        };
        let Some(code) = frames.first().and_then(super::ticket::find_qr) else {
            return Ok(());
        };
        let now = self.clock.now_utc_ms();
        if !super::ticket::is_fresh(self.last_code.as_ref(), &code, now) {
            return Ok(());
        }
        self.last_code = Some((code.clone(), now));
        match super::ticket::parse(&code) {
            Ok(t) => self.ticket(t),
            Err(e) => {
                self.hint = Some(Hint::NotATicket);
                self.log("ticket_unreadable", json!({ "detail": e.to_string() }))
            }
        }
    }

    /// Seal each referral's live face crop to the office key and log it with the decision
    /// (design.md: evidence only for referrals, readable only by the office).
    pub fn with_evidence(mut self, sealer: EvidenceSealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// Be told of frames, hints and phase changes as they happen (the live screen).
    pub fn observe(&mut self, observer: impl FnMut(&Door, Progress) + 'a) {
        self.observer = Some(Box::new(observer));
    }

    fn tell(&mut self, p: Progress) {
        if let Some(o) = self.observer.as_mut() {
            o(&self.door, p);
        }
    }

    /// The roster this door admits from.
    pub fn roster(&self) -> &Roster {
        self.roster
    }

    /// Admitted tickets with their seats.
    pub fn admitted(&self) -> &HashMap<TicketNumber, u16> {
        &self.tally.admitted
    }

    /// The time now, ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_utc_ms()
    }

    /// Exam-local time now.
    pub fn local_time(&self) -> chrono::NaiveDateTime {
        self.local_at(self.clock.now_utc_ms())
    }

    /// Exam-local time of `ms` since the epoch.
    pub fn local_at(&self, ms: i64) -> chrono::NaiveDateTime {
        crate::package::open::local_time(ms, self.offset)
    }

    /// Log an invigilator action; returns the event's sequence number.
    pub fn log_action(&mut self, action: &Action) -> Result<u64, RunError> {
        self.journal.append(
            &action.kind(),
            &action.payload(),
            self.clock.now_utc_ms(),
            self.keys,
        )?;
        Ok(self.journal.head_seq())
    }

    /// An answer-sheet label scanned while an admission is on screen: logged when it is the
    /// candidate's; otherwise the admission becomes a referral. Returns whether a sheet was
    /// expected (an admit on screen) and, if so, whether it matched.
    pub fn paper(&mut self, label: &str) -> Result<Option<bool>, RunError> {
        let super::door::Phase::Showing {
            ticket,
            decision: Decision::Admit { .. },
            ..
        } = self.door.phase.clone()
        else {
            return Ok(None);
        };
        let session = self.roster.policy().session.clone();
        match super::paper::check(label, &ticket, &session) {
            None => {
                self.log(
                    "paper_checked",
                    json!({ "ticket": ticket.0, "matches": true }),
                )?;
                Ok(Some(true))
            }
            Some(reason) => {
                let d = Decision::Refer {
                    reasons: vec![reason],
                };
                self.record(&ticket, &d, None)?;
                self.feed(Input::Redecided(d))?;
                Ok(Some(false))
            }
        }
    }

    /// Copy the log to a new file for the exam office.
    pub fn export_log(&self, to: &std::path::Path) -> Result<(), crate::journal::Error> {
        self.journal.export_to(to)
    }

    /// The hash of the last log event (what a seal closes).
    pub fn log_head(&self) -> [u8; 32] {
        self.journal.head_hash()
    }

    /// Pick up `session` where this kiosk's log left it (nothing, on a first start), then
    /// log that the session is open. What only the station keeps (incidents, the seal) is
    /// returned with it.
    pub fn resume(&mut self, session: &str) -> Result<super::resume::Replayed, RunError> {
        let rows = self.journal.rows()?;
        let mut r = super::resume::replay(&rows, session);
        self.tally = std::mem::take(&mut r.tally);
        self.log(
            super::resume::SESSION_OPENED,
            json!({
                "session": session,
                "resumed_decisions": self.tally.decisions.len(),
                "unreadable_events": r.unreadable,
            }),
        )?;
        Ok(r)
    }

    /// An invigilator's verdict on a referral: the referral is closed; an admit seats the
    /// candidate.
    pub fn resolved(&mut self, ticket: &TicketNumber, admit_seat: Option<u16>) {
        self.tally.resolved(ticket, admit_seat);
    }

    fn log(&mut self, name: &str, payload: serde_json::Value) -> Result<(), RunError> {
        let bytes = serde_json::to_vec(&payload).expect("JSON values serialize");
        self.journal
            .append(&kind(name), &bytes, self.clock.now_utc_ms(), self.keys)?;
        Ok(())
    }

    /// A ticket was scanned: decided at once when the ticket alone rules the candidate out.
    pub fn ticket(&mut self, ticket: TicketNumber) -> Result<(), RunError> {
        let evidence = Evidence {
            ticket: ticket.clone(),
            candidate: self.roster.record(&ticket),
            document: DocumentEvidence::NotPresented,
            face: FaceEvidence::NoUsableFace { tries: 0 },
            paper: PaperEvidence::NotScanned,
            already_admitted: false,
        };
        let early = decision::decide(&evidence, self.roster.policy(), self.local_time());
        if let Decision::Deny { .. } = early {
            self.record(&ticket, &early, None)?;
            return self.feed(Input::TurnedAway {
                ticket,
                decision: early,
            });
        }
        let document_needed = self.roster.document_needed(&ticket);
        self.feed(Input::TicketScanned {
            ticket,
            document_needed,
        })
    }

    fn record(
        &mut self,
        ticket: &TicketNumber,
        d: &Decision,
        scores: Option<&FaceEvidence>,
    ) -> Result<(), RunError> {
        let verdict = match d {
            Decision::Admit { .. } => "admit",
            Decision::Refer { .. } => "refer",
            Decision::Deny { .. } => "deny",
        };
        // Scores and reasons, never templates or names.
        // Structured, so a restarted kiosk can replay its session (resume.rs).
        let mut payload =
            json!({ "ticket": ticket.0, "verdict": verdict, "decision": d, "face": scores });
        let evidence = match (d, &self.sealer, &self.live_jpeg) {
            (Decision::Refer { .. }, Some(sealer), Some(crop)) => match sealer.seal(crop) {
                Ok(sealed) => Some(sealed),
                Err(e) => {
                    // The referral still stands; the missing crop is on record.
                    payload["evidence_error"] = json!(e.to_string());
                    None
                }
            },
            _ => None,
        };
        let now = self.clock.now_utc_ms();
        match evidence {
            Some(sealed) => {
                payload["evidence_sha256"] = json!(sealed.sha256_hex());
                let bytes = serde_json::to_vec(&payload).expect("JSON values serialize");
                self.journal.append_with_evidence(
                    &kind("decision"),
                    &bytes,
                    now,
                    self.keys,
                    &sealed,
                )?;
            }
            None => {
                let bytes = serde_json::to_vec(&payload).expect("JSON values serialize");
                self.journal
                    .append(&kind("decision"), &bytes, now, self.keys)?;
            }
        }
        let seq = self.journal.head_seq();
        let (portrait, live_jpeg) = (&self.portrait_image, &self.live_jpeg);
        self.tally.decided(ticket, d, |reasons| Referral {
            ticket: ticket.clone(),
            seq,
            reasons,
            face: scores
                .cloned()
                .unwrap_or(FaceEvidence::NoUsableFace { tries: 0 }),
            portrait: portrait.clone(),
            live_jpeg: live_jpeg.clone(),
        });
        Ok(())
    }

    /// The face evidence with its scores: the live embedding against the candidate's
    /// registration template and against the document portrait read.
    fn score(&self, ticket: &TicketNumber, face: FaceEvidence) -> FaceEvidence {
        match (face, &self.live) {
            (FaceEvidence::Captured { liveness, .. }, Some(live)) => FaceEvidence::Captured {
                liveness,
                // No template (a ticket of another room) scores as a certain mismatch.
                registration_score: self
                    .roster
                    .template(ticket)
                    .map_or(-1.0, |t| cosine(live, t)),
                portrait_score: self.portrait.as_ref().map(|p| cosine(live, p)),
            },
            (other, _) => other,
        }
    }

    /// Feed an input and perform every effect it leads to.
    pub fn feed(&mut self, input: Input) -> Result<(), RunError> {
        let mut queue = VecDeque::from([input]);
        while let Some(input) = queue.pop_front() {
            let now = self.clock.now_utc_ms();
            let before = std::mem::discriminant(&self.door.phase);
            let effects = self.door.handle(input, now);
            if std::mem::discriminant(&self.door.phase) != before {
                use super::door::Phase as P;
                use super::view::Screen as S;
                match self.door.phase {
                    P::Reading { .. } => {
                        self.hint = None;
                        self.tell(Progress::Phase(S::Reading));
                    }
                    P::Capturing { .. } => {
                        self.hint = Some(Hint::LookAtCamera);
                        self.tell(Progress::Phase(S::Capture));
                    }
                    P::Idle => {}
                    _ => self.hint = None,
                }
            }
            for effect in effects {
                if let Some(next) = self.perform(effect)? {
                    queue.push_back(next);
                }
            }
        }
        Ok(())
    }

    fn perform(&mut self, effect: Effect) -> Result<Option<Input>, RunError> {
        Ok(match effect {
            Effect::ReadDocument { ticket } => {
                self.portrait = None;
                self.portrait_image = None;
                self.times = StageTimes::default();
                let watch = Stopwatch::start();
                let access = ticket.as_ref().and_then(|t| self.roster.access(t));
                let Some(access) = access else {
                    return Ok(Some(Input::DocumentFailed(
                        "no access key for this document in the roster".into(),
                    )));
                };
                let read = self.reader.read(&access);
                self.times.card_ms = watch.ms();
                let watch = Stopwatch::start();
                let input = match read {
                    Ok(doc) => {
                        self.portrait_image = crate::imaging::decode(&doc.portrait.image).ok();
                        self.portrait = self
                            .portrait_image
                            .as_ref()
                            .and_then(|img| self.engine.analyze(img).ok())
                            .and_then(|a| a.face)
                            .and_then(|f| f.embedding);
                        let found = self.roster.by_document(&doc.dg1.document_number).cloned();
                        let passive_auth = match &doc.passive_authentication.result {
                            PaResult::Valid => PassiveAuth::Valid,
                            other => PassiveAuth::Failed(format!("{other:?}")),
                        };
                        Some(Input::DocumentRead {
                            ticket: found,
                            document: DocumentEvidence::Read {
                                number: doc.dg1.document_number.clone(),
                                name: format!("{} {}", doc.dg1.surname, doc.dg1.given_names)
                                    .trim()
                                    .to_string(),
                                passive_auth,
                            },
                        })
                    }
                    Err(e) => Some(Input::DocumentFailed(e.to_string())),
                };
                self.times.face_ms = watch.ms();
                input
            }
            Effect::StartCapture => {
                let watch = Stopwatch::start();
                let face = self.capture()?;
                self.times.face_ms += watch.ms();
                Some(Input::FaceCaptured(face))
            }
            Effect::Hint(h) => {
                self.hint = Some(h);
                self.tell(Progress::Hint(h));
                None
            }
            Effect::StopCapture => None,
            Effect::Decide {
                ticket,
                document,
                face,
            } => {
                let watch = Stopwatch::start();
                let face = self.score(&ticket, face);
                let evidence = Evidence {
                    ticket: ticket.clone(),
                    candidate: self.roster.record(&ticket),
                    document,
                    face,
                    paper: PaperEvidence::NotScanned,
                    already_admitted: self.tally.admitted.contains_key(&ticket),
                };
                let d = decision::decide(&evidence, self.roster.policy(), self.local_time());
                self.record(&ticket, &d, Some(&face))?;
                self.times.decide_ms = watch.ms();
                Some(Input::Decided(d))
            }
            Effect::Log { kind, detail } => {
                self.log(kind, json!({ "detail": detail }))?;
                None
            }
        })
    }
}

impl Runner<'_> {
    /// Capture batches of frames until one has a usable face (no quality issue) or the
    /// policy's tries are used up; between batches the candidate gets the hint for what was
    /// wrong. The last face seen is kept even when imperfect, so a referral shows it.
    fn capture(&mut self) -> Result<FaceEvidence, RunError> {
        self.live = None;
        self.live_jpeg = None;
        let max_tries = self.roster.policy().max_capture_tries.max(1);
        let mut best = None;
        for _ in 0..max_tries {
            let frames = self.camera.frames(FRAMES_PER_CAPTURE).unwrap_or_default();
            if let Some(first) = frames.first() {
                self.preview = Some(first.clone());
                self.tell(Progress::Frame(first.clone()));
            }
            let Some(c) = self.engine.capture(&frames)? else {
                self.tell(Progress::Hint(Hint::LookAtCamera));
                self.hint = Some(Hint::LookAtCamera);
                continue;
            };
            if c.best.embedding.is_none() {
                continue;
            }
            let good = c.best.issues.is_empty();
            if !good {
                let h = hint_for(&c.best.issues);
                self.hint = Some(h);
                self.tell(Progress::Hint(h));
            }
            let frame = &frames[c.best_frame];
            self.live_jpeg = Some(crate::package::enrol::thumbnail(
                frame,
                &c.best.detection.raw,
            ));
            self.live = c.best.embedding;
            // Scores are filled in when deciding, against the candidate's template.
            best = Some(FaceEvidence::Captured {
                liveness: c.liveness,
                registration_score: 0.0,
                portrait_score: None,
            });
            if good {
                break;
            }
        }
        Ok(best.unwrap_or(FaceEvidence::NoUsableFace { tries: max_tries }))
    }
}
