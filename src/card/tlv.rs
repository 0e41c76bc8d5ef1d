//! BER-TLV as ICAO 9303-10 uses it: tags of one to three bytes, definite lengths of up to
//! four bytes. Parsing never panics and never reads past the input: every length is
//! checked against what is left.

/// Why bytes are not TLV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    /// The input ended inside a tag or length.
    #[error("TLV truncated at offset {0}")]
    Truncated(usize),
    /// A length claims more bytes than remain.
    #[error("TLV at offset {offset} claims {length} bytes, {left} remain")]
    TooLong {
        /// Where the element starts.
        offset: usize,
        /// Claimed length.
        length: usize,
        /// Bytes left.
        left: usize,
    },
    /// Indefinite length (0x80) or a length of more than four bytes.
    #[error("unsupported length form 0x{0:02X}")]
    LengthForm(u8),
    /// A tag longer than three bytes.
    #[error("tag longer than three bytes at offset {0}")]
    TagTooLong(usize),
    /// An expected tag is absent.
    #[error("tag {0:X} not found")]
    Missing(u32),
}

/// One element: its tag, its value and the whole encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Tag, its bytes big-endian (`0x5F1F`, `0x7F61`).
    pub tag: u32,
    /// Value bytes.
    pub value: &'a [u8],
    /// Tag, length and value bytes.
    pub raw: &'a [u8],
}

impl Tlv<'_> {
    /// Whether the tag is constructed (bit 6 of the first tag byte).
    pub fn constructed(&self) -> bool {
        self.raw.first().is_some_and(|b| b & 0x20 != 0)
    }
}

/// An element's header: its tag, the header's length in bytes, and the value's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Tag, its bytes big-endian.
    pub tag: u32,
    /// Bytes of tag and length.
    pub len: usize,
    /// Bytes of value the length announces.
    pub value_len: usize,
}

impl Header {
    /// Bytes of the whole element.
    pub fn total(&self) -> usize {
        self.len + self.value_len
    }
}

/// Parse the header at the start of `data` (the value need not be there yet: a reader uses
/// this on a file's first bytes to learn its size). `base` offsets error positions.
pub fn header(data: &[u8], base: usize) -> Result<Header, TlvError> {
    let at = |i: usize| data.get(i).copied().ok_or(TlvError::Truncated(base + i));
    let mut i = 0;
    let first = at(i)?;
    let mut tag = u32::from(first);
    i += 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = at(i)?;
            tag = (tag << 8) | u32::from(b);
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            if i >= 3 {
                return Err(TlvError::TagTooLong(base));
            }
        }
    }
    let l = at(i)?;
    i += 1;
    let value_len = if l < 0x80 {
        usize::from(l)
    } else {
        let n = usize::from(l & 0x7F);
        if n == 0 || n > 4 {
            return Err(TlvError::LengthForm(l));
        }
        let mut v = 0usize;
        for _ in 0..n {
            v = (v << 8) | usize::from(at(i)?);
            i += 1;
        }
        v
    };
    Ok(Header {
        tag,
        len: i,
        value_len,
    })
}

/// Parse the element at the start of `data`; returns it and the bytes after it.
pub fn parse_one(data: &[u8], base: usize) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let h = header(data, base)?;
    let left = data.len() - h.len;
    if h.value_len > left {
        return Err(TlvError::TooLong {
            offset: base,
            length: h.value_len,
            left,
        });
    }
    let end = h.total();
    Ok((
        Tlv {
            tag: h.tag,
            value: &data[h.len..end],
            raw: &data[..end],
        },
        &data[end..],
    ))
}

/// Every element at one level of `data`.
pub fn parse_all(data: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let base = data.len() - rest.len();
        let (tlv, next) = parse_one(rest, base)?;
        out.push(tlv);
        rest = next;
    }
    Ok(out)
}

/// The first element tagged `tag` at one level of `data`.
pub fn find(data: &[u8], tag: u32) -> Result<Tlv<'_>, TlvError> {
    parse_all(data)?
        .into_iter()
        .find(|t| t.tag == tag)
        .ok_or(TlvError::Missing(tag))
}

/// The value of the single element tagged `tag` that `data` must consist of.
pub fn unwrap(data: &[u8], tag: u32) -> Result<&[u8], TlvError> {
    let (t, _) = parse_one(data, 0)?;
    if t.tag != tag {
        return Err(TlvError::Missing(tag));
    }
    Ok(t.value)
}

/// Length bytes for `n` (definite form).
pub fn encode_length(n: usize) -> Vec<u8> {
    match n {
        0..=0x7F => vec![n as u8],
        0x80..=0xFF => vec![0x81, n as u8],
        0x100..=0xFFFF => vec![0x82, (n >> 8) as u8, n as u8],
        _ => vec![0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8],
    }
}

/// Encode one element.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = tag
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    if out.is_empty() {
        out.push(0);
    }
    out.extend(encode_length(value.len()));
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ef_com_parses_as_icao_9303_10_writes_it() {
        // EF.COM (9303-10 §4.6.1): 60 16 5F01 04 "0107" 5F36 06 "040000" 5C 02 61 75
        let com = [
            0x60, 0x14, 0x5F, 0x01, 0x04, b'0', b'1', b'0', b'7', 0x5F, 0x36, 0x06, b'0', b'4',
            b'0', b'0', b'0', b'0', 0x5C, 0x02, 0x61, 0x75,
        ];
        let inner = unwrap(&com, 0x60).expect("EF.COM");
        let items = parse_all(inner).expect("items");
        assert_eq!(
            items.iter().map(|t| t.tag).collect::<Vec<_>>(),
            [0x5F01, 0x5F36, 0x5C]
        );
        assert_eq!(items[2].value, [0x61, 0x75]);
        assert_eq!(encode(0x60, inner), com, "re-encodes byte for byte");
    }

    #[test]
    fn long_lengths_round_trip_and_lies_are_caught() {
        let value = vec![7u8; 300];
        let enc = encode(0x5F2E, &value);
        assert_eq!(&enc[..5], &[0x5F, 0x2E, 0x82, 0x01, 0x2C]);
        assert_eq!(unwrap(&enc, 0x5F2E).expect("round trip"), value.as_slice());
        assert_eq!(
            parse_one(&enc[..100], 0).map(|_| ()),
            Err(TlvError::TooLong {
                offset: 0,
                length: 300,
                left: 95
            })
        );
        assert_eq!(
            parse_one(&[0x30, 0x80], 0).map(|_| ()),
            Err(TlvError::LengthForm(0x80))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_all(&bytes);
        }

        #[test]
        fn encode_then_parse_is_identity(tag in 0x41u32..0x5E, value in proptest::collection::vec(proptest::num::u8::ANY, 0..70_000)) {
            let enc = encode(tag, &value);
            let (t, rest) = parse_one(&enc, 0).expect("own encoding parses");
            proptest::prop_assert_eq!(t.value, value.as_slice());
            proptest::prop_assert!(rest.is_empty());
        }
    }
}
