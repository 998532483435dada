//! Other servers, as the hub's staff and our delivery worker see them.
//!
//! Staff decisions (`domain_policies`): a blocked domain gets nothing from
//! us and we take nothing from it; allowed domains are the only ones we
//! federate with when the instance runs in allow-list mode. Delivery health
//! (`domain_health`): consecutive failures since when, and whether the
//! circuit breaker has marked the server unreachable (its deliveries are
//! then parked until the next probe or an admin's retry).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{
    deliveries, directory_listings, domain_health, domain_policies, follows, reactions, remote_actors, remote_objects,
};
use crate::{Database, DbError, UtcTime};

/// Ids per statement when a block removes rows (well under SQLite's
/// limit of bound parameters).
const ID_CHUNK: usize = 500;

/// A staff decision about a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainPolicy {
    Block,
    Allow,
}

impl DomainPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Allow => "allow",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "block" => Some(Self::Block),
            "allow" => Some(Self::Allow),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainPolicyEntry {
    pub domain: String,
    pub policy: DomainPolicy,
    pub public_comment: Option<String>,
}

/// What blocking a domain removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockReport {
    pub follows_removed: usize,
    pub objects_removed: usize,
    pub deliveries_cancelled: usize,
}

/// How a server answered our deliveries lately.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = domain_health)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct DomainHealth {
    pub domain: String,
    pub consecutive_failures: i32,
    pub failing_since: Option<UtcTime>,
    pub unreachable_since: Option<UtcTime>,
    pub next_probe_at: Option<UtcTime>,
    pub last_error: Option<String>,
}

/// The outcome of recording a failed delivery for the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Failing, but not yet for long enough.
    Failing,
    /// Marked unreachable by this failure, or still unreachable.
    Unreachable,
}

