//! HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures, shaped like Mastodon): parsing and
//! checking the `Signature` header of incoming requests, verifying it against an actor's RSA public key, the
//! `Digest` header, and signing outgoing requests. Fetching keys and deciding who may do what live elsewhere.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use http::{HeaderMap, HeaderValue, Method};
use sha2::{Digest, Sha256};

use crate::crypto::{PrivateKey, PublicKey};

// The time window is Mastodon's (app/controllers/concerns/signature_verification.rb): a signature is valid from its
// creation time until `expires` (default: created + 5 minutes, never more than created + 12 hours), with one hour of
// clock skew on both sides. A plain `Date` is thus accepted from 65 minutes in the past to 60 minutes in the future:
// the vectors dated 13 hours ago and 2 hours ahead are refused, those dated `now` accepted.
const CLOCK_SKEW_SECS: i64 = 60 * 60;
const DEFAULT_VALIDITY_SECS: i64 = 5 * 60;
const MAX_VALIDITY_SECS: i64 = 12 * 60 * 60;

/// The parts of an HTTP request that a signature covers.
pub struct RequestParts<'a> {
    pub method: &'a Method,
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: Option<&'a [u8]>,
}

/// The parameters of a `Signature` header; `headers` are lower-cased, `signature` is base64-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    pub key_id: String,
    pub algorithm: Option<String>,
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("missing Signature header")]
    MissingSignatureHeader,
    #[error("more than one Signature header")]
    MultipleSignatureHeaders,
    #[error("malformed Signature header: {0}")]
    MalformedSignatureHeader(String),
    #[error("the Signature header lacks the `{0}` parameter")]
    MissingParameter(&'static str),
    #[error("unsupported algorithm `{0}` (only rsa-sha256 and hs2019 are accepted)")]
    UnsupportedAlgorithm(String),
    #[error("`{0}` may only be signed with algorithm hs2019")]
    PseudoHeaderNeedsHs2019(&'static str),
    #[error("`date` or `(created)` must be among the signed headers")]
    DateNotSigned,
    #[error("`(request-target)` or `digest` must be among the signed headers")]
    TargetNotSigned,
    #[error("`host` must be among the signed headers of a GET")]
    HostNotSigned,
    #[error("`digest` must be among the signed headers of a POST or of a request with a body")]
    DigestNotSigned,
    #[error("`{0}` is among the signed headers but missing from the request")]
    MissingHeader(String),
    #[error("the Date header is not a valid HTTP date")]
    MalformedDate,
    #[error("signature is dated too far in the future")]
    TooFarInFuture,
    #[error("signature is dated too far in the past")]
    TooFarInPast,
    #[error("the Digest header has no SHA-256 digest")]
    NoSha256Digest,
    #[error("the Digest header does not match the body")]
    DigestMismatch,
    #[error("malformed public key")]
    MalformedPublicKey,
    #[error("malformed private key")]
    MalformedPrivateKey,
    #[error("signature does not verify")]
    BadSignature,
    #[error("signing failed")]
    SigningFailed,
    #[error("the URL has no host")]
    UrlWithoutHost,
    #[error("`{0}` cannot be sent in a header")]
    InvalidHeaderValue(String),
}

/// Parses the `Signature` header and performs every check that needs no key: the algorithm, the headers that must be
/// signed (as Mastodon: `date` or `(created)`; `(request-target)` or `digest`; `host` on GET; `digest` on POST and on
/// any request with a non-empty body), the time window (see `CLOCK_SKEW_SECS`) and the `Digest` against the body.
pub fn parse_and_check(parts: &RequestParts, now: SystemTime) -> Result<SignatureParams, SignatureError> {
    let params = parse_signature_header(parts.headers)?;
    let hs2019 = match params.algorithm.as_deref() {
        None => true,
        Some(a) if a.eq_ignore_ascii_case("hs2019") => true,
        Some(a) if a.eq_ignore_ascii_case("rsa-sha256") => false,
        Some(a) => return Err(SignatureError::UnsupportedAlgorithm(a.to_owned())),
    };
    let signed = |name: &str| params.headers.iter().any(|h| h == name);

    if !signed("date") && !signed("(created)") {
        return Err(SignatureError::DateNotSigned);
    }
    if !signed("(request-target)") && !signed("digest") {
        return Err(SignatureError::TargetNotSigned);
    }
    if parts.method == Method::GET && !signed("host") {
        return Err(SignatureError::HostNotSigned);
    }
    let has_body = parts.body.is_some_and(|b| !b.is_empty());
    if (parts.method == Method::POST || has_body) && !signed("digest") {
        return Err(SignatureError::DigestNotSigned);
    }
    // draft-cavage-12 §2.3: `(created)` and `(expires)` are an error with algorithms named after RSA, HMAC or ECDSA.
    for pseudo in ["(created)", "(expires)"] {
        if signed(pseudo) && !hs2019 {
            return Err(SignatureError::PseudoHeaderNeedsHs2019(pseudo));
        }
    }

    // Only signed times count: an unsigned `created` or `expires` could be rewritten by whoever replays the request.
    let created = if signed("(created)") {
        params.created.ok_or(SignatureError::MissingParameter("created"))?
    } else {
        let date = joined_header(parts.headers, "date").ok_or_else(|| SignatureError::MissingHeader("date".into()))?;
        let date = std::str::from_utf8(&date).map_err(|_| SignatureError::MalformedDate)?;
        unix_secs(httpdate::parse_http_date(date).map_err(|_| SignatureError::MalformedDate)?)
    };
    let expires = if signed("(expires)") {
        params.expires.ok_or(SignatureError::MissingParameter("expires"))?
    } else {
        created.saturating_add(DEFAULT_VALIDITY_SECS)
    };
    let expires = expires.min(created.saturating_add(MAX_VALIDITY_SECS));
    let now = unix_secs(now);
    if created > now.saturating_add(CLOCK_SKEW_SECS) {
        return Err(SignatureError::TooFarInFuture);
    }
    if now > expires.saturating_add(CLOCK_SKEW_SECS) {
        return Err(SignatureError::TooFarInPast);
    }

    if signed("digest") {
        check_digest(parts.headers, parts.body.unwrap_or_default())?;
    }
    Ok(params)
}

/// Verifies `params` against the request with a PEM RSA public key (SPKI or PKCS#1). As Mastodon and GoToSocial do,
/// a `(request-target)` that fails with the query string is retried without it.
pub fn verify(params: &SignatureParams, parts: &RequestParts, public_key_pem: &str) -> Result<(), SignatureError> {
    let key = PublicKey::cached(public_key_pem).map_err(|_| SignatureError::MalformedPublicKey)?;
    let path = parts.path_and_query.split_once('?').map(|(path, _)| path);
    for target in std::iter::once(parts.path_and_query).chain(path) {
        if key.verify_sha256(&signing_string(params, parts, target)?, &params.signature) {
            return Ok(());
        }
    }
    Err(SignatureError::BadSignature)
}

/// [`verify`] with the RSA work on the crypto pool (see [`crate::crypto::on_pool`]).
pub async fn verify_on_pool(
    params: &SignatureParams,
    parts: &RequestParts<'_>,
    public_key_pem: &str,
) -> Result<(), SignatureError> {
    let key = PublicKey::cached(public_key_pem).map_err(|_| SignatureError::MalformedPublicKey)?;
    let path = parts.path_and_query.split_once('?').map(|(path, _)| path);
    let mut candidates = Vec::with_capacity(2);
    for target in std::iter::once(parts.path_and_query).chain(path) {
        candidates.push(signing_string(params, parts, target)?);
    }
    let signature = params.signature.clone();
    let verified =
        crate::crypto::on_pool(move || candidates.iter().any(|candidate| key.verify_sha256(candidate, &signature)))
            .await;
    if verified { Ok(()) } else { Err(SignatureError::BadSignature) }
}

/// [`sign`] with the RSA work on the crypto pool (see [`crate::crypto::on_pool`]).
pub async fn sign_on_pool(
    method: Method,
    url: url::Url,
    body: Option<Vec<u8>>,
    key_id: String,
    private_key_pem: String,
    now: SystemTime,
) -> Result<HeaderMap, SignatureError> {
    crate::crypto::on_pool(move || sign(&method, &url, body.as_deref(), &key_id, &private_key_pem, now)).await
}

/// `SHA-256=<base64>` for a body.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", BASE64.encode(Sha256::digest(body)))
}

