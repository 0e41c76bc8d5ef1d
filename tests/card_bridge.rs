//! The resident-ID reader bridge against a fake bridge program (tests/fixtures/fake-bridge.sh):
//! a card with its photo, a malformed line, a dead program, and silence (timeout).

mod common;

use std::time::Duration;

use examgate::card::bridge::{Bridge, BridgeError};

fn start(args: &[&str]) -> Bridge {
    let program = common::root().join("tests/fixtures/fake-bridge.sh");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    Bridge::start(program.to_str().expect("utf-8 path"), &args).expect("bridge starts")
}

#[test]
fn a_card_arrives_with_its_photo() {
    let photo = common::root().join("tests/fixtures/emrtd/face.jpg");
    let mut bridge = start(&["good", photo.to_str().expect("path")]);
    let card = bridge.next_card(Duration::from_secs(10)).expect("a card");
    assert_eq!(card.id_number, "11010519491231002X");
    assert_eq!(card.name, "吉田 𠮷");
    assert_eq!(card.photo, std::fs::read(&photo).expect("photo"));
    // The face engine can use the photo.
    let frame = examgate::imaging::decode(&card.photo).expect("decodes");
    assert_eq!(common::engine().analyze(&frame).expect("engine").faces, 1);
}

#[test]
fn a_malformed_line_a_dead_program_and_silence_are_clear_errors() {
    let err = start(&["garbage"])
        .next_card(Duration::from_secs(10))
        .expect_err("garbage");
    assert!(
        matches!(err, BridgeError::Malformed { line: 1, .. }),
        "{err:?}"
    );
    let err = start(&["die"])
        .next_card(Duration::from_secs(10))
        .expect_err("died");
    assert!(
        matches!(&err, BridgeError::Died { status } if status.contains('3')),
        "{err:?}"
    );
    let err = start(&["silent"])
        .next_card(Duration::from_millis(300))
        .expect_err("silent");
    assert_eq!(err, BridgeError::Timeout(300));
    let missing = Bridge::start("/nonexistent/bridge", &[])
        .err()
        .expect("cannot start");
    assert!(
        missing.to_string().contains("/nonexistent/bridge"),
        "{missing}"
    );
}
