//! The `/api/rooms...` routes (contract sections 4 and 6): match the path,
//! authenticate, parse the body into a room command, and forward it to the
//! room's Durable Object, whose answer (or refusal) is relayed unchanged.
//!
//! Choices where the contract is silent:
//! - An unknown path or an unknown method on a known path is 404 `not_found`
//!   ("There is no such API endpoint."), the same answer as the router's for
//!   any unknown `/api/` path, and it comes before authentication.
//! - A malformed room name in the path (`/api/rooms/Bad_Name`) is 404
//!   `not_found` for every method: no room can have that address. A malformed
//!   name in the create body is 400 `bad_request`.
//! - `GET /api/rooms/directory` is the directory, so no room may be named
//!   `directory`: creating it answers 409 `room_exists` (the name is taken by
//!   the API itself).
//! - `POST /api/rooms/{name}/read` `{"seq"}` (an addition) moves the caller's
//!   read marker, the HTTP twin of the socket's `read` frame: 204.
//! - Invites and bans of a name nobody registered are 404 `not_found` (see
//!   [`ensure_registered`]); creating a room past the owned-room cap is 409
//!   `conflict`, and creating too quickly 429 `rate_limited` (see [`own`]).
//! - `GET /api/rooms`: the account object keeps the list of the caller's room
//!   names; each room is then asked for the caller's summary, concurrently.
//!   The room is the source of truth and the list a repairable index: a room
//!   that answers `not_found`, `forbidden` or `banned` (deleted, or the caller
//!   was removed while the index missed it) is left out and removed from the
//!   list. A room that fails otherwise is left out of this answer only.
//!   The order is the account list's.

use serde::Deserialize;
use worker::{Env, Headers, Method, Request, Response};

use super::auth::{authenticate, Caller};
use super::http::{self, Ctx};
use super::internal;
use super::join_all::join_all;
use super::router::not_found;
use super::routes_attachments;
use crate::core::dm;
use crate::core::error::ApiError;
use crate::core::json::parse_json;
use crate::core::protocol::RoomInfo;
use crate::core::room_api::{
    means_not_a_member, CreateRoomBody, RoleBody, RoomCommand, UsernameBody,
};
use crate::core::search;
use crate::core::validate;
use crate::core::wire::{
    AccountCall, ConnectInfo, DirectoryCall, RoomCall, RoomList, CONNECT_HEADER,
};

/// Body of `POST /api/rooms/{name}/read`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    seq: u64,
}

/// Every rooms endpoint, recognised from the method and path alone.
enum Route<'a> {
    ListMine,
    Create,
    Directory,
    /// A command on the room at `room` (still unvalidated).
    Room(&'a str, RoomOp<'a>),
    Socket(&'a str),
    Upload(&'a str),
    Download(&'a str, &'a str),
}

enum RoomOp<'a> {
    Info,
    Edit,
    Delete,
    Join,
    Leave,
    Invite,
    Kick,
    Ban,
    Unban(&'a str),
    SetRole(&'a str),
    Messages,
    Search,
    Read,
    Notifications,
}

fn recognise<'a>(method: &Method, segs: &[&'a str]) -> Option<Route<'a>> {
    use Method::{Delete, Get, Patch, Post, Put};
    let route = match (method, segs) {
        (Get, ["rooms"]) => Route::ListMine,
        (Post, ["rooms"]) => Route::Create,
        (Get, ["rooms", "directory"]) => Route::Directory,
        (Get, ["rooms", room]) => Route::Room(room, RoomOp::Info),
        (Patch, ["rooms", room]) => Route::Room(room, RoomOp::Edit),
        (Delete, ["rooms", room]) => Route::Room(room, RoomOp::Delete),
        (Post, ["rooms", room, "join"]) => Route::Room(room, RoomOp::Join),
        (Post, ["rooms", room, "leave"]) => Route::Room(room, RoomOp::Leave),
        (Post, ["rooms", room, "invites"]) => Route::Room(room, RoomOp::Invite),
        (Post, ["rooms", room, "kick"]) => Route::Room(room, RoomOp::Kick),
        (Post, ["rooms", room, "bans"]) => Route::Room(room, RoomOp::Ban),
        (Delete, ["rooms", room, "bans", user]) => Route::Room(room, RoomOp::Unban(user)),
        (Put, ["rooms", room, "members", user]) => Route::Room(room, RoomOp::SetRole(user)),
        (Get, ["rooms", room, "messages"]) => Route::Room(room, RoomOp::Messages),
        (Get, ["rooms", room, "search"]) => Route::Room(room, RoomOp::Search),
        (Post, ["rooms", room, "read"]) => Route::Room(room, RoomOp::Read),
        (Put, ["rooms", room, "notifications"]) => Route::Room(room, RoomOp::Notifications),
        (Get, ["rooms", room, "socket"]) => Route::Socket(room),
        (Post, ["rooms", room, "attachments"]) => Route::Upload(room),
        (Get, ["rooms", room, "attachments", id]) => Route::Download(room, id),
        _ => return None,
    };
    Some(route)
}

