//! Face detection with the Ultra-Light detector (`fr_detect`): pre-processing, decoding of its
//! already-softmaxed scores and already-decoded boxes, non-maximum suppression, and the
//! choice of the face to verify (`docs/models.md`, pipeline step 1).
//!
//! The package's own JavaScript picker and NMS are broken; this follows the reference.

use image::RgbImage;

use super::geometry::BBox;
use super::tensor::{nchw, ChannelOrder};
use crate::imaging::resize_bilinear;

/// Detector input width.
pub const INPUT_WIDTH: usize = 320;
/// Detector input height.
pub const INPUT_HEIGHT: usize = 240;
/// Anchors the detector scores.
pub const ANCHORS: usize = 4420;

/// How detections are filtered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectParams {
    /// Minimum face score.
    pub min_score: f32,
    /// Candidates kept before NMS, best first.
    pub top_k: usize,
    /// IoU above which the weaker of two boxes is dropped.
    pub nms_iou: f32,
}

impl Default for DetectParams {
    fn default() -> Self {
        Self {
            min_score: 0.65,
            top_k: 750,
            nms_iou: 0.4,
        }
    }
}

/// One face the detector found, in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Detection {
    /// The box as the detector drew it.
    pub raw: BBox,
    /// The box made square (side = raw height, same centre) and clipped to the frame: what
    /// the later stages crop.
    pub square: BBox,
    /// Face score, 0..1.
    pub score: f32,
}

impl Detection {
    /// A detection of `raw` in a `width` x `height` frame: its square is the box made square
    /// (side = raw height, same centre) and clipped to the frame.
    pub fn new(raw: BBox, score: f32, width: f32, height: f32) -> Detection {
        Detection {
            raw,
            square: raw.square_about_centre(raw.height()).clipped(width, height),
            score,
        }
    }
}

/// The detector's input: whole frame resized to 320x240, B,G,R, `(p - 127) / 128`.
pub fn input(frame: &RgbImage) -> Vec<f32> {
    let resized = resize_bilinear(frame, INPUT_WIDTH, INPUT_HEIGHT);
    nchw(&resized, ChannelOrder::Bgr, |v, _| (v - 127.0) / 128.0)
}

/// Per-anchor `[p_background, p_face]` from the detector's `[ANCHORS, 2]` logits: the
/// softmax the model ends with, done here (`models::drop_output_softmax`).
pub fn probabilities(logits: &[f32]) -> Vec<f32> {
    logits
        .chunks_exact(2)
        .flat_map(|l| {
            let face = 1.0 / (1.0 + (l[0] - l[1]).exp());
            [1.0 - face, face]
        })
        .collect()
}

/// Turn the raw outputs into detections, strongest first, after NMS.
///
/// `scores` is `[ANCHORS, 2]` (index 1 = face), `boxes` is `[ANCHORS, 4]` normalised
/// `x1, y1, x2, y2`. Lengths that disagree with each other yield what the shorter allows.
pub fn decode(
    scores: &[f32],
    boxes: &[f32],
    frame_width: u32,
    frame_height: u32,
    params: &DetectParams,
) -> Vec<Detection> {
    let (fw, fh) = (frame_width as f32, frame_height as f32);
    let mut candidates: Vec<Detection> = scores
        .chunks_exact(2)
        .zip(boxes.chunks_exact(4))
        .filter(|(s, _)| s[1] >= params.min_score && s[1].is_finite())
        .map(|(s, b)| {
            let raw = BBox {
                x1: b[0] * fw,
                y1: b[1] * fh,
                x2: b[2] * fw,
                y2: b[3] * fh,
            };
            Detection::new(raw, s[1], fw, fh)
        })
        .filter(|d| d.raw.area() > 0.0 && d.square.area() > 0.0)
        .collect();
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    candidates.truncate(params.top_k);
    nms(candidates, params.nms_iou)
}

