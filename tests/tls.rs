//! https through the crate's TLS set-up, whichever TLS feature is enabled
//! (`scripts/test` runs this file with `rustls`, `rustls-aws-lc` and
//! `native-tls`): a create against an https server on 127.0.0.1 whose
//! certificate comes from a test CA the client is told to trust, and a
//! refusal when it is not.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use invitations::{Auth, RetryPolicy, hybridbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACCOUNT: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// An https server on 127.0.0.1 answering every request with a created
/// invitation, and the PEM of the CA that signed its certificate.
struct Server {
    url: String,
    ca_pem: String,
    requests: Arc<AtomicUsize>,
}

async fn start() -> Server {
    let (acceptor, ca_pem) = common::test_tls("invitations test server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                // A failed handshake (an untrusting client) just ends here.
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    read_request(&mut tls).await;
                    counter.fetch_add(1, Ordering::SeqCst);
                    let body = r#"{"id":"a75c3a2f-9c02-0479-8472-a17a25228fc5","email":"ada@example.com"}"#;
                    let response = format!(
                        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    Server {
        url,
        ca_pem,
        requests,
    }
}

/// Reads one request: the head, then `content-length` bytes of body.
async fn read_request(stream: &mut (impl AsyncReadExt + Unpin)) {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        data.extend_from_slice(&chunk[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            if data.len() >= end + 4 + length {
                return;
            }
        }
    }
}

async fn create(client: &hybridbox::Client) -> Result<String, hybridbox::Error<()>> {
    let invitation = client
        .create_invitation()
        .account_id(ACCOUNT)
        .body(hybridbox::types::CreateInvitationRequest::builder().email("ada@example.com"))
        .send()
        .await?;
    Ok(invitation.email.clone())
}

#[tokio::test]
async fn a_create_over_https_works_with_a_trusted_root() {
    let server = start().await;
    let client = hybridbox::Client::builder()
        .base_url(&server.url)
        .auth(Auth::bearer("tls-test-token"))
        .add_root_certificate_pem(&server.ca_pem)
        .build()
        .unwrap();
    match create(&client).await {
        Ok(email) => assert_eq!(email, "ada@example.com"),
        Err(e) => panic!("{}", common::chain(&e)),
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_before_the_request_is_sent() {
    let server = start().await;
    let client = hybridbox::Client::builder()
        .base_url(&server.url)
        .auth(Auth::bearer("tls-test-token"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    match create(&client).await {
        Err(hybridbox::Error::CommunicationError(e)) => assert!(e.is_connect(), "{e:?}"),
        other => panic!("expected a refused handshake, got {other:?}"),
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);
}

#[test]
fn an_invalid_root_certificate_is_a_build_error() {
    let err = hybridbox::Client::builder()
        .add_root_certificate_pem(
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        )
        .build()
        .unwrap_err();
    assert!(
        matches!(err, invitations::BuildError::Tls { .. }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "could not set up tls");
}
