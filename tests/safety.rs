//! Safety: tokens never printed or logged, never sent over plain HTTP to a
//! remote host or across origins on a redirect, and bad input refused before
//! anything reaches the server (wiremock on 127.0.0.1).

mod common;

use common::*;
use invitations::{
    Auth, BuildError, ClientCredentials, RetryPolicy, TokenSource, automox, hybridbox,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_SECRET: &str = "client-SECRET-77e0b2";

/// `value` formatted every way a program might print it.
fn renderings(value: &(impl std::fmt::Debug + ?Sized)) -> String {
    format!("{value:?}\n{value:#?}")
}

/// An error's `Display`, `Debug` and every `source()` in its chain.
fn error_renderings(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("{error}\n{error:?}\n{error:#?}");
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(&format!("\n{e}\n{e:?}"));
        cause = e.source();
    }
    text
}

#[test]
fn a_token_is_refused_over_plain_http_to_a_remote_host() {
    let err = hybridbox::Client::builder()
        .base_url("http://api.hybridbox.io")
        .auth(Auth::bearer(TOKEN))
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::InsecureBaseUrl { .. }));
    assert_eq!(
        err.to_string(),
        "refusing to send credentials over plain http to \"http://api.hybridbox.io\": use https, or a loopback address for local tests"
    );
    // Loopback and https are fine; so is plain http without credentials.
    for url in [
        "http://127.0.0.1:9",
        "http://localhost:9",
        "https://api.hybridbox.io",
    ] {
        hybridbox::Client::builder()
            .base_url(url)
            .auth(Auth::bearer(TOKEN))
            .build()
            .unwrap();
    }
    hybridbox::Client::builder()
        .base_url("http://api.hybridbox.io")
        .build()
        .unwrap();
}

#[test]
fn bad_builder_settings_are_named() {
    let cases: [(Result<automox::Client, BuildError>, &str); 3] = [
        (
            automox::Client::builder()
                .base_url("console.automox.com/api")
                .build(),
            "base url \"console.automox.com/api\" is not a valid absolute url",
        ),
        (
            automox::Client::builder()
                .base_url("ftp://127.0.0.1/api")
                .build(),
            "base url \"ftp://127.0.0.1/api\" must start with http:// or https://",
        ),
        (
            automox::Client::builder().user_agent("bad\nagent").build(),
            "user agent is not a valid header value",
        ),
    ];
    for (result, message) in cases {
        assert_eq!(result.unwrap_err().to_string(), message);
    }
}

#[test]
fn defaults_are_the_vendors_base_urls() {
    use invitations::hybridbox::ClientInfo as _;
    let hybridbox = hybridbox::Client::builder().build().unwrap();
    assert_eq!(hybridbox.baseurl(), "https://api.hybridbox.io");
    let automox = automox::Client::builder().build().unwrap();
    assert_eq!(automox.baseurl(), "https://console.automox.com/api");
    // A trailing slash would double the slash before every path.
    let local = automox::Client::builder()
        .base_url("http://127.0.0.1:8080/api/")
        .build()
        .unwrap();
    assert_eq!(local.baseurl(), "http://127.0.0.1:8080/api");
}

/// A server whose `/start` redirects to `target` (same or other origin).
async fn redirecting_to(server: &MockServer, target: String) {
    Mock::given(method("GET"))
        .and(path(hybridbox_path()))
        .respond_with(ResponseTemplate::new(302).insert_header("location", target.as_str()))
        .mount(server)
        .await;
}

async fn landing(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/landing"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![hybridbox_invitation()]))
        .mount(server)
        .await;
}