/// Signs an outgoing request as Mastodon does, with a PEM RSA private key (PKCS#8 or PKCS#1). Returns the headers to
/// add: `Date`, `Digest` (POST or any body) and `Signature`. The signature covers `host`, taken from `url`, so the
/// request must be sent with that very Host (what HTTP clients do by default).
pub fn sign(
    method: &Method,
    url: &url::Url,
    body: Option<&[u8]>,
    key_id: &str,
    private_key_pem: &str,
    now: SystemTime,
) -> Result<HeaderMap, SignatureError> {
    if key_id.contains('"') {
        return Err(SignatureError::InvalidHeaderValue(key_id.to_owned()));
    }
    let key = PrivateKey::cached(private_key_pem).map_err(|_| SignatureError::MalformedPrivateKey)?;
    let host = url.host_str().ok_or(SignatureError::UrlWithoutHost)?;
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };

    let mut headers = HeaderMap::new();
    headers.insert(http::header::HOST, header_value(host)?);
    headers.insert(http::header::DATE, header_value(httpdate::fmt_http_date(now))?);
    let mut signed = vec!["(request-target)".to_owned(), "host".to_owned(), "date".to_owned()];
    if body.is_some() || method == Method::POST {
        headers.insert("digest", header_value(digest_header(body.unwrap_or_default()))?);
        signed.push("digest".to_owned());
    }
    let params = SignatureParams {
        key_id: key_id.to_owned(),
        algorithm: Some("rsa-sha256".to_owned()),
        headers: signed,
        signature: Vec::new(),
        created: None,
        expires: None,
    };
    let parts = RequestParts { method, path_and_query: &target, headers: &headers, body };
    let string = signing_string(&params, &parts, &target)?;
    let signature = key.sign_sha256(&string).map_err(|_| SignatureError::SigningFailed)?;

    let value = format!(
        r#"keyId="{key_id}",algorithm="rsa-sha256",headers="{}",signature="{}""#,
        params.headers.join(" "),
        BASE64.encode(signature)
    );
    headers.remove(http::header::HOST);
    headers.insert("signature", header_value(value)?);
    Ok(headers)
}

