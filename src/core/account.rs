//! One account's private state and the register/login request bodies.
//!
//! The account Durable Object stores an [`AccountRecord`] as a single JSON
//! row: the password hash, the open sessions (logout deletes one, and a token
//! naming a deleted session stops working at once), the login throttle, and
//! the rooms the user belongs to (so a profile change can reach them). This
//! file holds the rules; the object only loads, calls and saves.

use serde::{Deserialize, Serialize};

use super::auth::PasswordHash;
use super::dm::{BlockMark, BLOCKS_MAX};
use super::error::{ApiError, ApiResult, ErrorCode};
use super::push::{Subscription, SUBSCRIPTIONS_MAX};
use super::rate_limit::{login_locked, LoginThrottle, TokenBucket};
use super::validate;

/// More open sessions than this and the oldest is dropped, so a script that
/// logs in forever cannot grow the row without bound.
pub const MAX_SESSIONS: usize = 100;

/// The most rooms one account may own. Every room is a Durable Object with
/// its own storage and a directory row, so an account must not be able to
/// create them without end.
pub const MAX_OWNED_ROOMS: usize = 50;
/// Room creations per account: a burst above [`MAX_OWNED_ROOMS`] (a user can
/// fill their allowance in one sitting), then one per
/// [`ROOM_CREATE_REFILL_MS`], which bounds create-and-delete churn (each
/// creation leaves an object and a directory tombstone behind).
pub const ROOM_CREATE_BURST: u32 = 60;
pub const ROOM_CREATE_REFILL_MS: u64 = 10_000;

/// `POST /api/auth/register`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub username: String,
    pub password: String,
    /// Optional; `null` is read as "not given".
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A registration whose fields all passed the contract's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Lowercased.
    pub username: String,
    /// Trimmed; `None` means "use the username".
    pub display_name: Option<String>,
}

impl RegisterRequest {
    /// Checks username, password and display name; the first bad one is the error.
    pub fn validate(&self) -> ApiResult<NewAccount> {
        let username = validate::username(&self.username)?;
        validate::password(&self.password)?;
        let display_name = self
            .display_name
            .as_deref()
            .map(validate::display_name)
            .transpose()?;
        Ok(NewAccount {
            username,
            display_name,
        })
    }
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl LoginRequest {
    /// The lowercased account name to look up. A name or password that could
    /// never have registered is answered like any wrong credentials, without
    /// spending a hash on it (the rules are public, so this reveals nothing).
    pub fn account_name(&self) -> ApiResult<String> {
        let name = validate::username(&self.username).map_err(|_| invalid_credentials())?;
        validate::password(&self.password).map_err(|_| invalid_credentials())?;
        Ok(name)
    }
}

/// Unknown user and wrong password get this same answer.
pub fn invalid_credentials() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCredentials,
        "That username and password do not match an account.",
    )
}

pub fn username_taken() -> ApiError {
    ApiError::new(
        ErrorCode::UsernameTaken,
        "That username is already taken. Please choose another.",
    )
}

/// One signed-in device or browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub sid: String,
    pub created_at_ms: u64,
    pub expires_at_ms: u64,
}

/// Everything private about one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub username: String,
    /// [`PasswordHash::format`] output.
    pub password_hash: String,
    pub created_at_ms: u64,
    #[serde(default)]
    pub sessions: Vec<Session>,
    #[serde(default)]
    pub throttle: LoginThrottle,
    #[serde(default)]
    pub rooms: Vec<String>,
    /// The rooms this account created and still owns (counted against
    /// [`MAX_OWNED_ROOMS`]; rooms created before this field existed are not).
    #[serde(default)]
    pub owned: Vec<String>,
    /// Room creations (see [`ROOM_CREATE_BURST`]); `None` until the first.
    #[serde(default)]
    pub create_bucket: Option<TokenBucket>,
    /// The people this account blocks, sorted (contract section 8).
    #[serde(default)]
    pub blocks: Vec<String>,
    /// Counts block changes, so a DM room can order the marks it is told.
    #[serde(default)]
    pub blocks_rev: u64,
    /// Web Push subscriptions, oldest first (see [`super::push`]).
    #[serde(default)]
    pub push: Vec<Subscription>,
}

impl AccountRecord {
    pub fn new(username: &str, password_hash: &PasswordHash, now_ms: u64) -> Self {
        AccountRecord {
            username: username.to_string(),
            password_hash: password_hash.format(),
            created_at_ms: now_ms,
            sessions: Vec::new(),
            throttle: LoginThrottle::default(),
            rooms: Vec::new(),
            owned: Vec::new(),
            create_bucket: None,
            blocks: Vec::new(),
            blocks_rev: 0,
            push: Vec::new(),
        }
    }

    /// The stored hash; `None` if the row holds something unreadable, which
    /// the caller treats as a wrong password (and logs).
    pub fn stored_hash(&self) -> Option<PasswordHash> {
        PasswordHash::parse(&self.password_hash)
    }

    /// Replaces the hash, e.g. after re-hashing with more iterations at login.
    pub fn set_password_hash(&mut self, hash: &PasswordHash) {
        self.password_hash = hash.format();
    }

    /// Refuses the attempt while the account is locked by failed logins;
    /// call before checking the password.
    pub fn login_gate(&self, now_ms: u64) -> ApiResult<()> {
        self.throttle.check(now_ms).map_err(login_locked)
    }

    /// Records the outcome of a password check that passed [`Self::login_gate`].
    pub fn record_login(&mut self, password_ok: bool, now_ms: u64) {
        if password_ok {
            self.throttle.record_success();
        } else {
            self.throttle.record_failure(now_ms);
        }
    }

