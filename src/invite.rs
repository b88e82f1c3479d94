//! Inviting a user without inviting twice: `invite` on each vendor's client.
//!
//! The rules, for callers, are in the documentation of
//! [`hybridbox::Client::invite`](crate::hybridbox::Client::invite) (list,
//! create, reconcile; what "exactly once" means) and
//! [`automox::Client::invite`](crate::automox::Client::invite) (one create;
//! what a 409 means). Here: the next step of a Hybridbox `invite` as one
//! pure function ([`decide`], over [`Progress`] and what the last request
//! [`Observed`]), the loop around it that only sends and sleeps, and what
//! counts as an ambiguous failure of a create (`is_ambiguous`, matching the
//! typed [`Error`]).
//!
//! Both creates go through a copy of the client that shares its
//! credentials and rate limit and retries only the safe failures (429, 503,
//! not sent), as configured, even when the client's
//! [`RetryPolicy`](crate::RetryPolicy) opts in with `retry_ambiguous(true)`.

use std::fmt::Display;
use std::time::Duration;

use chrono::{DateTime, Utc};
use progenitor_client::ClientInfo;
use tracing::Instrument;

use crate::error::{Error, Waiting};
use crate::{Vendor, automox, hybridbox};

mod error;
mod listed;

pub use error::{InviteError, InviteStep};
pub use listed::PendingInvitations;

/// The status `invite` lists Hybridbox invitations with: the one that an
/// invitation waiting for its user has (the document's `status` parameter:
/// "such as `pending`").
pub(crate) const PENDING: &str = "pending";

/// How [`hybridbox::Client::invite_with`](crate::hybridbox::Client::invite_with)
/// settles a create whose outcome is unknown.
///
/// ```
/// use std::time::Duration;
/// use invitations::InvitePolicy;
///
/// let policy = InvitePolicy::default()
///     .reconcile_after(Duration::from_secs(3))
///     .max_creates(1);
/// assert_eq!(policy.create_limit(), 1);
/// ```
///
/// The setters are named after the setting; the getters, which cannot share
/// those names, say what they read: [`reconcile_delay`](InvitePolicy::reconcile_delay)
/// (the `reconcile_after`) and [`create_limit`](InvitePolicy::create_limit)
/// (the `max_creates`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitePolicy {
    reconcile_after: Duration,
    max_creates: u32,
}

impl Default for InvitePolicy {
    /// Lists 1 s after an ambiguous failure; at most 2 creates in all.
    fn default() -> Self {
        InvitePolicy {
            reconcile_after: Duration::from_secs(1),
            max_creates: 2,
        }
    }
}

impl InvitePolicy {
    /// How long to wait after an ambiguous failure of a create before
    /// listing to learn whether the server carried it out (default 1 s).
    /// Longer narrows the window in which a create still in flight, or not
    /// listed yet, is missed and repeated.
    pub fn reconcile_after(mut self, wait: Duration) -> Self {
        self.reconcile_after = wait;
        self
    }

    /// The most creates one call sends (default 2; 0 counts as 1). With 1,
    /// a create is never repeated: an ambiguous failure the list does not
    /// settle is [`InviteError::MaybeInvited`].
    pub fn max_creates(mut self, creates: u32) -> Self {
        self.max_creates = creates.max(1);
        self
    }

    /// The wait before the reconciling list (set with
    /// [`reconcile_after`](InvitePolicy::reconcile_after)).
    pub fn reconcile_delay(&self) -> Duration {
        self.reconcile_after
    }

    /// The most creates one call sends (set with
    /// [`max_creates`](InvitePolicy::max_creates)).
    pub fn create_limit(&self) -> u32 {
        self.max_creates
    }
}

/// The invitation [`hybridbox::Client::invite`](crate::hybridbox::Client::invite)
/// returns, and whether the call created it.
#[derive(Clone, Debug, PartialEq)]
pub struct Invited {
    invitation: hybridbox::types::Invitation,
    created: bool,
}

