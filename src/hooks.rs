//! The hooks progenitor's generated clients call around every request.
//!
//! Every generated `Client` carries an [`Inner`] value (its settings, made by
//! [`ClientBuilder`](crate::ClientBuilder)) and implements
//! `progenitor_client::ClientHooks` here:
//! - `pre` adds the bearer token (progenitor's `api-version` header is
//!   taken out of the generated code by `codegen`);
//! - `exec` runs the attempts under the [retry policy](crate::retry): each
//!   attempt waits for the client's [throttle](crate::rate_limit) (a 429's
//!   pause, the rate limit), carries the newest token, and on a 401 renews a
//!   token from a [`TokenSource`](crate::TokenSource) and repeats the
//!   request once;
//! - every failed (non-2xx) answer has its body read within the attempt,
//!   with an excerpt kept for the caller's error (see
//!   [`body_limit`](crate::body_limit));
//! - `post` turns a call that failed in the facade (a failed token renewal,
//!   a wait that would pass the deadline) into the call's error.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, Request, Response, StatusCode};

use crate::auth::{Auth, AuthError, SecretToken};
use crate::rate_limit::{RateLimit, Throttle};
use crate::retry::{self, Outcome, RetryPolicy};

/// The settings a generated client carries, read by its hooks. Made by
/// [`ClientBuilder`](crate::ClientBuilder); the default has no credentials,
/// the default retry policy and no rate limit.
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

/// Put on a response by `exec` when the call failed in the facade (a failed
/// token renewal, a wait that would pass the deadline), for `post` to return
/// as the call's error.
#[derive(Clone)]
struct CallFailed(String);

/// A stand-in response for a request the facade did not send, carrying why.
fn not_sent(why: String) -> Response {
    let mut response = Response::from(
        http::Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .body(Vec::<u8>::new())
            .expect("a response with a status and an empty body"),
    );
    response.extensions_mut().insert(CallFailed(why));
    response
}

/// An error and its causes, as one line (progenitor's hook errors are text).
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

