//! Who may hold a socket in a room, and until when: the per-user socket cap,
//! sessions that logged out, and token expiry.
//!
//! - A user holds at most [`MAX_SOCKETS_PER_USER`] sockets in one room (tabs
//!   and devices); one more is refused before the upgrade (429), so one
//!   account cannot pin unbounded sockets and memory in a room.
//! - Logout is final: [`Room::revoke_session`] closes the session's sockets
//!   (4001) and remembers the session, so an upgrade that was already past
//!   the Worker's session check when the logout landed is refused too.
//!   Remembered for [`REVOKED_KEEP_MS`]: a racing upgrade arrives within
//!   milliseconds, and any later one fails the Worker's own check first.
//! - Expiry: a socket's token expires at `exp` (seconds). The object wakes at
//!   [`next_wake`] (a Durable Object alarm) and closes what
//!   [`session_expired`] says, with 1008, even if the socket never sends
//!   another frame (the runtime answers pings without waking the room).

use super::close_reason::CloseReason;
use super::error::{ApiError, ApiResult};
use super::room::{Effect, Room};

/// Sockets one user may hold open in one room.
pub const MAX_SOCKETS_PER_USER: usize = 10;
/// How long a logged-out session is remembered by the room.
pub const REVOKED_KEEP_MS: u64 = 10 * 60 * 1000;
/// At most this many remembered sessions (oldest dropped first).
const REVOKED_MAX: usize = 1000;
/// `Retry-After` of a refused socket over the cap.
const SOCKET_CAP_RETRY_MS: u64 = 5_000;

impl Room {
    /// May `username` open one more socket under session `sid`? Checked by
    /// [`Room::on_connect`] before anything is registered.
    pub(super) fn admit(&self, username: &str, sid: &str) -> ApiResult<()> {
        if self.revoked.contains_key(sid) {
            return Err(ApiError::unauthorized());
        }
        if self.online.get(username).copied().unwrap_or(0) >= MAX_SOCKETS_PER_USER {
            return Err(ApiError::rate_limited(
                SOCKET_CAP_RETRY_MS,
                format!(
                    "You have {MAX_SOCKETS_PER_USER} connections to this room open already: \
                     close one (another tab or device) and try again."
                ),
            ));
        }
        Ok(())
    }

    /// The session `sid` logged out: close its sockets with 4001 and refuse
    /// any socket of it that is still on its way.
    pub fn revoke_session(&mut self, sid: &str, now_ms: u64) -> Vec<Effect> {
        self.revoked
            .retain(|_, at| now_ms.saturating_sub(*at) < REVOKED_KEEP_MS);
        while self.revoked.len() >= REVOKED_MAX {
            let oldest = self
                .revoked
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(s, _)| s.clone());
            match oldest {
                Some(s) => self.revoked.remove(&s),
                None => break,
            };
        }
        self.revoked.insert(sid.to_string(), now_ms);
        self.close_session(sid, CloseReason::LoggedOut)
    }
}

/// Whether a token that expires at `exp_s` (seconds since the epoch) has
/// expired at `now_ms`.
pub fn session_expired(exp_s: u64, now_ms: u64) -> bool {
    now_ms >= exp_s.saturating_mul(1000)
}

/// When the room must next wake (ms): the earlier of a pending directory
/// report and the first expiry among `expiries_s` (seconds), if any.
pub fn next_wake(
    directory_at_ms: Option<u64>,
    expiries_s: impl Iterator<Item = u64>,
) -> Option<u64> {
    let expiry = expiries_s.map(|s| s.saturating_mul(1000)).min();
    match (directory_at_ms, expiry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_token_expires_at_its_exp_second() {
        assert!(!session_expired(100, 99_999));
        assert!(session_expired(100, 100_000));
        assert!(session_expired(u64::MAX, u64::MAX));
    }

    #[test]
    fn the_room_wakes_at_the_earliest_need() {
        assert_eq!(next_wake(None, [].into_iter()), None);
        assert_eq!(next_wake(Some(5_000), [].into_iter()), Some(5_000));
        assert_eq!(next_wake(None, [7, 3, 9].into_iter()), Some(3_000));
        assert_eq!(next_wake(Some(5_000), [7, 3].into_iter()), Some(3_000));
        assert_eq!(next_wake(Some(2_000), [7, 3].into_iter()), Some(2_000));
    }
}
