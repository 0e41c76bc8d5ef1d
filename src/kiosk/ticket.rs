//! Admission tickets: the number a ticket carries (typed by the barcode scanner or in the
//! QR code the candidate holds up to the camera), read from a camera frame, and drawn as a
//! printed ticket for the demo's candidates.

use image::{Rgb, RgbImage};

use crate::decision::TicketNumber;
use crate::platform::isolate::{isolate, Fault};

/// Why a scanned code is not a ticket number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an admission-ticket number (6–20 digits)")]
pub struct NotATicket(pub String);

/// A ticket number from a scanned code (surrounding blanks ignored).
pub fn parse(code: &str) -> Result<TicketNumber, NotATicket> {
    let t = code.trim();
    if (6..=20).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(TicketNumber(t.to_string()))
    } else {
        Err(NotATicket(t.chars().take(40).collect()))
    }
}

/// How long the same code held up to the camera is not taken again: the candidate may
/// still be holding it when the door is idle after their result.
pub const REPEAT_MS: i64 = 30_000;

/// Whether `code` seen at `now_ms` is new, given the last code taken and when.
pub fn is_fresh(last: Option<&(String, i64)>, code: &str, now_ms: i64) -> bool {
    match last {
        Some((seen, at)) => seen != code || now_ms - at >= REPEAT_MS,
        None => true,
    }
}

/// The text of the first QR code found in `frame`, if any decodes. rqrr 0.10 asserts on
/// some small rotated codes (its `Perspective::map`), in release builds too: a printed
/// image held up to the camera must not take the kiosk down, so the finder runs isolated
/// and such a frame is a [`Fault`] of stage `qr`.
pub fn find_qr(frame: &RgbImage) -> Result<Option<String>, Fault> {
    isolate("qr", || find_qr_unguarded(frame))
}

/// [`find_qr`] without the isolation (the regression test shows it panics).
fn find_qr_unguarded(frame: &RgbImage) -> Option<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        frame.width() as usize,
        frame.height() as usize,
        |x, y| {
            let Rgb([r, g, b]) = *frame.get_pixel(x as u32, y as u32);
            // Rec. 601 luma, integer.
            ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000) as u8
        },
    );
    prepared
        .detect_grids()
        .iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
}

/// A printed ticket with `ticket`'s QR code, `module_px` pixels per module, on a white card
/// with the quiet zone the standard asks for (4 modules).
pub fn qr_card(ticket: &str, module_px: u32) -> RgbImage {
    let code = qrcode::QrCode::new(ticket.as_bytes())
        .expect("a ticket number fits a QR code many times over");
    let n = code.width() as u32;
    let colours = code.to_colors();
    let side = (n + 8) * module_px;
    RgbImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / module_px, y / module_px);
        let dark = (4..n + 4).contains(&mx)
            && (4..n + 4).contains(&my)
            && colours[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark;
        if dark {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    })
}

