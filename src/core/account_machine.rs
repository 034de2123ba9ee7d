//! The account as a state machine, like [`super::room::Room`]: an
//! [`AccountCommand`] plus the time, random bytes and the token secret in,
//! an [`AccountReply`] (the answer and the effects to carry out) out.
//!
//! The account object only runs SQL and WebCrypto around it. PBKDF2 is slow
//! and awaited, so the password flows are two steps with the hashing in
//! between, done by the object:
//!
//! - register: [`Account::refuse_taken`] (a cheap refusal), hash a fresh salt,
//!   then [`AccountCommand::Register`], which checks again (another
//!   registration may have landed during the hash);
//! - login: [`Account::login_params`] (the first lockout gate; the salt and
//!   iterations to derive with, a dummy hash's for an unknown user or an
//!   unreadable stored hash, so timing reveals nothing), derive, then
//!   [`AccountCommand::Login`] with the derived key: the second lockout gate
//!   (another login may have locked the account during the hash), the
//!   comparison, the throttle, the session.
//!
//! Every command works on a copy of the state and keeps it only when the
//! reply asks for [`AccountEffect::Save`], so a refusal changes nothing.

use super::account::{invalid_credentials, username_taken, AccountRecord};
use super::auth::{dummy_hash, issue_token, session_id, PasswordHash};
use super::close_reason::CloseReason;
use super::dm::BlockMark;
use super::error::{ApiError, ApiResult};
use super::profile::{AvatarRef, Profile, ProfilePatch, ProfileRecord};
use super::push::Subscription;
use super::wire::{RoomCall, SessionGrant};

/// The stored row: the private record and the public profile.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountData {
    pub account: AccountRecord,
    pub profile: ProfileRecord,
}

impl AccountData {
    /// The two columns of the account's row: the record and the profile, as JSON.
    pub fn to_row(&self) -> Result<(String, String), serde_json::Error> {
        Ok((
            serde_json::to_string(&self.account)?,
            serde_json::to_string(&self.profile)?,
        ))
    }

    pub fn from_row(record: &str, profile: &str) -> Result<AccountData, serde_json::Error> {
        Ok(AccountData {
            account: serde_json::from_str(record)?,
            profile: serde_json::from_str(profile)?,
        })
    }
}

/// What a command may use besides the state; the object reads them once.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub now_ms: u64,
    /// Fresh random bytes, for a new session's id.
    pub random: [u8; 16],
    /// The token signing key (`JWT_SECRET`).
    pub secret: &'a [u8],
}

/// Salt and iterations for the login's key derivation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashParams {
    pub salt: Vec<u8>,
    pub iterations: u32,
}

/// One change to the account.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountCommand {
    /// `password` is the new hash, derived from a fresh salt.
    Register {
        username: String,
        display_name: Option<String>,
        password: PasswordHash,
    },
    /// `derived` is the key derived with [`Account::login_params`].
    Login {
        derived: Vec<u8>,
    },
    Logout {
        sid: String,
    },
    EditProfile(ProfilePatch),
    SetAvatar(AvatarRef),
    ClearAvatar,
    SetRoom {
        room: String,
        added: bool,
    },
    Own {
        room: String,
        claim: bool,
    },
    /// Blocks (`blocked`) or unblocks `user` (already checked to exist and
    /// not to be this account).
    Block {
        user: String,
        blocked: bool,
    },
    /// A validated push subscription of session `sid`.
    AddPush {
        sid: String,
        endpoint: String,
        p256dh: String,
        auth: String,
    },
    /// Ends a push subscription (idempotent).
    RemovePush {
        id: String,
    },
}

/// The answer of a command that succeeded.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountAnswer {
    Session(SessionGrant),
    Profile(Profile),
    /// Whether a claim is new ([`AccountCommand::Own`]).
    Claimed(bool),
    /// The block as it now stands, for the pair's DM room.
    Block(BlockMark),
    /// A push subscription's id.
    Pushed(String),
    Done,
}

/// What the object carries out, in order, before it answers.
#[derive(Debug, Clone)]
pub enum AccountEffect {
    /// Write [`Account::data`] as it is now (synchronously, before any await).
    Save,
    /// Write the profile through to KV, for reads at the edge.
    Publish(ProfileRecord),
    /// Tell each of these rooms (a profile event, or closing a session's sockets).
    Tell { rooms: Vec<String>, call: RoomCall },
    /// Something the operator must see; never sent to the client.
    Log(String),
}

/// A command's outcome: an answer (or the refusal) and the effects, which are
/// carried out in both cases (a failed login still records the failure).
#[derive(Debug)]
pub struct AccountReply {
    pub answer: ApiResult<AccountAnswer>,
    pub effects: Vec<AccountEffect>,
}

impl AccountReply {
    fn refuse(err: ApiError) -> AccountReply {
        AccountReply {
            answer: Err(err),
            effects: Vec::new(),
        }
    }
}

/// One account, or the absence of one (nobody registered the name).
#[derive(Debug, Clone, Default)]
pub struct Account {
    data: Option<AccountData>,
}

