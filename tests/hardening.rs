//! The facade against a hostile network and a careless configuration (issue
//! 15), on real servers on 127.0.0.1: URLs with credentials, queries or
//! fragments, `Retry-After: 0`, redirects that would carry the invitee's data
//! elsewhere, and a token endpoint that hangs past the call's deadline.
//! Waits are only checked to have happened (lower bounds), never to be fast.

mod common;

use std::time::Duration;

use common::*;
use invitations::{
    Auth, BodyTooLarge, BuildError, ClientCredentials, RetryPolicy, Waiting, hybridbox,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn builder(base_url: &str) -> invitations::ClientBuilder<hybridbox::Client> {
    hybridbox::Client::builder()
        .base_url(base_url)
        .auth(Auth::bearer(TOKEN))
}

#[test]
fn a_base_url_with_credentials_a_query_or_a_fragment_is_refused() {
    for (url, problem) in [
        ("https://admin:hunter2@api.example.com", "credentials"),
        ("https://admin@api.example.com", "credentials"),
        ("https://api.example.com/v1?x=1", "query"),
        ("https://api.example.com/v1#frag", "fragment"),
    ] {
        let error = builder(url).build().unwrap_err();
        assert!(
            matches!(error, BuildError::BaseUrlPart { .. }),
            "{url}: {error:?}"
        );
        let shown = format!("{error} {error:?}");
        assert!(shown.contains(problem), "{url}: {shown}");
        assert!(!shown.contains("hunter2"), "{url}: {shown}");
    }
}

#[test]
fn no_debug_output_shows_a_urls_password() {
    let builder = builder("https://admin:hunter2@api.example.com").proxy("http://u:pr0xy@p:3128");
    let shown = format!("{builder:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("pr0xy"),
        "{shown}"
    );
    let error = builder.build().unwrap_err();
    assert!(!format!("{error:?}").contains("hunter2"));
    let not_a_url = hybridbox::Client::builder().base_url("admin:hunter2@host");
    assert!(!format!("{not_a_url:?}").contains("hunter2"));
}

/// `Retry-After: 0` does not remove the backoff: with 5 retries from a
/// 40 ms backoff, each wait is at least half its (doubling) backoff.
#[tokio::test]
async fn retry_after_zero_still_waits_the_backoff() {
    let server = MockServer::start().await;
    let (script, arrivals) = Script::new(vec![
        ResponseTemplate::new(429).insert_header("retry-after", "0"),
    ]);
    mount(&server, "POST", &hybridbox_path(), script).await;
    let policy = RetryPolicy::default()
        .max_retries(5)
        .initial_backoff(Duration::from_millis(40))
        .max_backoff(Duration::from_secs(1));
    let client = hybridbox_client(&server.uri(), policy);
    hybridbox_create(&client).await.unwrap_err();
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 6);
    for (retry, pair) in arrivals.windows(2).enumerate() {
        let least = Duration::from_millis(20) * 2u32.pow(retry as u32);
        assert!(
            pair[1] - pair[0] >= least,
            "retry {}: waited {:?}, less than {least:?}",
            retry + 1,
            pair[1] - pair[0]
        );
    }
}

/// A 307 to another origin would replay the POST body (the invitee's email)
/// there: it is not followed, and the other origin receives nothing.
#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(hybridbox_invitation()))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    for status in [307, 308] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path(hybridbox_path()))
            .respond_with(ResponseTemplate::new(status).insert_header(
                "location",
                format!("{}{}", elsewhere.uri(), hybridbox_path()).as_str(),
            ))
            .mount(&server)
            .await;
        let client = hybridbox_client(&server.uri(), RetryPolicy::none());
        let error = hybridbox_create(&client).await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{error}");
        assert_eq!(received(&elsewhere).await, 0, "{status}");
    }
}

