//! Sending a row: the client built from the environment's credentials, and
//! each vendor's `invite` turned into an [`Outcome`] with its reason.

use std::fmt;
use std::time::Duration;

use invitations::{
    Auth, BuildError, ClientCredentials, ErrorExt, InviteError, InvitePolicy, PendingInvitations,
    RateLimit, RetryPolicy,
};
use invitations::{automox, hybridbox};

use super::rows::{Body, Row};
use super::summary::Outcome;
use super::{DEFAULT_TIMEOUT, RETRY_ALLOWANCE, Vendor, request_deadline};

/// Hybridbox service-account or access token.
pub const HYBRIDBOX_TOKEN: &str = "HYBRIDBOX_TOKEN";
/// Hybridbox client id, with [`HYBRIDBOX_CLIENT_SECRET`] (client credentials).
pub const HYBRIDBOX_CLIENT_ID: &str = "HYBRIDBOX_CLIENT_ID";
/// Hybridbox client secret.
pub const HYBRIDBOX_CLIENT_SECRET: &str = "HYBRIDBOX_CLIENT_SECRET";
/// Another token endpoint for the client credentials (another realm, a test
/// server); default [`invitations::HYBRIDBOX_TOKEN_ENDPOINT`].
pub const HYBRIDBOX_TOKEN_ENDPOINT: &str = "HYBRIDBOX_TOKEN_ENDPOINT";
/// Automox API key.
pub const AUTOMOX_API_KEY: &str = "AUTOMOX_API_KEY";

/// Why no client could be made (nothing was sent).
#[derive(Debug)]
#[non_exhaustive]
pub enum SetupError {
    /// No credentials in the environment.
    NoCredentials {
        /// What to set.
        expected: &'static str,
    },
    /// One of a pair of variables is set, the other is not (or is empty):
    /// Hybridbox's client id and secret.
    IncompleteCredentials {
        /// The variable that is missing.
        missing: &'static str,
        /// The variable that is set.
        set: &'static str,
        /// What else would do instead of the pair.
        instead: &'static str,
    },
    /// The client could not be built (a bad base URL, …).
    Build(BuildError),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::NoCredentials { expected } => {
                write!(f, "no credentials in the environment: set {expected}")
            }
            SetupError::IncompleteCredentials {
                missing,
                set,
                instead,
            } => write!(
                f,
                "incomplete credentials in the environment: {missing} is not set ({set} is): set \
                 both, or {instead}"
            ),
            SetupError::Build(_) => f.write_str("cannot set up the client"),
        }
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SetupError::NoCredentials { .. } | SetupError::IncompleteCredentials { .. } => None,
            SetupError::Build(e) => Some(e),
        }
    }
}

/// How a sent row ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The outcome.
    pub outcome: Outcome,
    /// Why, for anything but invited.
    pub reason: Option<String>,
    /// The invitation's id, when the vendor returned one.
    pub id: Option<String>,
}

/// Where and how the client sends: the base URL, the rate limit, and the
/// time each attempt and each request may take.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Another base URL for the vendor's API.
    pub base_url: Option<String>,
    /// The rate limit, if any.
    pub rate: Option<RateLimit>,
    /// The most one attempt may take, from connecting to the answer's last
    /// byte.
    pub timeout: Duration,
    /// Rows in flight at once (the rate limit's queue, for the deadline).
    pub concurrency: usize,
}

impl Connection {
    /// The default base URL, no rate limit, [`DEFAULT_TIMEOUT`], one row
    /// at a time.
    pub fn new() -> Connection {
        Connection {
            base_url: None,
            rate: None,
            timeout: DEFAULT_TIMEOUT,
            concurrency: 1,
        }
    }
}

impl Default for Connection {
    fn default() -> Self {
        Connection::new()
    }
}

/// One client for all workers (its clones share connections, credentials
/// and the rate limit, and a 429 pauses them all).
#[derive(Clone, Debug)]
pub enum Sender {
    /// Hybridbox.
    Hybridbox(hybridbox::Client),
    /// Automox.
    Automox(automox::Client),
}

/// The variable that holds a token for `vendor` (a Hybridbox token, an
/// Automox API key).
fn token_variable(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Hybridbox => HYBRIDBOX_TOKEN,
        Vendor::Automox => AUTOMOX_API_KEY,
    }
}

