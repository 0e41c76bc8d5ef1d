#![no_main]
// The QR finder on a frame made of the input (the first two bytes give the width): the
// door calls it on every idle camera frame, so it must return, panic isolated or not.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
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
