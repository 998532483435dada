//! Web Push: the instance's VAPID key pair, the subscriptions of access
//! tokens, and the durable push queue.
//!
//! The queue is a sibling of the mail queue (same states, leases and
//! claims): a row per (notification, subscription) whose alerts and policy
//! let the notification through, written in the notification's own
//! transaction ([`queue_pushes!`]), then claimed with a lease by the push
//! workers of every process (`SKIP LOCKED` on PostgreSQL), so that a row is
//! sent by one process at a time and a crashed worker's rows come back.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use maillage_domain::NotificationKind;
use maillage_domain::push::{PushAlerts, PushPolicy};

use crate::outbox::{PENDING, leased_queue_outcomes};
use crate::schema::{notifications, push_queue, push_subscriptions, vapid_keys};
use crate::{Database, DbError, UtcTime};

/// The instance's VAPID key pair: base64url (no padding) of the P-256
/// private scalar and of the uncompressed public point.
#[derive(Clone, PartialEq, Eq, Queryable)]
pub struct VapidKeys {
    pub private_key: String,
    pub public_key: String,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys").field("public_key", &self.public_key).finish_non_exhaustive()
    }
}

/// What a client asks to be pushed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPushSubscription {
    pub endpoint: String,
    /// The client's P-256 public key, base64url.
    pub p256dh: String,
    /// The client's authentication secret, base64url.
    pub auth: String,
    pub alerts: PushAlerts,
    pub policy: PushPolicy,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub id: i64,
    pub token_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub alerts: PushAlerts,
    pub policy: PushPolicy,
}

type SubscriptionRow = (i64, i64, String, String, String, String, String);

macro_rules! subscription_columns {
    () => {
        (
            push_subscriptions::id,
            push_subscriptions::token_id,
            push_subscriptions::endpoint,
            push_subscriptions::p256dh,
            push_subscriptions::auth,
            push_subscriptions::alerts,
            push_subscriptions::policy,
        )
    };
}

fn subscription((id, token_id, endpoint, p256dh, auth, alerts, policy): SubscriptionRow) -> PushSubscription {
    PushSubscription {
        id,
        token_id,
        endpoint,
        p256dh,
        auth,
        alerts: PushAlerts::from_stored(&alerts),
        // Only valid names are written; an unreadable one pushes nothing.
        policy: PushPolicy::parse(&policy).unwrap_or(PushPolicy::None),
    }
}

/// A queued push claimed by a worker, with what its message is made of.
#[derive(Debug, Clone)]
pub struct QueuedPush {
    pub id: i64,
    pub subscription_id: i64,
    /// The account the subscription belongs to.
    pub user_id: i64,
    pub attempts: i32,
    pub created_at: UtcTime,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    /// The subscribing token, which Mastodon's payload carries.
    pub access_token: String,
    pub notification_id: i64,
    pub kind: NotificationKind,
    pub from_ap_id: String,
    pub object_ap_id: Option<String>,
}

/// Whether an accepted follow links member `$member_id` and the actor
/// `$other` (an AP id, local or remote): `$member_side` and `$other_side`
/// are the member's and the other's columns of `local_follows`, and
/// `$direction` the member's side of a remote follow (`Outgoing`: the
/// member follows them).
macro_rules! accepted_follow_between {
    ($c:expr, $member_id:expr, $other:expr, $member_side:ident, $other_side:ident, $direction:expr) => {{
        use $crate::schema::{follows, local_actors, local_follows, remote_actors};
        let accepted = $crate::FollowState::Accepted.as_str();
        let local: i64 = local_follows::table
            .inner_join(local_actors::table.on(local_actors::id.eq(local_follows::$other_side)))
            .filter(local_follows::$member_side.eq($member_id))
            .filter(local_follows::state.eq(accepted))
            .filter(local_actors::ap_id.eq($other))
            .count()
            .get_result($c)
            .await?;
        let remote: i64 = follows::table
            .inner_join(remote_actors::table)
            .filter(follows::local_actor_id.eq($member_id))
            .filter(follows::direction.eq($direction.as_str()))
            .filter(follows::state.eq(accepted))
            .filter(remote_actors::ap_id.eq($other))
            .count()
            .get_result($c)
            .await?;
        local + remote > 0
    }};
}
pub(crate) use accepted_follow_between;

