//! Automox's own definition as the referee: the typed Automox client against
//! Prism serving `tests/data/vendor/automox/axconsoleAIO.yaml`, the vendor's
//! published OpenAPI document (unmodified; see the README beside it), as a
//! mock on 127.0.0.1.
//!
//! `--errors`: a request that breaks the vendor's definition gets a 4xx and
//! an `sl-violations` header. `-d`: every answer is made up anew from the
//! vendor's schemas, so each request is sent many times and every answer
//! must be read.
//!
//! Prism is an npm tool pinned in `package-lock.json`; `scripts/test` installs
//! it and runs these tests. A plain `cargo test` lists them as ignored.

use std::net::SocketAddr;

#[path = "common/prism.rs"]
mod prism;

use invitations::automox::types::{AccountRbacRole, CreateInvitationRequest, ZoneRbacRole};
use invitations::{Auth, ErrorExt, RetryPolicy, automox};
use prism::Prism;

/// The vendor's definition, relative to the crate's root.
const VENDOR_DEFINITION: &str = "tests/data/vendor/automox/axconsoleAIO.yaml";

/// How many times each request is sent: `-d` makes every answer different.
const ITERATIONS: usize = 25;

/// Prism making up every answer anew from the vendor's schemas.
fn dynamic() -> Prism {
    Prism::run(&["mock", "-d", VENDOR_DEFINITION])
}

/// Prism answering with the example it builds from the schemas' own
/// `examples` values, not the operation's example.
fn from_schema_examples() -> Prism {
    Prism::run(&["mock", "--ignoreExamples", VENDOR_DEFINITION])
}

