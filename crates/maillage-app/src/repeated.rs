//! A warning that can fire many times a second (the database is down, the
//! disk is full) is logged once, then summarised at most once a minute
//! with how many times it repeated, so that the log stays readable.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often a repeated warning is written at most, unless
/// [`summarise_every`] says otherwise (`log.repeat_summary_seconds`).
pub const SUMMARY_EVERY: Duration = Duration::from_secs(60);

static SUMMARY_SECONDS: AtomicU64 = AtomicU64::new(SUMMARY_EVERY.as_secs());

/// Sets, for the whole process, how often a repeated warning is written at
/// most (from `log.repeat_summary_seconds`, at start).
pub fn summarise_every(interval: Duration) {
    SUMMARY_SECONDS.store(interval.as_secs().max(1), Ordering::Relaxed);
}

fn summary_interval() -> Duration {
    Duration::from_secs(SUMMARY_SECONDS.load(Ordering::Relaxed))
}

/// One kind of warning and its repetitions since it was last written.
pub struct RepeatedWarning {
    what: &'static str,
    state: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    written_at: Option<Instant>,
    since: u64,
}

impl RepeatedWarning {
    pub const fn new(what: &'static str) -> Self {
        RepeatedWarning { what, state: Mutex::new(Seen { written_at: None, since: 0 }) }
    }

    /// Notes one occurrence; writes it when the last was written more than
    /// the summary interval ago. True when it was written.
    pub fn warn(&self, detail: &dyn std::fmt::Display) -> bool {
        self.warn_at(Instant::now(), detail)
    }

    fn warn_at(&self, now: Instant, detail: &dyn std::fmt::Display) -> bool {
        let mut seen = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.written_at.is_some_and(|at| now.duration_since(at) < summary_interval()) {
            seen.since += 1;
            return false;
        }
        match seen.since {
            0 => tracing::warn!(%detail, "{}", self.what),
            repeated => tracing::warn!(%detail, "{} (repeated {repeated} times since the last report)", self.what),
        }
        *seen = Seen { written_at: Some(now), since: 0 };
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_warning_is_written_once_a_minute_at_most() {
        let warning = RepeatedWarning::new("the database cannot serve");
        let start = Instant::now();
        assert!(warning.warn_at(start, &"down"));
        for second in 1..60 {
            assert!(!warning.warn_at(start + Duration::from_secs(second), &"down"));
        }
        assert!(warning.warn_at(start + SUMMARY_EVERY, &"down"), "summarised after a minute");
        assert_eq!(warning.state.lock().unwrap().since, 0);
        assert!(!warning.warn_at(start + SUMMARY_EVERY + Duration::from_secs(1), &"down"));
    }
}
