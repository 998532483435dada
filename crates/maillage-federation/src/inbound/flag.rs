//! `Flag`: a report from another server (Mastodon sends it from its
//! instance actor, `object` listing the reported actor and posts, `content`
//! the comment). The wire check; the report is stored by
//! `maillage_app::received`.

use super::activity::Flag;
use crate::error::FederationError;

/// The wire check: a `Flag` must name something.
pub(super) fn verify(flag: &Flag) -> Result<(), FederationError> {
    if flag.flagged.is_empty() {
        return Err(FederationError::invalid("the Flag names nothing (no `object`)"));
    }
    Ok(())
}