impl Invited {
    /// The pending invitation.
    pub fn invitation(&self) -> &hybridbox::types::Invitation {
        &self.invitation
    }

    /// The pending invitation, owned.
    pub fn into_invitation(self) -> hybridbox::types::Invitation {
        self.invitation
    }

    /// `true` when this call's create made the invitation (answered, or
    /// found by the list after an ambiguous failure); `false` when it was
    /// already pending and nothing was created.
    pub fn created(&self) -> bool {
        self.created
    }
}

/// What an `invite` call has done so far, including the request
/// [`decide`] is asked about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Creates sent.
    pub(crate) creates: u32,
    /// Whether a create failed ambiguously (the server may have carried it
    /// out).
    pub(crate) unknown: bool,
}

/// What the request that just finished ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Observed {
    /// A list showed a pending invitation for the email.
    Found,
    /// A list showed none.
    NotFound,
    /// A list failed (after the client's retries).
    ListFailed,
    /// A create answered with the invitation.
    Created,
    /// A create failed and the server surely did not carry it out.
    Refused,
    /// A create failed and the server may have carried it out.
    Ambiguous,
}

/// What `invite` does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Send a create.
    Create,
    /// Wait this long, then list to learn whether an ambiguous create was
    /// carried out.
    Reconcile(Duration),
    /// Return the invitation found or created; `created` says whether this
    /// call made it.
    Return {
        /// Whether this call created the invitation.
        created: bool,
    },
    /// Return the last request's error; `maybe_invited` says whether a
    /// create of this call may have been carried out.
    Fail {
        /// Whether this call may have created an invitation.
        maybe_invited: bool,
    },
}

/// Decides `invite`'s next step after `observed`.
///
/// Pure: everything it depends on is in its arguments. See
/// [`hybridbox::Client::invite`](crate::hybridbox::Client::invite) for the
/// rules.
pub(crate) fn decide(policy: &InvitePolicy, progress: Progress, observed: Observed) -> Next {
    let maybe_invited = progress.unknown;
    match observed {
        Observed::Found => Next::Return {
            created: progress.creates > 0,
        },
        Observed::Created => Next::Return { created: true },
        Observed::NotFound if progress.creates < policy.max_creates.max(1) => Next::Create,
        Observed::NotFound | Observed::ListFailed | Observed::Refused => {
            Next::Fail { maybe_invited }
        }
        Observed::Ambiguous => Next::Reconcile(policy.reconcile_after),
    }
}

/// Whether the server may have carried out a create that failed with
/// `error` (after the client's retries): the create was sent and no answer
/// says it was not carried out.
fn is_ambiguous<E>(error: &Error<E>) -> bool {
    match error {
        // Refused or stopped before sending: bad input, no credentials, the
        // rate limit past the deadline, the deadline passed while waiting
        // for a token.
        Error::InvalidRequest(_)
        | Error::NotSent { .. }
        | Error::Throttled { .. }
        | Error::DeadlinePassed {
            waiting_for: Waiting::Token,
        } => false,
        // Sent and refused with a 401; not repeated.
        Error::TokenRenewalFailed { .. }
        | Error::DeadlinePassed {
            waiting_for: Waiting::TokenRenewal { .. },
        } => false,
        // Sent, and no answer in time.
        Error::DeadlinePassed {
            waiting_for: Waiting::Answer,
        } => true,
        Error::CommunicationError(e) => !(e.is_connect() || e.is_builder()),
        // Every failed answer keeps its status, whatever its body (the
        // facade reads it: `body_limit`), so it is judged by its status; a
        // success the client could not read was carried out.
        Error::ErrorResponse(response) => status_may_be_carried_out(response.status()),
        Error::UnexpectedResponse(response) => status_may_be_carried_out(response.status()),
        // Only a success reaches these: an answer whose body could not be
        // read or decoded. For a create, carried out.
        Error::ResponseBodyError(_)
        | Error::InvalidResponsePayload(..)
        | Error::BodyTooLarge { .. } => true,
    }
}

