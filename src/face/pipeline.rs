//! The engine: loaded models plus the stages in order. Each stage is a method so a caller
//! (the benchmark, the kiosk's capture loop) can run and time them one by one; [`FaceEngine::analyze`]
//! runs them all on one frame.

use std::path::Path;

use image::RgbImage;

use super::detect::{self, DetectParams, Detection};
use super::embed::{self, Embedding};
use super::eyes::{self, Side};
use super::landmarks::{self, FivePoints, OnetBox, OnetResult};
use super::models::{ModelKind, ModelSet, Net};
use super::pose::{self, Pose};
use super::quality::{self, Quality, QualityIssue, QualityPolicy};
use super::{align, liveness, Error};
use crate::imaging::FloatImage;

/// One eye as the eye model and the landmarks see it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EyeState {
    /// Probability the eye is closed (`fr_eye`).
    pub p_closed: f32,
    /// Eye aspect ratio from the 68 landmarks (0 when they cannot place it).
    pub aspect: f32,
}

/// Everything learned about the verified face in one frame.
#[derive(Debug, Clone)]
pub struct FaceAnalysis {
    /// The detector's box and score.
    pub detection: Detection,
    /// Five points from O-Net's second pass.
    pub points: FivePoints,
    /// O-Net's face probability on the second pass.
    pub onet_score: f32,
    /// The aligned 112x112 face (for the embedding and as evidence).
    pub aligned: FloatImage,
    /// The identity embedding; `None` only if the model produced a zero vector.
    pub embedding: Option<Embedding>,
    /// Probability the face is live (this frame alone).
    pub liveness: f32,
    /// Measurements.
    pub quality: Quality,
    /// What the quality policy objects to, empty when the face is good.
    pub issues: Vec<QualityIssue>,
}

/// One frame's result. No face is a value, not an error.
#[derive(Debug, Clone)]
pub struct FrameAnalysis {
    /// Faces found.
    pub faces: usize,
    /// The largest face, analysed.
    pub face: Option<FaceAnalysis>,
}

/// The loaded models and the parameters the stages use.
#[derive(Debug)]
pub struct FaceEngine {
    models: ModelSet,
    /// Detector thresholds.
    pub detect_params: DetectParams,
    /// Quality thresholds.
    pub quality_policy: QualityPolicy,
    /// Embed the aligned face and its mirror image and take the mean (test-time
    /// augmentation). Off by default: on `dev-large` it moved TAR at FAR 1e-3 by less than
    /// the set resolves (general 0.9927 → 0.9919) and raised the East Asian FAR 1e-3
    /// threshold (0.413 → 0.426), for twice the embedding time (README, "Accuracy").
    pub mirror_tta: bool,
}

impl FaceEngine {
    /// Load every model from `dir` (one call; a second engine would load them again).
    pub fn load(dir: &Path) -> Result<FaceEngine, Error> {
        Ok(FaceEngine {
            models: ModelSet::load(dir)?,
            detect_params: DetectParams::default(),
            quality_policy: QualityPolicy::default(),
            mirror_tta: false,
        })
    }

    /// The loaded models (for benchmarks and profiles).
    pub fn models(&self) -> &ModelSet {
        &self.models
    }

    /// Stage 1: every face in the frame, strongest first. When the frame alone shows none,
    /// a second look at it set in a wider canvas ([`detect::padded`]) finds a face that
    /// fills a small crop.
    pub fn detect(&self, frame: &RgbImage) -> Result<Vec<Detection>, Error> {
        let found = self.detect_once(frame)?;
        if !found.is_empty() {
            return Ok(found);
        }
        let padded = detect::padded(frame);
        Ok(self
            .detect_once(&padded.image)?
            .iter()
            .filter(|d| d.score >= detect::PADDED_MIN_SCORE)
            .map(|d| padded.to_frame(d, frame.width(), frame.height()))
            .filter(|d| d.square.area() > 0.0)
            .collect())
    }

