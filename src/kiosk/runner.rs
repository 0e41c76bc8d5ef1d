//! The door with its devices: performs the door state machine's effects on injected devices
//! (a document reader, a frame source), the face engine, the roster, the decision and the
//! log, and feeds the results back. Synchronous and single-threaded here; the UI runs it on
//! a worker thread. Everything from the world comes through a trait or an argument, so
//! tests drive it with the emulated passport, replayed photos and a fixed clock.

use std::collections::{HashMap, VecDeque};

use chrono::FixedOffset;
use image::RgbImage;

pub use super::attempt::StageTimes;
use super::attempt::{Attempt, LiveFace, Portrait};
use super::devices::{Document, DocumentReader, FrameSource};
use super::door::{Door, Effect, Hint, Input, Phase};
use super::roster::Roster;
use super::tally::Tally;
use super::time_check::ClockOffset;
use crate::card::emrtd::DocumentRead;
use crate::card::pa::PaResult;
use crate::card::Deadline;
use crate::decision::{
    self, Decision, DocumentEvidence, Evidence, FaceEvidence, PaperEvidence, PassiveAuth, ReadBy,
    TicketNumber,
};
use crate::face::{cosine, FaceEngine, QualityIssue};
use crate::journal::actions::Action;
use crate::journal::events::{DecisionEvent, DocumentLogged, DoorNote, Event, SessionOpened};
use crate::journal::evidence::{EvidencePlain, EvidenceSealer};
use crate::journal::Journal;
use crate::platform::clock::{Clock, Stopwatch};
use crate::platform::keystore::KeyStore;