fn parse_signature_header(headers: &HeaderMap) -> Result<SignatureParams, SignatureError> {
    let mut values = headers.get_all("signature").iter();
    let value = values.next().ok_or(SignatureError::MissingSignatureHeader)?;
    if values.next().is_some() {
        return Err(SignatureError::MultipleSignatureHeaders);
    }
    let malformed = |why: &str| SignatureError::MalformedSignatureHeader(why.to_owned());
    let value = value.to_str().map_err(|_| malformed("not ASCII text"))?;

    let mut fields: Vec<(&str, &str)> = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').ok_or_else(|| malformed("expected `name=value`"))?;
        let name = name.trim();
        let (value, after) = match after.trim_start().strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').ok_or_else(|| malformed("unterminated quoted value"))?,
            None => after.find(',').map_or((after.trim(), ""), |comma| after.split_at(comma)),
        };
        if name.is_empty() || fields.iter().any(|(seen, _)| *seen == name) {
            return Err(malformed(&format!("empty or repeated parameter name `{name}`")));
        }
        fields.push((name, value.trim()));
        rest = after.trim_start();
        if !rest.is_empty() {
            rest = rest.strip_prefix(',').ok_or_else(|| malformed("expected `,` between parameters"))?.trim_start();
        }
    }

    let field = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let timestamp = |name: &'static str| {
        field(name).map(|v| v.parse::<i64>().map_err(|_| malformed(&format!("`{name}` is not an integer")))).transpose()
    };
    let signature = field("signature").ok_or(SignatureError::MissingParameter("signature"))?;
    Ok(SignatureParams {
        key_id: field("keyId").ok_or(SignatureError::MissingParameter("keyId"))?.to_owned(),
        algorithm: field("algorithm").map(str::to_owned),
        // draft-cavage: when `headers` is absent only `date` is signed.
        headers: field("headers").unwrap_or("date").split_whitespace().map(str::to_ascii_lowercase).collect(),
        signature: BASE64.decode(signature).map_err(|_| malformed("`signature` is not base64"))?,
        created: timestamp("created")?,
        expires: timestamp("expires")?,
    })
}

