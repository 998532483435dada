//! Password hashing for member accounts (Argon2id, PHC string format), and
//! the rules of logging in with one.
//!
//! The salt is given by the caller, so that this crate stays free of I/O.
//! A login checks its password with [`verify_login`], which does the same
//! Argon2 work whether the account exists or not.

use std::sync::LazyLock;

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
    #[cfg(test)]
    tests::VERIFIED_AGAINST.with_borrow_mut(|hashes| hashes.push(hash.to_string()));
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The form a login name (a username, `@username` or an e-mail address, in
/// any case) is looked up by.
pub fn login_name(typed: &str) -> String {
    typed.trim().trim_start_matches('@').to_ascii_lowercase()
}

/// A hash that no account has, made once with [`hash_password`]'s
/// parameters: logins naming no account are checked against it.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    // Neither password nor salt needs to be secret: the result is ignored.
    hash_password("no account has this password", &[0x5a; 16]).unwrap_or_default()
});

/// Whether `password` opens the account whose stored hash is `stored`
/// (`None`: no such account, always false). Both cases verify one Argon2
/// hash of the same cost, so that the time taken does not tell whether the
/// account exists.
pub fn verify_login(password: &str, stored: Option<&str>) -> bool {
    let matches = verify_password(password, stored.unwrap_or(&DUMMY_HASH));
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    thread_local! {
        /// The hashes [`verify_password`] checked on this thread.
        pub(super) static VERIFIED_AGAINST: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    fn verified_against(check: impl FnOnce()) -> Vec<String> {
        VERIFIED_AGAINST.with_borrow_mut(Vec::clear);
        check();
        VERIFIED_AGAINST.with_borrow_mut(std::mem::take)
    }

    #[test]
    fn a_login_without_account_verifies_a_dummy_hash_of_the_same_cost() {
        let stored = hash_password("correct horse battery", &[7; 16]).unwrap();
        let right = verified_against(|| assert!(verify_login("correct horse battery", Some(&stored))));
        let wrong = verified_against(|| assert!(!verify_login("wrong horse battery", Some(&stored))));
        assert_eq!((right, wrong), (vec![stored.clone()], vec![stored.clone()]));

        let checked = verified_against(|| assert!(!verify_login("correct horse battery", None)));
        assert_eq!(checked, [DUMMY_HASH.as_str()], "an unknown account still costs one verification");
        // The same algorithm and parameters (memory, iterations, lanes) as a
        // real account's hash: only the salt and the digest differ.
        let dummy = PasswordHash::new(&checked[0]).unwrap();
        let real = PasswordHash::new(&stored).unwrap();
        assert_eq!((dummy.algorithm, dummy.version, &dummy.params), (real.algorithm, real.version, &real.params));
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        // Even the dummy's own password opens nothing.
        assert!(!verify_login("no account has this password", None));
    }

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