    fn prune_sessions(&mut self, now_ms: u64) {
        self.sessions.retain(|s| s.expires_at_ms > now_ms);
    }

    /// Opens a session (at login or registration). Re-adding a known `sid`
    /// replaces it rather than duplicating it.
    pub fn add_session(&mut self, sid: &str, now_ms: u64, expires_at_ms: u64) {
        self.prune_sessions(now_ms);
        self.sessions.retain(|s| s.sid != sid);
        self.sessions.push(Session {
            sid: sid.to_string(),
            created_at_ms: now_ms,
            expires_at_ms,
        });
        let excess = self.sessions.len().saturating_sub(MAX_SESSIONS);
        self.sessions.drain(..excess);
    }

    /// Whether a token's session is still open at `now_ms` (expired ones
    /// are forgotten when the next session opens).
    pub fn session_alive(&self, sid: &str, now_ms: u64) -> bool {
        self.sessions
            .iter()
            .any(|s| s.sid == sid && s.expires_at_ms > now_ms)
    }

    /// Logout: ends one session. Returns whether it was open.
    pub fn end_session(&mut self, sid: &str) -> bool {
        let before = self.sessions.len() + self.push.len();
        self.sessions.retain(|s| s.sid != sid);
        // The session's push subscriptions end with it (contract section 10).
        self.push.retain(|p| p.sid != sid);
        self.sessions.len() + self.push.len() != before
    }

    /// Adds a push subscription (`sub.id` is fresh) and answers its id: the
    /// same endpoint again replaces its entry and keeps its id; past
    /// [`SUBSCRIPTIONS_MAX`] the oldest goes.
    pub fn add_push(&mut self, mut sub: Subscription) -> String {
        if let Some(old) = self.push.iter().position(|p| p.endpoint == sub.endpoint) {
            sub.id = self.push.remove(old).id;
        }
        while self.push.len() >= SUBSCRIPTIONS_MAX {
            self.push.remove(0);
        }
        let id = sub.id.clone();
        self.push.push(sub);
        id
    }

    /// Ends a push subscription; whether it was there.
    pub fn remove_push(&mut self, id: &str) -> bool {
        let before = self.push.len();
        self.push.retain(|p| p.id != id);
        self.push.len() != before
    }

    /// This account's block of `user` as of now.
    pub fn block_mark(&self, user: &str) -> BlockMark {
        BlockMark {
            blocked: self
                .blocks
                .binary_search_by(|b| b.as_str().cmp(user))
                .is_ok(),
            rev: self.blocks_rev,
        }
    }

    /// Blocks (`blocked`) or unblocks `user`; answers the mark, which moves
    /// to a new revision only when something changed. Blocking past
    /// [`BLOCKS_MAX`] people is `conflict`.
    pub fn set_block(&mut self, user: &str, blocked: bool) -> ApiResult<BlockMark> {
        let at = self.blocks.binary_search_by(|b| b.as_str().cmp(user));
        match (at, blocked) {
            (Err(i), true) => {
                if self.blocks.len() >= BLOCKS_MAX {
                    return Err(ApiError::new(
                        ErrorCode::Conflict,
                        format!("You can block at most {BLOCKS_MAX} people."),
                    ));
                }
                self.blocks.insert(i, user.to_string());
            }
            (Ok(i), false) => {
                self.blocks.remove(i);
            }
            _ => return Ok(self.block_mark(user)),
        }
        self.blocks_rev = self.blocks_rev.saturating_add(1);
        Ok(self.block_mark(user))
    }

    /// Remembers a room membership; returns whether it was new.
    pub fn add_room(&mut self, room: &str) -> bool {
        if self.rooms.iter().any(|r| r == room) {
            return false;
        }
        self.rooms.push(room.to_string());
        true
    }

    /// Forgets a room membership; returns whether it was there. An owner
    /// stops being a member only when the room is deleted (or found gone), so
    /// this also frees its place among the owned rooms.
    pub fn remove_room(&mut self, room: &str) -> bool {
        let before = self.rooms.len() + self.owned.len();
        self.rooms.retain(|r| r != room);
        self.owned.retain(|r| r != room);
        self.rooms.len() + self.owned.len() != before
    }

    /// Before creating `room`: counts it as owned, unless that would exceed
    /// [`MAX_OWNED_ROOMS`] (409 `conflict`: a state the user can change by
    /// deleting a room, not something waiting fixes) or the creation rate
    /// (429 `rate_limited`). Returns whether the claim is new (a repeat for a
    /// room already claimed changes nothing and costs nothing), so that a
    /// creation that then fails releases only a claim it made.
    pub fn claim_room(&mut self, room: &str, now_ms: u64) -> ApiResult<bool> {
        if self.owned.iter().any(|r| r == room) {
            return Ok(false);
        }
        if self.owned.len() >= MAX_OWNED_ROOMS {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "You already own {MAX_OWNED_ROOMS} rooms, the most one account may. \
                     Delete one to create another."
                ),
            ));
        }
        let bucket = self
            .create_bucket
            .get_or_insert_with(|| TokenBucket::new(ROOM_CREATE_BURST, now_ms));
        let per_sec = 1000.0 / ROOM_CREATE_REFILL_MS as f64;
        bucket
            .try_take(now_ms, ROOM_CREATE_BURST, per_sec)
            .map_err(|wait| {
                ApiError::rate_limited(
                    wait,
                    "You are creating rooms too quickly. Wait a moment and try again.",
                )
            })?;
        self.owned.push(room.to_string());
        Ok(true)
    }

    /// Undoes [`Self::claim_room`] after a creation that failed.
    pub fn release_room(&mut self, room: &str) -> bool {
        let before = self.owned.len();
        self.owned.retain(|r| r != room);
        self.owned.len() != before
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "account_tests.rs"]
mod tests;
