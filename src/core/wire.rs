//! The internal wire: every request between the Worker and its Durable
//! Objects, and between objects, as one serde type per object.
//!
//! Each object takes `POST /` with one JSON call body tagged by `op` (the
//! only other request is a room's socket upgrade, `GET /socket` with
//! [`CONNECT_HEADER`]). Both ends use these types, so they cannot disagree
//! about a path or a field, and a call that does not decode is our own bug
//! (logged, `internal` to the client).
//!
//! Identity always comes from the Worker, which authenticated the caller: an
//! object trusts `actor` / `username` / `sid` here and never anything a
//! socket frame says.
//!
//! | object | call | answer |
//! |---|---|---|
//! | account | [`AccountCall::Register`], [`AccountCall::Login`] | [`SessionGrant`] |
//! | account | [`AccountCall::SessionAlive`], `Exists`, `Own` | `bool` |
//! | account | `Logout`, `SetRoom` | 204 |
//! | account | `Profile`, `EditProfile`, `SetAvatar`, `ClearAvatar` | [`Profile`] |
//! | account | `ProfileRecord` | the stored `ProfileRecord` |
//! | account | `Rooms` | `["room", ...]` |
//! | room | [`RoomCall::Command`] | the command's status and body (204: none) |
//! | room | [`RoomCall::ProfileChanged`], [`RoomCall::CloseSession`] | 204 |
//! | room | `GET /socket` + [`CONNECT_HEADER`]: [`ConnectInfo`] | 101, or the refusal |
//! | directory | [`DirectoryCall::Upsert`], [`DirectoryCall::Remove`] | 204 |
//! | directory | [`DirectoryCall::List`] | [`RoomList`] |
//!
//! A refusal travels as the contract's error body plus `retry_after_ms`, and
//! the caller rebuilds the same `ApiError` from it.

use serde::{Deserialize, Serialize};

use super::close_reason::CloseReason;
use super::directory::DirectoryVersion;
use super::dm::BlockMark;
use super::profile::{AvatarRef, Profile, ProfilePatch};
use super::protocol::RoomInfo;
use super::room_api::RoomCommand;

/// The header carrying [`ConnectInfo`] on a forwarded socket upgrade.
pub const CONNECT_HEADER: &str = "X-Chat-Connect";

/// A call to the account object of one (lowercase) username.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum AccountCall {
    /// A registration whose fields passed validation (`username` lowercased,
    /// `display_name` trimmed).
    Register {
        username: String,
        password: String,
        display_name: Option<String>,
    },
    Login {
        username: String,
        password: String,
    },
    /// Asked on every authenticated request.
    SessionAlive {
        sid: String,
    },
    /// Ends the session and closes its sockets in every room (4001).
    Logout {
        sid: String,
    },
    Profile,
    /// The stored profile, for KV misses.
    ProfileRecord,
    EditProfile {
        patch: ProfilePatch,
    },
    SetAvatar {
        avatar: AvatarRef,
    },
    ClearAvatar,
    /// The rooms the user belongs to.
    Rooms,
    /// Whether the account exists (stores nothing).
    Exists,
    /// Claims a room before creating it (`claim`), or releases the claim
    /// after a creation that failed; answers whether a claim is new.
    Own {
        room: String,
        claim: bool,
    },
    /// The user joined (`added`) or left `room`; idempotent.
    SetRoom {
        room: String,
        added: bool,
    },
    /// Blocks or unblocks `user`: answers the [`BlockMark`] to tell the
    /// pair's DM room. Idempotent (a repeat answers the same mark).
    Block {
        user: String,
        blocked: bool,
    },
    /// The people the user blocks: `["username", ...]`.
    Blocks,
    /// The user's block of `user`: a [`BlockMark`], or `null` when this
    /// account does not exist (stores nothing).
    BlockMark {
        user: String,
    },
    /// A validated push subscription of session `sid`: answers its id.
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
    /// The user's push subscriptions.
    PushTargets,
}

