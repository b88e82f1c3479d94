//! Helpers shared by the facade's test files: clients pointed at a local
//! wiremock server (127.0.0.1), canned bodies, and a capture of the
//! `tracing` output.

#![allow(dead_code)] // Each test file uses a different part.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use invitations::{Auth, RetryPolicy, automox, hybridbox};

/// An account id for the path parameter.
pub const ACCOUNT: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// The token the tests' clients send; no output may contain it.
pub const TOKEN: &str = "tok-SECRET-4f1c9a7e";

/// The Hybridbox create path for [`ACCOUNT`].
pub fn hybridbox_path() -> String {
    format!("/v1/public/accounts/{ACCOUNT}/auth/invitations")
}

/// The Automox create path for [`ACCOUNT`].
pub fn automox_path() -> String {
    format!("/accounts/{ACCOUNT}/invitations")
}

/// A minimal valid Hybridbox invitation.
pub fn hybridbox_invitation() -> serde_json::Value {
    serde_json::json!({"id": "a75c3a2f-9c02-0479-8472-a17a25228fc5", "email": "ada@example.com"})
}

/// A retry policy with millisecond backoffs, so tests retry at once.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

/// A Hybridbox client for `base_url` with the test token and `policy`.
pub fn hybridbox_client(base_url: &str, policy: RetryPolicy) -> hybridbox::Client {
    hybridbox::Client::builder()
        .base_url(base_url)
        .auth(Auth::bearer(TOKEN))
        .retry(policy)
        .build()
        .unwrap()
}

/// An Automox client for `base_url` with the test token and `policy`.
pub fn automox_client(base_url: &str, policy: RetryPolicy) -> automox::Client {
    automox::Client::builder()
        .base_url(base_url)
        .auth(Auth::bearer(TOKEN))
        .retry(policy)
        .build()
        .unwrap()
}

/// Creates a Hybridbox invitation for ada@example.com.
pub async fn hybridbox_create(
    client: &hybridbox::Client,
) -> Result<hybridbox::ResponseValue<hybridbox::types::Invitation>, hybridbox::Error<()>> {
    client
        .create_invitation()
        .account_id(ACCOUNT)
        .body(hybridbox::types::CreateInvitationRequest::builder().email("ada@example.com"))
        .send()
        .await
}

/// Lists Hybridbox invitations.
pub async fn hybridbox_list(
    client: &hybridbox::Client,
) -> Result<hybridbox::ResponseValue<Vec<hybridbox::types::Invitation>>, hybridbox::Error<()>> {
    client.list_invitations().account_id(ACCOUNT).send().await
}

/// Creates an Automox invitation for ada@example.com.
pub async fn automox_create(
    client: &automox::Client,
) -> Result<
    automox::ResponseValue<Vec<automox::types::Invitation>>,
    automox::Error<automox::types::ErrorBody>,
> {
    client
        .create_invitation()
        .account_id(ACCOUNT)
        .body(
            automox::types::CreateInvitationRequest::builder()
                .email("ada@example.com")
                .account_rbac_role(automox::types::AccountRbacRole::NonGlobalAdmin),
        )
        .send()
        .await
}

/// An error and all its causes (its `source()` chain), as one line.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text += &format!(": {e}");
        cause = e.source();
    }
    text
}

/// A base URL where nothing listens: a port that was just free.
pub fn refused_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

thread_local! {
    static CAPTURED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What `tracing` wrote, at every level, on this thread since
/// [`Logs::capture`] (tokio's default test runtime runs a test's tasks on
/// its thread). One global subscriber writes each thread's events to that
/// thread's buffer: scoped subscribers would race with other tests over
/// tracing's per-callsite interest cache and lose events.
pub struct Logs;

/// Appends to the calling thread's capture buffer.
struct ThreadBuffer;

impl Write for ThreadBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|c| c.borrow_mut().extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Starts capturing on this thread, from empty.
    pub fn capture() -> Logs {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(|| ThreadBuffer)
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
        });
        CAPTURED.with(|c| c.borrow_mut().clear());
        Logs
    }

    /// The text captured so far.
    pub fn text(&self) -> String {
        CAPTURED.with(|c| String::from_utf8_lossy(&c.borrow()).into_owned())
    }

    /// The captured lines that contain `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

/// A wiremock responder that answers with `responses` in order (the last
/// one repeating) and records when each request arrived.
pub struct Script {
    responses: Vec<wiremock::ResponseTemplate>,
    arrivals: Arc<Mutex<Vec<std::time::Instant>>>,
}

impl Script {
    /// A script of responses, and the list its arrival times go to.
    pub fn new(
        responses: Vec<wiremock::ResponseTemplate>,
    ) -> (Script, Arc<Mutex<Vec<std::time::Instant>>>) {
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let script = Script {
            responses,
            arrivals: arrivals.clone(),
        };
        (script, arrivals)
    }
}

impl wiremock::Respond for Script {
    fn respond(&self, _: &wiremock::Request) -> wiremock::ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push(std::time::Instant::now());
        let index = (arrivals.len() - 1).min(self.responses.len() - 1);
        self.responses[index].clone()
    }
}

/// Mounts `script` for every request with `method` to `path`.
pub async fn mount(server: &wiremock::MockServer, method: &str, path: &str, script: Script) {
    wiremock::Mock::given(wiremock::matchers::method(method))
        .and(wiremock::matchers::path(path))
        .respond_with(script)
        .mount(server)
        .await;
}

/// How many requests `server` received.
pub async fn received(server: &wiremock::MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

/// A TLS acceptor for 127.0.0.1 whose certificate comes from a fresh test
/// CA, and that CA's PEM (for `add_root_certificate_pem`).
pub fn test_tls(name: &str) -> (tokio_rustls::TlsAcceptor, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct names: OpenSSL takes a leaf named like its issuer for
    // self-signed (rcgen gives every certificate the same default name).
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} CA"));
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, name);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )
    .unwrap();
    (
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_cert.pem(),
    )
}
