//! The seam between the protocol and the reader: transmit one APDU, give the ATR. The PC/SC
//! adapter (`pcsc_reader.rs`) and the emulated passport (`emulated.rs`) implement it; nothing
//! above this trait knows which.

/// Why a transmit failed. A card taken away is a value the kiosk expects, not a crash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The card left the field.
    #[error("the card was removed")]
    CardRemoved,
    /// The card was reset (by another program or a power cycle): session state is gone.
    #[error("the card was reset")]
    CardReset,
    /// The reader itself went away.
    #[error("the reader is gone")]
    ReaderGone,
    /// The response was not a response (fewer than two bytes).
    #[error("malformed response of {0} bytes")]
    Malformed(usize),
    /// Anything else the reader stack reported.
    #[error("reader error: {0}")]
    Other(String),
}

/// One connected card.
pub trait Transport: Send {
    /// Send a command APDU, return the response APDU bytes (data + SW1 SW2).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
    /// The card's answer to reset.
    fn atr(&self) -> Vec<u8>;
}

/// Counts APDUs passing through a transport (for the read report and the benchmark).
pub struct Counting<'a> {
    inner: &'a mut dyn Transport,
    /// APDUs sent so far.
    pub count: u32,
}

impl<'a> Counting<'a> {
    /// Wrap `inner`.
    pub fn new(inner: &'a mut dyn Transport) -> Counting<'a> {
        Counting { inner, count: 0 }
    }
}

impl Transport for Counting<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.count += 1;
        self.inner.transmit(apdu)
    }

    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }
}
