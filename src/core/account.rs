//! One account's private state and the register/login request bodies.
//!
//! The account Durable Object stores an [`AccountRecord`] as a single JSON
//! row: the password hash, the open sessions (logout deletes one, and a token
//! naming a deleted session stops working at once), the login throttle, and
//! the rooms the user belongs to (so a profile change can reach them). This
//! file holds the rules; the object only loads, calls and saves.

use serde::{Deserialize, Serialize};

use super::auth::PasswordHash;
use super::error::{ApiError, ApiResult, ErrorCode};
use super::rate_limit::{login_locked, LoginThrottle};
use super::validate;

/// More open sessions than this and the oldest is dropped, so a script that
/// logs in forever cannot grow the row without bound.
pub const MAX_SESSIONS: usize = 100;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

    /// Whether a token's session is still open; also forgets expired ones.
    pub fn session_alive(&mut self, sid: &str, now_ms: u64) -> bool {
        self.prune_sessions(now_ms);
        self.sessions.iter().any(|s| s.sid == sid)
    }

    /// Logout: ends one session. Returns whether it was open.
    pub fn end_session(&mut self, sid: &str) -> bool {
        let before = self.sessions.len();
        self.sessions.retain(|s| s.sid != sid);
        self.sessions.len() != before
    }

    /// Remembers a room membership; returns whether it was new.
    pub fn add_room(&mut self, room: &str) -> bool {
        if self.rooms.iter().any(|r| r == room) {
            return false;
        }
        self.rooms.push(room.to_string());
        true
    }

    /// Forgets a room membership; returns whether it was there.
    pub fn remove_room(&mut self, room: &str) -> bool {
        let before = self.rooms.len();
        self.rooms.retain(|r| r != room);
        self.rooms.len() != before
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::core::auth::dummy_hash;
    use crate::core::json::parse_json;
    use crate::core::rate_limit::{LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS};

    const NOW: u64 = 1_700_000_000_000;

    fn account() -> AccountRecord {
        AccountRecord::new("alice", &dummy_hash(), NOW)
    }

    #[test]
    fn register_body_is_parsed_and_validated() {
        let r: RegisterRequest =
            parse_json(br#"{"username": "Alice", "password": "correct horse"}"#).unwrap();
        let n = r.validate().unwrap();
        assert_eq!(n.username, "alice");
        assert_eq!(n.display_name, None);
        let r: RegisterRequest = parse_json(
            br#"{"username": "bob", "password": "12345678", "display_name": "  Bob  "}"#,
        )
        .unwrap();
        assert_eq!(r.validate().unwrap().display_name.as_deref(), Some("Bob"));
        let r: RegisterRequest =
            parse_json(br#"{"username": "bob", "password": "12345678", "display_name": null}"#)
                .unwrap();
        assert_eq!(r.validate().unwrap().display_name, None);
    }

    #[test]
    fn register_rejects_bad_fields_and_unknown_ones() {
        for body in [
            r#"{"username": "al", "password": "12345678"}"#,
            r#"{"username": "alice", "password": "short"}"#,
            r#"{"username": "alice", "password": "12345678", "display_name": " "}"#,
        ] {
            let r: RegisterRequest = parse_json(body.as_bytes()).unwrap();
            assert_eq!(
                r.validate().unwrap_err().code,
                ErrorCode::BadRequest,
                "{body}"
            );
        }
        for body in [
            r#"{"username": "alice", "password": "12345678", "role": "admin"}"#,
            r#"{"username": "alice"}"#,
            r#"{"username": 1, "password": "12345678"}"#,
        ] {
            let e = parse_json::<RegisterRequest>(body.as_bytes()).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadRequest, "{body}");
        }
    }

    #[test]
    fn login_normalises_the_name_and_hides_why_it_failed() {
        let l: LoginRequest =
            parse_json(br#"{"username": "ALICE", "password": "12345678"}"#).unwrap();
        assert_eq!(l.account_name().unwrap(), "alice");
        for (user, pass) in [("a", "12345678"), ("alice", "x"), ("", "")] {
            let l = LoginRequest {
                username: user.into(),
                password: pass.into(),
            };
            let e = l.account_name().unwrap_err();
            assert_eq!((e.code, e.status()), (ErrorCode::InvalidCredentials, 401));
        }
        assert!(parse_json::<LoginRequest>(
            br#"{"username": "a", "password": "b", "display_name": "c"}"#
        )
        .is_err());
    }

    #[test]
    fn sessions_open_expire_and_end() {
        let mut a = account();
        a.add_session("s1", NOW, NOW + 1000);
        a.add_session("s2", NOW, NOW + 5000);
        assert!(a.session_alive("s1", NOW + 999));
        assert!(!a.session_alive("s1", NOW + 1000));
        // The expired session was forgotten.
        assert_eq!(a.sessions.len(), 1);
        assert!(a.session_alive("s2", NOW + 1000));
        assert!(!a.session_alive("nope", NOW));
        assert!(a.end_session("s2"));
        assert!(!a.end_session("s2"));
        assert!(!a.session_alive("s2", NOW + 1000));
    }

    #[test]
    fn logout_of_one_session_keeps_the_others() {
        let mut a = account();
        a.add_session("phone", NOW, NOW + 10_000);
        a.add_session("laptop", NOW, NOW + 10_000);
        a.end_session("phone");
        assert!(a.session_alive("laptop", NOW));
        assert!(!a.session_alive("phone", NOW));
    }

    #[test]
    fn session_list_is_bounded_and_deduplicated() {
        let mut a = account();
        a.add_session("same", NOW, NOW + 10);
        a.add_session("same", NOW, NOW + 20);
        assert_eq!(a.sessions.len(), 1);
        for i in 0..(MAX_SESSIONS + 10) {
            a.add_session(&format!("s{i}"), NOW, NOW + 10_000);
        }
        assert_eq!(a.sessions.len(), MAX_SESSIONS);
        assert!(!a.session_alive("s0", NOW));
        assert!(a.session_alive(&format!("s{}", MAX_SESSIONS + 9), NOW));
    }

    #[test]
    fn failed_logins_lock_the_account_but_not_open_sessions() {
        let mut a = account();
        a.add_session("s1", NOW, NOW + LOGIN_WINDOW_MS * 2);
        for i in 0..LOGIN_MAX_FAILURES as u64 {
            assert!(a.login_gate(NOW + i).is_ok());
            a.record_login(false, NOW + i);
        }
        let e = a.login_gate(NOW + 10).unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.retry_after_ms.unwrap() > 0);
        assert!(a.session_alive("s1", NOW + 10));
        assert!(a.login_gate(NOW + LOGIN_WINDOW_MS + 1).is_ok());
    }

    #[test]
    fn rooms_are_idempotent() {
        let mut a = account();
        assert!(a.add_room("general"));
        assert!(!a.add_room("general"));
        assert_eq!(a.rooms, ["general"]);
        assert!(a.remove_room("general"));
        assert!(!a.remove_room("general"));
        assert!(a.rooms.is_empty());
    }

    #[test]
    fn record_round_trips_as_one_json_row() {
        let mut a = account();
        a.add_session("s1", NOW, NOW + 10);
        a.add_room("general");
        a.record_login(false, NOW);
        let json = serde_json::to_string(&a).unwrap();
        let back: AccountRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.stored_hash(), Some(dummy_hash()));
        // A minimal older row still loads.
        let old: AccountRecord =
            serde_json::from_str(r#"{"username":"bob","password_hash":"x","created_at_ms":1}"#)
                .unwrap();
        assert!(old.sessions.is_empty() && old.rooms.is_empty());
        assert_eq!(old.stored_hash(), None);
    }
}
