//! Offscreen rendering with slint's software renderer: no display, no GPU. Used by
//! `demo --screenshots` and the benchmark; one platform per process (slint's rule).

use std::rc::Rc;

use image::RgbImage;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{PhysicalSize, Rgb8Pixel};

use crate::platform::clock::Stopwatch;

struct Offscreen {
    window: Rc<MinimalSoftwareWindow>,
    start: Stopwatch,
}

impl Platform for Offscreen {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> std::time::Duration {
        self.start.elapsed()
    }
}

/// The offscreen window every component of this process draws into.
pub struct Headless {
    window: Rc<MinimalSoftwareWindow>,
    width: u32,
    height: u32,
}

impl Headless {
    /// Install the offscreen platform at `width` x `height`; fails if a platform is
    /// already set in this process.
    pub fn install(width: u32, height: u32) -> Result<Headless, slint::PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        slint::platform::set_platform(Box::new(Offscreen {
            window: window.clone(),
            start: Stopwatch::start(),
        }))
        .map_err(|e| slint::PlatformError::Other(e.to_string()))?;
        window.set_size(PhysicalSize::new(width, height));
        Ok(Headless {
            window,
            width,
            height,
        })
    }

    /// Draw the current frame.
    pub fn render(&self) -> RgbImage {
        slint::platform::update_timers_and_animations();
        let (w, h) = (self.width as usize, self.height as usize);
        let mut buf = vec![Rgb8Pixel::default(); w * h];
        self.window.request_redraw();
        self.window.draw_if_needed(|r| {
            r.render(&mut buf, w);
        });
        let bytes = buf.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
        RgbImage::from_raw(self.width, self.height, bytes)
            .expect("the buffer has width x height pixels")
    }
}
