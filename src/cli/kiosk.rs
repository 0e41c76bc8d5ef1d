//! `examgate kiosk --package DIR --config FILE`: the kiosk at the door with its real devices.
//! Opens the room package as on exam day (signature, room, validity), picks the session,
//! opens the signed log, then runs the door with the PC/SC reader and the camera on their
//! own threads, a one-second clock tick, and the screen: the window, or with `--headless`
//! decisions and screen changes printed. (Screenshots are the demo's: a kiosk's screens
//! show children's faces, which must not land in files on the door's disk.)
//! Without a window, lines on standard input are what a USB barcode scanner types (ticket
//! numbers, answer-sheet labels); end of input stops the kiosk.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use examgate::face::ModelKind;
use examgate::kiosk::config::{CameraSource, KioskConfig, ScreenLanguage};
use examgate::kiosk::devices::bridge::{self, Mailbox};
use examgate::kiosk::devices::camera::{Grab, LiveCamera, Opener, Pace, Watcher};
use examgate::kiosk::devices::pcsc::{self as card_reader, PcscDocuments};
use examgate::kiosk::devices::v4l::V4lCamera;
use examgate::kiosk::devices::DirectoryFrames;
use examgate::kiosk::door::Device;
use examgate::kiosk::setup::{pick_session, Room};
use examgate::kiosk::station::Command;
use examgate::kiosk::worker::{self, Job, Parts};
use examgate::package::open;
use examgate::platform::clock::{Clock, SystemClock};
use examgate::platform::keystore::{KeyStore, SeedKeyStore};
use examgate::platform::notify::{self, Heartbeat, ServiceManager};
use examgate::ui::Language;
use slint::ComponentHandle;

/// Options of `kiosk`.
#[derive(Args)]
pub struct KioskArgs {
    /// The room's package directory (from `package build`).
    #[arg(long, value_name = "DIR")]
    package: PathBuf,
    /// The kiosk's configuration (kiosk.toml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// No window: print decisions and screen changes; read scanner lines from stdin.
    #[arg(long)]
    headless: bool,
    /// Where the USB stick is mounted: with no package in --package (first boot), this
    /// room's signed package is taken from there.
    #[arg(long, value_name = "DIR", default_value = "/media/examgate-usb")]
    import_from: PathBuf,
}

