//! The `mock` feature as an application uses it: the application's own code
//! calls the typed client, and its test stands up an httpmock server (on
//! 127.0.0.1) with the typed helpers from `invitations::<vendor>::mock`.

use invitations::automox;
use invitations::automox::mock::MockServerExt;

/// Application code under test: invites a list of people to an Automox
/// account as non-admins, returning the invitation ids.
async fn invite_team(
    client: &automox::Client,
    account: uuid::Uuid,
    emails: &[&str],
) -> Result<Vec<uuid::Uuid>, automox::Error<automox::types::ErrorBody>> {
    let mut ids = Vec::new();
    for email in emails {
        let invitations = client
            .create_invitation()
            .account_id(account)
            .body(
                automox::types::CreateInvitationRequest::builder()
                    .email(*email)
                    .account_rbac_role(automox::types::AccountRbacRole::NonGlobalAdmin),
            )
            .send()
            .await?;
        ids.extend(invitations.iter().map(|i| i.id));
    }
    Ok(ids)
}

fn invitation(id: &str, email: &str) -> automox::types::Invitation {
    serde_json::from_value(serde_json::json!({"id": id, "email": email})).unwrap()
}

fn request(email: &str) -> automox::types::CreateInvitationRequest {
    automox::types::CreateInvitationRequest::builder()
        .email(email)
        .account_rbac_role(automox::types::AccountRbacRole::NonGlobalAdmin)
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn an_application_tests_its_invitation_code_with_typed_mocks() {
    let server = httpmock::MockServer::start_async().await;
    let account: uuid::Uuid = "c0faadbe-7246-24e6-5daa-9861d44b3660".parse().unwrap();
    let ada = server.create_invitation(|when, then| {
        when.account_id(&account).body(&request("ada@example.com"));
        then.created(&vec![invitation(
            "a75c3a2f-9c02-0479-8472-a17a25228fc5",
            "ada@example.com",
        )]);
    });
    let bob = server.create_invitation(|when, then| {
        when.account_id(&account).body(&request("bob@example.com"));
        then.created(&vec![invitation(
            "470b44ab-f667-b9bb-fcab-d8faf8696b24",
            "bob@example.com",
        )]);
    });

    let client = automox::Client::builder()
        .base_url(server.base_url())
        .build()
        .unwrap();
    let ids = invite_team(&client, account, &["ada@example.com", "bob@example.com"])
        .await
        .unwrap();

    assert_eq!(
        ids,
        [
            "a75c3a2f-9c02-0479-8472-a17a25228fc5"
                .parse::<uuid::Uuid>()
                .unwrap(),
            "470b44ab-f667-b9bb-fcab-d8faf8696b24".parse().unwrap()
        ]
    );
    ada.assert_calls_async(1).await;
    bob.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_typed_error_mock_reaches_the_application_as_the_vendor_error() {
    let server = httpmock::MockServer::start_async().await;
    let account: uuid::Uuid = "c0faadbe-7246-24e6-5daa-9861d44b3660".parse().unwrap();
    let conflict = server.create_invitation(|when, then| {
        when.account_id(&account);
        then.conflict(&automox::types::ErrorBody {
            errors: vec!["user already invited".to_owned()],
        });
    });

    let client = automox::Client::builder()
        .base_url(server.base_url())
        .build()
        .unwrap();
    let error = invite_team(&client, account, &["ada@example.com"])
        .await
        .unwrap_err();

    assert_eq!(error.status().map(|s| s.as_u16()), Some(409));
    let automox::Error::ErrorResponse(body) = error else {
        panic!("not the vendor's error: {error:?}")
    };
    assert_eq!(body.errors, ["user already invited"]);
    conflict.assert_calls_async(1).await;
}
