//! The token cache's bookkeeping and the decisions made from it, as pure
//! functions of [`State`] and the time: when a token is refreshed and when
//! it expires, how long to back off after failures, and whether a call uses
//! the cached token, waits for a token request or fails at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::auth::{AuthError, SecretToken};

/// The longest a token is used, whatever its `expires_in` says.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// The shortest time from the end of a token request to the next one; a
/// token is used for at least this long, even with `expires_in: 0`.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest wait between failed token requests.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What a token request ended with, as shared by its waiters.
pub(super) type Outcome = Result<SecretToken, Arc<AuthError>>;

/// The bookkeeping behind every decision.
#[derive(Default)]
pub(super) struct State {
    /// The last token issued, until it is invalidated or replaced.
    pub(super) cached: Option<Cached>,
    /// A token request is running (or about to).
    pub(super) in_flight: bool,
    /// No token request starts before this: 1 s after the last one ended,
    /// longer after failures.
    pub(super) not_before: Option<Instant>,
    /// Token requests that failed in a row.
    pub(super) failures: u32,
    /// Why the last token request failed, while the endpoint is failing.
    pub(super) last_error: Option<Arc<AuthError>>,
    /// Extra root certificates (PEM) for the endpoint's https.
    pub(super) roots: Vec<Vec<u8>>,
    /// The endpoint's HTTP client, built on the first request.
    pub(super) http: Option<reqwest::Client>,
}

/// A token and its times.
#[derive(Clone)]
pub(super) struct Cached {
    pub(super) token: SecretToken,
    /// When to fetch a new one in the background; `None`: only when
    /// invalidated.
    pub(super) refresh_at: Option<Instant>,
    /// When it can no longer be used; `None`: only when invalidated.
    pub(super) expires_at: Option<Instant>,
}

/// What a call for a token does.
#[derive(Debug)]
pub(super) enum Plan {
    /// Return the cached token; with `refresh`, also start a token request
    /// in the background.
    Use { token: SecretToken, refresh: bool },
    /// No valid token: wait for the next request's outcome, starting that
    /// request (not before the given time) unless one is running.
    Wait { start: Option<Instant> },
    /// No valid token and the endpoint is failing: this error, at once.
    Fail(Arc<AuthError>),
}

impl State {
    pub(super) fn plan(&self, now: Instant) -> Plan {
        let may_start = !self.in_flight && self.not_before.is_none_or(|t| now >= t);
        let valid = self
            .cached
            .as_ref()
            .filter(|c| c.expires_at.is_none_or(|at| now < at));
        match valid {
            Some(cached) => Plan::Use {
                token: cached.token.clone(),
                refresh: may_start && cached.refresh_at.is_some_and(|at| now >= at),
            },
            None if self.in_flight => Plan::Wait { start: None },
            None => match (&self.last_error, self.not_before) {
                (Some(error), Some(t)) if now < t => Plan::Fail(error.clone()),
                (_, not_before) => Plan::Wait {
                    start: Some(not_before.map_or(now, |t| t.max(now))),
                },
            },
        }
    }

    /// Records the end of a token request at `now`.
    pub(super) fn record(&mut self, now: Instant, result: Result<Cached, AuthError>) -> Outcome {
        self.in_flight = false;
        match result {
            Ok(cached) => {
                self.failures = 0;
                self.last_error = None;
                self.not_before = Some(now + MIN_INTERVAL);
                let token = cached.token.clone();
                self.cached = Some(cached);
                Ok(token)
            }
            Err(error) => {
                // The cached token, if any, stays until it expires.
                self.failures = self.failures.saturating_add(1);
                let error = Arc::new(error);
                self.last_error = Some(error.clone());
                self.not_before = Some(now + backoff(self.failures));
                Err(error)
            }
        }
    }
}

/// When a token asked for at `started`, received at `completed` and valid
/// for `expires_in` seconds is refreshed and when it expires.
pub(super) fn schedule(
    started: Instant,
    completed: Instant,
    expires_in: Option<u64>,
    refresh_before: Duration,
) -> (Option<Instant>, Option<Instant>) {
    let Some(seconds) = expires_in else {
        return (None, None);
    };
    let lifetime = Duration::from_secs(seconds).min(MAX_LIFETIME);
    let usable = lifetime.saturating_sub(refresh_before).max(lifetime / 2);
    let expires_at = (started + lifetime).max(completed + MIN_INTERVAL);
    (Some(started + usable), Some(expires_at))
}

