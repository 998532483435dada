//! Step 2, the inbox: unique pre-signed `Create{Note}` from 100 remote
//! actors whose keys the server already holds, replayed by our generator
//! against (a) the ceiling inbox (no verification, no database) and (b) the
//! real server; stored activities are counted in the database afterwards.
//! Then the same requests again (duplicates), a mix of bad signatures and
//! oversize bodies (status codes checked), and latency at half the
//! measured rate.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::http::HeaderValue;
use maillage_db::testing::TestDatabase;
use maillage_db::{Database, NewRemoteActor};
use serde_json::json;

use crate::crypto_step::CryptoLimits;
use crate::load::{self, Prepared};
use crate::report::{Report, cores};
use crate::server::{Server, free_port, instance_env};

const ACTORS: usize = 100;
const CONCURRENCY: usize = 32;

fn actor_id(n: usize) -> String {
    format!("http://peer{n}.bench.invalid/actors/member")
}

/// `count` signed requests to `url` (first at `offset`), made on every core.
fn prepare(url: &url::Url, private_pem: &str, offset: usize, count: usize, tag: &str) -> Vec<Prepared> {
    let workers = cores();
    let chunk = count.div_ceil(workers);
    let mut out: Vec<Prepared> = Vec::with_capacity(count);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    let mut part = Vec::new();
                    for i in (w * chunk)..((w + 1) * chunk).min(count) {
                        let n = offset + i;
                        let actor = actor_id(n % ACTORS);
                        let base = actor.trim_end_matches("/actors/member").to_string();
                        // About 2 KB, like a Mastodon Create{Note}.
                        let text = "Une coopérative de solidarité partage ses pratiques. ".repeat(20);
                        let activity = json!({
                            "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
                            "id": format!("{base}/activities/{tag}-{n}"),
                            "type": "Create",
                            "actor": actor,
                            "published": "2026-11-26T02:00:00Z",
                            "to": ["https://www.w3.org/ns/activitystreams#Public"],
                            "cc": [format!("{actor}/followers")],
                            "object": {
                                "id": format!("{base}/objects/{tag}-{n}"),
                                "type": "Note",
                                "attributedTo": actor,
                                "content": format!("<p>{text} {n}</p>"),
                                "published": "2026-11-26T02:00:00Z",
                                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                                "sensitive": false,
                            },
                        });
                        let body = activity.to_string().into_bytes();
                        let mut headers = maillage_federation::signature::sign(
                            &http::Method::POST,
                            url,
                            Some(&body),
                            &format!("{actor}#main-key"),
                            private_pem,
                            SystemTime::now(),
                        )
                        .expect("signing");
                        headers.insert("content-type", HeaderValue::from_static("application/activity+json"));
                        part.push(Prepared { headers, body: Bytes::from(body) });
                    }
                    part
                })
            })
            .collect();
        for handle in handles {
            out.extend(handle.join().expect("signing thread"));
        }
    });
    out
}

async fn seed_actors(db: &Database, public_pem: &str) -> anyhow::Result<()> {
    for n in 0..ACTORS {
        let id = actor_id(n);
        db.upsert_remote_actor(&NewRemoteActor {
            public_key_pem: public_pem.to_string(),
            ..maillage_db::testing::remote_actor(&id, "Person")
        })
        .await?;
    }
    Ok(())
}

/// Waits until every stored activity is processed; how long it took.
async fn drain(db: &Database) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while db.pending_received().await? > 0 {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "stored activities are not being processed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(started.elapsed())
}

