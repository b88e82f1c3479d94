//! OAuth 2.0 client credentials for Hybridbox's Keycloak realm: a
//! [`TokenSource`] that caches access tokens, refreshes them in the
//! background before they expire, keeps serving a still-valid token while
//! the token endpoint is failing, and backs off between token requests.
//!
//! The decisions (when to refresh, when a token expires, how long to back
//! off, whether a call may use the cache, must wait or must fail at once)
//! are pure functions of the cache's state and the time on tokio's clock
//! (in `oauth/state.rs`); the token
//! request itself runs in a spawned task that writes its outcome into the
//! state and tells the waiting callers through a `watch` channel. No lock
//! is held across a request.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::auth::{AuthError, BoxFuture, SecretToken, TokenSource};

mod state;

use state::{Cached, Outcome, Plan, State, schedule};

/// The token endpoint of Hybridbox's Keycloak realm
/// (`https://auth.hybridbox.io/realms/hybridbox`).
pub const HYBRIDBOX_TOKEN_ENDPOINT: &str =
    "https://auth.hybridbox.io/realms/hybridbox/protocol/openid-connect/token";

/// The most bytes of a token endpoint's answer that are read.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Access tokens from an OAuth 2.0 token endpoint by the client credentials
/// grant (`client_secret_post`, as Keycloak accepts it).
///
/// - The token is cached. Once it is `refresh_before` (default 30 s) from
///   expiry, or half-way through its life if that is later, the next call
///   starts one token request in the background and still gets the cached
///   token at once. Only a call that finds no valid token waits.
/// - While the token endpoint fails, the cached token is used until it
///   expires; the endpoint is asked again after 1 s, 2 s, 4 s … up to 30 s,
///   never once per call. Without a valid token a call then fails at once
///   with [`AuthError::TokenUnavailable`].
/// - Callers that need a token at the same time wait for one request and
///   all get its outcome, the token or its error.
/// - `expires_in` is capped at one day; a response without it is cached
///   until a 401 invalidates the token. A new token is requested at most
///   once a second: a token with `expires_in: 0` is used for that second and
///   the API decides with a 401.
/// - Answers longer than 64 KiB are refused, tokens that are not valid
///   header values are errors, the server's error text is escaped.
/// - The client secret goes only over HTTPS, or plain HTTP to a loopback
///   address (for tests); redirects from the endpoint are not followed.
///   Root certificates given to the
///   [`ClientBuilder`](crate::ClientBuilder) are trusted for the endpoint
///   too.
///
/// ```no_run
/// use invitations::{hybridbox, Auth, ClientCredentials};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let credentials = ClientCredentials::new("my-service", "client-secret");
/// let client = hybridbox::Client::builder()
///     .auth(Auth::source(credentials))
///     .build()?;
/// # Ok(()) }
/// ```
pub struct ClientCredentials {
    config: Arc<Config>,
    shared: Arc<Shared>,
}

/// What a token request needs to know.
#[derive(Clone)]
struct Config {
    endpoint: String,
    /// The endpoint, or why a client secret may not go there.
    url: Result<Url, &'static str>,
    client_id: String,
    client_secret: SecretToken,
    scope: Option<String>,
    refresh_before: Duration,
    timeout: Duration,
}

/// The cache, shared with the task running a token request.
struct Shared {
    state: Mutex<State>,
    /// The outcome of each token request as it ends, for the callers
    /// waiting for it; `None`: the request was dropped unfinished (its
    /// runtime shut down), so they decide again.
    outcome: watch::Sender<Option<Outcome>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a client secret may be sent to `endpoint`.
fn check_endpoint(endpoint: &str) -> Result<Url, &'static str> {
    let url = Url::parse(endpoint).map_err(|_| "is not a valid url")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("is not an http or https url");
    }
    if let Some(problem) = crate::client::url_problem(&url) {
        return Err(problem);
    }
    if !crate::client::may_carry_credentials(&url) {
        return Err(
            "is plain http to a host that is not loopback; the client secret goes only over https",
        );
    }
    Ok(url)
}

/// The fields of a token response this source uses.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

/// The fields of an OAuth error response (RFC 6749, section 5.2).
#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    error_description: Option<String>,
}