/// What went wrong running the door (device and log failures; decisions are values).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The face engine failed.
    #[error("face engine: {0}")]
    Face(#[from] crate::face::Error),
    /// The log refused an append.
    #[error("log: {0}")]
    Log(#[from] crate::journal::Error),
    /// The kiosk's own log cannot be replayed (an event it cannot read back).
    #[error("log: {0}")]
    Replay(#[from] super::resume::ReplayError),
    /// A stage panicked and was isolated (a fault to log and count, not the end).
    #[error("{0}")]
    Fault(#[from] crate::platform::isolate::Fault),
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
    /// Whether admitting over it needs a second invigilator (any high-severity reason, no
    /// usable face, low liveness).
    pub fn needs_second(&self) -> bool {
        self.reasons
            .iter()
            .any(decision::ReferReason::needs_second_invigilator)
    }
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
    correction: ClockOffset,
    reader: &'a mut dyn DocumentReader,
    camera: &'a mut dyn FrameSource,
    sealer: Option<EvidenceSealer>,
    observer: Option<Observer<'a>>,
    /// The candidate at the door: made when a ticket or a card starts an attempt, dropped
    /// when the door is back at idle (see [`Attempt`]).
    attempt: Option<Attempt>,
    /// The session's decisions, seats, outcomes and open referrals.
    pub tally: Tally,
    /// The last hint given (to the candidate at the door, or at the idle screen).
    pub hint: Option<Hint>,
    last_code: Option<(String, i64)>,
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
            correction: ClockOffset::ZERO,
            reader,
            camera,
            sealer: None,
            observer: None,
            attempt: None,
            tally: Tally::default(),
            hint: None,
            last_code: None,
        }
    }

    /// After a fault: the candidate's attempt is dropped (whatever the failed stage was
    /// working on is not used again) and the door is idle, unless a device is missing.
    pub fn reset_after_fault(&mut self) {
        self.attempt = None;
        if !matches!(self.door.phase, Phase::DeviceError { .. }) {
            self.door.phase = Phase::Idle;
        }
    }

    /// The current candidate's stage times (zero when nobody is at the door).
    pub fn times(&self) -> StageTimes {
        self.attempt.as_ref().map(|a| a.times).unwrap_or_default()
    }

    /// The live preview of the candidate at the door.
    pub fn preview(&self) -> Option<&RgbImage> {
        self.attempt.as_ref().and_then(|a| a.preview.as_ref())
    }

    /// Whether a candidate's attempt is under way (for tests: it never outlives idle).
    pub fn attempt_open(&self) -> bool {
        self.attempt.is_some()
    }

    fn attempt(&mut self) -> &mut Attempt {
        self.attempt.get_or_insert_with(Attempt::default)
    }

    /// While the door is idle, look for an admission ticket's QR code in one camera frame.
    pub fn look(&mut self) -> Result<(), RunError> {
        if self.door.phase != super::door::Phase::Idle {
            return Ok(());
        }
        let frames = match self.camera.frames(1) {
            Ok(frames) => frames,
            // Frames stopped at the idle door (a dead or hung camera): the device-error
            // screen says so; the camera tells the door when frames flow again.
            Err(why) => {
                self.log_event(&Event::Door {
                    note: DoorNote::DeviceLost,
                    detail: format!("the camera stopped giving frames: {why}"),
                })?;
                return self.feed(Input::DeviceLost(super::door::Device::Camera));
            }
        };
        let Some(frame) = frames.first() else {
            return Ok(());
        };
        let Some(code) = super::ticket::find_qr(frame)? else {
            return Ok(());
        };
        let now = self.now_ms();
        if !super::ticket::is_fresh(self.last_code.as_ref(), &code, now) {
            return Ok(());
        }
        self.last_code = Some((code.clone(), now));
        match super::ticket::parse(&code) {
            Ok(t) => self.ticket(t),
            Err(e) => {
                self.hint = Some(Hint::NotATicket);
                self.log_event(&Event::Door {
                    note: DoorNote::TicketUnreadable,
                    detail: e.to_string(),
                })
                .map(drop)
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

    /// The time now, ms since the epoch: the kiosk's clock with the correction the
    /// invigilators entered (time_check). The door decides, and the log is timed, with it.
    pub fn now_ms(&self) -> i64 {
        self.correction.apply(self.clock.now_utc_ms())
    }

    /// The kiosk's own clock, uncorrected (what the invigilators compare).
    pub fn kiosk_ms(&self) -> i64 {
        self.clock.now_utc_ms()
    }

    /// Decide with the kiosk's clock corrected by `offset` from now on.
    pub fn set_correction(&mut self, offset: ClockOffset) {
        self.correction = offset;
    }

    /// Exam-local time now.
    pub fn local_time(&self) -> chrono::NaiveDateTime {
        self.local_at(self.now_ms())
    }

    /// Exam-local time of `ms` since the epoch.
    pub fn local_at(&self, ms: i64) -> chrono::NaiveDateTime {
        crate::package::open::local_time(ms, self.offset)
    }

    /// Log an event; returns its sequence number.
    pub fn log_event(&mut self, event: &Event) -> Result<u64, RunError> {
        self.journal
            .append(&event.kind(), &event.payload(), self.now_ms(), self.keys)?;
        Ok(self.journal.head_seq())
    }

    /// Log an invigilator action; returns the event's sequence number.
    pub fn log_action(&mut self, action: &Action) -> Result<u64, RunError> {
        self.log_event(&action.event())
    }

    /// An answer-sheet label scanned while an admission is on screen: decided on the
    /// admission's own evidence, at its time, with the label as the paper evidence. The
    /// candidate's own sheet is logged as checked; another's (or another session's) turns
    /// the admission into a referral. Returns whether a sheet was expected (an admit on
    /// screen) and, if so, whether it matched.
    pub fn paper(&mut self, label: &str) -> Result<Option<bool>, RunError> {
        let Phase::Showing {
            ticket,
            decision: Decision::Admit { .. },
            ..
        } = self.door.phase.clone()
        else {
            return Ok(None);
        };
        let Some((evidence, at)) = self.attempt.as_ref().and_then(|a| a.decided.clone()) else {
            return Ok(None);
        };
        let evidence = Evidence {
            paper: super::paper::scanned(label),
            ..evidence
        };
        let d = decision::decide(&evidence, self.roster.policy(), self.local_at(at));
        if let Decision::Admit { .. } = d {
            self.log_event(&Event::PaperChecked {
                ticket: ticket.0.clone(),
                matches: true,
            })?;
            return Ok(Some(true));
        }
        self.record(&ticket, &d, Some(evidence.face), Some(&evidence.document))?;
        self.feed(Input::Redecided(d))?;
        Ok(Some(false))
    }

    /// Copy the log to a new file for the exam office, closed by the kiosk-signed trailer.
    pub fn export_log(&self, to: &std::path::Path) -> Result<(), crate::journal::Error> {
        self.journal.export_to(to, self.keys, self.now_ms())
    }

    /// The sequence number of the last log event.
    pub fn log_seq(&self) -> u64 {
        self.journal.head_seq()
    }

    /// The hash of the last log event (what a seal closes).
    pub fn log_head(&self) -> [u8; 32] {
        self.journal.head_hash()
    }

    /// Pick up `session` where this kiosk's log left it (nothing, on a first start), then
    /// log that the session is open. What only the station keeps (incidents, the seal) is
    /// returned with it. A log event that cannot be read back stops the kiosk (it names it).
    pub fn resume(&mut self, session: &str) -> Result<super::resume::Replayed, RunError> {
        let rows = self.journal.rows()?;
        let mut r = super::resume::replay(&rows, session)?;
        self.tally = std::mem::take(&mut r.tally);
        self.log_event(&Event::SessionOpened(SessionOpened {
            session: session.to_string(),
            resumed_decisions: self.tally.decisions.len(),
        }))?;
        Ok(r)
    }

    /// An invigilator's verdict on a referral: the referral is closed; an admit seats the
    /// candidate.
    pub fn resolved(&mut self, ticket: &TicketNumber, admit_seat: Option<u16>) {
        self.tally.resolved(ticket, admit_seat);
    }

    /// A ticket was scanned: decided at once when the ticket alone rules the candidate out
    /// (not in the exam, another room, late, too early: `decision::admissible`).
    pub fn ticket(&mut self, ticket: TicketNumber) -> Result<(), RunError> {
        let candidate = self.roster.record(&ticket);
        if let Some(early) =
            decision::admissible(candidate.as_ref(), self.roster.policy(), self.local_time())
        {
            self.record(&ticket, &early, None, None)?;
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
        scores: Option<FaceEvidence>,
        document: Option<&DocumentEvidence>,
    ) -> Result<(), RunError> {
        // Scores and reasons, never templates or names; structured, so a restarted kiosk can
        // replay its session (resume.rs).
        let mut event = DecisionEvent::new(&ticket.0, d, scores, document.map(logged));
        // Referrals' crops for the hearing; admissions' crops and embeddings, by policy, for
        // the office's one-face-two-tickets check. Sealed to the office: the kiosk cannot
        // read them back.
        let seal_this = match d {
            Decision::Refer { .. } => true,
            Decision::Admit { .. } => self.roster.door_policy().seal_admissions,
            Decision::Deny { .. } => false,
        };
        let plain = self
            .attempt
            .as_ref()
            .and_then(|a| a.live.as_ref())
            .filter(|_| seal_this)
            .map(|l| EvidencePlain {
                crop_jpeg: l.jpeg.clone(),
                embedding: Some(l.embedding.as_slice().to_vec()),
            });
        let evidence = match (&self.sealer, plain) {
            (Some(sealer), Some(plain)) => match sealer.seal(&plain.encode()) {
                Ok(sealed) => Some(sealed),
                Err(e) => {
                    // The referral still stands; the missing crop is on record.
                    event.evidence_error = Some(e.to_string());
                    None
                }
            },
            _ => None,
        };
        let now = self.now_ms();
        let kind = Event::Decision(Box::new(event.clone())).kind();
        match evidence {
            Some(sealed) => {
                event.evidence_sha256 = Some(sealed.sha256_hex());
                let bytes = Event::Decision(Box::new(event)).payload();
                self.journal
                    .append_with_evidence(&kind, &bytes, now, self.keys, &sealed)?;
            }
            None => {
                let bytes = Event::Decision(Box::new(event)).payload();
                self.journal.append(&kind, &bytes, now, self.keys)?;
            }
        }
        let seq = self.journal.head_seq();
        let attempt = self.attempt.as_ref();
        self.tally.decided(ticket, d, |reasons| Referral {
            ticket: ticket.clone(),
            seq,
            reasons,
            face: scores.unwrap_or(FaceEvidence::NoUsableFace { tries: 0 }),
            portrait: attempt.and_then(|a| a.portrait.as_ref().map(|p| p.image.clone())),
            live_jpeg: attempt.and_then(|a| a.live.as_ref().map(|l| l.jpeg.clone())),
        });
        Ok(())
    }

    /// The face evidence with its scores: the live embedding against the candidate's
    /// registration template and against this attempt's document portrait.
    fn score(&self, ticket: &TicketNumber, face: FaceEvidence) -> FaceEvidence {
        let attempt = self.attempt.as_ref();
        match (face, attempt.and_then(|a| a.live.as_ref())) {
            (FaceEvidence::Captured { liveness, .. }, Some(live)) => FaceEvidence::Captured {
                liveness,
                // No template (a ticket of another room) scores as a certain mismatch.
                registration_score: self
                    .roster
                    .template(ticket)
                    .map_or(-1.0, |t| cosine(&live.embedding, t)),
                portrait_score: attempt
                    .and_then(|a| a.portrait.as_ref())
                    .and_then(|p| p.embedding.as_ref())
                    .map(|p| cosine(&live.embedding, p)),
            },
            (other, _) => other,
        }
    }

    /// What a read document is to the door: the roster entry it leads to, the evidence, and
    /// its portrait to score against (decoded and embedded here, as part of the attempt). A
    /// chip's portrait is decoded only when passive authentication vouches for DG2; without
    /// it the decision has no portrait score (and refers on the failed authentication).
    fn document(
        &mut self,
        ticket: Option<&TicketNumber>,
        doc: Document,
    ) -> (Option<TicketNumber>, DocumentEvidence) {
        let (found, evidence, photo) = match doc {
            Document::Emrtd(d) => {
                let passive_auth = match &d.passive_authentication.result {
                    PaResult::Valid => PassiveAuth::Valid,
                    other => PassiveAuth::Failed(format!("{other:?}")),
                };
                match &d.dg1 {
                    Ok(dg1) => {
                        let evidence = DocumentEvidence::Read {
                            number: dg1.document_number.clone(),
                            name: format!("{} {}", dg1.surname, dg1.given_names)
                                .trim()
                                .to_string(),
                            read_by: ReadBy::Chip,
                            passive_auth,
                        };
                        let found = self.roster.by_document(&dg1.document_number).cloned();
                        (found, evidence, authenticated_portrait(&d))
                    }
                    // A DG1 that does not parse (a non-ASCII MRZ): the chip was read, and
                    // the passive-authentication result says whether it was tampered with.
                    Err(why) => {
                        let why = format!("DG1: {why}; passive authentication: {passive_auth:?}");
                        (None, DocumentEvidence::Unreadable { why }, None)
                    }
                }
            }
            Document::ResidentId(card) => {
                let found = self.roster.by_document(&card.id_number).cloned();
                let evidence = DocumentEvidence::Read {
                    number: card.id_number.clone(),
                    name: card.name.clone(),
                    read_by: ReadBy::CertifiedReader,
                    passive_auth: PassiveAuth::NotApplicable,
                };
                (found, evidence, Some(card.photo))
            }
            Document::Uid(uid) => {
                let hex = crate::platform::keystore::hex(&uid);
                let found = self.roster.by_uid(&hex).cloned();
                let matches_roster = match (ticket, &found) {
                    (Some(t), Some(f)) => t == f,
                    (None, found) => found.is_some(),
                    (Some(_), None) => false,
                };
                (found, DocumentEvidence::CardUid { matches_roster }, None)
            }
        };
        let portrait = photo
            .and_then(|bytes| crate::imaging::decode_portrait(&bytes).ok())
            .map(|image| Portrait {
                embedding: self
                    .engine
                    .analyze(&image)
                    .ok()
                    .and_then(|a| a.face)
                    .and_then(|f| f.embedding),
                image,
            });
        self.attempt().portrait = portrait;
        (found, evidence)
    }

    /// Feed an input and perform every effect it leads to.
    pub fn feed(&mut self, input: Input) -> Result<(), RunError> {
        let mut queue = VecDeque::from([input]);
        while let Some(input) = queue.pop_front() {
            let now = self.now_ms();
            let before = std::mem::discriminant(&self.door.phase);
            let effects = self.door.handle(input, now);
            // One attempt per candidate: it starts when the door leaves idle and is gone
            // when the door is back (or a device is lost).
            if matches!(self.door.phase, Phase::Idle | Phase::DeviceError { .. }) {
                self.attempt = None;
            } else {
                self.attempt();
            }
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
            Effect::ReadDocument { ticket, slot } => {
                let watch = Stopwatch::start();
                let access = ticket.as_ref().and_then(|t| self.roster.access(t));
                // The roster's read deadline bounds the read itself, not only the screen: a
                // card that stalls or never stops sending ends the read as a failure, the
                // APDU under way included.
                let deadline = Deadline::ending_by_ms(self.roster.read_deadline_ms());
                let now = self.now_ms();
                let read = self.reader.read(slot, access.as_ref(), &deadline, now);
                self.attempt().times.card_ms = watch.ms();
                match read {
                    Ok(doc) => {
                        let watch = Stopwatch::start();
                        let (found, document) = self.document(ticket.as_ref(), doc);
                        self.attempt().times.face_ms = watch.ms();
                        Some(Input::DocumentRead {
                            ticket: found,
                            document,
                        })
                    }
                    Err(e) => Some(Input::DocumentFailed(e.to_string())),
                }
            }
            Effect::StartCapture => {
                let watch = Stopwatch::start();
                let captured = self.capture()?;
                self.attempt().times.face_ms += watch.ms();
                match captured {
                    Ok(face) => Some(Input::FaceCaptured(face)),
                    // Frames stopped: the camera is lost, not the candidate's face (a
                    // dead camera must not turn every candidate into NoUsableFace).
                    Err(why) => {
                        self.log_event(&Event::Door {
                            note: DoorNote::DeviceLost,
                            detail: format!("the camera stopped giving frames: {why}"),
                        })?;
                        Some(Input::DeviceLost(super::door::Device::Camera))
                    }
                }
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
                let now = self.now_ms();
                let d = decision::decide(&evidence, self.roster.policy(), self.local_at(now));
                self.record(&ticket, &d, Some(face), Some(&evidence.document))?;
                let attempt = self.attempt();
                attempt.decided = Some((evidence, now));
                attempt.times.decide_ms = watch.ms();
                Some(Input::Decided(d))
            }
            Effect::Log { note, detail } => {
                self.log_event(&Event::Door { note, detail })?;
                None
            }
        })
    }
}

impl Runner<'_> {
    /// Capture batches of frames until one has a usable face (no quality issue) or the
    /// policy's tries are used up; between batches the candidate gets the hint for what was
    /// wrong. The last face seen is kept even when imperfect, so a referral shows it.
    /// `Ok(Err(why))` when the camera gives no frames at all.
    fn capture(&mut self) -> Result<Result<FaceEvidence, String>, RunError> {
        self.attempt().live = None;
        let max_tries = self.roster.policy().max_capture_tries.max(1);
        let mut best = None;
        for _ in 0..max_tries {
            let frames = match self.camera.frames(FRAMES_PER_CAPTURE) {
                Ok(frames) => frames,
                Err(why) => return Ok(Err(why)),
            };
            if let Some(first) = frames.first() {
                self.attempt().preview = Some(first.clone());
                self.tell(Progress::Frame(first.clone()));
            }
            let Some(c) = self.engine.capture(&frames)? else {
                self.tell(Progress::Hint(Hint::LookAtCamera));
                self.hint = Some(Hint::LookAtCamera);
                continue;
            };
            let Some(embedding) = c.template.clone() else {
                continue;
            };
            let good = c.best.issues.is_empty();
            if !good {
                let h = hint_for(&c.best.issues);
                self.hint = Some(h);
                self.tell(Progress::Hint(h));
            }
            let frame = &frames[c.best_frame];
            self.attempt().live = Some(LiveFace {
                embedding,
                jpeg: crate::package::enrol::thumbnail(frame, &c.best.detection.raw),
            });
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
        Ok(Ok(best.unwrap_or(FaceEvidence::NoUsableFace {
            tries: max_tries,
        })))
    }
}

/// The chip portrait's bytes, only when DG2 is authenticated (its hash verified against a SOD
/// whose signature and DS → CSCA chain verified): chip bytes reach an image decoder only
/// after that (issue 12).
fn authenticated_portrait(d: &DocumentRead) -> Option<Vec<u8>> {
    d.passive_authentication
        .authenticates(2)
        .then(|| d.portrait.image.clone())
}

/// The document as the log records it: how it was read, never its number or name.
fn logged(d: &DocumentEvidence) -> DocumentLogged {
    match d {
        DocumentEvidence::NotPresented => DocumentLogged::NotPresented,
        DocumentEvidence::Read {
            read_by,
            passive_auth,
            ..
        } => DocumentLogged::Read {
            read_by: *read_by,
            passive_auth: passive_auth.clone(),
        },
        DocumentEvidence::CardUid { matches_roster } => DocumentLogged::CardUid {
            matches_roster: *matches_roster,
        },
        DocumentEvidence::Unreadable { why } => DocumentLogged::Unreadable { why: why.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::emrtd::{self, Access};
    use crate::card::emulated::{Document as Chip, EmulatedPassport};
    use crate::card::lds::File;
    use crate::card::mrz::AccessKey;

    const SPECIMEN: &str =
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C<3UTO6908061F9406236ZE184226B<<<<<14";
    const FACE: &[u8] = include_bytes!("../../tests/fixtures/emrtd/face.jpg");

    fn chip() -> EmulatedPassport {
        let mut n = 0u8;
        EmulatedPassport::new(
            Chip {
                mrz: SPECIMEN.into(),
                portrait: FACE.to_vec(),
                pace: None,
                can: None,
                pace_only: false,
                uid: vec![8, 1, 2, 3],
            },
            Box::new(move |b: &mut [u8]| {
                for x in b {
                    n = n.wrapping_mul(13).wrapping_add(7);
                    *x = n;
                }
            }),
        )
        .expect("emulated passport")
    }

    fn read(chip: &mut EmulatedPassport, csca: &[Vec<u8>]) -> DocumentRead {
        let access = Access::Mrz(AccessKey::from_mrz(SPECIMEN).expect("specimen"));
        emrtd::read(
            chip,
            &access,
            csca,
            // 2026-06-01T00:00:00Z: within the emulated PKI's validity (2025–2045).
            1_780_272_000_000,
            &mut |b: &mut [u8]| b.fill(0x42),
            &crate::card::Deadline::never(),
        )
        .expect("read")
    }

    #[test]
    fn r12_the_portrait_is_decoded_only_after_passive_authentication() {
        let mut genuine = chip();
        let csca = vec![genuine.csca()];
        let d = read(&mut genuine, &csca);
        assert_eq!(authenticated_portrait(&d).as_deref(), Some(FACE));
        // Another trust list: the DS does not chain, no portrait.
        let d = read(&mut genuine, &[]);
        assert!(!d.passive_authentication.authenticates(2));
        assert_eq!(authenticated_portrait(&d), None);
        // DG2 changed after signing: its hash fails, no portrait (DG1 still authenticates).
        let mut tampered = chip();
        let csca = vec![tampered.csca()];
        let mut dg2 = crate::card::files::build_dg2(FACE, 0, 240, 320);
        let n = dg2.len() - 3;
        dg2[n] ^= 1;
        tampered.replace_file(File::Dg(2), dg2);
        let d = read(&mut tampered, &csca);
        assert!(d.passive_authentication.authenticates(1));
        assert!(!d.passive_authentication.authenticates(2));
        assert_eq!(authenticated_portrait(&d), None);
    }
}
