//! `examgate keys gen`: files, modes, nothing secret printed, no overwrite, and a kiosk key
//! that signs a log its `.pub` verifies.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn examgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_examgate"))
}

#[test]
fn keys_gen_writes_private_files_prints_no_secret_and_never_overwrites() {
    let dir = std::env::temp_dir().join(format!("examgate-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = examgate()
        .args(["keys", "gen", "--kiosk", "K1", "--kiosk", "K2", "--out"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).expect("utf-8");
    for stem in ["office-sign", "office-evidence", "kiosk-K1", "kiosk-K2"] {
        let secret = dir.join(format!("{stem}.key"));
        let mode = std::fs::metadata(&secret)
            .expect("secret written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{stem}.key mode {mode:o}");
        let secret_hex = std::fs::read_to_string(&secret).expect("readable");
        assert_eq!(secret_hex.len(), 64);
        assert!(!printed.contains(&secret_hex), "{stem} secret printed");
        let public_hex = std::fs::read_to_string(dir.join(format!("{stem}.pub"))).expect("pub");
        assert!(
            printed.contains(public_hex.trim()),
            "{stem} public key not shown"
        );
    }

    let again = examgate()
        .args(["keys", "gen", "--out"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));

    // The kiosk key signs a log that its public file verifies; another kiosk's does not.
    // (`log stress` writes a kiosk's own log, with no session to seal: verified as live.)
    let db = dir.join("log.db");
    let wrote = examgate()
        .args(["log", "stress", "--count", "5", "--kiosk", "K1", "--db"])
        .arg(&db)
        .arg("--key-file")
        .arg(dir.join("kiosk-K1.key"))
        .output()
        .expect("runs");
    assert!(
        wrote.status.success(),
        "{}",
        String::from_utf8_lossy(&wrote.stderr)
    );
    let verify = |pub_file: &str| {
        examgate()
            .args(["log", "verify", "--live", "--kiosk-key"])
            .arg(format!("@{}", dir.join(pub_file).display()))
            .arg(&db)
            .output()
            .expect("runs")
            .status
            .success()
    };
    assert!(verify("kiosk-K1.pub"));
    assert!(!verify("kiosk-K2.pub"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}
