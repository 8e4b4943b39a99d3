//! Serving connections the way API Gateway's front door does: a request whose head breaks
//! its limits, or is not HTTP at all, gets the API's JSON error body and
//! `cache-control: no-store`, not the bare answer the HTTP library would write.

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use keyauth::emulation::gateway_responses as gateway;
use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// API Gateway's longest URL (edge-optimized APIs, the template's default).
pub const MAX_URL_BYTES: usize = 8192;
/// API Gateway's limit on the request line and the header values together.
pub const MAX_HEAD_BYTES: usize = 10240;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// After a refusal, how long and how much of the client's unread request is read and dropped.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1 << 20;

/// Why a request head is refused before routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadRefusal {
    /// Not an HTTP/1.1 request head (400).
    Malformed,
    /// The URL is longer than [`MAX_URL_BYTES`] (414).
    UrlTooLong,
    /// The head is longer than [`MAX_HEAD_BYTES`] (431).
    HeadTooLarge,
}

impl HeadRefusal {
    fn answer(self) -> (u16, &'static str, &'static str, &'static str) {
        match self {
            Self::Malformed => (
                400,
                "Bad Request",
                "bad_request",
                "the request is not valid HTTP",
            ),
            Self::UrlTooLong => (
                414,
                "URI Too Long",
                "uri_too_long",
                "the URL is longer than 8192 bytes",
            ),
            Self::HeadTooLarge => (
                431,
                "Request Header Fields Too Large",
                "headers_too_large",
                "the request line and headers are longer than 10240 bytes",
            ),
        }
    }

    /// The whole HTTP answer, with the same body shape as the gateway's other errors.
    pub fn response(self) -> Vec<u8> {
        let (status, reason, code, message) = self.answer();
        let body = gateway::GatewayResponse {
            kind: "DEFAULT_4XX",
            status,
            code,
            message: Some(message),
        }
        .body();
        format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }
}

/// Judges a complete or partial request head: `Ok(Some(()))` when it is whole and within the
/// limits, `Ok(None)` when more bytes are needed, `Err` when it is refused.
pub fn judge_head(bytes: &[u8]) -> Result<Option<()>, HeadRefusal> {
    let line_end = bytes.windows(2).position(|w| w == b"\r\n");
    let url_len = |line: &[u8]| line.split(|&b| b == b' ').nth(1).map_or(0, <[u8]>::len);
    match line_end {
        Some(end) if url_len(&bytes[..end]) > MAX_URL_BYTES => return Err(HeadRefusal::UrlTooLong),
        None if bytes.len() > MAX_URL_BYTES + 32 => return Err(HeadRefusal::UrlTooLong),
        _ => {}
    }
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) if len > MAX_HEAD_BYTES => {
            Err(HeadRefusal::HeadTooLarge)
        }
        Ok(httparse::Status::Complete(_)) => Ok(Some(())),
        Ok(httparse::Status::Partial) if bytes.len() > MAX_HEAD_BYTES => {
            Err(HeadRefusal::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(HeadRefusal::HeadTooLarge),
        Err(_) => Err(HeadRefusal::Malformed),
    }
}

/// Waits for the connection's first request head (without consuming it) and judges it.
async fn inspect(stream: &TcpStream) -> std::io::Result<Result<(), HeadRefusal>> {
    let mut buf = vec![0u8; MAX_HEAD_BYTES + 1];
    let mut seen = 0;
    loop {
        stream.readable().await?;
        let n = stream.peek(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        match judge_head(&buf[..n]) {
            Ok(Some(())) => return Ok(Ok(())),
            Err(refusal) => return Ok(Err(refusal)),
            // A partial head: readiness stays set while the bytes are unread, so wait a
            // moment for more rather than spin.
            Ok(None) if n == seen => tokio::time::sleep(Duration::from_millis(5)).await,
            Ok(None) => seen = n,
        }
    }
}

/// Answers a refused head, then closes gently: the head was only peeked at, and a socket
/// closed with unread bytes is reset, which can destroy the answer before the client reads
/// it. So: the answer, our end of the stream, then the client's bytes read and dropped until
/// it closes (within [`LINGER`] and [`LINGER_BYTES`]).
async fn refuse(mut stream: TcpStream, refusal: HeadRefusal) {
    if stream.write_all(&refusal.response()).await.is_err() || stream.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let mut sink = [0u8; 8192];
        let mut dropped = 0;
        while dropped < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => dropped += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

async fn connection(stream: TcpStream, router: Router) {
    match tokio::time::timeout(HEAD_TIMEOUT, inspect(&stream)).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(refusal))) => return refuse(stream, refusal).await,
        // Closed, failed, or too slow to send a head: nothing to answer.
        _ => return,
    }
    let service = TowerToHyperService::new(router);
    // One request per connection: each one's head is judged as above.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(false);
    let _ = builder
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(stream, router.clone()));
                }
            }
            () = &mut shutdown => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_judged_by_api_gateways_limits() {
        assert_eq!(
            judge_head(b"GET /keys HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(Some(()))
        );
        assert_eq!(judge_head(b"GET /keys HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        assert_eq!(
            judge_head(b"GE(T /keys HTTP/1.1\r\n\r\n"),
            Err(HeadRefusal::Malformed)
        );
        let long_url = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_URL_BYTES));
        assert_eq!(
            judge_head(long_url.as_bytes()),
            Err(HeadRefusal::UrlTooLong)
        );
        let unfinished_url = format!("GET /{}", "a".repeat(MAX_URL_BYTES + 100));
        assert_eq!(
            judge_head(unfinished_url.as_bytes()),
            Err(HeadRefusal::UrlTooLong)
        );
        let big = format!(
            "GET /keys HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        assert_eq!(judge_head(big.as_bytes()), Err(HeadRefusal::HeadTooLarge));
        let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
        let many = format!("GET /keys HTTP/1.1\r\n{many}\r\n");
        assert_eq!(judge_head(many.as_bytes()), Err(HeadRefusal::HeadTooLarge));
    }

    #[test]
    fn refusals_are_json_and_not_cached() {
        let text = String::from_utf8(HeadRefusal::HeadTooLarge.response()).unwrap();
        assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
        assert!(text.contains("cache-control: no-store\r\n"));
        let body: serde_json::Value =
            serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "headers_too_large");
    }
}