/// Handles `/api/<segments>` for rooms (`segs[0] == "rooms"`).
pub async fn route(
    mut req: Request,
    env: &Env,
    method: Method,
    segs: &[&str],
) -> Result<Response, ApiError> {
    let route = recognise(&method, segs).ok_or_else(not_found)?;
    let caller = authenticate(&req, env).await?;
    match route {
        Route::ListMine => list_mine(env, &caller).await,
        Route::Create => {
            let body: CreateRoomBody = read_json(&mut req).await?;
            let name = body.room_name()?;
            let command = RoomCommand::Create(CreateRoomBody {
                name: name.clone(),
                title: body.title,
                topic: body.topic,
                visibility: body.visibility,
            });
            let claimed = own(env, &caller, &name, true).await?;
            let resp = match command_room(env, &name, &caller, command).await {
                Ok(resp) => resp,
                Err(e) => {
                    if claimed {
                        if let Err(undo) = own(env, &caller, &name, false).await {
                            worker::console_error!(
                                "could not release {}'s claim on {name}: {}",
                                caller.username,
                                undo.message
                            );
                        }
                    }
                    return Err(e);
                }
            };
            ensure_listed(env, &caller, &name).await?;
            Ok(resp)
        }
        Route::Directory => directory(env, &req).await,
        Route::Room(room, op) => {
            let room = path_room(room)?;
            let joining = matches!(op, RoomOp::Join);
            let command = room_command(&mut req, op).await?;
            // (A DM refuses administration itself, whoever is named.)
            if let (
                RoomCommand::Invite(UsernameBody { username })
                | RoomCommand::Ban(UsernameBody { username }),
                false,
            ) = (&command, dm::is_dm_name(&room))
            {
                ensure_registered(env, username).await?;
            }
            let resp = command_room(env, &room, &caller, command).await?;
            if joining {
                ensure_listed(env, &caller, &room).await?;
            }
            Ok(resp)
        }
        Route::Socket(room) => {
            let room = path_room(room)?;
            socket(env, &req, &room, caller).await
        }
        Route::Upload(room) => {
            let room = path_room(room)?;
            routes_attachments::upload(&mut req, env, &room, &caller).await
        }
        Route::Download(room, id) => {
            let room = path_room(room)?;
            routes_attachments::download(&req, env, &room, &caller, id).await
        }
    }
}

/// After a successful create or join, makes sure the room is in the caller's
/// account list before answering. The room already asked for this (its
/// follow-up), but that call is best-effort; doing it here, awaited, means a
/// join never answers 200 while the list misses the room. It is idempotent,
/// and a failure answers 500, so the client's retry of the (idempotent) join
/// repairs the list.
async fn ensure_listed(env: &Env, caller: &Caller, room: &str) -> Result<(), ApiError> {
    let call = AccountCall::SetRoom {
        room: room.to_string(),
        added: true,
    };
    internal::account(env, &caller.username, &call).await
}

