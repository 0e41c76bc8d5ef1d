//! The checks on devices: the camera's frames and a face at the mark, the PC/SC reader and
//! its card events, the resident-ID bridge program, the display and the touch screen. The
//! probes that wait (a frame, a card, the bridge) are bounded: the installer is told, not
//! left waiting.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use image::RgbImage;

use super::Check;
use crate::card::bridge::{Bridge, BridgeError};
use crate::face::FrameAnalysis;

/// How long the camera has to deliver a frame.
pub const FRAME_WAIT: Duration = Duration::from_secs(2);

/// How long the bridge program has to show it runs (it prints nothing until a card comes).
pub const BRIDGE_WAIT: Duration = Duration::from_secs(2);

/// A frame from `camera` (a device or a frame directory, named in `label`), at the size
/// configured for a device.
pub fn camera(label: &str, frame: Result<&RgbImage, String>, wanted: Option<(u32, u32)>) -> Check {
    let name = "camera";
    match frame {
        Err(e) => Check::fail(
            name,
            format!("{label}: {e}"),
            "check the cable; examgate camera list shows what is connected",
        ),
        Ok(f) => match wanted {
            Some((w, h)) if f.dimensions() != (w, h) => Check::fail(
                name,
                format!(
                    "{label}: frames are {}x{}, configured {w}x{h}",
                    f.width(),
                    f.height()
                ),
                "set [camera] width/height in kiosk.toml to a size the camera offers",
            ),
            _ => Check::pass(
                name,
                format!("{label}: a {}x{} frame arrived", f.width(), f.height()),
            ),
        },
    }
}

/// Save the frame for the installer to look at.
pub fn snap(frame: &RgbImage, out: &Path) -> Check {
    match frame.save(out) {
        Ok(()) => Check::pass("snapshot", format!("{} (look at it)", out.display())),
        Err(e) => Check::fail(
            "snapshot",
            format!("{}: {e}", out.display()),
            "give --snap a writable path ending in .png or .jpg",
        ),
    }
}

/// Whether someone standing at the mark shows as a face the door would verify. Reported,
/// not required: the installer may be alone at the door.
pub fn face_at_mark(analysis: Result<FrameAnalysis, String>) -> Check {
    let name = "face at the mark";
    match analysis {
        Err(e) => Check::fail(name, e, "run models/fetch.sh, then doctor again"),
        Ok(a) => match a.face {
            Some(face) => {
                let issues: Vec<String> = face.issues.iter().map(|i| format!("{i:?}")).collect();
                let detail = if issues.is_empty() {
                    "usable".to_string()
                } else {
                    format!("issues: {}", issues.join(", "))
                };
                Check::pass(
                    name,
                    format!("a face found ({} in view), {detail}", a.faces),
                )
            }
            None => Check::warn(
                name,
                format!("no face found ({} in view)", a.faces),
                "stand at the mark in front of the camera and run doctor again; adjust the camera's height or light",
            ),
        },
    }
}

/// The PC/SC reader: pcscd answers, the configured reader (or any) is there and its card
/// events arrive.
pub fn reader(wanted: Option<&str>) -> Check {
    let name = "reader";
    let pcscd = "check that pcscd runs (systemctl status pcscd) and the reader is plugged in";
    let mut readers = match crate::card::pcsc_reader::Readers::establish() {
        Ok(r) => r,
        Err(e) => return Check::fail(name, e.to_string(), pcscd),
    };
    let names = match readers.list() {
        Ok(n) => n,
        Err(e) => return Check::fail(name, e.to_string(), pcscd),
    };
    if let Some(w) = wanted.filter(|w| !names.iter().any(|n| n == w)) {
        return Check::fail(
            name,
            format!("{w:?} not connected (pcscd sees: {})", names.join(", ")),
            "plug in the configured reader or fix [reader] name in kiosk.toml",
        );
    }
    if names.is_empty() {
        return Check::fail(name, "pcscd sees no reader", "plug in the reader");
    }
    // The first status call reports every slot; an error here means no card would ever be
    // noticed at the door.
    match readers.next_events(Some(Duration::from_millis(300))) {
        Ok(_) => Check::pass(name, format!("{}; card events arrive", names.join(", "))),
        Err(e) => Check::fail(name, format!("card events: {e}"), pcscd),
    }
}

/// The resident-ID bridge program: an executable that starts and keeps running (or answers
/// with a card) for `wait`.
pub fn bridge(program: &Path, args: &[String], wait: Duration) -> Check {
    let name = "resident-ID bridge";
    match std::fs::metadata(program) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {}
        Ok(_) => {
            return Check::fail(
                name,
                format!("{} is not an executable file", program.display()),
                format!("chmod 755 {}", program.display()),
            )
        }
        Err(e) => {
            return Check::fail(
                name,
                format!("{}: {e}", program.display()),
                "install the reader vendor's bridge or fix [reader] bridge in kiosk.toml",
            )
        }
    }
    let shown = program.display().to_string();
    let mut running = match Bridge::start(&shown, args) {
        Ok(b) => b,
        Err(e) => return Check::fail(name, e.to_string(), "run the bridge by hand to see why"),
    };
    let fix =
        "run the bridge by hand to see what it prints; check the reader's cable and the vendor SDK";
    match running.next_card(wait) {
        Err(BridgeError::Timeout(_)) => {
            Check::pass(name, format!("{shown} started and waits for a card"))
        }
        Ok(card) => Check::pass(
            name,
            format!(
                "{shown} answered with a card (ID number ending {}, {} byte {} photo)",
                card.id_number
                    .get(card.id_number.len().saturating_sub(4)..)
                    .unwrap_or_default(),
                card.photo.len(),
                card.photo_format
            ),
        ),
        Err(e) => Check::fail(name, format!("{shown}: {e}"), fix),
    }
}

