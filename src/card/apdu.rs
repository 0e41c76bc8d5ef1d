//! Command and response APDUs (ISO/IEC 7816-4 §5.1, short length only: the virtual and
//! most real eMRTD chips do not advertise extended length) and the status words we act on.

/// A command APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (at most 255 bytes).
    pub data: Vec<u8>,
    /// Expected response length; `Some(256)` is encoded as `00`.
    pub le: Option<usize>,
}

impl Command {
    /// A command without data.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Command {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// With command data.
    pub fn with_data(mut self, data: &[u8]) -> Command {
        self.data = data.to_vec();
        self
    }

    /// With an expected length.
    pub fn with_le(mut self, le: usize) -> Command {
        self.le = Some(le);
        self
    }

    /// The bytes on the wire: `CLA INS P1 P2 [Lc data] [Le]`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if !self.data.is_empty() {
            out.push(self.data.len() as u8);
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            out.push((le & 0xFF) as u8);
        }
        out
    }
}

/// A response APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// Status word.
    pub sw: u16,
}

impl std::fmt::Debug for Response {
    // Response data may be personal (DG1, DG2): show the length only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Response({} bytes, SW {:04X})", self.data.len(), self.sw)
    }
}

impl Response {
    /// Split `bytes` (data then SW1 SW2); `None` when shorter than two bytes.
    pub fn parse(bytes: &[u8]) -> Option<Response> {
        let n = bytes.len().checked_sub(2)?;
        Some(Response {
            data: bytes[..n].to_vec(),
            sw: u16::from_be_bytes([bytes[n], bytes[n + 1]]),
        })
    }

    /// The status word as a value.
    pub fn status(&self) -> Status {
        Status::from(self.sw)
    }
}

/// Status words the reader acts on (ISO/IEC 7816-4 §5.6, ICAO 9303-11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `9000`.
    Ok,
    /// `6282`: end of file reached before Le bytes.
    EndOfFile,
    /// `6300`: authentication failed (wrong MRZ or CAN).
    AuthenticationFailed,
    /// `6700`: wrong length.
    WrongLength,
    /// `6982`: security status not satisfied (access control not done).
    SecurityNotSatisfied,
    /// `6987`/`6988`: secure messaging data objects missing or incorrect; the session ended.
    SecureMessagingBroken,
    /// `6A82`: file or application not found.
    NotFound,
    /// `6B00`: offset beyond the file.
    WrongOffset,
    /// `6Cxx`: wrong Le, the card says how many bytes it has.
    WrongLe(u8),
    /// `6D00`: instruction not supported.
    InsNotSupported,
    /// `6E00`: class not supported.
    ClaNotSupported,
    /// Anything else.
    Unknown(u8, u8),
}

impl From<u16> for Status {
    fn from(sw: u16) -> Status {
        let [sw1, sw2] = sw.to_be_bytes();
        match (sw1, sw2) {
            (0x90, 0x00) => Status::Ok,
            (0x62, 0x82) => Status::EndOfFile,
            (0x63, 0x00) => Status::AuthenticationFailed,
            (0x67, 0x00) => Status::WrongLength,
            (0x69, 0x82) => Status::SecurityNotSatisfied,
            (0x69, 0x87) | (0x69, 0x88) => Status::SecureMessagingBroken,
            (0x6A, 0x82) => Status::NotFound,
            (0x6B, 0x00) => Status::WrongOffset,
            (0x6C, n) => Status::WrongLe(n),
            (0x6D, 0x00) => Status::InsNotSupported,
            (0x6E, 0x00) => Status::ClaNotSupported,
            _ => Status::Unknown(sw1, sw2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_encode_as_iso_7816_short_apdus() {
        // SELECT EF.COM by file id: 00 A4 02 0C 02 011E
        let select = Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(&[0x01, 0x1E]);
        assert_eq!(
            select.to_bytes(),
            [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E]
        );
        // GET CHALLENGE, Le 8: 00 84 00 00 08
        assert_eq!(
            Command::new(0x00, 0x84, 0, 0).with_le(8).to_bytes(),
            [0x00, 0x84, 0, 0, 8]
        );
        assert_eq!(
            Command::new(0xFF, 0xCA, 0, 0).with_le(256).to_bytes(),
            [0xFF, 0xCA, 0, 0, 0]
        );
    }

    #[test]
    fn responses_split_data_and_status() {
        let r = Response::parse(&[1, 2, 0x90, 0x00]).expect("four bytes");
        assert_eq!((r.data.as_slice(), r.status()), (&[1u8, 2][..], Status::Ok));
        assert_eq!(
            Response::parse(&[0x6C, 0x07]).map(|r| r.status()),
            Some(Status::WrongLe(7))
        );
        assert_eq!(Response::parse(&[0x90]), None);
        assert_eq!(Status::from(0x6F00), Status::Unknown(0x6F, 0x00));
    }
}
