//! The account Durable Object: one per account, addressed by the lowercase
//! username, so everything that must be strongly consistent about an account
//! happens in one single-threaded place: taking a name (two people registering
//! it at the same moment get one 201 and one 409), password checks with the
//! login throttle, the open sessions (logout ends one everywhere at once), the
//! account's list of rooms, and the profile, which is written through to KV
//! for reads at the edge.
//!
//! State is one SQLite row (the core's `AccountRecord` and `ProfileRecord` as
//! JSON), cached in memory while the object lives. Only synchronous SQL runs
//! between a check and the write it guards, so no other request can slip in
//! between them; the slow, awaited PBKDF2 always runs before the check.

use super::{auth, crypto, http, internal, profiles};
use crate::core::account::{invalid_credentials, username_taken, AccountRecord};
use crate::core::auth::{
    dummy_hash, issue_token, session_id, PasswordHash, PBKDF2_ITERATIONS, SALT_LEN,
};
use crate::core::close_reason::CloseReason;
use crate::core::error::ApiError;
use crate::core::json::parse_json;
use crate::core::profile::{AvatarRef, ProfilePatch, ProfileRecord};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

#[durable_object]
pub struct AccountObject {
    state: State,
    env: Env,
    /// The stored row, once read; `Some(None)` means "read, no account".
    cache: RefCell<Option<Option<Stored>>>,
}

#[derive(Clone)]
struct Stored {
    account: AccountRecord,
    profile: ProfileRecord,
}

#[derive(Deserialize)]
struct RegisterCall {
    username: String,
    password: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct LoginCall {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct SidCall {
    sid: String,
}

#[derive(Deserialize)]
struct RoomCall {
    room: String,
    added: bool,
}

/// `POST /own`: claim a room before creating it, or release the claim after a
/// creation that failed.
#[derive(Deserialize)]
struct OwnCall {
    room: String,
    claim: bool,
}

/// The account's table; created by the first save.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), \
     record TEXT NOT NULL, profile TEXT NOT NULL)";

/// What register and login answer (contract section 2), before the Worker adds the cookie.
#[derive(Serialize, Deserialize)]
pub struct SessionGrant {
    pub token: String,
    pub expires_at: u64,
    pub user: crate::core::profile::Profile,
}

impl DurableObject for AccountObject {
    fn new(state: State, env: Env) -> Self {
        // No table here: registering creates it (see `save`), so a failed
        // login or a lookup of a name nobody registered stores nothing.
        Self {
            state,
            env,
            cache: RefCell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.route(req).await {
            Ok(resp) => Ok(resp),
            Err(err) => internal::error_response(&err),
        }
    }
}

impl AccountObject {
    async fn route(&self, mut req: Request) -> std::result::Result<Response, ApiError> {
        let path = req.path();
        let method = req.method();
        let done = |r: Result<Response>| r.map_err(|e| http::internal("account answer", e));
        match (method, path.as_str()) {
            (Method::Post, "/register") => {
                let call: RegisterCall = body(&mut req).await?;
                done(http::json(201, &to_value(&self.register(call).await?)?))
            }
            (Method::Post, "/login") => {
                let call: LoginCall = body(&mut req).await?;
                done(http::json(200, &to_value(&self.login(call).await?)?))
            }
            (Method::Get, "/session") => {
                let sid = http::query_param(&req, "sid").unwrap_or_default();
                done(http::json(
                    200,
                    &serde_json::json!(self.session_alive(&sid)?),
                ))
            }
            (Method::Post, "/logout") => {
                let call: SidCall = body(&mut req).await?;
                self.logout(&call.sid).await?;
                done(http::no_content())
            }
            (Method::Get, "/profile") => {
                let stored = self.require()?;
                done(http::json(200, &to_value(&stored.profile.to_profile())?))
            }
            (Method::Get, "/profile-record") => {
                let stored = self.require()?;
                done(http::json(200, &to_value(&stored.profile)?))
            }
            (Method::Patch, "/profile") => {
                let patch: ProfilePatch = body(&mut req).await?;
                let profile = self.update_profile(|p| patch.apply(p)).await?;
                done(http::json(200, &to_value(&profile)?))
            }
            (Method::Put, "/avatar") => {
                let avatar: AvatarRef = body(&mut req).await?;
                let profile = self
                    .update_profile(|p| {
                        p.set_avatar(avatar);
                        Ok(())
                    })
                    .await?;
                done(http::json(200, &to_value(&profile)?))
            }
            (Method::Delete, "/avatar") => {
                let profile = self
                    .update_profile(|p| {
                        p.clear_avatar();
                        Ok(())
                    })
                    .await?;
                done(http::json(200, &to_value(&profile)?))
            }
            (Method::Get, "/rooms") => {
                let rooms = self.load()?.map(|s| s.account.rooms).unwrap_or_default();
                done(http::json(200, &serde_json::json!(rooms)))
            }
            (Method::Get, "/exists") => {
                let exists = self.load()?.is_some();
                done(http::json(200, &serde_json::json!(exists)))
            }
            (Method::Post, "/own") => {
                let call: OwnCall = body(&mut req).await?;
                let claimed = self.own(&call.room, call.claim)?;
                done(http::json(200, &serde_json::json!(claimed)))
            }
            (Method::Post, "/rooms") => {
                let call: RoomCall = body(&mut req).await?;
                self.set_room(&call.room, call.added)?;
                done(http::no_content())
            }
            _ => Err(ApiError::not_found("No such account operation.")),
        }
    }