    fn detect_once(&self, frame: &RgbImage) -> Result<Vec<Detection>, Error> {
        let out = self.models.detect.run(detect::input(frame))?;
        let scores = detect::probabilities(output_of_len(
            &self.models.detect,
            &out,
            2 * detect::ANCHORS,
        )?);
        let boxes = output_of_len(&self.models.detect, &out, 4 * detect::ANCHORS)?;
        Ok(detect::decode(
            &scores,
            boxes,
            frame.width(),
            frame.height(),
            &self.detect_params,
        ))
    }

    /// Stage 2: five points by O-Net, run on the detection and again on its refined box.
    /// `None` if a box has no pixels.
    pub fn five_points(
        &self,
        frame: &RgbImage,
        detection: &Detection,
    ) -> Result<Option<OnetResult>, Error> {
        let Some(first) = self.onet(frame, OnetBox::from_bbox(&detection.square))? else {
            return Ok(None);
        };
        self.onet(frame, landmarks::second_pass_box(&first))
    }

    fn onet(&self, frame: &RgbImage, b: OnetBox) -> Result<Option<OnetResult>, Error> {
        let Some(input) = landmarks::onet_input(frame, b) else {
            return Ok(None);
        };
        let net = &self.models.five_points;
        let out = net.run(input)?;
        let reg = fixed::<4>(output_of_len(net, &out, 4)?);
        let pts = fixed::<10>(output_of_len(net, &out, 10)?);
        let prob = fixed::<2>(output_of_len(net, &out, 2)?);
        Ok(Some(landmarks::onet_decode(b, &reg, &pts, &prob)))
    }

    /// Stage 4: the embedding of an aligned face (with [`Self::mirror_tta`], the mean of it
    /// and its mirror image's).
    pub fn embed(&self, aligned: &FloatImage) -> Result<Option<Embedding>, Error> {
        let once = |img: &FloatImage| -> Result<Option<Embedding>, Error> {
            let net = &self.models.embed;
            let out = net.run(embed::input(img))?;
            Ok(Embedding::from_raw(output_of_len(net, &out, embed::DIM)?))
        };
        let plain = once(aligned)?;
        if !self.mirror_tta {
            return Ok(plain);
        }
        let mirrored = once(&aligned.mirrored())?;
        Ok(match (plain, mirrored) {
            (Some(a), Some(b)) => Embedding::mean(&[a, b]),
            (one, other) => one.or(other),
        })
    }

    /// Stage 5: probability the face in `detection` is live.
    pub fn liveness(&self, frame: &RgbImage, detection: &Detection) -> Result<f32, Error> {
        let net = &self.models.liveness;
        let out = net.run(liveness::input(frame, &detection.square))?;
        Ok(liveness::p_live(output_of_len(net, &out, 3)?))
    }

    /// Stage 6: each eye (image left, image right): the probability it is closed and its
    /// aspect ratio from the 68 landmarks.
    pub fn eyes(&self, frame: &RgbImage, detection: &Detection) -> Result<[EyeState; 2], Error> {
        let lm = &self.models.landmarks68;
        let out = lm.run(landmarks::landmarks68_input(frame, &detection.square))?;
        let points =
            landmarks::landmarks68_decode(output_of_len(lm, &out, 136)?, &detection.square);
        let mut state = [EyeState::default(); 2];
        for (slot, side) in state.iter_mut().zip([Side::Left, Side::Right]) {
            if let Some(b) = eyes::eye_box(&points, side) {
                let out = self.models.eye.run(eyes::input(frame, &b))?;
                slot.p_closed = eyes::p_closed(output_of_len(&self.models.eye, &out, 2)?);
            }
            slot.aspect = eyes::aspect_ratio(&points, side).unwrap_or(0.0);
        }
        Ok(state)
    }

