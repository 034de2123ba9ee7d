//! The account Durable Object: one per account, addressed by the lowercase
//! username, so everything that must be strongly consistent about an account
//! happens in one single-threaded place: taking a name (two people registering
//! it at the same moment get one 201 and one 409), password checks with the
//! login throttle, the open sessions (logout ends one everywhere at once), the
//! account's list of rooms, and the profile, which is written through to KV
//! for reads at the edge.
//!
//! It decides nothing itself: the core's [`Account`] does, and this file runs
//! the SQL, the WebCrypto PBKDF2 and the calls its effects ask for. State is
//! one SQLite row (the record and the profile as JSON), read once and kept in
//! memory while the object lives. Only synchronous code runs between a
//! command and the save it asks for, so no other request can slip in between;
//! the slow, awaited PBKDF2 always runs before the command.

use super::http::{self, Ctx};
use super::sqlite::Sql;
use super::{auth, crypto, internal, profiles};
use crate::core::account_machine::{
    Account, AccountAnswer, AccountCommand, AccountData, AccountEffect, Inputs,
};
use crate::core::auth::{PasswordHash, PBKDF2_ITERATIONS, SALT_LEN};
use crate::core::error::ApiResult;
use crate::core::wire::AccountCall;
use std::cell::RefCell;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object]
pub struct AccountObject {
    sql: Sql,
    env: Env,
    /// The account, once read from storage.
    cache: RefCell<Option<Account>>,
}

/// The account's table; created by the first save.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), \
     record TEXT NOT NULL, profile TEXT NOT NULL)";

impl DurableObject for AccountObject {
    fn new(state: State, env: Env) -> Self {
        // No table here: registering creates it (see `save`), so a failed
        // login or a lookup of a name nobody registered stores nothing.
        Self {
            sql: Sql::new(&state),
            env,
            cache: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let answer = match internal::read_call::<AccountCall>(&mut req).await {
            Ok(call) => self.route(call).await,
            Err(e) => Err(e),
        };
        match answer {
            Ok(resp) => Ok(resp),
            Err(err) => internal::error_response(&err),
        }
    }
}

impl AccountObject {
    async fn route(&self, call: AccountCall) -> ApiResult<Response> {
        let command = match call {
            AccountCall::SessionAlive { sid } => {
                let alive = self.read(|a| a.session_alive(&sid, crypto::now_ms()))?;
                return ok(&alive);
            }
            AccountCall::Profile => return ok(&self.read(Account::profile)??),
            AccountCall::ProfileRecord => return ok(&self.read(|a| a.profile_record().cloned())??),
            AccountCall::Rooms => return ok(&self.read(|a| a.rooms().to_vec())?),
            AccountCall::Exists => return ok(&self.read(Account::exists)?),
            AccountCall::Blocks => return ok(&self.read(|a| a.blocks().to_vec())?),
            AccountCall::PushTargets => return ok(&self.read(|a| a.push_targets().to_vec())?),
            AccountCall::BlockMark { user } => return ok(&self.read(|a| a.block_mark(&user))?),
            AccountCall::Register {
                username,
                password,
                display_name,
            } => {
                // Cheap refusal first; the command checks again after the await.
                self.read(Account::refuse_taken)??;
                AccountCommand::Register {
                    username,
                    display_name,
                    password: new_hash(&password).await?,
                }
            }
            AccountCall::Login { password, .. } => {
                let (params, log) = self.read(|a| a.login_params(crypto::now_ms()))??;
                if let Some(line) = log {
                    worker::console_error!("{line}");
                }
                let derived =
                    crypto::pbkdf2_sha256(password.as_bytes(), &params.salt, params.iterations)
                        .await
                        .ctx("pbkdf2")?;
                AccountCommand::Login { derived }
            }
            AccountCall::Logout { sid } => AccountCommand::Logout { sid },
            AccountCall::EditProfile { patch } => AccountCommand::EditProfile(patch),
            AccountCall::SetAvatar { avatar } => AccountCommand::SetAvatar(avatar),
            AccountCall::ClearAvatar => AccountCommand::ClearAvatar,
            AccountCall::SetRoom { room, added } => AccountCommand::SetRoom { room, added },
            AccountCall::Own { room, claim } => AccountCommand::Own { room, claim },
            AccountCall::Block { user, blocked } => AccountCommand::Block { user, blocked },
            AccountCall::AddPush {
                sid,
                endpoint,
                p256dh,
                auth,
            } => AccountCommand::AddPush {
                sid,
                endpoint,
                p256dh,
                auth,
            },
            AccountCall::RemovePush { id } => AccountCommand::RemovePush { id },
        };
        let status = if matches!(command, AccountCommand::Register { .. }) {
            201
        } else {
            200
        };
        match self.apply(command).await? {
            AccountAnswer::Session(grant) => reply(status, &grant),
            AccountAnswer::Profile(profile) => ok(&profile),
            AccountAnswer::Claimed(claimed) => ok(&claimed),
            AccountAnswer::Block(mark) => ok(&mark),
            AccountAnswer::Pushed(id) => reply(201, &serde_json::json!({ "id": id })),
            AccountAnswer::Done => http::no_content().ctx("an account answer"),
        }
    }

