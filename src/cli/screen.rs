//! Where a running kiosk's updates go, shared by `demo` and `kiosk`: printed (no window),
//! rendered to PNG files with the software renderer (no display needed), or shown in the
//! real window with its touches sent back as commands.

use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use anyhow::Context;
use examgate::decision::{Decision, TicketNumber};
use examgate::kiosk::worker::{Job, Update};
use examgate::ui::{self, headless::Headless, AppWindow, Language, Screenful};
use slint::ComponentHandle;

/// Screen size of the kiosk panel the screens are laid out for.
pub const WIDTH: u32 = 1280;
/// Height.
pub const HEIGHT: u32 = 800;

/// `--lang`: zh or en.
pub fn parse_language(text: &str) -> Result<Language, String> {
    Language::parse(text).ok_or_else(|| format!("{text:?}: the languages are zh and en"))
}

/// One decision as a line for people (`DENY 2027010003: wrong room, go to S01/R102 seat 5`).
pub fn describe(t: &TicketNumber, d: &Decision) -> String {
    format!("  {}", examgate::decision::words::line(t, d))
}

/// Print what a person at the console should read of an update: each decision, and the
/// demo's narration in its place among them.
fn print_update(u: &Update) {
    match u {
        Update::Decision(t, d, _) => println!("{}", describe(t, d)),
        Update::Said(words) => println!("— {words}"),
        _ => {}
    }
}

/// Print the seal code once the view first carries it: the console's reader copies it onto
/// the paper room record as the invigilators do from the screen.
fn print_seal_code(state: &Screenful, printed: &mut String) {
    let code = &state.view.seal_code;
    if !code.is_empty() && code != printed {
        println!("  SEALED: seal code {code} (copy it onto the paper room record)");
        printed.clone_from(code);
    }
}

/// Called once, when the idle screen is first shown (the kiosk says so on its console and
/// tells the service manager it is ready).
pub type OnIdle = Option<Box<dyn FnOnce()>>;

fn first_idle(on_idle: &mut OnIdle, state: &Screenful) {
    if state.view.screen == examgate::kiosk::view::Screen::Idle {
        if let Some(f) = on_idle.take() {
            f();
        }
    }
}

/// Print each decision and the seal code (and, with `screens`, each change of screen or of
/// missing devices) until the worker stops; `Some(why)` when it stopped on an error.
pub fn print_all(updates: Receiver<Update>, screens: bool, mut on_idle: OnIdle) -> Option<String> {
    let mut state = Screenful::default();
    let mut last = String::new();
    let mut seal_code = String::new();
    for u in updates {
        print_update(&u);
        if let Update::Failed(why) = &u {
            return Some(why.clone());
        }
        let changed = state.apply(&u);
        first_idle(&mut on_idle, &state);
        print_seal_code(&state, &mut seal_code);
        if screens && changed {
            let v = &state.view;
            let mut line = format!("screen {}", v.screen.name());
            if !v.missing.is_empty() {
                line += &format!(" (missing: {:?})", v.missing);
            }
            if line != last {
                println!("{line}");
                last = line;
            }
        }
    }
    None
}

/// Render every distinct screen to `dir` as `NN-<screen>-<lang>.png`.
pub fn render_all(
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
    let mut seal_code = String::new();
    for u in updates {
        print_update(&u);
        if let Update::Failed(why) = &u {
            return Ok(Some(why.clone()));
        }
        let changed = state.apply(&u);
        print_seal_code(&state, &mut seal_code);
        if !changed {
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
        println!("screen {} -> {}", state.view.screen.name(), file.display());
    }
    println!("wrote {n} screenshots to {}", dir.display());
    Ok(None)
}

/// The kiosk in its window until it is closed (or the worker ends); touches and scanner
/// keystrokes go to `jobs`. `Some(why)` when the worker stopped on an error.
pub fn window(
    jobs: Sender<Job>,
    updates: Receiver<Update>,
    lang: Language,
    mut on_idle: OnIdle,
) -> anyhow::Result<Option<String>> {
    #[cfg(feature = "kms")]
    examgate::ui::keyboard::install_direct_kms()?;
    let ui = AppWindow::new()?;
    ui::set_language(&ui, lang);
    let send = jobs.clone();
    ui::connect(&ui, move |c| {
        let _ = send.send(Job::Command(c));
    });
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
                        // The worker is done (a script ended with --exit-when-done).
                        let _ = slint::quit_event_loop();
                        break;
                    }
                };
                print_update(&u);
                if let Update::Failed(why) = &u {
                    *failed_in.borrow_mut() = Some(why.clone());
                    let _ = slint::quit_event_loop();
                }
                changed |= state.apply(&u);
            }
            if changed {
                ui::show(&ui, &state.view);
                first_idle(&mut on_idle, &state);
            }
        },
    );
    ui.run()?;
    let _ = jobs.send(Job::Quit);
    let why = failed.borrow_mut().take();
    Ok(why)
}
