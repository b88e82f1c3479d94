//! The error of a call made with a generated client, and reading it: its
//! status, what the server said, and what it said about retrying.
//!
//! The generated modules re-export [`Error`] (`hybridbox::Error`,
//! `automox::Error`) in place of progenitor's: the generator rewrites their
//! call sequence into one call of the facade (`hooks::send`), which returns
//! the facade's own failures (a passed deadline, a failed token renewal, a
//! throttle wait past the deadline, credentials that could not be had) as
//! typed variants, and the response readers (`body_limit`) return a body
//! over the client's cap as [`Error::BodyTooLarge`].

use std::fmt;
use std::time::{Duration, SystemTime};

use progenitor_client::ResponseValue;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::{AuthError, BodyTooLarge};

/// Why a call of a generated client failed.
///
/// When retries are exhausted it is the last attempt's error. A failed
/// answer always keeps its status, whatever its body:
/// [`status`](Error::status) gives it. The failures of the facade itself
/// (credentials, the deadline, the rate limit, the body cap) are variants
/// of their own, to match on:
///
/// ```no_run
/// use invitations::{automox, Error, ErrorExt, Waiting};
///
/// # async fn example(client: automox::Client, request: automox::types::CreateInvitationRequest) {
/// match client.create_invitation().account_id(uuid::Uuid::nil()).body(request).send().await {
///     Ok(invitations) => println!("{} invited", invitations.len()),
///     Err(Error::ErrorResponse(body)) => println!("status {}: {:?}", body.status(), body.errors),
///     Err(Error::DeadlinePassed { waiting_for: Waiting::Answer }) => {
///         println!("no answer in time: the server may have acted")
///     }
///     Err(Error::DeadlinePassed { .. } | Error::Throttled { .. }) => println!("out of time, not sent"),
///     Err(Error::TokenRenewalFailed { status, source }) => println!("{status}, then: {source}"),
///     Err(other) => println!("{other} ({:?}, {:?})", other.status(), other.body_excerpt()),
/// }
/// # }
/// ```
///
/// Generic over the operation's documented error body `E` (`()` when the
/// vendor documents none), as progenitor's error is; it has progenitor's
/// variants that a call of this crate can return, with the same payloads.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E = ()> {
    /// Bad input, refused before anything was sent: an argument the
    /// generated builder could not convert (the message names it), or a
    /// request that could not be built.
    InvalidRequest(String),
    /// The request could not be sent or its answer not received: connection
    /// refused (nothing was sent when the error `is_connect()`), reset, the
    /// attempt's own timeout, a redirect error.
    CommunicationError(reqwest::Error),
    /// A documented error status with the vendor's documented error body.
    ErrorResponse(ResponseValue<E>),
    /// A success whose body could not be read (the connection broke, the
    /// attempt's timeout passed while it arrived).
    ResponseBodyError(reqwest::Error),
    /// A success whose body is not what the document describes: its first
    /// 4 KiB, and the JSON error.
    InvalidResponsePayload(bytes::Bytes, serde_json::Error),
    /// An answer the document does not list for the operation, or a
    /// documented error status whose body is not the documented one (text,
    /// an HTML page, nothing): status, headers and the start of the body
    /// ([`ErrorExt::body_excerpt`]).
    UnexpectedResponse(reqwest::Response),
    /// The call's deadline ([`RetryPolicy::deadline`](crate::RetryPolicy::deadline))
    /// passed while it waited; `waiting_for` says for what, and so whether
    /// the server may have acted.
    DeadlinePassed {
        /// What the call was waiting for.
        waiting_for: Waiting,
    },
    /// The client's throttle (a 429's `Retry-After`, which pauses the whole
    /// client, or its [`RateLimit`](crate::RateLimit)) would have held the
    /// request until past the call's deadline: it was not sent, and the
    /// wait was not started. (After retried failures, this is the error of
    /// the attempt that was not sent.)
    Throttled {
        /// How long the throttle would have held the request.
        wait: Duration,
    },
    /// No credentials could be had for the request (the token source
    /// failed, or gave a token that is not a valid header value): it was
    /// not sent.
    NotSent {
        /// Why.
        source: AuthError,
    },
    /// The server refused the token with `status` (401) and renewing it
    /// failed: the request was not repeated.
    TokenRenewalFailed {
        /// The status of the answer that refused the token.
        status: StatusCode,
        /// Why no new token could be had.
        source: AuthError,
    },
    /// A success's body was longer than the client's cap
    /// ([`ClientBuilder::max_response_body`](crate::ClientBuilder::max_response_body)):
    /// reading it stopped there. The server answered with a success.
    BodyTooLarge {
        /// The success status the body came with.
        status: StatusCode,
        /// The cap.
        source: BodyTooLarge,
    },
}

