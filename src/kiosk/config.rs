//! The kiosk's own settings (`kiosk.toml`, one per kiosk, written when the kiosk is set up
//! for its room): who it is, which keys and files it uses, which reader and camera. The room
//! package says everything about the exam; this file says nothing about it.
//!
//! ```toml
//! kiosk_id = "K-S01-R101"
//! room = "S01/R101"                  # the package must be for this room
//! office_key = "office-sign.pub"     # the office's signing public key (64 hex digits)
//! kiosk_key = "kiosk-K-S01-R101.key" # this kiosk's signing seed (mode 0600)
//! log = "/var/lib/examgate/kiosk-log.db"
//! export_dir = "/media/export"
//! stick_helper = "/run/examgate-stick.sock"  # optional: see ExportTo::Stick
//! models = "/usr/share/examgate/models"
//! language = "zh"                    # zh or en; optional, zh by default
//! session = "chinese"                # optional: else the session of the day not yet over
//!
//! [reader]
//! name = "ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] 00 00"   # optional
//! bridge = "/usr/lib/examgate/bridge"  # optional: the resident-ID reader's bridge program
//! bridge_args = ["--port", "/dev/ttyUSB0"]                          # optional
//!
//! [camera]
//! device = 0                         # /dev/video0; or directory = "frames" (replayed files)
//! width = 1280
//! height = 720
//! ```
//!
//! Relative paths are relative to the file's directory, so a configuration and its keys can
//! move together.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::decision::RoomRef;

/// Where the kiosk's exports go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportTo {
    /// Written into this directory (a stick mounted there, or a folder: the demo, tests).
    Dir(PathBuf),
    /// Written into `dir` on the data partition, then copied onto a USB stick by the kiosk
    /// image's helper listening at `helper` (`platform::stick`), which mounts the stick only
    /// for the copy: the kiosk itself may mount nothing.
    Stick {
        /// The export directory on the data partition (the helper reads only from there).
        dir: PathBuf,
        /// The helper's socket.
        helper: PathBuf,
    },
}

impl ExportTo {
    /// The directory the export file is written into first.
    pub fn dir(&self) -> &Path {
        match self {
            ExportTo::Dir(dir) | ExportTo::Stick { dir, .. } => dir,
        }
    }
}

/// A configuration problem, naming the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the kiosk configuration {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not TOML, or a field of the wrong type or name (the message has line and column).
    #[error("kiosk configuration {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A field's value is not acceptable.
    #[error("kiosk configuration {path}: {field}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// Where frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSource {
    /// A V4L2 camera by index (`/dev/videoN`), asked for this resolution.
    Device {
        /// N of /dev/videoN.
        index: u32,
        /// Wanted width.
        width: u32,
        /// Wanted height.
        height: u32,
    },
    /// Image files replayed in name order (tests and demonstrations without a camera).
    Directory(PathBuf),
}

/// The screen language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenLanguage {
    /// Chinese (default).
    Chinese,
    /// English.
    English,
}

