//! Direct messages and blocks (contract section 8): `POST /api/dms` and
//! `/api/me/blocks`. The rest of a DM's life goes through the room routes.
//!
//! `POST /api/dms`: the Worker reads both accounts' blocks of each other
//! (which also tells whether the other person exists), then asks the pair's
//! DM room, the one object that decides whether it is created (201) or
//! already there (200), so two people starting it at once get one room. The
//! room is then put in both people's room lists (idempotent; a failure
//! answers 500 and the retry repairs it).
//!
//! Blocks: the caller's account records the change and answers its mark,
//! which is then told to the pair's DM room (created or not), where sends are
//! refused. A failure to tell answers 500; the retried call tells it again.
//!
//! Choices where the contract is silent: blocking or unblocking someone
//! nobody registered is 404 `not_found`, oneself 400 `bad_request`; a
//! refused `POST /api/dms` (blocked) still refreshes the room's marks, so a
//! mark a failed call never delivered cannot let sends through.

use serde::Deserialize;
use worker::{Env, Method, Request, Response};

use super::auth::{authenticate, Caller};
use super::http::{self, Ctx};
use super::internal;
use super::join_all::join_all;
use super::room_follow_up::nudge_user;
use super::router::not_found;
use crate::core::dm::{self, BlockMark};
use crate::core::error::ApiError;
use crate::core::json::parse_json;
use crate::core::room_api::{OpenDmBody, RoomCommand};
use crate::core::validate;
use crate::core::wire::{AccountCall, RoomCall};

type Answer = Result<Response, ApiError>;

/// Body of `POST /api/dms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DmBody {
    username: String,
}

/// `POST /api/dms`.
pub async fn open(mut req: Request, env: &Env, method: Method) -> Answer {
    if method != Method::Post {
        return Err(not_found());
    }
    let caller = authenticate(&req, env).await?;
    let bytes = http::read_json_body(&mut req, validate::BODY_MAX_BYTES).await?;
    let body: DmBody = parse_json(&bytes)?;
    let peer = dm::other_person(&caller.username, &body.username)?;
    let (mine, theirs) = marks(env, &caller.username, &peer).await?;
    let room = dm::dm_name(&caller.username, &peer);
    if let Err(refusal) = dm::may_open(&peer, mine, theirs) {
        if let Some(theirs) = theirs {
            tell_marks(env, &room, [(&caller.username, mine), (&peer, theirs)]).await;
        }
        return Err(refusal);
    }
    let command = RoomCommand::OpenDm(OpenDmBody {
        name: room.clone(),
        peer: peer.clone(),
        marks: [(caller.username.clone(), mine)]
            .into_iter()
            .chain(theirs.map(|t| (peer.clone(), t)))
            .collect(),
    });
    let call = RoomCall::Command {
        actor: caller.username.clone(),
        command,
    };
    let stub = internal::stub(env, "ROOMS", &room)?;
    let mut resp = internal::send_call(&stub, &call).await?;
    let status = resp.status_code();
    let text = resp.text().await.ctx("reading a DM room's answer")?;
    if status >= 400 {
        return Err(internal::decode_error(status, &text));
    }
    for user in [&caller.username, &peer] {
        let listed = AccountCall::SetRoom {
            room: room.clone(),
            added: true,
        };
        internal::account::<()>(env, user, &listed).await?;
    }
    if status == 201 {
        // The other person's page shows the new DM at once.
        nudge_user(env, &peer, &room).await;
    }
    http::json_text(status, text).ctx("a response")
}

/// Both accounts' blocks of each other: the caller's of `peer`, and `peer`'s
/// of the caller (`None` when `peer` has no account). Read concurrently.
async fn marks(
    env: &Env,
    caller: &str,
    peer: &str,
) -> Result<(BlockMark, Option<BlockMark>), ApiError> {
    let mine = AccountCall::BlockMark {
        user: peer.to_string(),
    };
    let theirs = AccountCall::BlockMark {
        user: caller.to_string(),
    };
    let mut answers = join_all(vec![
        internal::account::<Option<BlockMark>>(env, caller, &mine),
        internal::account::<Option<BlockMark>>(env, peer, &theirs),
    ])
    .await
    .into_iter();
    let mine = answers.next().ctx("two answers")??;
    let theirs = answers.next().ctx("two answers")??;
    Ok((mine.ctx("the caller's account")?, theirs))
}

/// Tells the DM room the marks as the accounts hold them; best effort (the
/// caller is answering a refusal anyway).
async fn tell_marks(env: &Env, room: &str, marks: [(&String, BlockMark); 2]) {
    for (blocker, mark) in marks {
        let call = RoomCall::Block {
            blocker: blocker.clone(),
            mark,
        };
        if let Err(e) = internal::room::<()>(env, room, &call).await {
            worker::console_error!("could not refresh the block marks of {room}: {}", e.message);
        }
    }
}

/// `GET /api/me/blocks`, `PUT` and `DELETE /api/me/blocks/{username}`.
pub async fn blocks(req: Request, env: &Env, method: Method, user: Option<&str>) -> Answer {
    let blocked = match (&method, user) {
        (Method::Get, None) => {
            let caller = authenticate(&req, env).await?;
            let users: Vec<String> =
                internal::account(env, &caller.username, &AccountCall::Blocks).await?;
            return http::json(200, &serde_json::json!({ "users": users })).ctx("a response");
        }
        (Method::Put, Some(_)) => true,
        (Method::Delete, Some(_)) => false,
        _ => return Err(not_found()),
    };
    let caller = authenticate(&req, env).await?;
    let user = dm::other_person(&caller.username, user.unwrap_or_default())?;
    set_block(env, &caller, &user, blocked).await?;
    http::no_content().ctx("a response")
}

async fn set_block(env: &Env, caller: &Caller, user: &str, blocked: bool) -> Result<(), ApiError> {
    if !internal::account::<bool>(env, user, &AccountCall::Exists).await? {
        return Err(dm::no_such_user(user));
    }
    let change = AccountCall::Block {
        user: user.to_string(),
        blocked,
    };
    let mark: BlockMark = internal::account(env, &caller.username, &change).await?;
    let call = RoomCall::Block {
        blocker: caller.username.clone(),
        mark,
    };
    internal::room::<()>(env, &dm::dm_name(&caller.username, user), &call).await
}
