//! The hooks progenitor's generated clients call around every request.
//!
//! Every generated `Client` carries an [`Inner`] value and implements
//! `progenitor_client::ClientHooks` here, which is where the facade changes
//! what the generated code sends.

use progenitor_client::{ClientHooks, Error, OperationInfo};

/// State the facade keeps in every generated client.
#[derive(Clone, Debug, Default)]
pub struct Inner {}

/// progenitor sends `api-version: <info.version>` on every request; our
/// `info.version` is the revision of our document, not the vendor's API
/// version, so it must not reach the vendors.
const API_VERSION_HEADER: &str = "api-version";

fn prepare(request: &mut reqwest::Request) {
    request.headers_mut().remove(API_VERSION_HEADER);
}

macro_rules! hooks_for {
    ($client:ty) => {
        impl ClientHooks<Inner> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &OperationInfo,
            ) -> Result<(), Error<E>> {
                prepare(request);
                Ok(())
            }
        }
    };
}

hooks_for!(crate::hybridbox::Client);
hooks_for!(crate::automox::Client);
