//! Registration photos → templates (office side). Each photo must show exactly one face of
//! usable quality; anything else is a [`PhotoProblem`] naming what is wrong, reported with
//! the candidate's row. A small thumbnail of the face goes to the invigilator screen.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::RgbImage;

use crate::face::{BBox, FaceEngine, QualityIssue};

/// Thumbnail side in pixels: enough to recognise a face on the invigilator screen.
pub const THUMBNAIL_SIDE: u32 = 128;
/// JPEG quality of thumbnails.
const THUMBNAIL_QUALITY: u8 = 85;

/// A usable registration photo.
#[derive(Clone, PartialEq)]
pub struct Enrolment {
    /// L2-normalised template.
    pub template: Vec<f32>,
    /// JPEG thumbnail of the face.
    pub thumbnail_jpeg: Vec<u8>,
    /// Issues worth a look that do not refuse the photo ([`advisory`]).
    pub warnings: Vec<QualityIssue>,
}

/// Issues that never refuse a registration photo on their own. "Eyes closed" is a model's
/// guess that misreads narrow eyes (9.5 % of open-eyed East Asian photos at the old
/// threshold): the office is told, the photo is used.
pub fn advisory(issue: QualityIssue) -> bool {
    matches!(issue, QualityIssue::EyesClosed)
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Enrolment(<template>, {} byte thumbnail)",
            self.thumbnail_jpeg.len()
        )
    }
}

/// Why a registration photo cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PhotoProblem {
    /// The file is missing or unreadable.
    #[error("cannot read the photo: {0}")]
    Unreadable(String),
    /// The bytes are not an image we decode.
    #[error("not a usable image: {0}")]
    NotAnImage(String),
    /// No face found.
    #[error("no face found")]
    NoFace,
    /// More than one face.
    #[error("{0} faces found; a registration photo shows one")]
    SeveralFaces(usize),
    /// A face of poor quality.
    #[error("poor quality: {}", .0.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", "))]
    PoorQuality(Vec<QualityIssue>),
    /// The face engine failed (a model error, not the photo's fault).
    #[error("face engine failed: {0}")]
    Engine(String),
}

/// The square around `b` enlarged to show the whole head, clipped to the image.
fn thumbnail_box(b: &BBox, width: u32, height: u32) -> (u32, u32, u32, u32) {
    let side = b.width().max(b.height()) * 1.5;
    let sq = b
        .square_about_centre(side)
        .clipped(width as f32, height as f32);
    let x = sq.x1.max(0.0) as u32;
    let y = sq.y1.max(0.0) as u32;
    let w = (sq.width() as u32).clamp(1, width - x.min(width - 1));
    let h = (sq.height() as u32).clamp(1, height - y.min(height - 1));
    (x, y, w, h)
}

/// A JPEG thumbnail of the face in `frame` at `b`.
pub fn thumbnail(frame: &RgbImage, b: &BBox) -> Vec<u8> {
    let (x, y, w, h) = thumbnail_box(b, frame.width(), frame.height());
    let face = imageops::crop_imm(frame, x, y, w, h).to_image();
    let small = imageops::resize(&face, THUMBNAIL_SIDE, THUMBNAIL_SIDE, FilterType::Triangle);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, THUMBNAIL_QUALITY)
        .encode_image(&small)
        .expect("encoding an in-memory RGB image to a Vec cannot fail");
    out
}

/// Enrol one photo's bytes.
pub fn enrol_bytes(engine: &FaceEngine, bytes: &[u8]) -> Result<Enrolment, PhotoProblem> {
    let frame =
        crate::imaging::decode(bytes).map_err(|e| PhotoProblem::NotAnImage(e.to_string()))?;
    let analysis = engine
        .analyze(&frame)
        .map_err(|e| PhotoProblem::Engine(e.to_string()))?;
    if analysis.faces > 1 {
        return Err(PhotoProblem::SeveralFaces(analysis.faces));
    }
    let face = analysis.face.ok_or(PhotoProblem::NoFace)?;
    let (warnings, refusing): (Vec<QualityIssue>, Vec<QualityIssue>) =
        face.issues.iter().partition(|&&i| advisory(i));
    if !refusing.is_empty() {
        return Err(PhotoProblem::PoorQuality(refusing));
    }
    let template = face.embedding.ok_or(PhotoProblem::NoFace)?;
    Ok(Enrolment {
        template: template.as_slice().to_vec(),
        thumbnail_jpeg: thumbnail(&frame, &face.detection.raw),
        warnings,
    })
}

/// Enrol each distinct photo name in `names` from `dir`, spread over `threads` threads (the
/// engine's plans are shared read-only). Two candidates naming one file are enrolled once.
pub fn enrol_all(
    engine: &FaceEngine,
    dir: &Path,
    names: &BTreeSet<String>,
    threads: usize,
) -> HashMap<String, Result<Enrolment, PhotoProblem>> {
    let names: Vec<&String> = names.iter().collect();
    super::parallel::map(&names, threads, |name| {
        let result = photo_path(dir, name)
            .and_then(|path| {
                std::fs::read(&path).map_err(|e| PhotoProblem::Unreadable(e.to_string()))
            })
            .and_then(|bytes| enrol_bytes(engine, &bytes));
        ((*name).clone(), result)
    })
    .into_iter()
    .collect()
}

/// `dir/name`, refusing names that climb out of `dir`.
fn photo_path(dir: &Path, name: &str) -> Result<std::path::PathBuf, PhotoProblem> {
    let rel = Path::new(name);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(PhotoProblem::Unreadable(format!(
            "{name:?} must be a file name inside the photos directory"
        )));
    }
    Ok(dir.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbnail_box_stays_inside_the_image() {
        let b = BBox {
            x1: -20.0,
            y1: 5.0,
            x2: 60.0,
            y2: 90.0,
        };
        let (x, y, w, h) = thumbnail_box(&b, 100, 80);
        assert!(x + w <= 100 && y + h <= 80, "{x} {y} {w} {h}");
        assert!(w > 0 && h > 0);
    }

    #[test]
    fn photo_names_cannot_leave_the_directory() {
        let dir = Path::new("/photos");
        assert!(photo_path(dir, "a/b.jpg").is_ok());
        assert!(photo_path(dir, "../etc/passwd").is_err());
        assert!(photo_path(dir, "/etc/passwd").is_err());
    }
}