/// Whether an answer with `status` to a create may mean that it was carried
/// out: a success the client could not read, or an ambiguous failure.
fn status_may_be_carried_out(status: reqwest::StatusCode) -> bool {
    status.is_success() || crate::retry::status_is_ambiguous(status.as_u16())
}

/// The pending invitation for `email` in `listed`, if any: the newest by
/// `created_at`, leaving out other emails (compared case-insensitively),
/// other statuses and invitations that expired by `now`.
pub(crate) fn pending_for<'a>(
    listed: &'a [hybridbox::types::Invitation],
    email: &str,
    now: DateTime<Utc>,
) -> Option<&'a hybridbox::types::Invitation> {
    let email = email.to_lowercase();
    listed
        .iter()
        .filter(|i| i.email.to_lowercase() == email)
        .filter(|i| {
            i.status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(PENDING))
        })
        .filter(|i| i.expires_at.is_none_or(|at| at > now))
        .max_by_key(|i| i.created_at)
}

/// Checks `invite`'s arguments as the generated builders would, before
/// anything is sent.
fn arguments<E, A, B, T>(
    vendor: Vendor,
    account_id: A,
    body: B,
) -> Result<(uuid::Uuid, T), InviteError<E>>
where
    A: TryInto<uuid::Uuid>,
    B: TryInto<T>,
    B::Error: Display,
{
    let account_id = account_id
        .try_into()
        .map_err(|_| InviteError::InvalidInput {
            vendor,
            field: "account_id",
            reason: "not a valid uuid".to_owned(),
        })?;
    let body = body.try_into().map_err(|e| InviteError::InvalidInput {
        vendor,
        field: "body",
        reason: e.to_string(),
    })?;
    Ok((account_id, body))
}

/// The span of one `invite` call of `vendor`: named `invite`, target
/// `invitations`; the `call` spans of its requests are its children.
/// `created` is recorded at the end ([`record_created`]).
fn invite_span(vendor: Vendor) -> tracing::Span {
    tracing::info_span!(
        target: "invitations",
        "invite",
        vendor = vendor.as_str(),
        created = tracing::field::Empty,
    )
}

/// Records on an `invite` span whether the call created an invitation,
/// when that is known: `invited` is whether it did, or the call's error
/// (`NotInvited` and `InvalidInput` created nothing; after `MaybeInvited`
/// nobody knows, and `created` stays empty).
/// `steps`, an `invite` call of `vendor`, inside its `invite` span, with
/// `created` recorded at the end.
pub(crate) async fn in_invite_span(
    vendor: Vendor,
    steps: impl std::future::Future<Output = Result<Invited, InviteError<()>>>,
) -> Result<Invited, InviteError<()>> {
    let span = invite_span(vendor);
    let invited = steps.instrument(span.clone()).await;
    record_created(&span, invited.as_ref().map(Invited::created));
    invited
}

fn record_created<E>(span: &tracing::Span, invited: Result<bool, &InviteError<E>>) {
    let created = match invited {
        Ok(created) => Some(created),
        Err(InviteError::MaybeInvited { .. }) => None,
        Err(InviteError::NotInvited { .. } | InviteError::InvalidInput { .. }) => Some(false),
    };
    if let Some(created) = created {
        span.record("created", created);
    }
}

/// A copy of a client (same connection pool, credentials and rate limit)
/// whose retry policy never repeats an ambiguous failure.
macro_rules! safe_creator {
    ($vendor:ident, $client:expr) => {{
        let client = $client;
        let policy = client.inner().retry().clone().retry_ambiguous(false);
        $vendor::Client::new_with_client(
            client.baseurl(),
            client.client().clone(),
            client.inner().with_retry(policy),
        )
    }};
}

