//! One rate limit per client: what every request of a client (and of its
//! clones) waits for before it is sent.
//!
//! - [`RateLimit`], given to
//!   [`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit), spaces
//!   requests so that the vendor's limit is not reached in the first place.
//!   It is a GCRA limiter from [`governor`] set up for the guarantee callers
//!   want: the server never sees more than `count` requests in any window of
//!   length `period` (see [`RateLimit::spacing`]).
//! - A 429 with `Retry-After` pauses the whole client until then
//!   (`Throttle::pause_until`): the other calls in flight do not keep
//!   sending into a limit the server has said is reached.
//!
//! Time is read from tokio's clock, so tests can pause it.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

/// At most `count` requests in any window of length `period`, per client.
///
/// ```
/// use std::time::Duration;
/// use invitations::{automox, Auth, RateLimit};
///
/// # fn main() -> Result<(), invitations::BuildError> {
/// // Automox is reported to allow about 2,500 requests per 5 minutes per key.
/// let client = automox::Client::builder()
///     .auth(Auth::bearer("api-key"))
///     .rate_limit(RateLimit::per(2_500, Duration::from_secs(300)))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    count: u32,
    period: Duration,
}

impl RateLimit {
    /// The longest `period` a limiter is made for: 31 days.
    pub const MAX_PERIOD: Duration = Duration::from_secs(31 * 24 * 3600);

    /// At most `count` requests in any window of length `period`. A `count`
    /// of 0 is taken as 1 and a zero `period` as one nanosecond.
    ///
    /// Never fails, and the client built with it never panics: a limit
    /// outside what [`RateLimit::try_per`] accepts is brought within it when
    /// the client is built, its [`spacing`](RateLimit::spacing) held between
    /// one nanosecond (more than one request per nanosecond is as good as
    /// no limit) and that of one request per [`RateLimit::MAX_PERIOD`].
    /// Use [`RateLimit::try_per`] to refuse such a limit instead.
    pub fn per(count: u32, period: Duration) -> Self {
        RateLimit {
            count: count.max(1),
            period: period.max(Duration::from_nanos(1)),
        }
    }

    /// At most `count` requests in any window of length `period`, or why a
    /// limiter cannot keep that limit as written: a `count` of 0, a zero
    /// `period` or one longer than [`RateLimit::MAX_PERIOD`], or more than
    /// one request per nanosecond (see [`RateError::TooFast`] for the
    /// largest count a period takes).
    ///
    /// ```
    /// use std::time::Duration;
    /// use invitations::{RateError, RateLimit};
    ///
    /// assert!(RateLimit::try_per(2_500, Duration::from_secs(300)).is_ok());
    /// assert_eq!(
    ///     RateLimit::try_per(1_000_000_002, Duration::from_secs(1)),
    ///     Err(RateError::TooFast { max_count: 1_000_000_001 })
    /// );
    /// ```
    ///
    /// # Errors
    /// [`RateError`], saying which part is out of range and the range.
    pub fn try_per(count: u32, period: Duration) -> Result<Self, RateError> {
        if count == 0 {
            return Err(RateError::ZeroCount);
        }
        if period.is_zero() {
            return Err(RateError::ZeroPeriod);
        }
        if period > Self::MAX_PERIOD {
            return Err(RateError::PeriodTooLong {
                max: Self::MAX_PERIOD,
            });
        }
        let limit = RateLimit { count, period };
        if limit.exact_spacing().is_zero() {
            return Err(RateError::TooFast {
                max_count: Self::max_count(period),
            });
        }
        Ok(limit)
    }

    /// The largest count whose spacing over `period` is at least one
    /// nanosecond (at least 1).
    fn max_count(period: Duration) -> u32 {
        let nanos = u32::try_from(period.as_nanos()).unwrap_or(u32::MAX);
        // With a burst of 2 (counts from 20 up) the spacing is
        // period / (count - 1), else period / count.
        let with_burst = nanos.saturating_add(1);
        if with_burst >= 20 {
            with_burst
        } else {
            nanos.max(1)
        }
    }