/// Run the kiosk until its window closes or its input ends.
pub fn run(args: KioskArgs) -> anyhow::Result<ExitCode> {
    let config = KioskConfig::load(&args.config)?;
    let office_text = std::fs::read_to_string(&config.office_key)
        .with_context(|| format!("reading the office key {}", config.office_key.display()))?;
    let office = examgate::platform::keystore::parse_public_key(
        office_text.trim(),
        &config.office_key.display().to_string(),
    )?;
    let clock = Arc::new(SystemClock);
    if !args
        .package
        .join(examgate::package::format::PACKAGE_FILE)
        .is_file()
    {
        wait_for_package(&config, &office, &args)?;
        // Start again in a fresh process: the window, the devices and the log open as on
        // any start.
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new(std::env::current_exe()?)
            .args(std::env::args_os().skip(1))
            .exec();
        anyhow::bail!("starting again after the import: {err}");
    }
    let package = open::open(
        &args.package,
        &office,
        Some(&config.room),
        clock.now_utc_ms(),
    )
    .with_context(|| format!("opening the room package {}", args.package.display()))?;
    // The engine loads only an embedding model hashing to this pin, so checking the package
    // against it now refuses foreign templates before the slow model load.
    open::check_template_model(&package, ModelKind::Embed.sha256())
        .with_context(|| format!("opening the room package {}", args.package.display()))?;
    let offset = package.offset;
    let now = open::local_time(clock.now_utc_ms(), offset);
    let session = pick_session(&package.package.sessions, config.session.as_deref(), now)?;
    let room = Room::new(&package, session, &config.kiosk_id, config.export.clone())?;
    println!(
        "examgate kiosk {}: {} {}/{}, session {} ({}), {} candidates",
        config.kiosk_id,
        package.package.exam,
        config.room.site,
        config.room.room,
        session.id,
        session.subject,
        room.roster.seated()
    );
    let keys = SeedKeyStore::from_file(&config.kiosk_key)?;
    let journal =
        examgate::journal::Journal::open(&config.log, &config.kiosk_id, &keys.verifying_key())
            .with_context(|| format!("opening the log {}", config.log.display()))?;
    let engine = Arc::new(super::face::load_engine(&config.models)?);

    let (jobs, job_rx) = channel::<Job>();
    let camera = start_camera(&config.camera, jobs.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let reader_thread = {
        let (jobs, stop, wanted) = (jobs.clone(), stop.clone(), config.reader.clone());
        std::thread::Builder::new()
            .name("examgate-reader".into())
            .spawn(move || {
                card_reader::watch(wanted, stop, |c| jobs.send(Job::Command(c)).is_ok())
            })?
    };
    let mut reader = PcscDocuments::new(config.reader.clone(), room.csca);
    // The resident-ID reader's bridge runs for the whole session; its cards start attempts.
    let bridge_stop = config.bridge.as_ref().map(|(program, args)| {
        let mailbox = Mailbox::new();
        reader.add_bridge(mailbox.clone());
        let jobs = jobs.clone();
        bridge::spawn(
            program.display().to_string(),
            args.clone(),
            mailbox,
            move |c| jobs.send(Job::Command(c)).is_ok(),
        )
    });
    let ticker = {
        let (jobs, stop) = (jobs.clone(), stop.clone());
        std::thread::Builder::new()
            .name("examgate-tick".into())
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_secs(1));
                    if jobs.send(Job::Command(Command::Tick)).is_err() {
                        return;
                    }
                }
            })?
    };
    let parts = Parts {
        roster: room.roster,
        engine,
        journal,
        keys: Box::new(keys),
        clock,
        offset,
        reader: Box::new(reader),
        camera: Box::new(camera),
        info: room.info,
        gate: room.gate,
        sealer: Some(room.sealer),
        timeouts: room.timeouts,
    };
    let heartbeat = Arc::new(Heartbeat::default());
    let (updates, worker) = worker::spawn_beating(parts, job_rx, Some(heartbeat.clone()));
    let service = ServiceManager::from_env().map(Arc::new);
    let watchdog = start_watchdog(service.clone(), heartbeat, stop.clone())?;
    let on_idle: super::screen::OnIdle = Some(Box::new(move || {
        // One line on the console (the image's boot test waits for it), and systemd's
        // Type=notify unit is started.
        println!("examgate kiosk: idle screen drawn");
        if let Some(s) = &service {
            let _ = s.notify("READY=1\nSTATUS=idle screen drawn");
        }
    }));
    let lang = screen_language(config.language);
    let failed = if args.headless {
        scanner_from_stdin(jobs);
        super::screen::print_all(updates, true, on_idle)
    } else {
        super::screen::window(jobs, updates, lang, on_idle)?
    };
    stop.store(true, Ordering::SeqCst);
    if let Some(w) = watchdog {
        let _ = w.join();
    }
    if let Some(bridge) = &bridge_stop {
        bridge.store(true, Ordering::SeqCst);
    }
    // A worker that died (a panic outside the isolated jobs) must not look like a clean
    // stop: the service manager restarts the kiosk only on a failure exit.
    let died = worker.join().err().map(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    });
    let _ = reader_thread.join();
    let _ = ticker.join();
    let failed = failed.or(died.map(|why| format!("the door's worker thread died: {why}")));
    if let Some(why) = failed {
        eprintln!("examgate kiosk: stopped: {why}");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "examgate kiosk: stopped; the log is {}",
        config.log.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// First boot: no package in `--package`. Say so (on the screen, or on the console without
/// one) and look at the stick every two seconds until this room's signed package is
/// imported.
fn wait_for_package(
    config: &KioskConfig,
    office: &ed25519_dalek::VerifyingKey,
    args: &KioskArgs,
) -> anyhow::Result<()> {
    use examgate::kiosk::import;
    println!(
        "examgate kiosk {}: no room package in {}: waiting for an invigilator to insert the USB stick ({})",
        config.kiosk_id,
        args.package.display(),
        args.import_from.display()
    );
    let look = {
        let (stick, room, office, to) = (
            args.import_from.clone(),
            config.room.clone(),
            *office,
            args.package.clone(),
        );
        move || {
            import::import(
                &stick,
                &room,
                &office,
                ModelKind::Embed.sha256(),
                SystemClock.now_utc_ms(),
                &to,
            )
        }
    };
    if let Some(service) = ServiceManager::from_env() {
        // Waiting is this kiosk's ready state on a first boot.
        let _ = service.notify("READY=1\nSTATUS=waiting for a room package");
    }
    if args.headless {
        let mut refused = String::new();
        while !import_said(look(), &mut refused) {
            std::thread::sleep(Duration::from_secs(2));
        }
        return Ok(());
    }
    #[cfg(feature = "kms")]
    examgate::ui::keyboard::install_direct_kms()?;
    let ui = examgate::ui::AppWindow::new()?;
    examgate::ui::set_language(&ui, screen_language(config.language));
    let mut view = examgate::kiosk::view::View {
        screen: examgate::kiosk::view::Screen::NoPackage,
        room: format!("{} · {}", config.room.site, config.room.room),
        ..Default::default()
    };
    examgate::ui::show(&ui, &view);
    let weak = ui.as_weak();
    let timer = slint::Timer::default();
    let imported = std::rc::Rc::new(std::cell::Cell::new(false));
    let done = imported.clone();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_secs(2),
        move || {
            let Some(ui) = weak.upgrade() else { return };
            let before = view.refused.clone();
            if import_said(look(), &mut view.refused) {
                done.set(true);
                let _ = slint::quit_event_loop();
            } else if view.refused != before {
                examgate::ui::show(&ui, &view);
            }
        },
    );
    ui.run()?;
    anyhow::ensure!(
        imported.get(),
        "the window closed before a room package was imported"
    );
    Ok(())
}