    /// Stage 7: head pose.
    pub fn pose(&self, frame: &RgbImage, detection: &Detection) -> Result<Pose, Error> {
        let net = &self.models.pose;
        let out = net.run(pose::input(frame, &detection.square))?;
        let angle = |i: usize| -> Result<f32, Error> {
            let v = out.get(i).ok_or(Error::OutputShape {
                model: ModelKind::Pose,
                index: i,
                expected: pose::BINS,
                got: 0,
            })?;
            check_len(net, i, v, pose::BINS)?;
            Ok(pose::angle(v))
        };
        Ok(Pose {
            yaw: angle(0)?,
            pitch: angle(1)?,
            roll: angle(2)?,
        })
    }

    /// Every stage on one frame, for the face at the mark ([`detect::subject`]).
    pub fn analyze(&self, frame: &RgbImage) -> Result<FrameAnalysis, Error> {
        let detections = self.detect(frame)?;
        let faces = detections.len();
        let Some(detection) = detect::subject(&detections, frame.width(), frame.height()).copied()
        else {
            return Ok(FrameAnalysis { faces, face: None });
        };
        let Some(onet) = self.five_points(frame, &detection)? else {
            return Ok(FrameAnalysis { faces, face: None });
        };
        let Some(aligned) = align::align(frame, &onet.points) else {
            return Ok(FrameAnalysis { faces, face: None });
        };
        let embedding = self.embed(&aligned)?;
        let live = self.liveness(frame, &detection)?;
        let quality = self.quality(frame, &detection, &onet.points, &aligned, faces)?;
        Ok(FrameAnalysis {
            faces,
            face: Some(FaceAnalysis {
                detection,
                points: onet.points,
                onet_score: onet.score,
                issues: quality::issues(&quality, &self.quality_policy),
                aligned,
                embedding,
                liveness: live,
                quality,
            }),
        })
    }

    /// Every frame of one candidate analysed and reduced to a [`Capture`](super::Capture):
    /// best frame by quality, liveness averaged over the frames with a face. `None` when no
    /// frame had one.
    pub fn capture(&self, frames: &[RgbImage]) -> Result<Option<super::Capture>, Error> {
        let analyses = frames
            .iter()
            .map(|f| self.analyze(f))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(super::capture::reduce(analyses))
    }

    /// Quality measurements (runs the pose, landmark and eye models).
    pub fn quality(
        &self,
        frame: &RgbImage,
        detection: &Detection,
        points: &FivePoints,
        aligned: &FloatImage,
        faces_in_frame: usize,
    ) -> Result<Quality, Error> {
        let (sharpness, brightness, overexposed, underexposed) =
            quality::photometry(&aligned.to_grey());
        let pose = self.pose(frame, detection)?;
        let [left, right] = self.eyes(frame, detection)?;
        Ok(Quality {
            faces_in_frame,
            inter_eye_px: points.inter_eye(),
            sharpness,
            brightness,
            overexposed,
            underexposed,
            yaw: pose.yaw,
            pitch: pose.pitch,
            roll: pose.roll,
            left_eye_closed: left.p_closed,
            right_eye_closed: right.p_closed,
            left_eye_aspect: left.aspect,
            right_eye_aspect: right.aspect,
        })
    }
}

/// The output with exactly `len` values. The models' outputs differ in length, which is
/// sturdier than trusting the output order of the graph.
fn output_of_len<'a>(net: &Net, outputs: &'a [Vec<f32>], len: usize) -> Result<&'a [f32], Error> {
    outputs
        .iter()
        .find(|o| o.len() == len)
        .map(Vec::as_slice)
        .ok_or(Error::OutputShape {
            model: net.kind(),
            index: 0,
            expected: len,
            got: outputs.first().map_or(0, Vec::len),
        })
}

fn check_len(net: &Net, index: usize, v: &[f32], len: usize) -> Result<(), Error> {
    if v.len() == len {
        Ok(())
    } else {
        Err(Error::OutputShape {
            model: net.kind(),
            index,
            expected: len,
            got: v.len(),
        })
    }
}

fn fixed<const N: usize>(v: &[f32]) -> [f32; N] {
    <[f32; N]>::try_from(v).expect("output_of_len returned exactly N values")
}
