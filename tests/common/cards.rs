//! The virtual cards of `../shared/tools` (`card-testing.md`) for the PC/SC end-to-end
//! tests: whether the environment is up, putting a card into a slot and taking it away.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Whether the virtual-card environment is up (`.ci/test` sets this after starting it).
/// Without it each test says so and passes vacuously; CI always sets it.
pub fn enabled() -> bool {
    let on = std::env::var_os("EXAMGATE_CARD_TESTS").is_some();
    if !on {
        eprintln!("EXAMGATE_CARD_TESTS is not set: skipping a PC/SC test (run .ci/test)");
    }
    on
}

fn tools() -> PathBuf {
    super::root().join("../shared/tools")
}

fn vcard_dir() -> PathBuf {
    std::env::var_os("VCARD_DIR")
        .map_or_else(|| PathBuf::from("/tmp/virtual-card-env"), PathBuf::from)
}

/// Put a card made with `args` into `slot` (replacing what is there).
pub fn insert(slot: u8, args: &[&str]) {
    let out = Command::new(tools().join("virtual-card-env.sh"))
        .args(["start", "--slot", &slot.to_string()])
        .args(args)
        .output()
        .expect("virtual-card-env.sh runs");
    assert!(
        out.status.success(),
        "virtual-card-env.sh start {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Take the card out of `slot`: its process ends and vpcd sees the card gone (pcscd
/// notices within a few hundred milliseconds).
pub fn remove(slot: u8) {
    let pid_file = vcard_dir().join(format!("vicc{slot}.pid"));
    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
        // Already gone when no card was there: that is fine.
        let _ = Command::new("kill")
            .arg(pid.trim())
            .stderr(Stdio::null())
            .status();
    }
}
