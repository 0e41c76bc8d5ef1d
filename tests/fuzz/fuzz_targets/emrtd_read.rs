#![no_main]
// The whole door read (identify, BAC/PACE, files, passive authentication) against a card
// that answers each APDU with the next length-prefixed chunk of the input: never panic,
// never loop past the input (a card repeating itself ends in an error, not a hang).
use examgate::card::emrtd::Access;
use examgate::card::mrz::AccessKey;
use examgate::card::{Deadline, Transport, TransportError};

struct Hostile<'a> {
    data: &'a [u8],
}

impl Transport for Hostile<'_> {
    fn transmit(&mut self, _apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let Some((&n, rest)) = self.data.split_first() else {
            return Err(TransportError::CardRemoved);
        };
        let n = usize::from(n).min(rest.len());
        let (answer, rest) = rest.split_at(n);
        self.data = rest;
        Ok(answer.to_vec())
    }

    fn atr(&self) -> Vec<u8> {
        vec![0x3B, 0x80, 0x80, 0x01, 0x01]
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(key) = AccessKey::from_fields("L898902C3", "690806", "940623") else {
        return;
    };
    let mut card = Hostile { data };
    let _ = examgate::kiosk::devices::read_contactless(
        &mut card,
        Some(&Access::Mrz(key)),
        &[],
        1_800_000_000_000,
        &mut |b: &mut [u8]| b.fill(0x5A),
        &Deadline::never(),
    );
});