/// The display: a DRM device (for linuxkms) or a desktop display. Reported, not required:
/// the installer may run doctor over a serial console.
pub fn display(drm_cards: &[String], desktop: Option<&str>) -> Check {
    let name = "display";
    match (drm_cards.first(), desktop) {
        (_, Some(d)) => Check::pass(name, format!("desktop display {d}")),
        (Some(_), None) => Check::pass(name, format!("DRM {}", drm_cards.join(", "))),
        (None, None) => Check::warn(
            name,
            "no DRM device and no desktop display",
            "connect the screen; the kiosk needs one on exam day",
        ),
    }
}

/// Touch screens among the input devices of `/proc/bus/input/devices`: a device that
/// reports multi-touch positions (ABS_MT_POSITION_X, 0x35) is a touch screen.
pub fn touch_screens(proc_input_devices: &str) -> Vec<String> {
    const ABS_MT_POSITION_X: u32 = 0x35;
    proc_input_devices
        .split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("N: Name="))?;
            let abs = block.lines().find_map(|l| l.strip_prefix("B: ABS="))?;
            has_bit(abs, ABS_MT_POSITION_X).then(|| name.trim_matches('"').to_string())
        })
        .collect()
}

/// Whether bit `n` is set in a kernel bitmap printed as space-separated hex words, most
/// significant first (`B: ABS=260800000000003`); words are `unsigned long`, 64 bits here.
fn has_bit(words: &str, n: u32) -> bool {
    let words: Vec<&str> = words.split_whitespace().collect();
    let index = (n / 64) as usize;
    let Some(word) = words.len().checked_sub(index + 1).map(|i| words[i]) else {
        return false;
    };
    u64::from_str_radix(word, 16).is_ok_and(|w| w & (1 << (n % 64)) != 0)
}

/// The touch screen, as found.
pub fn touch(found: &[String]) -> Check {
    match found.first() {
        Some(_) => Check::pass("touch", found.join(", ")),
        None => Check::warn(
            "touch",
            "no touch screen among the input devices",
            "connect the touch screen's USB cable; invigilators work the kiosk by touch",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two blocks of a real /proc/bus/input/devices: a keyboard and a touch panel.
    const DEVICES: &str = "I: Bus=0011 Vendor=0001 Product=0001 Version=ab41
N: Name=\"AT Translated Set 2 keyboard\"
B: EV=120013
B: KEY=402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe
B: MSC=10

I: Bus=0003 Vendor=222a Product=0001 Version=0110
N: Name=\"ILITEK ILITEK-TP\"
B: PROP=2
B: EV=1b
B: ABS=260800000000003
";

    #[test]
    fn a_multi_touch_device_is_a_touch_screen_and_a_keyboard_is_not() {
        assert_eq!(touch_screens(DEVICES), vec!["ILITEK ILITEK-TP".to_string()]);
        assert_eq!(
            touch(&touch_screens(DEVICES)).status,
            super::super::Status::Pass
        );
        assert!(touch_screens("N: Name=\"mouse\"\nB: ABS=3\n").is_empty());
        assert_eq!(touch(&[]).status, super::super::Status::Warn);
    }

    #[test]
    fn bits_count_from_the_last_word() {
        assert!(has_bit("1 0", 64));
        assert!(!has_bit("1 0", 0));
        assert!(has_bit("8", 3));
        assert!(!has_bit("8", 70));
        assert!(!has_bit("zz", 1));
    }

    #[test]
    fn a_frame_of_another_size_than_configured_fails() {
        let frame = RgbImage::new(640, 480);
        assert_eq!(
            camera("/dev/video0", Ok(&frame), Some((1280, 720))).line(),
            "✘ camera: /dev/video0: frames are 640x480, configured 1280x720 — set [camera] width/height in kiosk.toml to a size the camera offers"
        );
        assert_eq!(
            camera("/dev/video0", Ok(&frame), Some((640, 480))).status,
            super::super::Status::Pass
        );
        assert_eq!(
            camera("/dev/video0", Err("no frames in 2 s".into()), None).line(),
            "✘ camera: /dev/video0: no frames in 2 s — check the cable; examgate camera list shows what is connected"
        );
    }

    #[test]
    fn no_display_is_a_warning() {
        assert_eq!(display(&[], None).status, super::super::Status::Warn);
        assert_eq!(
            display(&["card0".into()], None).status,
            super::super::Status::Pass
        );
    }

    #[test]
    fn a_missing_bridge_fails() {
        assert_eq!(
            bridge(Path::new("/nonexistent/bridge"), &[], BRIDGE_WAIT).status,
            super::super::Status::Fail
        );
    }
}
