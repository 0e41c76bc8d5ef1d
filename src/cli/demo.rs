//! `examgate demo`: the real kiosk with simulated devices and the built-in demo exam. In a
//! window when there is a display; `--headless` prints each decision without a window;
//! `--screenshots DIR` renders every screen it passes through to PNG with the software
//! renderer (no display needed).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use examgate::decision::{Decision, TicketNumber};
use examgate::kiosk::demo::{self, Stage, Step};
use examgate::kiosk::station::Command;
use examgate::kiosk::worker::{self, Job, Update};
use examgate::ui::{self, headless::Headless, AppWindow, Language, Screenful};
use slint::ComponentHandle;

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
    #[arg(long, default_value = "zh", value_parser = parse_language)]
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

fn parse_language(text: &str) -> Result<Language, String> {
    Language::parse(text).ok_or_else(|| format!("{text:?}: the languages are zh and en"))
}

/// Screen size of the kiosk panel the screens are laid out for.
pub const WIDTH: u32 = 1280;
/// Height.
pub const HEIGHT: u32 = 800;

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

    let display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let screenshots = match (&args.screenshots, args.headless, display) {
        (Some(dir), _, _) => Some(dir.clone()),
        (None, false, false) => {
            let dir = work.join("screenshots");
            println!(
                "no display (DISPLAY and WAYLAND_DISPLAY are unset): running without a window, screens go to {}",
                dir.display()
            );
            Some(dir)
        }
        _ => None,
    };
    let failed = if let Some(dir) = screenshots {
        let script = play(stage.clone(), jobs, 0, false);
        let r = render_all(&dir, args.lang, updates);
        let _ = script.join();
        r?
    } else if args.headless {
        let script = play(stage.clone(), jobs, 0, false);
        let r = print_all(updates);
        let _ = script.join();
        r
    } else {
        window(
            &stage,
            jobs,
            updates,
            args.lang,
            args.pace,
            !args.exit_when_done,
        )?
    };
    let _ = handle.join();
    if let Some(why) = failed {
        eprintln!("examgate demo: the kiosk stopped: {why}");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "the kiosk's signed log: {} (check it with: examgate log verify {} --kiosk-key {})",
        stage.log.display(),
        stage.log.display(),
        stage.kiosk_public
    );
    Ok(ExitCode::SUCCESS)
}

fn describe(t: &TicketNumber, d: &Decision) -> String {
    match d {
        Decision::Admit { seat } => format!("  {t}: ADMIT, seat {seat}"),
        Decision::Refer { reasons } => format!("  {t}: REFER, {reasons:?}"),
        Decision::Deny { reason, guidance } => format!("  {t}: DENY, {reason:?}, {guidance:?}"),
    }
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
            if let Step::Say(text) = step {
                println!("— {text}");
            }
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

fn print_all(updates: Receiver<Update>) -> Option<String> {
    for u in updates {
        match u {
            Update::Decision(t, d, _) => println!("{}", describe(&t, &d)),
            Update::Failed(why) => return Some(why),
            _ => {}
        }
    }
    None
}

fn render_all(
    dir: &Path,
    lang: Language,
    updates: Receiver<Update>,
) -> anyhow::Result<Option<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let screen = Headless::install(WIDTH, HEIGHT)?;
    let ui = AppWindow::new()?;
    ui.show()?;
    ui::set_language(&ui, lang);
    let mut state = Screenful::default();
    let (mut last, mut n) = (String::new(), 0);
    for u in updates {
        match &u {
            Update::Decision(t, d, _) => println!("{}", describe(t, d)),
            Update::Failed(why) => return Ok(Some(why.clone())),
            _ => {}
        }
        if !state.apply(&u) {
            continue;
        }
        let sig = state.signature();
        if sig == last {
            continue;
        }
        last = sig;
        ui::show(&ui, &state.view);
        n += 1;
        let file = dir.join(format!(
            "{n:02}-{}-{}.png",
            state.view.screen.name(),
            lang.code()
        ));
        screen
            .render()
            .save(&file)
            .with_context(|| format!("writing {}", file.display()))?;
    }
    println!("wrote {n} screenshots to {}", dir.display());
    Ok(None)
}

fn window(
    stage: &Stage,
    jobs: Sender<Job>,
    updates: Receiver<Update>,
    lang: Language,
    pace: u64,
    stay: bool,
) -> anyhow::Result<Option<String>> {
    let ui = AppWindow::new()?;
    ui::set_language(&ui, lang);
    let send = jobs.clone();
    ui::connect(&ui, move |c| {
        let _ = send.send(Job::Command(c));
    });
    let script = play(stage.clone(), jobs.clone(), pace, stay);
    let weak = ui.as_weak();
    let failed = std::rc::Rc::new(std::cell::RefCell::new(None));
    let failed_in = failed.clone();
    let mut state = Screenful::default();
    let timer = slint::Timer::default();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(40),
        move || {
            let Some(ui) = weak.upgrade() else { return };
            let mut changed = false;
            loop {
                let u = match updates.try_recv() {
                    Ok(u) => u,
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        // The worker is done (the script ended with --exit-when-done).
                        let _ = slint::quit_event_loop();
                        break;
                    }
                };
                match &u {
                    Update::Decision(t, d, _) => println!("{}", describe(t, d)),
                    Update::Failed(why) => {
                        *failed_in.borrow_mut() = Some(why.clone());
                        let _ = slint::quit_event_loop();
                    }
                    _ => {}
                }
                changed |= state.apply(&u);
            }
            if changed {
                ui::show(&ui, &state.view);
            }
        },
    );
    ui.run()?;
    let _ = jobs.send(Job::Quit);
    drop(jobs);
    drop(script); // the script thread ends when its sends fail
    let why = failed.borrow_mut().take();
    Ok(why)
}
