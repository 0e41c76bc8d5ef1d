//! A live capture: several frames of one candidate reduced to one verdict-ready value — the
//! best frame's face (its points, quality, crop), one template fused from the frames as good
//! as it, and the liveness averaged over every frame that showed a face, since one frame's
//! liveness (and one frame's embedding) is noisy.

use super::embed::{cosine, Embedding};
use super::pipeline::{FaceAnalysis, FrameAnalysis};

/// A frame's embedding joins the template only when it agrees this well with the best
/// frame's: a face that is not the candidate's (someone leaning in) never dilutes it.
pub const FUSE_AGREEMENT: f32 = 0.5;

/// The result of several frames.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The face of the best frame.
    pub best: FaceAnalysis,
    /// Index of that frame among those given.
    pub best_frame: usize,
    /// The mean embedding of the best frame and every other frame with as few quality
    /// issues whose face agrees with it ([`FUSE_AGREEMENT`]); `None` when the best frame has
    /// no embedding.
    pub template: Option<Embedding>,
    /// Frames fused into the template.
    pub fused: usize,
    /// Mean liveness over the frames with a face.
    pub liveness: f32,
    /// Frames that showed a face, of those given.
    pub frames_with_face: usize,
    /// Frames given.
    pub frames: usize,
}

/// Reduce per-frame analyses to a capture; `None` when no frame showed a face.
///
/// The best frame has the fewest quality issues, then the sharpest face weighted by its
/// size (a larger, sharper face carries more identity).
pub fn reduce(frames: Vec<FrameAnalysis>) -> Option<Capture> {
    let total = frames.len();
    let faces: Vec<(usize, FaceAnalysis)> = frames
        .into_iter()
        .enumerate()
        .filter_map(|(i, f)| f.face.map(|face| (i, face)))
        .collect();
    let scores: Vec<f32> = faces.iter().map(|(_, f)| f.liveness).collect();
    let liveness = super::liveness::mean(&scores)?;
    let frames_with_face = faces.len();
    let best_at = faces
        .iter()
        .enumerate()
        .min_by(|(_, (_, a)), (_, (_, b))| {
            a.issues
                .len()
                .cmp(&b.issues.len())
                .then_with(|| merit(b).total_cmp(&merit(a)))
        })
        .map(|(at, _)| at)?;
    let (template, fused) = fuse(&faces, best_at);
    let (best_frame, best) = faces.into_iter().nth(best_at)?;
    Some(Capture {
        best,
        best_frame,
        template,
        fused,
        liveness,
        frames_with_face,
        frames: total,
    })
}

fn fuse(faces: &[(usize, FaceAnalysis)], best_at: usize) -> (Option<Embedding>, usize) {
    let best = &faces[best_at].1;
    let Some(anchor) = &best.embedding else {
        return (None, 0);
    };
    let joined: Vec<Embedding> = faces
        .iter()
        .filter(|(_, f)| f.issues.len() == best.issues.len())
        .filter_map(|(_, f)| f.embedding.clone())
        .filter(|e| cosine(e, anchor) >= FUSE_AGREEMENT)
        .collect();
    let fused = joined.len();
    (
        Embedding::mean(&joined).or_else(|| Some(anchor.clone())),
        fused,
    )
}

fn merit(f: &FaceAnalysis) -> f32 {
    f.quality.sharpness.max(0.0).sqrt() * f.quality.inter_eye_px
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::detect::Detection;
    use crate::face::geometry::{BBox, Point};
    use crate::face::landmarks::FivePoints;
    use crate::face::{Quality, QualityIssue};
    use crate::imaging::FloatImage;

    fn face(v: &[f32], issues: Vec<QualityIssue>, sharpness: f32) -> FrameAnalysis {
        let b = BBox {
            x1: 0.0,
            y1: 0.0,
            x2: 10.0,
            y2: 10.0,
        };
        let p = Point { x: 1.0, y: 1.0 };
        FrameAnalysis {
            faces: 1,
            face: Some(FaceAnalysis {
                detection: Detection {
                    raw: b,
                    square: b,
                    score: 1.0,
                },
                points: FivePoints {
                    left_eye: p,
                    right_eye: Point { x: 5.0, y: 1.0 },
                    nose: p,
                    left_mouth: p,
                    right_mouth: p,
                },
                onet_score: 1.0,
                aligned: FloatImage::zeros(1, 1),
                embedding: Embedding::from_raw(v),
                liveness: 0.9,
                quality: Quality {
                    faces_in_frame: 1,
                    inter_eye_px: 4.0,
                    sharpness,
                    brightness: 100.0,
                    overexposed: 0.0,
                    underexposed: 0.0,
                    yaw: 0.0,
                    pitch: 0.0,
                    roll: 0.0,
                    left_eye_closed: 0.0,
                    right_eye_closed: 0.0,
                    left_eye_aspect: 0.3,
                    right_eye_aspect: 0.3,
                },
                issues,
            }),
        }
    }

    #[test]
    fn the_template_fuses_agreeing_frames_as_good_as_the_best() {
        let frames = vec![
            face(&[1.0, 0.2, 0.0], vec![], 100.0),
            face(&[1.0, -0.2, 0.0], vec![], 50.0),
            // Someone else leaning in: does not agree with the best frame.
            face(&[0.0, 0.0, 1.0], vec![], 10.0),
            // The candidate, blurred: fewer issues win, so it stays out.
            face(&[1.0, 0.9, 0.0], vec![QualityIssue::Blurred], 1.0),
            FrameAnalysis {
                faces: 0,
                face: None,
            },
        ];
        let c = reduce(frames).expect("faces");
        assert_eq!((c.best_frame, c.fused, c.frames_with_face), (0, 2, 4));
        let t = c.template.expect("template");
        assert!((t.as_slice()[0] - 1.0).abs() < 1e-6, "{:?}", t.as_slice());
    }

    #[test]
    fn one_frame_is_its_own_template() {
        let c = reduce(vec![face(&[0.6, 0.8], vec![], 9.0)]).expect("a face");
        assert_eq!(c.fused, 1);
        assert_eq!(c.template.expect("template").as_slice(), &[0.6, 0.8]);
    }
}
