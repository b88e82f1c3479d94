//! The hooks progenitor's generated clients call around every request.
//!
//! Every generated `Client` carries an [`Inner`] value (its settings, made by
//! [`ClientBuilder`](crate::ClientBuilder)) and implements
//! `progenitor_client::ClientHooks` here:
//! - `pre` drops progenitor's `api-version` header and adds the bearer token;
//! - `exec` runs the attempts under the [retry policy](crate::retry), and on a
//!   401 renews a token from a [`TokenSource`](crate::TokenSource) and repeats
//!   the request once;
//! - `post` reports a failed token renewal as the call's error.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Request, Response, StatusCode};

use crate::auth::{Auth, AuthError, SecretToken};
use crate::retry::{self, Outcome, RetryPolicy};

/// The settings a generated client carries, read by its hooks. Made by
/// [`ClientBuilder`](crate::ClientBuilder); the default has no credentials
/// and the default retry policy.
#[derive(Clone, Debug, Default)]
pub struct Inner(Arc<Settings>);

#[derive(Debug, Default)]
struct Settings {
    auth: Auth,
    retry: RetryPolicy,
    /// The client's timeout per attempt, shortened to meet a deadline.
    timeout: Option<Duration>,
}

impl Inner {
    pub(crate) fn new(auth: Auth, retry: RetryPolicy, timeout: Option<Duration>) -> Self {
        Inner(Arc::new(Settings {
            auth,
            retry,
            timeout,
        }))
    }
}

/// progenitor sends `api-version: <info.version>` on every request; our
/// `info.version` is the revision of our document, not the vendor's API
/// version, so it must not reach the vendors.
const API_VERSION_HEADER: &str = "api-version";

/// Put on a 401 response whose token could not be renewed, for `post`.
#[derive(Clone)]
struct RenewalFailed(String);

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

fn auth_error<E>(vendor: &str, error: &AuthError) -> Error<E> {
    Error::Custom(format!("{vendor} credentials: {}", describe(error)))
}

fn authorize(request: &mut Request, token: &SecretToken) {
    // Marked sensitive: left out of `Debug` output by the http crate.
    if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())) {
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);
    }
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

/// One attempt: send, and on a 401 renew the token and repeat once.
async fn attempt(
    http: &reqwest::Client,
    settings: &Settings,
    operation: &str,
    mut request: Request,
    remaining: Option<Duration>,
) -> (reqwest::Result<Response>, Outcome) {
    if let Some(remaining) = remaining {
        let timeout = settings.timeout.map_or(remaining, |t| t.min(remaining));
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
        match settings.auth.renew(&rejected).await {
            Ok(Some(fresh)) => {
                tracing::info!(operation, "401: repeating once with a renewed token");
                authorize(&mut repeat, &fresh);
                result = http.execute(repeat).await;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(operation, error = %describe(&error), "401: could not renew the token");
                response
                    .extensions_mut()
                    .insert(RenewalFailed(describe(&error)));
            }
        }
    }
    let outcome = classify(&result);
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
    // Only a streamed body cannot be cloned; the generated operations send
    // JSON bytes, so this is a safeguard: such a request gets one attempt.
    let Some(template) = request.try_clone() else {
        return http.execute(request).await;
    };
    let idempotent = is_idempotent(request.method());
    let mut first = Some(request);
    let (result, _) = retry::run(
        &settings.retry,
        vendor,
        operation,
        idempotent,
        |_, remaining| {
            let request = first
                .take()
                .or_else(|| template.try_clone())
                .expect("a request that was cloned once clones again");
            attempt(http, settings, operation, request, remaining)
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
                request.headers_mut().remove(API_VERSION_HEADER);
                match self.inner().0.auth.token().await {
                    Ok(Some(token)) => authorize(request, &token),
                    Ok(None) => {}
                    Err(error) => return Err(auth_error(stringify!($vendor), &error)),
                }
                Ok(())
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
                    .and_then(|r| r.extensions().get::<RenewalFailed>())
                {
                    Some(RenewalFailed(error)) => Err(Error::Custom(format!(
                        "{} credentials: the server refused the token and renewing it failed: {error}",
                        stringify!($vendor)
                    ))),
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
        authorize(&mut request, &SecretToken::new("tok-123"));
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        assert!(!format!("{request:?}").contains("tok-123"));
        assert_eq!(bearer_of(&request), Some(SecretToken::new("tok-123")));
    }
}
