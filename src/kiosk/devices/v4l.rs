//! The V4L2 camera through nokhwa: the only file that names nokhwa types. Opens
//! `/dev/videoN` at the resolution closest to the one asked for and turns each frame into
//! RGB (YUYV and RGB by nokhwa, MJPEG by `image`'s JPEG decoder).

use image::RgbImage;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};
use nokhwa::Camera;

use super::camera::Grab;

/// An open, streaming V4L2 camera.
pub struct V4lCamera {
    camera: Camera,
    index: u32,
}

impl V4lCamera {
    /// Open `/dev/video{index}` and start streaming. The error names the device and what
    /// V4L2 said (no such device, busy, no usable format).
    pub fn open(index: u32, width: u32, height: u32) -> Result<V4lCamera, String> {
        let wanted = CameraFormat::new(Resolution::new(width, height), FrameFormat::YUYV, 30);
        let format = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
        // CameraIndex::Index, not String("/dev/video0"): the v4l backend parses strings as
        // numbers (stack.md §5.2).
        let mut camera = Camera::new(CameraIndex::Index(index), format)
            .map_err(|e| format!("camera /dev/video{index}: {e}"))?;
        camera
            .open_stream()
            .map_err(|e| format!("camera /dev/video{index}: starting the stream: {e}"))?;
        Ok(V4lCamera { camera, index })
    }
}

/// The V4L2 devices there are, as (index, name, description). Output and metadata nodes are
/// listed too (a driver may offer several per camera): opening one says whether it captures.
pub fn list() -> Result<Vec<(String, String, String)>, String> {
    nokhwa::query(ApiBackend::Video4Linux)
        .map(|found| {
            found
                .into_iter()
                .map(|c| {
                    (
                        c.index().to_string(),
                        c.human_name(),
                        c.description().to_string(),
                    )
                })
                .collect()
        })
        .map_err(|e| format!("listing V4L2 cameras: {e}"))
}

impl Grab for V4lCamera {
    fn grab(&mut self) -> Result<RgbImage, String> {
        let index = self.index;
        let buffer = self
            .camera
            .frame()
            .map_err(|e| format!("camera /dev/video{index}: {e}"))?;
        if buffer.source_frame_format() == FrameFormat::MJPEG {
            return image::load_from_memory_with_format(buffer.buffer(), image::ImageFormat::Jpeg)
                .map(|i| i.to_rgb8())
                .map_err(|e| format!("camera /dev/video{index}: a bad MJPEG frame: {e}"));
        }
        buffer
            .decode_image::<RgbFormat>()
            .map_err(|e| format!("camera /dev/video{index}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The only camera path these machines can run (no /dev/video*, stack.md §5.4): a
    /// missing device is an error naming it, not a panic or a hang.
    #[test]
    fn a_missing_device_is_named() {
        if std::path::Path::new("/dev/video63").exists() {
            return;
        }
        let e = V4lCamera::open(63, 640, 480)
            .err()
            .expect("no /dev/video63 here");
        assert!(e.contains("/dev/video63"), "{e}");
    }
}
