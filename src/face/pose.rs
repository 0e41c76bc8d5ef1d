//! Head pose (`fr_pose`, pipeline step 7): the square detection box widened by 25 % on each
//! side (the raw box gave yaw up to 80° off the reference on the dev set),
//! 224x224 RGB with ImageNet mean and deviation; each angle is the softmax-expected bin
//! `Σ p·i × 3 − 99` degrees over 66 bins.

use image::RgbImage;

use super::crop;
use super::geometry::BBox;
use super::tensor::{nchw, softmax, ChannelOrder};
use crate::imaging::resize_bilinear;

/// Model input side.
pub const SIDE: usize = 224;
/// Bins per angle.
pub const BINS: usize = 66;

const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// Head angles in degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Pose {
    /// Turn left/right.
    pub yaw: f32,
    /// Nod up/down.
    pub pitch: f32,
    /// Tilt.
    pub roll: f32,
}

/// The model input for the square detection box `square`.
pub fn input(frame: &RgbImage, square: &BBox) -> Vec<f32> {
    let (dw, dh) = (square.width() * 0.25, square.height() * 0.25);
    let b = BBox {
        x1: square.x1 - dw,
        y1: square.y1 - dh,
        x2: square.x2 + dw,
        y2: square.y2 + dh,
    }
    .clipped(frame.width() as f32, frame.height() as f32);
    let resized = resize_bilinear(&crop::truncated(frame, &b), SIDE, SIDE);
    nchw(&resized, ChannelOrder::Rgb, |v, c| {
        (v / 255.0 - MEAN[c]) / STD[c]
    })
}

/// One angle from its 66 bin logits.
pub fn angle(logits: &[f32]) -> f32 {
    softmax(logits)
        .iter()
        .enumerate()
        .map(|(i, p)| p * i as f32)
        .sum::<f32>()
        * 3.0
        - 99.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certain_middle_bin_is_near_zero_degrees() {
        let mut logits = vec![-100.0; BINS];
        logits[33] = 100.0;
        assert!((angle(&logits) - 0.0).abs() < 1e-3);
        logits[33] = -100.0;
        logits[43] = 100.0;
        assert!((angle(&logits) - 30.0).abs() < 1e-3);
    }
}
