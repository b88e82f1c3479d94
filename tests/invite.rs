//! `invite` against real local HTTP servers on 127.0.0.1 (wiremock, and a
//! tiny TCP server that breaks the connection after reading a create): how
//! many creates and lists reach the server, and what the caller gets. The
//! decision itself is unit-tested in `src/invite/tests.rs`.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use invitations::{InviteError, InvitePolicy, InviteStep, RetryPolicy, automox, hybridbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EMAIL: &str = "ada@example.com";

/// Lists after 20 ms instead of 1 s.
fn quick() -> InvitePolicy {
    InvitePolicy::default().reconcile_after(Duration::from_millis(20))
}

fn status(code: u16) -> ResponseTemplate {
    ResponseTemplate::new(code)
}

fn pending(id: &str, email: &str, created_at: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "email": email, "status": "pending", "created_at": created_at})
}

fn listed(invitations: Vec<serde_json::Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(invitations)
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(hybridbox_invitation())
}

fn body() -> hybridbox::types::builder::CreateInvitationRequest {
    hybridbox::types::CreateInvitationRequest::builder().email(EMAIL)
}

/// A Hybridbox server: `lists` answer the lists for [`EMAIL`] with status
/// `pending` (any other list gets a 404), `creates` the creates.
async fn hybridbox_server(
    lists: Vec<ResponseTemplate>,
    creates: Vec<ResponseTemplate>,
) -> MockServer {
    let server = MockServer::start().await;
    let (lists, _) = Script::new(lists);
    Mock::given(method("GET"))
        .and(path(hybridbox_path()))
        .and(query_param("email", EMAIL))
        .and(query_param("status", "pending"))
        .respond_with(lists)
        .mount(&server)
        .await;
    let (creates, _) = Script::new(creates);
    mount(&server, "POST", &hybridbox_path(), creates).await;
    server
}

/// How many requests with `verb` reached `server`.
async fn count(server: &MockServer, verb: &str) -> usize {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .count()
}

/// A server on 127.0.0.1 that answers lists with the invitation once a
/// create has reached it (an empty list before), and breaks the connection
/// of every create after reading it whole, without answering: with a reset
/// (`reset`) or by closing it.
struct BreakingServer {
    url: String,
    creates: Arc<AtomicUsize>,
    lists: Arc<AtomicUsize>,
    /// The `Authorization` header of each create.
    authorizations: Arc<Mutex<Vec<String>>>,
}

impl BreakingServer {
    async fn start(reset: bool) -> BreakingServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = BreakingServer {
            url,
            creates: Arc::default(),
            lists: Arc::default(),
            authorizations: Arc::default(),
        };
        let (creates, lists, authorizations) = (
            server.creates.clone(),
            server.lists.clone(),
            server.authorizations.clone(),
        );
        let exists = Arc::new(AtomicBool::new(false));
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                let state = (
                    creates.clone(),
                    lists.clone(),
                    authorizations.clone(),
                    exists.clone(),
                );
                tokio::spawn(async move {
                    let (creates, lists, authorizations, exists) = state;
                    let mut socket = socket;
                    let head = read_request(&mut socket).await;
                    if head.starts_with("post ") {
                        let authorization = head
                            .lines()
                            .find_map(|l| l.strip_prefix("authorization: "))
                            .unwrap_or_default();
                        authorizations
                            .lock()
                            .unwrap()
                            .push(authorization.to_owned());
                        // Carried out, then no answer.
                        exists.store(true, Ordering::SeqCst);
                        creates.fetch_add(1, Ordering::SeqCst);
                        if reset {
                            socket.set_zero_linger().unwrap();
                        }
                        drop(socket);
                        return;
                    }
                    lists.fetch_add(1, Ordering::SeqCst);
                    let body = if exists.load(Ordering::SeqCst) {
                        serde_json::json!([hybridbox_invitation()]).to_string()
                    } else {
                        "[]".to_owned()
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    socket.write_all(answer.as_bytes()).await.unwrap();
                    socket.shutdown().await.ok();
                });
            }
        });
        server
    }
}

/// Reads one HTTP/1.1 request (head and `content-length` body); returns
/// the head, lowercased.
async fn read_request(socket: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if data.len() >= end + 4 + length {
                return head;
            }
        }
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the client closed the connection mid-request");
        data.extend_from_slice(&chunk[..n]);
    }
}

// ---- Hybridbox ----

