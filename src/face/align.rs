//! Alignment: the least-squares similarity transform (rotation, uniform scale, translation)
//! that carries the five points onto the ArcFace 112x112 template, and the warp
//! (`docs/models.md`, pipeline step 3). A 3-point affine, as the package's JavaScript does,
//! drops TAR@FAR=1e-3 from 0.99 to 0.51, so all five points are used.

use image::RgbImage;

use super::geometry::Point;
use super::landmarks::FivePoints;
use crate::imaging::{warp_affine, FloatImage};

/// Side of the aligned face.
pub const ALIGNED_SIDE: usize = 112;

/// The ArcFace template: eye centres, nose tip, mouth corners in a 112x112 crop.
pub const TEMPLATE: [Point; 5] = [
    Point {
        x: 38.2946,
        y: 51.6963,
    },
    Point {
        x: 73.5318,
        y: 51.5014,
    },
    Point {
        x: 56.0252,
        y: 71.7366,
    },
    Point {
        x: 41.5493,
        y: 92.3655,
    },
    Point {
        x: 70.7299,
        y: 92.2041,
    },
];

/// A 2x3 matrix `[[a, -b, tx], [b, a, ty]]` mapping source to destination pixels.
pub type Similarity = [[f64; 3]; 2];

/// The least-squares similarity from `src` to `dst` (Umeyama's estimate restricted to
/// rotations, which for two dimensions has this closed form). `None` when the source
/// points all coincide.
pub fn estimate_similarity(src: &[Point], dst: &[Point]) -> Option<Similarity> {
    let n = src.len().min(dst.len());
    if n < 2 {
        return None;
    }
    let mean = |ps: &[Point]| {
        let (sx, sy) = ps[..n].iter().fold((0.0f64, 0.0f64), |(ax, ay), p| {
            (ax + f64::from(p.x), ay + f64::from(p.y))
        });
        (sx / n as f64, sy / n as f64)
    };
    let (msx, msy) = mean(src);
    let (mdx, mdy) = mean(dst);
    let (mut dot, mut cross, mut norm) = (0.0, 0.0, 0.0);
    for (s, d) in src[..n].iter().zip(&dst[..n]) {
        let (x, y) = (f64::from(s.x) - msx, f64::from(s.y) - msy);
        let (u, v) = (f64::from(d.x) - mdx, f64::from(d.y) - mdy);
        dot += x * u + y * v;
        cross += x * v - y * u;
        norm += x * x + y * y;
    }
    if norm < 1e-12 {
        return None;
    }
    let (a, b) = (dot / norm, cross / norm);
    let tx = mdx - (a * msx - b * msy);
    let ty = mdy - (b * msx + a * msy);
    Some([[a, -b, tx], [b, a, ty]])
}

/// The aligned 112x112 face for `points`, or `None` when the points are degenerate.
pub fn align(frame: &RgbImage, points: &FivePoints) -> Option<FloatImage> {
    let m = estimate_similarity(&points.to_array(), &TEMPLATE)?;
    Some(warp_affine(frame, m, ALIGNED_SIDE, ALIGNED_SIDE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: &Similarity, p: Point) -> Point {
        let (x, y) = (f64::from(p.x), f64::from(p.y));
        Point {
            x: (m[0][0] * x + m[0][1] * y + m[0][2]) as f32,
            y: (m[1][0] * x + m[1][1] * y + m[1][2]) as f32,
        }
    }

    #[test]
    fn a_known_similarity_is_recovered_exactly() {
        // Rotate by 30°, scale by 2.5, translate by (-40, 17).
        let (angle, scale) = (30f64.to_radians(), 2.5);
        let truth: Similarity = [
            [scale * angle.cos(), -scale * angle.sin(), -40.0],
            [scale * angle.sin(), scale * angle.cos(), 17.0],
        ];
        let src = TEMPLATE;
        let dst: Vec<Point> = src.iter().map(|&p| apply(&truth, p)).collect();
        let m = estimate_similarity(&src, &dst).expect("points are spread");
        for r in 0..2 {
            for c in 0..3 {
                assert!((m[r][c] - truth[r][c]).abs() < 1e-4, "m[{r}][{c}] {m:?}");
            }
        }
    }

    #[test]
    fn noisy_points_give_the_least_squares_fit_not_an_exact_one() {
        let mut src = TEMPLATE;
        src[2].x += 3.0; // a nose off the symmetric axis
        let m = estimate_similarity(&src, &TEMPLATE).expect("spread");
        let residual: f32 = src
            .iter()
            .zip(TEMPLATE.iter())
            .map(|(&s, d)| apply(&m, s).distance(*d))
            .sum();
        assert!(residual > 0.5 && residual < 6.0, "{residual}");
        // Identity would leave 3 px; the fit spreads the error and keeps scale near 1.
        assert!((m[0][0] - 1.0).abs() < 0.05);
    }

    #[test]
    fn coincident_points_are_rejected() {
        let p = [Point { x: 5.0, y: 5.0 }; 5];
        assert!(estimate_similarity(&p, &TEMPLATE).is_none());
    }

    #[test]
    fn aligning_the_template_itself_is_the_identity_warp() {
        let frame = RgbImage::from_fn(112, 112, |x, y| image::Rgb([x as u8, y as u8, 50]));
        let pts = FivePoints {
            left_eye: TEMPLATE[0],
            right_eye: TEMPLATE[1],
            nose: TEMPLATE[2],
            left_mouth: TEMPLATE[3],
            right_mouth: TEMPLATE[4],
        };
        let aligned = align(&frame, &pts).expect("spread");
        assert!((aligned.at(60, 30, 0) - 60.0).abs() < 1e-3);
        assert!((aligned.at(60, 30, 1) - 30.0).abs() < 1e-3);
    }
}
