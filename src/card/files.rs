//! The contents of EF.COM, DG1 and DG2 (ICAO 9303-10 §4.6–4.7; DG2 per ISO/IEC 19794-5
//! inside the CBEFF biometric information template). Parsers take untrusted chip bytes and
//! never panic; every length is checked.

use super::lds::File;
use super::mrz::{self, Mrz};
use super::tlv;
use super::Error;

/// EF.COM: LDS version and the data groups present.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Com {
    /// LDS version, e.g. `0107` (1.7).
    pub lds_version: String,
    /// Unicode version, e.g. `040000`.
    pub unicode_version: String,
    /// Data groups listed.
    pub files: Vec<File>,
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// Parse EF.COM (`60 { 5F01, 5F36, 5C }`).
pub fn parse_com(bytes: &[u8]) -> Result<Com, Error> {
    let inner = tlv::unwrap(bytes, 0x60)?;
    let tags = tlv::find(inner, 0x5C)?;
    Ok(Com {
        lds_version: tlv::find(inner, 0x5F01)
            .map(|t| text(t.value))
            .unwrap_or_default(),
        unicode_version: tlv::find(inner, 0x5F36)
            .map(|t| text(t.value))
            .unwrap_or_default(),
        files: tags
            .value
            .iter()
            .filter_map(|&t| File::from_tag(t))
            .collect(),
    })
}

/// Parse DG1 (`61 { 5F1F MRZ }`) into MRZ fields.
pub fn parse_dg1(bytes: &[u8]) -> Result<Mrz, Error> {
    let inner = tlv::unwrap(bytes, 0x61)?;
    let raw = tlv::find(inner, 0x5F1F)?.value;
    let text = std::str::from_utf8(raw).map_err(|_| Error::Malformed {
        what: "DG1",
        reason: "MRZ is not ASCII".into(),
    })?;
    Ok(mrz::parse(text)?)
}

/// Image encoding of a portrait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    /// JPEG (ISO/IEC 10918).
    Jpeg,
    /// JPEG 2000 (codestream or JP2 file).
    Jpeg2000,
}

/// The portrait from DG2.
#[derive(Clone, PartialEq, Eq)]
pub struct Portrait {
    /// Encoding, from the image's own signature (the header's image data type is checked
    /// against it but a chip's header can be wrong).
    pub format: ImageFormat,
    /// Width from the ISO/IEC 19794-5 image information.
    pub width: u16,
    /// Height.
    pub height: u16,
    /// The image bytes exactly as stored.
    pub image: Vec<u8>,
}

impl std::fmt::Debug for Portrait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Portrait({:?} {}x{}, {} bytes)",
            self.format,
            self.width,
            self.height,
            self.image.len()
        )
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]) as usize)
}

fn malformed(reason: &str) -> Error {
    Error::Malformed {
        what: "DG2",
        reason: reason.into(),
    }
}

/// The first facial image of an ISO/IEC 19794-5 record (`FAC\0`).
pub fn parse_facial_record(record: &[u8]) -> Result<Portrait, Error> {
    if record.get(..4) != Some(b"FAC\0") {
        return Err(malformed("biometric data block does not start with FAC"));
    }
    // General header: 4 format id, 4 version, 4 record length, 2 number of faces.
    let faces = be16(record, 12).ok_or_else(|| malformed("facial record header truncated"))?;
    if faces == 0 {
        return Err(malformed("facial record holds no face"));
    }
    let face = 14;
    // Facial information: 4 data length, 2 feature points, then 14 more bytes.
    let block_len = be32(record, face).ok_or_else(|| malformed("facial information truncated"))?;
    let points = usize::from(
        be16(record, face + 4).ok_or_else(|| malformed("facial information truncated"))?,
    );
    let info = face + 20 + 8 * points;
    // Image information: 1 face image type, 1 image data type, 2 width, 2 height, 6 more.
    let data_type = *record
        .get(info + 1)
        .ok_or_else(|| malformed("image information truncated"))?;
    let width = be16(record, info + 2).ok_or_else(|| malformed("image information truncated"))?;
    let height = be16(record, info + 4).ok_or_else(|| malformed("image information truncated"))?;
    let start = info + 12;
    let end = (face + block_len).min(record.len());
    let image = record
        .get(start..end)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| malformed("no image data"))?;
    let format = match image {
        [0xFF, 0xD8, ..] => ImageFormat::Jpeg,
        [0x00, 0x00, 0x00, 0x0C, b'j', b'P', ..] | [0xFF, 0x4F, 0xFF, 0x51, ..] => {
            ImageFormat::Jpeg2000
        }
        _ if data_type == 0 => ImageFormat::Jpeg,
        _ if data_type == 1 => ImageFormat::Jpeg2000,
        _ => return Err(malformed("image is neither JPEG nor JPEG 2000")),
    };
    Ok(Portrait {
        format,
        width,
        height,
        image: image.to_vec(),
    })
}

