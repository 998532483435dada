//! `Announce`: a reshare, or a hub relaying an activity (FEP-1b12
//! `Announce{Create|Update|Delete}`). The wire check; the effect (count a
//! reshare of ours, fetch anything else from its origin) is
//! `maillage_app::received`.

use super::activity::{Announce, Relayed};
use crate::error::FederationError;

/// The object of a relayed activity, which it must name.
pub fn relayed_target(relayed: &Relayed) -> Result<&str, FederationError> {
    relayed.target.as_deref().ok_or_else(|| FederationError::invalid("the relayed activity has no object"))
}

/// The wire check: a relayed activity names its object.
pub(super) fn verify(announce: &Announce) -> Result<(), FederationError> {
    if let Some(relayed) = &announce.relayed {
        relayed_target(relayed)?;
    }
    Ok(())
}
