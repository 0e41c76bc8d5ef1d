//! The one place that reads the system clocks. Everything else asks for time through here,
//! so tests can stand still and `clippy.toml` can ban the direct calls elsewhere.

use std::time::{Duration, Instant};

/// Measures elapsed wall time for benchmarks and reported timings; never used to decide.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Start now.
    #[allow(clippy::disallowed_methods)] // the sanctioned reader of the monotonic clock
    pub fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }

    /// Time since start.
    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }

    /// Time since start in milliseconds.
    pub fn ms(&self) -> f64 {
        self.elapsed().as_secs_f64() * 1e3
    }
}
