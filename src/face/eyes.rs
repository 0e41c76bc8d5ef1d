//! Eye state (`fr_eye`, pipeline step 6): each eye is located from the 68-point landmarks,
//! cropped square (1.6 x the distance between its corners), resized to 24x24 grey `/ 255`;
//! softmax index 0 is "closed".

use image::RgbImage;

use super::crop;
use super::geometry::{BBox, Point};
use super::tensor::{grey, softmax};
use crate::imaging::resize_bilinear;

/// Model input side.
pub const SIDE: usize = 24;

/// Which eye, in image terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Image left (iBUG points 36–41).
    Left,
    /// Image right (iBUG points 42–47).
    Right,
}

/// The square crop around one eye, or `None` without a full set of 68 points.
pub fn eye_box(points68: &[Point], side: Side) -> Option<BBox> {
    if points68.len() < 68 {
        return None;
    }
    let (corners, lids) = match side {
        Side::Left => ((36, 39), [37, 38, 40, 41]),
        Side::Right => ((42, 45), [43, 44, 46, 47]),
    };
    let centre = Point {
        x: lids.iter().map(|&i| points68[i].x).sum::<f32>() / 4.0,
        y: lids.iter().map(|&i| points68[i].y).sum::<f32>() / 4.0,
    };
    let side_len = 1.6 * points68[corners.0].distance(points68[corners.1]);
    if side_len < 1.0 {
        return None;
    }
    Some(BBox {
        x1: centre.x - side_len / 2.0,
        y1: centre.y - side_len / 2.0,
        x2: centre.x + side_len / 2.0,
        y2: centre.y + side_len / 2.0,
    })
}

/// How open one eye looks from its six landmarks: the eye aspect ratio, the mean of the
/// two lid-to-lid distances over the corner-to-corner distance. `None` without 68 points
/// or for a degenerate eye.
pub fn aspect_ratio(points68: &[Point], side: Side) -> Option<f32> {
    if points68.len() < 68 {
        return None;
    }
    // iBUG order: corner, upper lid ×2, corner, lower lid ×2.
    let [c1, u1, u2, c2, l2, l1] = match side {
        Side::Left => [36, 37, 38, 39, 40, 41],
        Side::Right => [42, 43, 44, 45, 46, 47],
    }
    .map(|i| points68[i]);
    let width = c1.distance(c2);
    (width >= 1.0).then(|| (u1.distance(l1) + u2.distance(l2)) / (2.0 * width))
}

/// Model input for one eye box.
pub fn input(frame: &RgbImage, b: &BBox) -> Vec<f32> {
    let crop = crop::outward(frame, b);
    grey(&resize_bilinear(&crop, SIDE, SIDE).to_grey(), |v| v / 255.0)
}

/// Probability the eye is closed.
pub fn p_closed(logits: &[f32]) -> f32 {
    softmax(logits).first().copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aspect_ratio_is_lid_gap_over_eye_width() {
        let mut pts = vec![Point { x: 0.0, y: 0.0 }; 68];
        pts[36] = Point { x: 0.0, y: 5.0 };
        pts[39] = Point { x: 20.0, y: 5.0 };
        pts[37] = Point { x: 6.0, y: 2.0 };
        pts[38] = Point { x: 14.0, y: 2.0 };
        pts[41] = Point { x: 6.0, y: 8.0 };
        pts[40] = Point { x: 14.0, y: 10.0 };
        assert_eq!(aspect_ratio(&pts, Side::Left), Some((6.0 + 8.0) / 40.0));
        assert_eq!(aspect_ratio(&pts, Side::Right), None, "zero width");
        assert_eq!(aspect_ratio(&pts[..40], Side::Left), None);
    }

    #[test]
    fn eye_box_is_centred_on_the_lids_and_sized_by_the_corners() {
        let mut pts = vec![Point { x: 0.0, y: 0.0 }; 68];
        pts[36] = Point { x: 10.0, y: 50.0 };
        pts[39] = Point { x: 30.0, y: 50.0 };
        for i in [37, 38, 40, 41] {
            pts[i] = Point { x: 20.0, y: 48.0 };
        }
        let b = eye_box(&pts, Side::Left).expect("68 points");
        assert_eq!(
            b,
            BBox {
                x1: 4.0,
                y1: 32.0,
                x2: 36.0,
                y2: 64.0
            }
        );
        assert!(eye_box(&pts[..10], Side::Left).is_none());
        assert!(
            eye_box(&pts, Side::Right).is_none(),
            "all right-eye points coincide"
        );
    }
}
