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
    /// At most `count` requests in any window of length `period`. A `count`
    /// of 0 is taken as 1 and a zero `period` as one nanosecond.
    pub fn per(count: u32, period: Duration) -> Self {
        RateLimit {
            count: count.max(1),
            period: period.max(Duration::from_nanos(1)),
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
        let spacing = self.period / (self.count - self.burst() + 1);
        spacing + spacing / 50
    }
}

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

/// Why a request was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WouldPassDeadline;

impl Throttle {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        let limiter = limit.map(|limit| {
            let burst = NonZeroU32::new(limit.burst()).unwrap_or(NonZeroU32::MIN);
            let quota = Quota::with_period(limit.spacing())
                .expect("the spacing is not zero")
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
                    return Err(WouldPassDeadline);
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
                        return Err(WouldPassDeadline);
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
        assert_eq!(throttle.admit(Some(deadline)).await, Err(WouldPassDeadline));
        assert_eq!(Instant::now(), start, "it gave up without waiting");
    }
}
