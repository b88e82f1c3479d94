//! The generated types against the vendors' own samples (the `seed` examples
//! in `openapi/invitations.yaml`, copied from the vendors' documentation):
//! requests built with the generated builders serialize to the samples,
//! responses parse and serialize back without losing a field, and values the
//! document does not know survive in open enums.

use invitations::{automox, hybridbox};
use serde_json::{Value, json};

/// The document, as JSON.
fn document() -> Value {
    let text = include_str!("../openapi/invitations.yaml");
    invitations_codegen::Document::parse("openapi/invitations.yaml", text)
        .expect("the document parses")
        .root
}

/// A `seed` example of the document, following one `$ref` to a named example.
fn seed(pointer: &str) -> Value {
    let doc = document();
    let example = doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no example at {pointer}"));
    let example = match example.get("$ref").and_then(Value::as_str) {
        Some(target) => doc
            .pointer(target.trim_start_matches('#'))
            .expect("example ref resolves"),
        None => example,
    };
    example["value"].clone()
}

const HYBRIDBOX_CREATE: &str =
    "/paths/~1v1~1public~1accounts~1{account_id}~1auth~1invitations/post";
const AUTOMOX_CREATE: &str = "/paths/~1accounts~1{accountId}~1invitations/post";

fn request_seed(operation: &str) -> Value {
    seed(&format!(
        "{operation}/requestBody/content/application~1json/examples/seed"
    ))
}

fn response_seed(operation: &str, status: &str) -> Value {
    seed(&format!(
        "{operation}/responses/{status}/content/application~1json/examples/seed"
    ))
}

#[test]
fn hybridbox_request_sample_is_what_the_builders_produce() {
    let request: hybridbox::types::CreateInvitationRequest =
        hybridbox::types::CreateInvitationRequest::builder()
            .email("<string>")
            .locale("<string>".to_owned())
            .note("<string>".to_owned())
            .assignments(vec![
                hybridbox::types::AssignmentRequest::builder()
                    .capability_key("<string>".to_owned())
                    .group_id("<string>".to_owned())
                    .resource_id(
                        "3c90c3cc-0d44-4b50-8888-8dd25736052a"
                            .parse::<uuid::Uuid>()
                            .unwrap(),
                    )
                    .role_key("<string>".to_owned())
                    .try_into()
                    .unwrap(),
            ])
            .try_into()
            .unwrap();
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        request_seed(HYBRIDBOX_CREATE)
    );
}

#[test]
fn automox_request_sample_is_what_the_builders_produce() {
    let zone = |id: &str| -> automox::types::ZoneAssignment {
        automox::types::ZoneAssignment::builder()
            .zone_id(id.parse::<uuid::Uuid>().unwrap())
            .rbac_role(automox::types::ZoneRbacRole::ZoneAdmin)
            .try_into()
            .unwrap()
    };
    let request: automox::types::CreateInvitationRequest =
        automox::types::CreateInvitationRequest::builder()
            .email("john.doe@example.com")
            .account_rbac_role(automox::types::AccountRbacRole::GlobalAdmin)
            .zone_assignments(vec![
                zone("3a55518d-2488-6f4e-55fb-a40fc120cd12"),
                zone("470b44ab-f667-b9bb-fcab-d8faf8696b24"),
            ])
            .try_into()
            .unwrap();
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        request_seed(AUTOMOX_CREATE)
    );
}

#[test]
fn hybridbox_response_sample_round_trips_without_losing_a_field() {
    let sample = response_seed(HYBRIDBOX_CREATE, "2XX");
    let invitation: hybridbox::types::Invitation = serde_json::from_value(sample.clone()).unwrap();
    assert_eq!(invitation.assignments[0].position, Some(123));
    assert_eq!(serde_json::to_value(&invitation).unwrap(), sample);
}

#[test]
fn automox_response_sample_round_trips_without_losing_a_field() {
    let sample = response_seed(AUTOMOX_CREATE, "201");
    let invitations: Vec<automox::types::Invitation> =
        serde_json::from_value(sample.clone()).unwrap();
    assert_eq!(invitations.len(), 1);
    let inviter = invitations[0].inviter.as_ref().unwrap();
    assert_eq!(inviter.id, Some(97149829));
    assert_eq!(inviter.status, Some(automox::types::UserStatus::Active));
    assert_eq!(
        inviter.two_factor_authentication,
        Some(automox::types::TwoFactorAuthentication::Email)
    );
    assert_eq!(serde_json::to_value(&invitations).unwrap(), sample);
}

