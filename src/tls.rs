//! The TLS set-up of every HTTP client this crate builds (API calls and
//! token requests), chosen by cargo feature:
//!
//! - `rustls` (default): rustls with the ring provider, set up here, with the
//!   platform's certificate verifier plus any extra roots given;
//! - `rustls-aws-lc`: reqwest's own rustls set-up (aws-lc-rs provider);
//! - `native-tls`: the platform's TLS.
//!
//! With more than one enabled, `rustls-aws-lc` wins over `rustls`, and both
//! over `native-tls`.

use std::fmt;

/// Extra trust anchors for https servers, as PEM (for a company proxy or a
/// test server). Empty: the platform's roots only.
#[derive(Clone, Default)]
pub(crate) struct Roots(Vec<Vec<u8>>);

impl Roots {
    pub(crate) fn push_pem(&mut self, pem: &[u8]) {
        self.0.push(pem.to_vec());
    }

    /// The PEM blocks.
    pub(crate) fn pems(&self) -> &[Vec<u8>] {
        &self.0
    }

    /// Roots from PEM blocks.
    pub(crate) fn from_pems(pems: &[Vec<u8>]) -> Roots {
        Roots(pems.to_vec())
    }
}

impl fmt::Debug for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} extra root certificate(s)", self.0.len())
    }
}

/// Why TLS could not be set up.
pub(crate) type TlsError = Box<dyn std::error::Error + Send + Sync>;

/// A reqwest client builder with the crate's TLS set-up and `roots`, and
/// the environment's proxy for https only ([`crate::proxy`]).
pub(crate) fn client_builder(roots: &Roots) -> Result<reqwest::ClientBuilder, TlsError> {
    let builder = configure(reqwest::Client::builder(), roots)?;
    Ok(crate::proxy::configure(builder, None)?)
}

#[cfg(all(feature = "rustls", not(feature = "rustls-aws-lc")))]
fn configure(
    builder: reqwest::ClientBuilder,
    roots: &Roots,
) -> Result<reqwest::ClientBuilder, TlsError> {
    use std::sync::Arc;

    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut extra = Vec::new();
    for pem in &roots.0 {
        for cert in CertificateDer::pem_slice_iter(pem) {
            extra.push(cert?);
        }
    }
    let verifier = if extra.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())?
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())?
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(builder.tls_backend_preconfigured(config))
}

#[cfg(all(
    any(feature = "rustls-aws-lc", feature = "native-tls"),
    not(all(feature = "rustls", not(feature = "rustls-aws-lc")))
))]
fn configure(
    mut builder: reqwest::ClientBuilder,
    roots: &Roots,
) -> Result<reqwest::ClientBuilder, TlsError> {
    for pem in &roots.0 {
        for cert in reqwest::Certificate::from_pem_bundle(pem)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

#[cfg(not(any(feature = "rustls", feature = "rustls-aws-lc", feature = "native-tls")))]
fn configure(
    builder: reqwest::ClientBuilder,
    roots: &Roots,
) -> Result<reqwest::ClientBuilder, TlsError> {
    if roots.0.is_empty() {
        Ok(builder)
    } else {
        Err("root certificates need a tls feature (rustls, rustls-aws-lc or native-tls)".into())
    }
}
