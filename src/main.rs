//! `examgate`: the exam-room door kiosk and its office tools, one binary with verbs.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// examgate — ticket, identity document and live face, matched at the exam-room door.
#[derive(Parser)]
#[command(name = "examgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Face engine: embed faces in images, compare two images.
    Face {
        #[command(subcommand)]
        command: cli::face::FaceCommand,
    },
    /// Identity documents on a PC/SC reader: read one, watch events.
    Card {
        #[command(subcommand)]
        command: cli::card::CardCommand,
    },
    /// Cameras (V4L2): list them, save what one sees.
    Camera {
        #[command(subcommand)]
        command: cli::camera::CameraCommand,
    },
    /// Benchmarks that print a table.
    Bench {
        #[command(subcommand)]
        what: cli::bench::BenchCommand,
    },
    /// Keys: generate the office and kiosk keys.
    Keys {
        #[command(subcommand)]
        command: cli::keys::KeysCommand,
    },
    /// The tamper-evident log: verify, show.
    Log {
        #[command(subcommand)]
        command: cli::log::LogCommand,
    },
    /// Room packages: build (office), verify (as the kiosk does).
    Package {
        #[command(subcommand)]
        command: cli::package::PackageCommand,
    },
    /// Write a synthetic exam's inputs (exam.toml, candidates.csv, invigilators.csv,
    /// photos, CSCA) for `package build` and its benchmark.
    DemoData(cli::demo_data::DemoDataArgs),
    /// The kiosk with the built-in demo exam and simulated devices.
    Demo(cli::demo::DemoArgs),
    /// The kiosk at the door with its real card reader and camera.
    Kiosk(cli::kiosk::KioskArgs),
    /// The exam office: ingest the kiosks' logs, report, check for proxies, open evidence.
    Office {
        #[command(subcommand)]
        command: cli::office::OfficeCommand,
    },
    /// The installer's check: models, key, log and disk, package, clock, camera and a face
    /// at the mark, reader and cards, bridge, display and touch; exit 0 only when the kiosk
    /// is ready.
    Doctor(cli::doctor::DoctorArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // The office verbs' scripts read 1 as "usage or database error" (3 is "some
            // exports quarantined"); the other verbs keep clap's 2.
            let office = std::env::args().nth(1).as_deref() == Some("office");
            let usage = !matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            );
            let _ = e.print();
            return match (usage, office) {
                (false, _) => ExitCode::SUCCESS,
                (true, true) => ExitCode::from(1),
                (true, false) => ExitCode::from(2),
            };
        }
    };
    let result = match cli.command {
        Command::Face { command } => cli::face::run(command),
        Command::Card { command } => cli::card::run(command),
        Command::Camera { command } => cli::camera::run(command),
        Command::Bench { what } => cli::bench::run(what),
        Command::Keys { command } => cli::keys::run(command),
        Command::Log { command } => cli::log::run(command),
        Command::Package { command } => cli::package::run(command),
        Command::DemoData(args) => cli::demo_data::run(args),
        Command::Demo(args) => cli::demo::run(args),
        Command::Kiosk(args) => cli::kiosk::run(args),
        Command::Office { command } => cli::office::run(command),
        Command::Doctor(args) => cli::doctor::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("examgate: {e:#}");
            ExitCode::from(2)
        }
    }
}
