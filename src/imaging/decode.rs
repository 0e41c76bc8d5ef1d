//! Bytes → RGB8. The format is taken from the signature, never from a file name, since a
//! portrait read from a chip has no name and a file on disk may be misnamed.

use image::RgbImage;

use super::Error;

/// Refuse anything larger: a 40-megapixel "portrait" is an attack on memory, not a face.
pub const MAX_PIXELS: u64 = 40_000_000;

/// A document portrait larger than this is refused (issue 12): ICAO 9303-10 portraits are
/// a few hundred pixels a side, 4 MP is ten times a generous one.
pub const MAX_PORTRAIT_PIXELS: u64 = 4_000_000;

/// A document portrait's encoded bytes are capped like the DG2 that carries them (256 KiB,
/// `card::lds::File::max_len`).
pub const MAX_PORTRAIT_BYTES: usize = 256 * 1024;

/// JPEG 2000 images with more components than this are refused before decoding (grey, RGB,
/// RGB + alpha, CMYK): the codestream may declare up to 16384, each costing the decoder
/// a plane.
pub const MAX_JPEG2000_COMPONENTS: u16 = 4;

/// Image container formats we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// JPEG (JFIF/EXIF), `FF D8 FF`.
    Jpeg,
    /// PNG, `89 50 4E 47 0D 0A 1A 0A`.
    Png,
    /// JPEG 2000 in a JP2 box structure.
    Jp2,
    /// A raw JPEG 2000 codestream (`FF 4F FF 51`), as some chips store DG2.
    J2k,
}

/// Identify the container by its first bytes.
pub fn sniff_format(bytes: &[u8]) -> Option<ImageFormat> {
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF]; // SOI + first marker prefix
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    const JP2: &[u8] = &[0x00, 0x00, 0x00, 0x0C, b'j', b'P', b' ', b' ']; // signature box
    const J2K: &[u8] = &[0xFF, 0x4F, 0xFF, 0x51]; // SOC + SIZ
    if bytes.starts_with(JPEG) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(PNG) {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(JP2) {
        Some(ImageFormat::Jp2)
    } else if bytes.starts_with(J2K) {
        Some(ImageFormat::J2k)
    } else {
        None
    }
}

/// Decode an image of any accepted format into 8-bit RGB (up to [`MAX_PIXELS`]).
pub fn decode(bytes: &[u8]) -> Result<RgbImage, Error> {
    decode_within(bytes, MAX_PIXELS)
}

/// Decode a document portrait (a chip's DG2 image, a resident-ID photo) under the tighter
/// portrait limits: [`MAX_PORTRAIT_BYTES`] encoded, [`MAX_PORTRAIT_PIXELS`] decoded.
pub fn decode_portrait(bytes: &[u8]) -> Result<RgbImage, Error> {
    if bytes.len() > MAX_PORTRAIT_BYTES {
        return Err(Error::TooManyBytes {
            bytes: bytes.len(),
            max: MAX_PORTRAIT_BYTES,
        });
    }
    decode_within(bytes, MAX_PORTRAIT_PIXELS)
}

/// Decode with a pixel limit, checked against the header before any pixel is decoded.
fn decode_within(bytes: &[u8], max_pixels: u64) -> Result<RgbImage, Error> {
    let format = sniff_format(bytes).ok_or_else(|| Error::UnknownFormat {
        head: bytes.iter().take(8).copied().collect(),
    })?;
    if format == ImageFormat::Jpeg && !jpeg_has_end_of_image(bytes) {
        // The JPEG decoder fills a cut-off image with grey and reports success; a portrait
        // read half-way through a card pull must not pass as a face.
        return Err(Error::Corrupt {
            format,
            reason: format!(
                "truncated: no end-of-image marker after the scan ({} bytes)",
                bytes.len()
            ),
        });
    }
    let rgb = match format {
        ImageFormat::Jpeg | ImageFormat::Png => decode_with_image_crate(bytes, format, max_pixels)?,
        ImageFormat::Jp2 | ImageFormat::J2k => decode_jpeg2000(bytes, format, max_pixels)?,
    };
    check_size(rgb.width(), rgb.height(), max_pixels)?;
    Ok(rgb)
}

/// Whether an EOI marker (`FF D9`) follows the first start-of-scan. Markers before the scan
/// are walked by their lengths, so an EXIF thumbnail's own EOI does not count; inside the
/// entropy-coded data a literal `FF` is stuffed as `FF 00`, so `FF D9` there is the real end.
fn jpeg_has_end_of_image(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        match marker {
            0xFF => i += 1, // fill byte
            0xDA => return bytes[i + 2..].windows(2).any(|w| w == [0xFF, 0xD9]),
            0x01 | 0xD0..=0xD7 => i += 2, // TEM, RSTn: no length
            _ => {
                let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
                i += 2 + len;
            }
        }
    }
    false
}