/// Before a room is created: counts it against the caller's owned rooms and
/// the creation rate (`claim`), or gives a claim back after a creation that
/// failed. The account object decides (409 over the cap, 429 too fast);
/// answers whether a claim is new.
async fn own(env: &Env, caller: &Caller, room: &str, claim: bool) -> Result<bool, ApiError> {
    let call = AccountCall::Own {
        room: room.to_string(),
        claim,
    };
    internal::account(env, &caller.username, &call).await
}

/// Invites and bans name a user: one who never registered is 404, so a room
/// stores no names of nobody. Asked of the account object (strongly
/// consistent: it answers from its own storage, which `register` wrote before
/// it answered), not KV, whose reads at the edge may miss a new account for a
/// while. Accounts are never deleted, so the answer cannot go stale before
/// the room stores the name. The lookup itself stores nothing.
async fn ensure_registered(env: &Env, username: &str) -> Result<(), ApiError> {
    let username = validate::username(username)?;
    if internal::account::<bool>(env, &username, &AccountCall::Exists).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "There is no user named {username}."
        )))
    }
}

/// A room name from the path; a malformed one names no room.
pub(super) fn path_room(raw: &str) -> Result<String, ApiError> {
    validate::room_name(raw).map_err(|_| ApiError::not_found("No such room."))
}

/// Reads and parses a JSON request body (`application/json`, 64 KiB at most).
async fn read_json<T: serde::de::DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let bytes = http::read_json_body(req, validate::BODY_MAX_BYTES).await?;
    parse_json(&bytes)
}

async fn room_command(req: &mut Request, op: RoomOp<'_>) -> Result<RoomCommand, ApiError> {
    Ok(match op {
        RoomOp::Info => RoomCommand::Info,
        RoomOp::Delete => RoomCommand::Delete,
        RoomOp::Join => RoomCommand::Join,
        RoomOp::Leave => RoomCommand::Leave,
        RoomOp::Edit => RoomCommand::Edit(read_json(req).await?),
        RoomOp::Invite => RoomCommand::Invite(read_json(req).await?),
        RoomOp::Kick => RoomCommand::Kick(read_json(req).await?),
        RoomOp::Ban => RoomCommand::Ban(read_json(req).await?),
        RoomOp::Unban(user) => RoomCommand::Unban {
            username: user.to_string(),
        },
        RoomOp::SetRole(user) => {
            let b: RoleBody = read_json(req).await?;
            RoomCommand::SetRole {
                username: user.to_string(),
                role: b.role,
            }
        }
        RoomOp::Messages => {
            let before =
                http::query_u64(req, "before", "before is a message seq: a whole number.")?;
            let limit = validate::history_limit_query(http::query_param(req, "limit").as_deref())?;
            RoomCommand::Messages {
                before,
                limit: Some(i64::from(limit)),
            }
        }
        RoomOp::Search => RoomCommand::Search {
            query: search::Query::parse(http::query_param(req, "q").as_deref())?,
            before: http::query_u64(req, "before", "before is a message seq: a whole number.")?,
            limit: search::limit(http::query_param(req, "limit").as_deref())?,
        },
        RoomOp::Read => {
            let b: ReadBody = read_json(req).await?;
            RoomCommand::MarkRead { seq: b.seq }
        }
        RoomOp::Notifications => RoomCommand::SetNotify(read_json(req).await?),
    })
}

/// Sends one command to a room and relays its answer.
async fn command_room(
    env: &Env,
    room: &str,
    caller: &Caller,
    command: RoomCommand,
) -> Result<Response, ApiError> {
    let stub = internal::stub(env, "ROOMS", room)?;
    let call = RoomCall::Command {
        actor: caller.username.clone(),
        command,
    };
    relay(internal::send_call(&stub, &call).await?).await
}