/// A frame set in a larger 4:3 canvas of mid grey (zero after the detector's
/// normalisation), for a second look when the frame alone showed no face: a face that fills
/// a small portrait crop (a 168x193 webcam crop, a document portrait) is cut at the chin and
/// brow and stretched out of shape by the 320x240 resize, and the detector misses it.
#[derive(Debug, Clone)]
pub struct Padded {
    /// The canvas.
    pub image: RgbImage,
    /// Where the frame's left edge sits in the canvas.
    pub dx: u32,
    /// Where the frame's top edge sits.
    pub dy: u32,
}

/// How much wider than the frame (at 4:3) the canvas is: the face then covers about two
/// thirds of it, inside what the detector's anchors span.
const PAD_FACTOR: f32 = 1.5;

/// The score a face found only in the padded canvas needs. The grey border invites weak
/// false faces in background clutter (on 384 background crops of `dev-large` the second
/// look added 11, scored 0.68–0.991); the filled-frame faces it exists for score ≥ 0.997.
pub const PADDED_MIN_SCORE: f32 = 0.995;

/// `frame` centred in its padded canvas.
pub fn padded(frame: &RgbImage) -> Padded {
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let width = (w.max(h * 4.0 / 3.0) * PAD_FACTOR).ceil() as u32;
    let height = (width as f32 * 3.0 / 4.0).ceil() as u32;
    let mut image = RgbImage::from_pixel(width, height, image::Rgb([127, 127, 127]));
    let dx = (width - frame.width()) / 2;
    let dy = (height - frame.height()) / 2;
    image::imageops::replace(&mut image, frame, i64::from(dx), i64::from(dy));
    Padded { image, dx, dy }
}

impl Padded {
    /// A detection in the canvas, in the frame's pixels.
    pub fn to_frame(&self, d: &Detection, frame_width: u32, frame_height: u32) -> Detection {
        let (dx, dy) = (self.dx as f32, self.dy as f32);
        let raw = BBox {
            x1: d.raw.x1 - dx,
            y1: d.raw.y1 - dy,
            x2: d.raw.x2 - dx,
            y2: d.raw.y2 - dy,
        };
        Detection::new(raw, d.score, frame_width as f32, frame_height as f32)
    }
}

/// Hard non-maximum suppression over detections sorted best first. Overlap is measured on
/// the square boxes, the regions the later stages actually use: two detections whose squares
/// mostly cover the same pixels are one face (an arm raised beside a face otherwise survives
/// as a second, larger "face").
pub fn nms(sorted: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    let mut kept: Vec<Detection> = Vec::new();
    for candidate in sorted {
        if kept
            .iter()
            .all(|k| k.square.iou(&candidate.square) <= iou_threshold)
        {
            kept.push(candidate);
        }
    }
    kept
}