fn no_such_user() -> ApiError {
    ApiError::not_found("There is no such user.")
}

impl Account {
    /// From the stored row (`None`: never registered).
    pub fn new(data: Option<AccountData>) -> Account {
        Account { data }
    }

    /// The state to store after [`AccountEffect::Save`].
    pub fn data(&self) -> Option<&AccountData> {
        self.data.as_ref()
    }

    pub fn exists(&self) -> bool {
        self.data.is_some()
    }

    /// Whether a token naming session `sid` may be used at `now_ms`: the
    /// session is open and has not expired. Asked on every authenticated
    /// request, so it reads in place and changes nothing.
    pub fn session_alive(&self, sid: &str, now_ms: u64) -> bool {
        self.data
            .as_ref()
            .is_some_and(|d| d.account.session_alive(sid, now_ms))
    }

    /// The people the user blocks (none for an unknown user).
    pub fn blocks(&self) -> &[String] {
        self.data.as_ref().map_or(&[], |d| &d.account.blocks)
    }

    /// The user's block of `other`; `None` when the user does not exist.
    pub fn block_mark(&self, other: &str) -> Option<BlockMark> {
        self.data.as_ref().map(|d| d.account.block_mark(other))
    }

    /// The user's push subscriptions (none for an unknown user).
    pub fn push_targets(&self) -> &[Subscription] {
        self.data.as_ref().map_or(&[], |d| &d.account.push)
    }

    /// The rooms the user belongs to (none for an unknown user).
    pub fn rooms(&self) -> &[String] {
        self.data.as_ref().map_or(&[], |d| &d.account.rooms)
    }

    pub fn profile(&self) -> ApiResult<Profile> {
        Ok(self.require()?.profile.to_profile())
    }

    pub fn profile_record(&self) -> ApiResult<&ProfileRecord> {
        Ok(&self.require()?.profile)
    }

    /// Registration's cheap first check, before the hash is spent.
    pub fn refuse_taken(&self) -> ApiResult<()> {
        if self.exists() {
            Err(username_taken())
        } else {
            Ok(())
        }
    }

    /// Login's first step: refused while locked; otherwise what to derive
    /// the key with, and a log line if the stored hash is unreadable.
    pub fn login_params(&self, now_ms: u64) -> ApiResult<(HashParams, Option<String>)> {
        let dummy = || {
            let d = dummy_hash();
            HashParams {
                salt: d.salt,
                iterations: d.iterations,
            }
        };
        let Some(data) = &self.data else {
            return Ok((dummy(), None));
        };
        data.account.login_gate(now_ms)?;
        Ok(match data.account.stored_hash() {
            Some(h) => (
                HashParams {
                    salt: h.salt,
                    iterations: h.iterations,
                },
                None,
            ),
            None => (
                dummy(),
                Some(format!(
                    "unreadable password hash for {}",
                    data.account.username
                )),
            ),
        })
    }

    /// Applies one command. On a refusal the state is unchanged unless the
    /// reply says [`AccountEffect::Save`].
    pub fn apply(&mut self, command: AccountCommand, inputs: Inputs<'_>) -> AccountReply {
        let now = inputs.now_ms;
        if let AccountCommand::Register {
            username,
            display_name,
            password,
        } = command
        {
            if self.exists() {
                return AccountReply::refuse(username_taken());
            }
            let mut data = AccountData {
                account: AccountRecord::new(&username, &password, now),
                profile: ProfileRecord::new(&username, display_name, now),
            };
            return match open_session(&mut data, inputs) {
                Ok(grant) => {
                    let publish = AccountEffect::Publish(data.profile.clone());
                    self.data = Some(data);
                    saved(AccountAnswer::Session(grant), vec![publish])
                }
                Err(e) => AccountReply::refuse(e),
            };
        }
        let Some(before) = &self.data else {
            let refusal = match command {
                AccountCommand::Login { .. } => invalid_credentials(),
                _ => no_such_user(),
            };
            return AccountReply::refuse(refusal);
        };
        let mut data = before.clone();
        let reply = change(&mut data, command, inputs);
        if reply
            .effects
            .iter()
            .any(|e| matches!(e, AccountEffect::Save))
        {
            self.data = Some(data);
        }
        reply
    }

    fn require(&self) -> ApiResult<&AccountData> {
        self.data.as_ref().ok_or_else(no_such_user)
    }
}

/// A reply that stores the state first, then carries out `then`.
fn saved(answer: AccountAnswer, then: Vec<AccountEffect>) -> AccountReply {
    let mut effects = vec![AccountEffect::Save];
    effects.extend(then);
    AccountReply {
        answer: Ok(answer),
        effects,
    }
}

/// An answer that stores nothing.
fn unchanged(answer: AccountAnswer) -> AccountReply {
    AccountReply {
        answer: Ok(answer),
        effects: Vec::new(),
    }
}

