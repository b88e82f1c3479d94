//! The OAuth client-credentials token source against a real token endpoint
//! on 127.0.0.1 (the tiny HTTP server of `common/server.rs`, whose answers
//! each test scripts: status, body, holding an answer until the test
//! releases it) —
//! refresh in the background, outages, one shared outcome for concurrent
//! waiters, bounds on what the endpoint sends, extra root certificates and
//! tokens that cannot be sent.
//!
//! Every assertion is about counts and outcomes. Where the token has to age,
//! tokio's clock jumps ahead (`jump`) while nothing is waiting on a timer.

mod common;
#[path = "common/server.rs"]
mod server;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{chain, fast_retries, hybridbox_create, test_tls};
use invitations::{Auth, AuthError, ClientCredentials, SecretToken, TokenSource, hybridbox};
use server::{Body, HANG_GUARD, Hold, Reply, Server, gate};

const TOKEN_PATH: &str = "/realms/hybridbox/protocol/openid-connect/token";

/// Credentials for `server`'s token endpoint.
fn credentials(server: &Server) -> ClientCredentials {
    ClientCredentials::new("svc", "s3cret").token_endpoint(format!("{}{TOKEN_PATH}", server.url))
}

/// A token source the test keeps a handle on while a client uses it.
#[derive(Debug, Clone)]
struct Shared(Arc<ClientCredentials>);

impl TokenSource for Shared {
    fn token(&self) -> invitations::BoxFuture<'_, Result<SecretToken, AuthError>> {
        self.0.token()
    }

    fn invalidate<'a>(&'a self, rejected: &'a SecretToken) -> invitations::BoxFuture<'a, ()> {
        self.0.invalidate(rejected)
    }

    fn trust_root_certificates(&self, pems: &[Vec<u8>]) {
        self.0.trust_root_certificates(pems);
    }
}

/// A Hybridbox API on 127.0.0.1 answering with `script`.
async fn api(script: Vec<Reply>) -> Server {
    Server::start(script).await
}

fn created() -> Reply {
    Reply::json(201, common::hybridbox_invitation())
}

fn client(api: &Server, auth: Auth) -> hybridbox::Client {
    hybridbox::Client::builder()
        .base_url(&api.url)
        .auth(auth)
        .retry(fast_retries())
        .build()
        .unwrap()
}

