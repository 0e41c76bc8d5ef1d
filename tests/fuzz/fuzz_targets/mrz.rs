#![no_main]
// MRZ text from DG1 or an operator: parsing and key derivation never panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = examgate::card::mrz::parse(text);
        let _ = examgate::card::mrz::AccessKey::from_mrz(text);
    }
});
