//! A failed answer never loses its status: every error status of both
//! vendors, with every kind of body a server or the proxies in front of it
//! send (the documented JSON, `{}`, text, an HTML page, nothing, a body too
//! large), reaches the caller with its status and an escaped excerpt of its
//! body, on the plain operations and through `invite`, which decides
//! `NotInvited` against `MaybeInvited` by the status alone. And the answers
//! the vendors' definitions allow are read: an Automox invitation with only
//! its `id`, an error body without `errors`.

mod common;

use common::{
    ACCOUNT, automox_client, automox_path, fast_retries, hybridbox_client, hybridbox_path,
};
use std::time::Duration;

use invitations::{ErrorExt, InviteError, InvitePolicy, Vendor, automox, hybridbox};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A body a failed answer may carry: its name, content type and bytes.
struct Body {
    name: &'static str,
    content_type: Option<&'static str>,
    bytes: &'static [u8],
    /// What the excerpt must contain when the body does not decode.
    shown: &'static str,
}

const HTML: &[u8] = b"<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>";

/// The bodies every status is tried with, beside the vendor's documented
/// one.
fn bodies() -> Vec<Body> {
    vec![
        Body {
            name: "empty JSON object",
            content_type: Some("application/json"),
            bytes: b"{}",
            shown: "{}",
        },
        Body {
            name: "text",
            content_type: Some("text/plain"),
            bytes: b"Bad Request",
            shown: "Bad Request",
        },
        Body {
            name: "HTML",
            content_type: Some("text/html"),
            bytes: HTML,
            // The newline is escaped: the excerpt stays on one line.
            shown: "</head>\\n<body>nginx",
        },
        Body {
            name: "empty",
            content_type: None,
            bytes: b"",
            shown: "",
        },
        Body {
            name: "control characters",
            content_type: Some("text/plain"),
            bytes: b"denied\x1b[2J\r\n::error::forged",
            shown: "denied\\u{1b}[2J\\r\\n::error::forged",
        },
    ]
}

/// The error statuses tried, and whether a create refused with it after the
/// client's retries may have been carried out.
const STATUSES: [(u16, bool); 9] = [
    (400, false),
    (401, false),
    (403, false),
    (404, false),
    (409, false),
    (429, false),
    (503, false),
    (500, true),
    (408, true),
];

fn answer(status: u16, content_type: Option<&str>, bytes: &[u8]) -> ResponseTemplate {
    let template = ResponseTemplate::new(status);
    match content_type {
        Some(content_type) => template.set_body_raw(bytes.to_vec(), content_type),
        None => template,
    }
}

/// Answers every create with `template`; Hybridbox lists answer no
/// invitation, so that `invite` reaches its create.
async fn serve(server: &MockServer, create_path: &str, template: ResponseTemplate) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(create_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(create_path))
        .respond_with(template)
        .mount(server)
        .await;
}

fn automox_body() -> automox::types::builder::CreateInvitationRequest {
    automox::types::CreateInvitationRequest::builder()
        .email("ada@example.com")
        .account_rbac_role(automox::types::AccountRbacRole::NoGlobalAccess)
}

fn hybridbox_body() -> hybridbox::types::builder::CreateInvitationRequest {
    hybridbox::types::CreateInvitationRequest::builder().email("ada@example.com")
}

/// Checks the plain operation's error and `invite`'s for one case.
fn check_error<E: std::fmt::Debug>(
    case: &str,
    status: u16,
    error: &invitations::Error<E>,
    shown: Option<&str>,
) {
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(status),
        "{case}: {error:?}"
    );
    match shown {
        // The documented body decoded into the vendor's typed error.
        None => assert!(
            matches!(error, invitations::Error::ErrorResponse(_)),
            "{case}: {error:?}"
        ),
        Some(shown) => {
            assert!(
                matches!(error, invitations::Error::UnexpectedResponse(_)),
                "{case}: {error:?}"
            );
            let excerpt = error.body_excerpt().expect("an excerpt of the body");
            assert!(
                excerpt.contains(shown),
                "{case}: {excerpt:?} lacks {shown:?}"
            );
            assert!(
                !excerpt.chars().any(char::is_control),
                "{case}: {excerpt:?}"
            );
        }
    }
}

