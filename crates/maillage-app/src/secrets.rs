//! Secrets we hand out (access tokens, invite codes, client secrets) and the
//! scopes a token may carry.
//!
//! A secret is 32 random bytes (base64url); only its SHA-256 is stored.
//! Scopes follow Mastodon: `read` covers every `read:*`, `write` every
//! `write:*`, and the legacy `follow` covers `read:follows`/`write:follows`.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::AppError;

/// A new random secret (token, client secret, authorization code, invite).
pub fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored in place of a secret.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The scopes we know, as Mastodon names them.
pub const TOP_SCOPES: &[&str] = &["read", "write", "follow", "push", "profile", "admin:read", "admin:write"];

/// Whether `granted` (space-separated) allows `needed` (e.g. `write:statuses`).
pub fn has_scope(granted: &str, needed: &str) -> bool {
    let family = needed.split(':').next().unwrap_or(needed);
    granted.split_whitespace().any(|scope| {
        scope == needed
            || scope == family && !needed.starts_with("admin")
            || (scope == "follow"
                && matches!(
                    needed,
                    "read:follows" | "write:follows" | "read:blocks" | "write:blocks" | "read:mutes" | "write:mutes"
                ))
            || (needed.starts_with("admin:") && needed.starts_with(&format!("{scope}:")))
    })
}

/// Checks a requested scope list: every entry must be a known scope.
/// Nothing asked for is `read`.
pub fn valid_scopes(requested: &str) -> Result<String, AppError> {
    let scopes: Vec<&str> =
        requested.split(|c: char| c.is_whitespace() || c == '+').filter(|s| !s.is_empty()).collect();
    if scopes.is_empty() {
        return Ok("read".to_string());
    }
    for scope in &scopes {
        let family =
            scope.split(':').take(if scope.starts_with("admin") { 2 } else { 1 }).collect::<Vec<_>>().join(":");
        if !TOP_SCOPES.contains(&family.as_str()) && !TOP_SCOPES.contains(scope) {
            return Err(AppError::invalid("scope", format!("unknown scope {scope:?}")));
        }
    }
    Ok(scopes.join(" "))
}
