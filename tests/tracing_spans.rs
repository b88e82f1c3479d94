//! Every call of a generated client is one `tracing` span, `call`, and an
//! `invite` is one span, `invite`, holding the calls it made. A capturing
//! subscriber (a small `tracing_subscriber::Layer`, below) keeps every span
//! with its fields, its parent and whether it closed, and every event with
//! the span it happened in; the tests read that, against servers on
//! 127.0.0.1 (wiremock), and check that nothing captured holds the token,
//! the email or the account id.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use invitations::{
    Auth, AuthError, BoxFuture, Error, RetryPolicy, SecretToken, TokenSource, Waiting, automox,
    hybridbox,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EMAIL: &str = "ada@example.com";

/// The Hybridbox create and list path as the spans must name it.
const HYBRIDBOX_TEMPLATE: &str = "/v1/public/accounts/{account_id}/auth/invitations";

/// One span as the subscriber saw it.
#[derive(Clone, Debug)]
struct SpanSeen {
    name: &'static str,
    target: String,
    /// The index of its parent in [`Captured::spans`].
    parent: Option<usize>,
    /// Its fields: given when it opened and recorded later.
    fields: BTreeMap<String, String>,
    closed: bool,
}

impl SpanSeen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// One event as the subscriber saw it.
#[derive(Clone, Debug)]
struct EventSeen {
    target: String,
    /// The index of the span it happened in.
    span: Option<usize>,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default)]
struct Captured {
    spans: Vec<SpanSeen>,
    events: Vec<EventSeen>,
}

impl Captured {
    /// The indices of the spans named `name`.
    fn named(&self, name: &str) -> Vec<usize> {
        (0..self.spans.len())
            .filter(|&i| self.spans[i].name == name)
            .collect()
    }

    /// The only span named `name`.
    fn one(&self, name: &str) -> &SpanSeen {
        let found = self.named(name);
        assert_eq!(found.len(), 1, "one `{name}` span: {:#?}", self.spans);
        &self.spans[found[0]]
    }

    /// Every text captured: span names, targets, field names and values,
    /// event fields.
    fn texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for span in &self.spans {
            out.push(span.name.to_owned());
            out.push(span.target.clone());
            out.extend(span.fields.iter().flat_map(|(k, v)| [k.clone(), v.clone()]));
        }
        for event in &self.events {
            out.push(event.target.clone());
            out.extend(
                event
                    .fields
                    .iter()
                    .flat_map(|(k, v)| [k.clone(), v.clone()]),
            );
        }
        out
    }

    /// Asserts that nothing captured holds the token, the email or the
    /// account id (in any case).
    fn assert_clean(&self) {
        let texts = self.texts();
        assert!(!texts.is_empty());
        for secret in [TOKEN, EMAIL, ACCOUNT] {
            let secret = secret.to_lowercase();
            for text in &texts {
                assert!(
                    !text.to_lowercase().contains(&secret),
                    "{secret} captured in {text:?}"
                );
            }
        }
    }
}

thread_local! {
    /// What this thread's spans and events were (tokio's default test
    /// runtime runs a test's tasks on its thread).
    static CAPTURED: RefCell<Captured> = RefCell::new(Captured::default());
}

/// A span's index in [`Captured::spans`], kept in the registry's span data.
struct Index(usize);

/// Keeps every field a visitor is shown, as text.
struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// The capturing layer.
struct Capture;

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("a new span is in the registry");
        let parent = span
            .parent()
            .and_then(|p| p.extensions().get::<Index>().map(|i| i.0));
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let index = CAPTURED.with(|c| {
            let mut c = c.borrow_mut();
            c.spans.push(SpanSeen {
                name: attrs.metadata().name(),
                target: attrs.metadata().target().to_owned(),
                parent,
                fields,
                closed: false,
            });
            c.spans.len() - 1
        });
        span.extensions_mut().insert(Index(index));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(index) = ctx
            .span(id)
            .and_then(|s| s.extensions().get::<Index>().map(|i| i.0))
        else {
            return;
        };
        CAPTURED.with(|c| {
            if let Some(span) = c.borrow_mut().spans.get_mut(index) {
                values.record(&mut Fields(&mut span.fields));
            }
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let span = ctx
            .event_span(event)
            .and_then(|s| s.extensions().get::<Index>().map(|i| i.0));
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        CAPTURED.with(|c| {
            c.borrow_mut().events.push(EventSeen {
                target: event.metadata().target().to_owned(),
                span,
                fields,
            });
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(index) = ctx
            .span(&id)
            .and_then(|s| s.extensions().get::<Index>().map(|i| i.0))
        else {
            return;
        };
        CAPTURED.with(|c| {
            if let Some(span) = c.borrow_mut().spans.get_mut(index) {
                span.closed = true;
            }
        });
    }
}

/// Starts capturing on this thread, from empty. One global subscriber for
/// the whole file: scoped ones would race over tracing's per-callsite
/// interest cache.
fn capture() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Capture);
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
    CAPTURED.with(|c| *c.borrow_mut() = Captured::default());
}

