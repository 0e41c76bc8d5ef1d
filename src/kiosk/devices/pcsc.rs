//! The door's card reader on PC/SC: reading the document on the reader for the runner, and a
//! watcher that turns pcscd's card and reader events into the door's commands (card present,
//! card removed, reader lost, reader back). What the events mean for the door is decided by
//! [`ReaderWatch`], a pure state machine; the loop around it is the adapter.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::super::door::Device;
use super::super::station::Command;
use super::bridge::Mailbox;
use super::{Document, DocumentReader, ReadError, Slot};
use crate::card::emrtd::Access;
use crate::card::pcsc_reader::{Event, ReaderError, Readers};
use crate::card::transport::TransportError;
use crate::card::Deadline;

/// Reads documents on a PC/SC reader (`wanted`, or whichever reader holds a card), and
/// resident ID cards from the bridge's mailbox when the door has that reader.
pub struct PcscDocuments {
    wanted: Option<String>,
    csca: Vec<Vec<u8>>,
    bridge: Option<Mailbox>,
}

impl PcscDocuments {
    /// A reader trusting `csca` (DER certificates) for passive authentication.
    pub fn new(wanted: Option<String>, csca: Vec<Vec<u8>>) -> PcscDocuments {
        PcscDocuments {
            wanted,
            csca,
            bridge: None,
        }
    }

    /// Beside the contactless reader, the resident-ID reader whose bridge watcher fills
    /// `mailbox` (`devices::bridge`).
    pub fn add_bridge(&mut self, mailbox: Mailbox) {
        self.bridge = Some(mailbox);
    }
}

fn gone(e: ReaderError) -> crate::card::Error {
    crate::card::Error::Transport(match e {
        ReaderError::NoCard(_) => TransportError::CardRemoved,
        ReaderError::NoService | ReaderError::NoReaders | ReaderError::UnknownReader(_) => {
            TransportError::ReaderGone
        }
        other => TransportError::Other(other.to_string()),
    })
}

impl DocumentReader for PcscDocuments {
    fn read(
        &mut self,
        slot: Slot,
        access: Option<&Access>,
        deadline: &Deadline,
        at_utc_ms: i64,
    ) -> Result<Document, ReadError> {
        if slot == Slot::ResidentId {
            return match &self.bridge {
                Some(mailbox) => mailbox.take(),
                None => Err(ReadError::NothingThere(slot)),
            };
        }
        // A context per read: cheap next to the read itself, and a pcscd restarted between
        // two candidates is simply found again.
        let readers = Readers::establish().map_err(gone)?;
        let names = match &self.wanted {
            Some(w) => vec![w.clone()],
            None => readers.list().map_err(gone)?,
        };
        let mut last = ReaderError::NoReaders;
        for name in &names {
            match readers.connect(name) {
                Ok(mut card) => {
                    let read = super::read_contactless(
                        &mut card,
                        access,
                        &self.csca,
                        at_utc_ms,
                        &mut crate::platform::random::fill,
                        deadline,
                    );
                    // Leave the card as it is: a reset would end the chip's session and
                    // change a random UID under the candidate's hand.
                    card.release();
                    return read;
                }
                Err(e) => last = e,
            }
        }
        Err(gone(last).into())
    }
}

/// What the door is told about the reader, from pcscd's view of it.
#[derive(Debug, Default)]
pub struct ReaderWatch {
    wanted: Option<String>,
    /// None until the first look says whether the reader is there.
    up: Option<bool>,
    /// The reader holding the card the door was told of.
    holding: Option<String>,
}

impl ReaderWatch {
    /// Watch `wanted`, or every reader.
    pub fn new(wanted: Option<String>) -> ReaderWatch {
        ReaderWatch {
            wanted,
            up: None,
            holding: None,
        }
    }

    fn ours(&self, reader: &str) -> bool {
        self.wanted.as_deref().is_none_or(|w| w == reader)
    }

    /// The readers pcscd lists now (an error: pcscd itself is gone).
    pub fn on_list(&mut self, readers: Result<&[String], &ReaderError>) -> Vec<Command> {
        let present = readers.is_ok_and(|names| names.iter().any(|n| self.ours(n)));
        let mut out = Vec::new();
        match (self.up, present) {
            (Some(true) | None, false) => {
                if self.holding.take().is_some() {
                    out.push(Command::CardRemoved);
                }
                out.push(Command::DeviceLost(Device::Reader));
            }
            (Some(false), true) => out.push(Command::DeviceBack(Device::Reader)),
            _ => {}
        }
        self.up = Some(present);
        out
    }