/// The wait before the next token request after `failures` failed in a
/// row: 1 s, 2 s, 4 s … up to 30 s.
fn backoff(failures: u32) -> Duration {
    let factor = 1u32
        .checked_shl(failures.saturating_sub(1))
        .unwrap_or(u32::MAX);
    MIN_INTERVAL.saturating_mul(factor).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(token: &str, refresh_at: Instant, expires_at: Instant) -> Cached {
        Cached {
            token: SecretToken::new(token),
            refresh_at: Some(refresh_at),
            expires_at: Some(expires_at),
        }
    }

    fn plan(state: &State, now: Instant) -> String {
        match state.plan(now) {
            Plan::Use { token, refresh } => format!("use {} {refresh}", token.expose_secret()),
            Plan::Wait { start: None } => "wait".to_owned(),
            Plan::Wait { start: Some(at) } => format!("start in {:?} and wait", at - now),
            Plan::Fail(error) => format!("fail: {error}"),
        }
    }

    #[test]
    fn tokens_are_replaced_before_they_expire() {
        let t0 = Instant::now();
        let rb = Duration::from_secs(30);
        let at = |s: u64| Some(t0 + Duration::from_secs(s));
        assert_eq!(schedule(t0, t0, Some(300), rb), (at(270), at(300)));
        // Short-lived tokens are used for at least half their life.
        assert_eq!(schedule(t0, t0, Some(40), rb), (at(20), at(40)));
        assert_eq!(schedule(t0, t0, None, rb), (None, None));
        // At most a day, and no overflow.
        let day = 24 * 60 * 60;
        assert_eq!(
            schedule(t0, t0, Some(u64::MAX), rb),
            (at(day - 30), at(day))
        );
        // Expiry counts from the request; a token is kept for at least 1 s.
        let done = t0 + Duration::from_secs(5);
        assert_eq!(schedule(t0, done, Some(0), rb), (at(0), at(6)));
        assert_eq!(schedule(t0, done, Some(60), rb), (at(30), at(60)));
    }

    #[test]
    fn backoff_doubles_from_one_second_to_thirty() {
        let waits: Vec<u64> = (0..8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn calls_use_the_cache_wait_or_fail_fast() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let mut state = State::default();
        assert_eq!(plan(&state, t0), "start in 0ns and wait");
        state.in_flight = true;
        assert_eq!(plan(&state, t0), "wait");

        // A fresh token; then in its refresh window: one request, no wait.
        let outcome = state.record(t0, Ok(cached("a", s(270), s(300))));
        assert!(matches!(outcome, Ok(ref t) if t.expose_secret() == "a"));
        assert_eq!(plan(&state, s(100)), "use a false");
        assert_eq!(plan(&state, s(280)), "use a true");
        state.in_flight = true;
        assert_eq!(plan(&state, s(281)), "use a false");

        // The endpoint fails: the token is used until it expires, and the
        // endpoint is not asked again before the backoff has passed.
        let _ = state.record(s(281), Err(AuthError::InvalidToken));
        assert_eq!(plan(&state, s(281)), "use a false");
        assert_eq!(plan(&state, s(282)), "use a true");
        let _ = state.record(s(282), Err(AuthError::InvalidToken));
        assert_eq!(plan(&state, s(283)), "use a false");
        assert_eq!(plan(&state, s(284)), "use a true");
        assert_eq!(state.failures, 2);

        // Expired while failing: fail at once until the backoff has passed.
        let _ = state.record(s(299), Err(AuthError::InvalidToken));
        let fail = "fail: the token is not a valid authorization header value; nothing was sent";
        assert_eq!(plan(&state, s(300)), fail);
        assert_eq!(plan(&state, s(303)), "start in 0ns and wait");

        // Success resets the backoff; a request follows the last one after
        // 1 s at the earliest, even for an invalidated token.
        let _ = state.record(s(303), Ok(cached("b", s(303), s(304))));
        assert_eq!((state.failures, state.last_error.is_none()), (0, true));
        assert_eq!(plan(&state, s(303)), "use b false");
        state.cached = None;
        assert_eq!(plan(&state, s(303)), "start in 1s and wait");
        assert_eq!(plan(&state, s(305)), "start in 0ns and wait");
    }
}