impl Database {
    /// Records a policy for a domain (replacing any earlier one). Blocking
    /// also severs follows both ways with the actors of the domain and of
    /// its subdomains (as the rule covers them), removes the content we keep
    /// from them and cancels deliveries to them, in the same transaction.
    /// `domain` is in the form rules are compared in
    /// (`maillage_domain::server_name::normalize_domain`).
    pub async fn set_domain_policy(
        &self,
        domain: &str,
        policy: DomainPolicy,
        public_comment: Option<&str>,
    ) -> Result<BlockReport, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        // Rows that may be on a covered server (the host appears in them),
        // narrowed below by parsing each one: LIKE cannot tell a host from a path.
        let host = domain.rsplit_once(':').map_or(domain, |(host, _)| host);
        let mentioning = format!("%{host}%");
        let covers = |authority: &str| maillage_domain::server_name::rule_covers(domain, authority);
        let covers_url = |url: &str| {
            let authority = crate::outbox::domain_of(url);
            !authority.is_empty() && covers(&authority)
        };
        with_write_tx!(self, &mut conn, |c| {
            diesel::delete(domain_policies::table.find(domain)).execute(c).await?;
            diesel::insert_into(domain_policies::table)
                .values((
                    domain_policies::domain.eq(domain),
                    domain_policies::policy.eq(policy.as_str()),
                    domain_policies::public_comment.eq(public_comment),
                    domain_policies::created_at.eq(now),
                ))
                .execute(c)
                .await?;
            let mut report = BlockReport::default();
            let mut events = Vec::new();
            if policy == DomainPolicy::Block {
                let actors: Vec<(i64, String)> = remote_actors::table
                    .filter(remote_actors::domain.like(&mentioning))
                    .select((remote_actors::id, remote_actors::domain))
                    .load(c)
                    .await?;
                let actors: Vec<i64> = actors.into_iter().filter(|(_, d)| covers(d)).map(|(id, _)| id).collect();
                let objects: Vec<(i64, String)> = remote_objects::table
                    .filter(remote_objects::ap_id.like(&mentioning))
                    .filter(remote_objects::deleted.eq(false))
                    .select((remote_objects::id, remote_objects::ap_id))
                    .load(c)
                    .await?;
                let objects: Vec<i64> = objects.into_iter().filter(|(_, u)| covers_url(u)).map(|(id, _)| id).collect();
                let reactions: Vec<(i64, String)> = reactions::table
                    .filter(reactions::actor_ap_id.like(&mentioning))
                    .select((reactions::id, reactions::actor_ap_id))
                    .load(c)
                    .await?;
                let reactions: Vec<i64> =
                    reactions.into_iter().filter(|(_, u)| covers_url(u)).map(|(id, _)| id).collect();
                let deliveries: Vec<(i64, String)> = deliveries::table
                    .filter(deliveries::domain.like(&mentioning))
                    .filter(deliveries::state.eq(crate::outbox::PENDING))
                    .select((deliveries::id, deliveries::domain))
                    .load(c)
                    .await?;
                let deliveries: Vec<i64> =
                    deliveries.into_iter().filter(|(_, d)| covers(d)).map(|(id, _)| id).collect();
                for chunk in actors.chunks(ID_CHUNK) {
                    report.follows_removed +=
                        diesel::delete(follows::table.filter(follows::remote_actor_id.eq_any(chunk)))
                            .execute(c)
                            .await?;
                    diesel::delete(
                        directory_listings::table.filter(
                            directory_listings::enterprise_id
                                .eq_any(chunk)
                                .or(directory_listings::listed_by_id.eq_any(chunk)),
                        ),
                    )
                    .execute(c)
                    .await?;
                }
                for chunk in objects.chunks(ID_CHUNK) {
                    let removed = crate::tags::tombstone_remote_objects!(c, remote_objects::id.eq_any(chunk), now);
                    report.objects_removed += removed.len();
                    events.extend(removed);
                }
                for chunk in reactions.chunks(ID_CHUNK) {
                    diesel::delete(reactions::table.filter(reactions::id.eq_any(chunk))).execute(c).await?;
                }
                for chunk in deliveries.chunks(ID_CHUNK) {
                    report.deliveries_cancelled +=
                        diesel::update(deliveries::table.filter(deliveries::id.eq_any(chunk)))
                            .set((
                                deliveries::state.eq(crate::outbox::FAILED),
                                deliveries::last_error.eq(Some("the domain is blocked")),
                                deliveries::lease_until.eq(None::<UtcTime>),
                                deliveries::updated_at.eq(now),
                            ))
                            .execute(c)
                            .await?;
                }
            }
            Ok((report, events))
        })
        .map(|(report, events)| {
            self.live_committed(&events);
            report
        })
    }

    /// Removes the policy of a domain, however it was written (a rule
    /// stored in Unicode by an older version is found by its ASCII form
    /// and the reverse); false when it had none.
    pub async fn remove_domain_policy(&self, domain: &str) -> Result<bool, DbError> {
        use maillage_domain::server_name::comparable_authority;
        let wanted = comparable_authority(domain);
        let written: Vec<String> = self
            .domain_policies()
            .await?
            .into_iter()
            .map(|entry| entry.domain)
            .filter(|d| d == domain || comparable_authority(d) == wanted)
            .collect();
        if written.is_empty() {
            return Ok(false);
        }
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::delete(
            domain_policies::table.filter(domain_policies::domain.eq_any(&written))
        )
        .execute(c)
        .await)?;
        Ok(n > 0)
    }

    /// Every policy, by domain.
    pub async fn domain_policies(&self) -> Result<Vec<DomainPolicyEntry>, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, String, Option<String>)> = with_conn!(&mut conn, |c| domain_policies::table
            .order(domain_policies::domain)
            .select((domain_policies::domain, domain_policies::policy, domain_policies::public_comment))
            .load(c)
            .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(domain, policy, public_comment)| {
                DomainPolicy::parse(&policy).map(|policy| DomainPolicyEntry { domain, policy, public_comment })
            })
            .collect())
    }

    /// The policies that apply to any of `domains` (a host and its parents).
    pub async fn policies_for(&self, domains: &[String]) -> Result<Vec<DomainPolicy>, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<String> = with_conn!(&mut conn, |c| domain_policies::table
            .filter(domain_policies::domain.eq_any(domains))
            .select(domain_policies::policy)
            .load(c)
            .await)?;
        Ok(rows.iter().filter_map(|p| DomainPolicy::parse(p)).collect())
    }

    /// A delivery to `domain` failed with a retryable error. Marks the domain
    /// unreachable once it has failed for `unreachable_after_seconds`; an
    /// unreachable domain is probed again after `probe_interval_seconds`.
    pub async fn record_domain_failure(
        &self,
        domain: &str,
        error: &str,
        unreachable_after_seconds: i64,
        probe_interval_seconds: i64,
    ) -> Result<BreakerState, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let next_probe = UtcTime::from(now.as_datetime() + chrono::Duration::seconds(probe_interval_seconds));
        let error: String = error.chars().take(500).collect();
        with_write_tx!(self, &mut conn, |c| {
            let existing: Option<DomainHealth> =
                domain_health::table.find(domain).select(DomainHealth::as_select()).first(c).await.optional()?;
            let failing_since = existing.as_ref().and_then(|h| h.failing_since).unwrap_or(now);
            let failures = existing.as_ref().map_or(0, |h| h.consecutive_failures).saturating_add(1);
            let failing_for = now.as_datetime() - failing_since.as_datetime();
            let unreachable_since = match existing.as_ref().and_then(|h| h.unreachable_since) {
                Some(since) => Some(since),
                None if failing_for >= chrono::Duration::seconds(unreachable_after_seconds) => Some(now),
                None => None,
            };
            let next_probe_at = unreachable_since.map(|_| next_probe);
            diesel::delete(domain_health::table.find(domain)).execute(c).await?;
            diesel::insert_into(domain_health::table)
                .values((
                    domain_health::domain.eq(domain),
                    domain_health::consecutive_failures.eq(failures),
                    domain_health::failing_since.eq(Some(failing_since)),
                    domain_health::unreachable_since.eq(unreachable_since),
                    domain_health::next_probe_at.eq(next_probe_at),
                    domain_health::last_error.eq(Some(error.as_str())),
                    domain_health::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(if unreachable_since.is_some() { BreakerState::Unreachable } else { BreakerState::Failing })
        })
    }

    /// The domain answered: it is healthy again. True when it had been
    /// failing (the caller may log the recovery).
    pub async fn record_domain_success(&self, domain: &str) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::delete(domain_health::table.find(domain)).execute(c).await)?;
        Ok(n > 0)
    }

    /// Domains whose deliveries are parked now (unreachable, probe not due).
    pub async fn parked_domains(&self) -> Result<Vec<String>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let rows = with_conn!(&mut conn, |c| domain_health::table
            .filter(domain_health::unreachable_since.is_not_null())
            .filter(domain_health::next_probe_at.gt(now))
            .select(domain_health::domain)
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Every domain with failing deliveries.
    pub async fn domain_health(&self) -> Result<Vec<DomainHealth>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| domain_health::table
            .order(domain_health::domain)
            .select(DomainHealth::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }
}