/// A redirect within the origin is followed (the body replayed to the same
/// server).
#[tokio::test]
async fn a_redirect_within_the_origin_is_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(hybridbox_path()))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/moved"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/moved"))
        .respond_with(ResponseTemplate::new(201).set_body_json(hybridbox_invitation()))
        .mount(&server)
        .await;
    let client = hybridbox_client(&server.uri(), RetryPolicy::none());
    let invitation = hybridbox_create(&client).await.unwrap();
    assert_eq!(invitation.email, "ada@example.com");
}

/// The call's deadline bounds the wait for a token: a token endpoint that
/// hangs does not hold the call past it, and the api receives nothing.
#[tokio::test]
async fn the_deadline_covers_getting_a_token() {
    let token_endpoint = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": "t", "expires_in": 300}))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&token_endpoint)
        .await;
    let api = MockServer::start().await;
    let client = hybridbox::Client::builder()
        .base_url(api.uri())
        .auth(Auth::source(
            ClientCredentials::new("id", "secret")
                .token_endpoint(format!("{}/token", token_endpoint.uri())),
        ))
        .retry(RetryPolicy::default().deadline(Duration::from_millis(300)))
        .build()
        .unwrap();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            hybridbox::Error::DeadlinePassed {
                waiting_for: Waiting::Token
            }
        ),
        "{error:?}"
    );
    assert_eq!(received(&api).await, 0);
}

/// A server that answers every connection with an endless chunked body,
/// counting the bytes it manages to write.
async fn endless_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let written = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = written.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let head = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
                // Until the client hangs up (bounded: 1 GiB).
                for _ in 0..65_536 {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                    counter.fetch_add(0x4000, Ordering::SeqCst);
                }
            });
        }
    });
    (url, written)
}

/// An endless response fails the call with `Error::BodyTooLarge` once the
/// cap is passed, and the client stops reading (the server writes little
/// more than the cap and the sockets' buffers).
#[tokio::test]
async fn an_endless_response_fails_at_the_body_cap() {
    let (url, written) = endless_server().await;
    let client = builder(&url)
        .retry(RetryPolicy::none())
        .max_response_body(256 * 1024)
        .build()
        .unwrap();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            hybridbox::Error::BodyTooLarge {
                source: BodyTooLarge { limit: 262_144 },
                ..
            }
        ),
        "{error:?}"
    );
    // Give the server a moment to notice the hang-up, then: far less than
    // the 1 GiB it would write to a client that kept reading.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let written = written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(written < 64 * 1024 * 1024, "{written} bytes written");
}

/// A body that does not decode is quoted in the error only by a bounded
/// prefix: a 2 MiB invalid answer does not become a 2 MB message.
#[tokio::test]
async fn an_error_quotes_only_a_prefix_of_a_body_that_does_not_decode() {
    let server = MockServer::start().await;
    let junk = format!("{{\"id\": \"{}", "x".repeat(2 * 1024 * 1024));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(junk, "application/json"))
        .mount(&server)
        .await;
    let client = hybridbox_client(&server.uri(), RetryPolicy::none());
    let error = hybridbox_create(&client).await.unwrap_err();
    let shown = format!("{error} {error:#}");
    assert!(
        matches!(error, hybridbox::Error::InvalidResponsePayload(..)),
        "{error:?}"
    );
    assert!(shown.len() < 64 * 1024, "{} bytes", shown.len());
}

/// The token endpoint too is refused with credentials in its URL, and its
/// password is not shown.
#[tokio::test]
async fn a_token_endpoint_with_credentials_is_refused() {
    let api = MockServer::start().await;
    let credentials =
        ClientCredentials::new("id", "secret").token_endpoint("http://u:hunter2@127.0.0.1:9/token");
    assert!(!format!("{credentials:?}").contains("hunter2"));
    let client = hybridbox::Client::builder()
        .base_url(api.uri())
        .auth(Auth::source(credentials))
        .build()
        .unwrap();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(error, hybridbox::Error::NotSent { .. }),
        "{error:?}"
    );
    let shown = format!("{} {error:?}", chain(&error));
    assert!(shown.contains("credentials"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert_eq!(received(&api).await, 0);
}