/// The window's language for the configured one.
fn screen_language(language: ScreenLanguage) -> Language {
    match language {
        ScreenLanguage::Chinese => Language::Chinese,
        ScreenLanguage::English => Language::English,
    }
}

/// Say what a look at the stick found (a refusal once, until it changes); whether the
/// package was imported.
fn import_said(found: examgate::kiosk::import::Found, refused: &mut String) -> bool {
    use examgate::kiosk::import::Found;
    match found {
        Found::Nothing => false,
        Found::Imported(from) => {
            println!(
                "examgate kiosk: imported the room package from {}",
                from.display()
            );
            true
        }
        Found::Refused(why) => {
            if why != *refused {
                println!("examgate kiosk: refused: {why}");
                *refused = why;
            }
            false
        }
    }
}

/// Ping the service manager's watchdog at half its interval while the door's worker is
/// alive; a worker silent for [`notify::WORKER_SILENCE`] is left to be restarted.
fn start_watchdog(
    service: Option<Arc<ServiceManager>>,
    heartbeat: Arc<Heartbeat>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<Option<std::thread::JoinHandle<()>>> {
    let (Some(service), Some(interval)) = (service, notify::watchdog_interval()) else {
        return Ok(None);
    };
    let every = interval / 2;
    let handle = std::thread::Builder::new()
        .name("examgate-watchdog".into())
        .spawn(move || {
            let mut silent_said = false;
            while !stop.load(Ordering::SeqCst) {
                let age = heartbeat.age();
                if notify::worker_alive(age) {
                    let _ = service.notify("WATCHDOG=1");
                    silent_said = false;
                } else if !silent_said {
                    eprintln!(
                        "examgate kiosk: the door's worker has been silent for {} s: no watchdog ping, systemd will restart the kiosk",
                        age.as_secs()
                    );
                    silent_said = true;
                }
                std::thread::sleep(every);
            }
        })?;
    Ok(Some(handle))
}

/// The camera's capture thread; its losses and returns go to the door.
fn start_camera(source: &CameraSource, jobs: Sender<Job>) -> LiveCamera {
    let open: Opener = match source.clone() {
        CameraSource::Device {
            index,
            width,
            height,
        } => Box::new(move || {
            V4lCamera::open(index, width, height).map(|c| Box::new(c) as Box<dyn Grab>)
        }),
        CameraSource::Directory(dir) => {
            Box::new(move || DirectoryFrames::open(&dir).map(|d| Box::new(d) as Box<dyn Grab>))
        }
    };
    let watcher: Watcher = Box::new(move |up, why| {
        if !up {
            eprintln!("examgate kiosk: {why}");
        }
        let c = if up {
            Command::DeviceBack(Device::Camera)
        } else {
            Command::DeviceLost(Device::Camera)
        };
        jobs.send(Job::Command(c)).is_ok()
    });
    LiveCamera::start(open, watcher, Pace::default())
}

/// Standard input as the barcode scanner: each line is a scan; the end stops the kiosk.
fn scanner_from_stdin(jobs: Sender<Job>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if jobs
                .send(Job::Command(Command::Scan(line.to_string())))
                .is_err()
            {
                return;
            }
        }
        let _ = jobs.send(Job::Quit);
    });
}
