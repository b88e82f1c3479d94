//! Reading a failed call: what the server said about retrying.
//!
//! Calls return `progenitor_client::Error<E>` (re-exported as
//! `hybridbox::Error` and `automox::Error`). When retries are exhausted it is
//! the last response's error: [`Error::status`](progenitor_client::Error::status)
//! gives its status, `Error::ErrorResponse(body)` the vendor's typed error body
//! (for Automox, `body.errors`), and [`ErrorExt`] its headers and
//! `Retry-After`.

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
}

impl<E> ErrorExt for progenitor_client::Error<E> {
    fn response_headers(&self) -> Option<&HeaderMap> {
        match self {
            progenitor_client::Error::ErrorResponse(response) => Some(response.headers()),
            progenitor_client::Error::UnexpectedResponse(response) => Some(response.headers()),
            _ => None,
        }
    }
}
