//! `GET /api/search` (contract section 11): one query over every room and
//! DM of the caller. Each room searches its own index (the per-room route is
//! in `routes_rooms`); the Worker asks them [`search::FAN_OUT`] at a time
//! and merges newest first. A room that fails to answer is left out and the
//! answer says `"partial": true`; a room the caller is no longer in (a stale
//! room list) is left out silently.

use serde::Deserialize;
use worker::{Env, Request, Response};

use super::auth::authenticate;
use super::http::{self, Ctx};
use super::internal;
use super::join_all::join_bounded;
use super::routes_rooms::path_room;
use crate::core::error::ApiError;
use crate::core::protocol::Message;
use crate::core::room_api::{means_not_a_member, RoomCommand};
use crate::core::search::{self, Query};
use crate::core::wire::{AccountCall, RoomCall};

/// A room's answer to [`RoomCommand::Search`].
#[derive(Deserialize)]
struct Page {
    messages: Vec<Message>,
}

/// `GET /api/search?q=&limit=`.
pub async fn global(req: Request, env: &Env) -> Result<Response, ApiError> {
    let caller = authenticate(&req, env).await?;
    let query = Query::parse(http::query_param(&req, "q").as_deref())?;
    let limit = search::limit(http::query_param(&req, "limit").as_deref())?;
    let names: Vec<String> = internal::account(env, &caller.username, &AccountCall::Rooms).await?;
    let asks = names
        .iter()
        .map(|name| ask(env, name, &caller.username, &query, limit))
        .collect();
    let answers = join_bounded(asks, search::FAN_OUT).await;
    let mut partial = false;
    let mut found = Vec::new();
    for (name, answer) in names.into_iter().zip(answers) {
        match answer {
            Ok(messages) => found.push((name, messages)),
            Err(e) if means_not_a_member(&e) => {}
            Err(e) => {
                worker::console_error!("room {name} left out of a search: {}", e.message);
                partial = true;
            }
        }
    }
    http::json(200, &search::merge(found, limit, partial)).ctx("a response")
}

/// One room's newest `limit` matches for `actor`.
async fn ask(
    env: &Env,
    room: &str,
    actor: &str,
    query: &Query,
    limit: u32,
) -> Result<Vec<Message>, ApiError> {
    let room = path_room(room)?;
    let call = RoomCall::Command {
        actor: actor.to_string(),
        command: RoomCommand::Search {
            query: query.clone(),
            before: None,
            limit,
        },
    };
    let page: Page = internal::room(env, &room, &call).await?;
    Ok(page.messages)
}