fn check_size(width: u32, height: u32, max_pixels: u64) -> Result<(), Error> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 || pixels > max_pixels {
        return Err(Error::BadSize {
            width,
            height,
            max_pixels,
        });
    }
    Ok(())
}

/// The size and component count a JPEG 2000 codestream's SIZ marker declares (ISO/IEC
/// 15444-1 §A.5.1), read before the decoder sees the image. In a JP2 file the codestream
/// starts at the first SOC + SIZ (`FF 4F FF 51`).
fn jpeg2000_siz(bytes: &[u8]) -> Option<(u32, u32, u16)> {
    let start = bytes
        .windows(4)
        .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])?;
    let siz = bytes.get(start + 4..)?;
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(siz.get(at..at + 4)?.try_into().ok()?))
    };
    // Lsiz 2, Rsiz 2, Xsiz 4, Ysiz 4, XOsiz 4, YOsiz 4, XTsiz 4, YTsiz 4, XTOsiz 4,
    // YTOsiz 4, Csiz 2.
    let (x, y, xo, yo) = (be32(4)?, be32(8)?, be32(12)?, be32(16)?);
    let components = u16::from_be_bytes(siz.get(36..38)?.try_into().ok()?);
    Some((x.saturating_sub(xo), y.saturating_sub(yo), components))
}

fn decode_with_image_crate(
    bytes: &[u8],
    format: ImageFormat,
    max_pixels: u64,
) -> Result<RgbImage, Error> {
    let corrupt = |e: image::ImageError| Error::Corrupt {
        format,
        reason: e.to_string(),
    };
    let crate_format = match format {
        ImageFormat::Png => image::ImageFormat::Png,
        _ => image::ImageFormat::Jpeg,
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), crate_format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels * 4);
    reader.limits(limits);
    let dims = reader.into_dimensions().map_err(corrupt)?;
    check_size(dims.0, dims.1, max_pixels)?;
    let decoded = image::load_from_memory_with_format(bytes, crate_format).map_err(corrupt)?;
    Ok(decoded.to_rgb8())
}