fn check_invite<E: std::fmt::Debug>(case: &str, status: u16, maybe: bool, error: &InviteError<E>) {
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(status),
        "{case}: {error:?}"
    );
    assert_eq!(error.maybe_invited(), maybe, "{case}: {error}");
    assert!(
        matches!(
            (maybe, error),
            (true, InviteError::MaybeInvited { .. }) | (false, InviteError::NotInvited { .. })
        ),
        "{case}: {error:?}"
    );
}

#[tokio::test]
async fn automox_failed_answers_keep_their_status_whatever_their_body() {
    let server = MockServer::start().await;
    let client = automox_client(&server.uri(), fast_retries());
    let documented = Body {
        name: "documented",
        content_type: Some("application/json"),
        bytes: br#"{"errors":["email is already invited"]}"#,
        shown: "",
    };
    for (status, maybe) in STATUSES {
        for body in std::iter::once(&documented).chain(bodies().iter()) {
            let case = format!("automox {status} with a {} body", body.name);
            serve(
                &server,
                &automox_path(),
                answer(status, body.content_type, body.bytes),
            )
            .await;
            // Statuses the document lists decode the documented body (and
            // `{}`: the vendor's error bodies require nothing).
            let declared = [400, 401, 403, 404, 409, 429].contains(&status);
            let decodes =
                declared && (body.name == "documented" || body.name == "empty JSON object");
            let shown = (!decodes).then_some(body.shown);

            let error = client
                .create_invitation()
                .account_id(ACCOUNT)
                .body(automox_body())
                .send()
                .await
                .expect_err(&case);
            check_error(&case, status, &error, shown);
            if body.name == "documented"
                && let invitations::Error::ErrorResponse(typed) = &error
            {
                assert_eq!(typed.errors, ["email is already invited"], "{case}");
            }

            let error = client
                .invite(ACCOUNT, automox_body())
                .await
                .expect_err(&case);
            check_invite(&case, status, maybe, &error);
            assert_eq!(error.vendor(), Vendor::Automox);
        }
    }
}

#[tokio::test]
async fn hybridbox_failed_answers_keep_their_status_whatever_their_body() {
    let server = MockServer::start().await;
    let client = hybridbox_client(&server.uri(), fast_retries());
    let no_wait = InvitePolicy::default().reconcile_after(Duration::ZERO);
    // Hybridbox documents no error body: every failed answer is unexpected.
    let json = Body {
        name: "JSON",
        content_type: Some("application/json"),
        bytes: br#"{"message":"invitation already exists"}"#,
        shown: "invitation already exists",
    };
    for (status, maybe) in STATUSES {
        for body in std::iter::once(&json).chain(bodies().iter()) {
            let case = format!("hybridbox {status} with a {} body", body.name);
            serve(
                &server,
                &hybridbox_path(),
                answer(status, body.content_type, body.bytes),
            )
            .await;

            let error = client
                .create_invitation()
                .account_id(ACCOUNT)
                .body(hybridbox_body())
                .send()
                .await
                .expect_err(&case);
            check_error(&case, status, &error, Some(body.shown));

            // A create that surely did nothing ends `invite`; an ambiguous
            // one is checked by listing (nothing listed) and, with the
            // default policy, sent once more: the last error is the create's.
            let error = client
                .invite_with(ACCOUNT, hybridbox_body(), &no_wait)
                .await
                .expect_err(&case);
            check_invite(&case, status, maybe, &error);
            assert_eq!(error.vendor(), Vendor::Hybridbox);
        }
    }
}

#[tokio::test]
async fn a_failed_list_keeps_its_status_too() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(hybridbox_path()))
        .respond_with(answer(502, Some("text/html"), HTML))
        .mount(&server)
        .await;
    let client = hybridbox_client(&server.uri(), invitations::RetryPolicy::none());
    let error = client
        .invite(ACCOUNT, hybridbox_body())
        .await
        .expect_err("the lookup fails");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(error.step(), Some(invitations::InviteStep::Lookup));
    assert!(!error.maybe_invited(), "no create was sent");
    let excerpt = error.api_error().and_then(ErrorExt::body_excerpt);
    assert!(
        excerpt.is_some_and(|e| e.contains("502 Bad Gateway")),
        "{excerpt:?}"
    );
    assert_eq!(
        common::received(&server).await,
        1,
        "no create after a failed lookup"
    );
}

