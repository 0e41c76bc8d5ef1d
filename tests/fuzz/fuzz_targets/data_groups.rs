#![no_main]
// EF.COM, DG1 and DG2 (ISO/IEC 19794-5 records) straight from the chip.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = examgate::card::files::parse_com(data);
    let _ = examgate::card::files::parse_dg1(data);
    let _ = examgate::card::files::parse_dg2(data);
    let _ = examgate::card::files::parse_facial_record(data);
});
