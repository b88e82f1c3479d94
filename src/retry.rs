//! When to retry a request, and after how long.
//!
//! [`RetryPolicy`] is what callers configure (its documentation is the
//! rule book). [`decide`] is the whole retry decision as a pure function:
//! given the policy, what happened on the attempt that just finished and how
//! long the call has taken so far, it says whether to try again and after
//! which wait. [`run`] is the loop the client's `hooks::send` drives with
//! it; it only adds sleeping and logging.

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

/// How a client retries failed requests.
///
/// ```
/// use std::time::Duration;
/// use invitations::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(5)
///     .initial_backoff(Duration::from_millis(200))
///     .deadline(Duration::from_secs(30));
/// assert_eq!(policy.retry_limit(), 5);
/// assert_eq!(policy.call_deadline(), Some(Duration::from_secs(30)));
/// ```
///
/// The setters are named after the setting (`max_retries(5)`); the getters,
/// which cannot share those names, say what they read: [`retry_limit`]
/// (the `max_retries`) and [`call_deadline`] (the `deadline`).
///
/// # What is retried
///
/// | outcome | idempotent call (`GET`) | create, resend (`POST`) |
/// |---|---|---|
/// | 429, 503 | retried | retried |
/// | request never sent (connection refused, DNS, TLS handshake, connect timeout) | retried | retried |
/// | 408, 5xx but 501, 503, 505, 511 | retried | only with [`retry_ambiguous`](RetryPolicy::retry_ambiguous) |
/// | timeout after sending, connection reset | retried | only with [`retry_ambiguous`](RetryPolicy::retry_ambiguous) |
/// | anything else | returned | returned |
///
/// A create that failed ambiguously may have been carried out by the server;
/// retrying it blindly can invite the same person twice, so by default the
/// caller gets the error and decides.
///
/// # How long to wait
///
/// A `Retry-After` header (delta-seconds or an HTTP-date) is obeyed when it is
/// no larger than [`max_retry_after`](RetryPolicy::max_retry_after) and no
/// shorter than the backoff (a `Retry-After: 0` still waits the backoff);
/// when it is larger, the call gives up at once and returns the response,
/// since retrying sooner than the server asked is pointless. A
/// `Retry-After` that is missing, unparseable, negative or a date already
/// past falls back to exponential backoff: attempt `n` waits a random time
/// between half and all of `min(initial_backoff × 2ⁿ⁻¹, max_backoff)`.
///
/// # The deadline
///
/// [`deadline`](RetryPolicy::deadline) bounds the whole call: waiting for a
/// token, the client's rate limit and a 429's pause, every attempt (each
/// attempt's timeout is cut to what is left), the renewal of a token after
/// a 401, and the waits between attempts. A wait between attempts that
/// would end at or past it is never started: the call returns the last
/// outcome instead. A wait for the rate limit that would end past it is not
/// started either ([`Error::Throttled`](crate::Error::Throttled)); the other
/// waits end when it passes ([`Error::DeadlinePassed`](crate::Error::DeadlinePassed)).
///
/// [`retry_limit`]: RetryPolicy::retry_limit
/// [`call_deadline`]: RetryPolicy::call_deadline
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    deadline: Option<Duration>,
    retry_ambiguous: bool,
}

impl Default for RetryPolicy {
    /// Three retries; backoff from 500 ms doubling up to 8 s, with jitter;
    /// `Retry-After` obeyed up to 60 s; no overall deadline; ambiguous
    /// failures of creates and resends are not retried.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            deadline: None,
            retry_ambiguous: false,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries: every call makes exactly one attempt.
    pub fn none() -> Self {
        RetryPolicy::default().max_retries(0)
    }

    /// How many times a call may be retried after its first attempt.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The backoff before the first retry; it doubles for each later one.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff between two attempts (before jitter).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` the client waits for; a server asking for
    /// more makes the call give up and return that response.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// An overall limit for a call: its waits (for a token, the rate limit,
    /// between attempts) and its attempts. See [the deadline](RetryPolicy#the-deadline).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Also retry ambiguous failures (408, 500, 502, 504 and the other 5xx
    /// but 501, 503, 505, 511, a timeout after the request was sent, a reset
    /// connection) of calls that are not idempotent,
    /// such as creating an invitation. Off by default: the server may have
    /// acted on the first attempt, and a retry can then invite twice.
    pub fn retry_ambiguous(mut self, retry: bool) -> Self {
        self.retry_ambiguous = retry;
        self
    }

