//! Credentials against real local servers (wiremock on 127.0.0.1): the
//! bearer header, the OAuth client-credentials source (one token request for
//! many callers, refresh before expiry, one refresh and one repeat on a 401),
//! and errors that name what is missing.

mod common;

use std::time::Duration;

use common::*;
use invitations::{Auth, AuthError, ClientCredentials, RetryPolicy, hybridbox};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN_PATH: &str = "/realms/hybridbox/protocol/openid-connect/token";

fn token_response(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": token,
        "expires_in": expires_in,
        "token_type": "Bearer",
    }))
}

/// A Keycloak stand-in that issues `tokens` in order (the last repeating).
async fn keycloak(tokens: &[&str], expires_in: u64) -> MockServer {
    let server = MockServer::start().await;
    let (script, _) = Script::new(
        tokens
            .iter()
            .map(|t| token_response(t, expires_in))
            .collect(),
    );
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=svc"))
        .and(body_string_contains("client_secret=s3cret"))
        .respond_with(script)
        .mount(&server)
        .await;
    server
}

fn credentials(keycloak: &MockServer) -> ClientCredentials {
    ClientCredentials::new("svc", "s3cret")
        .token_endpoint(format!("{}{TOKEN_PATH}", keycloak.uri()))
}

/// A Hybridbox API that accepts only `token`, and answers 401 otherwise.
async fn api_accepting(token: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(hybridbox_path()))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(hybridbox_invitation()))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(hybridbox_path()))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

fn client_with(api: &MockServer, auth: Auth) -> hybridbox::Client {
    hybridbox::Client::builder()
        .base_url(api.uri())
        .auth(auth)
        .retry(fast_retries())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_bearer_token_is_sent_and_api_version_is_not() {
    let api = api_accepting(TOKEN).await;
    let client = hybridbox_client(&api.uri(), RetryPolicy::none());
    hybridbox_create(&client).await.unwrap();
    let requests = api.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].headers.contains_key("api-version"));
    let agent = requests[0].headers["user-agent"].to_str().unwrap();
    assert_eq!(agent, concat!("invitations/", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn many_concurrent_callers_cause_one_token_request() {
    let keycloak = keycloak(&["tok-1"], 300).await;
    let api = api_accepting("tok-1").await;
    let client = client_with(&api, Auth::source(credentials(&keycloak)));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let client = client.clone();
        calls.spawn(async move { hybridbox_create(&client).await.map(|_| ()) });
    }
    while let Some(result) = calls.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(received(&keycloak).await, 1);
    assert_eq!(received(&api).await, 20);
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_repeats_the_request_once() {
    // The realm first issues a token the API no longer accepts.
    let keycloak = keycloak(&["tok-revoked", "tok-fresh"], 300).await;
    let api = api_accepting("tok-fresh").await;
    let client = client_with(&api, Auth::source(credentials(&keycloak)));
    hybridbox_create(&client).await.unwrap();
    assert_eq!(received(&keycloak).await, 2);
    assert_eq!(received(&api).await, 2);
    // The fresh token is cached for the next call.
    hybridbox_create(&client).await.unwrap();
    assert_eq!(received(&keycloak).await, 2);
    assert_eq!(received(&api).await, 3);
}

#[tokio::test]
async fn a_401_that_persists_after_the_refresh_is_returned() {
    let keycloak = keycloak(&["tok-a", "tok-b", "tok-c"], 300).await;
    let api = api_accepting("tok-never").await;
    let client = client_with(&api, Auth::source(credentials(&keycloak)));
    let err = hybridbox_create(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(received(&keycloak).await, 2, "one refresh, not more");
    assert_eq!(received(&api).await, 2, "one repeat, not more");
}

#[tokio::test]
async fn a_401_with_a_fixed_token_is_returned_without_repeating() {
    let api = api_accepting("another-token").await;
    let client = hybridbox_client(&api.uri(), fast_retries());
    let err = hybridbox_create(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(received(&api).await, 1);
}

#[tokio::test]
async fn tokens_are_fetched_again_before_they_expire() {
    // Valid for 600 s, replaced 30 s before: at 570 s on tokio's clock.
    let keycloak = keycloak(&["tok-1", "tok-2"], 600).await;
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(hybridbox_invitation()))
        .mount(&api)
        .await;
    let client = client_with(&api, Auth::source(credentials(&keycloak)));
    hybridbox_create(&client).await.unwrap();
    hybridbox_create(&client).await.unwrap();
    assert_eq!(received(&keycloak).await, 1);
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(569)).await;
    tokio::time::resume();
    hybridbox_create(&client).await.unwrap();
    assert_eq!(received(&keycloak).await, 1, "replaced too early");
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(2)).await;
    tokio::time::resume();
    // In the refresh window the call does not wait: it carries tok-1 and
    // starts one token request in the background; later calls carry tok-2.
    hybridbox_create(&client).await.unwrap();
    let mut calls = 4;
    loop {
        let requests = api.received_requests().await.unwrap();
        assert_eq!(requests.len(), calls);
        assert_eq!(requests[2].headers["authorization"], "Bearer tok-1");
        assert_eq!(requests[3].headers["authorization"], "Bearer tok-1");
        if requests[calls - 1].headers["authorization"] == "Bearer tok-2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        hybridbox_create(&client).await.unwrap();
        calls += 1;
    }
    assert_eq!(
        received(&keycloak).await,
        2,
        "one refresh for all the calls"
    );
}

#[tokio::test]
async fn a_refused_token_request_fails_the_call_before_it_is_sent() {
    let keycloak = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "unauthorized_client",
            "error_description": "Invalid client or Invalid client credentials",
        })))
        .mount(&keycloak)
        .await;
    let api = api_accepting("tok").await;
    let client = client_with(&api, Auth::source(credentials(&keycloak)));
    let err = hybridbox_create(&client).await.unwrap_err();
    assert!(matches!(err, hybridbox::Error::NotSent { .. }), "{err:?}");
    let message = chain(&err);
    assert!(
        message.contains("refused with status 401")
            && message
                .contains("unauthorized_client (Invalid client or Invalid client credentials)"),
        "{message}"
    );
    assert!(!message.contains("s3cret"));
    assert_eq!(received(&api).await, 0);
}

