#![no_main]
// A room package's JSON as the kiosk reads it after the signature (the office signs it,
// but a mistake at the office must still be a clear error): parse, then the checks the
// kiosk runs on the values. Never panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(p) = serde_json::from_slice::<examgate::package::format::RoomPackage>(data) else {
        return;
    };
    let _ = p.policy.problems();
    for i in &p.invigilators {
        let _ = examgate::invigilator::hash_strength(&i.pin_hash);
    }
    for c in &p.candidates {
        let _ = examgate::package::format::decode_template(&c.template);
        let _ = examgate::package::format::parse_document_kind(&c.document_kind);
    }
});
