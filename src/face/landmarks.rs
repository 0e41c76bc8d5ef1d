//! Facial points. Five points come from MTCNN's O-Net run twice (`docs/models.md`, pipeline
//! step 2): they drive the alignment, and O-Net's mouth corners are clearly better than the
//! 68-point model's. The 68-point model is used only to place the eye crops (step 6).
//!
//! O-Net keeps MTCNN's 1-based pixel convention: a box with integer corners `x1..=x2`
//! covers `x2 - x1 + 1` pixels starting at column `x1 - 1`.

use image::RgbImage;

use super::geometry::{BBox, Point};
use super::tensor::{grey, nwhc_transposed};
use crate::imaging::{crop_padded, resize_area, resize_bilinear};

/// O-Net input side.
pub const ONET_SIDE: usize = 48;
/// 68-point model input side.
pub const LANDMARK_SIDE: usize = 64;

/// Five points in the ArcFace template's order.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FivePoints {
    /// Left eye centre (the subject's right eye, image left).
    pub left_eye: Point,
    /// Right eye centre.
    pub right_eye: Point,
    /// Nose tip.
    pub nose: Point,
    /// Left mouth corner.
    pub left_mouth: Point,
    /// Right mouth corner.
    pub right_mouth: Point,
}

impl FivePoints {
    /// As an array in template order.
    pub fn to_array(&self) -> [Point; 5] {
        [
            self.left_eye,
            self.right_eye,
            self.nose,
            self.left_mouth,
            self.right_mouth,
        ]
    }

    /// Distance between the eye centres: the face size that matters for matching.
    pub fn inter_eye(&self) -> f32 {
        self.left_eye.distance(self.right_eye)
    }
}

/// The integer box O-Net is run on, as MTCNN truncates it (`np.fix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnetBox {
    x1: i64,
    y1: i64,
    x2: i64,
    y2: i64,
}

impl OnetBox {
    /// Truncate a float box toward zero.
    pub fn from_bbox(b: &BBox) -> OnetBox {
        OnetBox {
            x1: b.x1.trunc() as i64,
            y1: b.y1.trunc() as i64,
            x2: b.x2.trunc() as i64,
            y2: b.y2.trunc() as i64,
        }
    }

    /// Pixels covered horizontally (1-based convention).
    pub fn w(&self) -> i64 {
        self.x2 - self.x1 + 1
    }

    /// Pixels covered vertically.
    pub fn h(&self) -> i64 {
        self.y2 - self.y1 + 1
    }
}

/// O-Net's input for `b`: the crop (black outside the frame) area-resized to 48x48, RGB,
/// `(p - 127.5) / 128`, width and height transposed. `None` for a box with no pixels.
pub fn onet_input(frame: &RgbImage, b: OnetBox) -> Option<Vec<f32>> {
    if b.w() <= 0 || b.h() <= 0 || b.w() > 8192 || b.h() > 8192 {
        return None;
    }
    let crop = crop_padded(frame, b.x1 - 1, b.y1 - 1, b.w() as usize, b.h() as usize);
    let resized = resize_area(&crop, ONET_SIDE, ONET_SIDE);
    Some(nwhc_transposed(&resized, |v| (v - 127.5) / 128.0))
}

/// What one O-Net pass says about a box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnetResult {
    /// Five points in frame pixels.
    pub points: FivePoints,
    /// The box after O-Net's regression (not yet squared).
    pub refined: BBox,
    /// O-Net's face probability.
    pub score: f32,
}

/// Decode O-Net's outputs for box `b`: `reg` (4), `pts` (5 x then 5 y), `prob` (2).
pub fn onet_decode(b: OnetBox, reg: &[f32; 4], pts: &[f32; 10], prob: &[f32; 2]) -> OnetResult {
    let (w, h) = (b.w() as f32, b.h() as f32);
    let (x1, y1) = (b.x1 as f32, b.y1 as f32);
    let p = |i: usize| Point {
        x: pts[i] * w + x1 - 1.0,
        y: pts[i + 5] * h + y1 - 1.0,
    };
    OnetResult {
        points: FivePoints {
            left_eye: p(0),
            right_eye: p(1),
            nose: p(2),
            left_mouth: p(3),
            right_mouth: p(4),
        },
        refined: BBox {
            x1: x1 + reg[0] * w,
            y1: y1 + reg[1] * h,
            x2: b.x2 as f32 + reg[2] * w,
            y2: b.y2 as f32 + reg[3] * h,
        },
        score: prob[1],
    }
}

