//! The room's effects on other objects: a member's account list of rooms
//! (`ACCOUNTS`, one object per username), the public directory
//! (`DIRECTORY`, one object) and attachment objects in R2 (`ATTACHMENTS`:
//! deleted with their message or room; a failed delete leaves an object no
//! record points at, which nobody can download).
//!
//! They run after the room's own change is committed and its sockets were
//! told, one call at a time in the order the core gave. A failure is logged
//! and otherwise ignored: the room is the source of truth and both lists are
//! indexes that repair themselves (`GET /api/rooms` drops and removes rooms
//! that no longer know the user; the directory is rewritten on the room's next
//! change). Every directory update carries its version, so one that lands
//! after a newer one (two handlers of the room interleaving) is ignored.

use worker::Env;

use super::join_all::join_all;
use super::{internal, routes_attachments, routes_push};
use crate::core::room::Effect;
use crate::core::wire::{AccountCall, DirectoryCall, RoomCall};

/// Carries out `AccountRoomsChanged`, `DirectoryChanged`, `DeleteObjects`
/// and `DeletePrefix` for the room `name`; any other effect is ignored (they
/// were delivered already).
pub async fn follow_up(env: &Env, name: &str, effects: Vec<Effect>) {
    for effect in effects {
        let outcome = match effect {
            Effect::AccountRoomsChanged { username, added } => {
                let call = AccountCall::SetRoom {
                    room: name.to_string(),
                    added,
                };
                internal::account::<()>(env, &username, &call).await
            }
            Effect::DirectoryChanged {
                version,
                listing: Some(listing),
            } => {
                let call = DirectoryCall::Upsert {
                    room: listing.room,
                    last_activity_ms: listing.last_activity_ms,
                    version,
                };
                internal::directory::<()>(env, &call).await
            }
            Effect::DirectoryChanged {
                version,
                listing: None,
            } => {
                let call = DirectoryCall::Remove {
                    name: name.to_string(),
                    version,
                };
                internal::directory::<()>(env, &call).await
            }
            Effect::Push { pushes } => {
                routes_push::send_pushes(env, pushes).await;
                Ok(())
            }
            Effect::NudgeUser { username } => {
                nudge_user(env, &username, name).await;
                Ok(())
            }
            Effect::DeleteObjects { keys } => routes_attachments::delete_objects(env, &keys).await,
            Effect::DeletePrefix { prefix } => {
                routes_attachments::delete_prefix(env, &prefix).await
            }
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            worker::console_error!("room {name}: a follow-up call failed: {}", e.message);
        }
    }
}

/// The most rooms a nudge reaches: the web client keeps at most this many
/// sockets, so a user in more rooms is told through the first ones or at
/// their next list refresh.
const NUDGE_ROOMS_MAX: usize = 30;

/// Tells `username`'s open sockets in their other rooms that their room list
/// changed (a DM started or came back in `room`). Best effort, concurrent.
pub async fn nudge_user(env: &Env, username: &str, room: &str) {
    let rooms: Vec<String> = match internal::account(env, username, &AccountCall::Rooms).await {
        Ok(rooms) => rooms,
        Err(e) => {
            worker::console_error!("could not nudge {username}: {}", e.message);
            return;
        }
    };
    let call = RoomCall::Nudge {
        username: username.to_string(),
    };
    let calls = rooms
        .iter()
        .filter(|r| r.as_str() != room)
        .take(NUDGE_ROOMS_MAX)
        .map(|r| internal::room::<()>(env, r, &call))
        .collect();
    for outcome in join_all(calls).await {
        if let Err(e) = outcome {
            worker::console_error!("a nudge for {username} failed: {}", e.message);
        }
    }
}
