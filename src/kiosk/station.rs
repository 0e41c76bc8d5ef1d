//! The kiosk at the door: the door runner plus invigilator mode (PIN gate, seat map,
//! referral review, incidents, seal, export). It takes [`Command`]s — from the screen, the
//! devices or a script — and says what to show as a [`View`]. It runs on the worker thread;
//! the UI thread only sends commands and draws views.

use chrono::NaiveDateTime;

use super::config::ExportTo;
use super::door::{Device, Hint, Input, Phase, Slot};
use super::runner::{RunError, Runner};
use super::time_check::{self, ClockOffset, ClockState};
use super::view::{
    self, ClockCheck, Notice, PinMessage, PinPurpose, ReferralRow, Review, Screen, SeatState,
    Verdict, View,
};
use crate::decision::{Decision, FaceEvidence, Guidance, ReferReason, Severity, TicketNumber};
use crate::invigilator::{Attempt, Pin, PinGate};
use crate::journal::actions::{Action, ReasonCode, Resolution, Verdict as ActionVerdict};
use crate::journal::events::{ClockConfirmed, Event, ManualAdmission};
use crate::journal::seal::{Attestation, Counts, Incident, Report, Seal, SealCode};
use crate::platform::isolate::Fault;
use crate::platform::stick::copy_to_stick;

/// Kinds of incident the invigilator can record with one touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentKind {
    /// A candidate is unwell.
    Unwell,
    /// A disturbance at the door.
    Disturbance,
    /// A device misbehaved.
    DeviceFault,
    /// Suspected cheating.
    SuspectedCheating,
}

impl IncidentKind {
    /// The text logged (the office's reports group by it).
    pub fn text(self) -> &'static str {
        match self {
            IncidentKind::Unwell => "candidate unwell",
            IncidentKind::Disturbance => "disturbance at the door",
            IncidentKind::DeviceFault => "device fault",
            IncidentKind::SuspectedCheating => "suspected cheating",
        }
    }
}

/// What the kiosk is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A ticket number was scanned or typed.
    Ticket(String),
    /// The barcode scanner read something: a ticket at the idle door, an answer-sheet
    /// label while an admission is on screen.
    Scan(String),
    /// A card arrived on the contactless reader.
    CardPresent,
    /// The resident-ID reader's bridge reported a card (or a failure) into its mailbox.
    IdCardRead,
    /// The card left.
    CardRemoved,
    /// Time passed.
    Tick,
    /// A device went away.
    DeviceLost(Device),
    /// A device came back.
    DeviceBack(Device),
    /// The invigilator button.
    OpenInvigilator,
    /// A PIN for invigilator `id`.
    Pin {
        /// Invigilator id.
        id: String,
        /// The PIN typed (never logged, redacted in `Debug`, wiped when dropped).
        pin: Pin,
    },
    /// Leave the PIN screen.
    PinCancel,
    /// Open a referral.
    Review(String),
    /// Open the roster entry seated at this seat (from the seat map): its referral if one
    /// is open, else a review to admit by hand.
    ReviewSeat(u16),
    /// Resolve the referral under review.
    Resolve(ReasonCode),
    /// The incidents screen.
    ShowIncidents,
    /// Record an incident.
    RecordIncident(IncidentKind),
    /// The seal screen.
    ShowSeal,
    /// Seal (asks for the second invigilator's PIN).
    Seal,
    /// Export the log.
    Export,
    /// The clock screen (from the invigilator home screen).
    ShowClock,
    /// Move the correction being entered by this many seconds.
    AdjustClock(i64),
    /// Confirm the clock as shown: as it is (one invigilator), or with the correction
    /// entered (asks for the second invigilator's PIN).
    ConfirmClock,
    /// Back to the invigilator home screen.
    Back,
    /// Leave invigilator mode.
    Lock,
}

/// What the station knows of its room, fixed for the session.
#[derive(Debug, Clone)]
pub struct RoomInfo {
    /// Header text: site and room.
    pub room: String,
    /// The session's subject.
    pub subject: String,
    /// The session id.
    pub session: String,
    /// Seats in the room.
    pub seats: u16,
    /// The session's start, exam-local (its date is the day the door expects).
    pub start: NaiveDateTime,
    /// The late cutoff, exam-local.
    pub late_cutoff: NaiveDateTime,
    /// The room's invigilators (id, name).
    pub people: Vec<(String, String)>,
    /// Where exports go.
    pub export: ExportTo,
    /// This kiosk's id (names the export).
    pub kiosk_id: String,
}