fn signing_string(params: &SignatureParams, parts: &RequestParts, target: &str) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::new();
    for name in &params.headers {
        let name = name.to_ascii_lowercase();
        if !out.is_empty() {
            out.push(b'\n');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        match name.as_str() {
            "(request-target)" => {
                out.extend_from_slice(parts.method.as_str().to_ascii_lowercase().as_bytes());
                out.push(b' ');
                out.extend_from_slice(target.as_bytes());
            }
            "(created)" => {
                let created = params.created.ok_or(SignatureError::MissingParameter("created"))?;
                out.extend_from_slice(created.to_string().as_bytes());
            }
            "(expires)" => {
                let expires = params.expires.ok_or(SignatureError::MissingParameter("expires"))?;
                out.extend_from_slice(expires.to_string().as_bytes());
            }
            _ => out.extend(joined_header(parts.headers, &name).ok_or(SignatureError::MissingHeader(name))?),
        }
    }
    Ok(out)
}

fn check_digest(headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    let value = joined_header(headers, "digest").ok_or_else(|| SignatureError::MissingHeader("digest".into()))?;
    let value = String::from_utf8_lossy(&value);
    let sha256 = value
        .split(',')
        .filter_map(|digest| digest.split_once('='))
        .find(|(algorithm, _)| algorithm.trim().eq_ignore_ascii_case("sha-256"))
        .ok_or(SignatureError::NoSha256Digest)?
        .1;
    match BASE64.decode(sha256.trim()) {
        Ok(offered) if offered == Sha256::digest(body).as_slice() => Ok(()),
        _ => Err(SignatureError::DigestMismatch),
    }
}

/// All values of a header joined with ", ", or `None` when the request has none.
fn joined_header(headers: &HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter();
    let mut joined = values.next()?.as_bytes().to_vec();
    for value in values {
        joined.extend_from_slice(b", ");
        joined.extend_from_slice(value.as_bytes());
    }
    Some(joined)
}

fn header_value(value: String) -> Result<HeaderValue, SignatureError> {
    HeaderValue::from_str(&value).map_err(|_| SignatureError::InvalidHeaderValue(value))
}

