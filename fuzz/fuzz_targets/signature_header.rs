//! Arbitrary bytes as the signed headers of a request to an inbox. The input
//! is cut at its first four newlines into the values of `Signature`, `Date`,
//! `Digest` and `Host`; what follows is the body. Parsing and checking the
//! signature (and, when that passes, verifying it against a fixed key) must
//! end in `Ok` or `Err`, never in a panic.

#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use maillage_federation::signature::{RequestParts, parse_and_check, verify};

/// The public half of a throwaway key, made for these seeds only: the seeds in
/// `fuzz/seeds/signature_header` were signed with its private half (since
/// discarded), so mutations of them reach `verify`.
const PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArfOR4PwCazNNT71T2Kod
3YrhNt31Azuwi+M/1xl+Fh9rJX6w/uEJLt9hg1XoESMuivy5pZMQZ973D6ZzI3DE
m95JQ36ceadxz2gEYfBY01tS3SUes73rJR3R5Y2uZryXo6nTVPl5zOdPj3n8s2mi
GPdWShpP0xmeXviJI8Vw/1FehFRMz6UxI73Pw10kjimA1ENdr5jlg8JHjthMfInG
fTS7gdC8hrk0mYdXLskqe0PEZXzTtkB1vMa7sAsVETWLjN7EiSDb7BAmXK/TV8sf
jLw44E+blFbfdyCX3OZjryQ4aSBFYOtHzWM1FtxX/nUXm2ar27YUkm21H2kJ2zx5
ZQIDAQAB
-----END PUBLIC KEY-----";

/// The date of the seeds (Wed, 20 Dec 2023 10:00:00 GMT): a fixed clock keeps
/// every run reproducible; the extreme clocks exercise the time-window arithmetic.
const SEED_NOW_SECS: u64 = 1_703_066_400;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(5, |&b| b == b'\n');
    let mut headers = HeaderMap::new();
    for name in ["signature", "date", "digest", "host"] {
        let Some(value) = parts.next() else { break };
        // What the HTTP layer would have refused never reaches the parser.
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(HeaderName::from_static(name), value);
        }
    }
    let body = parts.next().unwrap_or_default();

    let clocks = [
        UNIX_EPOCH.checked_add(Duration::from_secs(SEED_NOW_SECS)),
        Some(UNIX_EPOCH),
        UNIX_EPOCH.checked_sub(Duration::from_secs(1)),
        UNIX_EPOCH.checked_add(Duration::from_secs(u64::MAX / 2)),
        Some(SystemTime::now()),
    ];
    let requests = [(Method::POST, "/inbox", Some(body)), (Method::GET, "/users/alice/outbox?page=true", None)];
    for (method, path_and_query, body) in &requests {
        let request = RequestParts { method, path_and_query, headers: &headers, body: *body };
        for now in clocks.iter().flatten() {
            if let Ok(params) = parse_and_check(&request, *now) {
                let _ = verify(&params, &request, PUBLIC_KEY_PEM);
                let _ = verify(&params, &request, "not a key");
            }
        }
    }
});
