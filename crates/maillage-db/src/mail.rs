//! E-mail: the durable mail queue, the single-use links that messages
//! carry, and enterprises' private contact addresses.
//!
//! A message is stored rendered, in the transaction of the change that
//! causes it (an invitation, a reset asked for), and sent later by the mail
//! workers of every process: they claim due rows with a lease, as delivery
//! workers do, so a row is sent by one process at a time and a crashed
//! worker's rows come back when the lease ends. A row is done only once the
//! SMTP server took it. Links keep the SHA-256 of their secret; taking a
//! link (marking it used) is one conditional update, so that it works once
//! even when followed twice at the same moment.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::outbox::{PENDING, leased_queue_outcomes};
use crate::schema::{email_links, enterprise_contacts, enterprise_editors, mail_queue, oauth_tokens, users};
use crate::{Database, DbError, UtcTime};

/// A message to send, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// A queued message claimed by a worker.
#[derive(Debug, Clone, Queryable)]
pub struct QueuedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i32,
    pub created_at: UtcTime,
}

/// A queued message as staff and tests see it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct MailState {
    pub recipient: String,
    pub subject: String,
    /// `pending`, `done` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// What a link sent by e-mail lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Claim an enterprise's profile: become its owner.
    Claim,
    /// Confirm that an account's address is theirs.
    Verify,
    /// Choose a new password.
    Reset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Claim => "claim",
            LinkPurpose::Verify => "verify",
            LinkPurpose::Reset => "reset",
        }
    }
}

impl TryFrom<String> for LinkPurpose {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "claim" => Ok(LinkPurpose::Claim),
            "verify" => Ok(LinkPurpose::Verify),
            "reset" => Ok(LinkPurpose::Reset),
            other => Err(format!("unknown link purpose {other:?}")),
        }
    }
}

/// A link to store: for an account (`user_id`) or an enterprise.
#[derive(Debug, Clone)]
pub struct NewEmailLink {
    pub token_hash: String,
    pub purpose: LinkPurpose,
    pub email: String,
    pub user_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub expires_at: UtcTime,
}

/// A stored link.
#[derive(Debug, Clone, Queryable)]
pub struct EmailLink {
    #[diesel(deserialize_as = String)]
    pub purpose: LinkPurpose,
    pub email: String,
    pub user_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub expires_at: UtcTime,
    pub used_at: Option<UtcTime>,
}

macro_rules! link_columns {
    () => {
        (
            email_links::purpose,
            email_links::email,
            email_links::user_id,
            email_links::enterprise_id,
            email_links::expires_at,
            email_links::used_at,
        )
    };
}
pub(crate) use link_columns;

/// Inserts a message into the queue; runs inside a transaction.
macro_rules! insert_mail {
    ($c:expr, $mail:expr, $now:expr) => {{
        let mail: &NewMail = $mail;
        let now: UtcTime = $now;
        diesel::insert_into(mail_queue::table)
            .values((
                mail_queue::recipient.eq(&mail.recipient),
                mail_queue::subject.eq(&mail.subject),
                mail_queue::text_body.eq(&mail.text_body),
                mail_queue::html_body.eq(&mail.html_body),
                mail_queue::state.eq(PENDING),
                mail_queue::attempts.eq(0),
                mail_queue::next_attempt_at.eq(now),
                mail_queue::created_at.eq(now),
                mail_queue::updated_at.eq(now),
            ))
            .execute($c)
            .await?;
    }};
}

macro_rules! insert_link {
    ($c:expr, $link:expr, $now:expr) => {{
        let link: &NewEmailLink = $link;
        diesel::insert_into(email_links::table)
            .values((
                email_links::token_hash.eq(&link.token_hash),
                email_links::purpose.eq(link.purpose.as_str()),
                email_links::email.eq(&link.email),
                email_links::user_id.eq(link.user_id),
                email_links::enterprise_id.eq(link.enterprise_id),
                email_links::created_at.eq($now),
                email_links::expires_at.eq(link.expires_at),
            ))
            .execute($c)
            .await?;
    }};
}

/// Marks a usable link of `purpose` used (by `used_by`) and returns it;
/// `None` when it is unknown, used or expired. Runs inside a transaction.
macro_rules! take_link {
    ($c:expr, $token_hash:expr, $purpose:expr, $used_by:expr, $now:expr) => {{
        let now: UtcTime = $now;
        diesel::update(
            email_links::table
                .filter(email_links::token_hash.eq($token_hash))
                .filter(email_links::purpose.eq($purpose.as_str()))
                .filter(email_links::used_at.is_null())
                .filter(email_links::expires_at.gt(now)),
        )
        .set((email_links::used_at.eq(Some(now)), email_links::used_by.eq($used_by)))
        .returning(link_columns!())
        .get_result::<EmailLink>($c)
        .await
        .optional()?
    }};
}
pub(crate) use take_link;

