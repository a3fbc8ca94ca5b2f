//! The one source of "now".
//!
//! Everything that depends on the time — the expiry check of verification, lint's expiry
//! findings, the default `expires` of a new layout, relative expiry input (`+6m`) and the
//! Layout tab's "days left" — asks a [`Clock`] instead of the system clock, so that tests pin
//! it and never depend on today's date, the month's length, the time zone or the time of day.
//!
//! The binary takes its clock from [`Clock::process`]: the system clock, or the instant in
//! `INTOTO_STUDIO_NOW` (RFC 3339, e.g. `2026-01-01T00:00:00Z`) when that is set, which is how
//! end-to-end tests of the real binary pin it. An unparsable value is refused, never ignored.

use jiff::Timestamp;
use std::sync::OnceLock;

/// The environment variable that pins the process clock.
pub const NOW_ENV: &str = "INTOTO_STUDIO_NOW";

/// Where "now" comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock, read at each call.
    #[default]
    System,
    /// A fixed instant (tests, `INTOTO_STUDIO_NOW`, what-if mode's moved clock).
    Fixed(Timestamp),
}

impl Clock {
    /// The current instant by this clock.
    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => t,
        }
    }

    /// A clock fixed at an RFC 3339 instant.
    pub fn fixed(rfc3339: &str) -> Result<Clock, String> {
        rfc3339
            .trim()
            .parse::<Timestamp>()
            .map(Clock::Fixed)
            .map_err(|e| format!("{NOW_ENV}: '{rfc3339}' is not an RFC 3339 instant: {e}"))
    }

    /// The clock named by an `INTOTO_STUDIO_NOW` value (`None`: the system clock).
    pub fn from_env_value(value: Option<&str>) -> Result<Clock, String> {
        match value {
            None => Ok(Clock::System),
            Some(v) => Clock::fixed(v),
        }
    }

    /// The process clock: `INTOTO_STUDIO_NOW` if set, else the system clock. Read once.
    pub fn process() -> Result<Clock, String> {
        static PROCESS: OnceLock<Result<Clock, String>> = OnceLock::new();
        PROCESS
            .get_or_init(|| {
                let v = std::env::var_os(NOW_ENV).map(|v| v.to_string_lossy().into_owned());
                Clock::from_env_value(v.as_deref())
            })
            .clone()
    }

    /// Whether this clock is pinned (shown to the user: a pinned clock changes verdicts).
    pub fn is_fixed(self) -> bool {
        matches!(self, Clock::Fixed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_never_moves() {
        let c = Clock::fixed("2026-02-27T12:00:00Z").unwrap();
        assert_eq!(c.now(), c.now());
        assert_eq!(c.now().to_string(), "2026-02-27T12:00:00Z");
        assert!(c.is_fixed());
        assert!(!Clock::System.is_fixed());
    }

    #[test]
    fn env_values() {
        assert_eq!(Clock::from_env_value(None).unwrap(), Clock::System);
        assert_eq!(
            Clock::from_env_value(Some("2030-02-28T00:00:00+01:00")).unwrap(),
            Clock::fixed("2030-02-27T23:00:00Z").unwrap()
        );
        let e = Clock::from_env_value(Some("tomorrow")).unwrap_err();
        assert!(e.contains(NOW_ENV) && e.contains("tomorrow"), "{e}");
    }
}
