//! The PC/SC adapter (pcsclite through the `pcsc` crate): the only file that names `pcsc`
//! types. It lists readers, waits for card events on every reader (cancellable from another
//! thread), connects, and turns pcsc errors into [`TransportError`] values, so a card
//! pulled away mid-read is an error the caller handles, never a hang or a panic.

use std::ffi::CString;
use std::time::Duration;

use super::transport::{Transport, TransportError};

/// Reader-level errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReaderError {
    /// No pcscd to talk to.
    #[error("the PC/SC service (pcscd) is not running")]
    NoService,
    /// No reader is attached.
    #[error("no card reader is attached")]
    NoReaders,
    /// The named reader does not exist.
    #[error("no reader named {0:?}")]
    UnknownReader(String),
    /// No card in the reader.
    #[error("no card in {0}")]
    NoCard(String),
    /// The wait was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Anything else.
    #[error("PC/SC: {0}")]
    Other(String),
}

fn reader_error(e: pcsc::Error) -> ReaderError {
    match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => ReaderError::NoService,
        pcsc::Error::NoReadersAvailable => ReaderError::NoReaders,
        pcsc::Error::Cancelled => ReaderError::Cancelled,
        other => ReaderError::Other(other.to_string()),
    }
}

fn transport_error(e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard => TransportError::CardRemoved,
        pcsc::Error::ResetCard => TransportError::CardReset,
        pcsc::Error::ReaderUnavailable
        | pcsc::Error::UnknownReader
        | pcsc::Error::NoService
        | pcsc::Error::ServiceStopped => TransportError::ReaderGone,
        other => TransportError::Other(other.to_string()),
    }
}

/// A card event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A card arrived (ATR).
    Present {
        /// Reader name.
        reader: String,
        /// ATR.
        atr: Vec<u8>,
    },
    /// The card left.
    Removed {
        /// Reader name.
        reader: String,
    },
    /// A reader appeared.
    ReaderAdded(String),
    /// A reader disappeared.
    ReaderRemoved(String),
}

/// The PC/SC context: readers and their events.
pub struct Readers {
    ctx: pcsc::Context,
    states: Vec<pcsc::ReaderState>,
}

/// Cancels a blocking [`Readers::next_events`] from another thread.
#[derive(Clone)]
pub struct Canceller(pcsc::Context);

impl Canceller {
    /// Make the pending wait return [`ReaderError::Cancelled`].
    pub fn cancel(&self) {
        let _ = self.0.cancel();
    }
}

impl Readers {
    /// Connect to pcscd.
    pub fn establish() -> Result<Readers, ReaderError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(reader_error)?;
        Ok(Readers {
            ctx,
            states: Vec::new(),
        })
    }

    /// A handle that cancels waits.
    pub fn canceller(&self) -> Canceller {
        Canceller(self.ctx.clone())
    }

    /// Reader names.
    pub fn list(&self) -> Result<Vec<String>, ReaderError> {
        match self.ctx.list_readers_owned() {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(reader_error(e)),
        }
    }

    /// Wait up to `timeout` (forever when `None`) for changes on any reader; returns the
    /// events (the first call reports every card already present).
    pub fn next_events(&mut self, timeout: Option<Duration>) -> Result<Vec<Event>, ReaderError> {
        let names = self.list()?;
        let mut events = Vec::new();
        self.states.retain(|s| {
            let keep = s.name() == pcsc::PNP_NOTIFICATION()
                || names.iter().any(|n| n.as_bytes() == s.name().to_bytes());
            if !keep {
                events.push(Event::ReaderRemoved(
                    s.name().to_string_lossy().into_owned(),
                ));
            }
            keep
        });
        if self.states.is_empty() {
            self.states.push(pcsc::ReaderState::new(
                pcsc::PNP_NOTIFICATION(),
                pcsc::State::UNAWARE,
            ));
        }
        for n in &names {
            if !self
                .states
                .iter()
                .any(|s| s.name().to_bytes() == n.as_bytes())
            {
                let name =
                    CString::new(n.as_str()).map_err(|e| ReaderError::Other(e.to_string()))?;
                self.states
                    .push(pcsc::ReaderState::new(name, pcsc::State::UNAWARE));
            }
        }
        if !events.is_empty() {
            return Ok(events);
        }
        match self.ctx.get_status_change(timeout, &mut self.states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(Vec::new()),
            Err(e) => return Err(reader_error(e)),
        }
        for s in &mut self.states {
            if s.name() == pcsc::PNP_NOTIFICATION() {
                s.sync_current_state();
                continue;
            }
            let (before, now) = (s.current_state(), s.event_state());
            if !now.contains(pcsc::State::CHANGED) {
                continue;
            }
            let name = s.name().to_string_lossy().into_owned();
            let was = before.contains(pcsc::State::PRESENT);
            let is = now.contains(pcsc::State::PRESENT) && !now.contains(pcsc::State::MUTE);
            // The upper 16 bits count insertions and removals: a card swapped between two
            // waits leaves PRESENT set but moves the count.
            let swapped = was
                && is
                && (before.bits() >> 16) != (now.bits() >> 16)
                && before != pcsc::State::UNAWARE;
            if (was && !is) || swapped {
                events.push(Event::Removed {
                    reader: name.clone(),
                });
            }
            if (is && !was) || swapped {
                events.push(Event::Present {
                    reader: name.clone(),
                    atr: s.atr().to_vec(),
                });
            }
            if now.intersects(pcsc::State::UNKNOWN | pcsc::State::UNAVAILABLE) {
                events.push(Event::ReaderRemoved(name));
            }
            s.sync_current_state();
        }
        Ok(events)
    }

    /// Connect to the card in `reader`.
    pub fn connect(&self, reader: &str) -> Result<PcscCard, ReaderError> {
        let name = CString::new(reader).map_err(|e| ReaderError::Other(e.to_string()))?;
        let card = self
            .ctx
            .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .map_err(|e| match e {
                pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard => {
                    ReaderError::NoCard(reader.to_string())
                }
                pcsc::Error::UnknownReader => ReaderError::UnknownReader(reader.to_string()),
                other => reader_error(other),
            })?;
        // The ATR from SCardStatus: Debian's vpcd does not answer SCardGetAttrib for it.
        let atr = card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .unwrap_or_default();
        Ok(PcscCard { card, atr })
    }
}

/// A connected card.
pub struct PcscCard {
    card: pcsc::Card,
    atr: Vec<u8>,
}

impl PcscCard {
    /// Reconnect after [`TransportError::CardReset`] (another program or a power cycle reset
    /// the card): the handle works again, the chip's session is gone, so access control
    /// starts over.
    pub fn reconnect(&mut self) -> Result<(), ReaderError> {
        self.card
            .reconnect(
                pcsc::ShareMode::Shared,
                pcsc::Protocols::ANY,
                pcsc::Disposition::LeaveCard,
            )
            .map_err(|e| match e {
                pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard => {
                    ReaderError::NoCard("the reader".into())
                }
                other => reader_error(other),
            })?;
        self.atr = self
            .card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .unwrap_or_default();
        Ok(())
    }

    /// Let go of the card without resetting it (dropping the handle resets the chip, which
    /// ends its session and, on random-UID passports, changes the UID).
    pub fn release(self) {
        let _ = self.card.disconnect(pcsc::Disposition::LeaveCard);
    }
}

impl Transport for PcscCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let r = self
            .card
            .transmit(apdu, &mut buf)
            .map_err(transport_error)?;
        if r.len() < 2 {
            return Err(TransportError::Malformed(r.len()));
        }
        Ok(r.to_vec())
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }
}
