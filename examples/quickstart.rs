//! Invite one user on each vendor and print what came back.
//!
//! By default it starts an embedded mock of both APIs on 127.0.0.1 (answering
//! with the vendors' documented samples) and talks to it through the real
//! clients. With `--live` it calls the real APIs instead, reading
//! `HYBRIDBOX_TOKEN`, `HYBRIDBOX_ACCOUNT_ID`, `AUTOMOX_API_KEY`,
//! `AUTOMOX_ACCOUNT_ID` and `INVITE_EMAIL` from the environment.
//!
//! Run: `cargo run --example quickstart` (or `-- --live`).

use std::error::Error;

use invitations::{Auth, RetryPolicy, automox, hybridbox};

/// Where to send requests, and with which credentials and ids.
struct Target {
    hybridbox_url: String,
    hybridbox_auth: Auth,
    hybridbox_account: uuid::Uuid,
    automox_url: String,
    automox_auth: Auth,
    automox_account: uuid::Uuid,
    email: String,
}

fn env(name: &str) -> Result<String, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(
            format!("environment variable {name} is missing or empty (needed by --live)").into(),
        ),
    }
}

fn live_target() -> Result<Target, Box<dyn Error>> {
    Ok(Target {
        hybridbox_url: hybridbox::DEFAULT_BASE_URL.to_owned(),
        hybridbox_auth: Auth::from_env("HYBRIDBOX_TOKEN")?,
        hybridbox_account: env("HYBRIDBOX_ACCOUNT_ID")?
            .parse()
            .map_err(|e| format!("HYBRIDBOX_ACCOUNT_ID: {e}"))?,
        automox_url: automox::DEFAULT_BASE_URL.to_owned(),
        automox_auth: Auth::from_env("AUTOMOX_API_KEY")?,
        automox_account: env("AUTOMOX_ACCOUNT_ID")?
            .parse()
            .map_err(|e| format!("AUTOMOX_ACCOUNT_ID: {e}"))?,
        email: env("INVITE_EMAIL")?,
    })
}

/// An embedded mock of both APIs, answering with the documented samples.
fn mock_target(server: &httpmock::MockServer) -> Target {
    let account: uuid::Uuid = "c0faadbe-7246-24e6-5daa-9861d44b3660".parse().unwrap();
    // `invite` looks for a pending invitation first: none yet.
    server.mock(|when, then| {
        when.method("GET")
            .path(format!(
                "/hybridbox/v1/public/accounts/{account}/auth/invitations"
            ))
            .query_param("status", "pending")
            .header("authorization", "Bearer example-hybridbox-token");
        then.status(200).json_body(serde_json::json!([]));
    });
    server.mock(|when, then| {
        when.method("POST")
            .path(format!(
                "/hybridbox/v1/public/accounts/{account}/auth/invitations"
            ))
            .header("authorization", "Bearer example-hybridbox-token");
        then.status(201).json_body(serde_json::json!({
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "email": "ada@example.com",
            "status": "pending",
            "created_at": "2023-11-07T05:31:56Z",
            "expires_at": "2023-11-14T05:31:56Z",
            "assignments": [],
            "permission_context": {"status": "active", "subject_id": "", "subject_type": "unknown"}
        }));
    });
    server.mock(|when, then| {
        when.method("POST")
            .path(format!("/automox/accounts/{account}/invitations"))
            .header("authorization", "Bearer example-automox-key");
        then.status(201).json_body(serde_json::json!([{
            "id": "a75c3a2f-9c02-0479-8472-a17a25228fc5",
            "account_id": account,
            "account_rbac_role": "no-global-access",
            "email": "ada@example.com",
            "zones": [],
            "created_at": "2021-03-04T23:57:24.953Z"
        }]));
    });
    Target {
        hybridbox_url: format!("{}/hybridbox", server.base_url()),
        hybridbox_auth: Auth::bearer("example-hybridbox-token"),
        hybridbox_account: account,
        automox_url: format!("{}/automox", server.base_url()),
        automox_auth: Auth::bearer("example-automox-key"),
        automox_account: account,
        email: "ada@example.com".to_owned(),
    }
}

async fn run(target: Target) -> Result<(), Box<dyn Error>> {
    // Retries 429, 503 and connection failures; never blindly repeats a
    // create that may have reached the server.
    let client = hybridbox::Client::builder()
        .base_url(&target.hybridbox_url)
        .auth(target.hybridbox_auth)
        .retry(RetryPolicy::default())
        .build()?;
    // `invite`: never invites twice (it looks for a pending invitation
    // first, and checks before repeating a create whose fate is unknown).
    let invited = client
        .invite(
            target.hybridbox_account,
            hybridbox::types::CreateInvitationRequest::builder().email(target.email.as_str()),
        )
        .await?;
    let invitation = invited.invitation();
    println!(
        "hybridbox: invitation {} for {} is {} (expires {}){}",
        invitation.id,
        invitation.email,
        invitation.status.as_deref().unwrap_or("?"),
        invitation
            .expires_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "never".to_owned()),
        if invited.created() {
            ""
        } else {
            ", already there"
        },
    );

    let client = automox::Client::builder()
        .base_url(&target.automox_url)
        .auth(target.automox_auth)
        .build()?;
    let invitations = client
        .invite(
            target.automox_account,
            automox::types::CreateInvitationRequest::builder()
                .email(target.email.as_str())
                .account_rbac_role(automox::types::AccountRbacRole::NonGlobalAdmin),
        )
        .await?;
    for invitation in invitations.iter() {
        println!(
            "automox: invitation {} for {} with account role {}",
            invitation.id,
            // Sent only for a user who does not exist yet.
            invitation.email.as_deref().unwrap_or("an existing user"),
            invitation
                .account_rbac_role
                .as_ref()
                .map(|r| r.as_str())
                .unwrap_or("?"),
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let live = std::env::args().any(|a| a == "--live");
    let result = if live {
        match live_target() {
            Ok(target) => run(target).await,
            Err(e) => Err(e),
        }
    } else {
        let server = httpmock::MockServer::start_async().await;
        println!(
            "embedded mock of both APIs on {} (pass --live for the real APIs)",
            server.base_url()
        );
        run(mock_target(&server)).await
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
