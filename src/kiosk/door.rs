//! One candidate at the door, as a state machine: ticket and/or document tap → document read
//! → live face capture → decision → result → idle. Every waiting phase has a deadline; a
//! passed deadline returns to idle and says why in a log effect. A camera or reader that
//! disappears shows the device-error screen; when it is back the door is idle again.
//!
//! `Door::handle` is pure: (phase, input, now) → (phase, effects). The clock is an input.

pub use super::devices::Slot;
use crate::decision::{Decision, DocumentEvidence, FaceEvidence, TicketNumber};
use crate::journal::events::DoorNote;

/// Failed reads of one candidate's document after which the door stops asking for another
/// tap and refers them as unreadable.
pub const MAX_FAILED_READS: u8 = 2;

/// A device the door needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Device {
    /// The camera.
    Camera,
    /// The document reader.
    Reader,
    /// The kiosk's own processing: repeated faults (isolated panics) within a minute.
    Software,
}

/// How long each phase may wait, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// After the ticket, for the document tap.
    pub document_tap: i64,
    /// For the document read to finish.
    pub document_read: i64,
    /// For a usable face capture.
    pub face_capture: i64,
    /// For the decision (evidence gathering, the log append).
    pub decision: i64,
    /// How long the result stays on screen.
    pub result: i64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            document_tap: 30_000,
            document_read: 15_000,
            face_capture: 20_000,
            decision: 5_000,
            result: 6_000,
        }
    }
}

/// Where the door is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Waiting for a ticket or a tap.
    Idle,
    /// A ticket was scanned; waiting for the document.
    AwaitingDocument {
        /// The ticket.
        ticket: TicketNumber,
        /// Deadline, ms.
        until: i64,
        /// Reads of this candidate's document that failed so far.
        failures: u8,
    },
    /// Reading the document.
    Reading {
        /// The ticket, when scanned first.
        ticket: Option<TicketNumber>,
        /// Deadline, ms.
        until: i64,
        /// Reads of this candidate's document that failed before this one.
        failures: u8,
    },
    /// Capturing the face.
    Capturing {
        /// The candidate's ticket.
        ticket: TicketNumber,
        /// The document read (or not presented).
        document: DocumentEvidence,
        /// Deadline, ms.
        until: i64,
    },
    /// Waiting for the decision.
    Deciding {
        /// The ticket.
        ticket: TicketNumber,
        /// Deadline, ms.
        until: i64,
    },
    /// Showing the result.
    Showing {
        /// The ticket.
        ticket: TicketNumber,
        /// The decision.
        decision: Decision,
        /// Back to idle at, ms.
        until: i64,
    },
    /// A device is missing.
    DeviceError {
        /// Which devices are missing.
        missing: Vec<Device>,
    },
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A ticket was scanned; `document_needed` is false for a candidate registered without
    /// a document.
    TicketScanned {
        /// The ticket.
        ticket: TicketNumber,
        /// Whether the roster expects a document.
        document_needed: bool,
    },
    /// A card was put on a reader (for the resident-ID reader: its bridge reported one).
    CardPresent(Slot),
    /// The card left the reader.
    CardRemoved,
    /// The document was read; `ticket` is the roster entry it leads to (for a tap without a
    /// ticket), if any.
    DocumentRead {
        /// Ticket found from the document, when none was scanned.
        ticket: Option<TicketNumber>,
        /// The document evidence.
        document: DocumentEvidence,
    },
    /// The read failed (card pulled away, wrong key, chip error).
    DocumentFailed(String),
    /// The face capture finished.
    FaceCaptured(FaceEvidence),
    /// The decision is made and logged.
    Decided(Decision),
    /// The ticket alone decided it (not in the exam, another room, late): no document or
    /// face is taken, the result shows at once.
    TurnedAway {
        /// The ticket.
        ticket: TicketNumber,
        /// The deny, already logged.
        decision: Decision,
    },
    /// The decision on screen was replaced (an answer sheet that is not the candidate's
    /// turns an admit into a referral).
    Redecided(Decision),
    /// Time passed (the runner ticks a few times a second).
    Tick,
    /// A device went away.
    DeviceLost(Device),
    /// A device came back.
    DeviceBack(Device),
}