#[tokio::test]
async fn a_failed_answer_too_large_keeps_its_status_and_what_arrived() {
    let server = MockServer::start().await;
    let page = format!("<html>{}</html>", "x".repeat(64 * 1024));
    Mock::given(method("POST"))
        .and(path(automox_path()))
        .respond_with(ResponseTemplate::new(400).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    let client = automox::Client::builder()
        .base_url(server.uri())
        .auth(invitations::Auth::bearer(common::TOKEN))
        .retry(invitations::RetryPolicy::none())
        .max_response_body(1024)
        .build()
        .unwrap();
    let error = client
        .create_invitation()
        .account_id(ACCOUNT)
        .body(automox_body())
        .send()
        .await
        .expect_err("a 400");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    let excerpt = error.body_excerpt().expect("an excerpt");
    assert!(excerpt.starts_with("<html>xxx"), "{excerpt:?}");
    assert!(
        excerpt.ends_with('…'),
        "cut short, and says so: {excerpt:?}"
    );
    assert!(excerpt.len() <= 4096 + '…'.len_utf8(), "{}", excerpt.len());

    let error = client.invite(ACCOUNT, automox_body()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(!error.maybe_invited());
}

#[tokio::test]
async fn an_excerpt_is_capped_at_4_kib() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(hybridbox_path()))
        .respond_with(ResponseTemplate::new(500).set_body_raw("é".repeat(5000), "text/plain"))
        .mount(&server)
        .await;
    let client = hybridbox_client(&server.uri(), invitations::RetryPolicy::none());
    let error = common::hybridbox_create(&client).await.unwrap_err();
    let excerpt = error.body_excerpt().expect("an excerpt");
    assert!(excerpt.ends_with('…'), "{excerpt:?}");
    // 4 KiB: 2,048 two-byte characters, then the mark of the cut.
    assert_eq!(excerpt, format!("{}…", "é".repeat(2048)));
}

#[tokio::test]
async fn an_automox_invitation_with_only_its_id_is_read() {
    let server = MockServer::start().await;
    let id = "a75c3a2f-9c02-0479-8472-a17a25228fc5";
    Mock::given(method("POST"))
        .and(path(automox_path()))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!([{ "id": id }])))
        .mount(&server)
        .await;
    let client = automox_client(&server.uri(), fast_retries());
    let created = client.invite(ACCOUNT, automox_body()).await.expect("read");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].id.to_string(), id);
    assert_eq!(
        created[0].email, None,
        "the vendor sends it only for a new user"
    );
    assert!(created[0].zones.is_empty() && created[0].inviter.is_none());
}

#[tokio::test]
async fn both_names_of_the_role_without_global_access_are_sent() {
    let server = MockServer::start().await;
    let client = automox_client(&server.uri(), fast_retries());
    for (role, wire) in [
        (
            automox::types::AccountRbacRole::NoGlobalAccess,
            "no-global-access",
        ),
        (
            automox::types::AccountRbacRole::NonGlobalAdmin,
            "non-global-admin",
        ),
        (automox::types::AccountRbacRole::GlobalAdmin, "global-admin"),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path(automox_path()))
            .respond_with(ResponseTemplate::new(201).set_body_json(
                serde_json::json!([{ "id": "a75c3a2f-9c02-0479-8472-a17a25228fc5" }]),
            ))
            .mount(&server)
            .await;
        let zone = automox::types::ZoneAssignment::builder()
            .zone_id("3a55518d-2488-6f4e-55fb-a40fc120cd12")
            .rbac_role(automox::types::ZoneRbacRole::ZoneAdmin);
        let body = automox::types::CreateInvitationRequest::builder()
            .email("ada@example.com")
            .account_rbac_role(role)
            .zone_assignments(vec![zone.try_into().unwrap()]);
        client.invite(ACCOUNT, body).await.expect(wire);
        let sent = server.received_requests().await.unwrap();
        assert_eq!(sent.len(), 1);
        let json: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
        assert_eq!(json["account_rbac_role"], wire);
        assert_eq!(json["zone_assignments"][0]["rbac_role"], "zone-admin");
        assert_eq!(
            wire.parse::<automox::types::AccountRbacRole>().unwrap(),
            role
        );
    }
}
