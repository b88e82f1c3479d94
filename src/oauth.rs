//! OAuth 2.0 client credentials for Hybridbox's Keycloak realm: a
//! [`TokenSource`] that fetches access tokens, caches them and refreshes them
//! shortly before they expire.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::auth::{AuthError, BoxFuture, SecretToken, TokenSource};

/// The token endpoint of Hybridbox's Keycloak realm
/// (`https://auth.hybridbox.io/realms/hybridbox`).
pub const HYBRIDBOX_TOKEN_ENDPOINT: &str =
    "https://auth.hybridbox.io/realms/hybridbox/protocol/openid-connect/token";

/// Access tokens from an OAuth 2.0 token endpoint by the client credentials
/// grant (`client_secret_post`, as Keycloak accepts it).
///
/// - The token is cached and fetched again `refresh_before` (default 30 s)
///   before it expires, or half-way through its life if that is shorter. A
///   response without `expires_in` is cached until a 401 invalidates it.
/// - Many requests needing a token at once cause one token request: the
///   others wait for it.
/// - The client secret goes only over HTTPS, or plain HTTP to a loopback
///   address (for tests); redirects from the endpoint are not followed.
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
    endpoint: String,
    client_id: String,
    client_secret: SecretToken,
    scope: Option<String>,
    refresh_before: Duration,
    timeout: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    http: Option<reqwest::Client>,
    cached: Option<Cached>,
}

struct Cached {
    token: SecretToken,
    /// When to fetch a new token; `None`: only when invalidated.
    refresh_at: Option<Instant>,
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

impl ClientCredentials {
    /// Credentials of a confidential client of Hybridbox's realm, using
    /// [`HYBRIDBOX_TOKEN_ENDPOINT`].
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientCredentials {
            endpoint: HYBRIDBOX_TOKEN_ENDPOINT.to_owned(),
            client_id: client_id.into(),
            client_secret: SecretToken::new(client_secret),
            scope: None,
            refresh_before: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
            state: Mutex::new(State::default()),
        }
    }

    /// Uses another token endpoint (another realm, a test server).
    pub fn token_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Asks for these scopes (space-separated).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// How long before expiry a token is replaced (default 30 s).
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// Timeout of a token request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When a token issued now and valid for `lifetime` should be replaced.
    fn refresh_at(&self, now: Instant, lifetime: Option<u64>) -> Option<Instant> {
        let lifetime = Duration::from_secs(lifetime?);
        let usable = lifetime
            .saturating_sub(self.refresh_before)
            .max(lifetime / 2);
        Some(now + usable)
    }

    async fn fetch(&self, state: &mut State) -> Result<SecretToken, AuthError> {
        let endpoint = || self.endpoint.clone();
        let url = reqwest::Url::parse(&self.endpoint).map_err(|_| AuthError::InvalidEndpoint {
            endpoint: endpoint(),
            problem: "is not a valid url",
        })?;
        if !crate::client::may_carry_credentials(&url) {
            return Err(AuthError::InvalidEndpoint {
                endpoint: endpoint(),
                problem: "is plain http to a host that is not loopback; the client secret goes only over https",
            });
        }
        let http = match &state.http {
            Some(http) => http.clone(),
            None => {
                let http = crate::tls::client_builder(&Default::default())
                    .map_err(|source| AuthError::Setup {
                        endpoint: endpoint(),
                        source,
                    })?
                    .timeout(self.timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(crate::client::DEFAULT_USER_AGENT)
                    .build()
                    .map_err(|source| AuthError::TokenRequest {
                        endpoint: endpoint(),
                        source,
                    })?;
                state.http = Some(http.clone());
                http
            }
        };
        let form = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials")
                .append_pair("client_id", &self.client_id)
                .append_pair("client_secret", self.client_secret.expose_secret());
            if let Some(scope) = &self.scope {
                form.append_pair("scope", scope);
            }
            form.finish()
        };
        let request_error = |source| AuthError::TokenRequest {
            endpoint: endpoint(),
            source,
        };
        let response = http
            .post(url)
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
        let body = response.bytes().await.map_err(request_error)?;
        if !status.is_success() {
            let reason = serde_json::from_slice::<ErrorResponse>(&body)
                .ok()
                .map(|e| match e.error_description {
                    Some(description) => format!("{} ({description})", e.error),
                    None => e.error,
                });
            return Err(AuthError::TokenRefused {
                endpoint: endpoint(),
                status: status.as_u16(),
                reason,
            });
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|source| AuthError::TokenResponse {
                endpoint: endpoint(),
                source,
            })?;
        let token = SecretToken::new(parsed.access_token);
        state.cached = Some(Cached {
            token: token.clone(),
            refresh_at: self.refresh_at(Instant::now(), parsed.expires_in),
        });
        tracing::debug!(endpoint = %self.endpoint, expires_in = parsed.expires_in, "fetched an access token");
        Ok(token)
    }
}

impl TokenSource for ClientCredentials {
    fn token(&self) -> BoxFuture<'_, Result<SecretToken, AuthError>> {
        Box::pin(async move {
            // Held across the fetch: concurrent callers wait for one request.
            let mut state = self.state.lock().await;
            if let Some(cached) = &state.cached
                && cached.refresh_at.is_none_or(|at| Instant::now() < at)
            {
                return Ok(cached.token.clone());
            }
            self.fetch(&mut state).await
        })
    }

    fn invalidate<'a>(&'a self, rejected: &'a SecretToken) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            if state
                .cached
                .as_ref()
                .is_some_and(|cached| cached.token == *rejected)
            {
                state.cached = None;
            }
        })
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_before_they_expire() {
        let source = ClientCredentials::new("id", "secret");
        let now = Instant::now();
        assert_eq!(
            source.refresh_at(now, Some(300)),
            Some(now + Duration::from_secs(270))
        );
        // Short-lived tokens are used for at least half their life.
        assert_eq!(
            source.refresh_at(now, Some(40)),
            Some(now + Duration::from_secs(20))
        );
        assert_eq!(source.refresh_at(now, None), None);
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let source = ClientCredentials::new("id", "very-secret-value");
        assert!(!format!("{source:?}").contains("very-secret-value"));
    }
}
