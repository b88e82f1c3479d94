//! What every request of a generated client goes through.
//!
//! The generator replaces progenitor's hook calls in every operation
//! (`pre`, `exec`, `post`: their errors can only be text) by one call of
//! [`send`], which returns the facade's failures as typed [`Error`]
//! variants. Every generated `Client` carries an [`Inner`] value (its
//! settings, made by [`ClientBuilder`](crate::ClientBuilder)), which `send`
//! reads:
//! - the attempts run under the retry policy (`retry::run`); the call's
//!   deadline covers every wait of every attempt;
//! - each attempt carries the newest credentials, waits for the client's
//!   throttle (`rate_limit`: a 429's pause, the rate limit) and, on a 401,
//!   renews a token from a [`TokenSource`](crate::TokenSource) and repeats
//!   the request once;
//! - every failed (non-2xx) answer has its body read within the attempt,
//!   with an excerpt kept for the caller's error, and a success's body is
//!   capped (`body_limit`);
//! - the whole call is one `tracing` span, `call` ([`call_span`]): the
//!   attempts' events, the token wait and the renewal happen inside it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use progenitor_client::{ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, Request, Response, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::{Auth, AuthError, SecretToken};
use crate::client::GeneratedClient;
use crate::error::{Error, Waiting};
use crate::rate_limit::{RateLimit, Throttle, WouldPassDeadline};
use crate::retry::{self, Outcome, RetryPolicy};
use crate::vendor::Vendor;

/// The settings a generated client carries, read by [`send`]. Made by
/// [`ClientBuilder`](crate::ClientBuilder); the default has no credentials,
/// the default retry policy and no rate limit.
///
/// Public but not nameable outside the crate: the generated `Client` holds
/// it, its `ClientInfo` implementation returns it, and its
/// `new_with_client(url, client, Default::default())` takes it.
#[derive(Clone, Debug, Default)]
pub struct Inner(Arc<Settings>);

#[derive(Debug)]
struct Settings {
    auth: Auth,
    retry: RetryPolicy,
    /// The client's timeout per attempt, shortened to meet a deadline.
    timeout: Option<Duration>,
    /// Shared by the client, its clones and [`Inner::with_retry`] copies.
    throttle: Arc<Throttle>,
    /// The most bytes of a response body the client reads.
    max_body: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auth: Auth::default(),
            retry: RetryPolicy::default(),
            timeout: None,
            throttle: Arc::new(Throttle::new(None)),
            max_body: crate::body_limit::DEFAULT_MAX_RESPONSE_BODY,
        }
    }
}

impl Inner {
    pub(crate) fn new(
        auth: Auth,
        retry: RetryPolicy,
        timeout: Option<Duration>,
        rate_limit: Option<RateLimit>,
        max_body: usize,
    ) -> Self {
        Inner(Arc::new(Settings {
            auth,
            retry,
            timeout,
            throttle: Arc::new(Throttle::new(rate_limit)),
            max_body,
        }))
    }

    /// The same settings with another retry policy, sharing the credentials
    /// and the throttle (for `invite`, which decides itself what an
    /// ambiguous failure means).
    pub(crate) fn with_retry(&self, retry: RetryPolicy) -> Inner {
        Inner(Arc::new(Settings {
            auth: self.0.auth.clone(),
            retry,
            timeout: self.0.timeout,
            throttle: self.0.throttle.clone(),
            max_body: self.0.max_body,
        }))
    }

    /// The retry policy.
    pub(crate) fn retry(&self) -> &RetryPolicy {
        &self.0.retry
    }
}

/// An error and its causes, as one line, for the logs.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// Puts `token` in the request's `Authorization` header.
fn authorize(request: &mut Request, token: &SecretToken) -> Result<(), AuthError> {
    request
        .headers_mut()
        .insert(AUTHORIZATION, crate::auth::authorization(token)?);
    Ok(())
}

/// Puts the credentials to send now (if any) in the request's
/// `Authorization` header.
async fn put_credentials(auth: &Auth, request: &mut Request) -> Result<(), AuthError> {
    if let Some(value) = auth.authorization().await? {
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    Ok(())
}

/// The token a request carries, to tell a source which one was rejected.
fn bearer_of(request: &Request) -> Option<SecretToken> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(SecretToken::new)
}