    /// How many times a call may be retried after its first attempt (set
    /// with [`max_retries`](RetryPolicy::max_retries)).
    pub fn retry_limit(&self) -> u32 {
        self.max_retries
    }

    /// The overall limit for a call, if any (set with
    /// [`deadline`](RetryPolicy::deadline)).
    pub fn call_deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The backoff before retry number `retry` (1-based), given `jitter` in
    /// `[0, 1)`: between half and all of
    /// `min(initial_backoff × 2^(retry-1), max_backoff)`.
    pub(crate) fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let doubling = 2u32.saturating_pow(retry.saturating_sub(1));
        let base = self
            .initial_backoff
            .saturating_mul(doubling)
            .min(self.max_backoff);
        let jitter = jitter.clamp(0.0, 1.0);
        base / 2 + base.mul_f64(jitter / 2.0)
    }
}

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server answered with this status.
    Response {
        /// The HTTP status code.
        status: u16,
        /// The wait asked for by a valid `Retry-After` header, if there was one
        /// (see [`parse_retry_after`]).
        retry_after: Option<Duration>,
    },
    /// The request was never sent: connection refused, DNS failure, TLS
    /// handshake failure, connect timeout.
    NotSent,
    /// The request was sent, but no response came in time.
    TimedOut,
    /// The request was sent, but the connection broke before a response.
    Interrupted,
    /// A failure that retrying cannot mend (an invalid request, a redirect
    /// loop, an unreadable response body).
    Fatal,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Response { status, .. } => write!(f, "status {status}"),
            Outcome::NotSent => f.write_str("not sent"),
            Outcome::TimedOut => f.write_str("timed out"),
            Outcome::Interrupted => f.write_str("interrupted"),
            Outcome::Fatal => f.write_str("failed"),
        }
    }
}

/// The facts [`decide`] needs about the attempt that just finished.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    /// 1 for the first attempt of a call, 2 for the first retry, …
    pub(crate) number: u32,
    /// Whether the call may safely run twice (`GET`, `PUT`, `DELETE`, …).
    pub(crate) idempotent: bool,
    /// What the attempt ended with.
    pub(crate) outcome: Outcome,
    /// Time since the call started, including this attempt.
    pub(crate) elapsed: Duration,
    /// A random number in `[0, 1)` for the backoff's jitter.
    pub(crate) jitter: f64,
}

/// What to do after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Try again after this wait.
    Retry(Duration),
    /// Return the attempt's outcome to the caller.
    Stop(Stop),
}

/// Why a call returns its last outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The outcome is not a failure that retrying can mend (a success, a 4xx,
    /// a fatal error).
    Final,
    /// An ambiguous failure of a call that is not idempotent, and the policy
    /// does not opt in to retrying those.
    Ambiguous,
    /// The policy's retries are used up.
    RetriesExhausted,
    /// The server asked for a longer wait than the policy's `max_retry_after`.
    RetryAfterTooLong(Duration),
    /// The wait would end at or past the call's deadline.
    DeadlineReached,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Final => f.write_str("final"),
            Stop::Ambiguous => f.write_str("ambiguous failure of a call that is not idempotent"),
            Stop::RetriesExhausted => f.write_str("retries exhausted"),
            Stop::RetryAfterTooLong(wait) => {
                write!(f, "retry-after of {} s is beyond the cap", wait.as_secs())
            }
            Stop::DeadlineReached => f.write_str("the wait would pass the deadline"),
        }
    }
}

/// Whether a failure surely happened before the server acted on the request.
enum Failure {
    /// The server did not act: safe to retry any call.
    Safe,
    /// The server may have acted: retry only idempotent calls, or on opt-in.
    Ambiguous,
}

fn failure(outcome: &Outcome) -> Option<Failure> {
    match outcome {
        Outcome::Response {
            status: 429 | 503, ..
        }
        | Outcome::NotSent => Some(Failure::Safe),
        Outcome::Response { status, .. } if status_is_ambiguous(*status) => {
            Some(Failure::Ambiguous)
        }
        Outcome::TimedOut | Outcome::Interrupted => Some(Failure::Ambiguous),
        Outcome::Response { .. } | Outcome::Fatal => None,
    }
}

/// Whether a failed answer with `status` leaves open whether the server
/// acted on the request: 408 and the 5xx statuses, but for those that say
/// the request was not handled (501 Not Implemented, 503 Service
/// Unavailable, 505 HTTP Version Not Supported, 511 Network Authentication
/// Required). Not for successes: a 2xx says the server acted.
pub(crate) fn status_is_ambiguous(status: u16) -> bool {
    match status {
        408 => true,
        501 | 503 | 505 | 511 => false,
        500..=599 => true,
        _ => false,
    }
}

