//! `examgate doctor --config kiosk.toml [--package DIR] [--snap FILE] [--test-card]
//! [--confirm-clock NAME] [--json]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use examgate::card::emrtd;
use examgate::card::pcsc_reader::Readers;
use examgate::card::Deadline;
use examgate::card::Transport;
use examgate::doctor::{self, Check};
use examgate::face::FaceEngine;
use examgate::kiosk::config::{CameraSource, KioskConfig};
use examgate::kiosk::devices::{DirectoryFrames, FrameSource};
use examgate::package::open;
use examgate::platform::clock::{Clock, SystemClock};
use examgate::platform::keystore::SeedKeyStore;
use image::RgbImage;
use serde_json::json;

/// Options of `doctor`.
#[derive(Args)]
pub struct DoctorArgs {
    /// The kiosk's configuration (kiosk.toml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The room package to check (as `kiosk --package` would open it).
    #[arg(long, value_name = "DIR")]
    package: Option<PathBuf>,
    /// Save the camera's frame here for the installer to look at (.png or .jpg).
    #[arg(long, value_name = "FILE")]
    snap: Option<PathBuf>,
    /// Wait for a document to be tapped on the reader and read what can be read without
    /// the holder's keys (ATR, UID, whether it is an ePassport chip).
    #[arg(long)]
    test_card: bool,
    /// How long --test-card waits for a card (seconds).
    #[arg(long, default_value_t = 30, value_name = "S")]
    card_timeout: u64,
    /// The installer compared the clock with a reference clock and it is right: log that
    /// (with this name) in the kiosk's log.
    #[arg(long, value_name = "NAME")]
    confirm_clock: Option<String>,
    /// One JSON object (`ready`, `checks`) instead of lines.
    #[arg(long)]
    json: bool,
}

/// Run every check; exit 0 only when none failed.
pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let checks = match KioskConfig::load(&args.config) {
        Err(e) => vec![Check::fail(
            "configuration",
            e.to_string(),
            "fix kiosk.toml (assets/examples/kiosk.toml is the documented example)",
        )],
        Ok(config) => checks(&config, &args),
    };
    let ready = doctor::ready(&checks);
    if args.json {
        println!("{}", json!({ "ready": ready, "checks": checks }));
    } else {
        for c in &checks {
            println!("{}", c.line());
        }
        println!(
            "{}",
            if ready {
                "ready"
            } else {
                "NOT READY: fix each ✘ above"
            }
        );
    }
    Ok(if ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn checks(config: &KioskConfig, args: &DoctorArgs) -> Vec<Check> {
    let mut checks = vec![Check::pass(
        "configuration",
        format!(
            "kiosk {} at {}/{}",
            config.kiosk_id, config.room.site, config.room.room
        ),
    )];
    let (model_checks, engine) = doctor::models(&config.models);
    checks.extend(model_checks);
    let (key, keys) = doctor::kiosk_key(&config.kiosk_key);
    checks.push(key);
    checks.push(doctor::log(&config.log, &config.kiosk_id, keys.as_ref()));
    let log_dir = config
        .log
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    checks.push(doctor::disk(log_dir, doctor::available_bytes(log_dir)));
    if let Some(dir) = &args.package {
        checks.extend(package_and_clock(config, dir, keys.as_ref(), args));
    }
    checks.extend(camera(
        &config.camera,
        args.snap.as_deref(),
        engine.as_ref(),
    ));
    checks.push(doctor::reader(config.reader.as_deref()));
    if args.test_card {
        checks.push(test_card(
            config.reader.as_deref(),
            Duration::from_secs(args.card_timeout),
        ));
    }
    if let Some((program, bridge_args)) = &config.bridge {
        checks.push(doctor::bridge(
            program,
            bridge_args,
            doctor::devices::BRIDGE_WAIT,
        ));
    }
    checks.push(doctor::display(&drm_cards(), desktop().as_deref()));
    let input = std::fs::read_to_string("/proc/bus/input/devices").unwrap_or_default();
    checks.push(doctor::touch(&doctor::touch_screens(&input)));
    checks
}

/// The package opened as the kiosk opens it, and the clock against it; the installer's
/// confirmation logged when the clock is not provably wrong.
fn package_and_clock(
    config: &KioskConfig,
    dir: &Path,
    keys: Option<&SeedKeyStore>,
    args: &DoctorArgs,
) -> Vec<Check> {
    let now = SystemClock.now_utc_ms();
    let office = std::fs::read_to_string(&config.office_key)
        .map_err(|e| {
            format!(
                "cannot read the office key {}: {e}",
                config.office_key.display()
            )
        })
        .and_then(|text| {
            examgate::platform::keystore::parse_public_key(
                text.trim(),
                &config.office_key.display().to_string(),
            )
            .map_err(|e| e.to_string())
        });
    // The package's error as text for its line, and the clock line when the clock is
    // outside the package's validity.
    let opened = office.map_err(|e| (e, None)).and_then(|office| {
        open::open(dir, &office, Some(&config.room), now)
            .map_err(|e| (e.to_string(), doctor::clock_outside_validity(&e)))
    });
    let mut checks = Vec::new();
    match opened {
        Ok(p) => {
            checks.push(doctor::package(Ok(&p), dir));
            let mut clock = doctor::clock(now, &p, args.confirm_clock.as_deref());
            if let (Some(by), doctor::Status::Pass) = (&args.confirm_clock, clock.status) {
                clock = confirm_clock(config, keys, by, now).unwrap_or(clock);
            }
            checks.push(clock);
        }
        Err((text, clock)) => {
            checks.push(doctor::package(Err(text), dir));
            checks.extend(clock);
        }
    }
    checks
}

/// Log the installer's confirmation; the clock line says it was logged, or why not.
fn confirm_clock(
    config: &KioskConfig,
    keys: Option<&SeedKeyStore>,
    by: &str,
    now: i64,
) -> Option<Check> {
    let Some(keys) = keys else {
        return Some(Check::fail(
            "clock",
            "the confirmation cannot be logged without the kiosk key",
            "fix the kiosk key first",
        ));
    };
    match doctor::log_clock_check(&config.log, &config.kiosk_id, keys, by, now) {
        Ok(_) => None,
        Err(e) => Some(Check::fail(
            "clock",
            format!("the confirmation could not be logged: {e}"),
            "fix the log first (see the log line)",
        )),
    }
}

/// One frame within two seconds, saved with --snap, and the face at the mark.
fn camera(source: &CameraSource, snap: Option<&Path>, engine: Option<&FaceEngine>) -> Vec<Check> {
    let (label, wanted) = match source {
        CameraSource::Directory(dir) => (dir.display().to_string(), None),
        CameraSource::Device {
            index,
            width,
            height,
        } => (format!("/dev/video{index}"), Some((*width, *height))),
    };
    let frame = one_frame(source, doctor::devices::FRAME_WAIT);
    let mut checks = vec![doctor::camera(
        &label,
        frame.as_ref().map_err(Clone::clone),
        wanted,
    )];
    if let Ok(frame) = &frame {
        if let Some(out) = snap {
            checks.push(doctor::snap(frame, out));
        }
        if let Some(engine) = engine {
            checks.push(doctor::face_at_mark(
                engine.analyze(frame).map_err(|e| e.to_string()),
            ));
        }
    }
    checks
}

/// A frame from the camera, or why none came within `wait` (a hung driver does not hang
/// the doctor: the grab runs on its own thread).
fn one_frame(source: &CameraSource, wait: Duration) -> Result<RgbImage, String> {
    let source = source.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(grab(&source));
    });
    rx.recv_timeout(wait)
        .map_err(|_| format!("no frames in {} s", wait.as_secs()))?
}

