//! The mail worker of a `maillage serve` process: claims due messages of
//! the queue (a lease, so that processes sharing a database never send one
//! twice at once, and a crashed worker's messages come back), sends each
//! over SMTP with lettre, and records what happened: done once the server
//! took it; a temporary failure (the server unreachable, a 4xx) is retried
//! with doubling delays, up to `mail.give_up_after_hours`; a permanent
//! refusal (5xx) is given up at once. Both end with a log line.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use maillage_config::Config;
use maillage_db::{Database, QueuedMail, UtcTime};
use tokio::sync::watch;

use crate::AppError;
use crate::repeated::RepeatedWarning;

/// Messages one worker claims at once (sent one after the other).
const BATCH: i64 = 10;
/// How long a claimed message stays reserved to one worker.
const LEASE_SECONDS: i64 = 120;
/// The longest one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

static SMTP_UNREACHABLE: RepeatedWarning = RepeatedWarning::new("cannot send e-mail for now; it stays queued");
static QUEUE_FAILED: RepeatedWarning = RepeatedWarning::new("cannot read the mail queue");

/// The SMTP connection settings and the sender, as configured.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer `[mail]` describes; `None` when mail is off.
    pub fn from_config(config: &Config) -> Result<Option<Self>, AppError> {
        if !config.mail.enabled() {
            return Ok(None);
        }
        let setting = |key: &str, e: &dyn std::fmt::Display| AppError::invalid("mail", format!("{key}: {e}"));
        let from: Mailbox = config.mail.from.trim().parse().map_err(|e| setting("mail.from", &e))?;
        let host = config.instance.domain.split(':').next().unwrap_or("localhost").to_string();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.mail.smtp_url.trim())
            .map_err(|e| setting("mail.smtp_url", &e))?
            .hello_name(ClientId::Domain(host))
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Some(Mailer { transport, from }))
    }

    async fn send(&self, mail: &QueuedMail) -> Result<(), Failure> {
        let to: Mailbox =
            mail.recipient.parse().map_err(|e| Failure::Permanent(format!("not an address to send to: {e}")))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text_body.clone(), mail.html_body.clone()))
            .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
            Err(e) => Err(Failure::Temporary(e.to_string())),
        }
    }
}

enum Failure {
    /// The server refused it for good (5xx), or it cannot be sent at all.
    Permanent(String),
    /// Try again later.
    Temporary(String),
}

/// Sends queued mail until `stop`; returns at once when mail is off.
pub async fn run(db: Database, config: Arc<Config>, mut stop: watch::Receiver<bool>) {
    let mailer = match Mailer::from_config(&config) {
        Ok(Some(mailer)) => mailer,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, "mail is not sent: fix the [mail] settings");
            return;
        }
    };
    let poll = Duration::from_millis(config.delivery.poll_interval_ms.max(1));
    loop {
        let sent = match db.claim_mail(BATCH, LEASE_SECONDS).await {
            Ok(batch) => {
                let n = batch.len();
                for mail in batch {
                    if *stop.borrow() {
                        break;
                    }
                    let outcome = mailer.send(&mail).await;
                    if let Err(error) = record(&db, &config, &mail, outcome).await {
                        QUEUE_FAILED.warn(&error);
                    }
                }
                n
            }
            Err(error) => {
                QUEUE_FAILED.warn(&error);
                0
            }
        };
        if sent as i64 == BATCH {
            continue;
        }
        tokio::select! {
            biased;
            _ = stop.wait_for(|stopping| *stopping) => return,
            _ = db.mail_queued() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

async fn record(
    db: &Database,
    config: &Config,
    mail: &QueuedMail,
    outcome: Result<(), Failure>,
) -> Result<(), maillage_db::DbError> {
    match outcome {
        Ok(()) => {
            tracing::info!(id = mail.id, to = %mail.recipient, "e-mail sent");
            db.mail_sent(mail.id).await
        }
        Err(Failure::Permanent(error)) => {
            tracing::warn!(id = mail.id, to = %mail.recipient, %error, "e-mail refused for good; given up");
            db.mail_failed(mail.id, &error).await
        }
        Err(Failure::Temporary(error)) => {
            let age = UtcTime::now().as_datetime() - mail.created_at.as_datetime();
            let give_up = chrono::Duration::hours(config.mail.give_up_after_hours as i64);
            if age > give_up {
                tracing::warn!(id = mail.id, to = %mail.recipient, %error, "e-mail still not sent; given up");
                return db.mail_failed(mail.id, &error).await;
            }
            SMTP_UNREACHABLE.warn(&error);
            let delay = retry_delay(config, mail.attempts);
            let next = UtcTime::from(UtcTime::now().as_datetime() + delay);
            db.mail_retry(mail.id, &error, next).await
        }
    }
}

/// Doubling delays from `retry_initial_seconds`, at most `retry_max_seconds`.
fn retry_delay(config: &Config, attempts: i32) -> chrono::Duration {
    let initial = config.mail.retry_initial_seconds;
    let seconds = initial.saturating_mul(1u64 << attempts.clamp(0, 30)).min(config.mail.retry_max_seconds);
    chrono::Duration::seconds(seconds as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_largest_delay() {
        let config = Config::load_with_env(None, Vec::new()).unwrap();
        let delays: Vec<i64> = (0..9).map(|a| retry_delay(&config, a).num_seconds()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
