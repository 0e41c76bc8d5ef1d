//! Telling systemd how the kiosk is (the `sd_notify` protocol: one datagram of
//! `KEY=VALUE` lines to the socket named in `$NOTIFY_SOCKET`): `READY=1` once the idle
//! screen is drawn, then `WATCHDOG=1` while the door's worker is alive. A hung worker (a
//! model or a driver stuck) stops the pings and systemd restarts the kiosk. Without
//! `$NOTIFY_SOCKET` (a kiosk started by hand, the tests) nothing is sent.

use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::clock::Stopwatch;

/// The service manager's notification socket.
pub struct ServiceManager {
    socket: UnixDatagram,
    addr: std::os::unix::net::SocketAddr,
}

impl ServiceManager {
    /// From `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace); `None` when
    /// unset or unusable.
    pub fn from_env() -> Option<ServiceManager> {
        let name = std::env::var_os("NOTIFY_SOCKET")?;
        let name = name.to_str()?;
        let addr = match name.strip_prefix('@') {
            Some(abstract_name) => {
                use std::os::linux::net::SocketAddrExt;
                std::os::unix::net::SocketAddr::from_abstract_name(abstract_name).ok()?
            }
            None => std::os::unix::net::SocketAddr::from_pathname(name).ok()?,
        };
        let socket = UnixDatagram::unbound().ok()?;
        Some(ServiceManager { socket, addr })
    }

    /// Send `state` (`READY=1`, `WATCHDOG=1`, `STATUS=…`).
    pub fn notify(&self, state: &str) -> std::io::Result<()> {
        self.socket
            .send_to_addr(state.as_bytes(), &self.addr)
            .map(drop)
    }
}

/// The watchdog interval systemd asked for (`$WATCHDOG_USEC`, for this process when
/// `$WATCHDOG_PID` names one).
pub fn watchdog_interval() -> Option<Duration> {
    if let Some(pid) = std::env::var_os("WATCHDOG_PID") {
        if pid.to_str()?.parse::<u32>().ok()? != std::process::id() {
            return None;
        }
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// When the door's worker last finished a job, on a monotonic clock.
pub struct Heartbeat {
    start: Stopwatch,
    last_ms: AtomicU64,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat {
            start: Stopwatch::start(),
            last_ms: AtomicU64::new(0),
        }
    }
}

impl Heartbeat {
    /// The worker is alive now.
    pub fn beat(&self) {
        self.last_ms
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Time since the last beat.
    pub fn age(&self) -> Duration {
        let now = self.start.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// The longest a worker may go without finishing a job and still count as alive: it gets a
/// clock tick every second, and a face capture or a card read takes a few seconds at most.
pub const WORKER_SILENCE: Duration = Duration::from_secs(20);

/// Whether to ping the watchdog now: only while the worker is alive.
pub fn worker_alive(age: Duration) -> bool {
    age < WORKER_SILENCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_arrives_as_one_datagram_at_the_named_socket() {
        let dir = std::env::temp_dir().join(format!("examgate-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixDatagram::bind(&path).expect("bind");
        let sm = ServiceManager {
            socket: UnixDatagram::unbound().expect("socket"),
            addr: std::os::unix::net::SocketAddr::from_pathname(&path).expect("addr"),
        };
        sm.notify("READY=1").expect("send");
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"READY=1");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_watchdog_is_pinged_only_while_the_worker_beats() {
        assert!(worker_alive(Duration::from_secs(1)));
        assert!(!worker_alive(WORKER_SILENCE));
        let h = Heartbeat::default();
        h.beat();
        assert!(h.age() < Duration::from_secs(1));
    }
}