/// Parse DG2 (`75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E|7F2E record } } }`).
pub fn parse_dg2(bytes: &[u8]) -> Result<Portrait, Error> {
    let group = tlv::unwrap(bytes, 0x75)?;
    let template = tlv::find(group, 0x7F61)?.value;
    let instance = tlv::find(template, 0x7F60)?.value;
    let record = tlv::parse_all(instance)?
        .into_iter()
        .find(|t| t.tag == 0x5F2E || t.tag == 0x7F2E)
        .ok_or_else(|| malformed("no biometric data block (5F2E)"))?;
    parse_facial_record(record.value)
}

/// A DG2 as 9303-10 lays it out around `image` (`data_type` 0 JPEG, 1 JPEG 2000): what
/// the emulated passport stores.
pub fn build_dg2(image: &[u8], data_type: u8, w: u16, h: u16) -> Vec<u8> {
    let mut face = Vec::new();
    let block_len = (20 + 12 + image.len()) as u32;
    face.extend(block_len.to_be_bytes());
    face.extend([0, 0]); // feature points
    face.extend([0u8; 14]); // gender … pose uncertainty
    face.extend([1, data_type]);
    face.extend(w.to_be_bytes());
    face.extend(h.to_be_bytes());
    face.extend([0u8; 6]);
    face.extend_from_slice(image);
    let mut record = b"FAC\x00010\x00".to_vec();
    record.extend(((14 + face.len()) as u32).to_be_bytes());
    record.extend(1u16.to_be_bytes());
    record.extend(face);
    let mut header = tlv::encode(0x80, &[0x01, 0x01]);
    header.extend(tlv::encode(0x87, &[0x01, 0x01]));
    let mut instance = tlv::encode(0xA1, &header);
    instance.extend(tlv::encode(0x5F2E, &record));
    let mut template = tlv::encode(0x02, &[1]);
    template.extend(tlv::encode(0x7F60, &instance));
    tlv::encode(0x75, &tlv::encode(0x7F61, &template))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn dg2_gives_the_image_bytes_unchanged() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9];
        let p = parse_dg2(&build_dg2(&jpeg, 0, 240, 320)).expect("DG2");
        assert_eq!(
            (p.format, p.width, p.height, p.image.as_slice()),
            (ImageFormat::Jpeg, 240, 320, &jpeg[..])
        );
        let j2k = [0xFF, 0x4F, 0xFF, 0x51, 9, 9];
        assert_eq!(
            parse_dg2(&build_dg2(&j2k, 1, 10, 10)).expect("J2K").format,
            ImageFormat::Jpeg2000
        );
    }

    #[test]
    fn dg1_and_com_parse() {
        let mrz = b"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C<3UTO6908061F9406236ZE184226B<<<<<14";
        let dg1 = tlv::encode(0x61, &tlv::encode(0x5F1F, mrz));
        assert_eq!(parse_dg1(&dg1).expect("DG1").surname, "ERIKSSON");
        let mut com = tlv::encode(0x5F01, b"0107");
        com.extend(tlv::encode(0x5F36, b"040000"));
        com.extend(tlv::encode(0x5C, &[0x61, 0x75]));
        let com = parse_com(&tlv::encode(0x60, &com)).expect("COM");
        assert_eq!(com.files, vec![File::Dg(1), File::Dg(2)]);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = parse_com(&bytes);
            let _ = parse_dg1(&bytes);
            let _ = parse_dg2(&bytes);
            let _ = parse_facial_record(&bytes);
        }
    }
}