/// What the runner must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read the card on `slot` (with the roster's MRZ/CAN for `ticket`, if known).
    ReadDocument {
        /// Ticket scanned before the tap.
        ticket: Option<TicketNumber>,
        /// The reader it was presented on.
        slot: Slot,
    },
    /// Start capturing frames (live preview, hints).
    StartCapture,
    /// Stop capturing.
    StopCapture,
    /// Gather the evidence for `ticket`, decide, log, then send [`Input::Decided`].
    Decide {
        /// The ticket.
        ticket: TicketNumber,
        /// The document.
        document: DocumentEvidence,
        /// The face.
        face: FaceEvidence,
    },
    /// Append one of the door's notes to the log.
    Log {
        /// Which.
        note: DoorNote,
        /// Why (no personal data).
        detail: String,
    },
    /// A message for the candidate on the current screen.
    Hint(Hint),
}

/// What the candidate is asked to do (the screen words it in the chosen language).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// Put the document on the reader.
    PlaceDocument,
    /// The read failed or the card left too early: tap again and hold still.
    TapAgain,
    /// The document is not on this room's list: show the admission ticket.
    NotInRoster,
    /// A code was read that is not an admission ticket.
    NotATicket,
    /// Look into the camera (no face found).
    LookAtCamera,
    /// The face is too small.
    ComeCloser,
    /// Head turned or tilted.
    LookStraight,
    /// Blurred frames.
    HoldStill,
    /// Eyes or face covered (eyes closed, several faces, bad light).
    RemoveCovering,
}

/// The door.
#[derive(Debug, Clone)]
pub struct Door {
    /// Where it is.
    pub phase: Phase,
    timeouts: Timeouts,
}

impl Door {
    /// An idle door.
    pub fn new(timeouts: Timeouts) -> Door {
        Door {
            phase: Phase::Idle,
            timeouts,
        }
    }

    /// The candidate's document cannot be had: the face is still captured, and the decision
    /// refers them with `why` (design.md: never silence).
    fn unreadable(&mut self, ticket: TicketNumber, why: String, now: i64) -> Vec<Effect> {
        self.phase = Phase::Capturing {
            ticket,
            document: DocumentEvidence::Unreadable { why: why.clone() },
            until: now + self.timeouts.face_capture,
        };
        vec![
            Effect::Log {
                note: DoorNote::DocumentUnreadable,
                detail: why,
            },
            Effect::StartCapture,
        ]
    }

    fn timeout(&mut self, what: &str) -> Vec<Effect> {
        self.phase = Phase::Idle;
        vec![
            Effect::StopCapture,
            Effect::Log {
                note: DoorNote::DoorTimeout,
                detail: format!("no {what} in time; back to idle"),
            },
        ]
    }