/// The credentials for `vendor` from the variables `var` reads.
fn credentials(vendor: Vendor, var: &dyn Fn(&str) -> Option<String>) -> Result<Auth, SetupError> {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    match vendor {
        Vendor::Hybridbox => {
            if let Some(token) = var(HYBRIDBOX_TOKEN) {
                return Ok(Auth::bearer(token.trim()));
            }
            let incomplete = |missing, set| SetupError::IncompleteCredentials {
                missing,
                set,
                instead: HYBRIDBOX_TOKEN,
            };
            match (var(HYBRIDBOX_CLIENT_ID), var(HYBRIDBOX_CLIENT_SECRET)) {
                (Some(id), Some(secret)) => {
                    let mut source = ClientCredentials::new(id.trim(), secret.trim());
                    if let Some(endpoint) = var(HYBRIDBOX_TOKEN_ENDPOINT) {
                        source = source.token_endpoint(endpoint.trim());
                    }
                    Ok(Auth::source(source))
                }
                (Some(_), None) => Err(incomplete(HYBRIDBOX_CLIENT_SECRET, HYBRIDBOX_CLIENT_ID)),
                (None, Some(_)) => Err(incomplete(HYBRIDBOX_CLIENT_ID, HYBRIDBOX_CLIENT_SECRET)),
                (None, None) => Err(SetupError::NoCredentials {
                    expected: "HYBRIDBOX_TOKEN, or HYBRIDBOX_CLIENT_ID and HYBRIDBOX_CLIENT_SECRET",
                }),
            }
        }
        Vendor::Automox => var(AUTOMOX_API_KEY)
            .map(|key| Auth::bearer(key.trim()))
            .ok_or(SetupError::NoCredentials {
                expected: "AUTOMOX_API_KEY",
            }),
    }
}

impl Sender {
    /// The client for `vendor`, with credentials from the environment, as
    /// `connection` says.
    ///
    /// # Errors
    /// [`SetupError`] when credentials are missing or the client cannot be
    /// built.
    pub fn from_env(vendor: Vendor, connection: &Connection) -> Result<Sender, SetupError> {
        Self::new(vendor, connection, &|name| std::env::var(name).ok())
    }

    /// Checks `connection` as [`Sender::from_env`] does, credentials
    /// aside (what a dry run checks): the client is built, with a
    /// placeholder token that is never sent, so the base URL is refused
    /// where a run would refuse it (not an absolute `http` or `https` URL;
    /// credentials, a query or a fragment in it; plain http to a host that
    /// is not loopback).
    ///
    /// # Errors
    /// [`SetupError::Build`] when the client cannot be built.
    pub fn check(vendor: Vendor, connection: &Connection) -> Result<(), SetupError> {
        let token = |name: &str| (name == token_variable(vendor)).then(|| "placeholder".to_owned());
        Self::new(vendor, connection, &token).map(drop)
    }

