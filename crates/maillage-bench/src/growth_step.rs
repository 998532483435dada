//! Step 4, growth: the queries behind our collections, timelines and
//! directory, timed at 10^4, 10^5 and 10^6 stored rows (a tenth with
//! --quick), on SQLite and PostgreSQL. The step also checks that no query
//! in the code base pages with OFFSET.

use std::time::{Duration, Instant};

use maillage_db::testing::TestDatabase;
use maillage_db::{Database, Direction, FollowState, NewLocalActor};

use crate::report::Report;

struct Latency {
    p50_ms: f64,
    p95_ms: f64,
}

async fn time<F, Fut, T>(iterations: usize, mut query: F) -> anyhow::Result<Latency>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, maillage_db::DbError>>,
{
    for _ in 0..(iterations / 20).max(1) {
        query().await?;
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        query().await?;
        samples.push(started.elapsed());
    }
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0;
    Ok(Latency { p50_ms: at(0.5), p95_ms: at(0.95) })
}

/// The queries timed, and how many runs each (the directory reads every
/// enterprise: a few runs suffice to see how it grows).
const QUERIES: [(&str, usize); 7] = [
    ("outbox page 1", 200),
    ("outbox page deep", 200),
    ("followers page", 200),
    ("public timeline", 200),
    ("tag timeline (1 post in 100)", 200),
    ("enterprise list page (API)", 200),
    ("enterprise directory (/directory snapshot)", 10),
];

/// `directory.max_per_server` in config/default.toml, and the most remote
/// enterprises the directory reads (`REMOTE_MAX` in maillage-web).
const DIRECTORY_MAX_PER_SERVER: i64 = 5000;
const DIRECTORY_REMOTE_MAX: i64 = 50_000;

async fn measure(db: &Database, size: i64) -> anyhow::Result<Vec<Latency>> {
    let actor = db
        .create_local_actor(&NewLocalActor {
            kind: maillage_domain_kind(),
            username: maillage_domain_handle("growth")?,
            ap_id: "http://bench.invalid/actors/growth".into(),
            display_name: "Growth".into(),
            summary: String::new(),
            public_key_pem: "none".into(),
            private_key_pem: "none".into(),
        })
        .await?;
    db.bench_seed_activities(actor.id, size, "g").await?;
    db.bench_seed_posts(actor.id, size, "g").await?;
    db.bench_seed_post_tags("rare", 100).await?;
    db.bench_seed_followers(actor.id, size, 1000, 9, "g", "none").await?;
    db.bench_seed_local_actors(size, "e").await?;
    db.bench_analyze().await?;
    let deep = db.outbox_page(actor.id, None, 1).await?.first().map_or(0, |a| a.id) - size / 2;
    let runs = |q: usize| QUERIES[q].1;
    let newest = maillage_db::PageBounds::newest(20);
    let anyone = maillage_db::Reader::anonymous();
    Ok(vec![
        time(runs(0), || db.outbox_page(actor.id, None, 40)).await?,
        time(runs(1), || db.outbox_page(actor.id, Some(deep), 40)).await?,
        time(runs(2), || db.follows_page(actor.id, Direction::Incoming, FollowState::Accepted, None, 40)).await?,
        time(runs(3), || db.posts_page(maillage_db::PostSource::Listed, &anyone, &newest)).await?,
        time(runs(4), || db.tagged_posts_page("rare", &newest)).await?,
        time(runs(5), || db.list_local_actors(maillage_domain_kind(), Some("e5"), 40)).await?,
        // What `/directory` reads when its snapshot is rebuilt.
        time(runs(6), || db.directory_rows(DIRECTORY_MAX_PER_SERVER, DIRECTORY_REMOTE_MAX)).await?,
    ])
}

fn maillage_domain_kind() -> maillage_domain::ActorKind {
    maillage_domain::ActorKind::Enterprise
}

