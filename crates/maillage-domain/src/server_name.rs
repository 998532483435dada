//! Server names as domain rules (blocks, allow-list) name them, in one
//! form: lower-case ASCII, internationalised labels in punycode (IDNA, the
//! `idna` crate), so that a rule written `exämple.org` and the host
//! `xn--exmple-cua.org` of a URL (URLs always carry the ASCII form) meet,
//! whichever way each was written.

/// `host[:port]` split at its port, when it has one (`[::1]:80` too).
fn split_port(authority: &str) -> (&str, Option<&str>) {
    match authority.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.chars().all(|c| c.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            (host, Some(port))
        }
        _ => (authority, None),
    }
}

/// A host in its ASCII form, or why it is no host name.
fn ascii_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        return Ok(host.to_ascii_lowercase());
    }
    idna::domain_to_ascii(host).map_err(|_| format!("{host:?} is not a valid internationalised domain name"))
}

/// A domain as a rule names it: ASCII lower case (punycode for
/// internationalised names), no scheme, path or trailing dot; a port is kept.
pub fn normalize_domain(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('.').to_lowercase();
    let bare = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://")).unwrap_or(&trimmed);
    let bare = bare.trim_end_matches('/').trim_end_matches('.');
    let refused = || format!("{text:?} is not a domain (write it like social.example)");
    if bare.is_empty() || bare.contains(['/', '@', '?', '#', '*', ' ', ',']) {
        return Err(refused());
    }
    let (host, port) = split_port(bare);
    let host = ascii_host(host.trim_end_matches('.')).map_err(|_| refused())?;
    let normalized = match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    match url::Url::parse(&format!("http://{normalized}/")) {
        Ok(url) if url.host_str().is_some() && !normalized.is_empty() => Ok(normalized),
        _ => Err(refused()),
    }
}

/// `host[:port]` in the form rules are compared in (see [`normalize_domain`]);
/// text that is no host name is only lower-cased, so it matches nothing new.
pub fn comparable_authority(authority: &str) -> String {
    let (host, port) = split_port(authority.trim());
    let host = ascii_host(host.trim_end_matches('.')).unwrap_or_else(|_| host.to_lowercase());
    match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// Whether a rule for `rule` holds for the server `authority`: the same
/// server or, for a rule without a port, its host or any subdomain of it on
/// any port (a rule for `example.org` covers `social.example.org:8443`).
pub fn rule_covers(rule: &str, authority: &str) -> bool {
    let (rule, authority) = (comparable_authority(rule), comparable_authority(authority));
    if rule == authority {
        return true;
    }
    let (rule_host, rule_port) = split_port(&rule);
    let (host, _) = split_port(&authority);
    rule_port.is_none() && (host == rule_host || host.strip_suffix(rule_host).is_some_and(|rest| rest.ends_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_or_refused() {
        assert_eq!(normalize_domain(" Social.Example. ").unwrap(), "social.example");
        assert_eq!(normalize_domain("https://social.example/").unwrap(), "social.example");
        assert_eq!(normalize_domain("localhost:8443").unwrap(), "localhost:8443");
        for bad in ["", "a b", "user@social.example", "social.example/path", "*.example", "xn--a.example"] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unicode_and_punycode_names_are_one_name() {
        assert_eq!(normalize_domain("exämple.org").unwrap(), "xn--exmple-cua.org");
        assert_eq!(normalize_domain("EXÄMPLE.org").unwrap(), "xn--exmple-cua.org");
        assert_eq!(normalize_domain("xn--exmple-cua.org").unwrap(), "xn--exmple-cua.org");
        assert_eq!(normalize_domain("https://exämple.org:8443/").unwrap(), "xn--exmple-cua.org:8443");
        assert_eq!(comparable_authority("social.exämple.org:443"), "social.xn--exmple-cua.org:443");
        assert_eq!(comparable_authority("Social.XN--EXMPLE-CUA.org"), "social.xn--exmple-cua.org");
        assert_eq!(comparable_authority("[::1]:8080"), "[::1]:8080");
    }

    #[test]
    fn rules_cover_subdomains_and_ports() {
        assert!(rule_covers("example.org", "example.org"));
        assert!(rule_covers("example.org", "social.example.org:8443"));
        assert!(rule_covers("exämple.org", "a.xn--exmple-cua.org"));
        assert!(rule_covers("xn--exmple-cua.org", "a.exämple.org"));
        assert!(!rule_covers("example.org", "notexample.org"));
        assert!(!rule_covers("example.org", "example.org.evil.net"));
        assert!(rule_covers("example.org:8443", "example.org:8443"));
        assert!(!rule_covers("example.org:8443", "example.org"));
        assert!(!rule_covers("example.org:8443", "a.example.org:8443"));
    }
}