fn auth_message(vendor: &str, error: &AuthError) -> String {
    format!("{vendor} credentials: {}", describe(error))
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

/// What `pre` does before a call's first attempt: start the call's deadline,
/// which covers waiting for a token, and add the credentials. What is left
/// of the deadline travels to `exec` as the request's timeout (each attempt
/// then sets its own). The error is the call's message.
async fn prepare(settings: &Settings, request: &mut Request, vendor: &str) -> Result<(), String> {
    let Some(deadline) = settings
        .retry
        .get_deadline()
        .map(|d| tokio::time::Instant::now() + d)
    else {
        return put_credentials(&settings.auth, request)
            .await
            .map_err(|error| auth_message(vendor, &error));
    };
    tokio::time::timeout_at(deadline, put_credentials(&settings.auth, request))
        .await
        .map_err(|_| {
            format!("{vendor} credentials: no token before the call's deadline; nothing was sent")
        })?
        .map_err(|error| auth_message(vendor, &error))?;
    *request.timeout_mut() = Some(deadline.saturating_duration_since(tokio::time::Instant::now()));
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

/// One attempt: wait for the throttle, carry the newest token, send, and on
/// a 401 renew the token and repeat once.
async fn attempt(
    http: &reqwest::Client,
    settings: &Settings,
    (vendor, operation): (&str, &str),
    number: u32,
    mut request: Request,
    remaining: Option<Duration>,
) -> (reqwest::Result<Response>, Outcome) {
    let deadline = remaining.map(|r| tokio::time::Instant::now() + r);
    if settings.throttle.admit(deadline).await.is_err() {
        let why = format!(
            "{vendor}: not sent: the client is paused by a 429 or rate limited past the call's deadline"
        );
        return (Ok(not_sent(why)), Outcome::Fatal);
    }
    // The first attempt has the token `pre` just got; a retry asks again,
    // so it carries the newest one.
    if number > 1
        && settings.auth.renews()
        && let Err(error) = put_credentials(&settings.auth, &mut request).await
    {
        return (Ok(not_sent(auth_message(vendor, &error))), Outcome::Fatal);
    }
    if let Some(deadline) = deadline {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let timeout = settings.timeout.map_or(left, |t| t.min(left));
        *request.timeout_mut() = Some(timeout);
    }
    let repeat = if settings.auth.renews() {
        request.try_clone()
    } else {
        None
    };
    let mut result = http.execute(request).await;
    if let (Ok(response), Some(mut repeat)) = (&mut result, repeat)
        && response.status() == StatusCode::UNAUTHORIZED
        && let Some(rejected) = bearer_of(&repeat)
    {
        let renewed = settings.auth.renew(&rejected).await.and_then(|fresh| {
            fresh
                .map(|f| authorize(&mut repeat, &f).map(|()| f))
                .transpose()
        });
        match renewed {
            // The repeat is a request like any other: it waits its turn.
            Ok(Some(_)) if settings.throttle.admit(deadline).await.is_ok() => {
                tracing::info!(operation, "401: repeating once with a renewed token");
                result = http.execute(repeat).await;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(operation, error = %describe(&error), "401: could not renew the token");
                response.extensions_mut().insert(CallFailed(format!(
                    "{vendor} credentials: the server refused the token and renewing it failed: {}",
                    describe(&error)
                )));
            }
        }
    }
    let result = match result {
        // A failed answer is read now, so that its status survives whatever
        // its body is (`body_limit::error_from_response`).
        Ok(response) if !response.status().is_success() => {
            Ok(crate::body_limit::buffer_failure(response, settings.max_body).await)
        }
        other => other.map(|response| crate::body_limit::cap(response, settings.max_body)),
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
        settings.throttle.pause_for(*wait);
    }
    (result, outcome)
}

/// Runs a request under the client's retry policy.
async fn execute(
    http: &reqwest::Client,
    settings: &Settings,
    request: Request,
    vendor: &str,
    operation: &str,
) -> reqwest::Result<Response> {
    let idempotent = is_idempotent(request.method());
    // The deadline counts from `pre`, which may have waited for a token and
    // left the time remaining as the request's timeout.
    let policy = match (settings.retry.get_deadline(), request.timeout()) {
        (Some(_), Some(left)) => std::borrow::Cow::Owned(settings.retry.clone().deadline(*left)),
        _ => std::borrow::Cow::Borrowed(&settings.retry),
    };
    // Without retries the request is not cloned. Only a streamed body cannot
    // be cloned; the generated operations send JSON bytes, so such a request
    // gets one attempt.
    let template = if policy.get_max_retries() > 0 {
        request.try_clone()
    } else {
        None
    };
    let Some(template) = template else {
        let (result, _) = attempt(
            http,
            settings,
            (vendor, operation),
            1,
            request,
            policy.get_deadline(),
        )
        .await;
        return result;
    };
    let mut first = Some(request);
    let (result, _) = retry::run(
        &policy,
        vendor,
        operation,
        idempotent,
        |number, remaining| {
            let request = first
                .take()
                .or_else(|| template.try_clone())
                .expect("a request that was cloned once clones again");
            attempt(
                http,
                settings,
                (vendor, operation),
                number,
                request,
                remaining,
            )
        },
    )
    .await;
    result
}

macro_rules! hooks_for {
    ($vendor:ident) => {
        impl ClientHooks<Inner> for crate::$vendor::Client {
            async fn pre<E>(
                &self,
                request: &mut Request,
                _info: &OperationInfo,
            ) -> Result<(), Error<E>> {
                prepare(&self.inner().0, request, stringify!($vendor))
                    .await
                    .map_err(Error::Custom)
            }

            async fn exec(
                &self,
                request: Request,
                info: &OperationInfo,
            ) -> reqwest::Result<Response> {
                execute(
                    self.client(),
                    &self.inner().0,
                    request,
                    stringify!($vendor),
                    info.operation_id,
                )
                .await
            }

            async fn post<E>(
                &self,
                result: &reqwest::Result<Response>,
                _info: &OperationInfo,
            ) -> Result<(), Error<E>> {
                match result
                    .as_ref()
                    .ok()
                    .and_then(|r| r.extensions().get::<CallFailed>())
                {
                    Some(CallFailed(why)) => Err(Error::Custom(why.clone())),
                    None => Ok(()),
                }
            }
        }
    };
}

hooks_for!(hybridbox);
hooks_for!(automox);

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