/// What register and login answer (contract section 2), before the Worker
/// adds the cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionGrant {
    pub token: String,
    pub expires_at: u64,
    pub user: Profile,
}

/// A call to a room object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum RoomCall {
    /// One room command for the signed-in `actor`.
    Command { actor: String, command: RoomCommand },
    /// A member's profile changed: a `profile` event to the room.
    ProfileChanged { username: String, profile: Profile },
    /// Closes that session's sockets (logout: also refuses it from now on).
    CloseSession { sid: String, reason: CloseReason },
    /// Tells `username`'s sockets here that their room list changed.
    Nudge { username: String },
    /// `blocker` blocked or unblocked the other person of this DM room
    /// (sent to [`crate::core::dm::dm_name`] of the pair, created or not).
    Block { blocker: String, mark: BlockMark },
}

/// Who opens a socket, set by the Worker after authenticating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectInfo {
    pub username: String,
    pub sid: String,
    /// Token expiry in seconds since the epoch.
    pub exp: u64,
    pub since: Option<u64>,
    pub batch: bool,
}

/// A call to the directory object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum DirectoryCall {
    /// A public room's entry, newer than what is stored unless `version` says otherwise.
    Upsert {
        room: RoomInfo,
        last_activity_ms: u64,
        version: DirectoryVersion,
    },
    /// The room went private or was deleted: a tombstone of `version`.
    Remove {
        name: String,
        version: DirectoryVersion,
    },
    /// Public rooms matching `q` (empty: all), most active first.
    List { q: String },
}

/// The directory's answer and the body of `GET /api/rooms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomList {
    pub rooms: Vec<RoomInfo>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn round_trip<T: Serialize + serde::de::DeserializeOwned>(call: &T) -> T {
        serde_json::from_str(&serde_json::to_string(call).unwrap()).unwrap()
    }

    #[test]
    fn account_calls_are_tagged_by_op_and_round_trip() {
        let call = AccountCall::Own {
            room: "general".into(),
            claim: true,
        };
        let text = serde_json::to_string(&call).unwrap();
        assert_eq!(text, r#"{"op":"own","room":"general","claim":true}"#);
        assert_eq!(round_trip(&call), call);
        let patch = AccountCall::EditProfile {
            patch: ProfilePatch {
                bio: Some(String::new()),
                ..ProfilePatch::default()
            },
        };
        // An absent field stays absent: the patch must not turn into a null.
        assert_eq!(
            serde_json::to_string(&patch).unwrap(),
            r#"{"op":"edit_profile","patch":{"bio":""}}"#
        );
        assert_eq!(round_trip(&patch), patch);
        assert_eq!(round_trip(&AccountCall::Rooms), AccountCall::Rooms);
    }

    #[test]
    fn a_call_with_a_stray_field_or_unknown_op_does_not_decode() {
        let stray = r#"{"op":"logout","sid":"s","extra":1}"#;
        assert!(serde_json::from_str::<AccountCall>(stray).is_err());
        let unknown = r#"{"op":"drop_tables"}"#;
        assert!(serde_json::from_str::<AccountCall>(unknown).is_err());
        let close = r#"{"op":"close_session","sid":"s","reason":"logged_out"}"#;
        let call: RoomCall = serde_json::from_str(close).unwrap();
        assert!(matches!(
            call,
            RoomCall::CloseSession {
                reason: CloseReason::LoggedOut,
                ..
            }
        ));
    }

    #[test]
    fn directory_calls_round_trip() {
        let call = DirectoryCall::Remove {
            name: "general".into(),
            version: DirectoryVersion {
                created_at: 5,
                seq: 9,
            },
        };
        let text = serde_json::to_string(&round_trip(&call)).unwrap();
        assert_eq!(
            text,
            r#"{"op":"remove","name":"general","version":{"created_at":5,"seq":9}}"#
        );
    }
}