/// Runs the inbox step on `database` (SQLite or PostgreSQL).
pub async fn run(
    report: &mut Report,
    binary: &Path,
    database: &TestDatabase,
    limits: &CryptoLimits,
    scale: f64,
) -> anyhow::Result<()> {
    let backend = database.kind().as_str();
    let step = format!("inbox ({backend})");
    eprintln!("step 2: {step}");
    let unique = ((20_000.0 * scale) as usize).max(500);
    let (public_pem, private_pem) = maillage_federation::crypto::generate_key_pair()?;

    // The ceiling, on its own port and process.
    let ceiling_port = free_port()?;
    let mut ceiling = std::process::Command::new(std::env::current_exe()?)
        .args(["ceiling-server", "--port", &ceiling_port.to_string()])
        .spawn()?;
    let port = free_port()?;
    let env = instance_env(port, database.url(), &[]);
    let server = Server::start(binary, &env, port).await?;
    let db = Database::connect(&maillage_config::DatabaseConfig {
        url: database.url().to_string(),
        max_connections: 2,
        connect_timeout_seconds: 5,
    })
    .await?;
    seed_actors(&db, &public_pem).await?;

    let inbox = url::Url::parse(&format!("http://localhost:{port}/inbox"))?;
    let started = Instant::now();
    let requests = Arc::new(prepare(&inbox, &private_pem, 0, unique, "u"));
    report.figure(&step, "requests signed for the run", unique as f64, "requests");
    report.figure(&step, "time to sign them", started.elapsed().as_secs_f64(), "s");

    // (a) The ceiling: same requests, no verification, no database.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ceiling_url = format!("http://127.0.0.1:{ceiling_port}/inbox");
    let ceiling_run = load::closed_loop(&ceiling_url, requests.clone(), CONCURRENCY).await?;
    let _ = ceiling.kill();
    let _ = ceiling.wait();
    anyhow::ensure!(ceiling_run.count(202) == unique, "the ceiling inbox refused requests: {:?}", ceiling_run.statuses);
    let ceiling_rate = ceiling_run.rate();
    report.figure(&step, "ceiling: HTTP + Digest + JSON, no verification, no database", ceiling_rate, "req/s");

    // (b) The real server.
    let before = db.count_received().await?;
    let run = load::closed_loop(inbox.as_str(), requests.clone(), CONCURRENCY).await?;
    let stored = db.count_received().await? - before;
    let stored_rate = stored as f64 / run.elapsed.as_secs_f64();
    report.figure(&step, "activities stored per second (counted in the database)", stored_rate, "1/s");
    report.figure(
        &step,
        "stored/s ÷ our verification capacity (verify/s per core × cores)",
        stored_rate / (limits.verify_per_core * cores() as f64),
        "×",
    );
    report.figure(&step, "p50 latency at full load (non-202 counted as infinite)", run.percentile_ms(0.5, 202), "ms");
    report.figure(&step, "p99 latency at full load (non-202 counted as infinite)", run.percentile_ms(0.99, 202), "ms");
    report.figure(&step, "answers other than 202", (unique - run.count(202)) as f64, "requests");
    // 202 means stored; processing may go on after the answer. Its own pace:
    let backlog = db.pending_received().await?;
    report.figure(&step, "stored but not yet processed when the load stopped", backlog as f64, "activities");
    let drained = drain(&db).await?;
    report.figure(
        &step,
        "activities processed per second (first request to last processed)",
        stored as f64 / (run.elapsed + drained).as_secs_f64(),
        "1/s",
    );
    let lost = unique as i64 - stored;
    report.at_most(
        &format!("{step}: activities lost"),
        lost as f64,
        0.0,
        "activities",
        "unique requests sent − rows stored",
    );
    let ceiling_share = if backend == "postgres" { 0.3 } else { 0.5 };
    report.at_least(
        &format!("{step}: stored/s vs the HTTP + digest + JSON ceiling"),
        stored_rate / ceiling_rate,
        ceiling_share,
        "×",
        "stored per second ÷ ceiling requests per second, same requests, same run",
    );
    let largest_costs = if backend == "postgres" {
        "PostgreSQL runs on the same cores, fsyncs every commit and answers each statement of the processing \
         in a round trip of its own"
    } else {
        "profiles show SQLite's writes and the hand-offs of every SQLite call and RSA verification to blocking \
         threads as the largest costs"
    };
    report.why_missed(format!(
        "the ceiling only parses, hashes and answers; the server also verifies each signature, commits it and \
         processes it (here {processed:.0}/s, on the same cores as the storing), and on {cores} cores it shares \
         the machine with the load generator; {largest_costs}",
        processed = stored as f64 / (run.elapsed + drained).as_secs_f64(),
        cores = cores(),
    ));
    if backend == "sqlite" {
        report.at_least(
            "inbox (sqlite): stored/s vs what the rsa crate could verify",
            stored_rate / (limits.rsa_crate_verify_per_core * cores() as f64),
            5.0,
            "×",
            "stored per second ÷ (rsa crate verifications per second per core × cores)",
        );
        let asked = 5.0 * limits.rsa_crate_verify_per_core * cores() as f64;
        report.why_missed(format!(
            "5 × the rsa crate's verifications on every core is {asked:.0} activities/s, {:.1} × the ceiling \
             inbox measured in this run ({ceiling_rate:.0} req/s, no verification and no database): on this \
             machine the target asks for more than HTTP and JSON alone allow",
            asked / ceiling_rate
        ));
    }

    // (c) Duplicates: the same requests again; nothing new is stored.
    let again = load::closed_loop(inbox.as_str(), requests.clone(), CONCURRENCY).await?;
    report.figure(&step, "duplicates answered per second", again.rate(), "req/s");
    // A replay refused (or unanswered) stores nothing either: the target
    // below means something only when every duplicate is acknowledged.
    report.at_least(
        &format!("{step}: duplicates acknowledged"),
        again.count(202) as f64 / unique as f64,
        1.0,
        "×",
        "202 answers to the replay ÷ requests replayed (a duplicate is acknowledged and ignored)",
    );
    report.why_missed(format!("answers to the replay: {:?}, {} without an answer", again.statuses, again.errors));
    report.at_most(
        &format!("{step}: duplicates stored"),
        (db.count_received().await? - before - stored) as f64,
        0.0,
        "activities",
        "rows added by replaying every request",
    );

    // (d) Bad input: 10% bad signatures and 1% oversize bodies among new requests.
    let mixed_count = (unique / 4).max(200);
    let mut mixed = prepare(&inbox, &private_pem, unique, mixed_count, "m");
    let mut expected = Vec::with_capacity(mixed_count);
    for (i, request) in mixed.iter_mut().enumerate() {
        if i % 100 == 7 {
            request.body = Bytes::from(vec![b' '; 2 * 1024 * 1024]);
            expected.push(413);
        } else if i % 10 == 3 {
            let signature = request.headers["signature"].to_str().unwrap_or_default().to_string();
            let tampered = signature.replacen("signature=\"", "signature=\"AAAA", 1);
            request.headers.insert("signature", HeaderValue::from_str(&tampered)?);
            expected.push(401);
        } else {
            expected.push(202);
        }
    }
    let mixed_run = load::closed_loop(inbox.as_str(), Arc::new(mixed), CONCURRENCY).await?;
    let want = |code: u16| expected.iter().filter(|c| **c == code).count();
    // A 2 MiB body may be cut off by the server's early 413 (it closes the
    // connection while the client still sends): that is the refusal too.
    let matched = mixed_run.count(202) == want(202)
        && mixed_run.count(401) == want(401)
        && mixed_run.count(413) + mixed_run.errors == want(413);
    report.figure(&step, "mixed: oversize bodies cut off before an answer", mixed_run.errors as f64, "requests");
    report.figure(&step, "mixed: 202 answers", mixed_run.count(202) as f64, "requests");
    report.figure(&step, "mixed: 401 answers (bad signatures)", mixed_run.count(401) as f64, "requests");
    report.figure(&step, "mixed: 413 answers (2 MiB bodies)", mixed_run.count(413) as f64, "requests");
    report.at_least(
        &format!("{step}: mixed load answered as documented"),
        if matched { 1.0 } else { 0.0 },
        1.0,
        "yes/no",
        "every valid request 202, every bad signature 401, every oversize body 413 (or cut off)",
    );

    // (e) Latency at half the measured rate.
    drain(&db).await?;
    let half = stored_rate / 2.0;
    let paced_count = ((half * 5.0 * scale.max(0.4)) as usize).max(200);
    let paced_requests = Arc::new(prepare(&inbox, &private_pem, unique + mixed_count, paced_count, "p"));
    let paced = load::paced(inbox.as_str(), paced_requests, half).await?;
    report.figure(&step, "p50 latency at half the maximum rate", paced.percentile_ms(0.5, 202), "ms");
    report.at_most(
        &format!("{step}: p99 latency at half the maximum rate"),
        paced.percentile_ms(0.99, 202),
        50.0,
        "ms",
        "open-loop load at half the stored/s measured above; an answer other than 202, or none, counts as infinitely slow",
    );
    report.why_missed(format!("answers: {:?}, {} without an answer", paced.statuses, paced.errors));
    server.stop();
    Ok(())
}
