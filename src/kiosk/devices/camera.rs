//! A camera on its own thread: it keeps grabbing frames at the device's pace, reports the
//! device lost when a grab fails and back when reopening works again, and hands the newest
//! frames to the door. Without it a camera unplugged while the door is idle would never be
//! noticed, and one plugged back in would never be reopened (the door asks for frames only
//! while idle or capturing).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use image::RgbImage;

use super::FrameSource;
use crate::platform::clock::Stopwatch;

/// One frame at a time from a device (the V4L2 adapter, or a directory of files).
pub trait Grab {
    /// The next frame; an error means the device is gone (it is reopened).
    fn grab(&mut self) -> Result<RgbImage, String>;
}

/// Opens the device (again, after a loss).
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn Grab>, String> + Send>;

/// Told when the camera goes (`false`, with why) and comes back (`true`). Returns false when
/// nobody listens any more, which stops the thread.
pub type Watcher = Box<dyn FnMut(bool, &str) -> bool + Send>;

/// Timing of the capture thread.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Shortest time between two grabs (a directory of files has no frame rate of its own).
    pub min_interval: Duration,
    /// Wait before trying to reopen a lost camera.
    pub retry: Duration,
    /// How long the door waits for one frame before calling the camera unavailable.
    pub frame_timeout: Duration,
}

impl Default for Pace {
    fn default() -> Pace {
        Pace {
            min_interval: Duration::from_millis(40),
            retry: Duration::from_secs(1),
            frame_timeout: Duration::from_secs(2),
        }
    }
}

