//! Devices for a kiosk without hardware: the emulated passport on a simulated reader, a
//! camera that replays a still photo, and a camera that plays the image files of a
//! directory. The demo, the tests and the benchmark use them; a real kiosk uses the PC/SC
//! and camera adapters behind the same traits.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use image::RgbImage;

use super::bridge::Mailbox;
use super::{Document, DocumentReader, FrameSource, ReadError, Slot};
use crate::card::emrtd::Access;
use crate::card::emulated::EmulatedPassport;
use crate::card::Deadline;

/// A reader whose card the caller swaps (None: nothing on the reader), beside a resident-ID
/// reader whose bridge reports go to `bridge`. Passive authentication uses the room
/// package's CSCA list, as on a real kiosk.
pub struct EmulatedReader {
    /// The passport on the contactless reader.
    pub card: Arc<Mutex<Option<EmulatedPassport>>>,
    /// A UID-only card on the contactless reader (its UID), when no passport is.
    pub uid_card: Arc<Mutex<Option<Vec<u8>>>>,
    /// What the resident-ID bridge reported (the demo puts cards here; the tests run the
    /// real bridge watcher into it).
    pub bridge: Mailbox,
    csca: Vec<Vec<u8>>,
}

impl EmulatedReader {
    /// A reader trusting `csca` (DER certificates).
    pub fn new(csca: Vec<Vec<u8>>) -> EmulatedReader {
        EmulatedReader {
            card: Arc::new(Mutex::new(None)),
            uid_card: Arc::new(Mutex::new(None)),
            bridge: Mailbox::new(),
            csca,
        }
    }
}

impl DocumentReader for EmulatedReader {
    fn read(
        &mut self,
        slot: Slot,
        access: Option<&Access>,
        deadline: &Deadline,
        at_utc_ms: i64,
    ) -> Result<Document, ReadError> {
        if slot == Slot::ResidentId {
            return self.bridge.take();
        }
        let mut guard = self.card.lock().unwrap_or_else(|p| p.into_inner());
        let Some(chip) = guard.as_mut() else {
            let uid = self.uid_card.lock().unwrap_or_else(|p| p.into_inner());
            return match uid.as_ref() {
                Some(uid) => Ok(Document::Uid(uid.clone())),
                None => Err(ReadError::Card(crate::card::Error::Transport(
                    crate::card::transport::TransportError::CardRemoved,
                ))),
            };
        };
        chip.reset(); // each read is a fresh tap
        let mut random = |b: &mut [u8]| {
            for (i, x) in b.iter_mut().enumerate() {
                *x = (i as u8).wrapping_mul(31).wrapping_add(7);
            }
        };
        super::read_contactless(chip, access, &self.csca, at_utc_ms, &mut random, deadline)
    }
}

/// A camera showing whatever photo the caller puts in front of it.
#[derive(Clone, Default)]
pub struct ReplayCamera {
    /// The current picture; None shows an empty scene.
    pub scene: Arc<Mutex<Option<RgbImage>>>,
}

impl FrameSource for ReplayCamera {
    fn frames(&mut self, n: usize) -> Result<Vec<RgbImage>, String> {
        let scene = self.scene.lock().unwrap_or_else(|p| p.into_inner());
        match scene.as_ref() {
            Some(img) => Ok(vec![img.clone(); n]),
            None => Ok(vec![RgbImage::new(640, 480); n]),
        }
    }
}

/// A camera playing the image files of a directory in name order, round and round.
pub struct DirectoryFrames {
    files: Vec<PathBuf>,
    next: usize,
}

impl DirectoryFrames {
    /// Every .jpg/.jpeg/.png in `dir`; an empty or unreadable directory is an error naming it.
    pub fn open(dir: &Path) -> Result<DirectoryFrames, String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("frame directory {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["jpg", "jpeg", "png"].contains(&e.to_ascii_lowercase().as_str())
                })
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!(
                "frame directory {} has no .jpg or .png files",
                dir.display()
            ));
        }
        Ok(DirectoryFrames { files, next: 0 })
    }
}

impl FrameSource for DirectoryFrames {
    fn frames(&mut self, n: usize) -> Result<Vec<RgbImage>, String> {
        (0..n)
            .map(|_| {
                let path = &self.files[self.next % self.files.len()];
                self.next += 1;
                image::open(path)
                    .map(|i| i.to_rgb8())
                    .map_err(|e| format!("frame {}: {e}", path.display()))
            })
            .collect()
    }
}
