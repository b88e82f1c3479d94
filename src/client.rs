//! Building a vendor client: base URL, credentials, retry policy, timeouts
//! and `User-Agent`, checked before the client exists.
//!
//! Each vendor's generated `Client` gets a `builder()` here; the settings end
//! up in the client's [`Inner`] value, which `hooks::send` reads on every
//! call.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use reqwest::Url;

use crate::auth::{Auth, AuthError};
use crate::hooks::Inner;
use crate::rate_limit::RateLimit;
use crate::retry::RetryPolicy;
use crate::tls::{self, Roots};

/// The `User-Agent` sent unless the builder is given another.
pub const DEFAULT_USER_AGENT: &str = concat!("invitations/", env!("CARGO_PKG_VERSION"));

/// The default limit for one attempt, from connecting to the last byte of
/// the response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default limit for opening a connection (DNS, TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A generated vendor client that [`ClientBuilder`] can build.
///
/// Implemented by [`hybridbox::Client`](crate::hybridbox::Client) and
/// [`automox::Client`](crate::automox::Client). Public because
/// `ClientBuilder<C>`'s methods are bound by it, and so that code can be
/// generic over the vendor:
///
/// ```
/// use std::time::Duration;
/// use invitations::{ClientBuilder, GeneratedClient};
///
/// fn patient<C: GeneratedClient>(builder: ClientBuilder<C>) -> ClientBuilder<C> {
///     builder.timeout(Duration::from_secs(120))
/// }
/// let client = patient(invitations::automox::Client::builder()).build();
/// ```
///
/// Sealed (only this crate implements it), so that it can gain items
/// without breaking code that uses it.
pub trait GeneratedClient: Sized + sealed::Sealed {
    /// The vendor.
    const VENDOR: crate::Vendor;
    /// The vendor's base URL, from the document's `servers`.
    const DEFAULT_BASE_URL: &'static str;
    /// Assembles the client from its parts.
    #[doc(hidden)]
    fn assemble(base_url: &str, http: reqwest::Client, inner: Inner) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! builder_for {
    ($vendor:ident, $value:expr) => {
        impl sealed::Sealed for crate::$vendor::Client {}

        impl GeneratedClient for crate::$vendor::Client {
            const VENDOR: crate::Vendor = $value;
            const DEFAULT_BASE_URL: &'static str = crate::$vendor::DEFAULT_BASE_URL;

            fn assemble(base_url: &str, http: reqwest::Client, inner: Inner) -> Self {
                Self::new_with_client(base_url, http, inner)
            }
        }

        impl crate::$vendor::Client {
            /// Starts building a client with credentials, retries and timeouts.
            pub fn builder() -> ClientBuilder<Self> {
                ClientBuilder::new()
            }
        }
    };
}

builder_for!(hybridbox, crate::Vendor::Hybridbox);
builder_for!(automox, crate::Vendor::Automox);

/// Builds a vendor client; see [`hybridbox::Client::builder`](crate::hybridbox::Client::builder).
///
/// ```
/// use std::time::Duration;
/// use invitations::{automox, automox::ClientInfo, Auth, RetryPolicy};
///
/// # fn main() -> Result<(), invitations::BuildError> {
/// let client = automox::Client::builder()
///     .auth(Auth::bearer("api-key"))
///     .retry(RetryPolicy::default().max_retries(2))
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.baseurl(), "https://console.automox.com/api");
/// # Ok(()) }
/// ```
pub struct ClientBuilder<C> {
    base_url: String,
    auth: Auth,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: String,
    roots: Roots,
    rate_limit: Option<RateLimit>,
    proxy: Option<String>,
    max_body: usize,
    client: PhantomData<fn() -> C>,
}

impl<C: GeneratedClient> ClientBuilder<C> {
    fn new() -> Self {
        ClientBuilder {
            base_url: C::DEFAULT_BASE_URL.to_owned(),
            auth: Auth::none(),
            retry: RetryPolicy::default(),
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            roots: Roots::default(),
            rate_limit: None,
            proxy: None,
            max_body: crate::body_limit::DEFAULT_MAX_RESPONSE_BODY,
            client: PhantomData,
        }
    }

