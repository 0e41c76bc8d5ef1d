#![no_main]
// BER-TLV of chip responses: never panic, and what parses re-encodes to the same bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(items) = examgate::card::tlv::parse_all(data) {
        let again: Vec<u8> = items.iter().flat_map(|t| t.raw.to_vec()).collect();
        assert_eq!(again, data);
    }
});