    /// Handle one input at `now` (ms); returns what the runner must do.
    pub fn handle(&mut self, input: Input, now: i64) -> Vec<Effect> {
        use Input as I;
        use Phase as P;
        let t = self.timeouts;
        // Devices first: a missing device stops everything, whatever the phase.
        match (&mut self.phase, &input) {
            (P::DeviceError { missing }, I::DeviceLost(d)) => {
                if !missing.contains(d) {
                    missing.push(*d);
                    missing.sort();
                }
                return vec![];
            }
            (P::DeviceError { missing }, I::DeviceBack(d)) => {
                missing.retain(|m| m != d);
                if missing.is_empty() {
                    self.phase = P::Idle;
                    return vec![Effect::Log {
                        note: DoorNote::DeviceRecovered,
                        detail: format!("{d:?} is back"),
                    }];
                }
                return vec![];
            }
            (P::DeviceError { .. }, _) => return vec![],
            (_, I::DeviceLost(d)) => {
                let was_busy = !matches!(self.phase, P::Idle);
                self.phase = P::DeviceError { missing: vec![*d] };
                let mut effects = vec![Effect::Log {
                    note: DoorNote::DeviceLost,
                    detail: format!(
                        "{d:?} disappeared{}",
                        if was_busy { " during a candidate" } else { "" }
                    ),
                }];
                if was_busy {
                    effects.insert(0, Effect::StopCapture);
                }
                return effects;
            }
            _ => {}
        }
        match (self.phase.clone(), input) {
            (
                P::Idle,
                I::TicketScanned {
                    ticket,
                    document_needed: true,
                },
            ) => {
                self.phase = P::AwaitingDocument {
                    ticket,
                    until: now + t.document_tap,
                    failures: 0,
                };
                vec![Effect::Hint(Hint::PlaceDocument)]
            }
            (
                P::Idle,
                I::TicketScanned {
                    ticket,
                    document_needed: false,
                },
            ) => {
                self.phase = P::Capturing {
                    ticket,
                    document: DocumentEvidence::NotPresented,
                    until: now + t.face_capture,
                };
                vec![Effect::StartCapture]
            }
            (P::Idle, I::TurnedAway { ticket, decision }) => {
                self.phase = P::Showing {
                    ticket,
                    decision,
                    until: now + t.result,
                };
                vec![]
            }
            // Tap first: the card starts the attempt; the document names the candidate.
            (P::Idle, I::CardPresent(slot)) => {
                self.phase = P::Reading {
                    ticket: None,
                    until: now + t.document_read,
                    failures: 0,
                };
                vec![Effect::ReadDocument { ticket: None, slot }]
            }
            (
                P::AwaitingDocument {
                    ticket, failures, ..
                },
                I::CardPresent(slot),
            ) => {
                self.phase = P::Reading {
                    ticket: Some(ticket.clone()),
                    until: now + t.document_read,
                    failures,
                };
                vec![Effect::ReadDocument {
                    ticket: Some(ticket),
                    slot,
                }]
            }
            (
                P::Reading { ticket, until, .. },
                I::DocumentRead {
                    ticket: found,
                    document,
                },
            ) => match ticket.or(found) {
                // A read that finished after its deadline does not count (a slow or
                // hostile card must not hold the door past it).
                Some(ticket) if now > until => self.unreadable(
                    ticket,
                    format!("the read took longer than {} s", t.document_read / 1000),
                    now,
                ),
                Some(ticket) => {
                    self.phase = P::Capturing {
                        ticket,
                        document,
                        until: now + t.face_capture,
                    };
                    vec![Effect::StartCapture]
                }
                None => {
                    self.phase = P::Idle;
                    vec![
                        Effect::Log {
                            note: DoorNote::DocumentNotInRoster,
                            detail: "a document with no roster entry".into(),
                        },
                        Effect::Hint(Hint::NotInRoster),
                    ]
                }
            },
            // A failed read with a ticket in hand: the candidate may tap again, once; the
            // second failure (or the deadline) refers them as unreadable.
            (
                P::Reading {
                    ticket: Some(ticket),
                    failures,
                    ..
                },
                I::DocumentFailed(why),
            ) => {
                let failures = failures.saturating_add(1);
                if failures >= MAX_FAILED_READS {
                    return self.unreadable(
                        ticket,
                        format!("{failures} reads failed, the last: {why}"),
                        now,
                    );
                }
                self.phase = P::AwaitingDocument {
                    ticket,
                    until: now + t.document_tap,
                    failures,
                };
                vec![
                    Effect::Log {
                        note: DoorNote::DocumentReadFailed,
                        detail: why,
                    },
                    Effect::Hint(Hint::TapAgain),
                ]
            }
            (
                P::Reading {
                    ticket: Some(ticket),
                    failures,
                    ..
                },
                I::CardRemoved,
            ) => {
                self.phase = P::AwaitingDocument {
                    ticket,
                    until: now + t.document_tap,
                    failures,
                };
                vec![Effect::Hint(Hint::TapAgain)]
            }
            (P::Reading { ticket: None, .. }, I::DocumentFailed(why)) => {
                self.phase = P::Idle;
                vec![
                    Effect::Log {
                        note: DoorNote::DocumentReadFailed,
                        detail: why,
                    },
                    Effect::Hint(Hint::TapAgain),
                ]
            }
            (P::Reading { ticket: None, .. }, I::CardRemoved) => {
                self.phase = P::Idle;
                vec![Effect::Hint(Hint::TapAgain)]
            }
            // Taking the document away during the face capture is fine: it was read.
            (P::Capturing { .. }, I::CardRemoved) => vec![],
            (
                P::Capturing {
                    ticket, document, ..
                },
                I::FaceCaptured(face),
            ) => {
                self.phase = P::Deciding {
                    ticket: ticket.clone(),
                    until: now + t.decision,
                };
                vec![
                    Effect::StopCapture,
                    Effect::Decide {
                        ticket,
                        document,
                        face,
                    },
                ]
            }
            (P::Deciding { ticket, .. }, I::Decided(decision)) => {
                self.phase = P::Showing {
                    ticket,
                    decision,
                    until: now + t.result,
                };
                vec![]
            }
            (P::Showing { ticket, .. }, I::Redecided(decision)) => {
                self.phase = P::Showing {
                    ticket,
                    decision,
                    until: now + t.result,
                };
                vec![]
            }
            (P::Showing { until, .. }, I::Tick) if now >= until => {
                self.phase = P::Idle;
                vec![]
            }
            (P::AwaitingDocument { ticket, until, .. }, I::Tick) if now >= until => self
                .unreadable(
                    ticket,
                    format!("no document presented within {} s", t.document_tap / 1000),
                    now,
                ),
            (
                P::Reading {
                    ticket: Some(ticket),
                    until,
                    ..
                },
                I::Tick,
            ) if now >= until => self.unreadable(
                ticket,
                format!(
                    "the read did not finish within {} s",
                    t.document_read / 1000
                ),
                now,
            ),
            (P::Reading { until, .. }, I::Tick) if now >= until => self.timeout("document read"),
            (P::Capturing { until, .. }, I::Tick) if now >= until => self.timeout("usable face"),
            (P::Deciding { until, .. }, I::Tick) if now >= until => self.timeout("decision"),
            // Anything else changes nothing (a second ticket while busy, a stray tick).
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{PassiveAuth, ReadBy};

    fn ticket() -> TicketNumber {
        TicketNumber("2027010001".into())
    }

    fn read() -> DocumentEvidence {
        DocumentEvidence::Read {
            number: "L898902C".into(),
            name: "ERIKSSON ANNA MARIA".into(),
            read_by: ReadBy::Chip,
            passive_auth: PassiveAuth::Valid,
        }
    }

    fn face() -> FaceEvidence {
        FaceEvidence::Captured {
            liveness: 0.97,
            registration_score: 0.71,
            portrait_score: Some(0.66),
        }
    }

    fn admit() -> Decision {
        Decision::Admit { seat: 7 }
    }

    /// Feed `inputs` at the given times; returns every effect.
    fn run(door: &mut Door, inputs: Vec<(i64, Input)>) -> Vec<Effect> {
        inputs
            .into_iter()
            .flat_map(|(now, i)| door.handle(i, now))
            .collect()
    }

    #[test]
    fn ticket_then_tap_then_face_then_result_then_idle() {
        let mut door = Door::new(Timeouts::default());
        let effects = run(
            &mut door,
            vec![
                (
                    0,
                    Input::TicketScanned {
                        ticket: ticket(),
                        document_needed: true,
                    },
                ),
                (1_000, Input::CardPresent(Slot::Contactless)),
                (
                    1_200,
                    Input::DocumentRead {
                        ticket: None,
                        document: read(),
                    },
                ),
                (3_000, Input::FaceCaptured(face())),
                (3_100, Input::Decided(admit())),
            ],
        );
        assert!(effects.contains(&Effect::ReadDocument {
            ticket: Some(ticket()),
            slot: Slot::Contactless,
        }));
        assert!(effects.contains(&Effect::Decide {
            ticket: ticket(),
            document: read(),
            face: face()
        }));
        assert_eq!(
            door.phase,
            Phase::Showing {
                ticket: ticket(),
                decision: admit(),
                until: 9_100
            }
        );
        door.handle(Input::Tick, 9_099);
        assert!(
            matches!(door.phase, Phase::Showing { .. }),
            "result still shown at 9,099 ms"
        );
        door.handle(Input::Tick, 9_100);
        assert_eq!(door.phase, Phase::Idle);
    }

    #[test]
    fn a_tap_without_a_ticket_finds_the_candidate_by_document() {
        let mut door = Door::new(Timeouts::default());
        run(
            &mut door,
            vec![
                (0, Input::CardPresent(Slot::Contactless)),
                (
                    500,
                    Input::DocumentRead {
                        ticket: Some(ticket()),
                        document: read(),
                    },
                ),
            ],
        );
        assert!(matches!(&door.phase, Phase::Capturing { ticket: t, .. } if *t == ticket()));
        let mut door = Door::new(Timeouts::default());
        let effects = run(
            &mut door,
            vec![
                (0, Input::CardPresent(Slot::Contactless)),
                (
                    500,
                    Input::DocumentRead {
                        ticket: None,
                        document: read(),
                    },
                ),
            ],
        );
        assert_eq!(door.phase, Phase::Idle);
        assert!(effects.contains(&Effect::Hint(Hint::NotInRoster)));
    }

    #[test]
    fn a_candidate_without_a_document_goes_straight_to_the_camera() {
        let mut door = Door::new(Timeouts::default());
        let effects = door.handle(
            Input::TicketScanned {
                ticket: ticket(),
                document_needed: false,
            },
            0,
        );
        assert_eq!(effects, vec![Effect::StartCapture]);
        assert!(matches!(
            door.phase,
            Phase::Capturing {
                document: DocumentEvidence::NotPresented,
                ..
            }
        ));
    }

    #[test]
    fn every_waiting_phase_times_out_to_idle_with_the_reason_logged() {
        let t = Timeouts::default();
        // (inputs, deadline, the logged reason)
        type Case = (Vec<(i64, Input)>, i64, &'static str);
        let cases: Vec<Case> = vec![
            (
                vec![(0, Input::CardPresent(Slot::Contactless))],
                t.document_read,
                "no document read in time",
            ),
            (
                vec![(
                    0,
                    Input::TicketScanned {
                        ticket: ticket(),
                        document_needed: false,
                    },
                )],
                t.face_capture,
                "no usable face in time",
            ),
            (
                vec![
                    (
                        0,
                        Input::TicketScanned {
                            ticket: ticket(),
                            document_needed: false,
                        },
                    ),
                    (10, Input::FaceCaptured(face())),
                ],
                10 + t.decision,
                "no decision in time",
            ),
        ];
        for (inputs, deadline, reason) in cases {
            let mut door = Door::new(t);
            run(&mut door, inputs);
            assert!(
                door.handle(Input::Tick, deadline - 1).is_empty(),
                "{reason}: early"
            );
            let effects = door.handle(Input::Tick, deadline);
            assert_eq!(door.phase, Phase::Idle, "{reason}");
            assert!(
                effects.iter().any(|e| matches!(e, Effect::Log { note: DoorNote::DoorTimeout, detail } if detail.starts_with(reason))),
                "{reason}: {effects:?}"
            );
        }
    }

    fn awaiting(door: &mut Door) {
        door.handle(
            Input::TicketScanned {
                ticket: ticket(),
                document_needed: true,
            },
            0,
        );
    }

    fn unreadable_capture(door: &Door) -> Option<String> {
        match &door.phase {
            Phase::Capturing {
                document: DocumentEvidence::Unreadable { why },
                ticket: t,
                ..
            } if *t == ticket() => Some(why.clone()),
            _ => None,
        }
    }

    #[test]
    fn r11_no_document_by_the_deadline_is_unreadable_never_silence() {
        let t = Timeouts::default();
        let mut door = Door::new(t);
        awaiting(&mut door);
        assert!(door.handle(Input::Tick, t.document_tap - 1).is_empty());
        let effects = door.handle(Input::Tick, t.document_tap);
        let why = unreadable_capture(&door).expect("the face is captured, then referred");
        assert!(why.contains("no document presented within 30 s"), "{why}");
        assert!(effects.contains(&Effect::StartCapture));
        assert!(effects.iter().any(|e| matches!(
            e,
            Effect::Log {
                note: DoorNote::DocumentUnreadable,
                ..
            }
        )));
        // The same for a read that never finishes.
        let mut door = Door::new(t);
        awaiting(&mut door);
        door.handle(Input::CardPresent(Slot::ResidentId), 100);
        door.handle(Input::Tick, 100 + t.document_read);
        let why = unreadable_capture(&door).expect("unreadable");
        assert!(why.contains("did not finish within 15 s"), "{why}");
    }

    #[test]
    fn r11_two_failed_reads_make_the_document_unreadable() {
        let mut door = Door::new(Timeouts::default());
        awaiting(&mut door);
        door.handle(Input::CardPresent(Slot::Contactless), 100);
        let effects = door.handle(Input::DocumentFailed("BAC refused".into()), 200);
        assert!(effects.contains(&Effect::Hint(Hint::TapAgain)));
        assert!(matches!(
            door.phase,
            Phase::AwaitingDocument { failures: 1, .. }
        ));
        door.handle(Input::CardPresent(Slot::Contactless), 300);
        door.handle(Input::DocumentFailed("BAC refused".into()), 400);
        let why = unreadable_capture(&door).expect("unreadable after two failures");
        assert_eq!(why, "2 reads failed, the last: BAC refused");
        // A read that only comes back after its deadline counts as unreadable too.
        let mut door = Door::new(Timeouts::default());
        awaiting(&mut door);
        door.handle(Input::CardPresent(Slot::Contactless), 0);
        door.handle(
            Input::DocumentRead {
                ticket: None,
                document: read(),
            },
            16_000,
        );
        assert!(unreadable_capture(&door).is_some(), "{:?}", door.phase);
    }

    #[test]
    fn r11_a_resident_id_card_tapped_first_starts_the_attempt() {
        let mut door = Door::new(Timeouts::default());
        let effects = door.handle(Input::CardPresent(Slot::ResidentId), 0);
        assert_eq!(
            effects,
            vec![Effect::ReadDocument {
                ticket: None,
                slot: Slot::ResidentId
            }]
        );
        door.handle(
            Input::DocumentRead {
                ticket: Some(ticket()),
                document: read(),
            },
            50,
        );
        assert!(matches!(&door.phase, Phase::Capturing { ticket: t, .. } if *t == ticket()));
    }

    #[test]
    fn a_lost_device_shows_the_error_and_recovery_returns_to_idle() {
        let mut door = Door::new(Timeouts::default());
        run(
            &mut door,
            vec![(
                0,
                Input::TicketScanned {
                    ticket: ticket(),
                    document_needed: false,
                },
            )],
        );
        let effects = door.handle(Input::DeviceLost(Device::Camera), 100);
        assert_eq!(
            door.phase,
            Phase::DeviceError {
                missing: vec![Device::Camera]
            }
        );
        assert!(effects.contains(&Effect::StopCapture));
        door.handle(Input::DeviceLost(Device::Reader), 200);
        assert!(
            door.handle(Input::CardPresent(Slot::Contactless), 250)
                .is_empty(),
            "nothing happens without devices"
        );
        door.handle(Input::DeviceBack(Device::Camera), 300);
        assert_eq!(
            door.phase,
            Phase::DeviceError {
                missing: vec![Device::Reader]
            }
        );
        let effects = door.handle(Input::DeviceBack(Device::Reader), 400);
        assert_eq!(door.phase, Phase::Idle);
        assert!(matches!(
            effects.as_slice(),
            [Effect::Log {
                note: DoorNote::DeviceRecovered,
                ..
            }]
        ));
    }

    #[test]
    fn card_removed_during_capture_continues_but_during_reading_asks_to_tap_again() {
        let mut door = Door::new(Timeouts::default());
        run(
            &mut door,
            vec![
                (
                    0,
                    Input::TicketScanned {
                        ticket: ticket(),
                        document_needed: true,
                    },
                ),
                (100, Input::CardPresent(Slot::Contactless)),
                (
                    200,
                    Input::DocumentRead {
                        ticket: None,
                        document: read(),
                    },
                ),
            ],
        );
        assert!(door.handle(Input::CardRemoved, 300).is_empty());
        assert!(
            matches!(door.phase, Phase::Capturing { .. }),
            "the read document stands"
        );
        let mut door = Door::new(Timeouts::default());
        run(
            &mut door,
            vec![
                (
                    0,
                    Input::TicketScanned {
                        ticket: ticket(),
                        document_needed: true,
                    },
                ),
                (100, Input::CardPresent(Slot::Contactless)),
            ],
        );
        let effects = door.handle(Input::DocumentFailed("the card was removed".into()), 200);
        assert!(matches!(door.phase, Phase::AwaitingDocument { .. }));
        assert!(effects.iter().any(|e| matches!(
            e,
            Effect::Log {
                note: DoorNote::DocumentReadFailed,
                ..
            }
        )));
    }

    #[test]
    fn a_second_ticket_while_busy_is_ignored() {
        let mut door = Door::new(Timeouts::default());
        run(
            &mut door,
            vec![(
                0,
                Input::TicketScanned {
                    ticket: ticket(),
                    document_needed: true,
                },
            )],
        );
        let before = door.phase.clone();
        let other = TicketNumber("2027010002".into());
        assert!(door
            .handle(
                Input::TicketScanned {
                    ticket: other,
                    document_needed: true
                },
                10
            )
            .is_empty());
        assert_eq!(door.phase, before);
    }
}
