//! `examgate demo`: the real kiosk with simulated devices and the built-in demo exam. In a
//! window when there is a display; `--headless` prints each decision without a window;
//! `--screenshots DIR` renders every screen it passes through to PNG with the software
//! renderer (no display needed).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use examgate::kiosk::demo::{self, Stage, Step};
use examgate::kiosk::station::Command;
use examgate::kiosk::worker::{self, Job};
use examgate::ui::Language;

/// Options of `demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Models directory.
    #[arg(long)]
    models: Option<PathBuf>,
    /// Directory of sample photos (models/fetch.sh puts them there).
    #[arg(long, default_value = "assets/samples")]
    samples: PathBuf,
    /// No window: run the script and print each decision.
    #[arg(long)]
    headless: bool,
    /// Write a PNG of every screen passed through to this directory (no window needed).
    #[arg(long, value_name = "DIR")]
    screenshots: Option<PathBuf>,
    /// Screen language: zh (default) or en.
    #[arg(long, default_value = "zh", value_parser = super::screen::parse_language)]
    lang: Language,
    /// Where the demo exam, its packages and the kiosk log are made (default: a new
    /// directory under the system temp dir).
    #[arg(long, value_name = "DIR")]
    work: Option<PathBuf>,
    /// Milliseconds between script steps in the window (so a person can follow).
    #[arg(long, default_value_t = 1500)]
    pace: u64,
    /// Close the window when the script is done (instead of staying interactive).
    #[arg(long)]
    exit_when_done: bool,
}

/// Run the demo.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let work = match &args.work {
        Some(w) => w.clone(),
        None => std::env::temp_dir().join(format!("examgate-demo-{}", std::process::id())),
    };
    if work.exists() && std::fs::read_dir(&work)?.next().is_some() {
        anyhow::bail!(
            "--work {} is not empty; the demo builds a fresh exam there",
            work.display()
        );
    }
    let engine = Arc::new(super::face::load_engine(&super::models_dir(
        args.models.clone(),
    ))?);
    println!(
        "examgate demo: building the demo exam's room packages in {}",
        work.display()
    );
    let demo = demo::prepare(&work, &args.samples, engine)?;
    let stage = demo.stage;
    let (jobs, updates, handle) = worker::spawn(demo.parts);

    let display = std::env::var_os("DISPLAY").is_some();
    let screenshots = match (&args.screenshots, args.headless, display) {
        (Some(dir), _, _) => Some(dir.clone()),
        (None, false, false) => {
            let dir = work.join("screenshots");
            println!(
                "no X display (DISPLAY is unset): running without a window, screens go to {}",
                dir.display()
            );
            Some(dir)
        }
        _ => None,
    };
    let failed = if let Some(dir) = screenshots {
        let script = play(stage.clone(), jobs, 0, false);
        let r = super::screen::render_all(&dir, args.lang, updates);
        let _ = script.join();
        r?
    } else if args.headless {
        let script = play(stage.clone(), jobs, 0, false);
        let r = super::screen::print_all(updates, false, None);
        let _ = script.join();
        r
    } else {
        // The script thread ends when its sends fail after the window closes.
        let _script = play(stage.clone(), jobs.clone(), args.pace, !args.exit_when_done);
        super::screen::window(jobs, updates, args.lang, None)?
    };
    let _ = handle.join();
    if let Some(why) = failed {
        eprintln!("examgate demo: the kiosk stopped: {why}");
        return Ok(ExitCode::FAILURE);
    }
    // The kiosk's own log has no export trailer and is checked with --live; the export
    // (with its trailer) without it, and with the seal code printed at the seal.
    println!(
        "the kiosk's signed log: {}\n  check it with: examgate log verify --live --kiosk-key {} {}\n  \
         its export, in {}, verifies without --live (add --seal-code with the code above)",
        stage.log.display(),
        stage.kiosk_public,
        stage.log.display(),
        work.join("export").display(),
    );
    Ok(ExitCode::SUCCESS)
}

/// Send the script's jobs from a thread; `pace_ms` between steps. With `keep_time`, the
/// clock then runs on in real time until the window closes.
fn play(
    stage: Stage,
    jobs: Sender<Job>,
    pace_ms: u64,
    keep_time: bool,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for step in demo::script() {
            let list = match stage.jobs(&step) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("examgate demo: script step {step:?}: {e:#}");
                    break;
                }
            };
            for job in list {
                if jobs.send(job).is_err() {
                    return;
                }
            }
            if pace_ms > 0 && !matches!(step, Step::Say(_)) {
                std::thread::sleep(Duration::from_millis(pace_ms));
            }
        }
        if !keep_time {
            let _ = jobs.send(Job::Quit);
            return;
        }
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let clock = stage.clock.clone();
            let tick = [
                Job::Do(Box::new(move || clock.advance(1000))),
                Job::Command(Command::Tick),
            ];
            for job in tick {
                if jobs.send(job).is_err() {
                    return;
                }
            }
        }
    })
}
