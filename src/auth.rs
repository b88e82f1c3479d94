//! Credentials: what a client sends in its `Authorization` header.
//!
//! [`Auth`] is given to the client builder: a fixed bearer token, one read
//! from an environment variable, or a [`TokenSource`] for tokens that change
//! (such as [`ClientCredentials`](crate::ClientCredentials) for Hybridbox's
//! Keycloak realm). Tokens are held in [`SecretToken`], whose `Debug` output
//! never shows them; nothing in this crate prints, logs or puts a token in an
//! error.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A bearer token. Its `Debug` output is redacted and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(Arc<str>);

impl SecretToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        SecretToken(Arc::from(token.into()))
    }

    /// The token itself, for putting it on the wire. Don't log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// The `Authorization` header value for `token`, marked sensitive (left out
/// of `Debug` output by the http crate).
pub(crate) fn authorization(
    token: &SecretToken,
) -> Result<reqwest::header::HeaderValue, AuthError> {
    let mut value =
        reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| AuthError::InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

/// A boxed future, as returned by [`TokenSource`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of bearer tokens that change over time.
///
/// The client asks for a token before each call, so a source should cache it.
/// When the server answers 401, the client calls [`invalidate`] with the token
/// it sent, asks for a token again and, if it got a different one, repeats the
/// request once.
///
/// [`invalidate`]: TokenSource::invalidate
pub trait TokenSource: fmt::Debug + Send + Sync {
    /// A token that is valid now.
    fn token(&self) -> BoxFuture<'_, Result<SecretToken, AuthError>>;

    /// Forgets `rejected`, which the server refused, so that the next
    /// [`token`](TokenSource::token) gets a fresh one. A source that was
    /// already refreshed since (by another request) keeps its newer token.
    fn invalidate<'a>(&'a self, rejected: &'a SecretToken) -> BoxFuture<'a, ()>;

    /// Extra root certificates (PEM blocks) the client was built with
    /// ([`ClientBuilder::add_root_certificate_pem`](crate::ClientBuilder::add_root_certificate_pem)),
    /// for the source's own https requests. Called when a client is built,
    /// before it asks for a token. The default ignores them.
    fn trust_root_certificates(&self, pems: &[Vec<u8>]) {
        let _ = pems;
    }
}

/// How a client authenticates.
#[derive(Clone, Default)]
pub struct Auth(Kind);

#[derive(Clone, Default)]
enum Kind {
    #[default]
    None,
    /// The token's `Authorization` value, made once (`None` when the token
    /// cannot be a header value: refused when the client is built).
    Bearer(Option<reqwest::header::HeaderValue>),
    Source(Arc<dyn TokenSource>),
}

impl Auth {
    /// No `Authorization` header.
    pub fn none() -> Self {
        Auth(Kind::None)
    }

    /// A fixed bearer token (a Hybridbox service-account token, an Automox API
    /// key).
    pub fn bearer(token: impl Into<String>) -> Self {
        Auth(Kind::Bearer(authorization(&SecretToken::new(token)).ok()))
    }

    /// A fixed bearer token read from the environment variable `var`.
    ///
    /// # Errors
    /// [`AuthError::MissingVariable`] naming `var` when it is not set, empty or
    /// not Unicode.
    pub fn from_env(var: &str) -> Result<Self, AuthError> {
        Self::from_variable(var, std::env::var(var))
    }

    /// [`Auth::from_env`] once the variable has been read.
    fn from_variable(
        var: &str,
        value: Result<String, std::env::VarError>,
    ) -> Result<Self, AuthError> {
        let problem = match value {
            Ok(token) if !token.trim().is_empty() => return Ok(Auth::bearer(token.trim())),
            Ok(_) => "is empty",
            Err(std::env::VarError::NotPresent) => "is not set",
            Err(std::env::VarError::NotUnicode(_)) => "is not valid unicode",
        };
        Err(AuthError::MissingVariable {
            var: var.to_owned(),
            problem,
        })
    }

    /// Tokens from `source`, refreshed as it decides.
    pub fn source(source: impl TokenSource + 'static) -> Self {
        Auth(Kind::Source(Arc::new(source)))
    }

    /// Whether requests carry credentials.
    pub fn is_some(&self) -> bool {
        !matches!(self.0, Kind::None)
    }

    /// Passes the client's extra root certificates to a token source.
    pub(crate) fn trust_root_certificates(&self, pems: &[Vec<u8>]) {
        if let Kind::Source(source) = &self.0 {
            source.trust_root_certificates(pems);
        }
    }

    /// A fixed token that cannot be sent as a header value.
    pub(crate) fn check_fixed(&self) -> Result<(), AuthError> {
        match &self.0 {
            Kind::Bearer(None) => Err(AuthError::InvalidToken),
            Kind::None | Kind::Bearer(Some(_)) | Kind::Source(_) => Ok(()),
        }
    }

    /// The `Authorization` value to send now (`None` without credentials).
    pub(crate) async fn authorization(
        &self,
    ) -> Result<Option<reqwest::header::HeaderValue>, AuthError> {
        match &self.0 {
            Kind::None => Ok(None),
            Kind::Bearer(header) => header.clone().map(Some).ok_or(AuthError::InvalidToken),
            Kind::Source(source) => authorization(&source.token().await?).map(Some),
        }
    }

    /// Whether a rejected token can be replaced by another.
    pub(crate) fn renews(&self) -> bool {
        matches!(self.0, Kind::Source(_))
    }

    /// After a 401 for `rejected`: a different token to repeat the request
    /// with, if the credentials can produce one.
    pub(crate) async fn renew(
        &self,
        rejected: &SecretToken,
    ) -> Result<Option<SecretToken>, AuthError> {
        match &self.0 {
            Kind::Source(source) => {
                source.invalidate(rejected).await;
                let fresh = source.token().await?;
                Ok((fresh != *rejected).then_some(fresh))
            }
            Kind::None | Kind::Bearer(_) => Ok(None),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::None => f.write_str("Auth::None"),
            Kind::Bearer(_) => f.write_str("Auth::Bearer(<redacted>)"),
            Kind::Source(source) => f.debug_tuple("Auth::Source").field(source).finish(),
        }
    }
}

/// Why credentials could not be had.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthError {
    /// An environment variable meant to hold a token is unusable.
    MissingVariable {
        /// The variable's name.
        var: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The token endpoint is not one a client secret may be sent to.
    InvalidEndpoint {
        /// The token endpoint.
        endpoint: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The HTTP client for the token endpoint could not be set up (TLS).
    Setup {
        /// The token endpoint.
        endpoint: String,
        /// The underlying error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The token endpoint could not be reached or its answer not read.
    TokenRequest {
        /// The token endpoint.
        endpoint: String,
        /// The underlying HTTP error.
        source: reqwest::Error,
    },
    /// The token endpoint refused to issue a token.
    TokenRefused {
        /// The token endpoint.
        endpoint: String,
        /// Its HTTP status.
        status: u16,
        /// The OAuth `error` code and description it gave, if any.
        reason: Option<String>,
    },
    /// A token that cannot be sent: it is not a valid `Authorization`
    /// header value (a control character, a line break).
    InvalidToken,
    /// The token endpoint's answer is not a usable token response.
    TokenResponse {
        /// The token endpoint.
        endpoint: String,
        /// Why the answer could not be used.
        source: serde_json::Error,
    },
    /// The token endpoint's answer is longer than a token response can be;
    /// reading it stopped at the limit.
    TokenResponseTooLarge {
        /// The token endpoint.
        endpoint: String,
        /// The most bytes a token response may have.
        limit: usize,
    },
    /// No valid token: the last token request failed (this caller shared
    /// it with the others waiting at the same time, or the endpoint is
    /// being given time to recover before it is asked again).
    TokenUnavailable {
        /// The token endpoint.
        endpoint: String,
        /// Why that request failed, shared by everyone who waited for it.
        source: std::sync::Arc<AuthError>,
    },
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::MissingVariable { var, problem } => {
                write!(
                    f,
                    "environment variable {var} {problem}; it must hold the bearer token"
                )
            }
            AuthError::InvalidEndpoint { endpoint, problem } => {
                write!(f, "token endpoint {endpoint} {problem}")
            }
            AuthError::Setup { endpoint, .. } => {
                write!(f, "could not set up the http client for {endpoint}")
            }
            AuthError::TokenRequest { endpoint, .. } => {
                write!(f, "could not get a token from {endpoint}")
            }
            AuthError::TokenRefused {
                endpoint,
                status,
                reason,
            } => {
                write!(f, "token endpoint {endpoint} refused with status {status}")?;
                match reason {
                    Some(reason) => write!(f, ": {reason}"),
                    None => Ok(()),
                }
            }
            AuthError::InvalidToken => {
                f.write_str("the token is not a valid authorization header value; nothing was sent")
            }
            AuthError::TokenResponse { endpoint, .. } => {
                write!(
                    f,
                    "token endpoint {endpoint} sent an unusable token response"
                )
            }
            AuthError::TokenResponseTooLarge { endpoint, limit } => write!(
                f,
                "token endpoint {endpoint} sent a response longer than {limit} bytes"
            ),
            AuthError::TokenUnavailable { endpoint, .. } => write!(
                f,
                "no valid token: the last request to token endpoint {endpoint} failed"
            ),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthError::Setup { source, .. } => Some(source.as_ref()),
            AuthError::TokenRequest { source, .. } => Some(source),
            AuthError::TokenResponse { source, .. } => Some(source),
            AuthError::TokenUnavailable { source, .. } => Some(source.as_ref()),
            AuthError::MissingVariable { .. }
            | AuthError::InvalidEndpoint { .. }
            | AuthError::TokenRefused { .. }
            | AuthError::InvalidToken
            | AuthError::TokenResponseTooLarge { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let auth = Auth::bearer("s3cr3t-token");
        assert_eq!(format!("{auth:?}"), "Auth::Bearer(<redacted>)");
        assert_eq!(
            format!("{:?}", SecretToken::new("s3cr3t-token")),
            "SecretToken(<redacted>)"
        );
    }

    #[test]
    fn from_env_names_the_variable() {
        let err = Auth::from_env("INVITATIONS_TEST_SURELY_UNSET_VAR").unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable INVITATIONS_TEST_SURELY_UNSET_VAR is not set; it must hold the bearer token"
        );
        for (value, problem) in [
            (Ok(String::new()), "is empty"),
            (Ok("  \n".to_owned()), "is empty"),
            (
                Err(std::env::VarError::NotUnicode("\u{fffd}".into())),
                "is not valid unicode",
            ),
        ] {
            let err = Auth::from_variable("HYBRIDBOX_TOKEN", value).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "environment variable HYBRIDBOX_TOKEN {problem}; it must hold the bearer token"
                )
            );
        }
        let auth = Auth::from_variable("HYBRIDBOX_TOKEN", Ok(" tok \n".to_owned())).unwrap();
        assert!(
            matches!(&auth.0, Kind::Bearer(Some(h)) if h.to_str().unwrap() == "Bearer tok"),
            "the token is trimmed"
        );
    }
}