    /// Where the API is (default: the vendor's `DEFAULT_BASE_URL`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The credentials to send (default: none).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// How failed calls are retried (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The limit for one attempt, from connecting to the end of the response
    /// (default 30 s; `None`: no limit).
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// The limit for opening a connection (default 10 s; `None`: no limit).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// The `User-Agent` header (default `invitations/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Also trusts the certificates in `pem` (one or more PEM blocks) for
    /// https, besides the platform's roots: for a company proxy or a local
    /// test server. Checked when the client is built.
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.roots.push_pem(pem.as_ref());
        self
    }

    /// Spaces the client's requests so that the server never sees more than
    /// `limit.count()` in any window of `limit.period()` (default: no
    /// limit). The client and its clones share the limit; retries count.
    /// See [`RateLimit`].
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Sends https requests through this proxy (`http://` or `https://`,
    /// with `user:password@` if it needs them) instead of the
    /// environment's (`HTTPS_PROXY`, `ALL_PROXY`, minus `NO_PROXY`). Plain
    /// http and loopback requests never go through a proxy, so credentials
    /// sent in clear to a local test server cannot reach one; over https the
    /// proxy only tunnels. Checked when the client is built.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// The most bytes of a response body the client reads (default 16 MiB,
    /// [`DEFAULT_MAX_RESPONSE_BODY`](crate::DEFAULT_MAX_RESPONSE_BODY)): a
    /// longer (or endless) success fails the call with
    /// [`Error::BodyTooLarge`](crate::Error::BodyTooLarge) instead of eating
    /// memory; a failed answer keeps its status and what arrived up to the
    /// cap.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    /// A [`BuildError`] when the base URL is not an absolute `http`/`https`
    /// URL, when credentials would go over plain HTTP to a host that is not
    /// loopback, when the `User-Agent` is not a valid header value, when a
    /// root certificate is not valid PEM, or when TLS cannot be set up.
    pub fn build(self) -> Result<C, BuildError> {
        let url = Url::parse(&self.base_url).map_err(|source| BuildError::InvalidBaseUrl {
            url: redacted(&self.base_url),
            source,
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BuildError::UnsupportedScheme {
                url: redacted(&self.base_url),
            });
        }
        if let Some(problem) = url_problem(&url) {
            return Err(BuildError::BaseUrlPart {
                url: redacted(&self.base_url),
                problem,
            });
        }
        if self.auth.is_some() && !may_carry_credentials(&url) {
            return Err(BuildError::InsecureBaseUrl {
                url: redacted(&self.base_url),
            });
        }
        self.auth
            .check_fixed()
            .map_err(|source| BuildError::InvalidToken { source })?;
        let user_agent = reqwest::header::HeaderValue::from_str(&self.user_agent)
            .map_err(|source| BuildError::InvalidUserAgent { source })?;
        let mut http = tls::client_builder(&self.roots)
            .map_err(|source| BuildError::Tls { source })?
            .user_agent(user_agent);
        if let Some(timeout) = self.timeout {
            http = http.timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            http = http.connect_timeout(timeout);
        }
        if let Some(proxy) = &self.proxy {
            let proxy_url = Url::parse(proxy)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
                .ok_or_else(|| BuildError::InvalidProxy {
                    url: redacted(proxy),
                })?;
            http = crate::proxy::configure(http, Some(&proxy_url))
                .map_err(|source| BuildError::Http { source })?;
        }
        http = http.redirect(same_origin_redirects());
        let http = http.build().map_err(|source| BuildError::Http { source })?;
        self.auth.trust_root_certificates(self.roots.pems());
        let inner = Inner::new(
            self.auth,
            self.retry,
            self.timeout,
            self.rate_limit,
            self.max_body,
        );
        Ok(C::assemble(
            self.base_url.trim_end_matches('/'),
            http,
            inner,
        ))
    }
}

impl<C: GeneratedClient> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("vendor", &C::VENDOR)
            .field("base_url", &redacted(&self.base_url))
            .field("proxy", &self.proxy.as_deref().map(redacted))
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("roots", &self.roots)
            .field("rate_limit", &self.rate_limit)
            .field("max_response_body", &self.max_body)
            .finish()
    }
}

/// Whether credentials may be sent to `url`: over HTTPS, or over plain HTTP
/// to a loopback address (a local test server).
pub(crate) fn may_carry_credentials(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => crate::proxy::is_loopback(url),
        _ => false,
    }
}

/// What a base URL (or token endpoint) must not have: credentials in its
/// userinfo (they would go out as `Authorization: Basic` and show in logs),
/// a query or a fragment (they would swallow the API paths appended to it).
pub(crate) fn url_problem(url: &Url) -> Option<&'static str> {
    if !url.username().is_empty() || url.password().is_some() {
        Some("has credentials in it (user:password@); give them with `auth` instead")
    } else if url.query().is_some() {
        Some("has a query (`?…`), which the api paths would be appended after")
    } else if url.fragment().is_some() {
        Some("has a fragment (`#…`), which the api paths would be appended after")
    } else {
        None
    }
}

/// `url` with any password replaced by `***`, for messages and `Debug`.
pub(crate) fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) if parsed.has_host() => url.to_owned(),
        // Not a URL with a host (`user:pass@host` without a scheme parses
        // as a path): hide whatever comes before the last `@`.
        _ => match url.rfind('@') {
            Some(end) => {
                let start = url.find("://").map_or(0, |i| i + 3).min(end);
                format!("{}***{}", &url[..start], &url[end..])
            }
            None => url.to_owned(),
        },
    }
}

