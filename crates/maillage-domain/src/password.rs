//! Password hashing for member accounts (Argon2id, PHC string format).
//!
//! The salt is given by the caller, so that this crate stays free of I/O.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const PASSWORD_MIN_LEN: usize = 10;
pub const PASSWORD_MAX_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {PASSWORD_MIN_LEN} characters long")]
    TooShort,
    #[error("the password must be at most {PASSWORD_MAX_LEN} characters long")]
    TooLong,
    #[error("cannot hash the password: {0}")]
    Hashing(String),
}

/// Hashes `password` with Argon2id and the given random salt.
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, PasswordError> {
    let length = password.chars().count();
    if length < PASSWORD_MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if length > PASSWORD_MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    let salt = SaltString::encode_b64(salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches a hash made by [`hash_password`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_refuse_other_passwords() {
        let hash = hash_password("correct horse battery", &[7; 16]).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert_eq!(hash_password("short", &[7; 16]), Err(PasswordError::TooShort));
    }
}