    /// The number of requests allowed per window.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The window's length.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// How many requests may go out back to back: 2 from a `count` of 20
    /// up, else 1. Two let a request that woke late (tokio's timers round
    /// up to the millisecond) be made up for by the next one, instead of
    /// every late wake-up costing throughput for good.
    pub fn burst(&self) -> u32 {
        if self.count >= 20 { 2 } else { 1 }
    }

    /// The time between requests after the burst:
    /// `period / (count - burst + 1)`, plus a margin of 1/50 for the jitter
    /// between sending a request and its arrival.
    ///
    /// Why so little burst: a limiter that lets `count` requests through at
    /// once and then refills at `count` per `period` lets up to `2 × count -
    /// 1` through in the first window. With a burst `b` and this spacing `T`,
    /// any window of length `period` holds at most `b + period / T < count +
    /// 1` requests, which is what a vendor counting over a sliding (or any)
    /// window sees, and the long-run rate is within a few percent of the
    /// most the limit allows.
    pub fn spacing(&self) -> Duration {
        let spacing = self.exact_spacing();
        spacing.saturating_add(spacing / 50)
    }

    /// `period / (count - burst + 1)`, without the margin.
    fn exact_spacing(&self) -> Duration {
        self.period / (self.count.max(1) - self.burst() + 1)
    }

    /// [`spacing`](RateLimit::spacing) held within what a limiter can keep:
    /// at least one nanosecond, at most that of one request per
    /// [`RateLimit::MAX_PERIOD`].
    fn limiter_spacing(&self) -> Duration {
        let longest = Self::MAX_PERIOD + Self::MAX_PERIOD / 50;
        self.spacing().clamp(Duration::from_nanos(1), longest)
    }
}

/// Why [`RateLimit::try_per`] refused a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateError {
    /// The count is 0; it must be at least 1.
    ZeroCount,
    /// The period is zero.
    ZeroPeriod,
    /// The period is longer than [`RateLimit::MAX_PERIOD`].
    PeriodTooLong {
        /// The longest period.
        max: Duration,
    },
    /// More than one request per nanosecond: no limiter spaces requests
    /// closer.
    TooFast {
        /// The largest count the period takes.
        max_count: u32,
    },
}

impl std::fmt::Display for RateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RateError::ZeroCount => f.write_str("the count is 0; it must be at least 1"),
            RateError::ZeroPeriod => f.write_str("the period is zero"),
            RateError::PeriodTooLong { max } => write!(
                f,
                "the period is longer than {} hours, the longest a limiter takes",
                max.as_secs() / 3600
            ),
            RateError::TooFast { max_count } => write!(
                f,
                "more than one request per nanosecond, faster than a limiter spaces requests; \
                 with this period the count is at most {max_count}"
            ),
        }
    }
}

impl std::error::Error for RateError {}

/// Waits before each request: until a 429's pause is over, then for the
/// rate limiter. Shared by a client and its clones.
pub(crate) struct Throttle {
    limiter: Option<Limiter>,
    /// Until when a 429's `Retry-After` paused the client.
    paused_until: Mutex<Option<Instant>>,
    /// Whether a pause was ever set: until then, a request without a rate
    /// limit passes without taking the lock.
    ever_paused: AtomicBool,
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

/// Tokio's clock for governor: the time since the limiter was made.
#[derive(Clone, Debug)]
struct TokioClock {
    origin: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// Why a request was not sent: the throttle would hold it for `wait`,
/// until after the call's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WouldPassDeadline {
    pub(crate) wait: Duration,
}

impl WouldPassDeadline {
    fn until(until: Instant) -> Self {
        WouldPassDeadline {
            wait: until.saturating_duration_since(Instant::now()),
        }
    }
}

impl Throttle {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        let limiter = limit.map(|limit| {
            let burst = NonZeroU32::new(limit.burst()).unwrap_or(NonZeroU32::MIN);
            // Never zero (`limiter_spacing`); the fallback only keeps this
            // free of panics.
            let quota = Quota::with_period(limit.limiter_spacing())
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
                .allow_burst(burst);
            RateLimiter::direct_with_clock(
                quota,
                TokioClock {
                    origin: Instant::now(),
                },
            )
        });
        Throttle {
            limiter,
            paused_until: Mutex::new(None),
            ever_paused: AtomicBool::new(false),
        }
    }

