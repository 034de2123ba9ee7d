//! The rate limits, with time passed in as milliseconds.
//!
//! - [`TokenBucket`]: message sends, a burst of 10 per user per room refilled
//!   at 1 per second (both adjustable through `CHAT_SEND_BURST` /
//!   `CHAT_SEND_PER_SEC`, read once into [`RateSettings`]).
//! - The same bucket, with fixed settings, for every other change a socket
//!   can make (`edit`, `delete`, `react`: one shared bucket, a burst of
//!   [`CHANGE_BURST`] refilled at [`CHANGE_PER_SEC`]) and for `history`
//!   requests (their own bucket, [`HISTORY_BURST`] and [`HISTORY_PER_SEC`]).
//!   The contract names only the send limit; without these, one socket could
//!   rewrite, react or read history as fast as it can write frames. The web
//!   client mirrors them (`public/limits.js`). [`UserBuckets`] holds one
//!   user's three buckets in one room.
//! - [`LoginThrottle`]: after 5 failed logins for one account within 15
//!   minutes, every login for it is refused until the oldest of those failures
//!   is 15 minutes old. It lives in the account's stored state so the lock
//!   survives restarts and applies on every edge location alike.

use serde::{Deserialize, Serialize};

use super::error::ApiError;

pub const SEND_BURST_DEFAULT: u32 = 10;
pub const SEND_PER_SEC_DEFAULT: f64 = 1.0;
/// `edit`, `delete` and `react` together, per user per room: a burst of 20
/// (a quick run of reactions or a clean-up of several messages), then 2 a
/// second.
pub const CHANGE_BURST: u32 = 20;
pub const CHANGE_PER_SEC: f64 = 2.0;
/// `history` frames per user per room: 10 pages (500 messages at the default
/// page size) at once while scrolling back, then one a second.
pub const HISTORY_BURST: u32 = 10;
pub const HISTORY_PER_SEC: f64 = 1.0;
/// Attachment uploads per user per room (contract section 9): a burst of 10,
/// then one every 10 s.
pub const UPLOAD_BURST: u32 = 10;
pub const UPLOAD_PER_SEC: f64 = 0.1;
pub const LOGIN_MAX_FAILURES: usize = 5;
pub const LOGIN_WINDOW_MS: u64 = 15 * 60 * 1000;

/// A classic token bucket. `burst` and `per_sec` are passed on every call
/// rather than stored, so a changed setting applies to existing buckets at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenBucket {
    tokens: f64,
    last_ms: u64,
}

impl TokenBucket {
    /// A full bucket: a new sender may use the whole burst straight away.
    pub fn new(burst: u32, now_ms: u64) -> Self {
        TokenBucket {
            tokens: f64::from(burst.max(1)),
            last_ms: now_ms,
        }
    }

    /// Takes one token, or says how many milliseconds until one is available.
    /// Nothing is taken on refusal, so a refused send costs nothing.
    pub fn try_take(&mut self, now_ms: u64, burst: u32, per_sec: f64) -> Result<(), u64> {
        let burst = f64::from(burst.max(1));
        let per_sec = if per_sec.is_finite() && per_sec > 0.0 {
            per_sec
        } else {
            SEND_PER_SEC_DEFAULT
        };
        // A clock that steps backwards refills nothing rather than underflowing.
        let elapsed_ms = now_ms.saturating_sub(self.last_ms);
        self.last_ms = self.last_ms.max(now_ms);
        self.tokens = (self.tokens + elapsed_ms as f64 * per_sec / 1000.0).min(burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait_ms = ((1.0 - self.tokens) * 1000.0 / per_sec).ceil();
            Err((wait_ms as u64).max(1))
        }
    }

    /// Returns a token taken for a send that turned out to be a repeat (it
    /// stored nothing, so it costs nothing).
    pub fn give_back(&mut self, burst: u32) {
        self.tokens = (self.tokens + 1.0).min(f64::from(burst.max(1)));
    }
}

/// The `rate_limited` error for a refused send.
pub fn send_limited(retry_after_ms: u64) -> ApiError {
    ApiError::rate_limited(
        retry_after_ms,
        "You are sending messages too quickly. Wait a moment and try again.",
    )
}