/// The face to verify: the one standing at the mark. That face is large and near the
/// middle of the frame; someone behind or beside the candidate is smaller or off to one
/// side. The raw box's area is weighed by how far its centre is from the frame's centre
/// (1 in the middle, 0 in a corner): the largest face alone picks a bystander whose face
/// happens to be bigger in the frame (a large share of LFW's genuine-pair failures).
pub fn subject(
    detections: &[Detection],
    frame_width: u32,
    frame_height: u32,
) -> Option<&Detection> {
    let (w, h) = (frame_width as f32, frame_height as f32);
    let half_diagonal = (w * w + h * h).sqrt() / 2.0;
    let middle = super::geometry::Point {
        x: w / 2.0,
        y: h / 2.0,
    };
    let weight = |d: &Detection| {
        let off = d.raw.centre().distance(middle) / half_diagonal.max(1.0);
        d.raw.area() * (1.0 - off).max(0.0)
    };
    detections
        .iter()
        .max_by(|a, b| weight(a).total_cmp(&weight(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(x1: f32, y1: f32, x2: f32, y2: f32) -> BBox {
        BBox { x1, y1, x2, y2 }
    }

    fn det(b: BBox, score: f32) -> Detection {
        Detection {
            raw: b,
            square: b,
            score,
        }
    }

    #[test]
    fn nms_drops_overlapping_weaker_boxes_and_keeps_distant_ones() {
        let kept = nms(
            vec![
                det(bx(0., 0., 10., 10.), 0.9),
                det(bx(1., 1., 11., 11.), 0.8), // IoU 81/119 = 0.68 with the first: dropped
                det(bx(20., 20., 30., 30.), 0.7),
                det(bx(0., 0., 10., 5.), 0.6), // IoU 0.5 with the first: dropped
            ],
            0.4,
        );
        let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.9, 0.7]);
    }

    #[test]
    fn nms_keeps_a_box_at_exactly_the_threshold() {
        // IoU exactly 1/3 with threshold 1/3 is not "above": kept.
        let kept = nms(
            vec![det(bx(0., 0., 2., 2.), 0.9), det(bx(1., 0., 3., 2.), 0.5)],
            1.0 / 3.0,
        );
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn nms_compares_the_squares_not_the_raw_boxes() {
        // Raw boxes side by side (IoU 0) whose squares overlap heavily: one face.
        let tall = |x1: f32, score: f32| Detection {
            raw: bx(x1, 0., x1 + 4., 10.),
            square: bx(x1 - 3., 0., x1 + 7., 10.),
            score,
        };
        assert_eq!(nms(vec![tall(0., 0.9), tall(4., 0.8)], 0.4).len(), 1);
    }

    #[test]
    fn decode_filters_by_score_scales_to_pixels_and_squares() {
        let scores = [0.1, 0.9, 0.5, 0.5, 0.2, 0.8];
        let boxes = [
            0.25, 0.25, 0.5, 0.75, // kept: 80x120 px in a 320x240 frame
            0.0, 0.0, 1.0, 1.0, // score 0.5: below 0.65
            0.26, 0.26, 0.5, 0.75, // overlaps the first: suppressed
        ];
        let d = decode(&scores, &boxes, 320, 240, &DetectParams::default());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].raw, bx(80., 60., 160., 180.));
        // Square of side 120 about (120, 120), clipped at the top.
        assert_eq!(d[0].square, bx(60., 60., 180., 180.));
    }

    #[test]
    fn decode_clips_the_square_to_the_frame() {
        let d = decode(
            &[0.0, 1.0],
            &[0.9, 0.0, 1.0, 1.0],
            100,
            100,
            &DetectParams::default(),
        );
        assert_eq!(d[0].square, bx(45., 0., 100., 100.));
    }

    #[test]
    fn probabilities_are_the_pairwise_softmax() {
        let p = probabilities(&[0.0, 0.0, 2.0, -1.0, -50.0, 50.0]);
        let expect = [0.5, 0.5, 0.952_574_1, 0.047_425_87, 0.0, 1.0];
        for (a, b) in p.iter().zip(expect) {
            assert!((a - b).abs() < 1e-6, "{p:?}");
        }
    }

    #[test]
    fn a_padded_frame_sits_in_the_middle_of_a_wider_4_3_canvas() {
        let frame = RgbImage::from_pixel(168, 193, image::Rgb([10, 20, 30]));
        let p = padded(&frame);
        assert_eq!((p.image.width(), p.image.height()), (386, 290));
        assert_eq!((p.dx, p.dy), (109, 48));
        assert_eq!(p.image.get_pixel(109, 48).0, [10, 20, 30]);
        assert_eq!(p.image.get_pixel(108, 48).0, [127, 127, 127]);
        let found = det(bx(119., 58., 259., 228.), 0.9);
        let back = p.to_frame(&found, 168, 193);
        assert_eq!(back.raw, bx(10., 10., 150., 180.));
        assert_eq!(back.square, bx(0., 10., 165., 180.));
    }

    #[test]
    fn the_subject_is_large_and_central_whatever_the_score() {
        let small = det(bx(90., 90., 110., 110.), 0.99);
        let big = det(bx(70., 70., 130., 130.), 0.7);
        assert_eq!(subject(&[small, big], 200, 200).map(|d| d.score), Some(0.7));
        // A bystander's face at the edge, a bit larger than the candidate's in the middle.
        let candidate = det(bx(75., 70., 125., 130.), 0.9);
        let bystander = det(bx(140., 10., 200., 80.), 0.95);
        assert_eq!(
            subject(&[bystander, candidate], 200, 200).map(|d| d.score),
            Some(0.9)
        );
        assert!(subject(&[], 200, 200).is_none());
    }
}