/// A loopback forwarder to `upstream` that adds `Prefer: <prefer>` to every
/// request, Prism's way to pick an answer (`code=404`, `dynamic=false`).
///
/// The client builder takes neither a reqwest client nor default headers, so
/// the header goes in on the way. Each forwarded request also gets
/// `Connection: close`, so every request arrives on a new connection and
/// gets the header.
async fn prefer_forwarder(upstream: SocketAddr, prefer: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut chunk = [0u8; 8192];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                let request_line = head.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
                let mut request = head[..request_line].to_vec();
                request.extend_from_slice(format!("prefer: {prefer}\r\n").as_bytes());
                request.extend_from_slice(b"connection: close\r\n");
                request.extend_from_slice(&head[request_line..]);
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                if server.write_all(&request).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

/// The token Prism checks for (it checks presence, not value).
const TOKEN: &str = "vendor-contract-test";

fn client(base_url: &str) -> automox::Client {
    automox::Client::builder()
        .base_url(base_url)
        .auth(Auth::bearer(TOKEN))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn uuid(s: &str) -> uuid::Uuid {
    s.parse().unwrap()
}

const ACCOUNT: &str = "c0faadbe-7246-24e6-5daa-9861d44b3660";

/// Every account role the client can send, each with whether the vendor's
/// request schema lists it.
///
/// The vendor's definition disagrees with itself: its request schema
/// (`components/requestBodies/accountInvite`) lists `account_rbac_role` as
/// `global-admin | non-global-admin`, while its response schema
/// (`accountRbacRole`) says `global-admin | no-global-access`, and Automox's
/// own client (its MCP server) sends `no-global-access` in creates. So Prism,
/// refereeing with the request schema, refuses `no-global-access`; that
/// refusal is asserted, not hidden.
fn account_roles() -> [(AccountRbacRole, bool); 3] {
    // No wildcard: a role added to the enum fails to compile here until it
    // is placed, and then it belongs in the list below too.
    let listed_by_vendor = |role| match role {
        AccountRbacRole::GlobalAdmin | AccountRbacRole::NonGlobalAdmin => true,
        AccountRbacRole::NoGlobalAccess => false,
    };
    [
        AccountRbacRole::GlobalAdmin,
        AccountRbacRole::NonGlobalAdmin,
        AccountRbacRole::NoGlobalAccess,
    ]
    .map(|role| (role, listed_by_vendor(role)))
}

/// Every zone role the client can send.
fn zone_roles() -> [ZoneRbacRole; 6] {
    let all = [
        ZoneRbacRole::ZoneAdmin,
        ZoneRbacRole::BillingAdmin,
        ZoneRbacRole::ReadOnly,
        ZoneRbacRole::ZoneOperator,
        ZoneRbacRole::PatchOperator,
        ZoneRbacRole::HelpdeskOperator,
    ];
    // No wildcard: a role added to the enum fails to compile here until it
    // is listed above.
    for role in all {
        match role {
            ZoneRbacRole::ZoneAdmin
            | ZoneRbacRole::BillingAdmin
            | ZoneRbacRole::ReadOnly
            | ZoneRbacRole::ZoneOperator
            | ZoneRbacRole::PatchOperator
            | ZoneRbacRole::HelpdeskOperator => {}
        }
    }
    all
}

/// Every request shape for `role`: the minimum (email and account role),
/// one zone assignment of each zone role, and all zone roles at once.
fn shapes(role: AccountRbacRole) -> Vec<(String, CreateInvitationRequest)> {
    let request = |zones: &[ZoneRbacRole]| {
        CreateInvitationRequest::try_from(
            CreateInvitationRequest::builder()
                .email("ada@example.com")
                .account_rbac_role(role)
                .zone_assignments(
                    zones
                        .iter()
                        .enumerate()
                        .map(|(i, &rbac_role)| {
                            automox::types::ZoneAssignment::builder()
                                .zone_id(uuid(&format!("3a55518d-2488-6f4e-55fb-a40fc120cd{i:02}")))
                                .rbac_role(rbac_role)
                                .try_into()
                                .unwrap()
                        })
                        .collect::<Vec<_>>(),
                ),
        )
        .unwrap()
    };
    let mut shapes = vec![(format!("{role} (minimum)"), request(&[]))];
    for zone in zone_roles() {
        shapes.push((format!("{role} with a {zone} zone"), request(&[zone])));
    }
    shapes.push((
        format!("{role} with every zone role"),
        request(&zone_roles()),
    ));
    shapes
}

/// What went wrong with a call, with the body the client could not read and
/// the decoding error where that is what happened.
async fn describe(error: automox::Error<automox::types::ErrorBody>) -> String {
    match error {
        automox::Error::InvalidResponsePayload(body, serde) => format!(
            "the answer does not decode: {serde}\nbody: {}",
            String::from_utf8_lossy(&body)
        ),
        automox::Error::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = format!("{:?}", response.headers());
            let body = response.text().await.unwrap_or_else(|e| e.to_string());
            format!("unexpected response {status}\nheaders: {headers}\nbody: {body}")
        }
        other => format!("{other} ({other:?})"),
    }
}

#[tokio::test]
#[ignore = "needs Prism from npm; scripts/test installs it and runs these"]
async fn every_request_shape_meets_the_vendor_definition_and_every_answer_reads() {
    let prism = dynamic();
    let automox = client(&prism.url());
    for (role, listed_by_vendor) in account_roles() {
        for (what, body) in shapes(role) {
            if !listed_by_vendor {
                // The vendor's request schema does not list this role (see
                // `account_roles`): Prism refuses the request, answering with
                // the operation's documented 400 (Prism answers a request
                // that breaks the definition with the first of 422, 400 and
                // `default` the operation documents), and names the field.
                let error = automox
                    .create_invitation()
                    .account_id(uuid(ACCOUNT))
                    .body(body)
                    .send()
                    .await
                    .expect_err(&what);
                assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{what}");
                let violations = error
                    .response_headers()
                    .and_then(|h| h.get("sl-violations"))
                    .unwrap_or_else(|| panic!("{what}: prism names the violation: {error:?}"))
                    .to_str()
                    .unwrap()
                    .to_owned();
                // That violation and no other: the rest of the request meets
                // the vendor's definition.
                let violations: serde_json::Value = serde_json::from_str(&violations).unwrap();
                assert_eq!(
                    violations
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| (v["location"].clone(), v["code"].clone()))
                        .collect::<Vec<_>>(),
                    [(
                        serde_json::json!(["request", "body", "account_rbac_role"]),
                        serde_json::json!("enum")
                    )],
                    "{what}: {violations}"
                );
                continue;
            }
            for i in 0..ITERATIONS {
                let result = automox
                    .create_invitation()
                    .account_id(uuid(ACCOUNT))
                    .body(body.clone())
                    .send()
                    .await;
                let response = match result {
                    Ok(response) => response,
                    Err(error) => panic!("{what}, answer {i}: {}", describe(error).await),
                };
                assert_eq!(response.status().as_u16(), 201, "{what}");
                assert!(
                    response.headers().get("sl-violations").is_none(),
                    "{what}: prism reports violations: {:?}",
                    response.headers().get("sl-violations")
                );
            }
        }
    }
}

