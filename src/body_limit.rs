//! A cap on how much of a response body the client reads: an endless or
//! huge answer fails the call with [`BodyTooLarge`] instead of growing
//! memory until the timeout; and what the client keeps of an answer's body
//! when it fails.
//!
//! A response that declares a `Content-Length` within the cap is left as it
//! is (hyper never reads past the declared length); any other one (chunked,
//! or declaring more) has its body wrapped so that reading stops with
//! [`BodyTooLarge`] once the cap is passed. The success reader
//! ([`from_response`]) then returns [`Error::BodyTooLarge`].
//!
//! A non-2xx answer never loses its status, whatever its body: the hooks
//! read its body as it arrives, up to the same cap (a body cut short or too
//! large keeps what arrived and is not read further), and put an excerpt of
//! it on the response. The generated code decodes a documented error status
//! with [`error_from_response`], which turns a body that is not the
//! documented error body (`{}` where fields are required, text, an HTML
//! page, nothing) into `Error::UnexpectedResponse`, with the status, the
//! headers and the excerpt
//! ([`ErrorExt::body_excerpt`](crate::ErrorExt::body_excerpt)),
//! instead of progenitor's `InvalidResponsePayload`, which keeps no status.

use std::fmt;

use progenitor_client::ResponseValue;
use reqwest::{Response, ResponseBuilderExt};

use crate::Error;
use crate::hooks::CallSpan;

/// The default cap on a response body: 16 MiB, far above any answer of
/// these APIs.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// A response body was longer than the client's cap
/// ([`ClientBuilder::max_response_body`](crate::ClientBuilder::max_response_body)):
/// the `source` of [`Error::BodyTooLarge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The cap, in bytes.
    pub limit: usize,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response body is longer than the client's limit of {} bytes",
            self.limit
        )
    }
}

impl std::error::Error for BodyTooLarge {}

/// Whether a response declaring `content_length` must be capped.
fn needs_cap(content_length: Option<u64>, limit: usize) -> bool {
    content_length.is_none_or(|length| length > limit as u64)
}

/// `response`, its body capped at `limit` bytes where it could exceed them.
pub(crate) fn cap(response: Response, limit: usize) -> Response {
    if !needs_cap(response.content_length(), limit) {
        return response;
    }
    use http_body_util::BodyExt;
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let limited = http_body_util::Limited::new(body, limit).map_err(move |error| {
        if error.is::<http_body_util::LengthLimitError>() {
            Box::new(BodyTooLarge { limit }) as Box<dyn std::error::Error + Send + Sync>
        } else {
            error
        }
    });
    rebuild(parts, url, reqwest::Body::wrap(limited))
}

/// A response with the status, version, headers and extensions of `parts`,
/// the URL `url`, and `body`.
fn rebuild(parts: http::response::Parts, url: reqwest::Url, body: reqwest::Body) -> Response {
    let mut builder = http::Response::builder()
        .status(parts.status)
        .version(parts.version);
    if let Some(extensions) = builder.extensions_mut() {
        *extensions = parts.extensions;
    }
    if let Some(headers) = builder.headers_mut() {
        *headers = parts.headers;
    }
    let rebuilt = builder
        .url(url)
        .body(body)
        .expect("the parts of a valid response");
    Response::from(rebuilt)
}

/// The start of a failed answer's body as the client keeps it, put on the
/// response by [`buffer_failure`]: at most [`QUOTED_BODY`] bytes, read as
/// UTF-8 (invalid bytes replaced), control characters escaped, so that it
/// prints on one line and cannot drive a terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Excerpt(pub(crate) String);

impl Excerpt {
    /// The excerpt of `body`; `complete` is false when the body was cut
    /// short (too large, or the connection failed while it arrived).
    fn of(body: &[u8], complete: bool) -> Excerpt {
        let cut = body.len() > QUOTED_BODY;
        let mut text = escape_controls(&String::from_utf8_lossy(
            &body[..body.len().min(QUOTED_BODY)],
        ));
        if cut || !complete {
            text.push('…');
        }
        Excerpt(text)
    }
}

/// `text` with every control character escaped (`\n`, `\u{1b}`, …).
pub(crate) fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads the body of a failed (non-2xx) answer as it arrives, up to `limit`
/// bytes, and returns the response with that body and its [`Excerpt`]. A
/// body cut short (longer than `limit`, a broken connection, the request's
/// timeout) keeps what arrived, and the rest is not read: the status is
/// what matters.
pub(crate) async fn buffer_failure(response: Response, limit: usize) -> Response {
    use http_body_util::BodyExt;
    let url = response.url().clone();
    let (parts, mut body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let mut read = Vec::new();
    let mut complete = true;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map(|f| f.into_data()) else {
            complete = false;
            break;
        };
        let Ok(data) = data else { continue };
        if read.len() + data.len() > limit {
            read.extend_from_slice(&data[..limit - read.len()]);
            complete = false;
            break;
        }
        read.extend_from_slice(&data);
    }
    let excerpt = Excerpt::of(&read, complete);
    let mut response = rebuild(parts, url, reqwest::Body::from(read));
    response.extensions_mut().insert(excerpt);
    response
}

/// The most bytes of a body that does not decode kept in the error
/// (`Error::InvalidResponsePayload` or `Error::UnexpectedResponse`), and in
/// a failed answer's excerpt.
pub(crate) const QUOTED_BODY: usize = 4096;