/// Queues a push for each live subscription that reads the notifications
/// of `$actor_id` (its member, or an editor of the enterprise) and whose
/// alerts and policy let this one through; runs inside the transaction
/// that wrote notification `$notification_id`. How many were queued.
macro_rules! queue_pushes {
    ($c:expr, $notification_id:expr, $actor_id:expr, $kind:expr, $from:expr, $now:expr) => {{
        use $crate::schema::{enterprise_editors, oauth_tokens, push_queue, push_subscriptions, users};
        let actor_id: i64 = $actor_id;
        let kind: maillage_domain::NotificationKind = $kind;
        let from: &str = $from;
        let now: UtcTime = $now;
        let readers = enterprise_editors::table
            .filter(enterprise_editors::enterprise_id.eq(actor_id))
            .select(enterprise_editors::member_id);
        let candidates: Vec<(i64, i64, String, String)> = push_subscriptions::table
            .inner_join(oauth_tokens::table.on(oauth_tokens::id.eq(push_subscriptions::token_id)))
            .inner_join(users::table.on(users::id.eq(push_subscriptions::user_id)))
            .filter(oauth_tokens::revoked_at.is_null())
            .filter(users::actor_id.eq(actor_id).or(users::actor_id.eq_any(readers)))
            .select((push_subscriptions::id, users::actor_id, push_subscriptions::alerts, push_subscriptions::policy))
            .load($c)
            .await?;
        let mut queued = 0usize;
        for (subscription_id, member_id, alerts, policy) in candidates {
            if !maillage_domain::push::PushAlerts::from_stored(&alerts).lets_through(kind) {
                continue;
            }
            let wanted = match maillage_domain::push::PushPolicy::parse(&policy) {
                Ok(maillage_domain::push::PushPolicy::All) => true,
                Ok(maillage_domain::push::PushPolicy::None) | Err(_) => false,
                Ok(maillage_domain::push::PushPolicy::Followed) => {
                    $crate::push::accepted_follow_between!(
                        $c,
                        member_id,
                        from,
                        follower_id,
                        followed_id,
                        $crate::Direction::Outgoing
                    )
                }
                Ok(maillage_domain::push::PushPolicy::Follower) => {
                    $crate::push::accepted_follow_between!(
                        $c,
                        member_id,
                        from,
                        followed_id,
                        follower_id,
                        $crate::Direction::Incoming
                    )
                }
            };
            if !wanted {
                continue;
            }
            diesel::insert_into(push_queue::table)
                .values((
                    push_queue::subscription_id.eq(subscription_id),
                    push_queue::notification_id.eq($notification_id),
                    push_queue::state.eq($crate::outbox::PENDING),
                    push_queue::attempts.eq(0),
                    push_queue::next_attempt_at.eq(now),
                    push_queue::created_at.eq(now),
                    push_queue::updated_at.eq(now),
                ))
                .execute($c)
                .await?;
            queued += 1;
        }
        queued
    }};
}
pub(crate) use queue_pushes;

/// Deletes the subscriptions of revoked tokens; runs inside the
/// transaction that revoked them.
macro_rules! forget_revoked_subscriptions {
    ($c:expr) => {{
        let revoked = $crate::schema::oauth_tokens::table
            .filter($crate::schema::oauth_tokens::revoked_at.is_not_null())
            .select($crate::schema::oauth_tokens::id);
        diesel::delete(
            $crate::schema::push_subscriptions::table
                .filter($crate::schema::push_subscriptions::token_id.eq_any(revoked)),
        )
        .execute($c)
        .await
    }};
}
pub(crate) use forget_revoked_subscriptions;

