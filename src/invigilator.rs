//! Invigilator PINs: stored only as Argon2id PHC strings, checked through a gate that counts
//! wrong tries per invigilator and, after five, locks that invigilator out for a delay that
//! doubles with every further wrong try. While locked the PIN is not even checked, so a
//! locked gate is no oracle. The lockout rule is a pure function of the count and the time.

use std::collections::HashMap;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The fewest digits a PIN may have. With [`PIN_PARAMS`] one guess costs about 0.1–0.16 s
/// of a core here (`examgate bench package` measures it), so the expected cost of finding
/// a 9-digit PIN offline from a stolen package is 5·10⁸ guesses ≈ 1.6–2.5 core-years; 8
/// digits would be a tenth of that (README, "Invigilator PINs").
pub const MIN_PIN_DIGITS: usize = 9;

/// Argon2id cost of a PIN hash: 64 MiB of memory, 3 passes, one lane (RFC 9106's second
/// recommended option); memory-hard, so a GPU gains little over a CPU core.
pub const PIN_PARAMS: (u32, u32, u32) = (64 * 1024, 3, 1);

fn pin_hasher() -> Argon2<'static> {
    let (m, t, p) = PIN_PARAMS;
    Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(m, t, p, None).expect("PIN_PARAMS are valid Argon2 parameters"),
    )
}

/// A PIN as typed at the kiosk: wiped from memory when dropped and never shown by `Debug`
/// (the commands that carry it are logged and printed in debugging).
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(zeroize::Zeroizing<String>);

impl Pin {
    /// The digits typed.
    pub fn new(digits: impl Into<String>) -> Pin {
        Pin(zeroize::Zeroizing::new(digits.into()))
    }

    /// The digits, for the gate's check only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Pin {
    fn from(digits: &str) -> Pin {
        Pin::new(digits)
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// Hash a PIN for one room's package (office side), with a fresh salt.
pub fn hash_pin(pin: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    pin_hasher()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .expect("Argon2id with fixed valid parameters and a fresh salt cannot fail")
}

/// Whether a stored PIN hash is at least as costly as [`PIN_PARAMS`] (Argon2id, memory and
/// passes): a package with weaker hashes is refused, so a mistake at the office cannot make
/// its PINs cheap to guess. `Err` says what is short.
pub fn hash_strength(stored: &str) -> Result<(), String> {
    let h = PasswordHash::new(stored).map_err(|e| format!("not a PHC string: {e}"))?;
    if h.algorithm.as_str() != "argon2id" {
        return Err(format!("algorithm {} is not argon2id", h.algorithm));
    }
    let params = argon2::Params::try_from(&h).map_err(|e| format!("parameters: {e}"))?;
    let (m, t, _) = PIN_PARAMS;
    if params.m_cost() < m || params.t_cost() < t {
        return Err(format!(
            "m={} KiB, t={} is weaker than m={m} KiB, t={t}",
            params.m_cost(),
            params.t_cost()
        ));
    }
    Ok(())
}

/// Whether `pin` matches the stored PHC string (false for a malformed string).
pub fn pin_matches(stored: &str, pin: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The lockout rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Wrong tries allowed before the first lockout.
    pub free_tries: u32,
    /// First lockout, in milliseconds; doubles with each further wrong try.
    pub first_delay_ms: i64,
    /// Longest lockout.
    pub max_delay_ms: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            free_tries: 5,
            first_delay_ms: 30_000,
            max_delay_ms: 3_600_000,
        }
    }
}

/// Until when an invigilator with `wrong` consecutive wrong tries, the last at
/// `last_wrong_ms`, is locked out; `None` when not locked.
pub fn locked_until(policy: &LockoutPolicy, wrong: u32, last_wrong_ms: i64) -> Option<i64> {
    let over = wrong.checked_sub(policy.free_tries)?;
    let factor = 1i64.checked_shl(over).unwrap_or(i64::MAX);
    let delay = policy
        .first_delay_ms
        .saturating_mul(factor)
        .min(policy.max_delay_ms);
    Some(last_wrong_ms.saturating_add(delay))
}

/// What a PIN attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Right PIN: unlocked; the wrong count is reset.
    Unlocked,
    /// Wrong PIN; `left` tries before a lockout (0 means this try locked it).
    WrongPin {
        /// Tries left before the lockout.
        left: u32,
    },
    /// Locked out until this time; the PIN was not checked.
    LockedOut {
        /// Milliseconds since the epoch.
        until_ms: i64,
    },
    /// No invigilator with this id in the room package.
    UnknownInvigilator,
}