fn decode_jpeg2000(bytes: &[u8], format: ImageFormat, max_pixels: u64) -> Result<RgbImage, Error> {
    use hayro_jpeg2000::{ColorSpace, DecodeSettings, DecoderContext, Image};
    let corrupt = |reason: String| Error::Corrupt { format, reason };
    let (w, h, components) = jpeg2000_siz(bytes)
        .ok_or_else(|| corrupt("no complete SIZ marker (FF 4F FF 51)".into()))?;
    if components > MAX_JPEG2000_COMPONENTS {
        return Err(Error::TooManyComponents {
            components,
            max: MAX_JPEG2000_COMPONENTS,
        });
    }
    check_size(w, h, max_pixels)?;
    let image =
        Image::new(bytes, &DecodeSettings::default()).map_err(|e| corrupt(format!("{e:?}")))?;
    let (width, height) = (image.width(), image.height());
    check_size(width, height, max_pixels)?;
    let colour = image.color_space().clone();
    let alpha = usize::from(image.has_alpha());
    let mut ctx = DecoderContext::default();
    let decoded = image
        .decode(&mut ctx)
        .map_err(|e| corrupt(format!("{e:?}")))?;
    let data = decoded.data_u8();
    let channels = usize::from(colour.num_channels()) + alpha;
    let pixels = width as usize * height as usize;
    if data.len() != pixels * channels {
        return Err(corrupt(format!(
            "decoder gave {} bytes for {width}x{height} with {channels} channels",
            data.len()
        )));
    }
    let rgb: Vec<u8> = match colour {
        ColorSpace::Gray => data
            .chunks_exact(channels)
            .flat_map(|p| [p[0]; 3])
            .collect(),
        ColorSpace::RGB => data
            .chunks_exact(channels)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        ColorSpace::Icc {
            num_channels: 3, ..
        }
        | ColorSpace::Unknown { num_channels: 3 } => {
            // No colour management on a kiosk: an ICC-tagged portrait is close enough to sRGB
            // for a face matcher trained on web photos.
            data.chunks_exact(channels)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect()
        }
        ColorSpace::Icc {
            num_channels: 1, ..
        }
        | ColorSpace::Unknown { num_channels: 1 } => data
            .chunks_exact(channels)
            .flat_map(|p| [p[0]; 3])
            .collect(),
        ColorSpace::CMYK => data
            .chunks_exact(channels)
            .flat_map(|p| {
                let k = 255 - u16::from(p[3]);
                let ch = |c: u8| ((255 - u16::from(c)) * k / 255) as u8;
                [ch(p[0]), ch(p[1]), ch(p[2])]
            })
            .collect(),
        other => {
            return Err(Error::UnsupportedColour {
                channels: other.num_channels(),
            })
        }
    };
    RgbImage::from_raw(width, height, rgb).ok_or_else(|| corrupt("pixel buffer size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_an_unknown_format_naming_its_first_bytes() {
        let err = decode(b"hello, world").expect_err("text is not an image");
        assert!(matches!(err, Error::UnknownFormat { ref head } if head == b"hello, w"));
        assert!(err.to_string().contains("68, 65"), "{err}");
    }

    #[test]
    fn empty_input_is_an_error_not_a_panic() {
        assert!(matches!(decode(&[]), Err(Error::UnknownFormat { .. })));
    }

    #[test]
    fn png_round_trip() {
        let img = RgbImage::from_fn(7, 5, |x, y| image::Rgb([x as u8 * 30, y as u8 * 40, 9]));
        let mut bytes = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("encode png");
        assert_eq!(sniff_format(&bytes), Some(ImageFormat::Png));
        assert_eq!(decode(&bytes).expect("decode"), img);
    }

    #[test]
    fn truncated_jpeg_is_corrupt() {
        let img = RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 4, y as u8 * 4, 99]));
        let mut bytes = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Jpeg,
        )
        .expect("encode jpeg");
        bytes.truncate(bytes.len() / 3);
        assert!(matches!(
            decode(&bytes),
            Err(Error::Corrupt {
                format: ImageFormat::Jpeg,
                ..
            })
        ));
    }

    /// A JPEG 2000 codestream header: SOC, SIZ for `w`x`h` with `c` 8-bit components, one
    /// tile.
    fn j2k_header(w: u32, h: u32, c: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0x4F, 0xFF, 0x51]; // SOC, SIZ
        b.extend((38 + 3 * c).to_be_bytes()); // Lsiz
        b.extend([0, 0]); // Rsiz
        for v in [w, h, 0, 0, w, h, 0, 0] {
            b.extend(v.to_be_bytes()); // Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz
        }
        b.extend(c.to_be_bytes()); // Csiz
        for _ in 0..c {
            b.extend([7, 1, 1]); // Ssiz (8 bits), XRsiz, YRsiz
        }
        b
    }

    #[test]
    fn r12_jpeg2000_with_five_components_is_refused_before_decoding() {
        let err = decode(&j2k_header(100, 100, 5)).expect_err("five components");
        assert!(
            matches!(
                err,
                Error::TooManyComponents {
                    components: 5,
                    max: 4
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains('5'), "{err}");
    }

    #[test]
    fn r12_portraits_over_4_mp_or_256_kib_are_refused() {
        // 2001 x 2000 declared in SIZ: over 4 MP for a portrait, within the general limit.
        let err = decode_portrait(&j2k_header(2001, 2000, 3)).expect_err("too many pixels");
        assert!(
            matches!(
                err,
                Error::BadSize {
                    width: 2001,
                    height: 2000,
                    max_pixels: MAX_PORTRAIT_PIXELS
                }
            ),
            "{err:?}"
        );
        let mut big = j2k_header(100, 100, 3);
        big.resize(MAX_PORTRAIT_BYTES + 1, 0);
        assert!(matches!(
            decode_portrait(&big),
            Err(Error::TooManyBytes { bytes, max: MAX_PORTRAIT_BYTES }) if bytes == MAX_PORTRAIT_BYTES + 1
        ));
        // A real JPEG of 2100 x 2000 (4.2 MP): the general decoder takes it, the portrait
        // decoder refuses it from its header.
        let img = RgbImage::new(2100, 2000);
        let mut jpeg = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("encode jpeg");
        assert!(decode(&jpeg).is_ok());
        assert!(matches!(
            decode_portrait(&jpeg),
            Err(Error::BadSize {
                width: 2100,
                height: 2000,
                ..
            })
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn arbitrary_bytes_behind_a_jp2_signature_never_panic(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let mut bytes = vec![0x00, 0x00, 0x00, 0x0C, b'j', b'P', b' ', b' ', 0x0D, 0x0A, 0x87, 0x0A];
            bytes.extend(tail);
            let _ = decode(&bytes);
        }
    }
}
