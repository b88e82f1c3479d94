//! Reading a failed call: its status, what the server said, and what it
//! said about retrying.
//!
//! Calls return `progenitor_client::Error<E>` (re-exported as
//! `hybridbox::Error` and `automox::Error`). When retries are exhausted it is
//! the last response's error, and a non-2xx answer always keeps its status,
//! whatever its body: [`Error::status`](progenitor_client::Error::status)
//! gives it. `Error::ErrorResponse(body)` holds the vendor's typed error body
//! (for Automox, `body.errors`) when the answer had the documented one;
//! any other failed answer (an undocumented status, or a body that is not
//! the documented one: `{}` where a field is required, text, an HTML page
//! from a proxy, nothing) is `Error::UnexpectedResponse`, and
//! [`ErrorExt::body_excerpt`] gives the start of its body. [`ErrorExt`] also
//! gives the headers and `Retry-After`.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Extra accessors for the errors generated clients return.
pub trait ErrorExt {
    /// The headers of the response the error came from, if it came from one.
    fn response_headers(&self) -> Option<&HeaderMap>;

    /// The wait the server asked for in `Retry-After` (delta-seconds or an
    /// HTTP-date), if the response had a valid one.
    fn retry_after(&self) -> Option<Duration> {
        let value = self.response_headers()?.get(RETRY_AFTER)?.to_str().ok()?;
        crate::retry::parse_retry_after(value, SystemTime::now())
    }

    /// The start of the body of a failed answer that did not decode as the
    /// vendor's documented error body (`Error::UnexpectedResponse`): at
    /// most 4 KiB, read as UTF-8, control characters escaped, ending in `…`
    /// when cut. `None` for other errors (an `ErrorResponse` has the typed
    /// body instead).
    fn body_excerpt(&self) -> Option<&str>;
}

impl<E> ErrorExt for progenitor_client::Error<E> {
    fn response_headers(&self) -> Option<&HeaderMap> {
        match self {
            progenitor_client::Error::ErrorResponse(response) => Some(response.headers()),
            progenitor_client::Error::UnexpectedResponse(response) => Some(response.headers()),
            _ => None,
        }
    }

    fn body_excerpt(&self) -> Option<&str> {
        match self {
            progenitor_client::Error::UnexpectedResponse(response) => response
                .extensions()
                .get::<crate::body_limit::Excerpt>()
                .map(|excerpt| excerpt.0.as_str()),
            _ => None,
        }
    }
}