/// Redirects are followed only within the origin they start from (same
/// scheme, host and port), at most 10 of them: a `307`/`308` replays the
/// request's body, which holds the invitee's personal data, and reqwest
/// already drops the `Authorization` header across origins but not the body.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same {
            attempt.stop()
        } else if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Why a client could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL is not an absolute URL.
    InvalidBaseUrl {
        /// The base URL given.
        url: String,
        /// Why it does not parse.
        source: url::ParseError,
    },
    /// The base URL's scheme is neither `http` nor `https`.
    UnsupportedScheme {
        /// The base URL given.
        url: String,
    },
    /// The base URL has credentials, a query or a fragment in it.
    BaseUrlPart {
        /// The base URL given (its password hidden).
        url: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The proxy is not an `http://` or `https://` URL.
    InvalidProxy {
        /// The proxy given (its password hidden).
        url: String,
    },
    /// Credentials would go over plain HTTP to a host that is not loopback.
    InsecureBaseUrl {
        /// The base URL given.
        url: String,
    },
    /// The bearer token cannot be sent as a header value.
    InvalidToken {
        /// Why not.
        source: AuthError,
    },
    /// The `User-Agent` is not a valid header value.
    InvalidUserAgent {
        /// Why not.
        source: reqwest::header::InvalidHeaderValue,
    },
    /// TLS could not be set up (an invalid root certificate, no usable
    /// platform verifier).
    Tls {
        /// The underlying error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The HTTP client could not be set up.
    Http {
        /// The underlying error.
        source: reqwest::Error,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidBaseUrl { url, .. } => {
                write!(f, "base url {url:?} is not a valid absolute url")
            }
            BuildError::UnsupportedScheme { url } => {
                write!(f, "base url {url:?} must start with http:// or https://")
            }
            BuildError::BaseUrlPart { url, problem } => write!(f, "base url {url:?} {problem}"),
            BuildError::InvalidProxy { url } => {
                write!(f, "proxy {url:?} is not an http:// or https:// url")
            }
            BuildError::InsecureBaseUrl { url } => write!(
                f,
                "refusing to send credentials over plain http to {url:?}: use https, or a loopback address for local tests"
            ),
            BuildError::InvalidUserAgent { .. } => {
                f.write_str("user agent is not a valid header value")
            }
            BuildError::InvalidToken { .. } => {
                f.write_str("the bearer token is not a valid header value")
            }
            BuildError::Tls { .. } => f.write_str("could not set up tls"),
            BuildError::Http { .. } => f.write_str("could not set up the http client"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::InvalidBaseUrl { source, .. } => Some(source),
            BuildError::InvalidUserAgent { source } => Some(source),
            BuildError::InvalidToken { source } => Some(source),
            BuildError::Tls { source } => Some(source.as_ref()),
            BuildError::Http { source } => Some(source),
            BuildError::UnsupportedScheme { .. }
            | BuildError::InsecureBaseUrl { .. }
            | BuildError::BaseUrlPart { .. }
            | BuildError::InvalidProxy { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the base URL, `build()` does not panic, and a client it
        /// builds with credentials talks https, or plain http to loopback,
        /// to a URL without userinfo, query or fragment; no `Debug` output
        /// or error shows the URL's password.
        #[test]
        fn the_base_url_check_holds_for_any_url(
            scheme in "(https?|ftp|)",
            user in "[a-z]{0,3}",
            password in "[A-Z]{4,8}",
            host in "(127\\.0\\.0\\.1|localhost|api\\.example\\.com|\\[::1\\]|10\\.0\\.0\\.1)",
            tail in "(/v1)?(\\?x=1)?(#f)?",
            junk in ".*",
        ) {
            let secret = format!("P{password}");
            let url = format!("{scheme}://{user}:{secret}@{host}{tail}");
            let plain = format!("{scheme}://{host}{tail}");
            for candidate in [url.as_str(), plain.as_str(), junk.as_str()] {
                let builder = crate::hybridbox::Client::builder()
                    .base_url(candidate)
                    .auth(crate::Auth::bearer("t"));
                let shown = format!("{builder:?}");
                proptest::prop_assert!(!shown.contains(&secret), "{}", shown);
                match builder.build() {
                    Ok(_) => {
                        let parsed = Url::parse(candidate).unwrap();
                        proptest::prop_assert!(may_carry_credentials(&parsed));
                        proptest::prop_assert_eq!(url_problem(&parsed), None);
                    }
                    Err(error) => {
                        let shown = format!("{error} {error:?}");
                        proptest::prop_assert!(!shown.contains(&secret), "{}", shown);
                    }
                }
            }
        }
    }

    #[test]
    fn credentials_go_only_over_https_or_to_loopback() {
        for (url, allowed) in [
            ("https://api.hybridbox.io", true),
            ("http://127.0.0.1:8080", true),
            ("http://127.1.2.3", true),
            ("http://[::1]:9000/api", true),
            ("http://localhost:3000", true),
            ("http://LOCALHOST", true),
            ("http://api.hybridbox.io", false),
            ("http://10.0.0.1", false),
            ("http://localhost.example.com", false),
            ("ftp://127.0.0.1", false),
        ] {
            assert_eq!(
                may_carry_credentials(&Url::parse(url).unwrap()),
                allowed,
                "{url}"
            );
        }
    }
}