/// Whether running a request twice has the effect of running it once.
fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ]
    .contains(method)
}

/// What an attempt ended with, for the retry decision.
fn classify(result: &reqwest::Result<Response>) -> Outcome {
    match result {
        Ok(response) => Outcome::Response {
            status: response.status().as_u16(),
            retry_after: response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::parse_retry_after(v, SystemTime::now())),
        },
        // Connection refused, DNS, TLS handshake, connect timeout.
        Err(e) if e.is_connect() => Outcome::NotSent,
        Err(e) if e.is_timeout() => Outcome::TimedOut,
        Err(e) if e.is_request() => Outcome::Interrupted,
        Err(_) => Outcome::Fatal,
    }
}

/// `future`, given up when `deadline` passes first.
async fn within<T>(
    deadline: Option<Instant>,
    future: impl Future<Output = T>,
) -> Result<T, tokio::time::error::Elapsed> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await,
        None => Ok(future.await),
    }
}

/// Sends a request of a generated client's operation, under the client's
/// settings: the generated code calls this (the generator puts it in place
/// of progenitor's `pre`, `exec` and `post` hooks, whose errors can only be
/// text). Returns the last attempt's answer, or the call's error.
///
/// The call is one `call` span ([`call_span`]), opened here, before the
/// credentials are fetched; its outcome is recorded when the attempts end
/// ([`record_outcome`]). A success's response carries the span
/// ([`CallSpan`]) to the reader of its body (`body_limit::from_response`),
/// so that the span closes when the caller gets the decoded result.
pub(crate) async fn send<C, E>(
    client: &C,
    request: Request,
    info: &OperationInfo,
) -> Result<Response, Error<E>>
where
    C: ClientInfo<Inner> + GeneratedClient,
{
    let span = call_span(C::VENDOR, info.operation_id, &request);
    let call = Call {
        http: client.client(),
        settings: &client.inner().0,
        vendor: C::VENDOR,
        operation: info.operation_id,
        sent: AtomicU32::new(0),
    };
    let result = call.run(request).instrument(span.clone()).await;
    record_outcome(&span, &result, call.sent.load(Ordering::Relaxed));
    result.map(|mut response| {
        if response.status().is_success() && !span.is_disabled() {
            response.extensions_mut().insert(CallSpan(span));
        }
        response
    })
}

/// The span of one call of `vendor`'s `operation` with `request`: named
/// `call`, target `invitations`, with the fields every tracing back end
/// knows (OpenTelemetry's names for an HTTP client): `vendor`, `operation`,
/// `http.request.method`, `url.template` (the document's path, never the
/// ids), `server.address`, and, recorded at the end,
/// `http.response.status_code`, `attempts` and `error.type`. Nothing else
/// of the request: its URL holds ids and, for a list, the email; its
/// headers the token. The fields are only read when a subscriber listens.
fn call_span(vendor: Vendor, operation: &str, request: &Request) -> tracing::Span {
    tracing::info_span!(
        target: "invitations",
        "call",
        vendor = vendor.as_str(),
        operation,
        http.request.method = request.method().as_str(),
        url.template = url_template(vendor, operation),
        server.address = request.url().host_str(),
        http.response.status_code = tracing::field::Empty,
        attempts = tracing::field::Empty,
        error.type = tracing::field::Empty,
    )
}

/// The path template of `vendor`'s `operation`, from the table the
/// generator writes into each vendor's module; `None` for an operation it
/// does not list.
fn url_template(vendor: Vendor, operation: &str) -> Option<&'static str> {
    let table = match vendor {
        Vendor::Hybridbox => crate::hybridbox::URL_TEMPLATES,
        Vendor::Automox => crate::automox::URL_TEMPLATES,
    };
    table
        .iter()
        .find(|(id, _)| *id == operation)
        .map(|(_, template)| *template)
}