/// A redirect to another origin is not followed at all (neither the token
/// nor a request body reaches it; see also tests/hardening.rs): the caller
/// gets the redirect as the response.
#[tokio::test]
async fn a_redirect_to_another_origin_does_not_carry_the_token() {
    let first = MockServer::start().await;
    let other = MockServer::start().await;
    redirecting_to(&first, format!("{}/landing", other.uri())).await;
    landing(&other).await;
    let client = hybridbox_client(&first.uri(), RetryPolicy::none());
    let error = hybridbox_list(&client).await.unwrap_err();
    assert!(
        error.status().is_some_and(|s| s.is_redirection()),
        "{error}"
    );
    let first_requests = first.received_requests().await.unwrap();
    assert_eq!(
        first_requests[0].headers["authorization"],
        format!("Bearer {TOKEN}").as_str()
    );
    assert_eq!(other.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_redirect_within_the_origin_keeps_the_token() {
    let server = MockServer::start().await;
    redirecting_to(&server, format!("{}/landing", server.uri())).await;
    landing(&server).await;
    let client = hybridbox_client(&server.uri(), RetryPolicy::none());
    hybridbox_list(&client).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].headers["authorization"],
        format!("Bearer {TOKEN}").as_str()
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let hybridbox = hybridbox_client(&server.uri(), RetryPolicy::none());
    let automox = automox_client(&server.uri(), RetryPolicy::none());
    let request = || hybridbox::types::CreateInvitationRequest::builder().email("ada@example.com");
    let cases = [
        (
            hybridbox
                .create_invitation()
                .account_id("not-a-uuid")
                .body(request())
                .send()
                .await
                .map(drop),
            "account_id",
        ),
        (
            hybridbox
                .create_invitation()
                .body(request())
                .send()
                .await
                .map(drop),
            "account_id",
        ),
        // No body at all: the body's own required field is what is missing.
        (
            hybridbox
                .create_invitation()
                .account_id(ACCOUNT)
                .send()
                .await
                .map(drop),
            "no value supplied for email",
        ),
        (
            hybridbox
                .create_invitation()
                .account_id(ACCOUNT)
                .body(hybridbox::types::CreateInvitationRequest::builder().email(""))
                .send()
                .await
                .map(drop),
            "email",
        ),
        (
            hybridbox
                .create_invitation()
                .account_id(ACCOUNT)
                .body(hybridbox::types::CreateInvitationRequest::builder())
                .send()
                .await
                .map(drop),
            "email",
        ),
    ];
    for (result, field) in cases {
        match result {
            Err(hybridbox::Error::InvalidRequest(message)) => {
                assert!(message.contains(field), "{message:?} does not name {field}")
            }
            other => panic!("expected an invalid request naming {field}, got {other:?}"),
        }
    }
    let missing_role = automox
        .create_invitation()
        .account_id(ACCOUNT)
        .body(automox::types::CreateInvitationRequest::builder().email("ada@example.com"))
        .send()
        .await;
    match missing_role {
        Err(automox::Error::InvalidRequest(message)) => {
            assert!(message.contains("account_rbac_role"), "{message}")
        }
        other => panic!("expected an invalid request, got {other:?}"),
    }
    assert_eq!(received(&server).await, 0);
}

#[tokio::test]
async fn no_output_of_any_kind_contains_a_token_or_secret() {
    let logs = Logs::capture();
    let mut printed = String::new();

    // The builder, the client and every kind of credentials.
    let builder = hybridbox::Client::builder()
        .base_url("http://127.0.0.1:9")
        .auth(Auth::bearer(TOKEN));
    printed += &renderings(&builder);
    let client = builder.build().unwrap();
    printed += &renderings(&client);
    printed += &renderings(&Auth::bearer(TOKEN));
    printed += &renderings(&invitations::SecretToken::new(TOKEN));
    printed += &renderings(&ClientCredentials::new("svc", CLIENT_SECRET));
    printed += &renderings(&Auth::source(ClientCredentials::new("svc", CLIENT_SECRET)));

    // Every build error.
    for result in [
        hybridbox::Client::builder()
            .base_url("nope")
            .auth(Auth::bearer(TOKEN))
            .build(),
        hybridbox::Client::builder()
            .base_url("ftp://x")
            .auth(Auth::bearer(TOKEN))
            .build(),
        hybridbox::Client::builder()
            .base_url("http://example.com")
            .auth(Auth::bearer(TOKEN))
            .build(),
        hybridbox::Client::builder()
            .auth(Auth::bearer(TOKEN))
            .user_agent("\n")
            .build(),
    ] {
        printed += &error_renderings(&result.unwrap_err());
    }

    // Every credentials error, from a token endpoint that fails in each way.
    let keycloak = MockServer::start().await;
    Mock::given(path("/refused"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client"})),
        )
        .mount(&keycloak)
        .await;
    Mock::given(path("/garbage"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{not json"))
        .mount(&keycloak)
        .await;
    printed += &error_renderings(&Auth::from_env("INVITATIONS_TEST_NO_SUCH_VARIABLE").unwrap_err());
    for endpoint in [
        format!("{}/refused", keycloak.uri()),
        format!("{}/garbage", keycloak.uri()),
        format!("{}/token", refused_base_url()),
        "http://auth.example.com/token".to_owned(),
        "not a url".to_owned(),
    ] {
        let source = ClientCredentials::new("svc", CLIENT_SECRET).token_endpoint(endpoint);
        let err = source.token().await.unwrap_err();
        printed += &error_renderings(&err);
    }

    // Every error kind a call can return.
    let api = MockServer::start().await;
    Mock::given(path(automox_path()))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(serde_json::json!({"errors": ["already invited"]})),
        )
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path(hybridbox_path()))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(hybridbox_path()))
        .respond_with(ResponseTemplate::new(200).set_body_string("[{\"id\": 5}]"))
        .mount(&api)
        .await;
    let hybridbox = hybridbox_client(&api.uri(), fast_retries());
    let automox = automox_client(&api.uri(), fast_retries());
    let refused = hybridbox_client(&refused_base_url(), fast_retries().max_retries(1));
    let with_failing_source = hybridbox::Client::builder()
        .base_url(api.uri())
        .auth(Auth::source(
            ClientCredentials::new("svc", CLIENT_SECRET)
                .token_endpoint(format!("{}/refused", keycloak.uri())),
        ))
        .build()
        .unwrap();
    let errors = [
        automox_create(&automox)
            .await
            .map(drop)
            .unwrap_err()
            .to_string(),
        format!(
            "{:?}",
            automox_create(&automox).await.map(drop).unwrap_err()
        ),
    ];
    for text in errors {
        printed += &text;
    }
    let call_errors = [
        hybridbox_create(&hybridbox).await.map(drop).unwrap_err(),
        hybridbox_list(&hybridbox).await.map(drop).unwrap_err(),
        hybridbox_create(&refused).await.map(drop).unwrap_err(),
        hybridbox
            .create_invitation()
            .account_id("x")
            .send()
            .await
            .map(drop)
            .unwrap_err(),
        hybridbox_create(&with_failing_source)
            .await
            .map(drop)
            .unwrap_err(),
    ];
    let kinds: Vec<&str> = call_errors
        .iter()
        .map(|e| match e {
            hybridbox::Error::UnexpectedResponse(_) => "unexpected response",
            hybridbox::Error::InvalidResponsePayload(..) => "invalid payload",
            hybridbox::Error::CommunicationError(_) => "communication",
            hybridbox::Error::InvalidRequest(_) => "invalid request",
            hybridbox::Error::NotSent { .. } => "not sent",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "unexpected response",
            "invalid payload",
            "communication",
            "invalid request",
            "not sent"
        ]
    );
    for error in &call_errors {
        printed += &error_renderings(error);
    }

    assert!(
        printed.len() > 2_000,
        "too little was printed to prove anything"
    );
    for secret in [TOKEN, CLIENT_SECRET] {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
    }
    // The logs, at every level, saw the calls but not the secrets.
    let logged = logs.text();
    assert!(
        logged.contains("operation=\"create_invitation\""),
        "{logged}"
    );
    for secret in [TOKEN, CLIENT_SECRET] {
        assert!(!logged.contains(secret), "{secret} logged:\n{logged}");
    }
}

/// A request assignment's `grant_kind` and `resource_type` are closed enums:
/// a value outside the seed's lists does not parse into them (nor
/// deserialize), so it cannot be put in a typed request, and a request built
/// from user input stops at the parse, before anything is sent.
#[tokio::test]
async fn an_assignment_kind_outside_the_seed_lists_is_refused_before_sending() {
    let server = MockServer::start().await;
    let client = hybridbox_client(&server.uri(), RetryPolicy::none());
    // What an application does with the strings it is given.
    let invite = |grant: &'static str, resource: &'static str| {
        let client = client.clone();
        async move {
            let grant_kind: hybridbox::types::KnownGrantKind =
                grant.parse().map_err(|e| format!("grant_kind: {e}"))?;
            let resource_type: hybridbox::types::KnownResourceType = resource
                .parse()
                .map_err(|e| format!("resource_type: {e}"))?;
            client
                .create_invitation()
                .account_id(ACCOUNT)
                .body(
                    hybridbox::types::CreateInvitationRequest::builder()
                        .email("ada@example.com")
                        .assignments(vec![
                            hybridbox::types::AssignmentRequest::builder()
                                .grant_kind(grant_kind)
                                .resource_type(resource_type)
                                .try_into()
                                .map_err(|e: hybridbox::types::error::ConversionError| {
                                    e.to_string()
                                })?,
                        ]),
                )
                .send()
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    };
    let error = invite("superuser", "domain").await.unwrap_err();
    assert!(error.starts_with("grant_kind: "), "{error}");
    let error = invite("capability", "dns-record").await.unwrap_err();
    assert!(error.starts_with("resource_type: "), "{error}");
    assert!(server.received_requests().await.unwrap().is_empty());
    let from_json: Result<hybridbox::types::AssignmentRequest, _> =
        serde_json::from_value(serde_json::json!({"grant_kind": "root"}));
    assert!(from_json.is_err());
    // The listed values do parse: the same call reaches the server (which has
    // no route for it here, so it answers 404).
    let reached = invite("capability", "dns_record").await;
    assert!(reached.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