/// Moves tokio's clock ahead by `by` (nothing may be waiting on a timer).
async fn jump(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

/// Waits until `done` holds, checking every few milliseconds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let guard = tokio::time::Instant::now() + HANG_GUARD;
    while !done() {
        assert!(
            tokio::time::Instant::now() < guard,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The error a token request failed with, as shared by its waiters.
fn shared_cause(error: &AuthError) -> &Arc<AuthError> {
    match error {
        AuthError::TokenUnavailable { source, .. } => source,
        other => panic!("expected TokenUnavailable, got {other:?}"),
    }
}

fn secret(result: Result<SecretToken, AuthError>) -> String {
    result.unwrap().expose_secret().to_owned()
}

#[tokio::test]
async fn a_refresh_in_the_background_does_not_hold_up_calls() {
    let release = gate();
    let keycloak = Server::start(vec![
        Reply::token("T1", 600),
        Reply::token("T2", 600).held(&release),
    ])
    .await;
    let source = Arc::new(credentials(&keycloak));
    assert_eq!(secret(source.token().await), "T1");
    // 571 s later the token is in its refresh window (30 s before expiry).
    jump(Duration::from_secs(571)).await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let source = source.clone();
        calls.spawn(async move { secret(source.token().await) });
    }
    let tokens = calls.join_all().await;
    // All returned while the endpoint still held its answer.
    assert_eq!(tokens, vec!["T1"; 50]);
    assert_eq!(keycloak.answered(), 1);
    until("the refresh reaches the endpoint", || {
        keycloak.arrived() == 2
    })
    .await;
    for _ in 0..50 {
        assert_eq!(secret(source.token().await), "T1");
    }
    assert_eq!(keycloak.arrived(), 2, "one token request for all the calls");
    release.send_replace(true);
    until("the refresh is answered", || keycloak.answered() == 2).await;
    loop {
        if secret(source.token().await) == "T2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(keycloak.arrived(), 2);
}

#[tokio::test]
async fn an_outage_shorter_than_the_tokens_life_fails_no_call() {
    let keycloak = Server::start(vec![Reply::token("T1", 600), Reply::status(503)]).await;
    let source = credentials(&keycloak);
    assert_eq!(secret(source.token().await), "T1");
    jump(Duration::from_secs(571)).await;
    // The refresh this call starts fails; the outage has begun.
    assert_eq!(secret(source.token().await), "T1");
    until("the refresh fails", || keycloak.answered() == 2).await;
    let began = std::time::Instant::now();
    for _ in 0..200 {
        assert_eq!(secret(source.token().await), "T1");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = began.elapsed().as_secs();
    let outage_requests = keycloak.arrived() as u64 - 1;
    // Backoff: at most one token request a second (1 s, 2 s, 4 s … apart),
    // however many calls were made.
    assert!(
        (1..=2 + elapsed).contains(&outage_requests),
        "{outage_requests} token requests in {elapsed} s"
    );
}

#[tokio::test]
async fn concurrent_waiters_share_one_failed_token_request() {
    let release = gate();
    let keycloak = Server::start(vec![Reply::status(500).held(&release)]).await;
    let source = Arc::new(credentials(&keycloak));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let source = source.clone();
        calls.spawn(async move { source.token().await });
    }
    until("the token request arrives", || keycloak.arrived() == 1).await;
    release.send_replace(true);
    let errors: Vec<AuthError> = calls
        .join_all()
        .await
        .into_iter()
        .map(Result::unwrap_err)
        .collect();
    assert_eq!(keycloak.arrived(), 1);
    assert_eq!(errors.len(), 20);
    let first = shared_cause(&errors[0]);
    assert!(
        matches!(**first, AuthError::TokenRefused { status: 500, .. }),
        "{first:?}"
    );
    for error in &errors {
        assert!(
            Arc::ptr_eq(shared_cause(error), first),
            "one shared outcome"
        );
    }
    // In backoff: the next caller gets the error without a new request.
    let again = source.token().await.unwrap_err();
    assert!(Arc::ptr_eq(shared_cause(&again), first));
    assert_eq!(keycloak.arrived(), 1);
}

#[tokio::test]
async fn a_hanging_token_endpoint_gives_all_waiters_its_one_outcome() {
    let keycloak = Server::start(vec![Reply {
        hold: Hold::Forever,
        ..Reply::token("never", 600)
    }])
    .await;
    let source = Arc::new(credentials(&keycloak).timeout(Duration::from_millis(300)));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let source = source.clone();
        calls.spawn(async move { source.token().await });
    }
    let errors: Vec<AuthError> = calls
        .join_all()
        .await
        .into_iter()
        .map(Result::unwrap_err)
        .collect();
    assert_eq!(keycloak.arrived(), 1, "one token request");
    let first = shared_cause(&errors[0]);
    match &**first {
        AuthError::TokenRequest { source, .. } => assert!(source.is_timeout(), "{source:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    for error in &errors {
        assert!(
            Arc::ptr_eq(shared_cause(error), first),
            "one shared outcome"
        );
    }
}

#[tokio::test]
async fn a_retry_carries_the_token_refreshed_meanwhile() {
    let keycloak = Server::start(vec![Reply::token("T1", 600), Reply::token("T2", 600)]).await;
    let release = gate();
    let api = api(vec![Reply::status(503).held(&release), created()]).await;
    let source = Arc::new(credentials(&keycloak));
    let client = client(&api, Auth::source(Shared(source.clone())));
    assert_eq!(secret(source.token().await), "T1");
    jump(Duration::from_secs(571)).await;
    // The first attempt carries T1 and starts a refresh in the background;
    // the API holds it (then answers 503) until T2 has arrived.
    let call = tokio::spawn(async move { hybridbox_create(&client).await.map(drop) });
    until("the first attempt arrives", || api.arrived() == 1).await;
    while secret(source.token().await) != "T2" {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    release.send_replace(true);
    call.await.unwrap().unwrap();
    assert_eq!(
        api.authorization(),
        [Some("Bearer T1".to_owned()), Some("Bearer T2".to_owned())]
    );
    assert_eq!(keycloak.arrived(), 2);
}

#[tokio::test]
async fn an_endless_expires_in_does_not_panic_and_is_capped_at_a_day() {
    let keycloak = Server::start(vec![Reply::token("T1", u64::MAX), Reply::token("T2", 60)]).await;
    let source = credentials(&keycloak);
    assert_eq!(secret(source.token().await), "T1");
    assert_eq!(secret(source.token().await), "T1");
    assert_eq!(keycloak.arrived(), 1);
    jump(Duration::from_secs(25 * 60 * 60)).await;
    assert_eq!(secret(source.token().await), "T2", "expired after a day");
    assert_eq!(keycloak.arrived(), 2);
}

#[tokio::test]
async fn a_token_that_expires_at_once_is_used_for_a_second() {
    let keycloak = Server::start(vec![Reply::token("T0", 0)]).await;
    let source = credentials(&keycloak);
    let began = std::time::Instant::now();
    for _ in 0..100 {
        assert_eq!(secret(source.token().await), "T0");
    }
    let elapsed = began.elapsed().as_secs();
    // At most one token request a second: 1 (or 2 across a second's end).
    let requests = keycloak.arrived() as u64;
    assert!(
        (1..=2 + elapsed).contains(&requests),
        "{requests} token requests in {elapsed} s"
    );
}

#[tokio::test]
async fn an_endless_token_response_is_cut_off_at_64_kib() {
    const TOTAL: u64 = 200 * 1024 * 1024;
    let keycloak = Server::start(vec![Reply {
        body: Body::Endless(TOTAL),
        ..Reply::status(200)
    }])
    .await;
    let error = credentials(&keycloak).token().await.unwrap_err();
    assert!(
        matches!(
            **shared_cause(&error),
            AuthError::TokenResponseTooLarge { limit: 65536, .. }
        ),
        "{error:?}"
    );
    until("the endpoint stops writing", || {
        keycloak.stats.streams_ended.load(Ordering::SeqCst) == 1
    })
    .await;
    let written = keycloak.stats.written.load(Ordering::SeqCst);
    assert!(written < TOTAL / 4, "{written} bytes written");
}

#[tokio::test]
async fn a_line_break_in_the_error_description_is_escaped() {
    let keycloak = Server::start(vec![Reply::json(
        400,
        serde_json::json!({
            "error": "invalid_client",
            "error_description": "bad\nlevel=ERROR forged line",
        }),
    )])
    .await;
    let error = credentials(&keycloak).token().await.unwrap_err();
    let message = chain(&error);
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.contains(r"invalid_client (bad\nlevel=ERROR forged line)"),
        "{message}"
    );
}

#[tokio::test]
async fn extra_roots_reach_the_token_endpoint() {
    let (acceptor, ca_pem) = test_tls("invitations token endpoint");
    let keycloak = Server::start_with(vec![Reply::token("T1", 600)], Some(acceptor)).await;
    let api = api(vec![created()]).await;
    let client = hybridbox::Client::builder()
        .base_url(&api.url)
        .auth(Auth::source(credentials(&keycloak)))
        .add_root_certificate_pem(&ca_pem)
        .build()
        .unwrap();
    if let Err(error) = hybridbox_create(&client).await {
        panic!("{}", chain(&error));
    }
    assert_eq!(keycloak.arrived(), 1);
    assert_eq!(api.authorization(), [Some("Bearer T1".to_owned())]);
}

#[tokio::test]
async fn a_token_that_is_not_a_header_value_is_an_error_and_not_kept() {
    let keycloak = Server::start(vec![
        Reply::token("bad\ntoken", 300),
        Reply::token("good", 300),
    ])
    .await;
    let api = api(vec![created()]).await;
    let client = client(&api, Auth::source(credentials(&keycloak)));
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(error, hybridbox::Error::NotSent { .. }),
        "{error:?}"
    );
    let message = chain(&error);
    assert!(
        message.contains("not a valid authorization header value"),
        "{message}"
    );
    assert_eq!(api.arrived(), 0, "nothing sent");
    // After the backoff, a new token is asked for: the bad one was not kept.
    jump(Duration::from_secs(2)).await;
    hybridbox_create(&client).await.unwrap();
    assert_eq!(keycloak.arrived(), 2);
    assert_eq!(api.authorization(), [Some("Bearer good".to_owned())]);
}