/// Records on a `call` span how its attempts ended: the answer's status,
/// the requests `sent`, and `error.type` when the call failed: the failed
/// answer's status, or the typed failure ([`record_error`]).
fn record_outcome<E>(span: &tracing::Span, result: &Result<Response, Error<E>>, sent: u32) {
    if span.is_disabled() {
        return;
    }
    span.record("attempts", sent);
    match result {
        Ok(response) => {
            let status = response.status();
            span.record("http.response.status_code", status.as_u16());
            if !status.is_success() {
                span.record("error.type", status.as_str());
            }
        }
        Err(error) => record_error(span, error),
    }
}

/// Records on a `call` span the failure `error`: its status when it came
/// from an answer, and as `error.type` the failed answer's status or the
/// failure's short name (the `Error` variant's, `timeout` for an attempt's
/// own timeout).
pub(crate) fn record_error<E>(span: &tracing::Span, error: &Error<E>) {
    if span.is_disabled() {
        return;
    }
    let status = error.status();
    if let Some(status) = status {
        span.record("http.response.status_code", status.as_u16());
    }
    let name = match error {
        // A failed answer: its status.
        Error::ErrorResponse(_) | Error::UnexpectedResponse(_) => None,
        Error::InvalidRequest(_) => Some("invalid_request"),
        Error::CommunicationError(e) if e.is_timeout() => Some("timeout"),
        Error::CommunicationError(_) => Some("communication_error"),
        Error::ResponseBodyError(_) => Some("response_body_error"),
        Error::InvalidResponsePayload(..) => Some("invalid_response_payload"),
        Error::DeadlinePassed { .. } => Some("deadline_passed"),
        Error::Throttled { .. } => Some("throttled"),
        Error::NotSent { .. } => Some("not_sent"),
        Error::TokenRenewalFailed { .. } => Some("token_renewal_failed"),
        Error::BodyTooLarge { .. } => Some("body_too_large"),
    };
    if let Some(name) = name.or(status.as_ref().map(StatusCode::as_str)) {
        span.record("error.type", name);
    }
}

/// The `call` span of a successful answer, on its response (an extension)
/// from [`send`] to the reader of its body, which records a body that fails
/// and drops it: the span closes then.
#[derive(Clone)]
pub(crate) struct CallSpan(pub(crate) tracing::Span);

/// What the attempts of one call share.
struct Call<'a> {
    http: &'a reqwest::Client,
    settings: &'a Settings,
    vendor: Vendor,
    operation: &'a str,
    /// The requests handed to the HTTP client so far (a 401's repeat
    /// counts; so does a request whose connection was refused).
    sent: AtomicU32,
}

