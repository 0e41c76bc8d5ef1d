//! `examgate doctor --config kiosk.toml [--package DIR] [--json]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use examgate::doctor::{self, Check};
use examgate::kiosk::config::KioskConfig;
use examgate::package::open;
use examgate::platform::clock::{Clock, SystemClock};
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
        Ok(config) => checks(&config, args.package.as_deref()),
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

fn checks(config: &KioskConfig, package: Option<&std::path::Path>) -> Vec<Check> {
    let mut checks = vec![Check::pass(
        "configuration",
        format!(
            "kiosk {} at {}/{}",
            config.kiosk_id, config.room.site, config.room.room
        ),
    )];
    checks.extend(doctor::models(&config.models));
    let (key, keys) = doctor::kiosk_key(&config.kiosk_key);
    checks.push(key);
    checks.push(doctor::log(&config.log, &config.kiosk_id, keys.as_ref()));
    if let Some(dir) = package {
        let now = SystemClock.now_utc_ms();
        let opened = std::fs::read_to_string(&config.office_key)
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
            })
            .and_then(|office| {
                open::open(dir, &office, Some(&config.room), now).map_err(|e| e.to_string())
            });
        checks.push(doctor::package(opened.as_ref().map_err(Clone::clone), dir));
        if let Ok(p) = &opened {
            checks.push(doctor::clock(now, p));
        }
    }
    checks.push(doctor::camera(&config.camera));
    checks.push(doctor::reader(config.reader.as_deref()));
    if let Some((program, _)) = &config.bridge {
        checks.push(doctor::bridge(program));
    }
    checks
}
