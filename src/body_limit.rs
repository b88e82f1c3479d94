//! A cap on how much of a response body the client reads: an endless or
//! huge answer fails the call with [`BodyTooLarge`] instead of growing
//! memory until the timeout; and a bound on how much of a body that does not
//! decode an error keeps ([`from_response`]).
//!
//! A response that declares a `Content-Length` within the cap is left as it
//! is (hyper never reads past the declared length); any other one (chunked,
//! or declaring more) has its body wrapped so that reading stops with
//! [`BodyTooLarge`] once the cap is passed. The generated code then returns
//! `Error::ResponseBodyError`, whose `source()` chain holds the
//! `BodyTooLarge`.

use std::fmt;

use reqwest::{Response, ResponseBuilderExt};

/// The default cap on a response body: 16 MiB, far above any answer of
/// these APIs.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// A response body was longer than the client's cap
/// ([`ClientBuilder::max_response_body`](crate::ClientBuilder::max_response_body)).
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
        .body(reqwest::Body::wrap(limited))
        .expect("the parts of a valid response");
    Response::from(rebuilt)
}

/// The most bytes of a body that does not decode kept in the error
/// (`Error::InvalidResponsePayload`), whose `Display` prints them.
pub const QUOTED_BODY: usize = 4096;

/// Reads and decodes a response body, as progenitor's
/// `ResponseValue::from_response` does, but keeps only the first
/// [`QUOTED_BODY`] bytes of a body that does not decode: the generated code
/// calls this (the generator reroutes it), so an error's message stays small
/// whatever the server sends.
#[doc(hidden)]
pub async fn from_response<T: serde::de::DeserializeOwned, E>(
    mut response: Response,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    // Taken, not cloned: reading the body does not need them.
    let headers = std::mem::take(response.headers_mut());
    let full = response
        .bytes()
        .await
        .map_err(progenitor_client::Error::ResponseBodyError)?;
    match serde_json::from_slice(&full) {
        Ok(inner) => Ok(progenitor_client::ResponseValue::new(
            inner, status, headers,
        )),
        Err(error) => Err(progenitor_client::Error::InvalidResponsePayload(
            full.slice(..full.len().min(QUOTED_BODY)),
            error,
        )),
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

    // Reading past the limit: tests/hardening.rs, against an endless
    // chunked response from a loopback server.
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