    /// [`Sender::from_env`] with the variables `var` reads.
    ///
    /// Each attempt ends within `connection.timeout` (the client's
    /// timeout); each request, with its retries, within its
    /// [`request_deadline`] (the retry policy's deadline): a server that
    /// accepts and never answers holds a row for about that long at most
    /// per request.
    ///
    /// # Errors
    /// As [`Sender::from_env`].
    pub fn new(
        vendor: Vendor,
        connection: &Connection,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Sender, SetupError> {
        let auth = credentials(vendor, var)?;
        // More retries than the library's default: a bulk run meets 429
        // storms, and a row failed by one must be run again; within the
        // request's deadline.
        let deadline =
            request_deadline(connection.timeout, connection.rate, connection.concurrency);
        let retry = RetryPolicy::default()
            .max_retries(6)
            .max_retry_after(RETRY_ALLOWANCE)
            .deadline(deadline);
        macro_rules! build {
            ($vendor:ident) => {{
                let mut builder = $vendor::Client::builder()
                    .auth(auth)
                    .retry(retry)
                    .timeout(connection.timeout);
                if let Some(url) = &connection.base_url {
                    builder = builder.base_url(url);
                }
                if let Some(rate) = connection.rate {
                    builder = builder.rate_limit(rate);
                }
                builder.build().map_err(SetupError::Build)?
            }};
        }
        Ok(match vendor {
            Vendor::Hybridbox => Sender::Hybridbox(build!(hybridbox)),
            Vendor::Automox => Sender::Automox(build!(automox)),
        })
    }

    /// Lists the account's pending invitations once, for a Hybridbox run
    /// ([`Sender::send`] then creates at once for a user not in the list);
    /// `None` for Automox, which has no list.
    ///
    /// # Errors
    /// The list's failure (after the client's retries).
    pub async fn pending(
        &self,
        account: uuid::Uuid,
    ) -> Result<Option<PendingInvitations>, invitations::Error> {
        match self {
            Sender::Hybridbox(client) => client.pending_invitations(account).await.map(Some),
            Sender::Automox(_) => Ok(None),
        }
    }

    /// Invites `row` into `account` without inviting twice. For Hybridbox,
    /// with `listed` (the account's pending invitations, listed at the
    /// start of the run: [`Sender::pending`]) a user not in it is created
    /// at once, one request; without it, `invite` lists for the user first
    /// (a row in flight when an earlier run stopped, whose create the
    /// server may have finished after that listing).
    pub async fn send(
        &self,
        account: uuid::Uuid,
        row: &Row,
        listed: Option<&PendingInvitations>,
    ) -> Sent {
        match (self, &row.body) {
            (Sender::Hybridbox(client), Body::Hybridbox(body)) => {
                let invited = match listed {
                    Some(listed) => {
                        let policy = InvitePolicy::default();
                        client
                            .invite_listed(account, body.clone(), listed, &policy)
                            .await
                    }
                    None => client.invite(account, body.clone()).await,
                };
                match invited {
                    Ok(invited) => Sent {
                        outcome: if invited.created() {
                            Outcome::Invited
                        } else {
                            Outcome::AlreadyInvited
                        },
                        reason: (!invited.created())
                            .then(|| "a pending invitation already existed".to_owned()),
                        id: Some(invited.invitation().id.to_string()),
                    },
                    Err(e) => failure(&e, &row.email, |_| None),
                }
            }
            (Sender::Automox(client), Body::Automox(body)) => {
                match client.invite(account, body.clone()).await {
                    Ok(created) => Sent {
                        outcome: Outcome::Invited,
                        reason: None,
                        id: created.first().map(|i| i.id.to_string()),
                    },
                    Err(e) => failure(&e, &row.email, |body: &automox::types::ErrorBody| {
                        Some(body.errors.join("; "))
                    }),
                }
            }
            _ => Sent {
                outcome: Outcome::Failed,
                reason: Some("the row was read for the other vendor".to_owned()),
                id: None,
            },
        }
    }
}

/// The outcome and reason of a failed `invite`.
fn failure<E: fmt::Debug>(
    error: &InviteError<E>,
    email: &str,
    body: impl Fn(&E) -> Option<String>,
) -> Sent {
    let detail = error.api_error().map(|e| detail(e, &body));
    let mut reason = error.to_string();
    if let Some(detail) = detail.filter(|d| !d.is_empty()) {
        reason = format!("{reason} ({detail})");
    }
    let outcome = if error.maybe_invited() {
        reason = match error.vendor() {
            Vendor::Automox => format!(
                "{reason}; check the account's invitations for {email} in the Automox console \
                 before inviting again: a rerun does not send this row"
            ),
            Vendor::Hybridbox => {
                format!("{reason}; run the same command again: it lists before it creates")
            }
        };
        Outcome::Unknown
    } else {
        Outcome::Failed
    };
    Sent {
        outcome,
        reason: Some(one_line(&reason)),
        id: None,
    }
}

/// The status, the vendor's error text, or the transport failure's causes.
fn detail<E: fmt::Debug>(
    error: &invitations::Error<E>,
    body: &impl Fn(&E) -> Option<String>,
) -> String {
    use invitations::Error;
    match error {
        Error::ErrorResponse(response) => {
            let mut text = format!("status {}", response.status().as_u16());
            if let Some(errors) = body(response).filter(|e| !e.is_empty()) {
                text = format!("{text}: {errors}");
            }
            text
        }
        Error::UnexpectedResponse(response) => {
            let mut text = format!("status {}", response.status().as_u16());
            if let Some(excerpt) = error.body_excerpt().filter(|e| !e.is_empty()) {
                text = format!("{text}: {excerpt}");
            }
            text
        }
        Error::CommunicationError(e) => super::error_chain(e),
        other => super::error_chain(other),
    }
}

/// `text` on one line, control characters escaped, at most 500 characters.
fn one_line(text: &str) -> String {
    let escaped = crate::codegen::escape_controls(text);
    if escaped.chars().count() > 500 {
        let cut: String = escaped.chars().take(500).collect();
        format!("{cut}…")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn credentials_come_from_the_documented_variables() {
        let none = env(&[]);
        for vendor in [Vendor::Hybridbox, Vendor::Automox] {
            let e = Sender::new(vendor, &Connection::new(), &none).unwrap_err();
            assert!(matches!(e, SetupError::NoCredentials { .. }), "{e}");
        }
        let ok = [
            (Vendor::Hybridbox, env(&[(HYBRIDBOX_TOKEN, "t")])),
            (
                Vendor::Hybridbox,
                env(&[(HYBRIDBOX_CLIENT_ID, "i"), (HYBRIDBOX_CLIENT_SECRET, "s")]),
            ),
            (Vendor::Automox, env(&[(AUTOMOX_API_KEY, "k")])),
        ];
        for (vendor, vars) in ok {
            assert!(Sender::new(vendor, &Connection::new(), &vars).is_ok());
        }
        let blank = env(&[(AUTOMOX_API_KEY, "  ")]);
        assert!(Sender::new(Vendor::Automox, &Connection::new(), &blank).is_err());
    }

    /// Issue 25: with one of the client id and secret, the error names the
    /// one missing (an empty value counts as missing).
    #[test]
    fn half_of_the_client_credentials_names_the_other_half() {
        for (vars, missing, set) in [
            (
                env(&[(HYBRIDBOX_CLIENT_ID, "x")]),
                HYBRIDBOX_CLIENT_SECRET,
                HYBRIDBOX_CLIENT_ID,
            ),
            (
                env(&[(HYBRIDBOX_CLIENT_ID, "x"), (HYBRIDBOX_CLIENT_SECRET, " ")]),
                HYBRIDBOX_CLIENT_SECRET,
                HYBRIDBOX_CLIENT_ID,
            ),
            (
                env(&[(HYBRIDBOX_CLIENT_SECRET, "s")]),
                HYBRIDBOX_CLIENT_ID,
                HYBRIDBOX_CLIENT_SECRET,
            ),
        ] {
            let e = Sender::new(Vendor::Hybridbox, &Connection::new(), &vars).unwrap_err();
            assert!(
                matches!(e, SetupError::IncompleteCredentials { missing: m, set: s, .. }
                    if m == missing && s == set),
                "{e:?}"
            );
            assert_eq!(
                e.to_string(),
                format!(
                    "incomplete credentials in the environment: {missing} is not set ({set} is): \
                     set both, or HYBRIDBOX_TOKEN"
                )
            );
        }
    }

    /// What a dry run checks: the base URL a run refuses, with no
    /// credentials in the environment.
    #[test]
    fn a_check_refuses_the_base_urls_a_run_refuses_without_credentials() {
        for vendor in [Vendor::Hybridbox, Vendor::Automox] {
            for (url, expected) in [
                ("ftp://example.com", "must start with http:// or https://"),
                ("not a url", "is not a valid absolute url"),
                ("https://example.com/?x=1", "has a query"),
                (
                    "http://example.com",
                    "refusing to send credentials over plain http",
                ),
            ] {
                let connection = Connection {
                    base_url: Some(url.to_owned()),
                    ..Connection::new()
                };
                let e = Sender::check(vendor, &connection).unwrap_err();
                let chain = crate::bulk::error_chain(&e);
                assert!(chain.contains(expected), "{vendor} {url}: {chain}");
                let run = Sender::new(vendor, &connection, &env(&[(token_variable(vendor), "t")]));
                assert!(matches!(run, Err(SetupError::Build(_))), "{vendor} {url}");
            }
            for url in ["https://example.com/api", "http://127.0.0.1:9"] {
                let connection = Connection {
                    base_url: Some(url.to_owned()),
                    ..Connection::new()
                };
                assert!(Sender::check(vendor, &connection).is_ok(), "{vendor} {url}");
            }
        }
    }

    #[test]
    fn reasons_stay_on_one_line() {
        assert_eq!(one_line("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(one_line(&"x".repeat(600)).chars().count(), 501);
    }
}
