//! The internal requests between the Worker, the room objects and the
//! directory object: paths and JSON bodies, in one place so both ends agree.
//!
//! Identity always comes from the Worker, which authenticated the caller: the
//! room trusts `actor` / `username` here and never anything a socket frame says.
//!
//! | to | request | answer |
//! |---|---|---|
//! | room | `POST /command` [`CommandCall`] | the command's status and JSON body (204: none) |
//! | room | `GET /socket` + `Upgrade: websocket` + [`CONNECT_HEADER`]: [`ConnectInfo`] | 101, or the refusal |
//! | room | `POST /profile` [`ProfileChanged`] | 204 (a `profile` event to the room) |
//! | room | `POST /close-session` [`CloseSession`] | 204 (that session's sockets closed) |
//! | directory | `POST /upsert` [`Listing`] | 204 |
//! | directory | `POST /remove` [`RemoveListing`] | 204 |
//! | directory | `GET /list?q=` | `{"rooms": [Room]}` |
//! | account | `GET /rooms` | `["room", ...]` (the lead's account object) |
//! | account | `POST /rooms` [`AccountRoomChange`] | 204, idempotent |

use serde::{Deserialize, Serialize};
use worker::Request;

use super::http;
use crate::core::error::ApiResult;

use crate::core::close_reason::CloseReason;
use crate::core::directory::DirectoryVersion;
use crate::core::protocol::RoomInfo;
use crate::core::room_api::RoomCommand;

/// The header carrying [`ConnectInfo`] on a forwarded socket upgrade.
pub const CONNECT_HEADER: &str = "X-Chat-Connect";

/// One room command for the signed-in `actor`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandCall {
    pub actor: String,
    pub command: RoomCommand,
}

/// Who opens a socket, set by the Worker after authenticating.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectInfo {
    pub username: String,
    pub sid: String,
    /// Token expiry in seconds since the epoch.
    pub exp: u64,
    pub since: Option<u64>,
    pub batch: bool,
}

/// `POST /profile` on a room.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileChanged {
    pub username: String,
    pub profile: serde_json::Value,
}

/// `POST /close-session` on a room.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseSession {
    pub sid: String,
    pub reason: CloseReason,
}

/// A public room's directory entry (`POST /upsert` on the directory).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    pub room: RoomInfo,
    pub last_activity_ms: u64,
    pub version: DirectoryVersion,
}

/// `POST /remove` on the directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveListing {
    pub name: String,
    pub version: DirectoryVersion,
}

/// `POST /rooms` on an account: `username` joined (`added`) or left `room`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRoomChange {
    pub room: String,
    pub added: bool,
}

/// The directory's answer and the body of `GET /api/rooms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomList {
    pub rooms: Vec<RoomInfo>,
}

/// Reads an internal JSON body. It comes from our own code, so a bad one is
/// our bug: logged, and `internal` to the caller.
pub async fn read_json<T: serde::de::DeserializeOwned>(req: &mut Request) -> ApiResult<T> {
    let text = req
        .text()
        .await
        .map_err(|e| http::internal("reading an internal request", e))?;
    serde_json::from_str(&text).map_err(|e| http::internal("decoding an internal request", e))
}