/// The `error` and `error_description` of a refusal, escaped so that a
/// line break or control character in them cannot forge a log line.
fn refusal_reason(body: &[u8]) -> Option<String> {
    let refusal: ErrorResponse = serde_json::from_slice(body).ok()?;
    let error = refusal.error.escape_debug();
    Some(match refusal.error_description {
        Some(description) => format!("{error} ({})", description.escape_debug()),
        None => error.to_string(),
    })
}

impl ClientCredentials {
    /// Credentials of a confidential client of Hybridbox's realm, using
    /// [`HYBRIDBOX_TOKEN_ENDPOINT`].
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientCredentials {
            config: Arc::new(Config {
                endpoint: HYBRIDBOX_TOKEN_ENDPOINT.to_owned(),
                url: check_endpoint(HYBRIDBOX_TOKEN_ENDPOINT),
                client_id: client_id.into(),
                client_secret: SecretToken::new(client_secret),
                scope: None,
                refresh_before: Duration::from_secs(30),
                timeout: Duration::from_secs(10),
            }),
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                outcome: watch::channel(None).0,
            }),
        }
    }

    /// Uses another token endpoint (another realm, a test server).
    pub fn token_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        let config = Arc::make_mut(&mut self.config);
        config.endpoint = endpoint.into();
        config.url = check_endpoint(&config.endpoint);
        self
    }

    /// Asks for these scopes (space-separated).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config).scope = Some(scope.into());
        self
    }

    /// How long before expiry a token is replaced (default 30 s); a token
    /// is always used for at least half its life.
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        Arc::make_mut(&mut self.config).refresh_before = margin;
        self
    }

    /// Timeout of one token request, from connecting to the end of the
    /// answer (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.config).timeout = timeout;
        self
    }

    async fn get(&self) -> Result<SecretToken, AuthError> {
        let url = self
            .config
            .url
            .as_ref()
            .map_err(|problem| AuthError::InvalidEndpoint {
                endpoint: crate::client::redacted(&self.config.endpoint),
                problem,
            })?;
        loop {
            let mut outcome = {
                let mut state = self.shared.lock();
                let now = Instant::now();
                match state.plan(now) {
                    Plan::Use { token, refresh } => {
                        if refresh {
                            self.start(&mut state, url, now);
                        }
                        return Ok(token);
                    }
                    Plan::Fail(error) => return Err(self.unavailable(error)),
                    Plan::Wait { start } => {
                        // Subscribed under the lock: the outcome cannot be
                        // sent before this caller listens.
                        let outcome = self.shared.outcome.subscribe();
                        if let Some(at) = start {
                            self.start(&mut state, url, at);
                        }
                        outcome
                    }
                }
            };
            // The sender lives as long as `self`, so this only ever waits.
            let _ = outcome.changed().await;
            let result = outcome.borrow_and_update().clone();
            match result {
                Some(Ok(token)) => return Ok(token),
                Some(Err(error)) => return Err(self.unavailable(error)),
                None => continue,
            }
        }
    }

    fn unavailable(&self, error: Arc<AuthError>) -> AuthError {
        AuthError::TokenUnavailable {
            endpoint: crate::client::redacted(&self.config.endpoint),
            source: error,
        }
    }

    /// Starts a token request in its own task, not before `at`.
    fn start(&self, state: &mut State, url: &Url, at: Instant) {
        state.in_flight = true;
        let request = Request {
            shared: self.shared.clone(),
            config: self.config.clone(),
            url: url.clone(),
            finished: false,
        };
        tokio::spawn(request.run(at));
    }
}

/// One token request, run in its own task. Dropped unfinished (its runtime
/// shut down), it lets its waiters decide again.
struct Request {
    shared: Arc<Shared>,
    config: Arc<Config>,
    url: Url,
    finished: bool,
}

/// A token as the endpoint issued it.
struct Issued {
    token: SecretToken,
    expires_in: Option<u64>,
}

/// The token in a successful token response's body; a token that cannot be
/// sent as a header value is an error, so it is never cached.
fn parse_issued(body: &[u8], endpoint: &str) -> Result<Issued, AuthError> {
    let parsed: TokenResponse =
        serde_json::from_slice(body).map_err(|source| AuthError::TokenResponse {
            endpoint: crate::client::redacted(endpoint),
            source,
        })?;
    let token = SecretToken::new(parsed.access_token);
    crate::auth::authorization(&token)?;
    Ok(Issued {
        token,
        expires_in: parsed.expires_in,
    })
}

