//! The error `invite` returns, for both vendors.

use std::fmt;

use crate::{Error, Vendor};

/// The request of an `invite` call that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InviteStep {
    /// The first list of pending invitations, before any create (Hybridbox).
    Lookup,
    /// A create.
    Create,
    /// A list made after a create whose outcome is unknown, to learn whether
    /// the server carried it out (Hybridbox).
    Reconcile,
}

impl fmt::Display for InviteStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InviteStep::Lookup => "listing the pending invitations",
            InviteStep::Create => "the create",
            InviteStep::Reconcile => "the list made to check the create",
        })
    }
}

/// Why `invite` did not return an invitation.
///
/// One type for both vendors, generic over the vendor's error body, as the
/// generated operations are: `InviteError<()>` for
/// [`hybridbox::Client::invite`](crate::hybridbox::Client::invite) (the
/// vendor documents no error body) and
/// `InviteError<automox::types::ErrorBody>` for
/// [`automox::Client::invite`](crate::automox::Client::invite).
///
/// The question a caller must answer after a failure is whether inviting
/// again could invite twice; [`maybe_invited`](Self::maybe_invited) answers
/// it. The generated client's error, with the status and the vendor's error
/// body, is [`api_error`](Self::api_error) and the error's
/// [`source`](std::error::Error::source).
///
/// A failure counts as ambiguous (`MaybeInvited`) when the create was sent
/// and no answer says it was not carried out: a timeout after sending
/// (including [`Error::DeadlinePassed`] waiting for the answer), a broken
/// connection, 408, any 5xx but 501, 503, 505 and 511, or a success the
/// client could not read (including [`Error::BodyTooLarge`]). A failed answer
/// is judged by its status alone, whatever its body (the documented error
/// body, `{}`, text, an HTML page, nothing): a 4xx, or a 429 or 503 past the
/// retries, is `NotInvited`; a 408 or another 5xx is `MaybeInvited`;
/// [`InviteError::status`] gives it. A create never sent (bad input,
/// [`Error::NotSent`], [`Error::Throttled`], the deadline passed waiting for
/// a token) or refused with a 401 whose token renewal failed
/// ([`Error::TokenRenewalFailed`]) is `NotInvited`.
#[derive(Debug)]
#[non_exhaustive]
pub enum InviteError<E> {
    /// An argument is not valid; nothing was sent.
    InvalidInput {
        /// The vendor whose client was called.
        vendor: Vendor,
        /// The argument: `"account_id"` or `"body"` (the reason names the
        /// body's field).
        field: &'static str,
        /// Why it is not valid.
        reason: String,
    },
    /// This call created no invitation: every create it sent surely did
    /// nothing (refused with a 4xx, a 429 or 503 the client's retries did not
    /// get past, never sent), or the lookup before any create failed.
    /// Inviting again cannot invite twice because of this call. It does not
    /// say that the user has no invitation: one may predate the call (see
    /// the vendor's error body, e.g. Automox's `errors` on a 409).
    NotInvited {
        /// The vendor whose client was called.
        vendor: Vendor,
        /// The request that failed.
        step: InviteStep,
        /// The generated client's error for that request (boxed: it is
        /// large).
        source: Box<Error<E>>,
    },
    /// This call may have created the invitation: a create failed after it
    /// was sent (a timeout, a reset connection, a 408 or 5xx other than 501,
    /// 503, 505 or 511, a success whose body could not be read) and nothing
    /// settled its outcome. Do not invite again blindly: with Hybridbox,
    /// calling `invite` again later is safe (it lists first); with Automox,
    /// check the account's invitations first.
    MaybeInvited {
        /// The vendor whose client was called.
        vendor: Vendor,
        /// The request that failed last: the create whose outcome is
        /// unknown, the list meant to check it, or a later create.
        step: InviteStep,
        /// How many creates the call sent.
        creates: u32,
        /// The generated client's error for that request (boxed: it is
        /// large).
        source: Box<Error<E>>,
    },
}

impl<E> InviteError<E> {
    /// Whether this call may have created an invitation, so that inviting
    /// again could invite twice. Only [`InviteError::MaybeInvited`].
    pub fn maybe_invited(&self) -> bool {
        matches!(self, InviteError::MaybeInvited { .. })
    }

    /// The vendor whose client was called.
    pub fn vendor(&self) -> Vendor {
        match self {
            InviteError::InvalidInput { vendor, .. }
            | InviteError::NotInvited { vendor, .. }
            | InviteError::MaybeInvited { vendor, .. } => *vendor,
        }
    }

    /// The request that failed (`None` for invalid input: nothing was sent).
    pub fn step(&self) -> Option<InviteStep> {
        match self {
            InviteError::InvalidInput { .. } => None,
            InviteError::NotInvited { step, .. } | InviteError::MaybeInvited { step, .. } => {
                Some(*step)
            }
        }
    }

    /// The generated client's error, with the response's status and the
    /// vendor's error body, if a request failed.
    pub fn api_error(&self) -> Option<&Error<E>> {
        match self {
            InviteError::InvalidInput { .. } => None,
            InviteError::NotInvited { source, .. } | InviteError::MaybeInvited { source, .. } => {
                Some(source)
            }
        }
    }

    /// The generated client's error, owned.
    pub fn into_api_error(self) -> Option<Error<E>> {
        match self {
            InviteError::InvalidInput { .. } => None,
            InviteError::NotInvited { source, .. } | InviteError::MaybeInvited { source, .. } => {
                Some(*source)
            }
        }
    }

    /// The status of the response the failed request got, if it got one.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        self.api_error().and_then(Error::status)
    }
}

impl<E> fmt::Display for InviteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InviteError::InvalidInput {
                vendor,
                field,
                reason,
            } => write!(f, "{vendor}: invalid {field}, nothing was sent: {reason}"),
            InviteError::NotInvited { vendor, step, .. } => match step {
                InviteStep::Lookup => write!(
                    f,
                    "{vendor}: not invited: {step} failed, so no create was sent"
                ),
                _ => write!(
                    f,
                    "{vendor}: not invited: {step} was refused or never reached the server"
                ),
            },
            InviteError::MaybeInvited {
                vendor,
                step,
                creates,
                ..
            } => {
                write!(f, "{vendor}: the invitation may have been created: ")?;
                if *creates == 1 {
                    f.write_str("the create failed after it was sent")?;
                } else {
                    write!(
                        f,
                        "{creates} creates sent, none confirmed, at least one failed after it was sent"
                    )?;
                }
                if *step == InviteStep::Reconcile {
                    f.write_str(", and the list made to check it failed")?;
                }
                Ok(())
            }
        }
    }
}

impl<E: fmt::Debug + 'static> std::error::Error for InviteError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.api_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