/// Invigilator mode locks itself after this long without a touch (ms): a candidate left
/// at an unattended review screen must not resolve their own referral.
pub const AUTO_LOCK_MS: i64 = 60_000;

/// This many faults within [`FAULT_WINDOW_MS`] show the device-error screen, until a
/// window passes without one.
pub const FAULTS_FOR_ERROR: usize = 3;

/// The window over which faults are counted (ms).
pub const FAULT_WINDOW_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq)]
enum PinFor {
    Unlock,
    Admit {
        ticket: TicketNumber,
        code: ReasonCode,
    },
    AdmitByHand {
        ticket: TicketNumber,
        code: ReasonCode,
    },
    Seal,
    Clock(ClockOffset),
}

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    Door,
    Pin(PinFor),
    Home,
    Review(TicketNumber),
    Incidents,
    Seal,
    /// Comparing the clock, with the correction entered so far.
    Clock(ClockOffset),
}

/// The kiosk.
pub struct Station<'a> {
    /// The door and its devices.
    pub runner: Runner<'a>,
    info: RoomInfo,
    gate: PinGate,
    mode: Mode,
    pin_message: PinMessage,
    signed_in: Option<String>,
    incidents: Vec<Incident>,
    sealed: bool,
    /// The seal's code once sealed (shown at the door and in invigilator mode).
    seal_code: Option<SealCode>,
    notice: Notice,
    /// When invigilator mode was last touched (ms), for the auto-lock.
    touched_ms: i64,
    /// When the recent faults happened (ms).
    faults: Vec<i64>,
    /// Whether the clock was confirmed this session, and the correction.
    clock: ClockState,
}

