//! Passive liveness (`fr_liveness`, pipeline step 5): the square detection box scaled 2.7x about its
//! centre and clamped to the frame, resized to 128x128, raw 0–255 samples in B,G,R order
//! (RGB turns the model into a coin flip), softmax; index 0 is "live".

use image::RgbImage;

use super::geometry::BBox;
use super::tensor::{nchw, softmax, ChannelOrder};
use crate::imaging::resize_bilinear;

/// Model input side.
pub const SIDE: usize = 128;
/// How much context around the face the model was trained with.
pub const CONTEXT_SCALE: f32 = 2.7;

/// The model input for a face whose square detection box is `square`.
pub fn input(frame: &RgbImage, square: &BBox) -> Vec<f32> {
    let b = square
        .scaled(CONTEXT_SCALE)
        .clipped(frame.width() as f32, frame.height() as f32);
    let crop = super::crop::truncated(frame, &b);
    nchw(
        &resize_bilinear(&crop, SIDE, SIDE),
        ChannelOrder::Bgr,
        |v, _| v,
    )
}

/// Probability that the face is live, from the three logits.
pub fn p_live(logits: &[f32]) -> f32 {
    softmax(logits).first().copied().unwrap_or(0.0)
}

/// Mean liveness over several frames of one capture; `None` when no frame had a face.
pub fn mean(scores: &[f32]) -> Option<f32> {
    if scores.is_empty() {
        None
    } else {
        Some(scores.iter().sum::<f32>() / scores.len() as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_live_is_the_softmax_of_index_zero() {
        assert!((p_live(&[0.0, 0.0, 0.0]) - 1.0 / 3.0).abs() < 1e-6);
        assert!(p_live(&[10.0, 0.0, 0.0]) > 0.99);
        assert_eq!(p_live(&[]), 0.0);
    }

    #[test]
    fn mean_of_frames() {
        assert_eq!(mean(&[0.5, 1.0]), Some(0.75));
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn input_is_bgr_raw_and_the_model_size() {
        let frame = RgbImage::from_pixel(300, 300, image::Rgb([200, 100, 10]));
        let square = BBox {
            x1: 100.0,
            y1: 100.0,
            x2: 200.0,
            y2: 200.0,
        };
        let t = input(&frame, &square);
        assert_eq!(t.len(), 3 * SIDE * SIDE);
        assert_eq!(
            (t[0], t[SIDE * SIDE], t[2 * SIDE * SIDE]),
            (10.0, 100.0, 200.0)
        );
    }
}
