#![no_main]
// EF.SOD (CMS SignedData) and passive authentication over it: never panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(sod) = examgate::card::sod::parse(data) {
        let _ = examgate::card::pa::verify(Ok(&sod), &[], &[], 0);
    }
});
