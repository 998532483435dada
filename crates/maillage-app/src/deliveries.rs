//! The outgoing delivery queue, as staff act on it.

use crate::{Acting, App, AppError};

/// Queues a server's failed deliveries again, due now (admins); how many.
pub async fn retry_failed(app: &App, acting: &Acting, domain: &str) -> Result<usize, AppError> {
    acting.require_admin()?;
    let domain = domain.trim();
    if domain.is_empty() {
        return Err(AppError::invalid("domain", "give the server's domain"));
    }
    Ok(app.db().retry_failed_deliveries(domain).await?)
}
