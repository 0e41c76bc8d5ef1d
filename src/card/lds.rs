//! Reading the LDS1 application's files (ICAO 9303-10 §3, 9303-11 §9.8): select the
//! application, then READ BINARY by short file identifier (no SELECT per file: one APDU
//! fewer each), in chunks that follow what the chip actually returns, with the odd-INS
//! READ BINARY (offset in DO54, data in DO53) above offset 32767.

use super::apdu::{Command, Status};
use super::tlv;
use super::{Channel, Error};

/// The LDS1 eMRTD application identifier.
pub const LDS1_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// A file of the eMRTD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum File {
    /// EF.CardAccess (in the master file).
    CardAccess,
    /// EF.COM.
    Com,
    /// Data group 1–16.
    Dg(u8),
    /// EF.SOD.
    Sod,
}

impl File {
    /// Short file identifier.
    pub fn sfi(self) -> u8 {
        match self {
            File::CardAccess => 0x1C,
            File::Com => 0x1E,
            File::Dg(n) => n,
            File::Sod => 0x1D,
        }
    }

    /// Name for reports.
    pub fn name(self) -> String {
        match self {
            File::CardAccess => "EF.CardAccess".into(),
            File::Com => "EF.COM".into(),
            File::Dg(n) => format!("DG{n}"),
            File::Sod => "EF.SOD".into(),
        }
    }

    /// The largest this file may be, header included; a file declaring more is refused
    /// before it is read (issue 12). EF.CardAccess, EF.COM and DG1 hold a few PACEInfos,
    /// a tag list and an MRZ; DG2 one portrait (ICAO 9303-10 suggests 15–20 KB, real chips
    /// stay far below 256 KiB); EF.SOD a few hashes and one DS certificate; DG14 and DG15 a
    /// few public keys. Other groups (fingerprints, irises, extra details) get 64 KiB.
    pub fn max_len(self) -> usize {
        const KIB: usize = 1024;
        match self {
            File::CardAccess | File::Com | File::Dg(1) => KIB,
            File::Dg(2) => 256 * KIB,
            File::Sod => 64 * KIB,
            File::Dg(14) | File::Dg(15) => 8 * KIB,
            File::Dg(_) => 64 * KIB,
        }
    }

    /// The data-group tag EF.COM lists for this file.
    pub fn from_tag(tag: u8) -> Option<File> {
        Some(match tag {
            0x61 => File::Dg(1),
            0x75 => File::Dg(2),
            0x63 => File::Dg(3),
            0x76 => File::Dg(4),
            0x65..=0x6F => File::Dg(tag - 0x65 + 5),
            0x70 => File::Dg(16),
            _ => return None,
        })
    }
}

impl serde::Serialize for File {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// SELECT the LDS1 application: 00 A4 04 0C 07 A0000002471001.
pub fn select_application(ch: &mut Channel<'_>) -> Result<(), Error> {
    let r = ch.send(&Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(&LDS1_AID))?;
    match r.status() {
        Status::Ok => Ok(()),
        Status::NotFound => Err(Error::Malformed {
            what: "card",
            reason: "no eMRTD application (LDS1 AID not found)".into(),
        }),
        _ => Err(Error::Status {
            command: "SELECT LDS1 application",
            sw: r.sw,
        }),
    }
}

/// How many bytes a plain or protected READ BINARY may ask for.
fn max_read(ch: &Channel<'_>) -> usize {
    ch.session().map_or(256, |s| s.max_read())
}

/// One READ BINARY at `offset` for up to `n` bytes; `None` when the file is absent.
fn read_chunk(
    ch: &mut Channel<'_>,
    file: File,
    first: bool,
    offset: usize,
    n: usize,
) -> Result<Option<Vec<u8>>, Error> {
    let cmd = if first {
        // 00 B0 (80|SFI) 00 Le: selects the file by its short identifier and reads.
        Command::new(0x00, 0xB0, 0x80 | file.sfi(), 0x00).with_le(n)
    } else if offset <= 0x7FFF {
        Command::new(0x00, 0xB0, (offset >> 8) as u8, offset as u8).with_le(n)
    } else {
        // 00 B1 00 00 Lc 54 <offset> Le: the offset does not fit P1-P2.
        let be = (offset as u32).to_be_bytes();
        let digits: Vec<u8> = be.iter().copied().skip_while(|&b| b == 0).collect();
        Command::new(0x00, 0xB1, 0x00, 0x00)
            .with_data(&tlv::encode(0x54, &digits))
            .with_le(n)
    };
    let r = ch.send(&cmd)?;
    match r.status() {
        Status::Ok | Status::EndOfFile => {}
        Status::NotFound => return Ok(None),
        _ => {
            return Err(Error::Status {
                command: "READ BINARY",
                sw: r.sw,
            })
        }
    }
    if cmd.ins == 0xB1 {
        Ok(Some(tlv::unwrap(&r.data, 0x53)?.to_vec()))
    } else {
        Ok(Some(r.data))
    }
}

/// Total length of the TLV whose first bytes are `head`, if the header is complete.
fn total_length(head: &[u8]) -> Option<usize> {
    tlv::header(head, 0).ok().map(|h| h.total())
}

/// Read a whole file; `None` when the chip does not have it. A file whose header declares
/// more than [`File::max_len`] is refused after its first chunk, before the rest is read.
pub fn read_file(ch: &mut Channel<'_>, file: File) -> Result<Option<Vec<u8>>, Error> {
    let max = max_read(ch);
    let Some(mut data) = read_chunk(ch, file, true, 0, max)? else {
        return Ok(None);
    };
    let total = total_length(&data).ok_or_else(|| Error::Malformed {
        what: "file header",
        reason: format!(
            "{} starts with {} bytes that are no TLV header",
            file.name(),
            data.len()
        ),
    })?;
    if total > file.max_len() {
        return Err(Error::FileTooLarge {
            file: file.name(),
            declared: total,
            limit: file.max_len(),
        });
    }
    while data.len() < total {
        let offset = data.len();
        // Above 32767 the response carries the data inside DO53 (tag, up to 3 length
        // bytes), and Le counts the wrapper too.
        let n = if offset > 0x7FFF {
            (total - offset + 4).min(max)
        } else {
            max.min(total - offset)
        };
        let chunk = read_chunk(ch, file, false, offset, n)?.unwrap_or_default();
        if chunk.is_empty() {
            return Err(Error::Malformed {
                what: "READ BINARY",
                reason: format!("{} ended at {offset} of {total} bytes", file.name()),
            });
        }
        data.extend_from_slice(&chunk);
    }
    data.truncate(total);
    Ok(Some(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_length_reads_short_and_long_headers() {
        assert_eq!(total_length(&[0x61, 0x5B, 0x5F]), Some(2 + 0x5B));
        assert_eq!(total_length(&[0x75, 0x82, 0x19, 0x6B]), Some(4 + 0x196B));
        assert_eq!(total_length(&[0x77, 0x82, 0x03]), None, "incomplete");
        assert_eq!(total_length(&[]), None);
    }

    #[test]
    fn ef_com_tags_name_their_files() {
        assert_eq!(File::from_tag(0x61), Some(File::Dg(1)));
        assert_eq!(File::from_tag(0x75), Some(File::Dg(2)));
        assert_eq!(File::from_tag(0x6E), Some(File::Dg(14)));
        assert_eq!(File::from_tag(0x70), Some(File::Dg(16)));
        assert_eq!(File::Dg(2).sfi(), 2);
    }
}