    /// Runs one command: the core decides, the row is saved before anything
    /// awaits, then KV and the rooms hear of it; the answer comes last.
    async fn apply(&self, command: AccountCommand) -> ApiResult<AccountAnswer> {
        let secret = auth::secret(&self.env)?;
        let mut random = [0u8; 16];
        crypto::random_bytes(&mut random).ctx("random bytes")?;
        let inputs = Inputs {
            now_ms: crypto::now_ms(),
            random,
            secret: &secret,
        };
        self.load()?;
        let reply = {
            let mut cache = self.cache.borrow_mut();
            let account = cache.as_mut().ctx("the account cache")?;
            let stored_before = account.exists();
            let reply = account.apply(command, inputs);
            let saved = match reply.effects.first() {
                Some(AccountEffect::Save) => self.save(account.data(), stored_before),
                _ => Ok(()),
            };
            if let Err(e) = saved {
                // Memory must not run ahead of storage: the next request
                // reads the row again.
                *cache = None;
                return Err(e);
            }
            reply
        };
        for effect in reply.effects {
            match effect {
                AccountEffect::Save => {}
                AccountEffect::Publish(profile) => profiles::publish(&self.env, &profile).await,
                AccountEffect::Tell { rooms, call } => {
                    for room in &rooms {
                        if let Err(e) = internal::room::<()>(&self.env, room, &call).await {
                            worker::console_error!("account: telling {room}: {}", e.message);
                        }
                    }
                }
                AccountEffect::Log(line) => worker::console_error!("{line}"),
            }
        }
        reply.answer
    }

    /// A query of the account, read from storage the first time.
    fn read<T>(&self, query: impl FnOnce(&Account) -> T) -> ApiResult<T> {
        self.load()?;
        let cache = self.cache.borrow();
        Ok(query(cache.as_ref().ctx("the account cache")?))
    }

    /// Reads the row into the cache unless it is there already.
    fn load(&self) -> ApiResult<()> {
        if self.cache.borrow().is_some() {
            return Ok(());
        }
        // Reading the schema stores nothing; no table means never registered.
        let tables = self.sql.one(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'account'",
            &[],
        )?;
        let data = if tables.int("n")? == 0 {
            None
        } else {
            let rows = self
                .sql
                .query("SELECT record, profile FROM account WHERE id = 1", &[])?;
            match rows.first() {
                None => None,
                Some(row) => Some(
                    AccountData::from_row(&row.text("record")?, &row.text("profile")?)
                        .ctx("decoding the account")?,
                ),
            }
        };
        *self.cache.borrow_mut() = Some(Account::new(data));
        Ok(())
    }

    /// Writes the row; the first save (registration) creates the table.
    fn save(&self, data: Option<&AccountData>, stored_before: bool) -> ApiResult<()> {
        let (record, profile) = data
            .ctx("saving no account")?
            .to_row()
            .ctx("encoding the account")?;
        if !stored_before {
            self.sql.run(SCHEMA, &[])?;
        }
        self.sql.run(
            "INSERT OR REPLACE INTO account (id, record, profile) VALUES (1, ?, ?)",
            &[record.as_str().into(), profile.as_str().into()],
        )
    }
}

/// Hashes a new password with a fresh salt.
async fn new_hash(password: &str) -> ApiResult<PasswordHash> {
    let mut salt = [0u8; SALT_LEN];
    crypto::random_bytes(&mut salt).ctx("salt")?;
    let hash = crypto::pbkdf2_sha256(password.as_bytes(), &salt, PBKDF2_ITERATIONS)
        .await
        .ctx("pbkdf2")?;
    Ok(PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt: salt.to_vec(),
        hash,
    })
}

fn ok<T: serde::Serialize>(value: &T) -> ApiResult<Response> {
    reply(200, value)
}

fn reply<T: serde::Serialize>(status: u16, value: &T) -> ApiResult<Response> {
    http::json(status, value).ctx("an account answer")
}
