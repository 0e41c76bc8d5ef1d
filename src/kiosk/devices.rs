//! The door's device seams and their adapters, in one place: [`DocumentReader`] (whatever
//! identity card or document the candidate presents) and [`FrameSource`] (the camera).
//!
//! The document seam is not shaped after the eMRTD: a reader gives a [`Document`], which is
//! a chip read with passive authentication, a resident ID card as the certified reader's
//! bridge reported it, or the UID of a student card. Adapters: `pcsc` (contactless reader
//! through pcscd: eMRTD or UID), `bridge` (the resident-ID reader bridge program), `camera`
//! and `v4l` (the camera on its own thread, V4L2 through nokhwa), `emulated` (the emulated
//! passport, replayed photos and image directories for the demo and the tests).

pub mod bridge;
pub mod camera;
pub mod emulated;
pub mod pcsc;
#[cfg(feature = "ui")]
pub mod v4l;

use image::RgbImage;

pub use emulated::{DirectoryFrames, EmulatedReader, ReplayCamera};

use crate::card::bridge::{BridgeCard, BridgeError};
use crate::card::emrtd::{self, Access, DocumentRead};
use crate::card::{Deadline, Transport};

/// Which reader a card was presented on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The contactless PC/SC reader: passports, eID cards, UID-only student cards.
    Contactless,
    /// The certified resident-ID reader, through its bridge program.
    ResidentId,
}

/// A document as a reader produced it.
pub enum Document {
    /// An ICAO 9303 chip, opened with the candidate's access key, with its passive
    /// authentication result.
    Emrtd(Box<DocumentRead>),
    /// A resident ID card as the certified reader's bridge reported it (ID number, name,
    /// photo). The reader's security module checked the card; there is no passive
    /// authentication for it on our side.
    ResidentId(BridgeCard),
    /// A UID-only card: the UID bytes. A UID proves nothing alone (clonable).
    Uid(Vec<u8>),
}

impl std::fmt::Debug for Document {
    // The documents hold a child's name, number and photo: only their shape is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Document::Emrtd(_) => f.write_str("Document::Emrtd(<redacted>)"),
            Document::ResidentId(c) => write!(f, "Document::ResidentId({c:?})"),
            Document::Uid(u) => write!(f, "Document::Uid({} bytes)", u.len()),
        }
    }
}

/// Why no document came from a reader.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The chip read failed (card pulled away, wrong key, chip error).
    #[error("{0}")]
    Card(#[from] crate::card::Error),
    /// The resident-ID bridge failed (malformed output, died, no card in time).
    #[error("{0}")]
    Bridge(#[from] BridgeError),
    /// An eMRTD chip needs an access key and the candidate is not known yet (a passport
    /// tapped before the ticket was shown) or the roster holds none for them.
    #[error("no access key for this chip: show the admission ticket first")]
    NoAccessKey,
    /// Nothing waiting on the slot the door was told of.
    #[error("no card on the {0:?} reader")]
    NothingThere(Slot),
}

/// Reads the document presented on a slot.
pub trait DocumentReader {
    /// One read of the card on `slot`; `access` opens an eMRTD chip (readers of other
    /// documents ignore it). A pulled card, a wrong key or a failing bridge is an error, and
    /// so is a chip still talking when `deadline` passes (checked before every APDU).
    /// `at_utc_ms` is the time of the read: passive authentication checks certificate
    /// validity periods at it.
    fn read(
        &mut self,
        slot: Slot,
        access: Option<&Access>,
        deadline: &Deadline,
        at_utc_ms: i64,
    ) -> Result<Document, ReadError>;
}

/// Read the contactless card on `t`: an eMRTD chip with `access` and passive authentication
/// against `csca` at `at_utc_ms`, or else the UID of a UID-only card, every APDU before
/// `deadline`. Shared by the PC/SC adapter and the emulated reader, so both treat cards
/// alike.
pub fn read_contactless(
    t: &mut dyn Transport,
    access: Option<&Access>,
    csca: &[Vec<u8>],
    at_utc_ms: i64,
    random: &mut dyn FnMut(&mut [u8]),
    deadline: &Deadline,
) -> Result<Document, ReadError> {
    if emrtd::is_emrtd(t, deadline)? {
        let access = access.ok_or(ReadError::NoAccessKey)?;
        return Ok(Document::Emrtd(Box::new(emrtd::read(
            t, access, csca, at_utc_ms, random, deadline,
        )?)));
    }
    deadline.check(0)?;
    match emrtd::uid(t, deadline) {
        Some(uid) => Ok(Document::Uid(uid)),
        None => Err(ReadError::Card(crate::card::Error::Unsupported(
            "the card is neither an ICAO 9303 document nor a UID card".into(),
        ))),
    }
}

/// Gives camera frames.
pub trait FrameSource {
    /// The next `n` frames of the candidate.
    fn frames(&mut self, n: usize) -> Result<Vec<RgbImage>, String>;
}
