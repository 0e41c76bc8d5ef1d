//! Cutting a box out of a frame. The reference pre-processing rounds box corners two ways,
//! and which one a model saw in training shows in its outputs, so each stage names its
//! rounding.

use image::RgbImage;

use super::geometry::BBox;
use crate::imaging::{crop_padded, FloatImage};

/// The pixels of `b`, corners rounded outward (black outside the frame).
pub fn outward(frame: &RgbImage, b: &BBox) -> FloatImage {
    let (x0, y0) = (b.x1.floor() as i64, b.y1.floor() as i64);
    let w = (b.x2.ceil() as i64 - x0).clamp(1, 8192) as usize;
    let h = (b.y2.ceil() as i64 - y0).clamp(1, 8192) as usize;
    crop_padded(frame, x0, y0, w, h)
}

/// The pixels of `b`, corners truncated as NumPy slicing with `int()` does.
pub fn truncated(frame: &RgbImage, b: &BBox) -> FloatImage {
    let (x0, y0) = (b.x1.trunc() as i64, b.y1.trunc() as i64);
    let w = (b.x2.trunc() as i64 - x0).clamp(1, 8192) as usize;
    let h = (b.y2.trunc() as i64 - y0).clamp(1, 8192) as usize;
    crop_padded(frame, x0, y0, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outward_covers_partial_pixels_and_truncated_drops_them() {
        let frame = RgbImage::from_pixel(10, 10, image::Rgb([1, 2, 3]));
        let b = BBox {
            x1: 1.5,
            y1: 2.5,
            x2: 4.5,
            y2: 6.5,
        };
        let o = outward(&frame, &b);
        let t = truncated(&frame, &b);
        assert_eq!((o.width, o.height), (4, 5));
        assert_eq!((t.width, t.height), (3, 4));
    }
}
