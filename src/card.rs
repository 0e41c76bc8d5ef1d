//! Identity documents over PC/SC (issue 3): the transport seam, ICAO 9303 eMRTD access
//! (BAC, PACE), secure messaging, the data groups, passive authentication, UID-only cards,
//! and the resident-ID reader bridge.
//!
//! Only `pcsc_reader.rs` names `pcsc` types. Everything else speaks [`Transport`] and plain
//! bytes, so the protocol is tested against the emulated passport and Appendix D/G vectors
//! without a reader.

pub mod apdu;
pub mod bac;
pub mod bridge;
pub mod crypto;
pub mod emrtd;
pub mod emulated;
pub mod files;
pub mod lds;
pub mod mrz;
pub mod pa;
pub mod pace;
pub mod pcsc_reader;
pub mod sm;
pub mod sod;
pub mod tlv;
pub mod transport;

pub use apdu::{Command, Response, Status};
pub use transport::{Transport, TransportError};

/// What went wrong talking to a card. Passive-authentication failures are not errors: they
/// are part of the read's result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The reader or card failed (removed, reset, reader gone).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The chip refused the access key: wrong MRZ, dates or CAN.
    #[error("{protocol} refused: the document number, birth date and expiry (or the CAN) do not open this chip")]
    AccessDenied {
        /// BAC or PACE.
        protocol: &'static str,
    },
    /// A command got a status word the read cannot continue after.
    #[error("{command} failed with status {sw:04X}")]
    Status {
        /// Which command.
        command: &'static str,
        /// Status word.
        sw: u16,
    },
    /// Secure messaging broke (bad MAC, the chip ended the session).
    #[error("secure messaging: {0}")]
    SecureMessaging(String),
    /// A response or file is not what the standard says.
    #[error("{what}: {reason}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// TLV structure broken.
    #[error("TLV: {0}")]
    Tlv(#[from] tlv::TlvError),
    /// A primitive refused its input.
    #[error("crypto: {0}")]
    Crypto(#[from] crypto::CryptoError),
    /// The MRZ given for the access key is unusable.
    #[error("MRZ: {0}")]
    Mrz(#[from] mrz::MrzError),
    /// Something this reader does not do (a protocol the chip insists on).
    #[error("not supported: {0}")]
    Unsupported(String),
}

/// Send one plain command, following `6Cxx` (wrong Le: resend with the length the card
/// names) and `61xx` (more data: GET RESPONSE).
pub fn exchange(t: &mut dyn Transport, cmd: &Command) -> Result<Response, Error> {
    let raw = t.transmit(&cmd.to_bytes())?;
    let mut r = Response::parse(&raw).ok_or(TransportError::Malformed(raw.len()))?;
    if let Status::WrongLe(n) = r.status() {
        let again = cmd
            .clone()
            .with_le(if n == 0 { 256 } else { usize::from(n) });
        let raw = t.transmit(&again.to_bytes())?;
        r = Response::parse(&raw).ok_or(TransportError::Malformed(raw.len()))?;
    }
    let mut data = r.data.clone();
    while r.sw >> 8 == 0x61 {
        // GET RESPONSE: 00 C0 00 00 xx
        let n = (r.sw & 0xFF) as usize;
        let raw = t.transmit(
            &Command::new(0x00, 0xC0, 0, 0)
                .with_le(if n == 0 { 256 } else { n })
                .to_bytes(),
        )?;
        r = Response::parse(&raw).ok_or(TransportError::Malformed(raw.len()))?;
        data.extend_from_slice(&r.data);
    }
    Ok(Response { data, sw: r.sw })
}

/// A card plus, once access control is done, its secure-messaging session.
pub struct Channel<'a> {
    transport: &'a mut dyn Transport,
    session: Option<sm::Session>,
    /// APDUs sent through this channel.
    pub apdus: u32,
}

impl<'a> Channel<'a> {
    /// A plain channel.
    pub fn new(transport: &'a mut dyn Transport) -> Channel<'a> {
        Channel {
            transport,
            session: None,
            apdus: 0,
        }
    }

    /// From now on every command is protected with `session`.
    pub fn secure(&mut self, session: sm::Session) {
        self.session = Some(session);
    }

    /// The session, if any.
    pub fn session(&self) -> Option<&sm::Session> {
        self.session.as_ref()
    }

    /// The card's ATR.
    pub fn atr(&self) -> Vec<u8> {
        self.transport.atr()
    }

    /// Send `cmd`, protected when a session is established.
    pub fn send(&mut self, cmd: &Command) -> Result<Response, Error> {
        self.apdus += 1;
        match &mut self.session {
            None => exchange(self.transport, cmd),
            Some(s) => {
                let apdu = s.protect(cmd)?;
                let raw = self.transport.transmit(&apdu)?;
                let r = Response::parse(&raw).ok_or(TransportError::Malformed(raw.len()))?;
                s.unprotect(&r)
            }
        }
    }
}
