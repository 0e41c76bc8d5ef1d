#![no_main]
// A secure-messaging response from a hostile chip, unwrapped with fixed session keys (3DES
// and AES): never panic; a wrong MAC or padding is an error.
use examgate::card::crypto::Cipher;
use examgate::card::sm::Session;
use examgate::card::Response;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(r) = Response::parse(data) else {
        return;
    };
    let mut bac = Session::new(Cipher::Tdes, &[0x11; 16], &[0x22; 16], &[0; 8]);
    let _ = bac.unprotect(&r);
    let mut pace = Session::new(Cipher::Aes(16), &[0x33; 16], &[0x44; 16], &[0; 16]);
    let _ = pace.unprotect(&r);
});