#[tokio::test]
async fn the_client_secret_is_not_sent_over_plain_http_to_a_remote_host() {
    let source =
        ClientCredentials::new("svc", "s3cret").token_endpoint("http://auth.example.com/token");
    let err = invitations::TokenSource::token(&source).await.unwrap_err();
    assert!(matches!(err, AuthError::InvalidEndpoint { .. }));
    assert_eq!(
        err.to_string(),
        "token endpoint http://auth.example.com/token is plain http to a host that is not loopback; the client secret goes only over https"
    );
}

#[test]
fn from_env_names_a_missing_variable() {
    let err = Auth::from_env("INVITATIONS_TEST_NO_SUCH_TOKEN_VARIABLE").unwrap_err();
    assert!(
        matches!(err, AuthError::MissingVariable { ref var, .. } if var == "INVITATIONS_TEST_NO_SUCH_TOKEN_VARIABLE")
    );
    assert!(
        err.to_string()
            .contains("INVITATIONS_TEST_NO_SUCH_TOKEN_VARIABLE is not set")
    );
}

#[tokio::test]
async fn a_failed_renewal_after_a_401_is_the_calls_error() {
    let keycloak = MockServer::start().await;
    let (script, _) = Script::new(vec![
        token_response("tok-old", 300),
        ResponseTemplate::new(503),
    ]);
    Mock::given(method("POST"))
        .respond_with(script)
        .mount(&keycloak)
        .await;
    let api = api_accepting("tok-new").await;
    let client = client_with(&api, Auth::source(credentials(&keycloak)));
    let err = hybridbox_create(&client).await.unwrap_err();
    // The 401 that caused the renewal, and why the renewal failed.
    let hybridbox::Error::TokenRenewalFailed { status, source } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*status, 401);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let message = chain(source);
    assert!(message.contains("refused with status 503"), "{message}");
    assert_eq!(received(&api).await, 1);
    assert_eq!(received(&keycloak).await, 2);
}
