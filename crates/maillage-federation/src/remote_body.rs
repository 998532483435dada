//! What other servers answer us: read within a size limit, and quoted in
//! our errors and logs only as a short, escaped [`excerpt`].
//!
//! The library's own fetches (actors and objects, through `ObjectId`) read
//! at most 1 MiB too (its `bytes_limited`, answering `ResponseBodyLimit`);
//! but its error for a document that is not JSON carries the whole body,
//! which `FederationError` shortens with [`excerpt`].

/// The most we read of an ActivityPub document: the library's own limit
/// for fetches, and the default `server.max_body_bytes` of our inbox.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// The most we read of a WebFinger answer (a few hundred bytes in practice).
pub const MAX_WEBFINGER_BYTES: usize = 64 * 1024;
/// The most we read of the body of a refused delivery (only an excerpt is kept).
pub const MAX_ERROR_BODY_BYTES: usize = 4 * 1024;
/// The most characters of another server's text an error or log quotes.
pub const EXCERPT_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the answer is larger than {} KiB, the most we read from another server", limit / 1024)]
    TooLarge { limit: usize },
    #[error("the answer could not be read: {0}")]
    Read(String),
}

/// The whole body, or [`BodyError::TooLarge`] as soon as it passes `limit`
/// bytes (nothing more is read).
pub async fn read_capped(response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    match read_up_to(response, limit).await? {
        (body, true) => Ok(body),
        (_, false) => Err(BodyError::TooLarge { limit }),
    }
}

/// At most the first `limit` bytes of the body.
pub async fn read_prefix(response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    Ok(read_up_to(response, limit).await?.0)
}

/// The body up to `limit` bytes, and whether that was all of it.
async fn read_up_to(mut response: reqwest::Response, limit: usize) -> Result<(Vec<u8>, bool), BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| BodyError::Read(e.to_string()))? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

/// Another server's text as our messages may quote it: at most
/// [`EXCERPT_CHARS`] characters, control and invisible formatting characters
/// written as escapes (so nothing rewrites a terminal or a log line), and
/// `…` where it was cut.
pub fn excerpt(text: &str) -> String {
    excerpt_of(text, EXCERPT_CHARS)
}

/// [`excerpt`] of bytes that may not be UTF-8.
pub fn excerpt_bytes(bytes: &[u8]) -> String {
    excerpt(&String::from_utf8_lossy(bytes))
}

/// [`excerpt`] with another length (in characters, escapes included).
pub fn excerpt_of(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut written = 0;
    for c in text.chars() {
        let escaped: Vec<char> = if is_hidden(c) { c.escape_default().collect() } else { vec![c] };
        if written + escaped.len() > max_chars {
            out.push('…');
            return out;
        }
        written += escaped.len();
        out.extend(escaped);
    }
    out
}

/// Characters that move the cursor, end a line or change the direction or
/// visibility of what follows.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("Not Found"), "Not Found");
        assert_eq!(excerpt("a\nb\r\tc\u{1b}[2Jd\u{0}"), "a\\nb\\r\\tc\\u{1b}[2Jd\\u{0}");
        assert_eq!(excerpt("admin\u{202E}gnp.exe"), "admin\\u{202e}gnp.exe");
        let long = excerpt(&"é".repeat(10_000));
        assert_eq!(long.chars().count(), EXCERPT_CHARS + 1);
        assert!(long.ends_with('…'));
        let controls = excerpt(&"\u{7}".repeat(10_000));
        assert!(controls.chars().count() <= EXCERPT_CHARS + 1, "{controls}");
        assert!(!controls.contains('\u{7}'));
        assert_eq!(excerpt_bytes(b"caf\xc3\xa9 \xff"), "café \u{FFFD}");
    }

    /// A server on loopback answering `head` then `body_chunks` chunks of
    /// 64 KiB, or without end when `None`.
    async fn server(head: &'static str, body_chunks: Option<usize>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 2048];
                    let _ = socket.read(&mut request).await;
                    socket.write_all(head.as_bytes()).await?;
                    let chunk = vec![b'x'; 64 * 1024];
                    let mut sent = 0;
                    while body_chunks.is_none_or(|n| sent < n) {
                        socket.write_all(&chunk).await?;
                        sent += 1;
                    }
                    socket.shutdown().await
                });
            }
        });
        format!("http://localhost:{port}/")
    }

    #[tokio::test]
    async fn bodies_are_read_up_to_the_limit_only() {
        let client = reqwest::Client::new();
        // Without a length, and without end: refused once past the limit.
        let endless = server("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n", None).await;
        let response = client.get(&endless).send().await.unwrap();
        let refused = tokio::time::timeout(std::time::Duration::from_secs(5), read_capped(response, 100_000)).await;
        assert!(matches!(refused, Ok(Err(BodyError::TooLarge { limit: 100_000 }))), "{refused:?}");
        let response = client.get(&endless).send().await.unwrap();
        assert_eq!(read_prefix(response, 1000).await.unwrap().len(), 1000);
        // A declared length over the limit: refused before reading.
        let declared = server("HTTP/1.1 200 OK\r\ncontent-length: 5242880\r\n\r\n", Some(80)).await;
        let response = client.get(&declared).send().await.unwrap();
        let message = read_capped(response, MAX_DOCUMENT_BYTES).await.unwrap_err().to_string();
        assert_eq!(message, "the answer is larger than 1024 KiB, the most we read from another server");
        // Within the limit: the whole body.
        let small = server("HTTP/1.1 200 OK\r\ncontent-length: 131072\r\n\r\n", Some(2)).await;
        let response = client.get(&small).send().await.unwrap();
        assert_eq!(read_capped(response, 131_072).await.unwrap().len(), 131_072);
    }
}