/// What this thread captured since [`capture`].
fn captured() -> Captured {
    CAPTURED.with(|c| c.borrow().clone())
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(hybridbox_invitation())
}

/// A server answering the Hybridbox list with `list` and the creates with
/// `creates` in order.
async fn hybridbox_server(list: ResponseTemplate, creates: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(hybridbox_path()))
        .respond_with(list)
        .mount(&server)
        .await;
    let (script, _) = Script::new(creates);
    mount(&server, "POST", &hybridbox_path(), script).await;
    server
}

/// Asserts the fields a `call` span is given when it opens.
fn assert_opened(span: &SpanSeen, vendor: &str, operation: &str, method: &str, template: &str) {
    assert_eq!(span.target, "invitations");
    assert_eq!(span.field("vendor"), Some(vendor));
    assert_eq!(span.field("operation"), Some(operation));
    assert_eq!(span.field("http.request.method"), Some(method));
    assert_eq!(span.field("url.template"), Some(template));
    assert_eq!(span.field("server.address"), Some("127.0.0.1"));
}

#[tokio::test]
async fn a_create_answered_503_then_201_is_one_call_span_with_two_attempts() {
    let server = hybridbox_server(
        ResponseTemplate::new(200),
        vec![ResponseTemplate::new(503), created()],
    )
    .await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    capture();
    let invitation = hybridbox_create(&client).await.unwrap();
    let seen = captured();
    assert_eq!(invitation.email, EMAIL);
    assert_eq!(received(&server).await, 2);

    let call = seen.one("call");
    assert_opened(
        call,
        "hybridbox",
        "create_invitation",
        "POST",
        HYBRIDBOX_TEMPLATE,
    );
    assert_eq!(call.field("http.response.status_code"), Some("201"));
    assert_eq!(call.field("attempts"), Some("2"));
    assert_eq!(call.field("error.type"), None);
    assert_eq!(call.parent, None);
    assert!(call.closed, "closed when the caller has the result");
    // The per-attempt events happened inside it.
    let index = seen.named("call")[0];
    let retrying: Vec<_> = seen
        .events
        .iter()
        .filter(|e| e.fields.get("message").map(String::as_str) == Some("retrying"))
        .collect();
    assert_eq!(retrying.len(), 1, "{:#?}", seen.events);
    assert_eq!(retrying[0].span, Some(index));
    assert_eq!(
        retrying[0].fields.get("outcome").map(String::as_str),
        Some("status 503")
    );
    seen.assert_clean();
}

#[tokio::test]
async fn an_invite_span_holds_its_list_and_create_calls() {
    let list = ResponseTemplate::new(200).set_body_json(Vec::<serde_json::Value>::new());
    let server = hybridbox_server(list, vec![ResponseTemplate::new(503), created()]).await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    capture();
    let invited = client
        .invite(
            ACCOUNT,
            hybridbox::types::CreateInvitationRequest::builder().email(EMAIL),
        )
        .await
        .unwrap();
    let seen = captured();
    assert!(invited.created());

    let invites = seen.named("invite");
    assert_eq!(invites.len(), 1, "{:#?}", seen.spans);
    let invite = &seen.spans[invites[0]];
    assert_eq!(invite.target, "invitations");
    assert_eq!(invite.field("vendor"), Some("hybridbox"));
    assert_eq!(invite.field("created"), Some("true"));
    assert_eq!(invite.parent, None);
    assert!(invite.closed);

    let calls: Vec<&SpanSeen> = seen.named("call").iter().map(|&i| &seen.spans[i]).collect();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let (list, create) = (calls[0], calls[1]);
    assert_opened(
        list,
        "hybridbox",
        "list_invitations",
        "GET",
        HYBRIDBOX_TEMPLATE,
    );
    assert_eq!(list.field("http.response.status_code"), Some("200"));
    assert_eq!(list.field("attempts"), Some("1"));
    assert_opened(
        create,
        "hybridbox",
        "create_invitation",
        "POST",
        HYBRIDBOX_TEMPLATE,
    );
    assert_eq!(create.field("http.response.status_code"), Some("201"));
    assert_eq!(create.field("attempts"), Some("2"));
    for call in calls {
        assert_eq!(call.parent, Some(invites[0]));
        assert!(call.closed);
    }
    seen.assert_clean();
}