/// The box for O-Net's second pass: the first pass's regressed box squared about its
/// centre (side = the longer of its width and height).
pub fn second_pass_box(first: &OnetResult) -> OnetBox {
    let r = first.refined;
    OnetBox::from_bbox(&r.square_about_centre(r.width().max(r.height())))
}

/// The 68-point model's input: the square detection box cropped, resized to 64x64, grey,
/// `/ 256`.
pub fn landmarks68_input(frame: &RgbImage, square: &BBox) -> Vec<f32> {
    let crop = super::crop::outward(frame, square);
    let resized = resize_bilinear(&crop, LANDMARK_SIDE, LANDMARK_SIDE);
    grey(&resized.to_grey(), |v| v / 256.0)
}

/// 68 points in frame pixels from the model's 136 outputs (x, y interleaved, relative to the
/// crop).
pub fn landmarks68_decode(out: &[f32], square: &BBox) -> Vec<Point> {
    let (w, h) = (square.width(), square.height());
    out.chunks_exact(2)
        .map(|xy| Point {
            x: xy[0] * w + square.x1,
            y: xy[1] * h + square.y1,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onet_points_follow_mtcnns_one_based_mapping() {
        // Box 10..=109 (100 px): p = 0 maps to x1 - 1, p = 1 to x1 + w - 1 = x2.
        let b = OnetBox::from_bbox(&BBox {
            x1: 10.7,
            y1: 20.2,
            x2: 109.9,
            y2: 219.0,
        });
        assert_eq!((b.w(), b.h()), (100, 200));
        let pts = [0.0, 1.0, 0.5, 0.25, 0.75, 0.0, 1.0, 0.5, 0.25, 0.75];
        let r = onet_decode(b, &[0.0; 4], &pts, &[0.1, 0.9]);
        assert_eq!(r.points.left_eye, Point { x: 9.0, y: 19.0 });
        assert_eq!(r.points.right_eye, Point { x: 109.0, y: 219.0 });
        assert_eq!(r.points.nose, Point { x: 59.0, y: 119.0 });
        assert_eq!(r.points.right_mouth, Point { x: 84.0, y: 169.0 });
        assert_eq!(r.score, 0.9);
    }

    #[test]
    fn onet_regression_moves_each_edge_by_its_share_of_the_size() {
        let b = OnetBox::from_bbox(&BBox {
            x1: 0.0,
            y1: 0.0,
            x2: 99.0,
            y2: 49.0,
        });
        let r = onet_decode(b, &[0.1, -0.2, 0.0, 0.5], &[0.0; 10], &[1.0, 0.0]);
        assert_eq!(
            r.refined,
            BBox {
                x1: 10.0,
                y1: -10.0,
                x2: 99.0,
                y2: 74.0
            }
        );
        // Squared about the centre (54.5, 32) with side 89 (the width), then truncated.
        assert_eq!(
            second_pass_box(&r),
            OnetBox {
                x1: 10,
                y1: -12,
                x2: 99,
                y2: 76
            }
        );
    }

    #[test]
    fn onet_input_has_the_model_shape_and_pads_black() {
        let frame = RgbImage::from_pixel(20, 20, image::Rgb([255, 255, 255]));
        let b = OnetBox {
            x1: -9,
            y1: 1,
            x2: 10,
            y2: 20,
        };
        let t = onet_input(&frame, b).expect("box has pixels");
        assert_eq!(t.len(), 48 * 48 * 3);
        // First column of the crop lies left of the frame: black → (0 - 127.5) / 128.
        assert!((t[0] + 127.5 / 128.0).abs() < 1e-6);
        // Last column is inside: white.
        assert!((t[t.len() - 1] - 127.5 / 128.0).abs() < 1e-6);
        assert!(onet_input(
            &frame,
            OnetBox {
                x1: 5,
                y1: 5,
                x2: 3,
                y2: 9
            }
        )
        .is_none());
    }

    #[test]
    fn landmarks68_decode_maps_relative_to_the_box() {
        let square = BBox {
            x1: 10.0,
            y1: 20.0,
            x2: 110.0,
            y2: 120.0,
        };
        let pts = landmarks68_decode(&[0.5, 0.25, 1.0, 0.0], &square);
        assert_eq!(
            pts,
            vec![Point { x: 60.0, y: 45.0 }, Point { x: 110.0, y: 20.0 }]
        );
    }
}
