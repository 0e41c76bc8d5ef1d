//! `examgate camera list|snap`: what the installer checks at the door before exam day —
//! which V4L2 devices there are, and what the chosen one sees (a frame saved as PNG).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use examgate::kiosk::devices::camera::Grab;
use examgate::kiosk::devices::v4l::{self as v4l_camera, V4lCamera};

/// Camera verbs.
#[derive(Subcommand)]
pub enum CameraCommand {
    /// List the V4L2 devices.
    List,
    /// Open /dev/videoN, let it settle, save one frame as PNG.
    Snap {
        /// N of /dev/videoN.
        #[arg(long, default_value_t = 0)]
        device: u32,
        /// Wanted width (the closest the camera offers is used).
        #[arg(long, default_value_t = 1280)]
        width: u32,
        /// Wanted height.
        #[arg(long, default_value_t = 720)]
        height: u32,
        /// Frames to drop first (auto exposure settles over the first few).
        #[arg(long, default_value_t = 5)]
        skip: u32,
        /// Where to write the PNG.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Run a camera verb.
pub fn run(cmd: CameraCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CameraCommand::List => {
            let found = v4l_camera::list().map_err(anyhow::Error::msg)?;
            if found.is_empty() {
                println!("no V4L2 camera found");
                return Ok(ExitCode::FAILURE);
            }
            for (index, name, description) in found {
                println!("/dev/video{index}\t{name}\t{description}");
            }
            Ok(ExitCode::SUCCESS)
        }
        CameraCommand::Snap {
            device,
            width,
            height,
            skip,
            out,
        } => {
            let mut camera = V4lCamera::open(device, width, height).map_err(anyhow::Error::msg)?;
            for _ in 0..skip {
                camera.grab().map_err(anyhow::Error::msg)?;
            }
            let frame = camera.grab().map_err(anyhow::Error::msg)?;
            frame
                .save(&out)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "/dev/video{device}: {}x{} frame written to {}",
                frame.width(),
                frame.height(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