/// Why a body could not be read.
enum ReadError {
    TooLarge,
    Http(reqwest::Error),
}

/// The body of `response`, read chunk by chunk, refused past `limit` bytes.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Http)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl Request {
    async fn run(mut self, at: Instant) {
        tokio::time::sleep_until(at).await;
        let started = Instant::now();
        let result = self.fetch().await;
        let completed = Instant::now();
        let result = result.map(|issued| {
            let (refresh_at, expires_at) = schedule(
                started,
                completed,
                issued.expires_in,
                self.config.refresh_before,
            );
            tracing::debug!(endpoint = %self.config.endpoint, expires_in = issued.expires_in, "fetched an access token");
            Cached {
                token: issued.token,
                refresh_at,
                expires_at,
            }
        });
        let mut state = self.shared.lock();
        let outcome = state.record(completed, result);
        if let Err(error) = &outcome {
            tracing::warn!(endpoint = %self.config.endpoint, failures = state.failures, %error, "token request failed");
        }
        self.shared.outcome.send_replace(Some(outcome));
        self.finished = true;
    }

    /// The endpoint's HTTP client, built on first use with the extra roots.
    fn http(&self) -> Result<reqwest::Client, AuthError> {
        let roots = {
            let state = self.shared.lock();
            if let Some(http) = &state.http {
                return Ok(http.clone());
            }
            crate::tls::Roots::from_pems(&state.roots)
        };
        let endpoint = || crate::client::redacted(&self.config.endpoint);
        let http = crate::tls::client_builder(&roots)
            .map_err(|source| AuthError::Setup {
                endpoint: endpoint(),
                source,
            })?
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(crate::client::DEFAULT_USER_AGENT)
            .build()
            .map_err(|source| AuthError::TokenRequest {
                endpoint: endpoint(),
                source,
            })?;
        self.shared.lock().http = Some(http.clone());
        Ok(http)
    }

    async fn fetch(&self) -> Result<Issued, AuthError> {
        let config = &self.config;
        let endpoint = || crate::client::redacted(&config.endpoint);
        let http = self.http()?;
        let form = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials")
                .append_pair("client_id", &config.client_id)
                .append_pair("client_secret", config.client_secret.expose_secret());
            if let Some(scope) = &config.scope {
                form.append_pair("scope", scope);
            }
            form.finish()
        };
        let request_error = |source| AuthError::TokenRequest {
            endpoint: endpoint(),
            source,
        };
        let response = http
            .post(self.url.clone())
            .timeout(config.timeout)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form)
            .send()
            .await
            .map_err(request_error)?;
        let status = response.status();
        let body = read_capped(response, MAX_RESPONSE_BYTES).await;
        if !status.is_success() {
            return Err(AuthError::TokenRefused {
                endpoint: endpoint(),
                status: status.as_u16(),
                reason: body.ok().and_then(|body| refusal_reason(&body)),
            });
        }
        let body = body.map_err(|error| match error {
            ReadError::TooLarge => AuthError::TokenResponseTooLarge {
                endpoint: endpoint(),
                limit: MAX_RESPONSE_BYTES,
            },
            ReadError::Http(source) => request_error(source),
        })?;
        parse_issued(&body, &config.endpoint)
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if !self.finished {
            self.shared.lock().in_flight = false;
            self.shared.outcome.send_replace(None);
        }
    }
}