/// The `rate_limited` error for a refused `edit`, `delete` or `react`.
pub fn change_limited(retry_after_ms: u64) -> ApiError {
    ApiError::rate_limited(
        retry_after_ms,
        "You are changing messages too quickly. Wait a moment and try again.",
    )
}

/// The `rate_limited` error for a refused upload.
pub fn upload_limited(retry_after_ms: u64) -> ApiError {
    ApiError::rate_limited(
        retry_after_ms,
        "You are uploading files too quickly. Wait a moment and try again.",
    )
}

/// The `rate_limited` error for a refused `history` request.
pub fn history_limited(retry_after_ms: u64) -> ApiError {
    ApiError::rate_limited(
        retry_after_ms,
        "You are loading history too quickly. Wait a moment and try again.",
    )
}

/// One user's buckets in one room: sends (under [`RateSettings`]), other
/// changes and history requests (fixed settings). Each starts full.
#[derive(Debug, Clone, PartialEq)]
pub struct UserBuckets {
    pub send: TokenBucket,
    change: TokenBucket,
    history: TokenBucket,
    upload: TokenBucket,
}

impl UserBuckets {
    pub fn new(rates: &RateSettings, now_ms: u64) -> UserBuckets {
        UserBuckets {
            send: TokenBucket::new(rates.burst, now_ms),
            change: TokenBucket::new(CHANGE_BURST, now_ms),
            history: TokenBucket::new(HISTORY_BURST, now_ms),
            upload: TokenBucket::new(UPLOAD_BURST, now_ms),
        }
    }

    /// Takes one `edit`, `delete` or `react`, or says how long to wait.
    pub fn take_change(&mut self, now_ms: u64) -> Result<(), u64> {
        self.change.try_take(now_ms, CHANGE_BURST, CHANGE_PER_SEC)
    }

    /// Takes one attachment upload, or says how long to wait.
    pub fn take_upload(&mut self, now_ms: u64) -> Result<(), u64> {
        self.upload.try_take(now_ms, UPLOAD_BURST, UPLOAD_PER_SEC)
    }

    /// Takes one `history` request, or says how long to wait.
    pub fn take_history(&mut self, now_ms: u64) -> Result<(), u64> {
        self.history
            .try_take(now_ms, HISTORY_BURST, HISTORY_PER_SEC)
    }
}

/// The `rate_limited` error for a locked login.
pub fn login_locked(retry_after_ms: u64) -> ApiError {
    ApiError::rate_limited(
        retry_after_ms,
        "Too many failed sign-in attempts for this account. Try again later.",
    )
}

/// Recent failed logins of one account (times in ms, oldest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginThrottle {
    #[serde(default)]
    failures: Vec<u64>,
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    fn in_window(failure_ms: u64, now_ms: u64) -> bool {
        failure_ms.saturating_add(LOGIN_WINDOW_MS) > now_ms
    }

    /// `Err(retry_after_ms)` while the account is locked. Check this before
    /// looking at the password: a locked account refuses even the right one.
    pub fn check(&self, now_ms: u64) -> Result<(), u64> {
        let recent: Vec<u64> = self
            .failures
            .iter()
            .copied()
            .filter(|&t| Self::in_window(t, now_ms))
            .collect();
        if recent.len() < LOGIN_MAX_FAILURES {
            return Ok(());
        }
        // Unlocks when enough old failures leave that fewer than the maximum remain.
        let unlocking = recent
            .get(recent.len() - LOGIN_MAX_FAILURES)
            .copied()
            .unwrap_or(now_ms);
        Err(unlocking
            .saturating_add(LOGIN_WINDOW_MS)
            .saturating_sub(now_ms)
            .max(1))
    }

    /// Records a wrong password. Refused (locked) attempts are not recorded, so
    /// a lock always ends on time even if someone keeps trying.
    pub fn record_failure(&mut self, now_ms: u64) {
        self.prune(now_ms);
        self.failures.push(now_ms);
        self.failures.sort_unstable();
        // Only the newest few can ever matter; this keeps the stored row small.
        let excess = self.failures.len().saturating_sub(LOGIN_MAX_FAILURES);
        self.failures.drain(..excess);
    }

    /// A successful login forgives earlier failures.
    pub fn record_success(&mut self) {
        self.failures.clear();
    }

    /// Drops failures that have left the window.
    pub fn prune(&mut self, now_ms: u64) {
        self.failures.retain(|&t| Self::in_window(t, now_ms));
    }

    /// How many failures currently count against the account.
    pub fn recent_failures(&self, now_ms: u64) -> usize {
        self.failures
            .iter()
            .filter(|&&t| Self::in_window(t, now_ms))
            .count()
    }
}

