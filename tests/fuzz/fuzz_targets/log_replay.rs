#![no_main]
// Log events read back (the kiosk replays its own log at every start; the office reads
// every export): kind and payload from the input, then a replay of the rows. Never panic;
// an unknown kind or a bad payload is an error naming the event.
use examgate::journal::events::Event;
use examgate::journal::StoredRow;

const KINDS: [&str; 12] = [
    "session_opened",
    "decision",
    "paper_checked",
    "door_timeout",
    "invigilator_unlock",
    "invigilator_pin_rejected",
    "referral_resolved",
    "manual_admission",
    "incident",
    "seal",
    "worker_fault",
    "teleport",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut rows = Vec::new();
    for (i, chunk) in data.split(|&b| b == 0xFF).enumerate() {
        let Some((&k, payload)) = chunk.split_first() else {
            continue;
        };
        let kind = KINDS[usize::from(k) % KINDS.len()];
        if let Ok(e) = Event::parse(kind, payload) {
            // What parses round-trips through its stored form.
            assert_eq!(Event::parse(e.kind_name(), &e.payload()).as_ref(), Ok(&e));
        }
        rows.push(StoredRow {
            kiosk_id: "K".into(),
            seq: i as i64 + 1,
            at_ms: i as i64,
            kind: kind.into(),
            payload: payload.to_vec(),
            prev_hash: vec![],
            hash: vec![],
            signature: vec![],
        });
    }
    let _ = examgate::kiosk::resume::replay(&rows, "chinese");
});
