//! The read deadline (issue 12, "card limits"): a card read gets a time budget and checks it
//! before every APDU it sends, so a slow or hostile card ends the read with
//! [`Error::DeadlinePassed`] instead of holding the door. Time is read through
//! [`Stopwatch`] (`platform::clock`, the one sanctioned reader of the monotonic clock); tests
//! give a deadline of their own making with [`Deadline::from_fn`].

use std::sync::Arc;
use std::time::Duration;

use super::Error;
use crate::platform::clock::Stopwatch;

/// What a read budget keeps back for the APDU under way when the budget ends: the deadline
/// is checked between APDUs, so the last one may still be answering. Contactless chips
/// answer an APDU in well under this (`card-testing.md`: 10–100× the virtual card's
/// 0.1–1 ms, plus waiting-time extensions); a slower answer overruns by its excess.
pub const APDU_ALLOWANCE: Duration = Duration::from_secs(1);

/// When a card read must stop. Cheap to clone; a clone shares the same start.
#[derive(Clone)]
pub struct Deadline {
    limit: Duration,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Never,
    After(Stopwatch),
    Probe(Arc<dyn Fn() -> bool + Send + Sync>),
}

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Never => f.write_str("Deadline(never)"),
            Kind::After(w) => write!(
                f,
                "Deadline({} ms, {:.0} ms used)",
                self.limit.as_millis(),
                w.ms()
            ),
            Kind::Probe(_) => write!(f, "Deadline({} ms, probe)", self.limit.as_millis()),
        }
    }
}

impl Deadline {
    /// No deadline (command-line tools, where the operator can press Ctrl-C).
    pub fn never() -> Deadline {
        Deadline {
            limit: Duration::MAX,
            kind: Kind::Never,
        }
    }

    /// `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            limit,
            kind: Kind::After(Stopwatch::start()),
        }
    }

    /// `ms` milliseconds from now (a negative budget has already passed).
    pub fn after_ms(ms: i64) -> Deadline {
        Deadline::after(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
    }

    /// The deadline for a read that must be over `ms` milliseconds from now: the budget
    /// less [`APDU_ALLOWANCE`] (at least 0), so the read, the last APDU included, ends in
    /// time when that APDU answers within the allowance. The door uses this for its read
    /// deadline.
    pub fn ending_by_ms(ms: i64) -> Deadline {
        let total = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        Deadline::after(total.saturating_sub(APDU_ALLOWANCE))
    }

    /// A deadline that has passed when `expired` says so; `limit` is what errors report.
    pub fn from_fn(
        limit: Duration,
        expired: impl Fn() -> bool + Send + Sync + 'static,
    ) -> Deadline {
        Deadline {
            limit,
            kind: Kind::Probe(Arc::new(expired)),
        }
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        match &self.kind {
            Kind::Never => false,
            Kind::After(w) => w.elapsed() >= self.limit,
            Kind::Probe(f) => f(),
        }
    }

    /// The budget in milliseconds (`u64::MAX` for none).
    pub fn limit_ms(&self) -> u64 {
        u64::try_from(self.limit.as_millis()).unwrap_or(u64::MAX)
    }

    /// `Ok` while time is left; else the error naming the budget and the APDUs sent so far.
    pub fn check(&self, apdus: u32) -> Result<(), Error> {
        if self.expired() {
            return Err(Error::DeadlinePassed {
                limit_ms: self.limit_ms(),
                apdus,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_never_expires_and_a_zero_budget_already_has() {
        assert!(Deadline::never().check(1000).is_ok());
        let gone = Deadline::after_ms(-5);
        assert!(gone.expired());
        assert!(matches!(
            gone.check(7),
            Err(Error::DeadlinePassed {
                limit_ms: 0,
                apdus: 7
            })
        ));
        assert!(!Deadline::after(Duration::from_secs(3600)).expired());
    }

    #[test]
    fn a_door_budget_keeps_one_apdu_back() {
        assert_eq!(Deadline::ending_by_ms(15_000).limit_ms(), 14_000);
        assert_eq!(Deadline::ending_by_ms(500).limit_ms(), 0);
        assert!(Deadline::ending_by_ms(500).expired());
    }
}
