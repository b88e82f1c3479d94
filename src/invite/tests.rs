use std::error::Error as _;

use super::*;
use chrono::TimeZone;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

fn policy() -> InvitePolicy {
    InvitePolicy::default().reconcile_after(Duration::from_millis(1500))
}

fn progress(creates: u32, unknown: bool) -> Progress {
    Progress { creates, unknown }
}

/// Runs `decide` over `script` as the loop does: each `Create` counts, each
/// `Ambiguous` marks the progress. Returns every decision.
fn walk(policy: &InvitePolicy, script: &[Observed]) -> Vec<Next> {
    let mut p = Progress::default();
    let mut steps = Vec::new();
    for (i, &observed) in script.iter().enumerate() {
        if matches!(
            observed,
            Observed::Created | Observed::Refused | Observed::Ambiguous
        ) {
            assert_eq!(
                steps.last(),
                Some(&Next::Create),
                "a create not asked for at {i}"
            );
            p.creates += 1;
        }
        p.unknown |= observed == Observed::Ambiguous;
        steps.push(decide(policy, p, observed));
    }
    steps
}

#[test]
fn defaults_are_one_second_and_two_creates() {
    let p = InvitePolicy::default();
    assert_eq!(p.reconcile_delay(), Duration::from_secs(1));
    assert_eq!(p.create_limit(), 2);
    assert_eq!(InvitePolicy::default().max_creates(0).create_limit(), 1);
}

#[test]
fn a_pending_invitation_is_returned_without_a_create() {
    let next = decide(&policy(), progress(0, false), Observed::Found);
    assert_eq!(next, Next::Return { created: false });
}

#[test]
fn no_pending_invitation_means_create_and_a_success_is_returned() {
    assert_eq!(
        walk(&policy(), &[Observed::NotFound, Observed::Created]),
        [Next::Create, Next::Return { created: true }]
    );
}

#[test]
fn an_ambiguous_create_is_checked_after_the_wait_and_found() {
    assert_eq!(
        walk(
            &policy(),
            &[Observed::NotFound, Observed::Ambiguous, Observed::Found]
        ),
        [
            Next::Create,
            Next::Reconcile(Duration::from_millis(1500)),
            Next::Return { created: true },
        ]
    );
}

#[test]
fn a_create_not_listed_after_the_wait_is_repeated_up_to_max_creates() {
    let script = [
        Observed::NotFound,
        Observed::Ambiguous,
        Observed::NotFound,
        Observed::Ambiguous,
        Observed::NotFound,
    ];
    let wait = Next::Reconcile(Duration::from_millis(1500));
    assert_eq!(
        walk(&policy(), &script),
        [
            Next::Create,
            wait,
            Next::Create,
            wait,
            Next::Fail {
                maybe_invited: true
            },
        ]
    );
    assert_eq!(
        walk(&policy().max_creates(3), &script)[4],
        Next::Create,
        "a third create is allowed"
    );
    assert_eq!(
        walk(&policy().max_creates(1), &script[..3])[2],
        Next::Fail {
            maybe_invited: true
        },
        "max_creates(1) never repeats a create"
    );
}

#[test]
fn a_second_create_that_succeeds_is_this_calls() {
    let script = [
        Observed::NotFound,
        Observed::Ambiguous,
        Observed::NotFound,
        Observed::Created,
    ];
    assert_eq!(walk(&policy(), &script)[3], Next::Return { created: true });
}

#[test]
fn a_definite_failure_is_returned_as_not_invited_unless_an_earlier_create_is_unknown() {
    assert_eq!(
        walk(&policy(), &[Observed::NotFound, Observed::Refused])[1],
        Next::Fail {
            maybe_invited: false
        }
    );
    let script = [
        Observed::NotFound,
        Observed::Ambiguous,
        Observed::NotFound,
        Observed::Refused,
    ];
    assert_eq!(
        walk(&policy(), &script)[3],
        Next::Fail {
            maybe_invited: true
        }
    );
}

#[test]
fn a_failed_list_ends_the_call_and_says_whether_a_create_may_exist() {
    assert_eq!(
        walk(&policy(), &[Observed::ListFailed]),
        [Next::Fail {
            maybe_invited: false
        }]
    );
    assert_eq!(
        walk(
            &policy(),
            &[
                Observed::NotFound,
                Observed::Ambiguous,
                Observed::ListFailed
            ]
        )[2],
        Next::Fail {
            maybe_invited: true
        }
    );
}

#[test]
fn statuses_a_create_may_have_been_carried_out_with() {
    for status in [200, 201, 204, 408, 500, 502, 504, 507, 520, 524] {
        let status = StatusCode::from_u16(status).unwrap();
        assert!(status_may_be_carried_out(status), "{status}");
    }
    for status in [301, 400, 401, 403, 404, 409, 422, 429, 501, 503, 505, 511] {
        let status = StatusCode::from_u16(status).unwrap();
        assert!(!status_may_be_carried_out(status), "{status}");
    }
}

fn response(status: u16) -> reqwest::Response {
    reqwest::Response::from(
        http::Response::builder()
            .status(status)
            .body(Vec::<u8>::new())
            .unwrap(),
    )
}

fn error_response(status: u16) -> Error<()> {
    Error::ErrorResponse(progenitor_client::ResponseValue::new(
        (),
        StatusCode::from_u16(status).unwrap(),
        HeaderMap::new(),
    ))
}