/// A small QR code (5.4 px modules, one-module quiet zone) turned by 221° with a slight
/// shear, nearest-neighbour, on a dark background: the kind of frame a printed code
/// held up to the camera gives. Found by a random search over such frames; it trips
/// rqrr 0.10.1's `expect("rotated perspective can't fail")` (identify/grid.rs), the way
/// zxing's blackbox image qrcode-6/7.png trips its `assert!(x <= i32::MAX as f64)`. Kept as library code for the tests and the fuzz
/// seed corpus: the kiosk must survive it.
pub fn small_turned_code() -> RgbImage {
    let text: String = (0..11)
        .map(|i| char::from(b'a' + ((i * 7 + 5492) % 26) as u8))
        .collect();
    let code = qrcode::QrCode::new(text.as_bytes()).expect("fits");
    let n = code.width() as u32;
    let colours = code.to_colors();
    let (quiet, module, a, bg) = (1u32, 5.417_564_f32, 3.856_876_1_f32, 65u8);
    let (ox, oy, shear) = (151.4904_f32, 89.54532_f32, 0.006_361_603_7_f32);
    RgbImage::from_fn(300, 300, |x, y| {
        let (dx, dy) = (x as f32 - ox, y as f32 - oy);
        let u = (dx * a.cos() + dy * a.sin()) / module;
        let v = (-dx * a.sin() + dy * a.cos()) / module + shear * u;
        let side = (n + 2 * quiet) as f32;
        if u < 0.0 || v < 0.0 || u >= side || v >= side {
            return Rgb([bg, bg, bg]);
        }
        let (mx, my) = (u as u32, v as u32);
        let dark = (quiet..n + quiet).contains(&mx)
            && (quiet..n + quiet).contains(&my)
            && colours[((my - quiet) * n + (mx - quiet)) as usize] == qrcode::Color::Dark;
        if dark {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_are_digits_and_others_are_named() {
        assert_eq!(
            parse(" 2027010001\n"),
            Ok(TicketNumber("2027010001".into()))
        );
        assert_eq!(parse("2027-01"), Err(NotATicket("2027-01".into())));
        assert_eq!(parse("12345"), Err(NotATicket("12345".into())));
    }

    #[test]
    fn the_same_code_is_taken_again_only_after_a_while() {
        let last = ("2027010001".to_string(), 1_000);
        assert!(is_fresh(None, "2027010001", 0));
        assert!(!is_fresh(Some(&last), "2027010001", 1_000 + REPEAT_MS - 1));
        assert!(is_fresh(Some(&last), "2027010001", 1_000 + REPEAT_MS));
        assert!(is_fresh(Some(&last), "2027010002", 1_001));
    }

    #[test]
    fn a_ticket_held_up_in_a_camera_frame_is_read_and_a_bare_frame_is_not() {
        let card = qr_card("2027010001", 6);
        let frame = crate::imaging::camera_frame(&card, 640, 480);
        assert_eq!(find_qr(&frame), Ok(Some("2027010001".to_string())));
        assert_eq!(
            find_qr(&RgbImage::from_pixel(640, 480, Rgb([90, 90, 90]))),
            Ok(None)
        );
    }

    #[test]
    fn r12_a_small_turned_code_is_a_fault_not_a_dead_kiosk() {
        let frame = small_turned_code();
        let bare = std::panic::catch_unwind(|| find_qr_unguarded(&frame));
        assert!(bare.is_err(), "the frame still trips rqrr's assert");
        match find_qr(&frame) {
            Err(Fault {
                stage: "qr",
                message,
            }) => {
                assert!(message.contains("rotated perspective"), "{message}")
            }
            other => panic!("expected a qr fault, got {other:?}"),
        }
    }

    /// The frame the `qr` fuzz target builds from its input: the first byte is the width.
    fn fuzz_frame(data: &[u8]) -> RgbImage {
        let (&w, rest) = data.split_first().expect("a width byte");
        let w = u32::from(w.max(1));
        let h = (rest.len() as u32 / w).min(400);
        RgbImage::from_fn(w, h, |x, y| {
            let v = rest[(y * w + x) as usize];
            Rgb([v, v, v])
        })
    }

    /// Found by the `qr` fuzz target in its first 20-minute run: noise that rqrr reads as
    /// capstones trips the same assert from another path (`rotate_capstone`). Isolated, it
    /// is a fault like the printed code above.
    #[test]
    fn r12_fuzzed_noise_that_trips_rqrr_is_a_fault_not_a_dead_kiosk() {
        let frame = fuzz_frame(include_bytes!(
            "../../tests/fixtures/qr-rotate-capstone.bin"
        ));
        assert!(std::panic::catch_unwind(|| find_qr_unguarded(&frame)).is_err());
        assert!(
            matches!(find_qr(&frame), Err(Fault { stage: "qr", .. })),
            "a qr fault"
        );
    }
}
