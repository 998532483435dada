//! Domain rules: the servers we block, and those we allow when federating
//! only with allowed servers (admins). A change takes effect at once in this
//! process; other processes read the rules again within a minute.

use maillage_db::{BlockReport, DomainPolicy};
use maillage_domain::server_name::normalize_domain;

use crate::{Acting, App, AppError};

/// A server name as rules are written (ASCII, lower case), never our own.
fn ruled_domain(app: &App, domain: &str) -> Result<String, AppError> {
    let domain = normalize_domain(domain).map_err(|e| AppError::invalid("domain", e))?;
    let own = normalize_domain(&app.config().instance.domain).unwrap_or_default();
    if domain == own {
        return Err(AppError::invalid("domain", "this is our own domain"));
    }
    Ok(domain)
}

/// Blocks a server: follows with it are severed, what it sent is removed,
/// deliveries to it are cancelled.
pub async fn block(
    app: &App,
    acting: &Acting,
    domain: &str,
    comment: Option<&str>,
) -> Result<(String, BlockReport), AppError> {
    acting.require_admin()?;
    let domain = ruled_domain(app, domain)?;
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    let report = app.db().set_domain_policy(&domain, DomainPolicy::Block, comment).await?;
    app.federation().context().policies.invalidate().await;
    Ok((domain, report))
}

/// Allows a server (used when `federation.mode = "allowlist"`).
pub async fn allow(app: &App, acting: &Acting, domain: &str, comment: Option<&str>) -> Result<String, AppError> {
    acting.require_admin()?;
    let domain = ruled_domain(app, domain)?;
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    app.db().set_domain_policy(&domain, DomainPolicy::Allow, comment).await?;
    app.federation().context().policies.invalidate().await;
    Ok(domain)
}

/// Forgets the rule about a server, block or allow.
pub async fn remove(app: &App, acting: &Acting, domain: &str) -> Result<String, AppError> {
    acting.require_admin()?;
    let domain = ruled_domain(app, domain)?;
    if !app.db().remove_domain_policy(&domain).await? {
        return Err(AppError::NotFound(format!("{domain} is neither blocked nor allowed")));
    }
    app.federation().context().policies.invalidate().await;
    Ok(domain)
}

/// A block read from a shared list.
pub struct ListedBlock {
    pub domain: String,
    pub public_comment: Option<String>,
}

/// Blocks every server of a list; our own domain, if listed, is skipped
/// with the reason.
pub async fn import_blocks(
    app: &App,
    acting: &Acting,
    blocks: &[ListedBlock],
) -> Result<(usize, Vec<(String, String)>), AppError> {
    acting.require_admin()?;
    let (mut blocked, mut skipped) = (0, Vec::new());
    for listed in blocks {
        match ruled_domain(app, &listed.domain) {
            Ok(domain) => {
                app.db().set_domain_policy(&domain, DomainPolicy::Block, listed.public_comment.as_deref()).await?;
                blocked += 1;
            }
            Err(refused) => skipped.push((listed.domain.clone(), refused.to_string())),
        }
    }
    app.federation().context().policies.invalidate().await;
    Ok((blocked, skipped))
}
