//! The room's effects on other objects: a member's account list of rooms
//! (`ACCOUNTS`, one object per username) and the public directory
//! (`DIRECTORY`, one object).
//!
//! They run after the room's own change is committed and its sockets were
//! told, one call at a time in the order the core gave. A failure is logged
//! and otherwise ignored: the room is the source of truth and both lists are
//! indexes that repair themselves (`GET /api/rooms` drops and removes rooms
//! that no longer know the user; the directory is rewritten on the room's next
//! change). Every directory update carries its version, so one that lands
//! after a newer one (two handlers of the room interleaving) is ignored.

use worker::{Env, Method};

use super::internal;
use super::room_wire::{AccountRoomChange, Listing, RemoveListing};
use crate::core::error::ApiResult;
use crate::core::room::Effect;

/// Carries out `AccountRoomsChanged` and `DirectoryChanged` for the room
/// `name`; any other effect is ignored (they were delivered already).
pub async fn follow_up(env: &Env, name: &str, effects: Vec<Effect>) {
    for effect in effects {
        let outcome = match effect {
            Effect::AccountRoomsChanged { username, added } => {
                let body = AccountRoomChange {
                    room: name.to_string(),
                    added,
                };
                post(env, "ACCOUNTS", &username, "/rooms", &body).await
            }
            Effect::DirectoryChanged {
                version,
                listing: Some(listing),
            } => {
                let body = Listing {
                    room: listing.room,
                    last_activity_ms: listing.last_activity_ms,
                    version,
                };
                post(env, "DIRECTORY", "directory", "/upsert", &body).await
            }
            Effect::DirectoryChanged {
                version,
                listing: None,
            } => {
                let body = RemoveListing {
                    name: name.to_string(),
                    version,
                };
                post(env, "DIRECTORY", "directory", "/remove", &body).await
            }
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            worker::console_error!("room {name}: a follow-up call failed: {}", e.message);
        }
    }
}

async fn post<B: serde::Serialize>(
    env: &Env,
    binding: &str,
    object: &str,
    path: &str,
    body: &B,
) -> ApiResult<()> {
    let stub = internal::stub(env, binding, object)?;
    internal::call::<B, serde_json::Value>(&stub, Method::Post, path, Some(body))
        .await
        .map(|_| ())
}
