//! Images as the face engine sees them: decoding untrusted bytes (JPEG, PNG, JPEG 2000) into
//! RGB, and the resampling operations the models' pre-processing is defined by.
//!
//! The resamplers follow OpenCV's definitions (`INTER_LINEAR` with half-pixel centres,
//! `INTER_AREA` box averaging, `warpAffine` with a zero border) because the reference
//! pipeline in `models.md` was measured with them; matching them keeps our scores within the
//! published reference cosines.

mod decode;
mod resample;

pub use decode::{
    decode, decode_portrait, sniff_format, ImageFormat, MAX_JPEG2000_COMPONENTS, MAX_PIXELS,
    MAX_PORTRAIT_BYTES, MAX_PORTRAIT_PIXELS,
};
pub use resample::{
    camera_frame, crop_padded, resize_area, resize_bilinear, warp_affine, FloatImage, GreyImage,
};

/// What went wrong turning bytes into pixels.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes start with no signature we decode.
    #[error("not a JPEG, PNG or JPEG 2000 image (first bytes {head:02X?})")]
    UnknownFormat {
        /// Up to the first eight bytes, to tell a text file from a truncated image.
        head: Vec<u8>,
    },
    /// The image was recognised but could not be decoded (truncated, corrupt, unsupported).
    #[error("{format:?} image could not be decoded: {reason}")]
    Corrupt {
        /// The format the signature announced.
        format: ImageFormat,
        /// The decoder's own words.
        reason: String,
    },
    /// Decoded, but with a size the pipeline refuses (zero, or over the pixel limit).
    #[error("image size {width}x{height} is outside 1x1..={max_pixels} pixels")]
    BadSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The largest pixel count accepted.
        max_pixels: u64,
    },
    /// A JPEG 2000 image declaring more components than we decode.
    #[error("JPEG 2000 image with {components} components (at most {max} are decoded)")]
    TooManyComponents {
        /// Components its SIZ marker declares.
        components: u16,
        /// The limit.
        max: u16,
    },
    /// Encoded image bytes over the limit for its use (a document portrait).
    #[error("image of {bytes} bytes is over the {max}-byte limit")]
    TooManyBytes {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A JPEG 2000 colour space we cannot turn into RGB.
    #[error("JPEG 2000 colour space with {channels} channels is not supported")]
    UnsupportedColour {
        /// Channels the decoder reported.
        channels: u8,
    },
}
