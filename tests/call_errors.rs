//! The facade's own failures reach the caller as typed variants of
//! `invitations::Error`: each test matches on the error a call returns, never
//! on its text. The API is the server of `common/server.rs` on 127.0.0.1,
//! on the test's own runtime; tokens come from a source scripted here.
//!
//! Where time matters it is tokio's clock, paused: from the start when no
//! request reaches the network before the wait under test, or from inside
//! the token renewal (after the 401 has arrived) when one does, so that no
//! timer fires while a request is on the wire.

mod common;
#[path = "common/server.rs"]
mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{ACCOUNT, automox_create, hybridbox_create};
use invitations::{
    Auth, AuthError, BodyTooLarge, BoxFuture, Error, InviteError, RetryPolicy, SecretToken,
    TokenSource, Waiting, automox, hybridbox,
};
use server::{Body, Hold, Reply, Server};
use tokio::time::Instant;

/// The deadline of the calls that have one.
const DEADLINE: Duration = Duration::from_secs(1);

/// A token source scripted by the test: the first token (or a failure)
/// after `first_wait`, and after an `invalidate` the renewed one (or a
/// failure) after `renewal_wait`, both on tokio's clock.
#[derive(Debug, Default)]
struct Scripted {
    first_wait: Duration,
    first: Option<&'static str>,
    renewal_wait: Duration,
    renewal: Option<&'static str>,
    /// Pause tokio's clock when the renewal starts: the 401 is in, only
    /// waiting is left.
    pause_on_renewal: bool,
    invalidated: AtomicBool,
    /// Renewals that ran to their end.
    renewed: Arc<AtomicUsize>,
}

/// What the scripted token endpoint says when it fails.
fn refused() -> AuthError {
    AuthError::TokenRefused {
        endpoint: "https://auth.example.com/token".to_owned(),
        status: 503,
        reason: None,
    }
}

impl TokenSource for Scripted {
    fn token(&self) -> BoxFuture<'_, Result<SecretToken, AuthError>> {
        Box::pin(async move {
            if !self.invalidated.load(Ordering::SeqCst) {
                tokio::time::sleep(self.first_wait).await;
                return self.first.map(SecretToken::new).ok_or_else(refused);
            }
            if self.pause_on_renewal {
                tokio::time::pause();
            }
            tokio::time::sleep(self.renewal_wait).await;
            self.renewed.fetch_add(1, Ordering::SeqCst);
            self.renewal.map(SecretToken::new).ok_or_else(refused)
        })
    }

    fn invalidate<'a>(&'a self, _rejected: &'a SecretToken) -> BoxFuture<'a, ()> {
        self.invalidated.store(true, Ordering::SeqCst);
        Box::pin(async {})
    }
}

fn hybridbox_client(server: &Server, auth: Auth, retry: RetryPolicy) -> hybridbox::Client {
    hybridbox::Client::builder()
        .base_url(&server.url)
        .auth(auth)
        .retry(retry)
        .build()
        .unwrap()
}

fn created() -> Reply {
    Reply::json(201, common::hybridbox_invitation())
}

#[tokio::test(start_paused = true)]
async fn a_deadline_passed_waiting_for_a_token_sends_nothing() {
    let server = Server::start(vec![created()]).await;
    let source = Scripted {
        first_wait: Duration::from_secs(10),
        first: Some("tok"),
        ..Scripted::default()
    };
    let client = hybridbox_client(
        &server,
        Auth::source(source),
        RetryPolicy::default().deadline(DEADLINE),
    );
    let start = Instant::now();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::DeadlinePassed {
                waiting_for: Waiting::Token
            }
        ),
        "{error:?}"
    );
    let elapsed = start.elapsed();
    assert!(
        elapsed >= DEADLINE && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
    assert_eq!(server.arrived(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_passed_waiting_for_the_answer_may_have_acted() {
    let server = Server::start(vec![Reply {
        hold: Hold::Forever,
        ..created()
    }])
    .await;
    let client = hybridbox_client(
        &server,
        Auth::bearer(common::TOKEN),
        RetryPolicy::default().deadline(DEADLINE),
    );
    let start = Instant::now();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::DeadlinePassed {
                waiting_for: Waiting::Answer
            }
        ),
        "{error:?}"
    );
    assert!(start.elapsed() >= DEADLINE, "{:?}", start.elapsed());
}

/// A 1 s deadline and a token renewal that takes 3 s after a 401: the call
/// ends at the deadline, with the 401's status, and the renewal is given up.
#[tokio::test]
async fn the_deadline_covers_a_slow_token_renewal_after_a_401() {
    let server = Server::start(vec![Reply::status(401), created()]).await;
    let renewed = Arc::new(AtomicUsize::new(0));
    let source = Scripted {
        first: Some("tok-old"),
        renewal_wait: Duration::from_secs(3),
        renewal: Some("tok-new"),
        pause_on_renewal: true,
        renewed: renewed.clone(),
        ..Scripted::default()
    };
    let client = hybridbox_client(
        &server,
        Auth::source(source),
        RetryPolicy::default().deadline(DEADLINE),
    );
    let start = Instant::now();
    let error = hybridbox_create(&client).await.unwrap_err();
    let elapsed = start.elapsed();
    let Error::DeadlinePassed {
        waiting_for: Waiting::TokenRenewal { status },
    } = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(status, 401);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert!(
        elapsed >= DEADLINE && elapsed < Duration::from_secs(3),
        "{elapsed:?} on tokio's clock"
    );
    assert_eq!(
        renewed.load(Ordering::SeqCst),
        0,
        "the renewal was given up"
    );
    assert_eq!(server.arrived(), 1, "not repeated");
}

#[tokio::test]
async fn a_failed_token_renewal_keeps_the_401_and_the_auth_error() {
    let server = Server::start(vec![Reply::status(401)]).await;
    let source = Scripted {
        first: Some("tok-old"),
        renewal: None,
        ..Scripted::default()
    };
    let client = hybridbox_client(&server, Auth::source(source), RetryPolicy::none());
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::TokenRenewalFailed {
                status,
                source: AuthError::TokenRefused { status: 503, .. },
            } if status == 401
        ),
        "{error:?}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert!(std::error::Error::source(&error).is_some_and(|s| s.is::<AuthError>()));
    assert_eq!(server.arrived(), 1, "not repeated");
}