impl<'a> Station<'a> {
    /// A station at the door, invigilator mode closed.
    pub fn new(runner: Runner<'a>, info: RoomInfo, gate: PinGate) -> Station<'a> {
        Station {
            runner,
            info,
            gate,
            mode: Mode::Door,
            pin_message: PinMessage::None,
            signed_in: None,
            incidents: Vec::new(),
            sealed: false,
            seal_code: None,
            notice: Notice::None,
            touched_ms: 0,
            faults: Vec::new(),
            clock: ClockState::Unconfirmed,
        }
    }

    /// A stage failed and was isolated: logged as `worker_fault`, the candidate's attempt
    /// dropped and the door idle with a notice; the third fault within a minute shows the
    /// device-error screen until a minute passes without one.
    pub fn fault(&mut self, fault: &Fault) -> Result<(), RunError> {
        // The station's own timers (faults, auto-lock, PIN lockouts) run on the kiosk's
        // clock: a correction entered mid-session must not stretch or cut them.
        let now = self.runner.kiosk_ms();
        self.runner.log_event(&Event::WorkerFault {
            stage: fault.stage.to_string(),
            message: fault.message.clone(),
        })?;
        self.runner.reset_after_fault();
        self.notice = Notice::Fault(fault.stage.to_string());
        self.faults.retain(|t| now - t < FAULT_WINDOW_MS);
        self.faults.push(now);
        if self.faults.len() >= FAULTS_FOR_ERROR {
            self.runner.feed(Input::DeviceLost(Device::Software))?;
        }
        Ok(())
    }

    /// Whether invigilator mode is open.
    pub fn invigilating(&self) -> bool {
        self.mode != Mode::Door
    }

    /// Pick the session up from the log (a restart keeps who is seated, the referrals still
    /// open, the incidents, the seal and the wrong-PIN counts) and log that it is open.
    pub fn resume(&mut self) -> Result<(), RunError> {
        let r = self.runner.resume(&self.info.session)?;
        self.incidents = r.incidents;
        self.sealed = r.sealed;
        self.seal_code = r.seal_code;
        self.gate.restore(r.wrong_pins);
        if let Some(offset) = r.clock {
            self.confirmed(offset);
        }
        Ok(())
    }

    /// Whether the session is sealed.
    pub fn sealed(&self) -> bool {
        self.sealed
    }

    /// The clock's state this session.
    pub fn clock(&self) -> ClockState {
        self.clock
    }

    fn confirmed(&mut self, offset: ClockOffset) {
        self.clock = ClockState::Confirmed(offset);
        self.runner.set_correction(offset);
    }

    /// Whether the door takes candidates as far as the clock goes: a session on another
    /// day than the kiosk's clock waits for an invigilator to confirm it.
    pub fn clock_lets_door_open(&self) -> bool {
        time_check::door_may_open(self.clock, self.info.start.date(), self.runner.local_time())
    }

    /// The seal code, once the session is sealed.
    pub fn seal_code(&self) -> Option<SealCode> {
        self.seal_code
    }

    fn lock(&mut self) {
        self.signed_in = None;
        self.pin_message = PinMessage::None;
        self.mode = Mode::Door;
    }

    /// Handle one command. Door inputs are ignored while invigilator mode is open (the
    /// screen belongs to the invigilator) and after the seal.
    pub fn handle(&mut self, command: Command) -> Result<(), RunError> {
        use Command as C;
        let door_open = self.mode == Mode::Door && !self.sealed && self.clock_lets_door_open();
        let now = self.runner.kiosk_ms();
        let door_command = matches!(
            command,
            C::Ticket(_)
                | C::Scan(_)
                | C::CardPresent
                | C::IdCardRead
                | C::CardRemoved
                | C::Tick
                | C::DeviceLost(_)
                | C::DeviceBack(_)
        );
        if !door_command {
            self.touched_ms = now;
        } else if self.mode != Mode::Door && now - self.touched_ms >= AUTO_LOCK_MS {
            self.lock();
        }
        // The session's first invigilator compares the clock before anything else: on that
        // screen only the clock's own commands and Lock are taken.
        let clock_first = matches!(self.mode, Mode::Clock(_))
            && self.clock == ClockState::Unconfirmed
            && !self.sealed;
        if clock_first
            && !door_command
            && !matches!(command, C::AdjustClock(_) | C::ConfirmClock | C::Lock)
        {
            return Ok(());
        }
        match command {
            C::Ticket(t) if door_open && self.runner.door.phase == Phase::Idle => {
                self.notice = Notice::None;
                self.runner.ticket(TicketNumber(t.trim().to_string()))?;
            }
            C::Scan(code) if door_open => match self.runner.door.phase {
                Phase::Idle => {
                    self.notice = Notice::None;
                    self.runner.ticket(TicketNumber(code.trim().to_string()))?;
                }
                Phase::Showing { .. } => {
                    self.notice = match self.runner.paper(&code)? {
                        Some(true) => Notice::PaperChecked,
                        _ => Notice::None,
                    };
                }
                _ => {}
            },
            C::CardPresent | C::IdCardRead if door_open => {
                // A card tapped first starts a new candidate: the last one's notice goes.
                if self.runner.door.phase == Phase::Idle {
                    self.notice = Notice::None;
                }
                let slot = match command {
                    C::IdCardRead => Slot::ResidentId,
                    _ => Slot::Contactless,
                };
                self.runner.feed(Input::CardPresent(slot))?
            }
            C::CardRemoved => self.runner.feed(Input::CardRemoved)?,
            C::Tick => {
                let quiet = self
                    .faults
                    .last()
                    .is_none_or(|t| now - t >= FAULT_WINDOW_MS);
                if quiet {
                    if let Phase::DeviceError { missing } = &self.runner.door.phase {
                        if missing.contains(&Device::Software) {
                            self.faults.clear();
                            self.runner.feed(Input::DeviceBack(Device::Software))?;
                        }
                    }
                }
                self.runner.feed(Input::Tick)?;
                if door_open {
                    self.runner.look()?;
                }
            }
            C::DeviceLost(d) => self.runner.feed(Input::DeviceLost(d))?,
            C::DeviceBack(d) => self.runner.feed(Input::DeviceBack(d))?,
            C::OpenInvigilator if self.mode == Mode::Door => {
                self.mode = Mode::Pin(PinFor::Unlock);
                self.pin_message = PinMessage::None;
            }
            C::Pin { id, pin } => self.pin(&id, pin.expose())?,
            C::PinCancel => {
                self.pin_message = PinMessage::None;
                self.mode = match (&self.mode, &self.signed_in) {
                    (Mode::Pin(PinFor::Unlock), _) | (_, None) => Mode::Door,
                    (
                        Mode::Pin(
                            PinFor::Admit { ticket, .. } | PinFor::AdmitByHand { ticket, .. },
                        ),
                        _,
                    ) => Mode::Review(ticket.clone()),
                    (Mode::Pin(PinFor::Seal), _) => Mode::Seal,
                    (Mode::Pin(PinFor::Clock(pending)), _) => Mode::Clock(*pending),
                    (other, _) => other.clone(),
                };
            }
            C::Review(t) if self.signed_in.is_some() => {
                let t = TicketNumber(t);
                if self.runner.tally.referral(&t).is_some() {
                    self.mode = Mode::Review(t);
                }
            }
            C::ReviewSeat(n) if self.signed_in.is_some() => {
                let seated = self.runner.roster().seating().into_iter();
                if let Some((_, t)) = seated.into_iter().find(|(seat, _)| *seat == n) {
                    self.mode = Mode::Review(t);
                }
            }
            // The seal attested the counts and the report: nothing changes them after it.
            C::Resolve(_) | C::RecordIncident(_) if self.sealed => {
                self.notice = Notice::Failed("the session is sealed".to_string());
            }
            C::Resolve(code) => {
                if let Mode::Review(t) = self.mode.clone() {
                    if self.runner.tally.referral(&t).is_some() {
                        self.resolve(&t, code, None)?;
                    } else {
                        self.admit_by_hand(&t, code, None)?;
                    }
                }
            }
            C::ShowIncidents if self.signed_in.is_some() => self.mode = Mode::Incidents,
            C::RecordIncident(kind) => self.record_incident(kind)?,
            C::ShowSeal if self.signed_in.is_some() => self.mode = Mode::Seal,
            // Open referrals must be resolved first (the screen says so).
            C::Seal
                if self.mode == Mode::Seal
                    && !self.sealed
                    && self.runner.tally.referrals.is_empty() =>
            {
                self.mode = Mode::Pin(PinFor::Seal);
                self.pin_message = PinMessage::None;
            }
            C::Export if self.signed_in.is_some() => {
                self.export();
                self.lock();
            }
            // The first invigilator of the session confirms the clock before anything else.
            C::Back if self.signed_in.is_some() => self.mode = Mode::Home,
            C::ShowClock | C::AdjustClock(_) | C::ConfirmClock if self.sealed => {
                self.notice = Notice::Failed("the session is sealed".to_string());
            }
            // A later look starts from the correction in force.
            C::ShowClock if self.signed_in.is_some() => {
                self.mode = Mode::Clock(self.clock.offset());
            }
            C::AdjustClock(seconds) => {
                if let Mode::Clock(pending) = self.mode {
                    match pending.moved(seconds.saturating_mul(1000)) {
                        Ok(moved) => {
                            self.mode = Mode::Clock(moved);
                            self.notice = Notice::None;
                        }
                        Err(e) => self.notice = Notice::Failed(e.to_string()),
                    }
                }
            }
            C::ConfirmClock => {
                if let Mode::Clock(pending) = self.mode {
                    if !self.needs_second(pending) {
                        self.confirm_clock(pending, None)?;
                    } else {
                        // A correction changes who is late: a second person checks it.
                        self.mode = Mode::Pin(PinFor::Clock(pending));
                        self.pin_message = PinMessage::None;
                    }
                }
            }
            C::Lock => self.lock(),
            _ => {}
        }
        Ok(())
    }

    fn local(&self, ms: i64) -> String {
        self.runner.local_at(ms).format("%H:%M:%S").to_string()
    }

    fn pin(&mut self, id: &str, pin: &str) -> Result<(), RunError> {
        let Mode::Pin(purpose) = self.mode.clone() else {
            return Ok(());
        };
        if id.is_empty() {
            self.pin_message = PinMessage::Unknown;
            return Ok(());
        }
        let second = purpose != PinFor::Unlock;
        if second && self.signed_in.as_deref() == Some(id) {
            self.pin_message = PinMessage::SamePerson;
            return Ok(());
        }
        let now = self.runner.kiosk_ms();
        let attempt = self.gate.attempt(id, pin, now);
        match attempt {
            Attempt::UnknownInvigilator => {
                self.pin_message = PinMessage::Unknown;
                return Ok(());
            }
            Attempt::WrongPin { left } => self.pin_message = PinMessage::Wrong { tries_left: left },
            Attempt::LockedOut { until_ms } => {
                self.pin_message = PinMessage::Locked {
                    until: self.local(until_ms),
                }
            }
            Attempt::Unlocked => self.pin_message = PinMessage::None,
        }
        // A second invigilator's accepted PIN is recorded in the resolution or seal itself.
        if attempt != Attempt::Unlocked || !second {
            if let Some(action) = Action::from_attempt(id, attempt) {
                self.runner.log_action(&action)?;
            }
        }
        if attempt != Attempt::Unlocked {
            return Ok(());
        }
        match purpose {
            PinFor::Unlock => {
                self.signed_in = Some(id.to_string());
                self.mode = if self.clock == ClockState::Unconfirmed && !self.sealed {
                    Mode::Clock(ClockOffset::ZERO)
                } else {
                    Mode::Home
                };
            }
            PinFor::Clock(offset) => self.confirm_clock(offset, Some(id))?,
            PinFor::Admit { ticket, code } => self.resolve(&ticket, code, Some(id))?,
            PinFor::AdmitByHand { ticket, code } => self.admit_by_hand(&ticket, code, Some(id))?,
            PinFor::Seal => self.seal(id)?,
        }
        Ok(())
    }

    fn resolve(
        &mut self,
        ticket: &TicketNumber,
        code: ReasonCode,
        second: Option<&str>,
    ) -> Result<(), RunError> {
        let Some(who) = self.signed_in.clone() else {
            return Ok(());
        };
        let Some(referral) = self
            .runner
            .tally
            .referrals
            .iter()
            .find(|r| &r.ticket == ticket)
        else {
            return Ok(());
        };
        let (seq, needs_second) = (referral.seq, referral.needs_second());
        let seat = self.seat_here(ticket);
        let verdict = match (code.admits(), seat) {
            (true, Some(seat)) => ActionVerdict::Admit { seat },
            (true, None) => {
                self.notice = Notice::Failed(format!("ticket {ticket} has no seat in this room"));
                return Ok(());
            }
            (false, _) => ActionVerdict::Deny,
        };
        match Resolution::new(&ticket.0, seq, verdict, code, &who, second, needs_second) {
            Ok(resolution) => {
                self.runner.log_action(&Action::Resolve(resolution))?;
                let admitted = match verdict {
                    ActionVerdict::Admit { seat } => Some(seat),
                    ActionVerdict::Deny => None,
                };
                self.runner.resolved(ticket, admitted);
                self.notice = Notice::Resolved(code);
                self.lock();
            }
            Err(crate::journal::actions::ActionError::SecondInvigilatorNeeded { .. }) => {
                self.mode = Mode::Pin(PinFor::Admit {
                    ticket: ticket.clone(),
                    code,
                });
                self.pin_message = PinMessage::None;
            }
            Err(e) => self.notice = Notice::Failed(e.to_string()),
        }
        Ok(())
    }

    /// This room's seat of `ticket` this session.
    fn seat_here(&self, ticket: &TicketNumber) -> Option<u16> {
        let roster = self.runner.roster();
        roster
            .record(ticket)
            .and_then(|r| r.placement)
            .filter(|p| p.room == roster.policy().room)
            .map(|p| p.seat)
    }

    /// Admit by hand a roster candidate with no open referral (the kiosk checked no face:
    /// a second, different invigilator's PIN is always needed).
    fn admit_by_hand(
        &mut self,
        ticket: &TicketNumber,
        code: ReasonCode,
        second: Option<&str>,
    ) -> Result<(), RunError> {
        let Some(who) = self.signed_in.clone() else {
            return Ok(());
        };
        if !code.admits() {
            self.notice = Notice::Failed(format!(
                "ticket {ticket} has no open referral: there is nothing to deny"
            ));
            return Ok(());
        }
        if self.runner.admitted().contains_key(ticket) {
            self.notice = Notice::Failed(format!("ticket {ticket} is already admitted"));
            return Ok(());
        }
        let Some(seat) = self.seat_here(ticket) else {
            self.notice = Notice::Failed(format!("ticket {ticket} has no seat in this room"));
            return Ok(());
        };
        let Some(second) = second else {
            self.mode = Mode::Pin(PinFor::AdmitByHand {
                ticket: ticket.clone(),
                code,
            });
            self.pin_message = PinMessage::None;
            return Ok(());
        };
        self.runner
            .log_event(&Event::ManualAdmission(ManualAdmission {
                ticket: ticket.0.clone(),
                seat,
                reason: code,
                invigilator: who,
                second_invigilator: second.to_string(),
            }))?;
        self.runner.resolved(ticket, Some(seat));
        self.notice = Notice::Resolved(code);
        self.lock();
        Ok(())
    }

    /// A correction changes who is late: any change from the correction in force (and any
    /// first correction) takes a second invigilator; confirming what is in force does not.
    fn needs_second(&self, offset: ClockOffset) -> bool {
        offset != self.clock.offset()
    }

    /// Log the clock's confirmation (with `second`'s PIN for a correction) and decide with
    /// it from now on.
    fn confirm_clock(&mut self, offset: ClockOffset, second: Option<&str>) -> Result<(), RunError> {
        let Some(who) = self.signed_in.clone() else {
            return Ok(());
        };
        if self.needs_second(offset) && second.is_none() {
            return Ok(());
        }
        self.runner
            .log_event(&Event::ClockConfirmed(ClockConfirmed {
                session: self.info.session.clone(),
                invigilator: who,
                second_invigilator: second.map(str::to_string),
                kiosk_time_ms: self.runner.kiosk_ms(),
                offset_ms: offset.ms(),
            }))?;
        self.confirmed(offset);
        self.notice = Notice::ClockConfirmed(offset.to_string());
        self.mode = Mode::Home;
        Ok(())
    }

    fn record_incident(&mut self, kind: IncidentKind) -> Result<(), RunError> {
        let Some(who) = self.signed_in.clone() else {
            return Ok(());
        };
        if self.mode != Mode::Incidents {
            return Ok(());
        }
        if let Ok(action) = Action::incident(&who, None, kind.text()) {
            self.runner.log_action(&action)?;
            self.incidents.push(Incident {
                at_ms: self.runner.now_ms(),
                invigilator: who,
                text: kind.text().to_string(),
            });
            self.notice = Notice::IncidentRecorded;
        }
        Ok(())
    }

    /// The session's counts (what the seal records).
    pub fn counts(&self) -> Counts {
        let count = |f: fn(&Decision) -> bool| {
            self.runner
                .tally
                .decisions
                .iter()
                .filter(|(_, d)| f(d))
                .count() as u32
        };
        Counts::new(
            self.runner.roster().seated() as u32,
            self.runner.admitted().len() as u32,
            count(|d| matches!(d, Decision::Refer { .. })),
            count(|d| matches!(d, Decision::Deny { .. })),
        )
    }

    fn seal(&mut self, second: &str) -> Result<(), RunError> {
        let Some(first) = self.signed_in.clone() else {
            return Ok(());
        };
        let now = self.runner.now_ms();
        let report = if self.incidents.is_empty() {
            Report::Zero
        } else {
            Report::Incidents(self.incidents.clone())
        };
        let attest = |who: &str| Attestation {
            invigilator: who.to_string(),
            at_ms: now,
        };
        match Seal::new(
            &self.info.session,
            self.counts(),
            report,
            [attest(&first), attest(second)],
            self.runner.log_head(),
        ) {
            Ok(seal) => {
                let seal = seal.with_clock_offset(self.clock.offset());
                let seq = self.runner.log_action(&Action::Seal(seal))?;
                self.sealed = true;
                self.seal_code = Some(SealCode::new(seq, &self.runner.log_head()));
                self.lock();
            }
            Err(e) => self.notice = Notice::Failed(e.to_string()),
        }
        Ok(())
    }

    fn export(&mut self) {
        let dir = self.info.export.dir();
        let file = dir.join(format!(
            "{}-{}-{}.examgate-log",
            self.info.kiosk_id,
            self.info.session,
            self.runner.local_time().format("%Y%m%dT%H%M%S")
        ));
        let events = self.runner.log_seq();
        let written = std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))
            .and_then(|()| self.runner.export_log(&file).map_err(|e| e.to_string()));
        let done = written.and_then(|()| match &self.info.export {
            ExportTo::Dir(_) => Ok(file.display().to_string()),
            // Kept on the data partition as well: a failed copy is retried with a new export.
            ExportTo::Stick { helper, .. } => copy_to_stick(helper, &file)
                .map(|copy| format!("USB {copy}"))
                .map_err(|e| format!("the log is not on the USB stick: {e}")),
        });
        self.notice = match done {
            Ok(place) => Notice::Exported(place),
            Err(e) => Notice::Failed(e),
        };
        if matches!(self.notice, Notice::Exported(_)) {
            // The next export carries this one's record (the office names a missing one).
            let logged = self.runner.log_event(&Event::LogExported {
                file: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                events,
            });
            if let Err(e) = logged {
                self.notice = Notice::Failed(format!("the export was written but not logged: {e}"));
            }
        }
    }

    /// What to show now.
    pub fn view(&self) -> View {
        let runner = &self.runner;
        let roster = runner.roster();
        let now = runner.local_time();
        let to_cutoff = (self.info.late_cutoff - now).num_seconds();
        let counts = self.counts();
        let mut v = View {
            room: self.info.room.clone(),
            subject: self.info.subject.clone(),
            clock: now.format("%H:%M:%S").to_string(),
            countdown: view::countdown(to_cutoff),
            late: to_cutoff <= 0,
            admitted: counts.admitted,
            expected: roster.seated() as u32,
            referred: counts.referred,
            denied: counts.denied,
            people: self.info.people.clone(),
            invigilator: self.signed_in.clone().unwrap_or_default(),
            sealed: self.sealed,
            seal_code: self.seal_code.map(|c| c.to_string()).unwrap_or_default(),
            notice: self.notice.clone(),
            pin_message: self.pin_message.clone(),
            incidents: self
                .incidents
                .iter()
                .map(|i| format!("{}  {}  {}", self.local(i.at_ms), i.invigilator, i.text))
                .collect(),
            referrals: runner
                .tally
                .referrals
                .iter()
                .map(|r| ReferralRow {
                    ticket: r.ticket.0.clone(),
                    name: roster.name(&r.ticket).unwrap_or_default().to_string(),
                    high: r.reasons.iter().any(|x| x.severity() == Severity::High),
                })
                .collect(),
            ..View::default()
        };
        v.screen = match &self.mode {
            Mode::Door => self.door_screen(&mut v),
            Mode::Pin(p) => {
                v.pin_purpose = match p {
                    PinFor::Unlock => PinPurpose::Unlock,
                    PinFor::Admit { .. } | PinFor::AdmitByHand { .. } => PinPurpose::SecondForAdmit,
                    PinFor::Seal => PinPurpose::SecondForSeal,
                    PinFor::Clock(_) => PinPurpose::SecondForClock,
                };
                Screen::Pin
            }
            Mode::Home => {
                v.seats = self.seat_map();
                Screen::Invigilator
            }
            Mode::Review(t) => {
                v.review = self.review(t);
                Screen::Review
            }
            Mode::Incidents => Screen::Incidents,
            Mode::Seal => Screen::Seal,
            Mode::Clock(pending) => {
                v.clock_check = Some(self.clock_check(*pending, false));
                Screen::Clock
            }
        };
        v
    }

    /// What the clock screen shows with `pending` entered.
    fn clock_check(&self, pending: ClockOffset, door_waits: bool) -> ClockCheck {
        let kiosk = self.runner.local_at(self.runner.kiosk_ms());
        let corrected = self.runner.local_at(pending.apply(self.runner.kiosk_ms()));
        ClockCheck {
            kiosk_time: kiosk.format("%H:%M:%S").to_string(),
            kiosk_date: kiosk.format("%Y-%m-%d").to_string(),
            corrected_time: corrected.format("%H:%M:%S").to_string(),
            offset: pending.to_string(),
            session_start: self.info.start.format("%Y-%m-%d %H:%M").to_string(),
            late_cutoff: self.info.late_cutoff.format("%H:%M").to_string(),
            confirmed: self.clock != ClockState::Unconfirmed,
            needs_second: self.needs_second(pending),
            door_waits,
        }
    }

    fn door_screen(&self, v: &mut View) -> Screen {
        let runner = &self.runner;
        v.hint = runner.hint;
        if !self.sealed && !self.clock_lets_door_open() {
            v.clock_check = Some(self.clock_check(ClockOffset::ZERO, true));
            return Screen::Clock;
        }
        match &runner.door.phase {
            Phase::Idle => Screen::Idle,
            Phase::AwaitingDocument { .. } => {
                v.hint = Some(Hint::PlaceDocument);
                Screen::Idle
            }
            Phase::Reading { .. } => Screen::Reading,
            Phase::Capturing { .. } | Phase::Deciding { .. } => {
                v.preview = runner.preview().cloned();
                Screen::Capture
            }
            Phase::Showing {
                ticket, decision, ..
            } => {
                v.verdict = Some(verdict(runner.roster().name(ticket), decision));
                Screen::Result
            }
            Phase::DeviceError { missing } => {
                v.missing = missing.clone();
                Screen::DeviceError
            }
        }
    }

    fn seat_map(&self) -> Vec<(u16, SeatState)> {
        let seating: std::collections::HashMap<u16, TicketNumber> =
            self.runner.roster().seating().into_iter().collect();
        (1..=self.info.seats)
            .map(|n| {
                let state = match seating.get(&n) {
                    None => SeatState::Empty,
                    Some(t) if self.runner.admitted().contains_key(t) => SeatState::Admitted,
                    Some(t) if self.runner.tally.referrals.iter().any(|r| &r.ticket == t) => {
                        SeatState::Referred
                    }
                    Some(t) => match self.runner.tally.outcomes.get(t) {
                        Some(Decision::Deny { .. }) => SeatState::Denied,
                        _ => SeatState::Expected,
                    },
                };
                (n, state)
            })
            .collect()
    }

    fn review(&self, ticket: &TicketNumber) -> Option<Review> {
        let roster = self.runner.roster();
        let jpeg = |b: &[u8]| crate::imaging::decode(b).ok();
        let Some(r) = self.runner.tally.referral(ticket) else {
            // A roster entry opened from the seat map: the registration photo to compare
            // with the person and their papers by hand.
            let dash = view::score(None);
            return Some(Review {
                ticket: ticket.0.clone(),
                name: roster.name(ticket)?.to_string(),
                thumbnail: roster.thumbnail(ticket).and_then(|b| jpeg(&b)),
                portrait: None,
                live: None,
                registration_score: dash.clone(),
                portrait_score: dash.clone(),
                liveness: dash,
                reasons: Vec::new(),
            });
        };
        let (reg, por, live) = match r.face {
            FaceEvidence::Captured {
                liveness,
                registration_score,
                portrait_score,
            } => (Some(registration_score), portrait_score, Some(liveness)),
            FaceEvidence::NoUsableFace { .. } => (None, None, None),
        };
        Some(Review {
            ticket: ticket.0.clone(),
            name: roster.name(ticket).unwrap_or_default().to_string(),
            thumbnail: roster.thumbnail(ticket).and_then(|b| jpeg(&b)),
            portrait: r.portrait.clone(),
            live: r.live_jpeg.as_deref().and_then(jpeg),
            registration_score: view::score(reg),
            portrait_score: view::score(por),
            liveness: view::score(live),
            reasons: r
                .reasons
                .iter()
                .map(|x: &ReferReason| (x.clone(), view::reason_detail(x)))
                .collect(),
        })
    }
}

/// The verdict the candidate sees for a decision.
pub fn verdict(name: Option<&str>, d: &Decision) -> Verdict {
    match d {
        Decision::Admit { seat } => Verdict::Admit {
            seat: *seat,
            name: name.unwrap_or_default().to_string(),
        },
        Decision::Refer { .. } => Verdict::Refer,
        Decision::Deny { reason, guidance } => Verdict::Deny {
            reason: reason.clone(),
            go_to: match guidance {
                Guidance::GoTo(p) => Some((p.room.site.clone(), p.room.room.clone(), p.seat)),
                _ => None,
            },
            come_back_at: match guidance {
                Guidance::ComeBackAt(t) => Some(t.format("%H:%M").to_string()),
                _ => None,
            },
        },
    }
}