/// What a call was waiting for when its deadline passed
/// ([`Error::DeadlinePassed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Waiting {
    /// A token from the client's [`TokenSource`](crate::TokenSource), before
    /// sending: the request was not sent.
    Token,
    /// A new token after the server refused the request's with `status`
    /// (401): the request was not repeated.
    TokenRenewal {
        /// The status of the answer that refused the token.
        status: StatusCode,
    },
    /// The answer to the request, which was sent: the server may have acted
    /// on it.
    Answer,
}

impl<E> Error<E> {
    /// The status of the answer the error came from, if it came from one: a
    /// failed answer's, whatever its body; the 401 of a failed token
    /// renewal; the success whose body was too large.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::ErrorResponse(response) => Some(response.status()),
            Error::UnexpectedResponse(response) => Some(response.status()),
            Error::CommunicationError(e) | Error::ResponseBodyError(e) => e.status(),
            Error::TokenRenewalFailed { status, .. }
            | Error::BodyTooLarge { status, .. }
            | Error::DeadlinePassed {
                waiting_for: Waiting::TokenRenewal { status },
            } => Some(*status),
            Error::InvalidRequest(_)
            | Error::InvalidResponsePayload(..)
            | Error::DeadlinePassed { .. }
            | Error::Throttled { .. }
            | Error::NotSent { .. } => None,
        }
    }
}

impl<E> fmt::Display for Error<E> {
    /// One lowercase line; the cause, if any, is [`source`](std::error::Error::source).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRequest(why) => write!(f, "invalid request, nothing was sent: {why}"),
            Error::CommunicationError(_) => {
                f.write_str("the request could not be sent or its answer not received")
            }
            Error::ErrorResponse(response) => write!(
                f,
                "the server answered {} with its documented error body",
                response.status()
            ),
            Error::ResponseBodyError(_) => {
                f.write_str("the body of a successful answer could not be read")
            }
            Error::InvalidResponsePayload(body, _) => write!(
                f,
                "the body of a successful answer is not the documented one (it starts {:?})",
                crate::body_limit::escape_controls(&String::from_utf8_lossy(
                    &body[..body.len().min(EXCERPT_SHOWN)]
                ))
            ),
            Error::UnexpectedResponse(response) => {
                write!(f, "unexpected answer: {}", response.status())
            }
            Error::DeadlinePassed { waiting_for } => {
                f.write_str("the call's deadline passed ")?;
                match waiting_for {
                    Waiting::Token => f.write_str("while waiting for a token; nothing was sent"),
                    Waiting::TokenRenewal { status } => write!(
                        f,
                        "while renewing the token the server refused with {status}; the request was not repeated"
                    ),
                    Waiting::Answer => f.write_str(
                        "while waiting for the answer; the server may have acted on the request",
                    ),
                }
            }
            Error::Throttled { wait } => write!(
                f,
                "not sent: the client's rate limit or a 429's pause would hold the request {} ms, past the call's deadline",
                wait.as_millis()
            ),
            Error::NotSent { .. } => f.write_str("not sent: no credentials could be had"),
            Error::TokenRenewalFailed { status, .. } => write!(
                f,
                "the server refused the token with {status} and renewing it failed"
            ),
            Error::BodyTooLarge { status, .. } => write!(
                f,
                "the body of a successful answer ({status}) is longer than the client reads"
            ),
        }
    }
}

/// How many bytes of a body that did not decode the `Display` of
/// [`Error::InvalidResponsePayload`] shows (the error keeps 4 KiB).
const EXCERPT_SHOWN: usize = 200;

impl<E: fmt::Debug> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CommunicationError(e) | Error::ResponseBodyError(e) => Some(e),
            Error::InvalidResponsePayload(_, e) => Some(e),
            Error::NotSent { source } | Error::TokenRenewalFailed { source, .. } => Some(source),
            Error::BodyTooLarge { source, .. } => Some(source),
            Error::InvalidRequest(_)
            | Error::ErrorResponse(_)
            | Error::UnexpectedResponse(_)
            | Error::DeadlinePassed { .. }
            | Error::Throttled { .. } => None,
        }
    }
}

