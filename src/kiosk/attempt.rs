//! One candidate's attempt at the door, as one value: the document portrait read and its
//! embedding, the live capture, the evidence the decision was made on, the camera preview
//! and where the time went. The runner makes it when a ticket or a card starts an attempt
//! and drops it when the door is back at idle, so nothing of one child (a passport photo, a
//! live face) can reach the next candidate's decision or review screen.

use image::RgbImage;

use crate::decision::Evidence;
use crate::face::Embedding;

/// Where one candidate's time went, in milliseconds (the benchmark reads it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    /// The document read (access control, files, passive authentication; or the bridge).
    pub card_ms: f64,
    /// Face work: the portrait's embedding and the live capture.
    pub face_ms: f64,
    /// Scoring, the decision and its log append.
    pub decide_ms: f64,
}

/// The document's portrait, decoded, with its embedding when a face was found in it.
pub struct Portrait {
    /// The picture (the review screen shows it).
    pub image: RgbImage,
    /// Its embedding.
    pub embedding: Option<Embedding>,
}

/// The best live face of the capture.
pub struct LiveFace {
    /// Its embedding.
    pub embedding: Embedding,
    /// The face crop as JPEG (sealed to the office for a referral, shown on review).
    pub jpeg: Vec<u8>,
}

/// One candidate at the door.
#[derive(Default)]
pub struct Attempt {
    /// The document portrait, when a document with one was read.
    pub portrait: Option<Portrait>,
    /// The live face, once captured.
    pub live: Option<LiveFace>,
    /// The last camera frame (the live preview).
    pub preview: Option<RgbImage>,
    /// The evidence of the decision made, and when (ms since the epoch): the answer-sheet
    /// scan is decided on the same evidence and at the same time.
    pub decided: Option<(Evidence, i64)>,
    /// Where the time went.
    pub times: StageTimes,
}

impl std::fmt::Debug for Attempt {
    // Faces and portraits are a child's personal data: only what is there is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("portrait", &self.portrait.is_some())
            .field("live", &self.live.is_some())
            .field("decided", &self.decided.is_some())
            .field("times", &self.times)
            .finish()
    }
}