impl Call<'_> {
    /// The attempts of the call under the retry policy; the last one's
    /// answer, or the call's error.
    async fn run<E>(&self, request: Request) -> Result<Response, Error<E>> {
        let policy = &self.settings.retry;
        // Without retries the request is not cloned. Only a streamed body
        // cannot be cloned; the generated operations send JSON bytes, so
        // such a request gets one attempt.
        let template = if policy.retry_limit() > 0 {
            request.try_clone()
        } else {
            None
        };
        let Some(template) = template else {
            return self.attempt(request, policy.call_deadline()).await.0;
        };
        let idempotent = is_idempotent(request.method());
        let mut first = Some(request);
        let (result, _) = retry::run(
            policy,
            self.vendor.as_str(),
            self.operation,
            idempotent,
            |_, remaining| {
                let request = first
                    .take()
                    .or_else(|| template.try_clone())
                    .expect("a request that was cloned once clones again");
                self.attempt(request, remaining)
            },
        )
        .await;
        result
    }

    /// One attempt, given the time `remaining` before the call's deadline:
    /// its result, and its [`Outcome`] for the retry decision (the facade's
    /// own failures are final).
    async fn attempt<E>(
        &self,
        request: Request,
        remaining: Option<Duration>,
    ) -> (Result<Response, Error<E>>, Outcome) {
        let deadline = remaining.map(|r| Instant::now() + r);
        let result = match self.exchange(request, deadline).await {
            Ok(result) => result,
            Err(error) => return (Err(error), Outcome::Fatal),
        };
        let max_body = self.settings.max_body;
        let result = match result {
            // A failed answer is read now, so that its status survives
            // whatever its body is (`body_limit::error_from_response`).
            Ok(response) if !response.status().is_success() => {
                Ok(crate::body_limit::buffer_failure(response, max_body).await)
            }
            other => other.map(|response| crate::body_limit::cap(response, max_body)),
        };
        let outcome = classify(&result);
        // A 429 that says how long to wait pauses every call of the client.
        if let (
            Ok(response),
            Outcome::Response {
                retry_after: Some(wait),
                ..
            },
        ) = (&result, &outcome)
            && response.status() == StatusCode::TOO_MANY_REQUESTS
        {
            self.settings.throttle.pause_for(*wait);
        }
        let result = result.map_err(|error| {
            // The attempt's timeout was cut to the deadline, and it fired.
            if error.is_timeout()
                && !error.is_connect()
                && deadline.is_some_and(|d| Instant::now() >= d)
            {
                Error::DeadlinePassed {
                    waiting_for: Waiting::Answer,
                }
            } else {
                Error::CommunicationError(error)
            }
        });
        (result, outcome)
    }

    /// The exchange of one attempt, every wait within `deadline`: the
    /// newest credentials, the client's throttle, the request, and on a 401
    /// one renewal of the token and one repeat. The facade's failures are
    /// the error; the server's answer (or the transport's failure) is the
    /// `Ok` value.
    async fn exchange<E>(
        &self,
        mut request: Request,
        deadline: Option<Instant>,
    ) -> Result<reqwest::Result<Response>, Error<E>> {
        let auth = &self.settings.auth;
        within(deadline, put_credentials(auth, &mut request))
            .await
            .map_err(|_| Error::DeadlinePassed {
                waiting_for: Waiting::Token,
            })?
            .map_err(|source| Error::NotSent { source })?;
        self.admit(deadline).await?;
        let repeat = if auth.renews() {
            request.try_clone()
        } else {
            None
        };
        let mut result = self.execute(request, deadline).await;
        if let (Ok(response), Some(mut repeat)) = (&result, repeat)
            && response.status() == StatusCode::UNAUTHORIZED
            && let Some(rejected) = bearer_of(&repeat)
        {
            let status = response.status();
            let operation = self.operation;
            let renewed = within(deadline, auth.renew(&rejected))
                .await
                .map_err(|_| Error::DeadlinePassed {
                    waiting_for: Waiting::TokenRenewal { status },
                })?
                .and_then(|fresh| fresh.map(|f| authorize(&mut repeat, &f)).transpose())
                .map_err(|source| {
                    tracing::warn!(operation, error = %describe(&source), "401: could not renew the token");
                    Error::TokenRenewalFailed { status, source }
                })?;
            if renewed.is_some() {
                // The repeat is a request like any other: it waits its turn.
                self.admit(deadline).await?;
                tracing::info!(operation, "401: repeating once with a renewed token");
                result = self.execute(repeat, deadline).await;
            }
        }
        Ok(result)
    }

    /// Waits for the client's throttle (a 429's pause, the rate limit),
    /// unless that wait would end after `deadline`.
    async fn admit<E>(&self, deadline: Option<Instant>) -> Result<(), Error<E>> {
        self.settings
            .throttle
            .admit(deadline)
            .await
            .map_err(|WouldPassDeadline { wait }| Error::Throttled { wait })
    }

    /// Sends `request` with the client's timeout, cut to what is left
    /// before `deadline`.
    async fn execute(
        &self,
        mut request: Request,
        deadline: Option<Instant>,
    ) -> reqwest::Result<Response> {
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            *request.timeout_mut() = Some(self.settings.timeout.map_or(left, |t| t.min(left)));
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.http.execute(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_methods_are_idempotent() {
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::PUT));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PATCH));
    }

    #[test]
    fn the_authorization_header_is_sensitive_and_round_trips() {
        let mut request = Request::new(Method::GET, "http://127.0.0.1/".parse().unwrap());
        authorize(&mut request, &SecretToken::new("tok-123")).unwrap();
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        assert!(!format!("{request:?}").contains("tok-123"));
        assert_eq!(bearer_of(&request), Some(SecretToken::new("tok-123")));
    }
}
