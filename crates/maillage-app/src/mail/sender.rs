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
use maillage_db::{Database, QueuedMail};
use tokio::sync::watch;

use crate::AppError;
use crate::queue_worker::{Backoff, Pace};
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
pub async fn run(db: Database, config: Arc<Config>, stop: watch::Receiver<bool>) {
    let mailer = match Mailer::from_config(&config) {
        Ok(Some(mailer)) => mailer,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, "mail is not sent: fix the [mail] settings");
            return;
        }
    };
    let mut pace = Pace::new(BATCH, Duration::from_millis(config.delivery.poll_interval_ms.max(1)), stop);
    loop {
        let claimed = send_batch(&db, &config, &mailer, &pace).await;
        if !pace.after(claimed, db.mail_queued()).await {
            return;
        }
    }
}

/// Claims and sends one batch; how many messages it claimed.
async fn send_batch(db: &Database, config: &Config, mailer: &Mailer, pace: &Pace) -> usize {
    let batch = match db.claim_mail(BATCH, LEASE_SECONDS).await {
        Ok(batch) => batch,
        Err(error) => {
            QUEUE_FAILED.warn(&error);
            return 0;
        }
    };
    let claimed = batch.len();
    for mail in batch {
        if !pace.running() {
            break;
        }
        let outcome = mailer.send(&mail).await;
        if let Err(error) = record(db, config, &mail, outcome).await {
            QUEUE_FAILED.warn(&error);
        }
    }
    claimed
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
            let Some(next) = backoff(config).next_attempt(mail.attempts, mail.created_at) else {
                tracing::warn!(id = mail.id, to = %mail.recipient, %error, "e-mail still not sent; given up");
                return db.mail_failed(mail.id, &error).await;
            };
            SMTP_UNREACHABLE.warn(&error);
            db.mail_retry(mail.id, &error, next).await
        }
    }
}

fn backoff(config: &Config) -> Backoff {
    let mail = &config.mail;
    Backoff {
        initial_seconds: mail.retry_initial_seconds,
        max_seconds: mail.retry_max_seconds,
        give_up_after_hours: mail.give_up_after_hours,
    }
}