/// Makes an account the owner of the enterprise a claim link names, and
/// confirms the account's address when it is the one the link went to;
/// runs inside a transaction.
macro_rules! attach_claimant {
    ($c:expr, $link:expr, $user_id:expr, $member_id:expr, $now:expr) => {{
        let link: &EmailLink = $link;
        let now: UtcTime = $now;
        let Some(enterprise_id) = link.enterprise_id else {
            return Err(DbError::Refused("this link names no enterprise".into()));
        };
        diesel::insert_into(enterprise_editors::table)
            .values((
                enterprise_editors::enterprise_id.eq(enterprise_id),
                enterprise_editors::member_id.eq($member_id),
                enterprise_editors::created_at.eq(now),
                enterprise_editors::role.eq("owner"),
            ))
            .on_conflict((enterprise_editors::enterprise_id, enterprise_editors::member_id))
            .do_update()
            .set(enterprise_editors::role.eq("owner"))
            .execute($c)
            .await?;
        diesel::update(users::table.find($user_id).filter(users::email.eq(&link.email)))
            .set(users::email_verified_at.eq(Some(now)))
            .execute($c)
            .await?;
        enterprise_id
    }};
}
pub(crate) use attach_claimant;

impl Database {
    /// Queues a message on its own (no other change goes with it).
    pub async fn queue_mail(&self, mail: &NewMail) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            insert_mail!(c, mail, now);
            Ok(())
        })?;
        self.mail_changed();
        Ok(())
    }

    /// Stores a link and the message that carries it, together.
    pub async fn create_email_link(&self, link: &NewEmailLink, mail: &NewMail) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            insert_link!(c, link, now);
            insert_mail!(c, mail, now);
            Ok(())
        })?;
        self.mail_changed();
        Ok(())
    }

    /// A registration invite code and the message that carries it, together.
    pub async fn create_invite_mailed(&self, code_hash: &str, mail: &NewMail) -> Result<(), DbError> {
        use crate::schema::invites;
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            diesel::insert_into(invites::table)
                .values((invites::code_hash.eq(code_hash), invites::created_at.eq(now)))
                .execute(c)
                .await?;
            insert_mail!(c, mail, now);
            Ok(())
        })?;
        self.mail_changed();
        Ok(())
    }

    /// An invitation to claim an enterprise: the link, the message, and the
    /// address recorded as the enterprise's private contact, together.
    pub async fn create_claim_invitation(&self, link: &NewEmailLink, mail: &NewMail) -> Result<(), DbError> {
        let Some(enterprise_id) = link.enterprise_id else {
            return Err(DbError::Refused("a claim invitation names its enterprise".into()));
        };
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            insert_link!(c, link, now);
            diesel::insert_into(enterprise_contacts::table)
                .values((
                    enterprise_contacts::enterprise_id.eq(enterprise_id),
                    enterprise_contacts::email.eq(&link.email),
                    enterprise_contacts::updated_at.eq(now),
                ))
                .on_conflict(enterprise_contacts::enterprise_id)
                .do_update()
                .set((enterprise_contacts::email.eq(&link.email), enterprise_contacts::updated_at.eq(now)))
                .execute(c)
                .await?;
            insert_mail!(c, mail, now);
            Ok(())
        })?;
        self.mail_changed();
        Ok(())
    }

    /// A stored link, used or not, expired or not.
    pub async fn email_link(&self, token_hash: &str) -> Result<Option<EmailLink>, DbError> {
        let mut conn = self.conn().await?;
        let link = with_conn!(&mut conn, |c| email_links::table
            .find(token_hash)
            .select(link_columns!())
            .first::<EmailLink>(c)
            .await
            .optional())?;
        Ok(link)
    }

    /// An existing account claims an enterprise with a link: it becomes its
    /// owner. The enterprise's id, or `None` when the link is not usable.
    pub async fn accept_claim(&self, token_hash: &str, user_id: i64, member_id: i64) -> Result<Option<i64>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            let Some(link) = take_link!(c, token_hash, LinkPurpose::Claim, Some(user_id), now) else {
                return Ok(None);
            };
            Ok(Some(attach_claimant!(c, &link, user_id, member_id, now)))
        })
    }

    /// Confirms an account's address with a link; the account, or `None`
    /// when the link is not usable (or the account's address changed since).
    pub async fn verify_email_with_link(&self, token_hash: &str) -> Result<Option<i64>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            let Some(link) = take_link!(c, token_hash, LinkPurpose::Verify, None::<i64>, now) else {
                return Ok(None);
            };
            let Some(user_id) = link.user_id else { return Ok(None) };
            let n = diesel::update(users::table.find(user_id).filter(users::email.eq(&link.email)))
                .set(users::email_verified_at.eq(Some(now)))
                .execute(c)
                .await?;
            Ok((n == 1).then_some(user_id))
        })
    }

    /// Sets a new password with a reset link; every token of the account is
    /// revoked (its sessions end). The account, or `None` when the link is
    /// not usable.
    pub async fn reset_password_with_link(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> Result<Option<i64>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            let Some(link) = take_link!(c, token_hash, LinkPurpose::Reset, None::<i64>, now) else {
                return Ok(None);
            };
            let Some(user_id) = link.user_id else { return Ok(None) };
            diesel::update(users::table.find(user_id))
                .set((users::password_hash.eq(password_hash), users::updated_at.eq(now)))
                .execute(c)
                .await?;
            diesel::update(oauth_tokens::table.filter(oauth_tokens::user_id.eq(user_id)))
                .set(oauth_tokens::revoked_at.eq(Some(now)))
                .execute(c)
                .await?;
            crate::push::forget_revoked_subscriptions!(c)?;
            Ok(Some(user_id))
        })
    }

    /// An enterprise's private contact address (for its editors and staff).
    pub async fn enterprise_contact(&self, enterprise_id: i64) -> Result<Option<String>, DbError> {
        let mut conn = self.conn().await?;
        let email = with_conn!(&mut conn, |c| enterprise_contacts::table
            .find(enterprise_id)
            .select(enterprise_contacts::email)
            .first::<String>(c)
            .await
            .optional())?;
        Ok(email)
    }

    /// Claims up to `limit` due messages for `lease_seconds` (safe across
    /// processes: on PostgreSQL rows locked by another claim are skipped).
    pub async fn claim_mail(&self, limit: i64, lease_seconds: i64) -> Result<Vec<QueuedMail>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let until = UtcTime::from(now.as_datetime() + chrono::Duration::seconds(lease_seconds));
        let candidates = diesel::alias!(mail_queue as candidates);
        let free = mail_queue::state
            .eq(PENDING)
            .and(mail_queue::next_attempt_at.le(now))
            .and(mail_queue::lease_until.is_null().or(mail_queue::lease_until.lt(now)));
        let candidate_free = candidates
            .field(mail_queue::state)
            .eq(PENDING)
            .and(candidates.field(mail_queue::next_attempt_at).le(now))
            .and(
                candidates
                    .field(mail_queue::lease_until)
                    .is_null()
                    .or(candidates.field(mail_queue::lease_until).lt(now)),
            );
        let subquery = candidates
            .select(candidates.field(mail_queue::id))
            .filter(candidate_free)
            .order(candidates.field(mail_queue::next_attempt_at))
            .limit(limit);
        let columns = (
            mail_queue::id,
            mail_queue::recipient,
            mail_queue::subject,
            mail_queue::text_body,
            mail_queue::html_body,
            mail_queue::attempts,
            mail_queue::created_at,
        );
        // Re-checking `free` in the outer statement makes a stale subquery harmless.
        let claimed = match &mut conn {
            crate::pool::DbConn::Pg(c) => {
                diesel::update(
                    mail_queue::table.filter(mail_queue::id.eq_any(subquery.for_update().skip_locked())).filter(free),
                )
                .set((mail_queue::lease_until.eq(until), mail_queue::updated_at.eq(now)))
                .returning(columns)
                .get_results::<QueuedMail>(&mut **c)
                .await?
            }
            crate::pool::DbConn::Sqlite(_) => {
                diesel::update(mail_queue::table.filter(mail_queue::id.eq_any(subquery)).filter(free))
                    .set((mail_queue::lease_until.eq(until), mail_queue::updated_at.eq(now)))
                    .returning(columns)
                    .get_results::<QueuedMail>(&mut *self.sqlite_writer().await?)
                    .await?
            }
        };
        Ok(claimed)
    }

    leased_queue_outcomes!(mail_queue, "message", sent: mail_sent, retry: mail_retry, failed: mail_failed, counts: mail_counts);

    /// The messages to one address, oldest first.
    pub async fn mail_to(&self, recipient: &str) -> Result<Vec<MailState>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| mail_queue::table
            .filter(mail_queue::recipient.eq(recipient))
            .order(mail_queue::id)
            .select((
                mail_queue::recipient,
                mail_queue::subject,
                mail_queue::state,
                mail_queue::attempts,
                mail_queue::last_error,
            ))
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Makes every link sent to `email` expired (tests of expiry).
    #[cfg(any(test, feature = "testing"))]
    pub async fn expire_email_links(&self, email: &str) -> Result<usize, DbError> {
        let mut conn = self.write_conn().await?;
        let past = UtcTime::from(UtcTime::now().as_datetime() - chrono::Duration::minutes(1));
        let n = with_conn!(&mut conn, |c| diesel::update(email_links::table.filter(email_links::email.eq(email)))
            .set(email_links::expires_at.eq(past))
            .execute(c)
            .await)?;
        Ok(n)
    }
}