/// An object's answer as the Worker's: errors back to `ApiError` (so the
/// router renders them, with `Retry-After`), JSON and 204 as they are.
async fn relay(mut resp: Response) -> Result<Response, ApiError> {
    let status = resp.status_code();
    let text = resp.text().await.ctx("reading a room's answer")?;
    if status >= 400 {
        return Err(internal::decode_error(status, &text));
    }
    if text.is_empty() {
        return Response::empty()
            .map(|r| r.with_status(status))
            .ctx("a response");
    }
    // The room encoded it; it is passed on as it is.
    http::json_text(status, text).ctx("a response")
}

/// `GET /api/rooms`.
async fn list_mine(env: &Env, caller: &Caller) -> Result<Response, ApiError> {
    let names: Vec<String> = internal::account(env, &caller.username, &AccountCall::Rooms).await?;
    let answers = join_all(
        names
            .iter()
            .map(|name| summary(env, name, caller))
            .collect(),
    )
    .await;
    let mut rooms = Vec::new();
    for (name, answer) in names.iter().zip(answers) {
        match answer {
            Ok(Some(info)) => rooms.push(info),
            // A DM the caller closed: still theirs, not listed.
            Ok(None) => {}
            Err(e) if means_not_a_member(&e) => {
                let change = AccountCall::SetRoom {
                    room: name.clone(),
                    added: false,
                };
                let repaired = internal::account::<()>(env, &caller.username, &change).await;
                if let Err(e) = repaired {
                    worker::console_error!(
                        "could not repair {}'s room list: {}",
                        caller.username,
                        e.message
                    );
                }
            }
            Err(e) => {
                worker::console_error!("room {name} left out of a room list: {}", e.message);
            }
        }
    }
    http::json(200, &RoomList { rooms }).ctx("a response")
}

/// The caller's own entry for one room; `None` for a DM the caller closed.
async fn summary(env: &Env, room: &str, caller: &Caller) -> Result<Option<RoomInfo>, ApiError> {
    // A stored name that is no longer valid names no room.
    let room = path_room(room)?;
    let call = RoomCall::Command {
        actor: caller.username.clone(),
        command: RoomCommand::Summary,
    };
    internal::room(env, &room, &call).await
}

/// `GET /api/rooms/directory?q=`.
async fn directory(env: &Env, req: &Request) -> Result<Response, ApiError> {
    let q = http::query_param(req, "q").unwrap_or_default();
    let list: RoomList = internal::directory(env, &DirectoryCall::List { q }).await?;
    http::json(200, &list).ctx("a response")
}

/// `GET /api/rooms/{name}/socket`: forwards the upgrade with the caller's
/// identity, which the room trusts because only the Worker can reach it.
async fn socket(
    env: &Env,
    req: &Request,
    room: &str,
    caller: Caller,
) -> Result<Response, ApiError> {
    let upgrade = req.headers().get("Upgrade").ok().flatten();
    if !upgrade.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return Err(ApiError::bad_request(
            "This endpoint only accepts WebSocket upgrades.",
        ));
    }
    let since = http::query_u64(
        req,
        "since",
        "since is the seq of the last event you saw: a whole number.",
    )?;
    let batch = matches!(
        http::query_param(req, "batch").as_deref(),
        Some("1" | "true")
    );
    let info = ConnectInfo {
        username: caller.username,
        sid: caller.sid,
        exp: caller.exp,
        since,
        batch,
    };
    let info = serde_json::to_string(&info).ctx("encoding a connect")?;
    let headers = Headers::new();
    headers
        .set("Upgrade", "websocket")
        .and_then(|_| headers.set(CONNECT_HEADER, &info))
        .ctx("building a socket upgrade")?;
    let forward = internal::new_request(
        "building a socket upgrade",
        "https://internal/socket",
        Method::Get,
        Some(&headers),
        None,
    )?;
    let stub = internal::stub(env, "ROOMS", room)?;
    let resp = internal::send(&stub, forward).await?;
    if resp.status_code() == 101 {
        return Ok(resp);
    }
    relay(resp).await
}
