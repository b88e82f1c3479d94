#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod auth;
pub mod body_limit;
pub mod client;
pub mod error;
pub mod hooks;
pub mod invite;
pub mod oauth;
mod proxy;
pub mod rate_limit;
pub mod retry;
mod tls;
mod vendor;

pub use auth::{Auth, AuthError, SecretToken, TokenSource};
pub use body_limit::BodyTooLarge;
pub use client::{BuildError, ClientBuilder};
pub use error::ErrorExt;
pub use invite::{InviteError, InvitePolicy, InviteStep, Invited};
pub use oauth::ClientCredentials;
pub use rate_limit::RateLimit;
pub use retry::RetryPolicy;
pub use vendor::{UnknownVendor, Vendor};

/// Client for the Hybridbox invitation API (`https://api.hybridbox.io`).
///
/// Generated from the operations tagged `hybridbox` in the document.
#[allow(
    missing_docs,
    unused_imports,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]
pub mod hybridbox {
    include!(concat!(env!("OUT_DIR"), "/hybridbox.rs"));

    /// Typed [httpmock](https://docs.rs/httpmock) helpers, one per operation,
    /// for testing code that uses this client (feature `mock`).
    #[cfg(feature = "mock")]
    pub mod mock {
        include!(concat!(env!("OUT_DIR"), "/hybridbox_mock.rs"));
    }
}

/// Client for the Automox invitation API (`https://console.automox.com/api`).
///
/// Generated from the operations tagged `automox` in the document.
#[allow(
    missing_docs,
    unused_imports,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]
pub mod automox {
    include!(concat!(env!("OUT_DIR"), "/automox.rs"));

    /// Typed [httpmock](https://docs.rs/httpmock) helpers, one per operation,
    /// for testing code that uses this client (feature `mock`).
    #[cfg(feature = "mock")]
    pub mod mock {
        include!(concat!(env!("OUT_DIR"), "/automox_mock.rs"));
    }
}
