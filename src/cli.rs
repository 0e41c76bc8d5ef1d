//! The verbs' glue: argument structs, output formatting, exit codes. Logic lives in the
//! library; these modules only call it and print.

pub mod bench;
pub mod demo;
pub mod face;
pub mod keys;
pub mod log;

use std::path::PathBuf;

/// Where the models are: `--models`, else `$EXAMGATE_MODELS`, else `./models`.
pub fn models_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("EXAMGATE_MODELS").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("models"))
}