fn grab(source: &CameraSource) -> Result<RgbImage, String> {
    match source {
        CameraSource::Directory(dir) => DirectoryFrames::open(dir)?
            .frames(1)?
            .pop()
            .ok_or_else(|| "no frame".to_string()),
        CameraSource::Device {
            index,
            width,
            height,
        } => {
            use examgate::kiosk::devices::camera::Grab;
            let mut camera =
                examgate::kiosk::devices::v4l::V4lCamera::open(*index, *width, *height)?;
            camera.grab()
        }
    }
}

/// Wait for a tapped card and read what needs no key: ATR, UID, and whether it answers as
/// an ePassport chip (reading its data needs the holder's MRZ or CAN).
fn test_card(wanted: Option<&str>, timeout: Duration) -> Check {
    let name = "test card";
    let read = || -> anyhow::Result<String> {
        let mut readers = Readers::establish()?;
        eprintln!(
            "doctor: tap a document on the reader (waiting {} s)",
            timeout.as_secs()
        );
        let reader = super::card::wait_for_card(&mut readers, wanted, timeout)?;
        let mut card = readers.connect(&reader)?;
        let hex = examgate::platform::keystore::hex;
        let atr = hex(&card.atr());
        let uid = emrtd::uid(&mut card, &Deadline::never()).map(|u| hex(&u));
        let kind = if emrtd::is_emrtd(&mut card, &Deadline::never())? {
            "an ePassport chip (its data needs the holder's MRZ or CAN)"
        } else {
            "a card without the ePassport application (a UID card)"
        };
        Ok(format!(
            "{reader}: ATR {atr}, UID {}, {kind}",
            uid.as_deref().unwrap_or("none")
        ))
    };
    match read() {
        Ok(found) => Check::pass(name, found),
        Err(e) => Check::fail(
            name,
            format!("{e:#}"),
            "tap the document flat on the reader's mark and hold it still",
        ),
    }
}

fn drm_cards() -> Vec<String> {
    let mut cards: Vec<String> = std::fs::read_dir("/dev/dri")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("card"))
                .collect()
        })
        .unwrap_or_default();
    cards.sort();
    cards
}

fn desktop() -> Option<String> {
    ["WAYLAND_DISPLAY", "DISPLAY"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|d| !d.is_empty()))
}