/// The send-rate settings, read once from the environment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSettings {
    pub burst: u32,
    pub per_sec: f64,
}

impl Default for RateSettings {
    fn default() -> Self {
        RateSettings {
            burst: SEND_BURST_DEFAULT,
            per_sec: SEND_PER_SEC_DEFAULT,
        }
    }
}

impl RateSettings {
    /// Parses `CHAT_SEND_BURST` / `CHAT_SEND_PER_SEC`. A missing, unparsable,
    /// zero or negative value falls back to its default, so a typo in a setting
    /// can never switch sending off.
    pub fn from_vars(burst: Option<&str>, per_sec: Option<&str>) -> RateSettings {
        let defaults = RateSettings::default();
        let burst = burst
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|&b| b > 0)
            .unwrap_or(defaults.burst);
        let per_sec = per_sec
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|&r| r.is_finite() && r > 0.0)
            .unwrap_or(defaults.per_sec);
        RateSettings { burst, per_sec }
    }

    /// Takes one send from `bucket` under these settings.
    pub fn take(&self, bucket: &mut TokenBucket, now_ms: u64) -> Result<(), u64> {
        bucket.try_take(now_ms, self.burst, self.per_sec)
    }

    /// Undoes a [`RateSettings::take`] (see [`TokenBucket::give_back`]).
    pub fn give_back(&self, bucket: &mut TokenBucket) {
        bucket.give_back(self.burst);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn burst_of_ten_then_one_per_second() {
        let mut b = TokenBucket::new(10, T0);
        for _ in 0..10 {
            assert_eq!(b.try_take(T0, 10, 1.0), Ok(()));
        }
        assert_eq!(b.try_take(T0, 10, 1.0), Err(1000));
        assert_eq!(b.try_take(T0 + 400, 10, 1.0), Err(600));
        assert_eq!(b.try_take(T0 + 1000, 10, 1.0), Ok(()));
        assert_eq!(b.try_take(T0 + 1000, 10, 1.0), Err(1000));
    }

    #[test]
    fn refused_sends_do_not_cost_tokens() {
        let mut b = TokenBucket::new(1, T0);
        assert!(b.try_take(T0, 1, 1.0).is_ok());
        for ms in [100, 200, 300, 900] {
            assert!(b.try_take(T0 + ms, 1, 1.0).is_err());
        }
        assert!(b.try_take(T0 + 1000, 1, 1.0).is_ok());
    }

    #[test]
    fn idle_time_refills_only_up_to_the_burst() {
        let mut b = TokenBucket::new(10, T0);
        for _ in 0..10 {
            b.try_take(T0, 10, 1.0).unwrap();
        }
        let later = T0 + 3_600_000;
        for _ in 0..10 {
            assert!(b.try_take(later, 10, 1.0).is_ok());
        }
        assert!(b.try_take(later, 10, 1.0).is_err());
    }

    #[test]
    fn raised_settings_apply_to_existing_buckets() {
        let mut b = TokenBucket::new(10, T0);
        for _ in 0..10 {
            b.try_take(T0, 10, 1.0).unwrap();
        }
        // 100 per second: a token every 10 ms.
        assert_eq!(b.try_take(T0, 1000, 100.0), Err(10));
        assert!(b.try_take(T0 + 10, 1000, 100.0).is_ok());
    }

    #[test]
    fn clock_going_backwards_refills_nothing() {
        let mut b = TokenBucket::new(1, T0);
        b.try_take(T0, 1, 1.0).unwrap();
        assert!(b.try_take(T0 - 5000, 1, 1.0).is_err());
        assert!(b.try_take(T0 + 1000, 1, 1.0).is_ok());
    }

    #[test]
    fn five_failures_lock_even_the_right_password() {
        let mut t = LoginThrottle::new();
        for i in 0..4 {
            t.record_failure(T0 + i * 1000);
            assert!(t.check(T0 + i * 1000).is_ok());
        }
        t.record_failure(T0 + 4000);
        // Locked until the first failure (at T0) is 15 minutes old.
        assert_eq!(t.check(T0 + 4000), Err(LOGIN_WINDOW_MS - 4000));
        assert!(t.check(T0 + LOGIN_WINDOW_MS - 1).is_err());
        assert!(t.check(T0 + LOGIN_WINDOW_MS).is_ok());
        // Then one more failure locks again, until the second failure leaves.
        t.record_failure(T0 + LOGIN_WINDOW_MS);
        assert_eq!(t.check(T0 + LOGIN_WINDOW_MS), Err(1000));
    }

    #[test]
    fn failures_spread_over_more_than_the_window_do_not_lock() {
        let mut t = LoginThrottle::new();
        for i in 0..20 {
            let now = T0 + i * (LOGIN_WINDOW_MS / 4 + 1);
            t.record_failure(now);
            assert!(t.check(now).is_ok(), "failure {i}");
        }
    }

    #[test]
    fn success_clears_failures() {
        let mut t = LoginThrottle::new();
        for i in 0..4 {
            t.record_failure(T0 + i);
        }
        t.record_success();
        assert_eq!(t.recent_failures(T0 + 10), 0);
        for i in 0..4 {
            t.record_failure(T0 + 10 + i);
        }
        assert!(t.check(T0 + 20).is_ok());
    }

    #[test]
    fn stored_state_stays_small_and_round_trips() {
        let mut t = LoginThrottle::new();
        for i in 0..100 {
            t.record_failure(T0 + i);
        }
        assert_eq!(t.recent_failures(T0 + 100), LOGIN_MAX_FAILURES);
        let json = serde_json::to_string(&t).unwrap();
        let back: LoginThrottle = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        // An account stored before the throttle existed reads as unthrottled.
        let empty: LoginThrottle = serde_json::from_str("{}").unwrap();
        assert!(empty.check(T0).is_ok());
        t.prune(T0 + 100 + LOGIN_WINDOW_MS);
        assert_eq!(t, LoginThrottle::new());
    }

    #[test]
    fn settings_fall_back_to_defaults() {
        assert_eq!(RateSettings::from_vars(None, None), RateSettings::default());
        let d = RateSettings::default();
        assert_eq!((d.burst, d.per_sec), (10, 1.0));
        let s = RateSettings::from_vars(Some("1000"), Some(" 250.5 "));
        assert_eq!((s.burst, s.per_sec), (1000, 250.5));
        for (b, r) in [
            ("0", "0"),
            ("-1", "-1"),
            ("ten", "fast"),
            ("", ""),
            ("1.5", "NaN"),
            ("99999999999", "inf"),
        ] {
            assert_eq!(
                RateSettings::from_vars(Some(b), Some(r)),
                RateSettings::default(),
                "{b:?} {r:?}"
            );
        }
    }

    #[test]
    fn changes_and_history_have_their_own_buckets() {
        let rates = RateSettings::default();
        let mut b = UserBuckets::new(&rates, T0);
        for _ in 0..CHANGE_BURST {
            assert_eq!(b.take_change(T0), Ok(()));
        }
        // 2 a second: the next change in 500 ms.
        assert_eq!(b.take_change(T0), Err(500));
        // Sends and history are untouched by the spent change bucket.
        assert!(rates.take(&mut b.send, T0).is_ok());
        for _ in 0..HISTORY_BURST {
            assert_eq!(b.take_history(T0), Ok(()));
        }
        assert_eq!(b.take_history(T0), Err(1000));
        assert!(b.take_change(T0 + 500).is_ok());
        assert!(b.take_history(T0 + 1000).is_ok());
        assert_eq!(change_limited(500).retry_after_ms, Some(500));
        assert_eq!(history_limited(1000).status(), 429);
    }

    #[test]
    fn errors_carry_retry_after() {
        let e = send_limited(1500);
        assert_eq!(e.retry_after_ms, Some(1500));
        assert_eq!(e.status(), 429);
        assert_eq!(login_locked(60_000).retry_after_secs(), Some(60));
    }
}