/// Seconds since the Unix epoch; times before it (never seen in HTTP dates) all map to `i64::MIN`.
fn unix_secs(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(i64::MIN, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use rsa::RsaPrivateKey;
    use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use rsa::rand_core::OsRng;

    /// Mastodon-shaped cases with verdicts, from the project's shared material.
    const VECTORS: &str = "vectors/http-signatures.json";

    fn check(parts: &RequestParts, pem: &str, now: SystemTime) -> Result<SignatureParams, SignatureError> {
        let params = parse_and_check(parts, now)?;
        verify(&params, parts, pem)?;
        Ok(params)
    }

    #[test]
    fn vectors() {
        let Some(path) = crate::shared_material(VECTORS) else { return };
        let text = std::fs::read_to_string(path).unwrap();
        let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
        let now = httpdate::parse_http_date(vectors["now"].as_str().unwrap()).unwrap();
        let pem = vectors["public_key_pem"].as_str().unwrap();
        let cases = vectors["cases"].as_array().unwrap();
        let mut mismatches = Vec::new();
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let method = Method::from_bytes(case["method"].as_str().unwrap().as_bytes()).unwrap();
            let mut headers = HeaderMap::new();
            for (header, value) in case["headers"].as_object().unwrap() {
                let header = http::HeaderName::from_bytes(header.as_bytes()).unwrap();
                headers.append(header, HeaderValue::from_str(value.as_str().unwrap()).unwrap());
            }
            let body = case["body"].as_str().map(str::as_bytes);
            let parts = RequestParts {
                method: &method,
                path_and_query: case["path"].as_str().unwrap(),
                headers: &headers,
                body,
            };
            let result = check(&parts, pem, now);
            if let Ok(params) = &result {
                assert_eq!(params.key_id, vectors["key_id"].as_str().unwrap(), "{name}");
            }
            println!("{name}: {:?}", result.as_ref().map(|params| &params.headers));
            if result.is_ok() != case["valid"].as_bool().unwrap() {
                mismatches.push(format!("{name}: expected valid={}, got {result:?}", case["valid"]));
            }
        }
        assert!(mismatches.is_empty(), "{mismatches:#?}");
        assert_eq!(cases.len(), 16);
    }

    #[test]
    fn sign_then_verify() {
        let private = RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
        let public = private.to_public_key();
        let private_pems = [
            private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            private.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
        ];
        let public_pems =
            [public.to_public_key_pem(LineEnding::LF).unwrap(), public.to_pkcs1_pem(LineEnding::LF).unwrap()];
        let now = httpdate::parse_http_date("Wed, 20 Dec 2023 10:00:00 GMT").unwrap();
        let key_id = "https://hub.example/hub#main-key";

        // GET with a query string and a non-default port.
        let url = url::Url::parse("https://hub.example:8443/hub/outbox?page=true").unwrap();
        let mut headers = sign(&Method::GET, &url, None, key_id, &private_pems[1], now).unwrap();
        assert!(headers.get("digest").is_none());
        let signature = headers["signature"].to_str().unwrap();
        assert!(signature.contains(r#"headers="(request-target) host date""#), "{signature}");
        headers.insert("host", HeaderValue::from_static("hub.example:8443"));
        let get = |path| RequestParts { method: &Method::GET, path_and_query: path, headers: &headers, body: None };
        for pem in &public_pems {
            assert_eq!(check(&get("/hub/outbox?page=true"), pem, now).unwrap().key_id, key_id);
        }
        assert_eq!(check(&get("/hub/outbox?page=false"), &public_pems[0], now), Err(SignatureError::BadSignature));
        assert_eq!(check(&get("/hub/inbox?page=true"), &public_pems[0], now), Err(SignatureError::BadSignature));

        // POST with a body.
        let body = br#"{"type":"Follow"}"#;
        let url = url::Url::parse("https://remote.example/users/bob/inbox").unwrap();
        let mut headers = sign(&Method::POST, &url, Some(body), key_id, &private_pems[0], now).unwrap();
        assert_eq!(headers["date"], "Wed, 20 Dec 2023 10:00:00 GMT");
        assert_eq!(headers["digest"], digest_header(body).as_str());
        assert!(headers["signature"].to_str().unwrap().contains(r#"headers="(request-target) host date digest""#));
        headers.insert("host", HeaderValue::from_static("remote.example"));
        let post = |headers, path, body| RequestParts {
            method: &Method::POST,
            path_and_query: path,
            headers,
            body: Some(body),
        };
        for pem in &public_pems {
            assert!(check(&post(&headers, "/users/bob/inbox", body), pem, now).is_ok());
        }
        let pem = &public_pems[0];
        let tampered = br#"{"type":"Block"}"#;
        assert_eq!(check(&post(&headers, "/users/bob/inbox", tampered), pem, now), Err(SignatureError::DigestMismatch));
        assert_eq!(check(&post(&headers, "/users/eve/inbox", body), pem, now), Err(SignatureError::BadSignature));
        let mut redated = headers.clone();
        redated.insert("date", HeaderValue::from_static("Wed, 20 Dec 2023 10:00:01 GMT"));
        assert_eq!(check(&post(&redated, "/users/bob/inbox", body), pem, now), Err(SignatureError::BadSignature));
        let mut rehosted = headers.clone();
        rehosted.insert("host", HeaderValue::from_static("evil.example"));
        assert_eq!(check(&post(&rehosted, "/users/bob/inbox", body), pem, now), Err(SignatureError::BadSignature));

        // Time window: 65 minutes of age pass, 66 do not; 60 minutes ahead pass, 61 do not.
        let minutes = |m: u64| std::time::Duration::from_secs(m * 60);
        let parts = post(&headers, "/users/bob/inbox", body);
        assert!(check(&parts, pem, now + minutes(65)).is_ok());
        assert_eq!(check(&parts, pem, now + minutes(66)), Err(SignatureError::TooFarInPast));
        assert!(check(&parts, pem, now - minutes(60)).is_ok());
        assert_eq!(check(&parts, pem, now - minutes(61)), Err(SignatureError::TooFarInFuture));

        assert_eq!(
            verify(&parse_and_check(&parts, now).unwrap(), &parts, "garbage"),
            Err(SignatureError::MalformedPublicKey)
        );
        assert_eq!(sign(&Method::GET, &url, None, key_id, "garbage", now), Err(SignatureError::MalformedPrivateKey));
    }

    fn request(method: Method, signature: Option<&str>, extra: &[(&'static str, &str)]) -> (Method, HeaderMap) {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("hub.example"));
        headers.insert("date", HeaderValue::from_static("Wed, 20 Dec 2023 10:00:00 GMT"));
        if let Some(signature) = signature {
            headers.insert("signature", HeaderValue::from_str(signature).unwrap());
        }
        for (name, value) in extra {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        (method, headers)
    }

    fn parse(
        method: Method,
        signature: Option<&str>,
        extra: &[(&'static str, &str)],
        body: Option<&[u8]>,
    ) -> Result<SignatureParams, SignatureError> {
        let (method, headers) = request(method, signature, extra);
        let now = httpdate::parse_http_date("Wed, 20 Dec 2023 10:00:00 GMT").unwrap();
        parse_and_check(&RequestParts { method: &method, path_and_query: "/inbox", headers: &headers, body }, now)
    }

    #[test]
    fn parsing_edge_cases() {
        let malformed = |why: &str| Err(SignatureError::MalformedSignatureHeader(why.to_owned()));
        assert_eq!(parse(Method::GET, None, &[], None), Err(SignatureError::MissingSignatureHeader));
        assert_eq!(parse(Method::GET, Some("garbage"), &[], None), malformed("expected `name=value`"));
        assert_eq!(
            parse(Method::GET, Some(r#"keyId="k,signature="AAAA""#), &[], None),
            malformed("expected `,` between parameters")
        );
        assert_eq!(parse(Method::GET, Some(r#"keyId="k"#), &[], None), malformed("unterminated quoted value"));
        assert_eq!(
            parse(Method::GET, Some(r#"keyId="k",keyId="j",signature="AAAA""#), &[], None),
            malformed("empty or repeated parameter name `keyId`")
        );
        assert_eq!(
            parse(Method::GET, Some(r#"keyId="k",signature="not base64!""#), &[], None),
            malformed("`signature` is not base64")
        );
        assert_eq!(
            parse(Method::GET, Some(r#"keyId="k",headers="date""#), &[], None),
            Err(SignatureError::MissingParameter("signature"))
        );
        assert_eq!(
            parse(Method::GET, Some(r#"signature="AAAA""#), &[], None),
            Err(SignatureError::MissingParameter("keyId"))
        );

        let get = r#"keyId="k", algorithm="hmac-sha256", headers="(request-target) host date", signature="AAAA""#;
        assert_eq!(
            parse(Method::GET, Some(get), &[], None),
            Err(SignatureError::UnsupportedAlgorithm("hmac-sha256".into()))
        );
        let get = r#"keyId="k",headers="(request-target) date",signature="AAAA""#;
        assert_eq!(parse(Method::GET, Some(get), &[], None), Err(SignatureError::HostNotSigned));
        let get = r#"keyId="k",headers="host date",signature="AAAA""#;
        assert_eq!(parse(Method::GET, Some(get), &[], None), Err(SignatureError::TargetNotSigned));
        assert_eq!(
            parse(Method::GET, Some(r#"keyId="k",signature="AAAA""#), &[], None),
            Err(SignatureError::TargetNotSigned)
        );

        // Unknown parameters are ignored, an unquoted `created` is read, an absent algorithm means hs2019.
        let get =
            r#"keyId="k",foo="bar",created=1703066400,headers="(request-target) (created) Host",signature="AAAA""#;
        let params = parse(Method::GET, Some(get), &[], None).unwrap();
        assert_eq!(params.headers, ["(request-target)", "(created)", "host"]);
        assert_eq!((params.created, params.algorithm, params.signature), (Some(1_703_066_400), None, vec![0, 0, 0]));
        let get = r#"keyId="k",algorithm="rsa-sha256",created=1703066400,headers="(request-target) (created) host",signature="AAAA""#;
        assert_eq!(parse(Method::GET, Some(get), &[], None), Err(SignatureError::PseudoHeaderNeedsHs2019("(created)")));
        // `(created)` two hours ago: only a signed `expires` (here 3 hours after it) keeps the signature fresh.
        let stale = r#"keyId="k",created=1703059200,expires=1703070000,headers="(request-target) (created) host",signature="AAAA""#;
        assert_eq!(parse(Method::GET, Some(stale), &[], None), Err(SignatureError::TooFarInPast));
        let fresh = r#"keyId="k",created=1703059200,expires=1703070000,headers="(request-target) (created) (expires) host",signature="AAAA""#;
        assert!(parse(Method::GET, Some(fresh), &[], None).is_ok());

        let body: &[u8] = b"{}";
        let post = r#"keyId="k",headers="(request-target) host date",signature="AAAA""#;
        assert_eq!(parse(Method::POST, Some(post), &[], Some(body)), Err(SignatureError::DigestNotSigned));
        assert_eq!(parse(Method::PUT, Some(post), &[], Some(body)), Err(SignatureError::DigestNotSigned));
        let post = r#"keyId="k",headers="(request-target) host date digest",signature="AAAA""#;
        assert_eq!(
            parse(Method::POST, Some(post), &[], Some(body)),
            Err(SignatureError::MissingHeader("digest".into()))
        );
        let sha512 = "SHA-512=AAAA";
        assert_eq!(
            parse(Method::POST, Some(post), &[("digest", sha512)], Some(body)),
            Err(SignatureError::NoSha256Digest)
        );
        let both = format!("SHA-512=AAAA, sha-256={}", digest_header(body).trim_start_matches("SHA-256="));
        assert!(parse(Method::POST, Some(post), &[("digest", &both)], Some(body)).is_ok());
        assert_eq!(
            parse(Method::POST, Some(post), &[("digest", &both)], Some(b"[]")),
            Err(SignatureError::DigestMismatch)
        );

        let (method, mut headers) = request(Method::POST, Some(post), &[("digest", &both)]);
        headers.insert("date", HeaderValue::from_static("yesterday"));
        let now = httpdate::parse_http_date("Wed, 20 Dec 2023 10:00:00 GMT").unwrap();
        let parts = RequestParts { method: &method, path_and_query: "/inbox", headers: &headers, body: Some(body) };
        assert_eq!(parse_and_check(&parts, now), Err(SignatureError::MalformedDate));
    }
}
