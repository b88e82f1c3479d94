//! One rate limit per client, against a real local HTTP server (wiremock on
//! 127.0.0.1): a 429 with `Retry-After` pauses every call of the client and
//! its clones, and `ClientBuilder::rate_limit` holds the rate the server
//! sees. The limiter's own arithmetic is tested under tokio's paused clock in
//! `src/rate_limit.rs`; here waits are only checked to have happened (lower
//! bounds on arrival times), and counts are exact.

mod common;

use std::time::{Duration, Instant};

use common::*;
use invitations::{RateLimit, RetryPolicy};
use wiremock::{MockServer, ResponseTemplate};

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(hybridbox_invitation())
}

/// A 429 with `Retry-After: 1` to one call: the calls started after it (on
/// clones of the client) send nothing until the second is over.
#[tokio::test]
async fn a_429_pauses_every_call_of_the_client() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).insert_header("retry-after", "1");
    let (script, arrivals) = Script::new(vec![limited, created()]);
    mount(&server, "POST", &hybridbox_path(), script).await;
    let client = hybridbox_client(&server.uri(), fast_retries());

    let first = {
        let client = client.clone();
        tokio::spawn(async move { hybridbox_create(&client).await })
    };
    // Wait until the 429 has been answered, then start ten more calls.
    while arrivals.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let limited_at = arrivals.lock().unwrap()[0];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let others: Vec<_> = (0..10)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { hybridbox_create(&client).await })
        })
        .collect();
    first.await.unwrap().unwrap();
    for call in others {
        call.await.unwrap().unwrap();
    }

    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 12, "the 429, its retry and ten calls");
    for (i, at) in arrivals.iter().enumerate().skip(1) {
        assert!(
            *at - limited_at >= Duration::from_secs(1),
            "request {i} arrived {:?} after the 429 asked for 1 s",
            *at - limited_at
        );
    }
}

/// A 429 without `Retry-After` pauses only its own call (which backs off):
/// another call of the client goes on (the control for the test above).
#[tokio::test]
async fn a_429_without_retry_after_pauses_only_its_call() {
    let server = MockServer::start().await;
    let (script, arrivals) = Script::new(vec![ResponseTemplate::new(429), created()]);
    mount(&server, "POST", &hybridbox_path(), script).await;
    // The first call backs off for at least 10 s.
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::from_secs(20))
        .max_backoff(Duration::from_secs(20));
    let client = hybridbox_client(&server.uri(), policy);
    let first = {
        let client = client.clone();
        tokio::spawn(async move { hybridbox_create(&client).await })
    };
    while arrivals.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    hybridbox_create(&client).await.unwrap();
    assert!(!first.is_finished(), "the first call is still backing off");
    assert_eq!(arrivals.lock().unwrap().len(), 2);
    first.abort();
}

/// `rate_limit(RateLimit::per(4, 400 ms))`: 16 calls at once from four
/// clones; the server never sees more than 4 in any 400 ms window.
#[tokio::test]
async fn the_server_never_sees_more_than_the_limit_in_any_window() {
    let server = MockServer::start().await;
    let (script, arrivals) = Script::new(vec![created()]);
    mount(&server, "POST", &hybridbox_path(), script).await;
    let limit = RateLimit::per(4, Duration::from_millis(400));
    let client = invitations::hybridbox::Client::builder()
        .base_url(server.uri())
        .auth(invitations::Auth::bearer(TOKEN))
        .rate_limit(limit)
        .build()
        .unwrap();
    let start = Instant::now();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { hybridbox_create(&client).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let mut arrivals = arrivals.lock().unwrap().clone();
    arrivals.sort();
    assert_eq!(arrivals.len(), 16);
    // The server sees a request some time after the client sends it (on a
    // loaded machine, tens of milliseconds), never before. Sends spaced by
    // the limiter (no window of 400 ms holds more than 4: unit-tested on
    // tokio's paused clock in `src/rate_limit.rs`) arrive with no window of
    // 400 ms less that delay holding more than 4; up to `JITTER` of delay
    // is allowed, and all 16 at once still fail.
    const JITTER: Duration = Duration::from_millis(150);
    let window = limit.period() - JITTER;
    for (i, at) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..]
            .iter()
            .take_while(|later| **later - *at < window)
            .count();
        assert!(
            in_window <= 4,
            "{in_window} requests within {window:?} from request {i}: {:?}",
            arrivals.iter().map(|a| *a - start).collect::<Vec<_>>()
        );
    }
    // Spaced, not bunched: 16 requests span at least 15 spacings (less
    // the first one's delay).
    assert!(arrivals[15] - arrivals[0] >= limit.spacing() * 15 - JITTER);
}

/// A rate-limited call whose deadline comes before its turn fails without
/// sending, and says why.
#[tokio::test]
async fn a_turn_past_the_deadline_is_an_error_and_sends_nothing() {
    let server = MockServer::start().await;
    let (script, arrivals) = Script::new(vec![created()]);
    mount(&server, "POST", &hybridbox_path(), script).await;
    let client = invitations::hybridbox::Client::builder()
        .base_url(server.uri())
        .auth(invitations::Auth::bearer(TOKEN))
        .rate_limit(RateLimit::per(1, Duration::from_secs(60)))
        .retry(RetryPolicy::default().deadline(Duration::from_millis(500)))
        .build()
        .unwrap();
    hybridbox_create(&client).await.unwrap();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(error, invitations::Error::Throttled { wait } if wait > Duration::from_millis(500)),
        "{error:?}"
    );
    assert_eq!(arrivals.lock().unwrap().len(), 1);
}