/// A checked kiosk configuration, paths resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskConfig {
    /// This kiosk's id (names its log and exports).
    pub kiosk_id: String,
    /// The room the kiosk stands at.
    pub room: RoomRef,
    /// The office signing public key file.
    pub office_key: PathBuf,
    /// This kiosk's signing seed file.
    pub kiosk_key: PathBuf,
    /// The log file.
    pub log: PathBuf,
    /// Where exports go.
    pub export: ExportTo,
    /// The models directory.
    pub models: PathBuf,
    /// Screen language.
    pub language: ScreenLanguage,
    /// The session to run, if fixed.
    pub session: Option<String>,
    /// The PC/SC reader to use; None: any reader.
    pub reader: Option<String>,
    /// The resident-ID reader's bridge program and its arguments (`card::bridge`); None:
    /// no resident-ID reader at this door.
    pub bridge: Option<(PathBuf, Vec<String>)>,
    /// The camera.
    pub camera: CameraSource,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    kiosk_id: String,
    room: String,
    office_key: PathBuf,
    kiosk_key: PathBuf,
    log: PathBuf,
    export_dir: PathBuf,
    stick_helper: Option<PathBuf>,
    models: PathBuf,
    language: Option<String>,
    session: Option<String>,
    #[serde(default)]
    reader: RawReader,
    camera: RawCamera,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReader {
    name: Option<String>,
    bridge: Option<PathBuf>,
    #[serde(default)]
    bridge_args: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCamera {
    device: Option<u32>,
    directory: Option<PathBuf>,
    width: Option<u32>,
    height: Option<u32>,
}

/// Default capture size: enough pixels for a face at a metre, what USB cameras all offer.
const DEFAULT_SIZE: (u32, u32) = (1280, 720);

impl KioskConfig {
    /// Read and check `path`.
    pub fn load(path: &Path) -> Result<KioskConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        KioskConfig::parse(&text, path, base)
    }

    /// Check `text` (from `path`, for messages); relative paths are taken from `base`.
    pub fn parse(text: &str, path: &Path, base: &Path) -> Result<KioskConfig, ConfigError> {
        let raw: Raw = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |field: &'static str, reason: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            field,
            reason,
        };
        if raw.kiosk_id.is_empty()
            || !raw
                .kiosk_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "kiosk_id",
                format!("{:?} must be letters, digits, '-' or '_'", raw.kiosk_id),
            ));
        }
        let room = match RoomRef::parse(&raw.room) {
            Some(room) => room,
            None => return Err(invalid("room", format!("{:?} is not SITE/ROOM", raw.room))),
        };
        let language = match raw.language.as_deref() {
            None | Some("zh") => ScreenLanguage::Chinese,
            Some("en") => ScreenLanguage::English,
            Some(other) => {
                return Err(invalid(
                    "language",
                    format!("{other:?}: the languages are zh and en"),
                ))
            }
        };
        if raw.session.as_deref() == Some("") {
            return Err(invalid("session", "is empty".into()));
        }
        let c = raw.camera;
        let camera = match (c.device, c.directory) {
            (Some(index), None) => {
                let (width, height) = match (c.width, c.height) {
                    (None, None) => DEFAULT_SIZE,
                    (Some(w), Some(h))
                        if (160..=7680).contains(&w) && (120..=4320).contains(&h) =>
                    {
                        (w, h)
                    }
                    (Some(w), Some(h)) => {
                        return Err(invalid(
                            "camera",
                            format!("{w}x{h} is not a camera resolution"),
                        ))
                    }
                    _ => {
                        return Err(invalid(
                            "camera",
                            "give both width and height, or neither".into(),
                        ))
                    }
                };
                CameraSource::Device {
                    index,
                    width,
                    height,
                }
            }
            (None, Some(dir)) if c.width.is_none() && c.height.is_none() => {
                CameraSource::Directory(base.join(dir))
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "camera",
                    "width and height are for a device, not a directory".into(),
                ))
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "camera",
                    "give device or directory, not both".into(),
                ))
            }
            (None, None) => {
                return Err(invalid(
                    "camera",
                    "give device = N (/dev/videoN) or directory = \"DIR\"".into(),
                ))
            }
        };
        Ok(KioskConfig {
            kiosk_id: raw.kiosk_id,
            room,
            office_key: base.join(raw.office_key),
            kiosk_key: base.join(raw.kiosk_key),
            log: base.join(raw.log),
            export: match raw.stick_helper {
                None => ExportTo::Dir(base.join(raw.export_dir)),
                Some(helper) => ExportTo::Stick {
                    dir: base.join(raw.export_dir),
                    helper: base.join(helper),
                },
            },
            models: base.join(raw.models),
            language,
            session: raw.session,
            reader: raw.reader.name.filter(|n| !n.is_empty()),
            bridge: raw
                .reader
                .bridge
                .map(|program| (base.join(program), raw.reader.bridge_args)),
            camera,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
kiosk_id = "K-S01-R101"
room = "S01/R101"
office_key = "keys/office-sign.pub"
kiosk_key = "/etc/examgate/kiosk.key"
log = "log.db"
export_dir = "export"
models = "models"

[camera]
device = 0
"#;

    fn parse(text: &str) -> Result<KioskConfig, ConfigError> {
        KioskConfig::parse(text, Path::new("/k/kiosk.toml"), Path::new("/k"))
    }

    fn problem(text: &str) -> String {
        match parse(text) {
            Ok(c) => panic!("accepted: {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_minimal_file_resolves_paths_and_defaults() {
        let c = parse(GOOD).expect("valid");
        assert_eq!(c.kiosk_id, "K-S01-R101");
        assert_eq!(c.room.site, "S01");
        assert_eq!(c.room.room, "R101");
        assert_eq!(c.office_key, Path::new("/k/keys/office-sign.pub"));
        assert_eq!(c.kiosk_key, Path::new("/etc/examgate/kiosk.key"));
        assert_eq!(c.log, Path::new("/k/log.db"));
        assert_eq!(c.language, ScreenLanguage::Chinese);
        assert_eq!(c.session, None);
        assert_eq!(c.reader, None);
        assert_eq!(c.export, ExportTo::Dir(PathBuf::from("/k/export")));
        assert_eq!(
            c.camera,
            CameraSource::Device {
                index: 0,
                width: 1280,
                height: 720
            }
        );
    }

    #[test]
    fn a_stick_helper_sends_exports_through_it_from_the_export_dir() {
        let text = GOOD.replace(
            "export_dir = \"export\"",
            "export_dir = \"export\"\nstick_helper = \"/run/examgate-stick.sock\"",
        );
        let c = parse(&text).expect("valid");
        assert_eq!(
            c.export,
            ExportTo::Stick {
                dir: PathBuf::from("/k/export"),
                helper: PathBuf::from("/run/examgate-stick.sock"),
            }
        );
        assert_eq!(c.export.dir(), Path::new("/k/export"));
    }

    #[test]
    fn reader_language_session_and_a_directory_camera() {
        let text = GOOD.replace("[camera]\ndevice = 0", "[camera]\ndirectory = \"frames\"")
            + "[reader]\nname = \"Virtual PCD 00 00\"\n";
        let text = text.replace(
            "models = \"models\"",
            "models = \"models\"\nlanguage = \"en\"\nsession = \"maths\"",
        );
        let c = parse(&text).expect("valid");
        assert_eq!(
            c.camera,
            CameraSource::Directory(PathBuf::from("/k/frames"))
        );
        assert_eq!(c.reader.as_deref(), Some("Virtual PCD 00 00"));
        assert_eq!(c.bridge, None);
        assert_eq!(c.language, ScreenLanguage::English);
        assert_eq!(c.session.as_deref(), Some("maths"));
    }

    #[test]
    fn each_bad_value_is_named() {
        let cases = [
            (GOOD.replace("K-S01-R101", "K 1"), "kiosk_id"),
            (
                GOOD.replace("S01/R101", "S01R101"),
                "room: \"S01R101\" is not SITE/ROOM",
            ),
            (
                GOOD.replace("device = 0", "device = 0\nwidth = 640"),
                "both width and height",
            ),
            (
                GOOD.replace("device = 0", "device = 0\nwidth = 10\nheight = 10"),
                "10x10 is not a camera resolution",
            ),
            (
                GOOD.replace("device = 0", "device = 0\ndirectory = \"f\""),
                "not both",
            ),
            (GOOD.replace("device = 0", ""), "give device = N"),
            (
                GOOD.replace("models = \"models\"", "models = \"m\"\nlanguage = \"fr\""),
                "language: \"fr\"",
            ),
        ];
        for (text, want) in cases {
            let got = problem(&text);
            assert!(got.contains(want), "{want:?} not in {got:?}");
            assert!(got.contains("/k/kiosk.toml"), "{got}");
        }
    }

    #[test]
    fn a_missing_or_misspelt_field_names_the_field_and_line() {
        let got = problem(&GOOD.replace("log = \"log.db\"\n", ""));
        assert!(got.contains("log"), "{got}");
        let got = problem(&GOOD.replace("export_dir", "exportdir"));
        assert!(got.contains("exportdir") && got.contains("line"), "{got}");
        let got = problem("kiosk_id = ");
        assert!(got.contains("line 1"), "{got}");
    }

    #[test]
    fn the_example_in_assets_is_valid() {
        let text = include_str!("../../assets/examples/kiosk.toml");
        let c = parse(text).expect("the example parses");
        assert_eq!(c.kiosk_key, Path::new("/k/keys/kiosk-K-S01-R101.key"));
    }

    #[test]
    fn an_unreadable_file_is_named() {
        let e = KioskConfig::load(Path::new("/nonexistent/kiosk.toml")).expect_err("missing");
        assert!(e.to_string().contains("/nonexistent/kiosk.toml"), "{e}");
    }
}
