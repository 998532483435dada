//! Counters of this process for `GET /metrics` (Prometheus text format):
//! inbox requests accepted and refused, deliveries made and failed, and the
//! latency of HTTP requests. Queue depths are read from the database when
//! the page is rendered (they are shared by every process).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub struct Metrics {
    pub inbox_accepted: AtomicU64,
    pub inbox_duplicates: AtomicU64,
    pub inbox_rejected: AtomicU64,
    pub deliveries_sent: AtomicU64,
    pub deliveries_failed: AtomicU64,
    pub deliveries_retried: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

/// The process's counters.
pub static METRICS: Metrics = Metrics {
    inbox_accepted: AtomicU64::new(0),
    inbox_duplicates: AtomicU64::new(0),
    inbox_rejected: AtomicU64::new(0),
    deliveries_sent: AtomicU64::new(0),
    deliveries_failed: AtomicU64::new(0),
    deliveries_retried: AtomicU64::new(0),
    latency_buckets: [const { AtomicU64::new(0) }; BUCKETS.len()],
    latency_count: AtomicU64::new(0),
    latency_sum_micros: AtomicU64::new(0),
};

/// Shared queue figures, read from the database.
#[derive(Debug, Default, Clone, Copy)]
pub struct QueueFigures {
    pub deliveries_pending: i64,
    pub deliveries_failed: i64,
    pub inbox_pending: i64,
    pub inbox_failed: i64,
    pub unreachable_servers: i64,
}

pub fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    pub fn observe_request(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The page `GET /metrics` serves.
    pub fn render(&self, queue: &QueueFigures) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: &[(String, String)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in lines {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let one = |v: String| vec![(String::new(), v)];
        // One line a value of the label `label`: `{label="value"} n`.
        fn by<N: std::fmt::Display>(label: &str, values: &[(&str, N)]) -> Vec<(String, String)> {
            values.iter().map(|(value, n)| (format!("{{{label}=\"{value}\"}}"), n.to_string())).collect()
        }
        metric(
            "maillage_inbox_requests_total",
            "counter",
            "Inbox POSTs by outcome, since this process started.",
            &by(
                "outcome",
                &[
                    ("accepted", get(&self.inbox_accepted)),
                    ("duplicate", get(&self.inbox_duplicates)),
                    ("rejected", get(&self.inbox_rejected)),
                ],
            ),
        );
        metric(
            "maillage_deliveries_total",
            "counter",
            "Delivery attempts by outcome, since this process started.",
            &by(
                "outcome",
                &[
                    ("sent", get(&self.deliveries_sent)),
                    ("failed", get(&self.deliveries_failed)),
                    ("retry", get(&self.deliveries_retried)),
                ],
            ),
        );
        metric(
            "maillage_delivery_queue",
            "gauge",
            "Deliveries in the shared queue, by state.",
            &by("state", &[("pending", queue.deliveries_pending), ("failed", queue.deliveries_failed)]),
        );
        metric(
            "maillage_inbox_queue",
            "gauge",
            "Received activities not processed yet (pending) or refused on processing (failed).",
            &by("state", &[("pending", queue.inbox_pending), ("failed", queue.inbox_failed)]),
        );
        metric(
            "maillage_unreachable_servers",
            "gauge",
            "Servers whose deliveries are parked by the circuit breaker.",
            &one(queue.unreachable_servers.to_string()),
        );
        let mut histogram: Vec<(String, String)> = BUCKETS
            .iter()
            .zip(&self.latency_buckets)
            .map(|(bound, bucket)| (format!("_bucket{{le=\"{bound}\"}}"), get(bucket).to_string()))
            .collect();
        histogram.push(("_bucket{le=\"+Inf\"}".into(), get(&self.latency_count).to_string()));
        histogram.push(("_sum".into(), format!("{}", get(&self.latency_sum_micros) as f64 / 1e6)));
        histogram.push(("_count".into(), get(&self.latency_count).to_string()));
        metric(
            "maillage_http_request_duration_seconds",
            "histogram",
            "Time to answer HTTP requests, since this process started.",
            &histogram,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_prometheus_text() {
        let metrics = Metrics {
            inbox_accepted: AtomicU64::new(3),
            inbox_duplicates: AtomicU64::new(0),
            inbox_rejected: AtomicU64::new(1),
            deliveries_sent: AtomicU64::new(0),
            deliveries_failed: AtomicU64::new(0),
            deliveries_retried: AtomicU64::new(0),
            latency_buckets: [const { AtomicU64::new(0) }; BUCKETS.len()],
            latency_count: AtomicU64::new(0),
            latency_sum_micros: AtomicU64::new(0),
        };
        metrics.observe_request(Duration::from_millis(20));
        let page = metrics.render(&QueueFigures { deliveries_pending: 7, ..QueueFigures::default() });
        assert!(page.contains("maillage_inbox_requests_total{outcome=\"accepted\"} 3\n"), "{page}");
        assert!(page.contains("maillage_delivery_queue{state=\"pending\"} 7\n"), "{page}");
        assert!(page.contains("maillage_http_request_duration_seconds_bucket{le=\"0.01\"} 0\n"), "{page}");
        assert!(page.contains("maillage_http_request_duration_seconds_bucket{le=\"0.025\"} 1\n"), "{page}");
        assert!(page.contains("maillage_http_request_duration_seconds_count 1\n"), "{page}");
        assert!(page.contains("# TYPE maillage_http_request_duration_seconds histogram\n"), "{page}");
    }
}