impl TokenSource for ClientCredentials {
    fn token(&self) -> BoxFuture<'_, Result<SecretToken, AuthError>> {
        Box::pin(self.get())
    }

    fn invalidate<'a>(&'a self, rejected: &'a SecretToken) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut state = self.shared.lock();
            if state.cached.as_ref().is_some_and(|c| c.token == *rejected) {
                state.cached = None;
            }
        })
    }

    fn trust_root_certificates(&self, pems: &[Vec<u8>]) {
        let mut state = self.shared.lock();
        if state.roots != pems {
            state.roots = pems.to_vec();
            state.http = None;
        }
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("endpoint", &crate::client::redacted(&self.config.endpoint))
            .field("client_id", &self.config.client_id)
            .field("client_secret", &self.config.client_secret)
            .field("scope", &self.config.scope)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(token: &str, refresh_in: u64, expires_in: u64) -> Cached {
        let now = Instant::now();
        Cached {
            token: SecretToken::new(token),
            refresh_at: Some(now + Duration::from_secs(refresh_in)),
            expires_at: Some(now + Duration::from_secs(expires_in)),
        }
    }

    #[test]
    fn refusals_are_escaped() {
        let body = br#"{"error":"invalid_client","error_description":"bad\nlevel=ERROR forged"}"#;
        assert_eq!(
            refusal_reason(body).unwrap(),
            r"invalid_client (bad\nlevel=ERROR forged)"
        );
        assert_eq!(
            refusal_reason(br#"{"error":"x\u001b[31m"}"#).unwrap(),
            r"x\u{1b}[31m"
        );
        assert_eq!(refusal_reason(b"<html>"), None);
    }

    #[test]
    fn the_secret_goes_only_to_https_or_loopback() {
        assert!(check_endpoint(HYBRIDBOX_TOKEN_ENDPOINT).is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/token").is_ok());
        assert_eq!(
            check_endpoint("not a url").unwrap_err(),
            "is not a valid url"
        );
        assert_eq!(
            check_endpoint("ftp://127.0.0.1/token").unwrap_err(),
            "is not an http or https url"
        );
        assert!(check_endpoint("http://auth.example.com/token").is_err());
    }

    proptest::proptest! {
        /// The token response parser never panics, accepts exactly the
        /// tokens that can be sent, and keeps `expires_in`.
        #[test]
        fn token_responses_parse_without_panicking(
            token in proptest::prelude::any::<String>(),
            expires_in in proptest::option::of(proptest::prelude::any::<u64>()),
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let _ = parse_issued(&junk, "e");
            let body = serde_json::json!({"access_token": token, "expires_in": expires_in});
            let parsed = parse_issued(body.to_string().as_bytes(), "e");
            let sendable = crate::auth::authorization(&SecretToken::new(token.clone())).is_ok();
            proptest::prop_assert_eq!(parsed.is_ok(), sendable);
            if let Ok(issued) = parsed {
                proptest::prop_assert_eq!(issued.token.expose_secret(), token.as_str());
                proptest::prop_assert_eq!(issued.expires_in, expires_in);
            }
        }

        /// Whatever the server puts in a refusal, the reason has no line
        /// break or other control character.
        #[test]
        fn refusal_reasons_are_one_line(error in ".*", description in proptest::option::of(".*")) {
            let body = serde_json::json!({"error": error, "error_description": description});
            let reason = refusal_reason(body.to_string().as_bytes()).unwrap();
            proptest::prop_assert!(!reason.chars().any(char::is_control), "{reason:?}");
        }
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let source = ClientCredentials::new("id", "very-secret-value");
        assert!(!format!("{source:?}").contains("very-secret-value"));
    }

    #[tokio::test(start_paused = true)]
    async fn invalidate_forgets_only_the_cached_token() {
        let source = ClientCredentials::new("id", "secret");
        source.shared.lock().cached = Some(cached("new", 1, 2));
        source.invalidate(&SecretToken::new("old")).await;
        assert!(source.shared.lock().cached.is_some());
        source.invalidate(&SecretToken::new("new")).await;
        assert!(source.shared.lock().cached.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_due_refresh_starts_one_request_and_nobody_waits() {
        let source = ClientCredentials::new("id", "secret");
        source.shared.lock().cached = Some(cached("old", 0, 30));
        // The request task has not even run when the calls return.
        for _ in 0..3 {
            let token = source.token().await.unwrap();
            assert_eq!(token.expose_secret(), "old");
            assert!(source.shared.lock().in_flight);
        }
    }

    #[test]
    fn an_abandoned_request_lets_its_waiters_decide_again() {
        let source = ClientCredentials::new("id", "secret");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // Starts a request task, then the runtime (and the task) goes away.
        let url = source.config.url.clone().unwrap();
        runtime.block_on(async {
            let mut state = source.shared.lock();
            source.start(&mut state, &url, Instant::now());
        });
        let mut waiter = source.shared.outcome.subscribe();
        drop(runtime);
        assert!(!source.shared.lock().in_flight);
        assert!(waiter.has_changed().unwrap());
        assert!(waiter.borrow_and_update().is_none());
    }
}
