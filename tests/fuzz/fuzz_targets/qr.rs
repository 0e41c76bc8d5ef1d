#![no_main]
// The QR finder on a frame made of the input (the first byte gives the width): the door
// calls it on every idle camera frame, so it must return. rqrr has asserts that noise can
// trip (two are regression tests in kiosk::ticket); the door runs the finder isolated, and
// that isolation is what is fuzzed here: libfuzzer-sys's panic hook aborts on any panic,
// caught or not, so it is replaced by a silent one and only a panic that escapes
// `find_qr` (reaching libfuzzer-sys's own catch) is a crash.
use std::sync::Once;

static QUIET: Once = Once::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Some((&w, rest)) = data.split_first() else {
        return;
    };
    let w = u32::from(w.max(1));
    let h = (rest.len() as u32 / w).min(400);
    if h == 0 {
        return;
    }
    let frame = image::RgbImage::from_fn(w, h, |x, y| {
        let v = rest[(y * w + x) as usize];
        image::Rgb([v, v, v])
    });
    let _ = examgate::kiosk::ticket::find_qr(&frame);
});
