//! Inviting many users into one Hybridbox account: the account's pending
//! invitations listed once ([`PendingInvitations`]), then each user invited
//! against that list ([`hybridbox::Client::invite_listed`]) with one create,
//! instead of a list and a create per user. Under a request rate limit that
//! doubles the users invited per second.

use std::fmt::Display;

use chrono::Utc;

use super::{
    InviteError, InvitePolicy, InviteStep, Invited, PENDING, arguments, in_invite_span, pending_for,
};
use crate::error::Error;
use crate::{Vendor, hybridbox};

/// The pending invitations of a Hybridbox account, listed once by
/// [`hybridbox::Client::pending_invitations`] (the endpoint answers with
/// the whole list at once: it has no pages).
///
/// A snapshot: an invitation created after the listing, by someone else,
/// is not in it. Use it for one run over many users, not as a cache.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingInvitations {
    listed: Vec<hybridbox::types::Invitation>,
}

impl PendingInvitations {
    /// The pending invitation for `email`, as `invite` looks for it:
    /// compared case-insensitively, not expired now, the newest by
    /// `created_at` when there are several.
    pub fn find(&self, email: &str) -> Option<&hybridbox::types::Invitation> {
        pending_for(&self.listed, email, Utc::now())
    }

    /// How many invitations the list holds (expired ones included).
    pub fn len(&self) -> usize {
        self.listed.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }
}

impl hybridbox::Client {
    /// Lists the account's pending invitations once, for
    /// [`invite_listed`](Self::invite_listed): one request for any number of
    /// users.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `account_id` is not a UUID; otherwise
    /// as the list request fails (after the client's retries).
    pub async fn pending_invitations<A>(&self, account_id: A) -> Result<PendingInvitations, Error>
    where
        A: TryInto<uuid::Uuid>,
        A::Error: Display,
    {
        let listed = self
            .list_invitations()
            .account_id(account_id)
            .status(PENDING)
            .send()
            .await?;
        Ok(PendingInvitations {
            listed: listed.into_inner(),
        })
    }

    /// [`invite_with`](Self::invite_with) for a caller that has listed the
    /// account's pending invitations (`pending`, from
    /// [`pending_invitations`](Self::pending_invitations)) just before: the
    /// invitation pending for the body's email in that list is returned
    /// with no request ([`Invited::created`] is `false`); otherwise the call
    /// creates at once, and settles an ambiguous failure of the create as
    /// `invite` does (a wait, a list, at most
    /// [`InvitePolicy::max_creates`] creates).
    ///
    /// The list is a snapshot: an invitation someone else creates for the
    /// same email after it is not seen, and a second one is created. That
    /// is the "Not covered" case of [`invite`](Self::invite) (no lock, one
    /// invitation per email at a time), made wider by the time since the
    /// listing.
    ///
    /// # Errors
    /// As [`invite`](Self::invite).
    pub async fn invite_listed<A, B>(
        &self,
        account_id: A,
        body: B,
        pending: &PendingInvitations,
        policy: &InvitePolicy,
    ) -> Result<Invited, InviteError<()>>
    where
        A: TryInto<uuid::Uuid>,
        B: TryInto<hybridbox::types::CreateInvitationRequest>,
        B::Error: Display,
    {
        let steps = async {
            let (account_id, body): (_, hybridbox::types::CreateInvitationRequest) =
                arguments(Vendor::Hybridbox, account_id, body)?;
            if let Some(found) = pending.find(&body.email) {
                return Ok(Invited {
                    invitation: found.clone(),
                    created: false,
                });
            }
            self.invite_from(account_id, body, policy, InviteStep::Create)
                .await
        };
        in_invite_span(Vendor::Hybridbox, steps).await
    }
}
