//! The door with its devices: performs the door state machine's effects on injected devices
//! (a document reader, a frame source), the face engine, the roster, the decision and the
//! log, and feeds the results back. Synchronous and single-threaded here; the UI runs it on
//! a worker thread. Everything from the world comes through a trait or an argument, so
//! tests drive it with the emulated passport, replayed photos and a fixed clock.

use std::collections::{HashSet, VecDeque};

use chrono::FixedOffset;
use image::RgbImage;
use serde_json::json;

use super::door::{Door, Effect, Input};
use super::roster::Roster;
use crate::card::emrtd::{Access, DocumentRead};
use crate::card::pa::PaResult;
use crate::decision::{
    self, Decision, DocumentEvidence, Evidence, FaceEvidence, PaperEvidence, PassiveAuth,
    TicketNumber,
};
use crate::face::{cosine, Embedding, FaceEngine};
use crate::journal::{EventKind, Journal};
use crate::platform::clock::Clock;
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
    admitted: HashSet<TicketNumber>,
    portrait: Option<Embedding>,
    live: Option<Embedding>,
    tries: u8,
    /// Decisions made, in order (what the screen showed).
    pub decisions: Vec<(TicketNumber, Decision)>,
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
            admitted: HashSet::new(),
            portrait: None,
            live: None,
            tries: 0,
            decisions: Vec::new(),
        }
    }

    fn log(&mut self, name: &str, payload: serde_json::Value) -> Result<(), RunError> {
        let bytes = serde_json::to_vec(&payload).expect("JSON values serialize");
        self.journal
            .append(&kind(name), &bytes, self.clock.now_utc_ms(), self.keys)?;
        Ok(())
    }

    fn local_now(&self) -> chrono::NaiveDateTime {
        crate::package::open::local_time(self.clock.now_utc_ms(), self.offset)
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
        let early = decision::decide(&evidence, self.roster.policy(), self.local_now());
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
        self.log(
            "decision",
            json!({ "ticket": ticket.0, "verdict": verdict, "detail": format!("{d:?}"), "face": scores.map(|f| format!("{f:?}")) }),
        )?;
        if let Decision::Admit { .. } = d {
            self.admitted.insert(ticket.clone());
        }
        self.decisions.push((ticket.clone(), d.clone()));
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
            for effect in self.door.handle(input, now) {
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
                let access = ticket.as_ref().and_then(|t| self.roster.access(t));
                let Some(access) = access else {
                    return Ok(Some(Input::DocumentFailed(
                        "no access key for this document in the roster".into(),
                    )));
                };
                match self.reader.read(&access) {
                    Ok(doc) => {
                        self.portrait = crate::imaging::decode(&doc.portrait.image)
                            .ok()
                            .and_then(|img| self.engine.analyze(&img).ok())
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
                }
            }
            Effect::StartCapture => {
                self.tries = self.tries.saturating_add(1);
                let frames = self.camera.frames(FRAMES_PER_CAPTURE).unwrap_or_default();
                self.live = None;
                let face = match self.engine.capture(&frames)? {
                    Some(c) if c.best.embedding.is_some() => {
                        self.live = c.best.embedding;
                        // Scores are filled in when deciding, against the candidate's template.
                        FaceEvidence::Captured {
                            liveness: c.liveness,
                            registration_score: 0.0,
                            portrait_score: None,
                        }
                    }
                    _ => FaceEvidence::NoUsableFace { tries: self.tries },
                };
                Some(Input::FaceCaptured(face))
            }
            Effect::StopCapture | Effect::Hint(_) => None,
            Effect::Decide {
                ticket,
                document,
                face,
            } => {
                self.tries = 0;
                let face = self.score(&ticket, face);
                let evidence = Evidence {
                    ticket: ticket.clone(),
                    candidate: self.roster.record(&ticket),
                    document,
                    face,
                    paper: PaperEvidence::NotScanned,
                    already_admitted: self.admitted.contains(&ticket),
                };
                let d = decision::decide(&evidence, self.roster.policy(), self.local_now());
                self.record(&ticket, &d, Some(&face))?;
                Some(Input::Decided(d))
            }
            Effect::Log { kind, detail } => {
                self.log(kind, json!({ "detail": detail }))?;
                None
            }
        })
    }
}
