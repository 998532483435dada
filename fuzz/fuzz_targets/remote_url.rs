//! Arbitrary text as a URL another server gives us (an inbox, an id, a
//! redirect): the SSRF rule must answer without panicking, and what it lets
//! a public instance connect to is https to a server given by name.

#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use maillage_federation::remote_url::{Addresses, check};
use url::{Host, Url};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(url) = Url::parse(text.trim()) else { return };
    let _ = check(&url, Addresses::Any);
    if check(&url, Addresses::GlobalOnly).is_ok() {
        assert_eq!(url.scheme(), "https", "{url}");
        let Some(Host::Domain(name)) = url.host() else { panic!("{url}: not a name") };
        let name = name.trim_end_matches('.');
        assert!(name.parse::<IpAddr>().is_err(), "{url}");
        assert!(name.contains('.') && !name.eq_ignore_ascii_case("localhost"), "{url}");
    }
});
