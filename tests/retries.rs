//! Retries against a real local HTTP server (wiremock on 127.0.0.1): which
//! failures are retried, how many requests the server receives, and what the
//! caller gets when the client gives up. The waits themselves are tested
//! under tokio's paused clock in `src/retry.rs`; here a wait is only checked
//! to have happened (a lower bound between arrivals), never to be fast.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use invitations::{ErrorExt, RetryPolicy, automox, hybridbox};
use wiremock::{MockServer, ResponseTemplate};

fn status(code: u16) -> ResponseTemplate {
    ResponseTemplate::new(code)
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(hybridbox_invitation())
}

fn listed() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(vec![hybridbox_invitation()])
}

/// Mounts a script on the Hybridbox create and returns the server.
async fn hybridbox_create_server(
    responses: Vec<ResponseTemplate>,
) -> (
    MockServer,
    std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
) {
    let server = MockServer::start().await;
    let (script, arrivals) = Script::new(responses);
    mount(&server, "POST", &hybridbox_path(), script).await;
    (server, arrivals)
}

fn gap(arrivals: &std::sync::Mutex<Vec<std::time::Instant>>) -> Duration {
    let arrivals = arrivals.lock().unwrap();
    arrivals[1] - arrivals[0]
}

#[tokio::test]
async fn a_429_then_success_is_retried_once() {
    let (server, _) = hybridbox_create_server(vec![status(429), created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let invitation = hybridbox_create(&client).await.unwrap();
    assert_eq!(invitation.email, "ada@example.com");
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_for() {
    let limited = status(429).insert_header("retry-after", "1");
    let (server, arrivals) = hybridbox_create_server(vec![limited, created()]).await;
    // Backoff alone would wait at most 5 ms.
    let client = hybridbox_client(&server.uri(), fast_retries());
    hybridbox_create(&client).await.unwrap();
    assert_eq!(received(&server).await, 2);
    assert!(
        gap(&arrivals) >= Duration::from_secs(1),
        "{:?}",
        gap(&arrivals)
    );
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_for() {
    // Two seconds ahead, truncated to whole seconds by the format: between
    // one and two seconds from now, far beyond the 5 ms of backoff.
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let until = httpdate::parse_http_date(&date).unwrap();
    let limited = status(429).insert_header("retry-after", date.as_str());
    let (server, _) = hybridbox_create_server(vec![limited, created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    hybridbox_create(&client).await.unwrap();
    assert_eq!(received(&server).await, 2);
    // The date is absolute, so the retry must not have been sent before it
    // (the gap between arrivals depends on how long set-up took).
    let now = SystemTime::now();
    assert!(
        now >= until,
        "returned {:?} before the date",
        until.duration_since(now)
    );
}

#[tokio::test]
async fn a_503_is_retried_even_for_a_create() {
    let (server, _) = hybridbox_create_server(vec![status(503), status(503), created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    hybridbox_create(&client).await.unwrap();
    assert_eq!(received(&server).await, 3);
}

#[tokio::test]
async fn a_500_on_a_create_is_not_retried() {
    let (server, _) = hybridbox_create_server(vec![status(500), created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let err = hybridbox_create(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn a_500_on_a_create_is_retried_with_the_opt_in() {
    let (server, _) = hybridbox_create_server(vec![status(500), created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries().retry_ambiguous(true));
    hybridbox_create(&client).await.unwrap();
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn a_500_on_a_list_is_retried() {
    let server = MockServer::start().await;
    let (script, _) = Script::new(vec![status(500), status(502), listed()]);
    mount(&server, "GET", &hybridbox_path(), script).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let invitations = hybridbox_list(&client).await.unwrap();
    assert_eq!(invitations.len(), 1);
    assert_eq!(received(&server).await, 3);
}

#[tokio::test]
async fn connection_refused_is_retried_then_returned() {
    let logs = Logs::capture();
    let client = hybridbox_client(&refused_base_url(), fast_retries().max_retries(2));
    let err = hybridbox_create(&client).await.unwrap_err();
    match &err {
        hybridbox::Error::CommunicationError(e) => assert!(e.is_connect(), "{e:?}"),
        other => panic!("expected a connection error, got {other:?}"),
    }
    // Nothing listens, so the attempts are counted in the client's events.
    assert_eq!(logs.lines_with("retrying").len(), 2, "{}", logs.text());
    assert_eq!(logs.lines_with("giving up").len(), 1, "{}", logs.text());
    assert!(logs.text().contains("outcome=not sent"), "{}", logs.text());
}

#[tokio::test]
async fn a_create_that_times_out_after_being_received_is_sent_once() {
    let slow = created().set_delay(Duration::from_secs(5));
    let (server, _) = hybridbox_create_server(vec![slow]).await;
    let client = hybridbox::Client::builder()
        .base_url(server.uri())
        .auth(invitations::Auth::bearer(TOKEN))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = hybridbox_create(&client).await.unwrap_err();
    match &err {
        hybridbox::Error::CommunicationError(e) => assert!(e.is_timeout(), "{e:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn a_list_that_times_out_is_retried() {
    let server = MockServer::start().await;
    let (script, _) = Script::new(vec![listed().set_delay(Duration::from_secs(5)), listed()]);
    mount(&server, "GET", &hybridbox_path(), script).await;
    let client = hybridbox::Client::builder()
        .base_url(server.uri())
        .retry(fast_retries())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    hybridbox_list(&client).await.unwrap();
    assert_eq!(received(&server).await, 2);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_gives_up_at_once() {
    let limited = status(429).insert_header("retry-after", "120");
    let (server, _) = hybridbox_create_server(vec![limited, created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let err = hybridbox_create(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn exhausted_retries_return_the_last_typed_error() {
    let server = MockServer::start().await;
    let limited = status(429)
        .insert_header("retry-after", "0")
        .set_body_json(serde_json::json!({"errors": ["rate limit exceeded"]}));
    let (script, _) = Script::new(vec![limited]);
    mount(&server, "POST", &automox_path(), script).await;
    let client = automox_client(&server.uri(), fast_retries().max_retries(2));
    let err = automox_create(&client).await.unwrap_err();
    assert_eq!(received(&server).await, 3);
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
    match err {
        automox::Error::ErrorResponse(body) => {
            assert_eq!(body.status().as_u16(), 429);
            assert_eq!(body.errors, ["rate limit exceeded"]);
        }
        other => panic!("expected the typed error body, got {other:?}"),
    }
}

#[tokio::test]
async fn a_deadline_shorter_than_the_backoff_stops_retrying() {
    let (server, _) = hybridbox_create_server(vec![status(503), created()]).await;
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::from_secs(30))
        .max_backoff(Duration::from_secs(60))
        .deadline(Duration::from_secs(5));
    let logs = Logs::capture();
    let client = hybridbox_client(&server.uri(), policy);
    let err = hybridbox_create(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(received(&server).await, 1);
    assert!(
        logs.text().contains("the wait would pass the deadline"),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn no_retries_policy_sends_once() {
    let (server, _) = hybridbox_create_server(vec![status(429), created()]).await;
    let client = hybridbox_client(&server.uri(), RetryPolicy::none());
    let err = hybridbox_create(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn every_attempt_is_logged_with_operation_number_outcome_and_wait() {
    let (server, _) = hybridbox_create_server(vec![status(429), status(503), created()]).await;
    let logs = Logs::capture();
    let client = hybridbox_client(&server.uri(), fast_retries());
    hybridbox_create(&client).await.unwrap();
    // The attempts' own events (every line inside the call's span shows the
    // span's fields too).
    let attempts = logs.lines_with("invitations::retry:");
    assert_eq!(attempts.len(), 3, "{}", logs.text());
    assert!(attempts.iter().all(|l| l.contains("vendor=\"hybridbox\"")));
    assert!(
        attempts
            .iter()
            .all(|l| l.contains("operation=\"create_invitation\" attempt="))
    );
    assert!(attempts[0].contains("attempt=1") && attempts[0].contains("outcome=status 429"));
    assert!(attempts[0].contains("wait_ms="));
    assert!(attempts[1].contains("attempt=2") && attempts[1].contains("outcome=status 503"));
    assert!(attempts[2].contains("attempt=3") && attempts[2].contains("outcome=status 201"));
}
