//! Which servers we federate with: the staff's domain blocks and, in
//! allow-list mode (`federation.mode = "allowlist"`), the allowed domains.
//!
//! A rule for `example.org` covers its subdomains too, as in Mastodon.
//! Rules and hosts are compared in one form (ASCII, punycode for
//! internationalised names: `maillage_domain::server_name`), so a rule
//! written `exämple.org` holds for `xn--exmple-cua.org` and the reverse.
//! Decisions come from a copy of the (small) policy table refreshed every
//! few seconds, so a block made by `maillage admin domain block` in another
//! process takes effect here within [`REFRESH`]. The same decision guards
//! the inbox, every fetch (through the library's `UrlVerifier`, which also
//! applies the SSRF rules of `remote_url`), and every delivery.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use activitypub_federation::config::UrlVerifier;
use maillage_db::{Database, DomainPolicy};
use maillage_domain::server_name::comparable_authority;
use tokio::sync::RwLock;
use url::Url;

use crate::urls::authority;

/// How long a copy of the policies is trusted.
pub const REFRESH: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Snapshot {
    loaded_at: Option<Instant>,
    rules: HashMap<String, DomainPolicy>,
}

/// The staff's rules about other servers, as this process knows them.
#[derive(Clone)]
pub struct DomainPolicies {
    db: Database,
    own_domain: Arc<str>,
    allowlist: bool,
    snapshot: Arc<RwLock<Snapshot>>,
}

/// A domain and every parent domain of its host: `a.b.org:8443` gives
/// `a.b.org:8443`, `a.b.org`, `b.org`, `org`.
pub fn domain_candidates(authority: &str) -> Vec<String> {
    let authority = comparable_authority(authority);
    let mut out = vec![authority.clone()];
    let host = authority.rsplit_once(':').map_or(authority.as_str(), |(host, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) { host } else { &authority }
    });
    let mut rest = host.to_string();
    loop {
        if !out.contains(&rest) {
            out.push(rest.clone());
        }
        match rest.split_once('.') {
            Some((_, parent)) if !parent.is_empty() => rest = parent.to_string(),
            _ => break,
        }
    }
    out
}

impl DomainPolicies {
    pub fn new(db: Database, config: &maillage_config::Config) -> Self {
        DomainPolicies {
            db,
            own_domain: comparable_authority(&config.instance.domain).into(),
            allowlist: config.federation.allowlist_mode(),
            snapshot: Arc::default(),
        }
    }

    /// Why we do not federate with this server, or `None` when we do.
    pub async fn refusal(&self, authority: &str) -> Option<String> {
        if comparable_authority(authority) == *self.own_domain {
            return None;
        }
        let candidates = domain_candidates(authority);
        let snapshot = self.fresh_snapshot().await;
        let rules: Vec<DomainPolicy> = candidates.iter().filter_map(|c| snapshot.rules.get(c).copied()).collect();
        if rules.contains(&DomainPolicy::Block) {
            return Some(format!("{authority} is blocked by this instance"));
        }
        if self.allowlist && !rules.contains(&DomainPolicy::Allow) {
            return Some(format!("this instance federates only with allowed servers, and {authority} is not one"));
        }
        None
    }

    /// [`Self::refusal`] for the server of a URL.
    pub async fn url_refusal(&self, url: &Url) -> Option<String> {
        self.refusal(&authority(url)).await
    }

    /// Forget the copy (after a change made by this process).
    pub async fn invalidate(&self) {
        self.snapshot.write().await.loaded_at = None;
    }

    async fn fresh_snapshot(&self) -> tokio::sync::RwLockReadGuard<'_, Snapshot> {
        {
            let snapshot = self.snapshot.read().await;
            if snapshot.loaded_at.is_some_and(|at| at.elapsed() < REFRESH) {
                return snapshot;
            }
        }
        {
            let mut snapshot = self.snapshot.write().await;
            if snapshot.loaded_at.is_none_or(|at| at.elapsed() >= REFRESH) {
                match self.db.domain_policies().await {
                    Ok(entries) => {
                        // Rules written before names were normalised may be in Unicode.
                        snapshot.rules =
                            entries.into_iter().map(|e| (comparable_authority(&e.domain), e.policy)).collect();
                        snapshot.loaded_at = Some(Instant::now());
                    }
                    // Keep the last rules we knew; try again on the next call.
                    Err(error) => tracing::warn!(%error, "cannot read the domain policies"),
                }
            }
        }
        self.snapshot.read().await
    }
}

/// Every URL the library fetches passes through here, the one redirect it
/// follows included: the SSRF rules, then the domain policies.
#[derive(Clone)]
pub(crate) struct PolicyVerifier {
    pub policies: DomainPolicies,
    pub addresses: crate::remote_url::Addresses,
}

#[async_trait::async_trait]
impl UrlVerifier for PolicyVerifier {
    async fn verify(&self, url: &Url) -> Result<(), activitypub_federation::error::Error> {
        use activitypub_federation::error::Error;
        crate::remote_url::check(url, self.addresses).map_err(|refusal| Error::Other(refusal.to_string()))?;
        match self.policies.url_refusal(url).await {
            Some(reason) => Err(Error::Other(reason)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_cover_parent_domains_and_ports() {
        assert_eq!(domain_candidates("a.b.org:8443"), vec!["a.b.org:8443", "a.b.org", "b.org", "org"]);
        assert_eq!(domain_candidates("Social.Example"), vec!["social.example", "example"]);
        assert_eq!(domain_candidates("localhost:9000"), vec!["localhost:9000", "localhost"]);
        assert_eq!(domain_candidates("a.Exämple.org"), vec!["a.xn--exmple-cua.org", "xn--exmple-cua.org", "org"]);
    }
}