#[derive(Default)]
struct State {
    /// Frames grabbed so far and the newest one.
    count: u64,
    latest: Option<RgbImage>,
    /// Why the camera is unavailable, if it is.
    down: Option<String>,
    /// The door waited for a frame in vain (a grab that hangs): the door was told the
    /// camera is lost, so the next frame must tell it the camera is back.
    stalled: bool,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The door's side of the capture thread.
pub struct LiveCamera {
    shared: Arc<Shared>,
    pace: Pace,
    thread: Option<JoinHandle<()>>,
}

impl LiveCamera {
    /// Start the capture thread. The first open happens on it: a camera missing at start is
    /// reported through `watcher` like one lost later.
    pub fn start(open: Opener, watcher: Watcher, pace: Pace) -> LiveCamera {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let inner = shared.clone();
        let thread = std::thread::Builder::new()
            .name("examgate-camera".into())
            .spawn(move || capture(&inner, open, watcher, pace))
            .expect("the OS starts a thread");
        LiveCamera {
            shared,
            pace,
            thread: Some(thread),
        }
    }
}

impl Drop for LiveCamera {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn capture(shared: &Shared, mut open: Opener, mut watcher: Watcher, pace: Pace) {
    let mut device: Option<Box<dyn Grab>> = None;
    // None until the first open says whether the camera is there.
    let mut up: Option<bool> = None;
    let mut last_grab: Option<Stopwatch> = None;
    loop {
        if shared.lock().stop {
            return;
        }
        let result = match device.as_mut() {
            Some(d) => {
                if let Some(t) = last_grab {
                    std::thread::sleep(pace.min_interval.saturating_sub(t.elapsed()));
                }
                last_grab = Some(Stopwatch::start());
                // A decoder that panics on a corrupt frame is a lost device (reopened),
                // not a dead capture thread.
                match crate::platform::isolate::isolate("camera", || d.grab()) {
                    Ok(grabbed) => grabbed.map(Some),
                    Err(fault) => Err(fault.to_string()),
                }
            }
            None => open().map(|d| {
                device = Some(d);
                None
            }),
        };
        match result {
            Ok(frame) => {
                let mut s = shared.lock();
                s.down = None;
                let stalled = std::mem::take(&mut s.stalled) && frame.is_some();
                if let Some(f) = frame {
                    s.count += 1;
                    s.latest = Some(f);
                }
                drop(s);
                shared.changed.notify_all();
                if (up == Some(false) || stalled) && !watcher(true, "") {
                    return;
                }
                up = Some(true);
            }
            Err(why) => {
                device = None;
                shared.lock().down = Some(why.clone());
                shared.changed.notify_all();
                if up != Some(false) && !watcher(false, &why) {
                    return;
                }
                up = Some(false);
                let s = shared.lock();
                let _ = shared
                    .changed
                    .wait_timeout_while(s, pace.retry, |s| !s.stop);
            }
        }
    }
}

impl FrameSource for LiveCamera {
    fn frames(&mut self, n: usize) -> Result<Vec<RgbImage>, String> {
        if self.thread.as_ref().is_none_or(|t| t.is_finished()) {
            return Err("the camera's capture thread has stopped".into());
        }
        let mut out = Vec::with_capacity(n);
        let mut s = self.shared.lock();
        let mut seen = s.count;
        while out.len() < n {
            let waited = Stopwatch::start();
            while s.count == seen && s.down.is_none() && !s.stop {
                let left = self.pace.frame_timeout.saturating_sub(waited.elapsed());
                if left.is_zero() {
                    s.stalled = true;
                    return Err(format!(
                        "the camera gave no frame within {} ms",
                        self.pace.frame_timeout.as_millis()
                    ));
                }
                s = self
                    .shared
                    .changed
                    .wait_timeout(s, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            if let Some(why) = &s.down {
                return Err(format!("the camera is unavailable: {why}"));
            }
            if s.stop {
                return Err("the camera is stopping".into());
            }
            seen = s.count;
            if let Some(f) = &s.latest {
                out.push(f.clone());
            }
        }
        Ok(out)
    }
}

impl Grab for super::emulated::DirectoryFrames {
    fn grab(&mut self) -> Result<RgbImage, String> {
        let mut one = self.frames(1)?;
        one.pop().ok_or_else(|| "no frame".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc::{channel, Receiver};

    /// A device that works while `plugged` is set and numbers its frames in the red channel.
    struct Plug {
        plugged: Arc<AtomicBool>,
        n: u8,
    }

    impl Grab for Plug {
        fn grab(&mut self) -> Result<RgbImage, String> {
            if !self.plugged.load(Ordering::SeqCst) {
                return Err("unplugged".into());
            }
            self.n = self.n.wrapping_add(1);
            Ok(RgbImage::from_pixel(4, 4, image::Rgb([self.n, 0, 0])))
        }
    }

    fn fast() -> Pace {
        Pace {
            min_interval: Duration::from_millis(2),
            retry: Duration::from_millis(10),
            frame_timeout: Duration::from_millis(500),
        }
    }

    fn camera(plugged: Arc<AtomicBool>, opens: Arc<AtomicUsize>) -> (LiveCamera, Receiver<bool>) {
        let (tx, rx) = channel();
        let open: Opener = Box::new(move || {
            opens.fetch_add(1, Ordering::SeqCst);
            if plugged.load(Ordering::SeqCst) {
                Ok(Box::new(Plug {
                    plugged: plugged.clone(),
                    n: 0,
                }) as Box<dyn Grab>)
            } else {
                Err("no /dev/video0".into())
            }
        });
        let watcher: Watcher = Box::new(move |up, _| tx.send(up).is_ok());
        (LiveCamera::start(open, watcher, fast()), rx)
    }

    fn wait(rx: &Receiver<bool>) -> bool {
        rx.recv_timeout(Duration::from_secs(5))
            .expect("a camera report within 5 s")
    }

    #[test]
    fn frames_are_new_and_distinct() {
        let plugged = Arc::new(AtomicBool::new(true));
        let (mut cam, rx) = camera(plugged, Arc::default());
        let frames = cam.frames(3).expect("frames");
        assert_eq!(frames.len(), 3);
        let reds: Vec<u8> = frames.iter().map(|f| f.get_pixel(0, 0)[0]).collect();
        assert!(reds.windows(2).all(|w| w[0] != w[1]), "{reds:?}");
        assert!(rx.try_recv().is_err(), "a working camera reports nothing");
    }

    #[test]
    fn a_camera_missing_at_start_is_reported_then_found() {
        let plugged = Arc::new(AtomicBool::new(false));
        let opens = Arc::new(AtomicUsize::new(0));
        let (mut cam, rx) = camera(plugged.clone(), opens.clone());
        assert!(!wait(&rx), "lost first");
        let e = cam.frames(1).expect_err("no camera");
        assert!(e.contains("no /dev/video0"), "{e}");
        plugged.store(true, Ordering::SeqCst);
        assert!(wait(&rx), "back once plugged in");
        assert!(opens.load(Ordering::SeqCst) >= 2, "reopened");
        assert_eq!(cam.frames(2).expect("frames").len(), 2);
    }

    #[test]
    fn an_unplugged_camera_is_lost_once_and_back_once() {
        let plugged = Arc::new(AtomicBool::new(true));
        let (mut cam, rx) = camera(plugged.clone(), Arc::default());
        cam.frames(1).expect("frames");
        plugged.store(false, Ordering::SeqCst);
        assert!(!wait(&rx));
        std::thread::sleep(Duration::from_millis(100)); // several failed reopen attempts
        assert!(
            rx.try_recv().is_err(),
            "one report per loss: {:?}",
            rx.try_recv()
        );
        assert!(cam.frames(1).is_err());
        plugged.store(true, Ordering::SeqCst);
        assert!(wait(&rx));
        cam.frames(1).expect("frames again");
    }

    #[test]
    fn dropping_stops_the_thread() {
        let plugged = Arc::new(AtomicBool::new(false));
        let (cam, rx) = camera(plugged, Arc::default());
        assert!(!wait(&rx));
        drop(cam); // joins: a thread that never stopped would hang the test here
    }

    /// A device whose grab hangs while `hung` is set, and panics once when `poison` is.
    struct Flaky {
        hung: Arc<AtomicBool>,
        poison: Arc<AtomicBool>,
    }

    impl Grab for Flaky {
        fn grab(&mut self) -> Result<RgbImage, String> {
            while self.hung.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
            if self.poison.swap(false, Ordering::SeqCst) {
                panic!("corrupt MJPEG frame");
            }
            Ok(RgbImage::new(4, 4))
        }
    }

    #[test]
    fn r12_a_hung_grab_is_reported_back_when_frames_flow_and_a_panic_is_a_reopen() {
        let (hung, poison) = (
            Arc::new(AtomicBool::new(true)),
            Arc::new(AtomicBool::new(false)),
        );
        let (tx, rx) = channel();
        let (h, p) = (hung.clone(), poison.clone());
        let open: Opener = Box::new(move || {
            Ok(Box::new(Flaky {
                hung: h.clone(),
                poison: p.clone(),
            }) as Box<dyn Grab>)
        });
        let watcher: Watcher = Box::new(move |up, _| tx.send(up).is_ok());
        let mut cam = LiveCamera::start(open, watcher, fast());
        let e = cam.frames(1).expect_err("a hung camera gives nothing");
        assert!(e.contains("no frame within 500 ms"), "{e}");
        hung.store(false, Ordering::SeqCst);
        assert!(
            wait(&rx),
            "frames flow again: the door is told the camera is back"
        );
        assert_eq!(cam.frames(1).expect("frames").len(), 1);
        // A grab that panics (a decoder on a corrupt frame) does not kill the thread: the
        // device is reported lost, reopened, and back.
        poison.store(true, Ordering::SeqCst);
        assert!(!wait(&rx), "lost on the panic");
        assert!(wait(&rx), "back after the reopen");
        assert_eq!(cam.frames(2).expect("frames").len(), 2);
    }
}