/// Decides whether to retry after `attempt`, and after how long.
///
/// Pure: everything it depends on is in its arguments. See
/// [`RetryPolicy`] for the rules.
pub(crate) fn decide(policy: &RetryPolicy, attempt: &Attempt) -> Decision {
    match failure(&attempt.outcome) {
        None => return Decision::Stop(Stop::Final),
        Some(Failure::Ambiguous) if !attempt.idempotent && !policy.retry_ambiguous => {
            return Decision::Stop(Stop::Ambiguous);
        }
        Some(_) => {}
    }
    if attempt.number > policy.max_retries {
        return Decision::Stop(Stop::RetriesExhausted);
    }
    let asked = match attempt.outcome {
        Outcome::Response { retry_after, .. } => retry_after,
        _ => None,
    };
    let backoff = policy.backoff(attempt.number, attempt.jitter);
    let wait = match asked {
        Some(wait) if wait > policy.max_retry_after => {
            return Decision::Stop(Stop::RetryAfterTooLong(wait));
        }
        // A server asking for less than the backoff (`Retry-After: 0`) does
        // not remove it: a misbehaving server cannot make the client spin.
        Some(wait) => wait.max(backoff),
        None => backoff,
    };
    if let Some(deadline) = policy.deadline
        && attempt.elapsed.saturating_add(wait) >= deadline
    {
        return Decision::Stop(Stop::DeadlineReached);
    }
    Decision::Retry(wait)
}