fn maillage_domain_handle(name: &str) -> anyhow::Result<maillage_domain::Handle> {
    maillage_domain::Handle::parse(name).map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn run(report: &mut Report, postgres: Option<&str>, scale: f64) -> anyhow::Result<()> {
    eprintln!("step 4: growth");
    let sizes: Vec<i64> = [10_000.0, 100_000.0, 1_000_000.0].iter().map(|s| (s * scale) as i64).collect();
    let mut backends = vec![("sqlite", None)];
    if let Some(url) = postgres {
        backends.push(("postgres", Some(url)));
    }
    for (backend, admin_url) in backends {
        let mut results: Vec<Vec<Latency>> = Vec::new();
        for size in &sizes {
            let database = match admin_url {
                Some(url) => TestDatabase::create_postgres(url).await,
                None => TestDatabase::create_sqlite(),
            }
            .map_err(anyhow::Error::msg)?;
            let db = Database::connect(&maillage_config::DatabaseConfig {
                url: database.url().to_string(),
                max_connections: 2,
                connect_timeout_seconds: 5,
            })
            .await?;
            db.migrate().await?;
            let started = Instant::now();
            let latencies = measure(&db, *size).await?;
            eprintln!("  {backend}: {size} rows per table measured in {:.1} s", started.elapsed().as_secs_f64());
            results.push(latencies);
            db.close();
        }
        let (smallest, largest) = (sizes[0], sizes[sizes.len() - 1]);
        for (q, (name, runs)) in QUERIES.iter().enumerate() {
            for (i, size) in sizes.iter().enumerate() {
                report.figure(
                    &format!("growth ({backend})"),
                    &format!("{name} at {size}: p50 / p95"),
                    results[i][q].p50_ms,
                    &format!("ms (p95 {:.3} ms)", results[i][q].p95_ms),
                );
            }
            let first = &results[0][q];
            let last = &results[results.len() - 1][q];
            // The directory's snapshot is not paged: it grows with the enterprises.
            let why = (q == 6).then_some(
                "the directory reads every local enterprise (and up to 50,000 remote ones) into a snapshot it \
                 filters in memory; the snapshot is rebuilt at most every few seconds, so one request in that \
                 interval pays this",
            );
            report.at_most(
                &format!("growth ({backend}): {name}, L({largest})/L({smallest})"),
                last.p50_ms / first.p50_ms,
                3.0,
                "×",
                "median latency at the largest size ÷ at the smallest",
            );
            if let Some(why) = why {
                report.why_missed(why);
            }
            report.at_most(
                &format!("growth ({backend}): {name}, p95 at {largest}"),
                last.p95_ms,
                5.0,
                "ms",
                &format!("95th percentile of {runs} runs, through the connection pool"),
            );
            if let Some(why) = why {
                report.why_missed(why);
            }
        }
    }
    Ok(())
}

/// Counts OFFSET paging in the Rust sources of the crates (see
/// [`offsets_in`]).
pub fn offset_uses(root: &std::path::Path) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut stack = vec![root.join("crates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                // This crate names the words it looks for.
                if !path.ends_with("maillage-bench") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                count += offsets_in(&std::fs::read_to_string(&path)?);
            }
        }
    }
    Ok(count)
}

/// Uses of OFFSET in `source`, whatever the case: diesel's `.offset(`, and
/// the SQL keyword followed by what it skips (`OFFSET 40`, `offset ?`,
/// `OFFSET $2`, `offset {}`...). The word in prose ("offset by") or in a
/// longer name (`REMOTE_OFFSET`, `fixed_offset()`) is not a use.
pub fn offsets_in(source: &str) -> usize {
    let lower = source.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    lower
        .match_indices("offset")
        .filter(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = &lower[at + "offset".len()..];
            if before.is_some_and(word) || after.bytes().next().is_some_and(word) {
                return false;
            }
            let method = before == Some(b'.') && after.trim_start().starts_with('(');
            let skipped = after.starts_with(char::is_whitespace)
                && after.trim_start().starts_with(|c: char| c.is_ascii_digit() || "?$:{".contains(c));
            method || skipped
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::offsets_in;

    #[test]
    fn offset_paging_is_found_whatever_its_case() {
        for used in [
            ".offset(40)",
            "q.Offset (n)",
            "LIMIT 40 OFFSET 80",
            "limit ? offset ?",
            "LIMIT $1 Offset $2",
            "format!(\"... offset {}\", n)",
            "LIMIT 10\n  OFFSET :skip",
        ] {
            assert_eq!(offsets_in(used), 1, "{used}");
        }
        for prose in [
            "//! never with OFFSET. Local posts",
            "remote ones are offset by [`REMOTE_OFFSET`]",
            "n >= REMOTE_OFFSET",
            "post.published.fixed_offset()",
            "let offset = 3;",
        ] {
            assert_eq!(offsets_in(prose), 0, "{prose}");
        }
    }
}