/// Reads and decodes a response body, as progenitor's
/// `ResponseValue::from_response` does, but keeps only the first
/// [`QUOTED_BODY`] bytes of a body that does not decode, and tells a body
/// over the client's cap ([`Error::BodyTooLarge`]) from other failures to
/// read it: the generated code calls this (the generator reroutes it), so an
/// error's message stays small whatever the server sends.
///
/// The call's span ([`CallSpan`], put on the response by `hooks::send`)
/// ends here: a body that fails is recorded on it as the call's
/// `error.type`, and it closes when this returns.
pub(crate) async fn from_response<T: serde::de::DeserializeOwned, E>(
    mut response: Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let span = response.extensions_mut().remove::<CallSpan>();
    let decoded = decode(response).await;
    if let (Some(CallSpan(span)), Err(error)) = (&span, &decoded) {
        crate::hooks::record_error(span, error);
    }
    decoded
}

/// Reads and decodes a success's body, for [`from_response`].
async fn decode<T: serde::de::DeserializeOwned, E>(
    mut response: Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    // Taken, not cloned: reading the body does not need them.
    let headers = std::mem::take(response.headers_mut());
    let full = response
        .bytes()
        .await
        .map_err(|error| match cap_in(&error) {
            Some(source) => Error::BodyTooLarge { status, source },
            None => Error::ResponseBodyError(error),
        })?;
    match serde_json::from_slice(&full) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(error) => Err(Error::InvalidResponsePayload(
            full.slice(..full.len().min(QUOTED_BODY)),
            error,
        )),
    }
}

/// The [`BodyTooLarge`] in `error`'s causes, if reading stopped at the cap.
fn cap_in(error: &(dyn std::error::Error + 'static)) -> Option<BodyTooLarge> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(too_large) = e.downcast_ref::<BodyTooLarge>() {
            return Some(*too_large);
        }
        cause = e.source();
    }
    None
}

/// Reads the body of a documented error status as
/// [`from_response`] does, but a body that does not decode as the error
/// type keeps the answer: the error is then `Error::UnexpectedResponse`
/// with the status, the headers and the excerpt (the body is kept up to
/// [`QUOTED_BODY`] bytes), not `Error::InvalidResponsePayload`, which has
/// no status. The generated code calls this for its error statuses (the
/// generator reroutes them).
pub(crate) async fn error_from_response<E: serde::de::DeserializeOwned>(
    response: Response,
) -> Result<ResponseValue<E>, Error<E>> {
    // The hooks buffered a failed answer already; this reads it from memory.
    let response = if response.extensions().get::<Excerpt>().is_some() {
        response
    } else {
        buffer_failure(response, DEFAULT_MAX_RESPONSE_BODY).await
    };
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let full = {
        use http_body_util::BodyExt;
        // An in-memory body: collecting it cannot fail.
        body.collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default()
    };
    match serde_json::from_slice::<E>(&full) {
        Ok(inner) => Ok(ResponseValue::new(inner, parts.status, parts.headers)),
        Err(_) => {
            let kept = full.slice(..full.len().min(QUOTED_BODY));
            Err(Error::UnexpectedResponse(rebuild(
                parts,
                url,
                reqwest::Body::from(kept),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodies_that_may_pass_the_limit_are_capped() {
        assert!(!needs_cap(Some(10), 10));
        assert!(needs_cap(Some(11), 10));
        assert!(needs_cap(None, 10), "chunked: unknown length");
    }

    #[test]
    fn an_excerpt_is_one_escaped_line_of_at_most_4_kib() {
        assert_eq!(Excerpt::of(b"Bad Request", true).0, "Bad Request");
        assert_eq!(Excerpt::of(b"a\nb\x1b[2J", true).0, "a\\nb\\u{1b}[2J");
        assert_eq!(Excerpt::of(b"", true).0, "");
        assert_eq!(Excerpt::of(b"cut", false).0, "cut…");
        let long = Excerpt::of(&[b'x'; QUOTED_BODY + 1], true).0;
        assert_eq!(long, format!("{}…", "x".repeat(QUOTED_BODY)));
        assert_eq!(Excerpt::of(&[0xff, b'a'], true).0, "\u{fffd}a");
    }

    #[tokio::test]
    async fn a_failed_answer_is_read_up_to_the_limit_and_keeps_its_status() {
        let response = Response::from(
            http::Response::builder()
                .status(502)
                .body(reqwest::Body::from(vec![b'a'; 100]))
                .unwrap(),
        );
        let buffered = buffer_failure(response, 10).await;
        assert_eq!(buffered.status(), 502);
        assert_eq!(
            buffered.extensions().get::<Excerpt>(),
            Some(&Excerpt(format!("{}…", "a".repeat(10))))
        );
        assert_eq!(buffered.bytes().await.unwrap().len(), 10);
    }

    #[tokio::test]
    async fn a_success_over_the_cap_is_body_too_large_with_its_status() {
        let response = Response::from(
            http::Response::builder()
                .status(201)
                .body(reqwest::Body::from(vec![b'a'; 100]))
                .unwrap(),
        );
        let error = from_response::<serde_json::Value, ()>(cap(response, 10))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::BodyTooLarge {
                    status: reqwest::StatusCode::CREATED,
                    source: BodyTooLarge { limit: 10 },
                }
            ),
            "{error:?}"
        );
    }

    // Reading past the limit: tests/hardening.rs and tests/call_errors.rs,
    // against endless chunked responses from loopback servers.
    #[tokio::test]
    async fn a_body_within_the_limit_reads_whole() {
        let response = Response::from(
            http::Response::builder()
                .status(200)
                .body(reqwest::Body::from(vec![b'a'; 1000]))
                .unwrap(),
        );
        assert_eq!(cap(response, 1000).bytes().await.unwrap().len(), 1000);
    }
}
