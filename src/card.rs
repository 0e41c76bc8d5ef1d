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
pub mod deadline;
pub mod ecparams;
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
pub use deadline::Deadline;
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
    /// The read's deadline passed before the next APDU (a slow or stalling card).
    #[error("the card read ran past its deadline of {limit_ms} ms after {apdus} APDUs")]
    DeadlinePassed {
        /// The budget, milliseconds.
        limit_ms: u64,
        /// APDUs sent before it passed.
        apdus: u32,
    },
    /// The card kept answering `61xx` (more data) beyond the cap on GET RESPONSE.
    #[error("the card answered 61xx to INS {ins:02X} more than {limit} times (GET RESPONSE cap)")]
    TooManyGetResponses {
        /// INS of the command that started it.
        ins: u8,
        /// The cap.
        limit: u32,
    },
    /// A file declares a length above what that file can hold (checked before reading it).
    #[error("{file} declares {declared} bytes, above its cap of {limit}")]
    FileTooLarge {
        /// Which file.
        file: String,
        /// The length its header declares (tag and length bytes included).
        declared: usize,
        /// The cap for that file.
        limit: usize,
    },
}

/// At most this many GET RESPONSEs follow one command: 16 × 256 bytes is far more than any
/// plain response the reader asks for, and a card answering `61 00` forever stops here.
pub const MAX_GET_RESPONSES: u32 = 16;

/// Send one plain command, following `6Cxx` (wrong Le: resend with the length the card
/// names) and `61xx` (more data: GET RESPONSE, at most [`MAX_GET_RESPONSES`] times).
/// `deadline` is checked before every APDU, the first included.
pub fn exchange(
    t: &mut dyn Transport,
    cmd: &Command,
    deadline: &Deadline,
) -> Result<Response, Error> {
    let mut sent = 0u32;
    let mut send = |t: &mut dyn Transport, apdu: &[u8]| -> Result<Vec<u8>, Error> {
        deadline.check(sent)?;
        sent += 1;
        Ok(t.transmit(apdu)?)
    };
    let raw = send(t, &cmd.to_bytes())?;
    let mut r = Response::parse(&raw).ok_or(TransportError::Malformed(raw.len()))?;
    if let Status::WrongLe(n) = r.status() {
        let again = cmd
            .clone()
            .with_le(if n == 0 { 256 } else { usize::from(n) });
        let raw = send(t, &again.to_bytes())?;
        r = Response::parse(&raw).ok_or(TransportError::Malformed(raw.len()))?;
    }
    let mut data = r.data.clone();
    let mut followed = 0u32;
    while r.sw >> 8 == 0x61 {
        if followed == MAX_GET_RESPONSES {
            return Err(Error::TooManyGetResponses {
                ins: cmd.ins,
                limit: MAX_GET_RESPONSES,
            });
        }
        followed += 1;
        // GET RESPONSE: 00 C0 00 00 xx
        let n = (r.sw & 0xFF) as usize;
        let raw = send(
            t,
            &Command::new(0x00, 0xC0, 0, 0)
                .with_le(if n == 0 { 256 } else { n })
                .to_bytes(),
        )?;
        r = Response::parse(&raw).ok_or(TransportError::Malformed(raw.len()))?;
        data.extend_from_slice(&r.data);
    }
    Ok(Response { data, sw: r.sw })
}

/// A card plus, once access control is done, its secure-messaging session, and the deadline
/// every APDU sent through it is checked against.
pub struct Channel<'a> {
    transport: &'a mut dyn Transport,
    session: Option<sm::Session>,
    deadline: Deadline,
    /// APDUs sent through this channel.
    pub apdus: u32,
}

impl<'a> Channel<'a> {
    /// A plain channel without a deadline.
    pub fn new(transport: &'a mut dyn Transport) -> Channel<'a> {
        Channel::with_deadline(transport, Deadline::never())
    }

    /// A plain channel whose APDUs stop once `deadline` has passed.
    pub fn with_deadline(transport: &'a mut dyn Transport, deadline: Deadline) -> Channel<'a> {
        Channel {
            transport,
            session: None,
            deadline,
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
        self.deadline.check(self.apdus)?;
        self.apdus += 1;
        match &mut self.session {
            None => exchange(self.transport, cmd, &self.deadline),
            Some(s) => {
                let apdu = s.protect(cmd)?;
                let raw = self.transport.transmit(&apdu)?;
                let r = Response::parse(&raw).ok_or(TransportError::Malformed(raw.len()))?;
                s.unprotect(&r)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card that answers every APDU with `61 00` ("256 more bytes"), forever.
    struct MoreForever(u32);

    impl Transport for MoreForever {
        fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.0 += 1;
            Ok(vec![0x61, 0x00])
        }

        fn atr(&self) -> Vec<u8> {
            Vec::new()
        }
    }

    #[test]
    fn r12_a_card_answering_61_00_forever_hits_the_get_response_cap() {
        let mut card = MoreForever(0);
        // 00 A4 04 0C 07 <AID>: SELECT the LDS1 application.
        let select = Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(&lds::LDS1_AID);
        let err = exchange(&mut card, &select, &Deadline::never()).expect_err("capped");
        assert!(
            matches!(
                err,
                Error::TooManyGetResponses {
                    ins: 0xA4,
                    limit: 16
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            card.0,
            1 + MAX_GET_RESPONSES,
            "the command and 16 GET RESPONSEs"
        );
    }

    #[test]
    fn r12_a_passed_deadline_sends_nothing() {
        let mut card = MoreForever(0);
        let mut ch = Channel::with_deadline(&mut card, Deadline::after_ms(0));
        let err = lds::select_application(&mut ch).expect_err("deadline");
        assert!(
            matches!(err, Error::DeadlinePassed { apdus: 0, .. }),
            "{err:?}"
        );
        assert_eq!(card.0, 0);
    }
}