impl Database {
    /// The VAPID key pair: the stored one, or `candidate` stored now when
    /// there is none (the first process to ask wins; every process then
    /// reads the same pair).
    pub async fn vapid_keys_or(&self, candidate: &VapidKeys) -> Result<VapidKeys, DbError> {
        if let Some(keys) = self.vapid_keys().await? {
            return Ok(keys);
        }
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(vapid_keys::table)
            .values((
                vapid_keys::id.eq(1),
                vapid_keys::private_key.eq(&candidate.private_key),
                vapid_keys::public_key.eq(&candidate.public_key),
                vapid_keys::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        drop(conn);
        self.vapid_keys().await?.ok_or_else(|| DbError::Refused("the VAPID key pair was not stored".into()))
    }

    /// The stored VAPID key pair, if made.
    pub async fn vapid_keys(&self) -> Result<Option<VapidKeys>, DbError> {
        let mut conn = self.conn().await?;
        let keys = with_conn!(&mut conn, |c| vapid_keys::table
            .find(1)
            .select((vapid_keys::private_key, vapid_keys::public_key))
            .first::<VapidKeys>(c)
            .await
            .optional())?;
        Ok(keys)
    }

    /// Replaces the VAPID key pair and removes every subscription, which
    /// were made for the old public key (a leaked key's rotation).
    pub async fn replace_vapid_keys(&self, keys: &VapidKeys) -> Result<usize, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            diesel::delete(vapid_keys::table).execute(c).await?;
            diesel::insert_into(vapid_keys::table)
                .values((
                    vapid_keys::id.eq(1),
                    vapid_keys::private_key.eq(&keys.private_key),
                    vapid_keys::public_key.eq(&keys.public_key),
                    vapid_keys::created_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(diesel::delete(push_subscriptions::table).execute(c).await?)
        })
    }

    /// The subscription of an access token, replacing any it had (with its
    /// pushes not sent yet).
    pub async fn put_push_subscription(
        &self,
        token_id: i64,
        user_id: i64,
        access_token: &str,
        new: &NewPushSubscription,
    ) -> Result<PushSubscription, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let row: SubscriptionRow = with_write_tx!(self, &mut conn, |c| {
            diesel::delete(push_subscriptions::table.filter(push_subscriptions::token_id.eq(token_id)))
                .execute(c)
                .await?;
            Ok(diesel::insert_into(push_subscriptions::table)
                .values((
                    push_subscriptions::token_id.eq(token_id),
                    push_subscriptions::user_id.eq(user_id),
                    push_subscriptions::access_token.eq(access_token),
                    push_subscriptions::endpoint.eq(&new.endpoint),
                    push_subscriptions::p256dh.eq(&new.p256dh),
                    push_subscriptions::auth.eq(&new.auth),
                    push_subscriptions::alerts.eq(new.alerts.stored()),
                    push_subscriptions::policy.eq(new.policy.as_str()),
                    push_subscriptions::created_at.eq(now),
                    push_subscriptions::updated_at.eq(now),
                ))
                .returning(subscription_columns!())
                .get_result(c)
                .await?)
        })?;
        Ok(subscription(row))
    }

    /// The subscription of an access token.
    pub async fn push_subscription(&self, token_id: i64) -> Result<Option<PushSubscription>, DbError> {
        let mut conn = self.conn().await?;
        let row: Option<SubscriptionRow> = with_conn!(&mut conn, |c| push_subscriptions::table
            .filter(push_subscriptions::token_id.eq(token_id))
            .select(subscription_columns!())
            .first(c)
            .await
            .optional())?;
        Ok(row.map(subscription))
    }