#[tokio::test]
async fn an_automox_invite_span_holds_its_create() {
    let server = MockServer::start().await;
    let answer = ResponseTemplate::new(201).set_body_json(serde_json::json!([
        {"id": "a75c3a2f-9c02-0479-8472-a17a25228fc5", "email": EMAIL}
    ]));
    let (script, _) = Script::new(vec![answer]);
    mount(&server, "POST", &automox_path(), script).await;
    let client = automox_client(&server.uri(), fast_retries());
    let body = automox::types::CreateInvitationRequest::builder()
        .email(EMAIL)
        .account_rbac_role(automox::types::AccountRbacRole::NonGlobalAdmin);
    capture();
    client.invite(ACCOUNT, body).await.unwrap();
    let seen = captured();

    let invite = seen.one("invite");
    assert_eq!(invite.field("vendor"), Some("automox"));
    assert_eq!(invite.field("created"), Some("true"));
    let call = seen.one("call");
    assert_opened(
        call,
        "automox",
        "create_invitation",
        "POST",
        "/accounts/{accountId}/invitations",
    );
    assert_eq!(call.field("http.response.status_code"), Some("201"));
    assert_eq!(call.parent, Some(seen.named("invite")[0]));
    seen.assert_clean();
}

#[tokio::test]
async fn a_failed_call_records_its_status_or_its_typed_failure() {
    let server =
        hybridbox_server(ResponseTemplate::new(200), vec![ResponseTemplate::new(503)]).await;
    let client = hybridbox_client(&server.uri(), fast_retries().max_retries(2));
    capture();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    let seen = captured();
    let call = seen.one("call");
    assert_eq!(call.field("http.response.status_code"), Some("503"));
    assert_eq!(call.field("attempts"), Some("3"));
    assert_eq!(call.field("error.type"), Some("503"));
    assert!(call.closed);
    seen.assert_clean();

    // Nothing listens: no status, the typed failure.
    let client = hybridbox_client(&refused_base_url(), RetryPolicy::none());
    capture();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(matches!(error, Error::CommunicationError(_)), "{error:?}");
    let seen = captured();
    let call = seen.one("call");
    assert_eq!(call.field("http.response.status_code"), None);
    assert_eq!(call.field("attempts"), Some("1"));
    assert_eq!(call.field("error.type"), Some("communication_error"));
    seen.assert_clean();
}

#[tokio::test]
async fn a_success_whose_body_does_not_decode_fails_its_call_span() {
    let server = hybridbox_server(
        ResponseTemplate::new(200),
        vec![ResponseTemplate::new(201).set_body_string(format!("not json {EMAIL}"))],
    )
    .await;
    let client = hybridbox_client(&server.uri(), RetryPolicy::none());
    capture();
    let error = hybridbox_create(&client).await.unwrap_err();
    assert!(
        matches!(error, Error::InvalidResponsePayload(..)),
        "{error:?}"
    );
    let seen = captured();
    let call = seen.one("call");
    assert_eq!(call.field("http.response.status_code"), Some("201"));
    assert_eq!(call.field("error.type"), Some("invalid_response_payload"));
    assert!(call.closed, "closed when the caller has the error");
    seen.assert_clean();
}

/// A token source that says so in an event, then waits a minute (on
/// tokio's clock) for the test token.
#[derive(Debug)]
struct Slow;

impl TokenSource for Slow {
    fn token(&self) -> BoxFuture<'_, Result<SecretToken, AuthError>> {
        Box::pin(async {
            tracing::info!("fetching a token");
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(SecretToken::new(TOKEN))
        })
    }

    fn invalidate<'a>(&'a self, _rejected: &'a SecretToken) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

#[tokio::test(start_paused = true)]
async fn the_token_wait_is_inside_the_call_span() {
    // Nothing reaches the network: the deadline passes during the token wait.
    let client = hybridbox::Client::builder()
        .base_url(refused_base_url())
        .auth(Auth::source(Slow))
        .retry(RetryPolicy::none().deadline(Duration::from_secs(1)))
        .build()
        .unwrap();
    capture();
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
    let seen = captured();
    let call = seen.one("call");
    assert_eq!(call.field("attempts"), Some("0"));
    assert_eq!(call.field("error.type"), Some("deadline_passed"));
    let asked: Vec<_> = seen
        .events
        .iter()
        .filter(|e| e.fields.get("message").map(String::as_str) == Some("fetching a token"))
        .collect();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].span, Some(seen.named("call")[0]));
    seen.assert_clean();
}
