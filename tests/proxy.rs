//! Proxies from the environment never see plain-http or loopback traffic
//! (issue 15): with `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` pointing at a
//! recording "proxy" on 127.0.0.1, a client whose base URL and token endpoint
//! are plain http on loopback sends its bearer token and client secret to
//! them directly, and the proxy receives nothing.
//!
//! One test in its own binary: it sets process-wide environment variables.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use invitations::{Auth, ClientCredentials, RetryPolicy, hybridbox};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A listener on 127.0.0.1 that counts connections and answers none.
async fn recording_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, connections)
}

#[tokio::test]
async fn environment_proxies_never_see_plain_http_or_loopback_requests() {
    let (proxy, connections) = recording_proxy().await;
    // SAFETY: the only test in this binary; nothing else reads the
    // environment while it is set.
    unsafe {
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"] {
            std::env::set_var(name, &proxy);
        }
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    }

    // A fixed token to a plain-http loopback api.
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(hybridbox_invitation()))
        .mount(&api)
        .await;
    let client = hybridbox_client(&api.uri(), RetryPolicy::none());
    hybridbox_create(&client).await.unwrap();

    // A client secret to a plain-http token endpoint on `localhost`.
    let token_endpoint = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": "t", "expires_in": 300})),
        )
        .mount(&token_endpoint)
        .await;
    let port = token_endpoint.address().port();
    let client = hybridbox::Client::builder()
        .base_url(api.uri())
        .auth(Auth::source(
            ClientCredentials::new("id", "secret")
                .token_endpoint(format!("http://localhost:{port}/token")),
        ))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    hybridbox_create(&client).await.unwrap();

    // An explicit proxy does not take loopback traffic either.
    let client = hybridbox::Client::builder()
        .base_url(api.uri())
        .auth(Auth::bearer(TOKEN))
        .proxy(&proxy)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    hybridbox_create(&client).await.unwrap();

    assert_eq!(received(&token_endpoint).await, 1);
    assert_eq!(received(&api).await, 3);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the proxy saw a request"
    );
}