#[test]
fn errors_before_sending_and_refusals_are_definite() {
    let unauthorized = StatusCode::UNAUTHORIZED;
    for never_sent_or_refused in [
        Error::<()>::InvalidRequest("bad".into()),
        Error::NotSent {
            source: crate::AuthError::InvalidToken,
        },
        Error::Throttled {
            wait: Duration::from_secs(60),
        },
        Error::DeadlinePassed {
            waiting_for: Waiting::Token,
        },
        Error::DeadlinePassed {
            waiting_for: Waiting::TokenRenewal {
                status: unauthorized,
            },
        },
        Error::TokenRenewalFailed {
            status: unauthorized,
            source: crate::AuthError::InvalidToken,
        },
    ] {
        assert!(
            !is_ambiguous(&never_sent_or_refused),
            "{never_sent_or_refused}"
        );
    }
    assert!(!is_ambiguous(&error_response(409)));
    assert!(!is_ambiguous(&Error::<()>::UnexpectedResponse(response(
        429
    ))));
}

#[test]
fn server_errors_and_unreadable_answers_are_ambiguous() {
    assert!(is_ambiguous(&error_response(500)));
    assert!(is_ambiguous(&Error::<()>::UnexpectedResponse(response(
        504
    ))));
    assert!(is_ambiguous(&Error::<()>::UnexpectedResponse(response(
        202
    ))));
    assert!(is_ambiguous(&Error::<()>::DeadlinePassed {
        waiting_for: Waiting::Answer
    }));
    assert!(is_ambiguous(&Error::<()>::BodyTooLarge {
        status: StatusCode::CREATED,
        source: crate::BodyTooLarge { limit: 1 },
    }));
    let payload = serde_json::from_str::<u8>("<html>").unwrap_err();
    assert!(is_ambiguous(&Error::<()>::InvalidResponsePayload(
        Default::default(),
        payload
    )));
}

fn invitation(
    email: &str,
    status: Option<&str>,
    created_day: Option<u32>,
) -> hybridbox::types::Invitation {
    hybridbox::types::Invitation::builder()
        .email(email)
        .id(uuid::Uuid::from_u128(u128::from(created_day.unwrap_or(0))))
        .status(status.map(str::to_owned))
        .created_at(created_day.map(|d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap()))
        .try_into()
        .unwrap()
}

#[test]
fn the_newest_pending_invitation_for_the_email_is_picked() {
    let now = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let listed = [
        invitation("ada@example.com", Some("pending"), Some(3)),
        invitation("ADA@Example.COM", Some("PENDING"), Some(9)),
        invitation("ada@example.com", None, Some(5)),
        invitation("ada@example.com", Some("accepted"), Some(20)),
        invitation("bob@example.com", Some("pending"), Some(25)),
    ];
    let found = pending_for(&listed, "Ada@example.com", now).unwrap();
    assert_eq!(found.created_at.unwrap().format("%d").to_string(), "09");
    assert!(pending_for(&listed[3..], "ada@example.com", now).is_none());
    assert!(pending_for(&[], "ada@example.com", now).is_none());
}

#[test]
fn an_expired_pending_invitation_does_not_count() {
    let now = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let mut expired = invitation("ada@example.com", Some("pending"), Some(1));
    expired.expires_at = Some(now - chrono::Duration::seconds(1));
    assert!(pending_for(std::slice::from_ref(&expired), "ada@example.com", now).is_none());
    expired.expires_at = Some(now + chrono::Duration::days(1));
    assert!(pending_for(&[expired], "ada@example.com", now).is_some());
}

#[test]
fn errors_say_what_happened_and_chain_the_client_error() {
    fn send_sync<T: Send + Sync + std::error::Error + 'static>() {}
    send_sync::<InviteError<()>>();
    send_sync::<InviteError<automox::types::ErrorBody>>();

    let maybe = InviteError::MaybeInvited {
        vendor: Vendor::Hybridbox,
        step: InviteStep::Create,
        creates: 2,
        source: Box::new(error_response(500)),
    };
    assert!(maybe.maybe_invited());
    assert_eq!(maybe.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(maybe.step(), Some(InviteStep::Create));
    assert_eq!(
        maybe.to_string(),
        "hybridbox: the invitation may have been created: 2 creates sent, none confirmed, at \
         least one failed after it was sent"
    );
    let checked = InviteError::MaybeInvited {
        vendor: Vendor::Hybridbox,
        step: InviteStep::Reconcile,
        creates: 1,
        source: Box::new(error_response(403)),
    };
    assert_eq!(
        checked.to_string(),
        "hybridbox: the invitation may have been created: the create failed after it was sent, \
         and the list made to check it failed"
    );
    assert!(maybe.source().unwrap().to_string().contains("500"));

    let not = InviteError::NotInvited {
        vendor: Vendor::Automox,
        step: InviteStep::Create,
        source: Box::new(error_response(409)),
    };
    assert!(!not.maybe_invited());
    assert_eq!(
        not.to_string(),
        "automox: not invited: the create was refused or never reached the server"
    );
    let lookup = InviteError::NotInvited {
        vendor: Vendor::Hybridbox,
        step: InviteStep::Lookup,
        source: Box::new(error_response(403)),
    };
    assert_eq!(
        lookup.to_string(),
        "hybridbox: not invited: listing the pending invitations failed, so no create was sent"
    );

    let input = InviteError::<()>::InvalidInput {
        vendor: Vendor::Hybridbox,
        field: "account_id",
        reason: "not a valid uuid".into(),
    };
    assert!(!input.maybe_invited());
    assert!(input.source().is_none() && input.api_error().is_none() && input.step().is_none());
    assert_eq!(
        input.to_string(),
        "hybridbox: invalid account_id, nothing was sent: not a valid uuid"
    );
}
