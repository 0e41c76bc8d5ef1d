//! A live capture: several frames of one candidate reduced to one verdict-ready value — the
//! best frame's face (its embedding, points, quality) and the liveness averaged over every
//! frame that showed a face, since one frame's liveness is noisy.

use super::pipeline::{FaceAnalysis, FrameAnalysis};

/// The result of several frames.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The face of the best frame.
    pub best: FaceAnalysis,
    /// Index of that frame among those given.
    pub best_frame: usize,
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
    let (best_frame, best) = faces.into_iter().min_by(|(_, a), (_, b)| {
        a.issues
            .len()
            .cmp(&b.issues.len())
            .then_with(|| merit(b).total_cmp(&merit(a)))
    })?;
    Some(Capture {
        best,
        best_frame,
        liveness,
        frames_with_face,
        frames: total,
    })
}

fn merit(f: &FaceAnalysis) -> f32 {
    f.quality.sharpness.max(0.0).sqrt() * f.quality.inter_eye_px
}