/// Every command but registration, on a copy of an existing account.
fn change(data: &mut AccountData, command: AccountCommand, inputs: Inputs<'_>) -> AccountReply {
    let now = inputs.now_ms;
    match command {
        AccountCommand::Register { .. } => AccountReply::refuse(username_taken()),
        AccountCommand::Login { derived } => login(data, &derived, inputs),
        AccountCommand::Logout { sid } => {
            let ended = data.account.end_session(&sid);
            // The rooms are told even when the session was gone already: a
            // retried logout still closes sockets a failed call left open.
            let tell = AccountEffect::Tell {
                rooms: data.account.rooms.clone(),
                call: RoomCall::CloseSession {
                    sid,
                    reason: CloseReason::LoggedOut,
                },
            };
            if ended {
                saved(AccountAnswer::Done, vec![tell])
            } else {
                AccountReply {
                    answer: Ok(AccountAnswer::Done),
                    effects: vec![tell],
                }
            }
        }
        AccountCommand::EditProfile(patch) => match patch.apply(&mut data.profile) {
            Ok(()) => profile_changed(data),
            Err(e) => AccountReply::refuse(e),
        },
        AccountCommand::SetAvatar(avatar) => {
            data.profile.set_avatar(avatar);
            profile_changed(data)
        }
        AccountCommand::ClearAvatar => {
            data.profile.clear_avatar();
            profile_changed(data)
        }
        AccountCommand::SetRoom { room, added } => {
            let changed = if added {
                data.account.add_room(&room)
            } else {
                data.account.remove_room(&room)
            };
            if changed {
                saved(AccountAnswer::Done, Vec::new())
            } else {
                unchanged(AccountAnswer::Done)
            }
        }
        AccountCommand::Own { room, claim: true } => match data.account.claim_room(&room, now) {
            // A claim also moves the creation bucket, so it is saved either way.
            Ok(new) => saved(AccountAnswer::Claimed(new), Vec::new()),
            Err(e) => AccountReply::refuse(e),
        },
        AccountCommand::Block { user, blocked } => {
            let rev = data.account.blocks_rev;
            match data.account.set_block(&user, blocked) {
                Ok(mark) if mark.rev != rev => saved(AccountAnswer::Block(mark), Vec::new()),
                Ok(mark) => unchanged(AccountAnswer::Block(mark)),
                Err(e) => AccountReply::refuse(e),
            }
        }
        AccountCommand::AddPush {
            sid,
            endpoint,
            p256dh,
            auth,
        } => {
            let id = data.account.add_push(Subscription {
                id: super::auth::session_id(&inputs.random),
                sid,
                endpoint,
                p256dh,
                auth,
                created_at: now,
            });
            saved(AccountAnswer::Pushed(id), Vec::new())
        }
        AccountCommand::RemovePush { id } => {
            if data.account.remove_push(&id) {
                saved(AccountAnswer::Done, Vec::new())
            } else {
                unchanged(AccountAnswer::Done)
            }
        }
        AccountCommand::Own { room, claim: false } => {
            if data.account.release_room(&room) {
                saved(AccountAnswer::Claimed(true), Vec::new())
            } else {
                unchanged(AccountAnswer::Claimed(false))
            }
        }
    }
}

/// Login's second step, after the key was derived.
fn login(data: &mut AccountData, derived: &[u8], inputs: Inputs<'_>) -> AccountReply {
    let now = inputs.now_ms;
    // Again: other logins may have locked the account during the hash.
    if let Err(e) = data.account.login_gate(now) {
        return AccountReply::refuse(e);
    }
    // An unreadable hash matches nothing (login_params logged it).
    let ok = data
        .account
        .stored_hash()
        .is_some_and(|h| h.matches(derived));
    data.account.record_login(ok, now);
    if !ok {
        return AccountReply {
            answer: Err(invalid_credentials()),
            effects: vec![AccountEffect::Save],
        };
    }
    match open_session(data, inputs) {
        Ok(grant) => saved(AccountAnswer::Session(grant), Vec::new()),
        Err(e) => AccountReply::refuse(e),
    }
}

/// A profile change: stored, written through to KV, and told to the rooms.
fn profile_changed(data: &AccountData) -> AccountReply {
    let profile = data.profile.to_profile();
    let tell = AccountEffect::Tell {
        rooms: data.account.rooms.clone(),
        call: RoomCall::ProfileChanged {
            username: data.account.username.clone(),
            profile: profile.clone(),
        },
    };
    saved(
        AccountAnswer::Profile(profile),
        vec![AccountEffect::Publish(data.profile.clone()), tell],
    )
}

/// Opens a session and signs its token.
fn open_session(data: &mut AccountData, inputs: Inputs<'_>) -> ApiResult<SessionGrant> {
    let sid = session_id(&inputs.random);
    let (token, claims) = issue_token(
        inputs.secret,
        &data.account.username,
        &sid,
        inputs.now_ms / 1000,
    )?;
    data.account
        .add_session(&sid, inputs.now_ms, claims.expires_at_ms());
    Ok(SessionGrant {
        token,
        expires_at: claims.expires_at_ms(),
        user: data.profile.to_profile(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "account_machine_tests.rs"]
mod tests;