impl hybridbox::Client {
    /// Invites a user without inviting twice: returns the invitation already
    /// pending for the body's email, or creates one; a create whose outcome
    /// is unknown is checked by listing before it is repeated. Takes the
    /// arguments of [`create_invitation`](Self::create_invitation)'s
    /// `account_id` and `body`. Uses [`InvitePolicy::default`].
    ///
    /// Creating an invitation is not idempotent: when a create fails after
    /// it was sent (a timeout, a reset connection, a 408 or a 5xx) the
    /// server may have carried it out, and repeating it can invite the same
    /// person twice. `invite` never repeats such a create blindly, even when
    /// the client's [`RetryPolicy`](crate::RetryPolicy) opts in with
    /// `retry_ambiguous(true)`: its creates retry only the safe failures
    /// (429, 503, not sent), as the client's policy allows.
    ///
    /// # Look, create, reconcile
    ///
    /// 1. List the account's invitations with `email=<the body's email>` and
    ///    `status=pending`. When one is pending for that email (compared
    ///    case-insensitively; one whose `expires_at` has passed does not
    ///    count; the newest by `created_at` when there are several), return
    ///    it: [`Invited::created`] is `false` and no create is sent.
    /// 2. Otherwise create.
    /// 3. After an ambiguous failure of the create, wait
    ///    [`InvitePolicy::reconcile_after`] (1 s) and list again: when the
    ///    invitation is there, return it (`created()` is `true`); when it is
    ///    not, create again, at most [`InvitePolicy::max_creates`] (2) creates
    ///    in all.
    ///
    /// A create that surely did nothing (a 4xx, a 429 or 503 the client's
    /// retries did not get past, a request never sent) ends the call with
    /// [`InviteError::NotInvited`], or with `MaybeInvited` when an earlier
    /// create's outcome is still unknown. Calling `invite` again later
    /// settles a `MaybeInvited`: it lists first (the window below applies to
    /// it too, narrower the later it runs).
    ///
    /// # What "exactly once" means
    ///
    /// `invite` sends a further create only after a create that surely did
    /// nothing, or after a list, made at least `reconcile_after` after an
    /// ambiguous create failed, that shows no pending invitation for the
    /// email. So one call creates at most one invitation unless the server
    /// carries out a create that it does not list at that moment, and a call
    /// that returns `Ok` leaves the invitation it returns pending.
    ///
    /// # The remaining window
    ///
    /// The list can miss a create that did happen: one still in flight on
    /// the server when the list runs (a gateway timed out while the backend
    /// kept working), or a server that lists with delay (a replica, a search
    /// index). `invite` then creates again and the user gets two
    /// invitations. The wait before the reconciling list narrows the window:
    /// set `reconcile_after` above the server's worst time to finish and
    /// show a create. `max_creates(1)` closes it: a create is never
    /// repeated, and a failure the list does not settle is `MaybeInvited`.
    ///
    /// # Not covered
    ///
    /// - Another client, or another call of `invite`, inviting the same
    ///   email at the same time: both may list nothing and both create.
    ///   `invite` takes no lock; run one invitation per email at a time.
    /// - A pending invitation is returned as it is: its assignments, note and
    ///   locale are not compared with `body`.
    /// - `created()` after a reconciling list takes the invitation found for
    ///   this call's; one someone else created meanwhile reads as this call's.
    /// - The client's [`deadline`](crate::RetryPolicy::deadline) applies to
    ///   each request, not to the whole call: a list, then per create the
    ///   create and, after an ambiguous failure, the wait and a list.
    /// - The list is asked for the email as the body spells it; a server that
    ///   compares emails case-sensitively may not list an invitation stored
    ///   with other capitals.
    ///
    /// # Errors
    /// [`InviteError::InvalidInput`] before anything is sent;
    /// [`InviteError::NotInvited`] when this call created nothing;
    /// [`InviteError::MaybeInvited`] when it may have created one. See
    /// [`InviteError`] for which failures are which.
    pub async fn invite<A, B>(&self, account_id: A, body: B) -> Result<Invited, InviteError<()>>
    where
        A: TryInto<uuid::Uuid>,
        B: TryInto<hybridbox::types::CreateInvitationRequest>,
        B::Error: Display,
    {
        self.invite_with(account_id, body, &InvitePolicy::default())
            .await
    }

