//! Server names as domain rules (blocks, allow-list) name them.

/// A domain as a rule names it: lower case, no scheme, path or trailing dot.
pub fn normalize_domain(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let bare = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://")).unwrap_or(&trimmed);
    let bare = bare.trim_end_matches('/');
    if bare.is_empty() || bare.contains(['/', '@', '?', '#', '*', ' ', ',']) {
        return Err(format!("{text:?} is not a domain (write it like social.example)"));
    }
    match url::Url::parse(&format!("http://{bare}/")) {
        Ok(url) if url.host_str().is_some() => Ok(bare.to_string()),
        _ => Err(format!("{text:?} is not a domain (write it like social.example)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_or_refused() {
        assert_eq!(normalize_domain(" Social.Example. ").unwrap(), "social.example");
        assert_eq!(normalize_domain("https://social.example/").unwrap(), "social.example");
        for bad in ["", "a b", "user@social.example", "social.example/path", "*.example"] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
    }
}