    /// Creates the account, or 409 if the name is taken.
    async fn register(&self, call: RegisterCall) -> std::result::Result<SessionGrant, ApiError> {
        // Cheap refusal first; the authoritative check is below, after the await.
        if self.load()?.is_some() {
            return Err(username_taken());
        }
        let mut salt = [0u8; SALT_LEN];
        crypto::random_bytes(&mut salt).map_err(|e| http::internal("salt", e))?;
        let hash = crypto::pbkdf2_sha256(call.password.as_bytes(), &salt, PBKDF2_ITERATIONS)
            .await
            .map_err(|e| http::internal("pbkdf2", e))?;
        let password = PasswordHash {
            iterations: PBKDF2_ITERATIONS,
            salt: salt.to_vec(),
            hash,
        };
        let now = crypto::now_ms();
        // From here to `save` nothing awaits: no other request can interleave.
        if self.load()?.is_some() {
            return Err(username_taken());
        }
        let mut stored = Stored {
            account: AccountRecord::new(&call.username, &password, now),
            profile: ProfileRecord::new(&call.username, call.display_name, now),
        };
        let grant = self.open_session(&mut stored, now)?;
        self.save(&stored)?;
        profiles::publish(&self.env, &stored.profile).await;
        Ok(grant)
    }

    /// Checks the password under the login throttle and opens a session.
    async fn login(&self, call: LoginCall) -> std::result::Result<SessionGrant, ApiError> {
        let now = crypto::now_ms();
        let Some(stored) = self.load()? else {
            // Unknown user: spend the same PBKDF2 work so timing reveals nothing.
            let dummy = dummy_hash();
            let _ = crypto::pbkdf2_sha256(call.password.as_bytes(), &dummy.salt, dummy.iterations)
                .await;
            return Err(invalid_credentials());
        };
        stored.account.login_gate(now)?;
        let known = stored.account.stored_hash();
        let (salt, iterations) = match &known {
            Some(h) => (h.salt.clone(), h.iterations),
            None => {
                worker::console_error!("unreadable password hash for {}", call.username);
                let d = dummy_hash();
                (d.salt, d.iterations)
            }
        };
        let derived = crypto::pbkdf2_sha256(call.password.as_bytes(), &salt, iterations)
            .await
            .map_err(|e| http::internal("pbkdf2", e))?;
        let ok = known.as_ref().is_some_and(|h| h.matches(&derived));
        // Re-read after the await: another login may have changed the row.
        let now = crypto::now_ms();
        let mut stored = self.require()?;
        stored.account.login_gate(now)?;
        stored.account.record_login(ok, now);
        if !ok {
            self.save(&stored)?;
            return Err(invalid_credentials());
        }
        let grant = self.open_session(&mut stored, now)?;
        self.save(&stored)?;
        Ok(grant)
    }

    fn open_session(
        &self,
        stored: &mut Stored,
        now_ms: u64,
    ) -> std::result::Result<SessionGrant, ApiError> {
        let secret = auth::secret(&self.env)?;
        let mut random = [0u8; 16];
        crypto::random_bytes(&mut random).map_err(|e| http::internal("session id", e))?;
        let sid = session_id(&random);
        let (token, claims) = issue_token(&secret, &stored.account.username, &sid, now_ms / 1000)?;
        stored
            .account
            .add_session(&sid, now_ms, claims.expires_at_ms());
        Ok(SessionGrant {
            token,
            expires_at: claims.expires_at_ms(),
            user: stored.profile.to_profile(),
        })
    }

    /// Asked on every authenticated request, so it reads the cached row in
    /// place instead of cloning it.
    fn session_alive(&self, sid: &str) -> std::result::Result<bool, ApiError> {
        self.load_cache()?;
        let now = crypto::now_ms();
        let cache = self.cache.borrow();
        Ok(cache.as_ref().and_then(Option::as_ref).is_some_and(|s| {
            s.account
                .sessions
                .iter()
                .any(|x| x.sid == sid && x.expires_at_ms > now)
        }))
    }

    /// Ends the session and closes its sockets in every room (4001).
    async fn logout(&self, sid: &str) -> std::result::Result<(), ApiError> {
        let mut stored = self.require()?;
        if stored.account.end_session(sid) {
            self.save(&stored)?;
        }
        let body = serde_json::json!({"sid": sid, "reason": CloseReason::LoggedOut});
        for room in &stored.account.rooms {
            if let Err(e) = post_to_room(&self.env, room, "/close-session", &body).await {
                worker::console_error!("logout: closing sockets in {room}: {e}");
            }
        }
        Ok(())
    }