/// The kiosk's PIN gate: credentials from the room package and per-invigilator counts.
#[derive(Debug, Default)]
pub struct PinGate {
    policy: LockoutPolicy,
    credentials: HashMap<String, String>,
    wrong: HashMap<String, (u32, i64)>,
}

impl PinGate {
    /// A gate over `(invigilator id, PHC string)` pairs.
    pub fn new(
        policy: LockoutPolicy,
        credentials: impl IntoIterator<Item = (String, String)>,
    ) -> PinGate {
        PinGate {
            policy,
            credentials: credentials.into_iter().collect(),
            wrong: HashMap::new(),
        }
    }

    /// Carry wrong PINs over from before a restart: (count, time of the last) per
    /// invigilator, so powering the kiosk off and on does not lift a lockout.
    pub fn restore(&mut self, wrong: HashMap<String, (u32, i64)>) {
        self.wrong = wrong;
    }

    /// Try `pin` for invigilator `id` at `now_ms`.
    pub fn attempt(&mut self, id: &str, pin: &str, now_ms: i64) -> Attempt {
        let Some(stored) = self.credentials.get(id) else {
            return Attempt::UnknownInvigilator;
        };
        let (count, last) = self.wrong.get(id).copied().unwrap_or((0, 0));
        if let Some(until_ms) = locked_until(&self.policy, count, last) {
            if now_ms < until_ms {
                return Attempt::LockedOut { until_ms };
            }
        }
        if pin_matches(stored, pin) {
            self.wrong.remove(id);
            return Attempt::Unlocked;
        }
        let count = count + 1;
        self.wrong.insert(id.to_string(), (count, now_ms));
        Attempt::WrongPin {
            left: self.policy.free_tries.saturating_sub(count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_starts_after_five_and_doubles_to_a_cap() {
        let p = LockoutPolicy::default();
        assert_eq!(locked_until(&p, 4, 1000), None);
        assert_eq!(locked_until(&p, 5, 1000), Some(31_000));
        assert_eq!(locked_until(&p, 6, 1000), Some(61_000));
        assert_eq!(locked_until(&p, 7, 1000), Some(121_000));
        assert_eq!(locked_until(&p, 40, 1000), Some(3_601_000));
        assert_eq!(locked_until(&p, 200, 0), Some(3_600_000), "no overflow");
    }

    #[test]
    fn the_gate_counts_wrong_pins_locks_out_and_does_not_check_while_locked() {
        let stored = hash_pin("2468");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("2468"));
        let mut gate = PinGate::new(
            LockoutPolicy::default(),
            [
                ("inv-1".to_string(), stored),
                ("inv-2".to_string(), hash_pin("1357")),
            ],
        );
        for left in (0..5).rev() {
            assert_eq!(
                gate.attempt("inv-1", "0000", 1000),
                Attempt::WrongPin { left }
            );
        }
        // Locked for 30 s: even the right PIN is refused, unchecked.
        assert_eq!(
            gate.attempt("inv-1", "2468", 20_000),
            Attempt::LockedOut { until_ms: 31_000 }
        );
        // A restarted kiosk that restores the count keeps the lockout.
        let mut again = PinGate::new(
            LockoutPolicy::default(),
            [("inv-1".to_string(), hash_pin("2468"))],
        );
        again.restore(HashMap::from([("inv-1".to_string(), (5, 1000))]));
        assert_eq!(
            again.attempt("inv-1", "2468", 20_000),
            Attempt::LockedOut { until_ms: 31_000 }
        );
        // The other invigilator is not affected.
        assert_eq!(gate.attempt("inv-2", "1357", 20_000), Attempt::Unlocked);
        // After the delay one more wrong try locks for twice as long.
        assert_eq!(
            gate.attempt("inv-1", "1111", 31_000),
            Attempt::WrongPin { left: 0 }
        );
        assert_eq!(
            gate.attempt("inv-1", "2468", 60_000),
            Attempt::LockedOut { until_ms: 91_000 }
        );
        // The right PIN after the lockout unlocks and resets the count.
        assert_eq!(gate.attempt("inv-1", "2468", 91_000), Attempt::Unlocked);
        assert_eq!(
            gate.attempt("inv-1", "0000", 92_000),
            Attempt::WrongPin { left: 4 }
        );
        assert_eq!(
            gate.attempt("nobody", "2468", 92_000),
            Attempt::UnknownInvigilator
        );
    }

    #[test]
    fn a_malformed_stored_hash_never_matches() {
        assert!(!pin_matches("not a phc string", "2468"));
    }

    #[test]
    fn r12_a_typed_pin_never_shows_in_debug_output() {
        let pin = Pin::from("480613927");
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
        assert_eq!(pin.expose(), "480613927");
    }
}
