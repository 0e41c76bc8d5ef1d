#![no_main]
// A chip's or a bridge's portrait through the project's decode entry (JPEG, PNG, JPEG 2000
// with the portrait limits): never panic, and what decodes is within the limits.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(img) = examgate::imaging::decode_portrait(data) {
        assert!(u64::from(img.width()) * u64::from(img.height()) <= 4_194_304 * 2);
    }
});