#[tokio::test]
async fn a_create_carried_out_then_answered_with_a_reset_is_found_not_repeated() {
    let server = BreakingServer::start(true).await;
    let client = hybridbox_client(&server.url, fast_retries());
    let invited = client.invite_with(ACCOUNT, body(), &quick()).await.unwrap();
    assert!(invited.created());
    assert_eq!(invited.invitation().email, EMAIL);
    assert_eq!(
        server.creates.load(Ordering::SeqCst),
        1,
        "exactly one create"
    );
    assert_eq!(
        server.lists.load(Ordering::SeqCst),
        2,
        "lookup, then the check"
    );
    // The create went through the copy of the client: same credentials.
    let authorizations = server.authorizations.lock().unwrap();
    assert_eq!(
        *authorizations,
        [format!("bearer {}", TOKEN.to_lowercase())]
    );
}

#[tokio::test]
async fn an_existing_pending_invitation_is_returned_without_a_create() {
    let older = pending(
        "11111111-1111-4111-8111-111111111111",
        EMAIL,
        "2026-01-01T00:00:00Z",
    );
    let newer = pending(
        "22222222-2222-4222-8222-222222222222",
        "Ada@Example.com",
        "2026-01-05T00:00:00Z",
    );
    let server = hybridbox_server(vec![listed(vec![older, newer])], vec![created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let invited = client.invite(ACCOUNT, body()).await.unwrap();
    assert!(!invited.created());
    assert_eq!(
        invited.into_invitation().id.to_string(),
        "22222222-2222-4222-8222-222222222222",
        "the newest"
    );
    assert_eq!(count(&server, "POST").await, 0);
    assert_eq!(count(&server, "GET").await, 1);
}

#[tokio::test]
async fn a_create_the_check_does_not_find_is_sent_again() {
    let server = hybridbox_server(vec![listed(vec![])], vec![status(500), created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let invited = client.invite_with(ACCOUNT, body(), &quick()).await.unwrap();
    assert!(invited.created());
    assert_eq!(count(&server, "POST").await, 2);
    assert_eq!(count(&server, "GET").await, 2);
}

#[tokio::test]
async fn creates_stop_at_max_creates_with_maybe_invited() {
    let server = hybridbox_server(vec![listed(vec![])], vec![status(502)]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let err = client
        .invite_with(ACCOUNT, body(), &quick())
        .await
        .unwrap_err();
    assert!(err.maybe_invited(), "{err}");
    assert!(matches!(
        err,
        InviteError::MaybeInvited {
            creates: 2,
            step: InviteStep::Create,
            ..
        }
    ));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(count(&server, "POST").await, 2);
    assert_eq!(count(&server, "GET").await, 3);
}

#[tokio::test]
async fn a_definite_failure_is_returned_after_one_create() {
    for code in [400, 422] {
        let server = hybridbox_server(vec![listed(vec![])], vec![status(code)]).await;
        let client = hybridbox_client(&server.uri(), fast_retries());
        let err = client.invite(ACCOUNT, body()).await.unwrap_err();
        assert!(!err.maybe_invited(), "{err}");
        assert_eq!(err.step(), Some(InviteStep::Create));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(code));
        assert!(matches!(
            err.api_error(),
            Some(hybridbox::Error::UnexpectedResponse(_))
        ));
        assert_eq!(count(&server, "POST").await, 1, "{code}");
        assert_eq!(count(&server, "GET").await, 1, "no check after {code}");
    }
}

#[tokio::test]
async fn an_opt_in_to_ambiguous_retries_does_not_repeat_the_create() {
    let exists = pending(
        "a75c3a2f-9c02-0479-8472-a17a25228fc5",
        EMAIL,
        "2026-01-05T00:00:00Z",
    );
    let server = hybridbox_server(
        vec![listed(vec![]), listed(vec![exists])],
        vec![status(500), created()],
    )
    .await;
    let client = hybridbox_client(&server.uri(), fast_retries().retry_ambiguous(true));
    let invited = client.invite_with(ACCOUNT, body(), &quick()).await.unwrap();
    assert!(invited.created());
    assert_eq!(count(&server, "POST").await, 1, "the 500 was not retried");
    assert_eq!(count(&server, "GET").await, 2, "it was checked by a list");
}

#[tokio::test]
async fn safe_failures_of_the_create_are_still_retried() {
    let server = hybridbox_server(vec![listed(vec![])], vec![status(503), created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let invited = client.invite(ACCOUNT, body()).await.unwrap();
    assert!(invited.created());
    assert_eq!(count(&server, "POST").await, 2);
    assert_eq!(count(&server, "GET").await, 1, "a 503 needs no check");
}

#[tokio::test]
async fn a_success_whose_body_cannot_be_read_is_checked_by_a_list() {
    let unreadable = status(201).set_body_string("<html>created</html>");
    let exists = pending(
        "a75c3a2f-9c02-0479-8472-a17a25228fc5",
        EMAIL,
        "2026-01-05T00:00:00Z",
    );
    let server =
        hybridbox_server(vec![listed(vec![]), listed(vec![exists])], vec![unreadable]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let invited = client.invite_with(ACCOUNT, body(), &quick()).await.unwrap();
    assert!(invited.created());
    assert_eq!(count(&server, "POST").await, 1);
}

#[tokio::test]
async fn a_failed_lookup_sends_no_create() {
    let server = hybridbox_server(vec![status(403)], vec![created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let err = client.invite(ACCOUNT, body()).await.unwrap_err();
    assert!(!err.maybe_invited());
    assert_eq!(err.step(), Some(InviteStep::Lookup));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(count(&server, "POST").await, 0);
}

#[tokio::test]
async fn a_failed_check_is_maybe_invited() {
    let server = hybridbox_server(vec![listed(vec![]), status(403)], vec![status(504)]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let err = client
        .invite_with(ACCOUNT, body(), &quick())
        .await
        .unwrap_err();
    assert!(err.maybe_invited());
    assert_eq!(err.step(), Some(InviteStep::Reconcile));
    assert_eq!(count(&server, "POST").await, 1);
    // The whole chain reads as one line, the client's error last.
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("403"), "{source}");
}

// ---- Automox ----

fn automox_body() -> automox::types::builder::CreateInvitationRequest {
    automox::types::CreateInvitationRequest::builder()
        .email(EMAIL)
        .account_rbac_role(automox::types::AccountRbacRole::NonGlobalAdmin)
}

fn automox_created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(serde_json::json!([
        {"id": "a75c3a2f-9c02-0479-8472-a17a25228fc5", "email": EMAIL}
    ]))
}

async fn automox_server(creates: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    let (script, _) = Script::new(creates);
    mount(&server, "POST", &automox_path(), script).await;
    server
}

type AutomoxError = InviteError<automox::types::ErrorBody>;

fn assert_maybe_invited(err: &AutomoxError) {
    assert!(err.maybe_invited(), "{err}");
    assert!(
        matches!(
            err,
            InviteError::MaybeInvited {
                creates: 1,
                step: InviteStep::Create,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("may have been created"), "{err}");
}

#[tokio::test]
async fn automox_a_broken_connection_after_sending_is_maybe_invited() {
    for reset in [true, false] {
        let server = BreakingServer::start(reset).await;
        let client = automox_client(&server.url, fast_retries().retry_ambiguous(true));
        // The server takes any path: the Automox create path is enough.
        let err = client.invite(ACCOUNT, automox_body()).await.unwrap_err();
        assert_maybe_invited(&err);
        assert!(matches!(
            err.api_error(),
            Some(automox::Error::CommunicationError(_))
        ));
        assert_eq!(server.creates.load(Ordering::SeqCst), 1, "reset: {reset}");
    }
}

#[tokio::test]
async fn automox_a_timeout_after_sending_is_maybe_invited() {
    let server = automox_server(vec![automox_created().set_delay(Duration::from_secs(5))]).await;
    let client = automox::Client::builder()
        .base_url(server.uri())
        .auth(invitations::Auth::bearer(TOKEN))
        .retry(fast_retries())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = client.invite(ACCOUNT, automox_body()).await.unwrap_err();
    assert_maybe_invited(&err);
    match err.api_error() {
        Some(automox::Error::CommunicationError(e)) => assert!(e.is_timeout(), "{e:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn automox_a_500_is_maybe_invited_even_with_the_opt_in() {
    let server = automox_server(vec![status(500), automox_created()]).await;
    let client = automox_client(&server.uri(), fast_retries().retry_ambiguous(true));
    let err = client.invite(ACCOUNT, automox_body()).await.unwrap_err();
    assert_maybe_invited(&err);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn automox_a_400_or_409_is_not_invited_with_the_vendors_errors() {
    for code in [400, 409] {
        let refusal = status(code).set_body_json(serde_json::json!({"errors": ["no"]}));
        let server = automox_server(vec![refusal]).await;
        let client = automox_client(&server.uri(), fast_retries());
        let err = client.invite(ACCOUNT, automox_body()).await.unwrap_err();
        assert!(!err.maybe_invited(), "{err}");
        assert!(err.to_string().contains("not invited"), "{err}");
        match err.into_api_error() {
            Some(automox::Error::ErrorResponse(body)) => {
                assert_eq!(body.status().as_u16(), code);
                assert_eq!(body.errors, ["no"]);
            }
            other => panic!("expected the vendor's error body, got {other:?}"),
        }
        assert_eq!(received(&server).await, 1);
    }
}

#[tokio::test]
async fn automox_a_429_then_201_is_retried_and_returns_the_invitations() {
    let limited = status(429).set_body_json(serde_json::json!({"errors": ["slow down"]}));
    let server = automox_server(vec![limited, automox_created()]).await;
    let client = automox_client(&server.uri(), fast_retries());
    let invitations = client.invite(ACCOUNT, automox_body()).await.unwrap();
    assert_eq!(invitations.len(), 1);
    assert_eq!(invitations[0].email.as_deref(), Some(EMAIL));
    assert_eq!(received(&server).await, 2);
}

// ---- Input ----

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let hybridbox = hybridbox_client(&server.uri(), RetryPolicy::none());
    let automox = automox_client(&server.uri(), RetryPolicy::none());

    let err = hybridbox.invite("not-a-uuid", body()).await.unwrap_err();
    assert!(
        matches!(
            err,
            InviteError::InvalidInput {
                field: "account_id",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.maybe_invited());
    let no_email = hybridbox::types::CreateInvitationRequest::builder().note("hi".to_owned());
    let err = hybridbox.invite(ACCOUNT, no_email).await.unwrap_err();
    assert!(
        matches!(err, InviteError::InvalidInput { field: "body", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("email"), "{err}");
    let empty_email = hybridbox::types::CreateInvitationRequest::builder().email("");
    let err = hybridbox.invite(ACCOUNT, empty_email).await.unwrap_err();
    assert!(
        matches!(err, InviteError::InvalidInput { field: "body", .. }),
        "{err}"
    );

    let err = automox
        .invite("3fa85f64", automox_body())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            InviteError::InvalidInput {
                field: "account_id",
                ..
            }
        ),
        "{err}"
    );
    let no_role = automox::types::CreateInvitationRequest::builder().email(EMAIL);
    let err = automox.invite(ACCOUNT, no_role).await.unwrap_err();
    assert!(
        matches!(err, InviteError::InvalidInput { field: "body", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("account_rbac_role"), "{err}");

    assert_eq!(received(&server).await, 0);
}

/// A Hybridbox server for many users: the account's pending list (no email
/// filter) answers `all`; lists for [`EMAIL`] and creates as
/// [`hybridbox_server`].
async fn account_server(
    all: Vec<serde_json::Value>,
    lists: Vec<ResponseTemplate>,
    creates: Vec<ResponseTemplate>,
) -> MockServer {
    let server = hybridbox_server(lists, creates).await;
    Mock::given(method("GET"))
        .and(path(hybridbox_path()))
        .and(query_param("status", "pending"))
        .and(wiremock::matchers::query_param_is_missing("email"))
        .respond_with(listed(all))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn users_invited_against_one_listing_cost_one_create_each() {
    let server = account_server(
        vec![pending(
            "22222222-2222-4222-8222-222222222222",
            "ADA@example.com",
            "2026-01-05T00:00:00Z",
        )],
        vec![],
        vec![created(), created()],
    )
    .await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let pending = client.pending_invitations(ACCOUNT).await.unwrap();
    assert_eq!(pending.len(), 1);
    let policy = InvitePolicy::default();
    let ada = client
        .invite_listed(ACCOUNT, body(), &pending, &policy)
        .await
        .unwrap();
    assert!(!ada.created(), "pending in the listing: no request");
    assert_eq!(
        ada.invitation().id.to_string(),
        "22222222-2222-4222-8222-222222222222"
    );
    for email in ["grace@example.com", "lin@example.com"] {
        let body = hybridbox::types::CreateInvitationRequest::builder().email(email);
        let invited = client
            .invite_listed(ACCOUNT, body, &pending, &policy)
            .await
            .unwrap();
        assert!(invited.created(), "{email}");
    }
    assert_eq!(count(&server, "GET").await, 1, "one list for three users");
    assert_eq!(count(&server, "POST").await, 2, "one create per new user");
}

#[tokio::test]
async fn an_ambiguous_create_after_a_listing_is_still_checked_by_a_list() {
    let server = account_server(vec![], vec![listed(vec![])], vec![status(500), created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let pending = client.pending_invitations(ACCOUNT).await.unwrap();
    assert!(pending.is_empty());
    let invited = client
        .invite_listed(ACCOUNT, body(), &pending, &quick())
        .await
        .unwrap();
    assert!(invited.created());
    // The account's list, then create (500: ambiguous), the check for the
    // email (nothing), the second create.
    assert_eq!(count(&server, "POST").await, 2);
    assert_eq!(count(&server, "GET").await, 2);
}