    /// [`invite`](Self::invite) with another [`InvitePolicy`].
    ///
    /// # Errors
    /// As [`invite`](Self::invite).
    pub async fn invite_with<A, B>(
        &self,
        account_id: A,
        body: B,
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
            self.invite_from(account_id, body, policy, InviteStep::Lookup)
                .await
        };
        in_invite_span(Vendor::Hybridbox, steps).await
    }

    /// The loop of [`invite_with`](Self::invite_with), from `first`: a
    /// lookup, or a create when the caller has just listed the account's
    /// pending invitations ([`invite_listed`](Self::invite_listed)).
    pub(crate) async fn invite_from(
        &self,
        account_id: uuid::Uuid,
        body: hybridbox::types::CreateInvitationRequest,
        policy: &InvitePolicy,
        first: InviteStep,
    ) -> Result<Invited, InviteError<()>> {
        const VENDOR: Vendor = Vendor::Hybridbox;
        let creator = safe_creator!(hybridbox, self);
        let mut progress = Progress::default();
        let mut invitation = None;
        let mut failed = None;
        let mut step = first;
        loop {
            // The request for `step`, and what it showed.
            let observed = match step {
                InviteStep::Lookup | InviteStep::Reconcile => {
                    let listed = self
                        .list_invitations()
                        .account_id(account_id)
                        .email(body.email.as_str())
                        .status(PENDING)
                        .send()
                        .await;
                    match listed {
                        Ok(listed) => match pending_for(&listed, &body.email, Utc::now()) {
                            Some(found) => {
                                invitation = Some(found.clone());
                                Observed::Found
                            }
                            None => Observed::NotFound,
                        },
                        Err(e) => {
                            failed = Some((step, e));
                            Observed::ListFailed
                        }
                    }
                }
                InviteStep::Create => {
                    progress.creates += 1;
                    let sent = creator
                        .create_invitation()
                        .account_id(account_id)
                        .body(body.clone())
                        .send()
                        .await;
                    match sent {
                        Ok(created) => {
                            invitation = Some(created.into_inner());
                            Observed::Created
                        }
                        Err(e) => {
                            let ambiguous = is_ambiguous(&e);
                            progress.unknown |= ambiguous;
                            failed = Some((step, e));
                            if ambiguous {
                                Observed::Ambiguous
                            } else {
                                Observed::Refused
                            }
                        }
                    }
                }
            };
            match decide(policy, progress, observed) {
                Next::Create => step = InviteStep::Create,
                Next::Reconcile(wait) => {
                    tracing::info!(
                        vendor = VENDOR.as_str(),
                        operation = "invite",
                        creates = progress.creates,
                        wait_ms = wait.as_millis() as u64,
                        "create outcome unknown: listing to check"
                    );
                    tokio::time::sleep(wait).await;
                    step = InviteStep::Reconcile;
                }
                Next::Return { created } => {
                    let invitation = invitation.expect("a found or created invitation");
                    return Ok(Invited {
                        invitation,
                        created,
                    });
                }
                Next::Fail { maybe_invited } => {
                    let (step, source) = failed.expect("a request that failed");
                    return Err(if maybe_invited {
                        tracing::warn!(
                            vendor = VENDOR.as_str(),
                            operation = "invite",
                            creates = progress.creates,
                            "giving up: the invitation may have been created"
                        );
                        InviteError::MaybeInvited {
                            vendor: VENDOR,
                            step,
                            creates: progress.creates,
                            source: Box::new(source),
                        }
                    } else {
                        InviteError::NotInvited {
                            vendor: VENDOR,
                            step,
                            source: Box::new(source),
                        }
                    });
                }
            }
        }
    }
}