    /// After a 429 asking to wait `wait`: no request of this client is sent
    /// before then (a longer pause already set is kept).
    pub(crate) fn pause_for(&self, wait: Duration) {
        let Some(until) = Instant::now().checked_add(wait) else {
            return;
        };
        self.pause_until(until);
    }

    /// No request of this client is sent before `until`.
    pub(crate) fn pause_until(&self, until: Instant) {
        let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
        self.ever_paused.store(true, Ordering::Release);
    }

    fn paused_until(&self) -> Option<Instant> {
        if !self.ever_paused.load(Ordering::Acquire) {
            return None;
        }
        let paused = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        paused.filter(|until| *until > Instant::now())
    }

    /// Waits until a request may be sent: after any pause, within the rate
    /// limit. Gives up at once, without waiting, when the wait would end
    /// after `deadline`.
    pub(crate) async fn admit(&self, deadline: Option<Instant>) -> Result<(), WouldPassDeadline> {
        loop {
            if let Some(until) = self.paused_until() {
                if deadline.is_some_and(|d| until > d) {
                    return Err(WouldPassDeadline::until(until));
                }
                tokio::time::sleep_until(until).await;
                continue;
            }
            let Some(limiter) = &self.limiter else {
                return Ok(());
            };
            match limiter.check() {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(limiter.clock().now());
                    let until = Instant::now() + wait;
                    if deadline.is_some_and(|d| until > d) {
                        return Err(WouldPassDeadline::until(until));
                    }
                    tokio::time::sleep_until(until).await;
                }
            }
        }
    }
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("rate_limited", &self.limiter.is_some())
            .field("paused_until", &self.paused_until())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_leaves_a_margin_over_period_per_count() {
        let limit = RateLimit::per(2_500, Duration::from_secs(300));
        assert_eq!(limit.burst(), 2);
        // 300 s / 2,499, plus 2%.
        assert_eq!(limit.spacing(), Duration::from_nanos(122_448_979));
        assert_eq!(RateLimit::per(10, Duration::from_secs(1)).burst(), 1);
        assert_eq!(RateLimit::per(0, Duration::ZERO).count(), 1);
    }

    /// The guarantee itself: admitted requests, as many as are asked for at
    /// once, never put more than `count` in any window of `period`, with and
    /// without a burst.
    #[tokio::test(start_paused = true)]
    async fn no_window_of_period_admits_more_than_count() {
        for (count, requests) in [(5, 23), (40, 130)] {
            let limit = RateLimit::per(count, Duration::from_secs(1));
            let throttle = std::sync::Arc::new(Throttle::new(Some(limit)));
            let start = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..requests {
                let throttle = throttle.clone();
                tasks.push(tokio::spawn(async move {
                    throttle.admit(None).await.unwrap();
                    Instant::now() - start
                }));
            }
            let mut times = Vec::new();
            for task in tasks {
                times.push(task.await.unwrap());
            }
            times.sort();
            for (i, t) in times.iter().enumerate() {
                let in_window = times[i..]
                    .iter()
                    .take_while(|u| **u < *t + limit.period())
                    .count();
                assert!(
                    in_window <= count as usize,
                    "{count}: {in_window} requests from {t:?}: {times:?}"
                );
            }
            // And no slower than the spacing asks: after the burst, one
            // request per spacing; tokio's millisecond timer makes each wake
            // up to 1 ms late, which the burst makes up for rather than
            // letting it add up.
            let gaps = requests - limit.burst();
            let last = *times.last().unwrap();
            assert!(last >= limit.spacing() * gaps, "{count}: {last:?}");
            assert!(
                last <= limit.spacing() * gaps + Duration::from_millis(2),
                "{count}: {last:?}"
            );
        }
    }

    #[test]
    fn try_per_refuses_what_no_limiter_keeps_and_names_the_range() {
        let second = Duration::from_secs(1);
        assert_eq!(RateLimit::try_per(0, second), Err(RateError::ZeroCount));
        assert_eq!(
            RateLimit::try_per(1, Duration::ZERO),
            Err(RateError::ZeroPeriod)
        );
        assert_eq!(
            RateLimit::try_per(1, RateLimit::MAX_PERIOD + Duration::from_nanos(1)),
            Err(RateError::PeriodTooLong {
                max: RateLimit::MAX_PERIOD
            })
        );
        assert!(RateLimit::try_per(1, RateLimit::MAX_PERIOD).is_ok());
        // The largest count of a period is accepted, one more is not.
        for period in [
            Duration::from_nanos(1),
            Duration::from_nanos(19),
            Duration::from_nanos(25),
            Duration::from_millis(1),
            second,
            Duration::from_secs(5),
        ] {
            let max = RateLimit::max_count(period);
            let limit = RateLimit::try_per(max, period).unwrap();
            assert!(!limit.spacing().is_zero(), "{period:?}");
            if max < u32::MAX {
                assert_eq!(
                    RateLimit::try_per(max + 1, period),
                    Err(RateError::TooFast { max_count: max }),
                    "{period:?}"
                );
            }
        }
        assert_eq!(
            RateLimit::try_per(4_294_967_295, Duration::from_millis(1)),
            Err(RateError::TooFast {
                max_count: 1_000_001
            })
        );
        let e = RateLimit::try_per(1_000_000_002, second).unwrap_err();
        assert!(e.to_string().contains("at most 1000000001"), "{e}");
    }

    /// `per` accepts what `try_per` refuses; the limiter it makes never
    /// panics and admits requests.
    #[tokio::test(start_paused = true)]
    async fn a_limiter_from_any_per_never_panics() {
        for (count, period) in [
            (u32::MAX, Duration::from_nanos(1)),
            (1_000_000_002, Duration::from_secs(1)),
            (1, Duration::MAX),
            (u32::MAX, Duration::MAX),
            (0, Duration::ZERO),
            (1, Duration::from_secs(36_000_000_000)),
        ] {
            let limit = RateLimit::per(count, period);
            let _ = limit.spacing();
            let throttle = Throttle::new(Some(limit));
            throttle.admit(None).await.unwrap();
            throttle.admit(None).await.unwrap();
        }
    }

    proptest::proptest! {
        /// Every rate `try_per` accepts (what `invitations invite --rate`
        /// reads goes through it) makes a limiter that admits requests.
        #[test]
        fn any_accepted_rate_builds_a_working_limiter(
            count in proptest::prelude::any::<u32>(),
            nanos in 0..=RateLimit::MAX_PERIOD.as_nanos() as u64,
        ) {
            let Ok(limit) = RateLimit::try_per(count, Duration::from_nanos(nanos)) else {
                return Ok(());
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .unwrap();
            runtime.block_on(async {
                let throttle = Throttle::new(Some(limit));
                throttle.admit(None).await.unwrap();
                throttle.admit(None).await.unwrap();
            });
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_until_it_ends() {
        let throttle = Throttle::new(None);
        let start = Instant::now();
        throttle.pause_for(Duration::from_secs(2));
        // A shorter pause later does not shorten it.
        throttle.pause_for(Duration::from_secs(1));
        throttle.admit(None).await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_is_not_started() {
        let throttle = Throttle::new(None);
        let start = Instant::now();
        throttle.pause_for(Duration::from_secs(5));
        let deadline = start + Duration::from_secs(1);
        assert_eq!(
            throttle.admit(Some(deadline)).await,
            Err(WouldPassDeadline {
                wait: Duration::from_secs(5)
            })
        );
        assert_eq!(Instant::now(), start, "it gave up without waiting");
    }
}