/// For the generated code's `?`s on progenitor's helpers. Its variants that
/// this crate's calls cannot return (a hook's `Custom` text, a websocket's
/// `InvalidUpgrade`) become the nearest of ours.
impl<E> From<progenitor_client::Error<E>> for Error<E> {
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::InvalidRequest(why) | P::Custom(why) => Error::InvalidRequest(why),
            P::CommunicationError(e) | P::InvalidUpgrade(e) => Error::CommunicationError(e),
            P::ErrorResponse(response) => Error::ErrorResponse(response),
            P::ResponseBodyError(e) => Error::ResponseBodyError(e),
            P::InvalidResponsePayload(body, e) => Error::InvalidResponsePayload(body, e),
            P::UnexpectedResponse(response) => Error::UnexpectedResponse(response),
        }
    }
}

/// For the generated code's `?` on building a request.
impl<E> From<reqwest::Error> for Error<E> {
    fn from(error: reqwest::Error) -> Self {
        Error::CommunicationError(error)
    }
}

/// For the generated code's `?` on header parameters.
impl<E> From<reqwest::header::InvalidHeaderValue> for Error<E> {
    fn from(error: reqwest::header::InvalidHeaderValue) -> Self {
        Error::InvalidRequest(error.to_string())
    }
}

impl<E> From<std::convert::Infallible> for Error<E> {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// What a failed call said about itself: its headers, `Retry-After` and the
/// start of an undocumented body.
///
/// A trait (implemented by [`Error`]) rather than inherent methods, so that
/// `use invitations::ErrorExt` keeps compiling without an unused-import
/// warning in code written for earlier versions.
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

impl<E> ErrorExt for Error<E> {
    fn response_headers(&self) -> Option<&HeaderMap> {
        match self {
            Error::ErrorResponse(response) => Some(response.headers()),
            Error::UnexpectedResponse(response) => Some(response.headers()),
            _ => None,
        }
    }

    fn body_excerpt(&self) -> Option<&str> {
        match self {
            Error::UnexpectedResponse(response) => response
                .extensions()
                .get::<crate::body_limit::Excerpt>()
                .map(|excerpt| excerpt.0.as_str()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}

    #[test]
    fn the_errors_are_send_sync_and_static() {
        assert_error::<Error>();
        assert_error::<Error<crate::automox::types::ErrorBody>>();
        assert_error::<crate::InviteError<()>>();
    }

    #[test]
    fn a_renewal_keeps_the_status_that_caused_it() {
        let status = StatusCode::UNAUTHORIZED;
        let failed = Error::<()>::TokenRenewalFailed {
            status,
            source: AuthError::InvalidToken,
        };
        assert_eq!(failed.status(), Some(status));
        let waited = Error::<()>::DeadlinePassed {
            waiting_for: Waiting::TokenRenewal { status },
        };
        assert_eq!(waited.status(), Some(status));
        let token = Error::<()>::DeadlinePassed {
            waiting_for: Waiting::Token,
        };
        assert_eq!(token.status(), None);
    }

    #[test]
    fn messages_are_lowercase_and_causes_are_sources() {
        use std::error::Error as _;
        let errors: [Error; 5] = [
            Error::DeadlinePassed {
                waiting_for: Waiting::Answer,
            },
            Error::Throttled {
                wait: Duration::from_secs(3),
            },
            Error::NotSent {
                source: AuthError::InvalidToken,
            },
            Error::TokenRenewalFailed {
                status: StatusCode::UNAUTHORIZED,
                source: AuthError::InvalidToken,
            },
            Error::BodyTooLarge {
                status: StatusCode::CREATED,
                source: BodyTooLarge { limit: 10 },
            },
        ];
        for error in &errors {
            let text = error.to_string();
            assert!(text.starts_with(char::is_lowercase), "{text}");
            if let Some(source) = error.source() {
                assert!(!text.contains(&source.to_string()), "{text}");
            }
        }
        assert!(errors[2].source().unwrap().is::<AuthError>());
        assert!(errors[4].source().unwrap().is::<BodyTooLarge>());
    }

    #[test]
    fn progenitor_errors_convert_to_the_same_variants() {
        let converted: Error =
            progenitor_client::Error::<()>::InvalidRequest("account_id".to_owned()).into();
        assert!(matches!(converted, Error::InvalidRequest(why) if why == "account_id"));
    }
}