/// Reads a `Retry-After` value: delta-seconds (`"120"`) or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`), as of `now`.
///
/// `None` for a value that is not valid (empty, negative, fractional,
/// garbage) and for a date that is not after `now`, which usually means the
/// clocks disagree: the caller then falls back to backoff. A delay too large
/// to represent is `Duration::MAX`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    date.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// Runs a call of `vendor`'s `operation` (both only name it in the
/// `tracing` events): `send(n, remaining)` makes attempt `n` (1-based), given the
/// time left before the deadline, and returns its result with its
/// [`Outcome`]; between attempts, [`decide`] chooses and the loop sleeps.
/// Returns the last attempt's result and why it was the last.
///
/// Time is read from tokio's clock, so tests can pause it.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    vendor: &str,
    operation: &str,
    idempotent: bool,
    mut send: F,
) -> (T, Stop)
where
    F: FnMut(u32, Option<Duration>) -> Fut,
    Fut: Future<Output = (T, Outcome)>,
{
    let start = tokio::time::Instant::now();
    let mut number = 1;
    loop {
        let remaining = policy
            .deadline
            .map(|deadline| deadline.saturating_sub(start.elapsed()));
        let (result, outcome) = send(number, remaining).await;
        let attempt = Attempt {
            number,
            idempotent,
            outcome,
            elapsed: start.elapsed(),
            jitter: fastrand::f64(),
        };
        match decide(policy, &attempt) {
            Decision::Retry(wait) => {
                tracing::info!(
                    vendor,
                    operation,
                    attempt = number,
                    outcome = %attempt.outcome,
                    wait_ms = wait.as_millis() as u64,
                    "retrying"
                );
                tokio::time::sleep(wait).await;
                number += 1;
            }
            Decision::Stop(stop) => {
                if stop == Stop::Final {
                    tracing::debug!(vendor, operation, attempt = number, outcome = %attempt.outcome, "done");
                } else {
                    tracing::warn!(
                        vendor,
                        operation,
                        attempt = number,
                        outcome = %attempt.outcome,
                        reason = %stop,
                        "giving up"
                    );
                }
                return (result, stop);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(number: u32, idempotent: bool, outcome: Outcome) -> Attempt {
        Attempt {
            number,
            idempotent,
            outcome,
            elapsed: Duration::ZERO,
            jitter: 0.5,
        }
    }

    fn status(status: u16) -> Outcome {
        Outcome::Response {
            status,
            retry_after: None,
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
            .initial_backoff(Duration::from_secs(1))
            .max_backoff(Duration::from_secs(8))
    }

    #[test]
    fn safe_failures_are_retried_for_every_call() {
        for outcome in [status(429), status(503), Outcome::NotSent] {
            for idempotent in [true, false] {
                let d = decide(&policy(), &attempt(1, idempotent, outcome.clone()));
                assert!(
                    matches!(d, Decision::Retry(_)),
                    "{outcome} {idempotent}: {d:?}"
                );
            }
        }
    }

    #[test]
    fn ambiguous_failures_are_retried_only_for_idempotent_calls_or_on_opt_in() {
        let ambiguous = [
            status(408),
            status(500),
            status(502),
            status(504),
            status(507),
            status(520),
            Outcome::TimedOut,
            Outcome::Interrupted,
        ];
        for outcome in ambiguous {
            let get = decide(&policy(), &attempt(1, true, outcome.clone()));
            assert!(matches!(get, Decision::Retry(_)), "{outcome}: {get:?}");
            let post = decide(&policy(), &attempt(1, false, outcome.clone()));
            assert_eq!(post, Decision::Stop(Stop::Ambiguous), "{outcome}");
            let opted = decide(
                &policy().retry_ambiguous(true),
                &attempt(1, false, outcome.clone()),
            );
            assert!(matches!(opted, Decision::Retry(_)), "{outcome}: {opted:?}");
        }
    }

    #[test]
    fn successes_client_errors_and_fatal_failures_are_final() {
        for outcome in [
            status(200),
            status(201),
            status(400),
            status(401),
            status(404),
            status(409),
            status(501),
            status(505),
            status(511),
            Outcome::Fatal,
        ] {
            let d = decide(&policy().retry_ambiguous(true), &attempt(1, true, outcome));
            assert_eq!(d, Decision::Stop(Stop::Final));
        }
    }

    #[test]
    fn retries_stop_after_max_retries() {
        let p = policy().max_retries(2);
        assert!(matches!(
            decide(&p, &attempt(2, true, status(429))),
            Decision::Retry(_)
        ));
        assert_eq!(
            decide(&p, &attempt(3, true, status(429))),
            Decision::Stop(Stop::RetriesExhausted)
        );
        assert_eq!(
            decide(&RetryPolicy::none(), &attempt(1, true, status(429))),
            Decision::Stop(Stop::RetriesExhausted)
        );
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered_between_half_and_all() {
        let p = policy();
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(1, 0.5), Duration::from_millis(750));
        assert_eq!(p.backoff(2, 0.0), Duration::from_secs(1));
        assert_eq!(p.backoff(3, 0.0), Duration::from_secs(2));
        assert_eq!(p.backoff(4, 0.0), Duration::from_secs(4));
        // Capped at max_backoff (8 s) before jitter.
        assert_eq!(p.backoff(5, 0.0), Duration::from_secs(4));
        assert_eq!(p.backoff(40, 0.999_999), p.backoff(5, 0.999_999));
        assert!(p.backoff(40, 0.999_999) < Duration::from_secs(8));
        assert_eq!(
            decide(&p, &attempt(2, true, status(503))),
            Decision::Retry(Duration::from_millis(1500))
        );
    }

    #[test]
    fn retry_after_within_the_cap_is_obeyed_without_jitter() {
        let outcome = Outcome::Response {
            status: 429,
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(
            decide(&policy(), &attempt(1, false, outcome)),
            Decision::Retry(Duration::from_secs(7))
        );
    }

    proptest::proptest! {
        /// `Retry-After` parsing never panics; delta-seconds read as such
        /// (saturating), and a date is read as the time until it.
        #[test]
        fn retry_after_parses_anything_without_panicking(
            text in ".*",
            seconds in proptest::prelude::any::<u64>(),
            ahead in 1u64..1_000_000,
        ) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let _ = parse_retry_after(&text, now);
            proptest::prop_assert_eq!(
                parse_retry_after(&format!(" {seconds} "), now),
                Some(Duration::from_secs(seconds))
            );
            let date = httpdate::fmt_http_date(now + Duration::from_secs(ahead));
            proptest::prop_assert_eq!(
                parse_retry_after(&date, now),
                Some(Duration::from_secs(ahead))
            );
        }
    }

    #[test]
    fn retry_after_below_the_backoff_still_waits_the_backoff() {
        for asked in [Duration::ZERO, Duration::from_millis(100)] {
            let outcome = Outcome::Response {
                status: 429,
                retry_after: Some(asked),
            };
            // Retry 3: the backoff is between 2 and 4 s (jitter 0.5: 3 s).
            assert_eq!(
                decide(&policy(), &attempt(3, false, outcome)),
                Decision::Retry(Duration::from_secs(3)),
                "{asked:?}"
            );
        }
    }

    #[test]
    fn retry_after_beyond_the_cap_gives_up() {
        let outcome = Outcome::Response {
            status: 429,
            retry_after: Some(Duration::from_secs(61)),
        };
        assert_eq!(
            decide(&policy(), &attempt(1, false, outcome)),
            Decision::Stop(Stop::RetryAfterTooLong(Duration::from_secs(61)))
        );
    }

    #[test]
    fn a_wait_reaching_the_deadline_is_never_started() {
        let p = policy().deadline(Duration::from_secs(10));
        let mut a = attempt(
            1,
            true,
            Outcome::Response {
                status: 503,
                retry_after: Some(Duration::from_secs(4)),
            },
        );
        a.elapsed = Duration::from_secs(5);
        assert_eq!(decide(&p, &a), Decision::Retry(Duration::from_secs(4)));
        a.elapsed = Duration::from_secs(6);
        assert_eq!(decide(&p, &a), Decision::Stop(Stop::DeadlineReached));
        // Backoff (500..1000 ms here) longer than what is left.
        let mut b = attempt(1, true, status(503));
        b.elapsed = Duration::from_millis(9_400);
        assert_eq!(decide(&p, &b), Decision::Stop(Stop::DeadlineReached));
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        // RFC 850 and asctime forms are HTTP-dates too.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:05 2015", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn invalid_or_past_retry_after_falls_back_to_backoff() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        for value in [
            "",
            "-5",
            "1.5",
            "soon",
            "Wed, 21 Oct 2015 07:27:00 GMT",
            "Wed, 21 Oct 2015 07:28:00 GMT",
        ] {
            assert_eq!(parse_retry_after(value, now), None, "{value:?}");
        }
    }

    /// The loop under tokio's paused clock, with scripted outcomes: checks
    /// when each attempt starts, not just how many there are.
    async fn scripted(
        policy: RetryPolicy,
        idempotent: bool,
        script: Vec<Outcome>,
    ) -> (Vec<Duration>, Stop) {
        let start = tokio::time::Instant::now();
        let mut starts = Vec::new();
        let mut script = script.into_iter();
        let ((), stop) = run(&policy, "vendor", "test", idempotent, |_, _| {
            starts.push(start.elapsed());
            let outcome = script.next().expect("script too short");
            async move { ((), outcome) }
        })
        .await;
        (starts, stop)
    }

    #[tokio::test(start_paused = true)]
    async fn loop_waits_what_retry_after_asks_then_stops_on_success() {
        let limited = Outcome::Response {
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
        };
        let (starts, stop) = scripted(policy(), false, vec![limited, status(201)]).await;
        assert_eq!(starts, [Duration::ZERO, Duration::from_secs(3)]);
        assert_eq!(stop, Stop::Final);
    }

    #[tokio::test(start_paused = true)]
    async fn loop_backs_off_exponentially_and_returns_the_last_failure() {
        let p = policy().max_retries(3);
        let (starts, stop) = scripted(p, true, vec![status(503); 4]).await;
        assert_eq!(starts.len(), 4);
        let gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        for (gap, base) in gaps.iter().zip([1u64, 2, 4]) {
            let base = Duration::from_secs(base);
            assert!(
                *gap >= base / 2 && *gap <= base,
                "{gap:?} not in [{:?}, {base:?}]",
                base / 2
            );
        }
        assert_eq!(stop, Stop::RetriesExhausted);
    }

    #[tokio::test(start_paused = true)]
    async fn loop_never_sleeps_past_the_deadline() {
        let p = policy().deadline(Duration::from_millis(400));
        let clock = tokio::time::Instant::now();
        let (starts, stop) = scripted(p, true, vec![status(503)]).await;
        assert_eq!(starts, [Duration::ZERO]);
        assert_eq!(stop, Stop::DeadlineReached);
        assert_eq!(
            clock.elapsed(),
            Duration::ZERO,
            "slept although the deadline forbade it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn loop_tells_each_attempt_how_much_time_is_left() {
        let p = policy().deadline(Duration::from_secs(10));
        let mut remaining = Vec::new();
        let mut script = vec![status(429), status(200)].into_iter();
        let _ = run(&p, "vendor", "test", true, |_, left| {
            remaining.push(left);
            let outcome = script.next().unwrap();
            async move {
                tokio::time::sleep(Duration::from_secs(2)).await;
                ((), outcome)
            }
        })
        .await;
        assert_eq!(remaining[0], Some(Duration::from_secs(10)));
        let second = remaining[1].unwrap();
        // 2 s for the first attempt, then a 0.5..1 s backoff.
        assert!(
            second >= Duration::from_secs(7) && second <= Duration::from_millis(7_500),
            "{second:?}"
        );
    }
}