/// A 429 with `Retry-After: 30` pauses the whole client; the next call,
/// whose deadline comes first, is not sent and says how long it would wait.
#[tokio::test]
async fn a_throttle_wait_past_the_deadline_is_not_started() {
    let server = Server::start(vec![Reply::status(429).header("retry-after", "30")]).await;
    let client = hybridbox_client(
        &server,
        Auth::bearer(common::TOKEN),
        RetryPolicy::none().deadline(Duration::from_secs(5)),
    );
    let first = hybridbox_create(&client).await.unwrap_err();
    assert_eq!(first.status().map(|s| s.as_u16()), Some(429));
    let error = hybridbox_create(&client).await.unwrap_err();
    let Error::Throttled { wait } = error else {
        panic!("{error:?}");
    };
    assert!(
        wait > Duration::from_secs(5) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    assert_eq!(server.arrived(), 1, "the second call sent nothing");
}

#[tokio::test]
async fn a_body_over_the_cap_is_body_too_large_with_its_status() {
    let server = Server::start(vec![Reply {
        body: Body::Endless(64 * 1024 * 1024),
        ..Reply::status(201)
    }])
    .await;
    let client = hybridbox::Client::builder()
        .base_url(&server.url)
        .retry(RetryPolicy::none())
        .max_response_body(64 * 1024)
        .build()
        .unwrap();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::BodyTooLarge {
                status,
                source: BodyTooLarge { limit: 65_536 },
            } if status == 201
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_request_without_credentials_is_never_sent() {
    let server = Server::start(vec![created()]).await;
    let source = Scripted {
        first: None,
        ..Scripted::default()
    };
    let client = hybridbox_client(&server, Auth::source(source), RetryPolicy::none());
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::NotSent {
                source: AuthError::TokenRefused { status: 503, .. }
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.status(), None);
    assert_eq!(server.arrived(), 0);
}

/// `invite` tells the typed failures apart: a create never sent or refused
/// with a 401 is `NotInvited`; one whose answer did not come in time is
/// `MaybeInvited`.
#[tokio::test]
async fn invite_judges_the_typed_failures() {
    let refused = Server::start(vec![Reply::status(401)]).await;
    let source = Scripted {
        first: Some("tok-old"),
        ..Scripted::default()
    };
    let client = automox::Client::builder()
        .base_url(&refused.url)
        .auth(Auth::source(source))
        .build()
        .unwrap();
    let error = client.invite(ACCOUNT, automox_body()).await.unwrap_err();
    assert!(
        matches!(
            error,
            InviteError::NotInvited { ref source, .. }
                if matches!(**source, Error::TokenRenewalFailed { .. })
        ),
        "{error:?}"
    );

    // From here only the deadline ends the wait.
    tokio::time::pause();
    let silent = Server::start(vec![Reply {
        hold: Hold::Forever,
        ..Reply::status(201)
    }])
    .await;
    let client = automox::Client::builder()
        .base_url(&silent.url)
        .auth(Auth::bearer(common::TOKEN))
        .retry(RetryPolicy::default().deadline(DEADLINE))
        .build()
        .unwrap();
    let error = client.invite(ACCOUNT, automox_body()).await.unwrap_err();
    assert!(error.maybe_invited(), "{error:?}");
    assert!(
        matches!(
            error.api_error(),
            Some(Error::DeadlinePassed {
                waiting_for: Waiting::Answer
            })
        ),
        "{error:?}"
    );
    // The plain create gives the same typed error.
    let error = automox_create(&client).await.unwrap_err();
    assert!(
        matches!(error, automox::Error::DeadlinePassed { .. }),
        "{error:?}"
    );
}

fn automox_body() -> automox::types::builder::CreateInvitationRequest {
    automox::types::CreateInvitationRequest::builder()
        .email("ada@example.com")
        .account_rbac_role(automox::types::AccountRbacRole::NoGlobalAccess)
}