impl automox::Client {
    /// Invites a user, never repeating a create that the server may have
    /// carried out: retries only the safe failures (429, 503, not sent) as
    /// the client's policy allows, even when it opts in to retrying
    /// ambiguous ones. Takes the arguments of
    /// [`create_invitation`](Self::create_invitation)'s `account_id` and
    /// `body`; returns the created invitations (the vendor answers with an
    /// array).
    ///
    /// Automox documents no list operation, so nothing can settle an
    /// ambiguous create: `invite` sends the create once and returns
    /// [`InviteError::MaybeInvited`] after an ambiguous failure (check the
    /// account before inviting again), or [`InviteError::NotInvited`] when
    /// the create surely did nothing (inviting again cannot invite twice).
    ///
    /// # 409
    ///
    /// Automox lists 409 as "Bad Request" with an `errors` array and
    /// documents nothing more. `invite` returns it as `NotInvited`, with the
    /// vendor's `errors` in [`InviteError::api_error`], not as a success:
    /// there is no invitation to return, and nothing says what conflicted
    /// (an invitation with other roles or zones, a user already in the
    /// account, something else). It cannot be this call's own earlier
    /// create: `invite` never repeats an ambiguous create, so a 409 on a
    /// retried create follows only a 429, a 503 or a request never sent,
    /// where the server surely did not act. The conflict predates the call
    /// (or comes from another client); `NotInvited` means that this call
    /// created nothing, not that the user has no invitation.
    ///
    /// # Errors
    /// [`InviteError::InvalidInput`] before anything is sent;
    /// [`InviteError::NotInvited`] when the create surely did nothing (a
    /// 4xx, including 409, or a safe failure the retries did not get past);
    /// [`InviteError::MaybeInvited`] when it failed after being sent and the
    /// server may have carried it out.
    pub async fn invite<A, B>(
        &self,
        account_id: A,
        body: B,
    ) -> Result<Vec<automox::types::Invitation>, InviteError<automox::types::ErrorBody>>
    where
        A: TryInto<uuid::Uuid>,
        B: TryInto<automox::types::CreateInvitationRequest>,
        B::Error: Display,
    {
        const VENDOR: Vendor = Vendor::Automox;
        let span = invite_span(VENDOR);
        let invited = async {
            let (account_id, body): (_, automox::types::CreateInvitationRequest) =
                arguments(VENDOR, account_id, body)?;
            let creator = safe_creator!(automox, self);
            let sent = creator
                .create_invitation()
                .account_id(account_id)
                .body(body)
                .send()
                .await;
            automox_outcome(sent)
        }
        .instrument(span.clone())
        .await;
        record_created(&span, invited.as_ref().map(|_| true));
        invited
    }
}

/// What an Automox `invite` returns after its create `sent`.
fn automox_outcome(
    sent: Result<
        progenitor_client::ResponseValue<Vec<automox::types::Invitation>>,
        Error<automox::types::ErrorBody>,
    >,
) -> Result<Vec<automox::types::Invitation>, InviteError<automox::types::ErrorBody>> {
    const VENDOR: Vendor = Vendor::Automox;
    match sent {
        Ok(created) => Ok(created.into_inner()),
        Err(source) if is_ambiguous(&source) => {
            tracing::warn!(
                vendor = VENDOR.as_str(),
                operation = "invite",
                "giving up: the invitation may have been created"
            );
            Err(InviteError::MaybeInvited {
                vendor: VENDOR,
                step: InviteStep::Create,
                creates: 1,
                source: Box::new(source),
            })
        }
        Err(source) => Err(InviteError::NotInvited {
            vendor: VENDOR,
            step: InviteStep::Create,
            source: Box::new(source),
        }),
    }
}

#[cfg(test)]
mod tests;