    /// Changes the alerts and policy of a token's subscription; `None` when
    /// it has none.
    pub async fn update_push_subscription(
        &self,
        token_id: i64,
        alerts: &PushAlerts,
        policy: PushPolicy,
    ) -> Result<Option<PushSubscription>, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let row: Option<SubscriptionRow> = with_conn!(&mut conn, |c| diesel::update(
            push_subscriptions::table.filter(push_subscriptions::token_id.eq(token_id))
        )
        .set((
            push_subscriptions::alerts.eq(alerts.stored()),
            push_subscriptions::policy.eq(policy.as_str()),
            push_subscriptions::updated_at.eq(now),
        ))
        .returning(subscription_columns!())
        .get_result(c)
        .await
        .optional())?;
        Ok(row.map(subscription))
    }

    /// Removes a token's subscription; whether it had one.
    pub async fn delete_push_subscription(&self, token_id: i64) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::delete(
            push_subscriptions::table.filter(push_subscriptions::token_id.eq(token_id))
        )
        .execute(c)
        .await)?;
        Ok(n > 0)
    }

    /// Removes a subscription the push service no longer knows (404, 410),
    /// with its queued pushes.
    pub async fn remove_push_subscription(&self, subscription_id: i64) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::delete(push_subscriptions::table.find(subscription_id)).execute(c).await)?;
        Ok(())
    }

    /// Claims up to `limit` due pushes for `lease_seconds` (safe across
    /// processes: on PostgreSQL rows locked by another claim are skipped).
    pub async fn claim_pushes(&self, limit: i64, lease_seconds: i64) -> Result<Vec<QueuedPush>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let until = UtcTime::from(now.as_datetime() + chrono::Duration::seconds(lease_seconds));
        let candidates = diesel::alias!(push_queue as candidates);
        let free = push_queue::state
            .eq(PENDING)
            .and(push_queue::next_attempt_at.le(now))
            .and(push_queue::lease_until.is_null().or(push_queue::lease_until.lt(now)));
        let candidate_free = candidates
            .field(push_queue::state)
            .eq(PENDING)
            .and(candidates.field(push_queue::next_attempt_at).le(now))
            .and(
                candidates
                    .field(push_queue::lease_until)
                    .is_null()
                    .or(candidates.field(push_queue::lease_until).lt(now)),
            );
        let subquery = candidates
            .select(candidates.field(push_queue::id))
            .filter(candidate_free)
            .order(candidates.field(push_queue::next_attempt_at))
            .limit(limit);
        // Re-checking `free` in the outer statement makes a stale subquery harmless.
        let claimed: Vec<i64> = match &mut conn {
            crate::pool::DbConn::Pg(c) => {
                diesel::update(
                    push_queue::table.filter(push_queue::id.eq_any(subquery.for_update().skip_locked())).filter(free),
                )
                .set((push_queue::lease_until.eq(until), push_queue::updated_at.eq(now)))
                .returning(push_queue::id)
                .get_results(&mut **c)
                .await?
            }
            crate::pool::DbConn::Sqlite(_) => {
                diesel::update(push_queue::table.filter(push_queue::id.eq_any(subquery)).filter(free))
                    .set((push_queue::lease_until.eq(until), push_queue::updated_at.eq(now)))
                    .returning(push_queue::id)
                    .get_results(&mut *self.sqlite_writer().await?)
                    .await?
            }
        };
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        type Row =
            ((i64, i64, i32, UtcTime), (String, String, String, String, i64), (i64, String, String, Option<String>));
        let rows: Vec<Row> = with_conn!(&mut conn, |c| push_queue::table
            .inner_join(push_subscriptions::table)
            .inner_join(notifications::table)
            .filter(push_queue::id.eq_any(&claimed))
            .order(push_queue::id)
            .select((
                (push_queue::id, push_queue::subscription_id, push_queue::attempts, push_queue::created_at),
                (
                    push_subscriptions::endpoint,
                    push_subscriptions::p256dh,
                    push_subscriptions::auth,
                    push_subscriptions::access_token,
                    push_subscriptions::user_id,
                ),
                (notifications::id, notifications::kind, notifications::from_ap_id, notifications::object_ap_id),
            ))
            .load(c)
            .await)?;
        let mut pushes = Vec::with_capacity(rows.len());
        for (
            (id, subscription_id, attempts, created_at),
            (endpoint, p256dh, auth, access_token, user_id),
            notification,
        ) in rows
        {
            let (notification_id, kind, from_ap_id, object_ap_id) = notification;
            let kind = NotificationKind::parse(&kind).map_err(|e| DbError::Refused(e.to_string()))?;
            pushes.push(QueuedPush {
                id,
                subscription_id,
                user_id,
                attempts,
                created_at,
                endpoint,
                p256dh,
                auth,
                access_token,
                notification_id,
                kind,
                from_ap_id,
                object_ap_id,
            });
        }
        Ok(pushes)
    }

    leased_queue_outcomes!(push_queue, "push", sent: push_sent, retry: push_retry, failed: push_failed, counts: push_counts);
}