    /// Card events from pcscd.
    pub fn on_events(&mut self, events: &[Event]) -> Vec<Command> {
        let mut out = Vec::new();
        for e in events {
            match e {
                // A second card on another reader while one is being read is ignored: the
                // door reads one document at a time.
                Event::Present { reader, .. } if self.ours(reader) && self.holding.is_none() => {
                    self.holding = Some(reader.clone());
                    out.push(Command::CardPresent);
                }
                Event::Removed { reader } | Event::ReaderRemoved(reader)
                    if self.holding.as_deref() == Some(reader.as_str()) =>
                {
                    self.holding = None;
                    out.push(Command::CardRemoved);
                }
                _ => {}
            }
        }
        out
    }
}

/// Watch pcscd until `stop` is set or `send` returns false (nobody listens): card and reader
/// changes become commands. A missing pcscd or reader is reported once and looked for again
/// every second.
pub fn watch(wanted: Option<String>, stop: Arc<AtomicBool>, mut send: impl FnMut(Command) -> bool) {
    let mut state = ReaderWatch::new(wanted);
    let mut readers: Option<Readers> = None;
    let pause = Duration::from_millis(500);
    while !stop.load(Ordering::SeqCst) {
        let r = match readers.as_mut() {
            Some(r) => r,
            None => match Readers::establish() {
                Ok(r) => readers.insert(r),
                Err(e) => {
                    for c in state.on_list(Err(&e)) {
                        if !send(c) {
                            return;
                        }
                    }
                    std::thread::sleep(pause * 2);
                    continue;
                }
            },
        };
        let listed = r.list();
        let mut commands = state.on_list(listed.as_deref());
        let failed = match r.next_events(Some(pause)) {
            Ok(events) => {
                commands.extend(state.on_events(&events));
                false
            }
            Err(e) => {
                commands.extend(state.on_list(Err(&e)));
                true
            }
        };
        if failed || listed.is_err() {
            readers = None; // a new context once pcscd is back
            std::thread::sleep(pause);
        }
        for c in commands {
            if !send(c) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(r: &str) -> Event {
        Event::Present {
            reader: r.into(),
            atr: vec![0x3B],
        }
    }

    fn removed(r: &str) -> Event {
        Event::Removed { reader: r.into() }
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_reader_there_at_start_is_not_news() {
        let mut w = ReaderWatch::new(None);
        assert!(w.on_list(Ok(&names(&["A"]))).is_empty());
        assert!(w.on_list(Ok(&names(&["A"]))).is_empty());
    }

    #[test]
    fn a_wanted_reader_missing_at_start_is_lost_then_back() {
        let mut w = ReaderWatch::new(Some("B".into()));
        assert_eq!(
            w.on_list(Ok(&names(&["A"]))),
            [Command::DeviceLost(Device::Reader)]
        );
        assert!(w.on_list(Ok(&names(&["A"]))).is_empty(), "said once");
        assert_eq!(
            w.on_list(Ok(&names(&["A", "B"]))),
            [Command::DeviceBack(Device::Reader)]
        );
    }

    #[test]
    fn pcscd_gone_is_a_lost_reader_and_the_card_with_it() {
        let mut w = ReaderWatch::new(None);
        w.on_list(Ok(&names(&["A"])));
        assert_eq!(w.on_events(&[present("A")]), [Command::CardPresent]);
        assert_eq!(
            w.on_list(Err(&ReaderError::NoService)),
            [Command::CardRemoved, Command::DeviceLost(Device::Reader)]
        );
        assert_eq!(
            w.on_list(Ok(&names(&["A"]))),
            [Command::DeviceBack(Device::Reader)]
        );
    }

    #[test]
    fn cards_on_other_readers_are_ignored() {
        let mut w = ReaderWatch::new(Some("A".into()));
        w.on_list(Ok(&names(&["A", "B"])));
        assert!(w.on_events(&[present("B"), removed("B")]).is_empty());
        assert_eq!(
            w.on_events(&[present("A"), removed("A")]),
            [Command::CardPresent, Command::CardRemoved]
        );
    }

    #[test]
    fn one_card_at_a_time_on_any_reader() {
        let mut w = ReaderWatch::new(None);
        w.on_list(Ok(&names(&["A", "B"])));
        assert_eq!(w.on_events(&[present("A")]), [Command::CardPresent]);
        assert!(
            w.on_events(&[present("B")]).is_empty(),
            "second card ignored"
        );
        assert!(w.on_events(&[removed("B")]).is_empty());
        assert_eq!(w.on_events(&[removed("A")]), [Command::CardRemoved]);
        assert_eq!(w.on_events(&[present("B")]), [Command::CardPresent]);
    }

    #[test]
    fn a_swapped_card_is_removed_then_present() {
        let mut w = ReaderWatch::new(None);
        w.on_list(Ok(&names(&["A"])));
        w.on_events(&[present("A")]);
        assert_eq!(
            w.on_events(&[removed("A"), present("A")]),
            [Command::CardRemoved, Command::CardPresent]
        );
    }
}
