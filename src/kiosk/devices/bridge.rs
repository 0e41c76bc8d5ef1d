//! The resident-ID reader at the door: the bridge program (`[reader] bridge` in kiosk.toml,
//! protocol in `card::bridge`) runs for the whole session; a watcher thread puts each card
//! it reports (or its failure) into a [`Mailbox`] and tells the door that a card arrived on
//! [`Slot::ResidentId`]. The door's read then takes it from the mailbox. So a resident ID
//! card starts an attempt by itself (tap first), like a card on the contactless reader.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::super::station::Command;
use super::{Document, ReadError, Slot};
use crate::card::bridge::{Bridge, BridgeCard, BridgeError};

/// The last card (or failure) the bridge reported, until the door takes it.
#[derive(Clone, Default)]
pub struct Mailbox(Arc<Mutex<Option<Result<BridgeCard, BridgeError>>>>);

impl Mailbox {
    /// An empty mailbox.
    pub fn new() -> Mailbox {
        Mailbox::default()
    }

    /// Leave what the bridge reported (replacing anything not taken yet: the newest card
    /// on the reader is the one in the candidate's hand).
    pub fn put(&self, card: Result<BridgeCard, BridgeError>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(card);
    }

    /// The door's read: what is waiting, once.
    pub fn take(&self) -> Result<Document, ReadError> {
        match self.0.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(Ok(card)) => Ok(Document::ResidentId(card)),
            Some(Err(e)) => Err(ReadError::Bridge(e)),
            None => Err(ReadError::NothingThere(Slot::ResidentId)),
        }
    }
}

/// Run the bridge `program` until `stop` is set or `send` returns false (nobody listens).
/// Each card or failure goes to `mailbox` and becomes [`Command::IdCardRead`]. A bridge that
/// exits or cannot start is reported the same way and started again after `retry`.
pub fn watch(
    program: &str,
    args: &[String],
    mailbox: &Mailbox,
    stop: &AtomicBool,
    retry: Duration,
    mut send: impl FnMut(Command) -> bool,
) {
    let poll = Duration::from_millis(250);
    while !stop.load(Ordering::Relaxed) {
        let mut bridge = match Bridge::start(program, args) {
            Ok(b) => b,
            Err(e) => {
                mailbox.put(Err(e));
                if !send(Command::IdCardRead) {
                    return;
                }
                std::thread::sleep(retry);
                continue;
            }
        };
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match bridge.next_card(poll) {
                Err(BridgeError::Timeout(_)) => continue,
                Err(died @ BridgeError::Died { .. }) => {
                    mailbox.put(Err(died));
                    if !send(Command::IdCardRead) {
                        return;
                    }
                    break;
                }
                card => {
                    mailbox.put(card);
                    if !send(Command::IdCardRead) {
                        return;
                    }
                }
            }
        }
        std::thread::sleep(retry);
    }
}

/// Start [`watch`] on its own thread; set the returned flag to stop it.
pub fn spawn(
    program: String,
    args: Vec<String>,
    mailbox: Mailbox,
    send: impl FnMut(Command) -> bool + Send + 'static,
) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("examgate-id-bridge".into())
        .spawn(move || {
            watch(
                &program,
                &args,
                &mailbox,
                &flag,
                Duration::from_secs(1),
                send,
            )
        })
        .expect("the OS starts a thread");
    stop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mailbox_gives_each_card_once() {
        let m = Mailbox::new();
        assert!(matches!(
            m.take(),
            Err(ReadError::NothingThere(Slot::ResidentId))
        ));
        m.put(Err(BridgeError::Timeout(5)));
        assert!(matches!(m.take(), Err(ReadError::Bridge(_))));
        assert!(m.take().is_err(), "taken once");
    }
}
