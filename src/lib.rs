#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

// The facade: private modules, whose public items are re-exported here.
mod auth;
mod body_limit;
mod client;
mod error;
mod hooks;
mod invite;
mod oauth;
mod proxy;
mod rate_limit;
mod retry;
mod tls;
mod vendor;

pub use auth::{Auth, AuthError, BoxFuture, SecretToken, TokenSource};
pub use body_limit::{BodyTooLarge, DEFAULT_MAX_RESPONSE_BODY};
pub use client::{
    BuildError, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
    GeneratedClient,
};
pub use error::{Error, ErrorExt, Waiting};
pub use invite::{InviteError, InvitePolicy, InviteStep, Invited, PendingInvitations};
pub use oauth::{ClientCredentials, HYBRIDBOX_TOKEN_ENDPOINT};
pub use rate_limit::{RateError, RateLimit};
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
