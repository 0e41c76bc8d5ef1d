//! The worker thread: owns the station (door, devices, face engine, log) so card reads and
//! face inference never block the screen. It takes [`Job`]s from a channel and answers with
//! [`Update`]s: a full view after every job, live frames and hints while capturing, and
//! each decision as it is made.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use chrono::FixedOffset;
use image::RgbImage;

use super::devices::{DocumentReader, FrameSource};
use super::door::{Door, Hint, Timeouts};
use super::roster::Roster;
use super::runner::{Progress, RunError, Runner, StageTimes};
use super::station::{Command, RoomInfo, Station};
use super::view::View;
use crate::decision::{Decision, TicketNumber};
use crate::face::FaceEngine;
use crate::invigilator::PinGate;
use crate::journal::evidence::EvidenceSealer;
use crate::journal::Journal;
use crate::platform::clock::Clock;
use crate::platform::isolate::isolate;
use crate::platform::keystore::KeyStore;

/// Work for the kiosk.
pub enum Job {
    /// A command (screen, device or script).
    Command(Command),
    /// Run this on the worker (a simulated device changing: a card put down, a face
    /// stepping up, the clock moved).
    Do(Box<dyn FnOnce() + Send>),
    /// Pass these words on in order with the updates (the demo's narration, so each line
    /// appears just before the step it narrates).
    Say(String),
    /// Stop.
    Quit,
}

/// What the kiosk reports.
#[derive(Debug)]
pub enum Update {
    /// The whole screen.
    View(Box<View>),
    /// A live frame during capture.
    Frame(RgbImage),
    /// A hint during capture.
    Hint(Hint),
    /// The door moved on to this screen while working (reading, capture).
    Screen(super::view::Screen),
    /// A decision was made at the door, with where the candidate's time went.
    Decision(TicketNumber, Decision, StageTimes),
    /// The worker stopped on an error (the log refused an append, the engine failed).
    Failed(String),
    /// Words passed on from a [`Job::Say`].
    Said(String),
}

/// Everything the kiosk owns.
pub struct Parts {
    /// The session roster.
    pub roster: Roster,
    /// The face engine.
    pub engine: Arc<FaceEngine>,
    /// The log.
    pub journal: Journal,
    /// The kiosk's signing key.
    pub keys: Box<dyn KeyStore + Send>,
    /// The clock.
    pub clock: Arc<dyn Clock + Sync>,
    /// Exam-local offset.
    pub offset: FixedOffset,
    /// The document reader.
    pub reader: Box<dyn DocumentReader + Send>,
    /// The camera.
    pub camera: Box<dyn FrameSource + Send>,
    /// The room.
    pub info: RoomInfo,
    /// Invigilator PINs.
    pub gate: PinGate,
    /// Evidence sealing to the office key.
    pub sealer: Option<EvidenceSealer>,
    /// Phase timeouts.
    pub timeouts: Timeouts,
}

/// Start the worker; jobs go in, updates come out.
pub fn spawn(parts: Parts) -> (Sender<Job>, Receiver<Update>, JoinHandle<()>) {
    let (jobs, job_rx) = channel::<Job>();
    let (updates, handle) = spawn_on(parts, job_rx);
    (jobs, updates, handle)
}

/// Start the worker on an existing job channel (its senders already given to the device
/// watchers, which need them before the worker owns the devices).
pub fn spawn_on(parts: Parts, jobs: Receiver<Job>) -> (Receiver<Update>, JoinHandle<()>) {
    spawn_beating(parts, jobs, None)
}

/// [`spawn_on`], the worker beating `heartbeat` after every job (the service manager's
/// watchdog is pinged only while it does).
pub fn spawn_beating(
    parts: Parts,
    jobs: Receiver<Job>,
    heartbeat: Option<std::sync::Arc<crate::platform::notify::Heartbeat>>,
) -> (Receiver<Update>, JoinHandle<()>) {
    let (updates, update_rx) = channel::<Update>();
    let handle = std::thread::Builder::new()
        .name("examgate-door".into())
        .spawn(move || run_beating(parts, jobs, updates, heartbeat.as_deref()))
        .expect("the OS starts a thread");
    (update_rx, handle)
}

/// The worker's loop, on the calling thread (the worker thread, or a benchmark).
pub fn run(parts: Parts, jobs: Receiver<Job>, updates: Sender<Update>) {
    run_beating(parts, jobs, updates, None)
}

fn run_beating(
    mut parts: Parts,
    jobs: Receiver<Job>,
    updates: Sender<Update>,
    heartbeat: Option<&crate::platform::notify::Heartbeat>,
) {
    let live = updates.clone();
    let mut runner = Runner::new(
        Door::new(parts.timeouts),
        &parts.roster,
        &parts.engine,
        &mut parts.journal,
        &*parts.keys,
        &*parts.clock,
        parts.offset,
        &mut *parts.reader,
        &mut *parts.camera,
    );
    if let Some(sealer) = parts.sealer.take() {
        runner = runner.with_evidence(sealer);
    }
    runner.observe(move |_, p| {
        let _ = match p {
            Progress::Frame(f) => live.send(Update::Frame(f)),
            Progress::Hint(h) => live.send(Update::Hint(h)),
            Progress::Phase(screen) => live.send(Update::Screen(screen)),
        };
    });
    let mut station = Station::new(runner, parts.info.clone(), std::mem::take(&mut parts.gate));
    if let Err(e) = station.resume() {
        let _ = updates.send(Update::Failed(e.to_string()));
        return;
    }
    let _ = updates.send(Update::View(Box::new(station.view())));
    if let Some(h) = heartbeat {
        h.beat();
    }
    for job in jobs {
        if let Some(h) = heartbeat {
            h.beat();
        }
        let before = station.runner.tally.decisions.len();
        match job {
            Job::Quit => break,
            Job::Do(f) => f(),
            Job::Say(words) => {
                let _ = updates.send(Update::Said(words));
            }
            Job::Command(c) => {
                // Every command runs isolated: a panic in a decoder, the QR finder, the
                // face models or the card parsers is a logged fault, not a dead door.
                let fault = match isolate("door", || station.handle(c)) {
                    Ok(Ok(())) => None,
                    Ok(Err(RunError::Fault(f))) | Err(f) => Some(f),
                    Ok(Err(e)) => {
                        let _ = updates.send(Update::Failed(e.to_string()));
                        break;
                    }
                };
                if let Some(f) = fault {
                    eprintln!("examgate: {f}");
                    if let Err(e) = station.fault(&f) {
                        let _ = updates.send(Update::Failed(e.to_string()));
                        break;
                    }
                }
            }
        }
        for (t, d) in station.runner.tally.decisions[before..].iter() {
            let times = station.runner.times();
            let _ = updates.send(Update::Decision(t.clone(), d.clone(), times));
        }
        if updates
            .send(Update::View(Box::new(station.view())))
            .is_err()
        {
            break; // nobody is watching any more
        }
    }
}
