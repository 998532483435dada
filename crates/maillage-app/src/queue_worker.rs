//! What the queue workers of a `maillage serve` process share (mail, Web
//! Push): the pace of draining a leased queue in batches, and the doubling
//! delays of their retries up to a give-up age; and the beat of the workers
//! that run at an interval (the media cleanup, the remote media fetcher).

use std::time::Duration;

use maillage_db::UtcTime;
use tokio::sync::watch;

/// Doubling delays from `initial_seconds`, at most `max_seconds`; a message
/// older than `give_up_after_hours` is not tried again.
pub(crate) struct Backoff {
    pub initial_seconds: u64,
    pub max_seconds: u64,
    pub give_up_after_hours: u64,
}

impl Backoff {
    /// When to try again after `attempts` failed attempts of a message
    /// queued at `created_at`; `None` once it is time to give up.
    pub(crate) fn next_attempt(&self, attempts: i32, created_at: UtcTime) -> Option<UtcTime> {
        let now = UtcTime::now().as_datetime();
        let give_up = chrono::Duration::hours(i64::try_from(self.give_up_after_hours).unwrap_or(i64::MAX / 3_600_000));
        if now - created_at.as_datetime() > give_up {
            return None;
        }
        Some(UtcTime::from(now + self.delay(attempts)))
    }

    fn delay(&self, attempts: i32) -> chrono::Duration {
        let seconds = self.initial_seconds.saturating_mul(1u64 << attempts.clamp(0, 30)).min(self.max_seconds);
        chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 1000))
    }
}

/// The pace of a worker draining a leased queue in batches of `batch`: a
/// full batch is followed at once by the next; otherwise the worker waits
/// for a row to be queued (`wake`) or `poll`, whichever comes first.
pub(crate) struct Pace {
    batch: usize,
    poll: Duration,
    stop: watch::Receiver<bool>,
}

impl Pace {
    pub(crate) fn new(batch: i64, poll: Duration, stop: watch::Receiver<bool>) -> Self {
        Pace { batch: usize::try_from(batch).unwrap_or(usize::MAX), poll, stop }
    }

    /// True while the process is not stopping (the worker then stops
    /// between two rows of a batch).
    pub(crate) fn running(&self) -> bool {
        !*self.stop.borrow()
    }

    /// Waits as a round that claimed `claimed` rows asks; false once the
    /// process is stopping.
    pub(crate) async fn after(&mut self, claimed: usize, wake: impl Future<Output = ()>) -> bool {
        if claimed >= self.batch {
            return self.running();
        }
        tokio::select! {
            biased;
            _ = self.stop.wait_for(|stopping| *stopping) => false,
            _ = wake => true,
            _ = tokio::time::sleep(self.poll) => true,
        }
    }
}

/// The beat of a worker that runs every `every` until the process stops:
/// a round that runs late delays the next rather than bunching them.
pub(crate) struct Periodic {
    ticks: tokio::time::Interval,
    stop: watch::Receiver<bool>,
}

impl Periodic {
    pub(crate) fn new(every: Duration, stop: watch::Receiver<bool>) -> Self {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Periodic { ticks, stop }
    }

    /// Waits for the next round (the first at once); false once the
    /// process is stopping.
    pub(crate) async fn next(&mut self) -> bool {
        tokio::select! {
            biased;
            _ = self.stop.wait_for(|stopping| *stopping) => false,
            _ = self.ticks.tick() => true,
        }
    }

    /// True while the process is not stopping (a round then stops early).
    pub(crate) fn running(&self) -> bool {
        !*self.stop.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_largest_delay_then_give_up() {
        let backoff = Backoff { initial_seconds: 30, max_seconds: 3600, give_up_after_hours: 48 };
        let delays: Vec<i64> = (0..9).map(|a| backoff.delay(a).num_seconds()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        let fresh = UtcTime::now();
        let next = backoff.next_attempt(1, fresh).expect("a fresh message is retried");
        let wait = next.as_datetime() - UtcTime::now().as_datetime();
        assert!(wait > chrono::Duration::seconds(50) && wait <= chrono::Duration::seconds(60), "{wait}");
        let old = UtcTime::from(UtcTime::now().as_datetime() - chrono::Duration::hours(49));
        assert_eq!(backoff.next_attempt(1, old), None);
    }
}