    /// Changes the profile, stores it, writes it through to KV and tells the
    /// user's rooms (a `profile` event).
    async fn update_profile(
        &self,
        change: impl FnOnce(&mut ProfileRecord) -> std::result::Result<(), ApiError>,
    ) -> std::result::Result<crate::core::profile::Profile, ApiError> {
        let mut stored = self.require()?;
        change(&mut stored.profile)?;
        self.save(&stored)?;
        profiles::publish(&self.env, &stored.profile).await;
        let profile = stored.profile.to_profile();
        let body = serde_json::json!({"username": stored.account.username, "profile": profile});
        for room in &stored.account.rooms {
            if let Err(e) = post_to_room(&self.env, room, "/profile", &body).await {
                worker::console_error!("profile event to {room}: {e}");
            }
        }
        Ok(profile)
    }

    fn set_room(&self, room: &str, added: bool) -> std::result::Result<(), ApiError> {
        let mut stored = self.require()?;
        let changed = if added {
            stored.account.add_room(room)
        } else {
            stored.account.remove_room(room)
        };
        if changed {
            self.save(&stored)?;
        }
        Ok(())
    }

    /// Claims (true: answers whether the claim is new) or releases a room
    /// the caller is about to create (see `AccountRecord::claim_room`).
    fn own(&self, room: &str, claim: bool) -> std::result::Result<bool, ApiError> {
        let mut stored = self.require()?;
        let changed = if claim {
            stored.account.claim_room(room, crypto::now_ms())?
        } else {
            stored.account.release_room(room)
        };
        // A claim also moves the creation bucket, so it is saved either way.
        if changed || claim {
            self.save(&stored)?;
        }
        Ok(changed)
    }

    fn require(&self) -> std::result::Result<Stored, ApiError> {
        self.load()?
            .ok_or_else(|| ApiError::not_found("There is no such user."))
    }

    /// The stored row (cached after the first read).
    fn load(&self) -> std::result::Result<Option<Stored>, ApiError> {
        self.load_cache()?;
        Ok(self.cache.borrow().as_ref().and_then(Clone::clone))
    }

    /// Reads the row into the cache unless it is there already.
    fn load_cache(&self) -> std::result::Result<(), ApiError> {
        if self.cache.borrow().is_some() {
            return Ok(());
        }
        #[derive(Deserialize)]
        struct Row {
            record: String,
            profile: String,
        }
        #[derive(Deserialize)]
        struct Count {
            n: u32,
        }
        let sql = self.state.storage().sql();
        // Reading the schema stores nothing; no table means never registered.
        let tables: Vec<Count> = sql
            .exec(
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'account'",
                None,
            )
            .and_then(|c| c.to_array())
            .map_err(|e| http::internal("reading the account schema", e))?;
        if tables.first().is_none_or(|t| t.n == 0) {
            *self.cache.borrow_mut() = Some(None);
            return Ok(());
        }
        let rows: Vec<Row> = sql
            .exec("SELECT record, profile FROM account WHERE id = 1", None)
            .and_then(|c| c.to_array())
            .map_err(|e| http::internal("reading the account", e))?;
        let stored = match rows.into_iter().next() {
            None => None,
            Some(row) => Some(Stored {
                account: serde_json::from_str(&row.record)
                    .map_err(|e| http::internal("decoding the account", e))?,
                profile: serde_json::from_str(&row.profile)
                    .map_err(|e| http::internal("decoding the profile", e))?,
            }),
        };
        *self.cache.borrow_mut() = Some(stored);
        Ok(())
    }

    fn save(&self, stored: &Stored) -> std::result::Result<(), ApiError> {
        let record = serde_json::to_string(&stored.account)
            .map_err(|e| http::internal("encoding the account", e))?;
        let profile = serde_json::to_string(&stored.profile)
            .map_err(|e| http::internal("encoding the profile", e))?;
        let sql = self.state.storage().sql();
        // The first save (registration) creates the table; a row in the
        // cache means it exists already.
        let stored_before = matches!(*self.cache.borrow(), Some(Some(_)));
        if !stored_before {
            sql.exec(SCHEMA, None)
                .map_err(|e| http::internal("creating the account table", e))?;
        }
        sql.exec(
            "INSERT OR REPLACE INTO account (id, record, profile) VALUES (1, ?, ?)",
            vec![record.into(), profile.into()],
        )
        .map_err(|e| http::internal("writing the account", e))?;
        *self.cache.borrow_mut() = Some(Some(stored.clone()));
        Ok(())
    }
}

async fn post_to_room(
    env: &Env,
    room: &str,
    path: &str,
    body: &serde_json::Value,
) -> std::result::Result<(), ApiError> {
    let stub = internal::stub(env, "ROOMS", room)?;
    let resp = internal::send(&stub, internal::request(Method::Post, path, Some(body))?).await?;
    if resp.status_code() >= 400 {
        return Err(http::internal("room call", resp.status_code()));
    }
    Ok(())
}

async fn body<T: serde::de::DeserializeOwned>(
    req: &mut Request,
) -> std::result::Result<T, ApiError> {
    let bytes = http::read_body(req, crate::core::validate::BODY_MAX_BYTES).await?;
    parse_json(&bytes)
}

fn to_value<T: Serialize>(v: &T) -> std::result::Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|e| http::internal("encoding an answer", e))
}