/// Each error status the vendor documents for the create, asked for with
/// `Prefer: code=NNN`, reaches the caller as an error with that status,
/// whatever body `-d` makes up for it.
#[tokio::test]
#[ignore = "needs Prism from npm; scripts/test installs it and runs these"]
async fn every_documented_error_status_reaches_the_caller() {
    let prism = dynamic();
    for (code, prefer) in [
        (400, "code=400"),
        (401, "code=401"),
        (403, "code=403"),
        (404, "code=404"),
        (409, "code=409"),
        (429, "code=429"),
    ] {
        let automox = client(&prefer_forwarder(prism.addr, prefer).await);
        for i in 0..ITERATIONS {
            let result = automox
                .create_invitation()
                .account_id(uuid(ACCOUNT))
                .body(
                    CreateInvitationRequest::builder()
                        .email("ada@example.com")
                        .account_rbac_role(AccountRbacRole::GlobalAdmin),
                )
                .send()
                .await;
            let error = match result {
                Ok(response) => panic!("{prefer}, answer {i}: a success: {response:?}"),
                Err(error) => error,
            };
            let status = error.status().map(|s| s.as_u16());
            if status != Some(code) {
                panic!(
                    "{prefer}, answer {i}: status {status:?}, not {code}: {}",
                    describe(error).await
                );
            }
            if let Some(violations) = error
                .response_headers()
                .and_then(|h| h.get("sl-violations"))
            {
                panic!("{prefer}: prism reports violations: {violations:?}");
            }
        }
    }
}

/// Invites john.doe@example.com as a global admin through `base_url`; the
/// invitations read, or a panic saying what could not be read.
async fn create_global_admin(base_url: &str, what: &str) -> Vec<automox::types::Invitation> {
    let result = client(base_url)
        .create_invitation()
        .account_id(uuid(ACCOUNT))
        .body(
            CreateInvitationRequest::builder()
                .email("john.doe@example.com")
                .account_rbac_role(AccountRbacRole::GlobalAdmin),
        )
        .send()
        .await;
    match result {
        Ok(response) => response.into_inner(),
        Err(error) => panic!("{what}: {}", describe(error).await),
    }
}

/// The vendor's own example answer (`Prefer: dynamic=false`) reads.
#[tokio::test]
#[ignore = "needs Prism from npm; scripts/test installs it and runs these"]
async fn the_vendor_example_answer_reads() {
    let prism = dynamic();
    let base_url = prefer_forwarder(prism.addr, "dynamic=false").await;
    let invitations = create_global_admin(&base_url, "the vendor's example").await;
    // The example in the vendor's definition, as the client reads it
    // (compared as JSON, whichever fields the document makes optional).
    assert_eq!(invitations.len(), 1);
    let invitation = serde_json::to_value(&invitations[0]).unwrap();
    assert_eq!(invitation["id"], "a75c3a2f-9c02-0479-8472-a17a25228fc5");
    assert_eq!(invitation["email"], "john.doe@example.com");
    assert_eq!(invitation["account_rbac_role"], "global-admin");
    assert_eq!(invitation["zones"].as_array().map(Vec::len), Some(2));
    assert_eq!(invitation["inviter"]["id"], 97149829);
    assert_eq!(invitation["inviter"]["two_factor_authentication"], "email");
}

/// The answer Prism builds from the `examples` values of the vendor's
/// schemas (`--ignoreExamples`, static) reads: it carries the vendor's
/// date-times as the definition gives them, `2021-10-20T16:03:25+0000` (no
/// colon in the offset), which `-d` never produces.
#[tokio::test]
#[ignore = "needs Prism from npm; scripts/test installs it and runs these"]
async fn the_answer_from_the_vendor_schema_examples_reads() {
    let prism = from_schema_examples();
    let invitations = create_global_admin(&prism.url(), "the vendor's schema examples").await;
    assert_eq!(invitations.len(), 1);
    let invitation = serde_json::to_value(&invitations[0]).unwrap();
    assert_eq!(invitation["id"], "098d6f56-53a0-4803-9271-f608d4faeb36");
    // `+0000` read as UTC (written back as RFC 3339).
    assert_eq!(invitation["created_at"], "2021-10-20T16:03:25Z");
    assert_eq!(invitation["inviter"]["created_at"], "2021-10-20T16:03:25Z");
}