#[test]
fn unknown_enum_values_and_fields_parse_and_the_values_are_kept() {
    let mut sample = response_seed(HYBRIDBOX_CREATE, "2XX");
    sample["assignments"][0]["grant_kind"] = json!("delegated_admin");
    sample["assignments"][0]["resource_type"] = json!("dns_record");
    sample["permission_context"]["subject_type"] = json!("robot");
    sample["a_field_added_later"] = json!({"nested": [1, 2]});

    let invitation: hybridbox::types::Invitation = serde_json::from_value(sample.clone()).unwrap();
    let assignment = &invitation.assignments[0];
    assert_eq!(
        assignment.grant_kind,
        Some(hybridbox::types::GrantKind::Other(
            "delegated_admin".to_owned()
        ))
    );
    assert_eq!(
        assignment.resource_type,
        Some(hybridbox::types::ResourceType::DnsRecord)
    );
    let context = invitation.permission_context.as_ref().unwrap();
    assert!(!context.subject_type.as_ref().unwrap().is_known());

    let back = serde_json::to_value(&invitation).unwrap();
    assert_eq!(back["assignments"][0]["grant_kind"], "delegated_admin");
    assert_eq!(back["permission_context"]["subject_type"], "robot");
}

#[test]
fn automox_role_spellings_from_both_vendor_schemas_parse() {
    let mut sample = response_seed(AUTOMOX_CREATE, "201");
    sample[0]["account_rbac_role"] = json!("no-global-access");
    sample[0]["inviter"]["account_rbac_role"] = json!("non-global-admin");
    sample[0]["zones"][0]["rbac_role"] = json!("zone-auditor");
    sample[0]["inviter"]["two_factor_authentication"] = Value::Null;

    let invitations: Vec<automox::types::Invitation> = serde_json::from_value(sample).unwrap();
    let invitation = &invitations[0];
    assert_eq!(
        invitation.account_rbac_role,
        Some(automox::types::GrantedAccountRbacRole::NoGlobalAccess)
    );
    let inviter = invitation.inviter.as_ref().unwrap();
    assert_eq!(
        inviter.account_rbac_role,
        Some(automox::types::GrantedAccountRbacRole::NonGlobalAdmin)
    );
    assert_eq!(inviter.two_factor_authentication, None);
    assert_eq!(
        invitation.zones[0].rbac_role.as_ref().unwrap().as_str(),
        "zone-auditor"
    );
}

#[test]
fn request_enums_stay_closed() {
    let err = serde_json::from_value::<automox::types::AccountRbacRole>(json!("no-global-admin"))
        .unwrap_err();
    assert!(err.to_string().contains("no-global-admin"), "{err}");
    // Both of the vendor's names for the role without global access are sent.
    for (role, wire) in [
        (
            automox::types::AccountRbacRole::NonGlobalAdmin,
            "non-global-admin",
        ),
        (
            automox::types::AccountRbacRole::NoGlobalAccess,
            "no-global-access",
        ),
    ] {
        assert_eq!(serde_json::to_value(role).unwrap(), wire);
    }
}

#[test]
fn a_missing_required_field_is_named_by_the_builder() {
    let err = automox::types::CreateInvitationRequest::try_from(
        automox::types::CreateInvitationRequest::builder().email("ada@example.com"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("account_rbac_role"), "{err}");
}

#[test]
fn base_urls_come_from_the_document() {
    assert_eq!(hybridbox::DEFAULT_BASE_URL, "https://api.hybridbox.io");
    assert_eq!(automox::DEFAULT_BASE_URL, "https://console.automox.com/api");
}

#[test]
fn an_empty_email_is_refused_by_the_builder_naming_the_field() {
    let err = hybridbox::types::CreateInvitationRequest::try_from(
        hybridbox::types::CreateInvitationRequest::builder().email(""),
    )
    .unwrap_err();
    assert!(err.to_string().contains("email"), "{err}");
    let err = automox::types::CreateInvitationRequest::try_from(
        automox::types::CreateInvitationRequest::builder()
            .email("")
            .account_rbac_role(automox::types::AccountRbacRole::GlobalAdmin),
    )
    .unwrap_err();
    assert!(err.to_string().contains("email"), "{err}");
}

/// The seed's request section lists `grant_kind` and `resource_type` among
/// the assignments' attributes (its curl sample leaves them out): built with
/// the generated builders, both reach the server.
#[tokio::test]
async fn hybridbox_assignment_grant_kind_and_resource_type_are_sent() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    let account = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1/public/accounts/{account}/auth/invitations"
        )))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": "a75c3a2f-9c02-0479-8472-a17a25228fc5", "email": "ada@example.com"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = hybridbox::Client::builder()
        .base_url(server.uri())
        .auth(invitations::Auth::bearer("tok"))
        .build()
        .unwrap();
    client
        .create_invitation()
        .account_id(account)
        .body(
            hybridbox::types::CreateInvitationRequest::builder()
                .email("ada@example.com")
                .assignments(vec![
                    hybridbox::types::AssignmentRequest::builder()
                        .grant_kind(hybridbox::types::KnownGrantKind::Capability)
                        .resource_type(hybridbox::types::KnownResourceType::DnsRecord)
                        .capability_key("dns.records.write".to_owned())
                        .try_into()
                        .unwrap(),
                ]),
        )
        .send()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body["assignments"],
        json!([{
            "grant_kind": "capability",
            "resource_type": "dns_record",
            "capability_key": "dns.records.write"
        }])
    );
}
