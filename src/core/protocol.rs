//! The room socket's wire format (contract sections 4-6) as typed frames.
//!
//! Everything a client may send is one [`ClientFrame`]; everything the server
//! sends is one [`ServerFrame`]. Both are serde enums tagged by `"type"`, so a
//! frame is recognised by its declared type, never by which keys happen to be
//! present. [`parse_client_frame`] is the only way raw socket text becomes a
//! command, and it turns every malformed frame into a `bad_request` with a
//! sentence a person can read.
//!
//! Unknown fields: every client frame variant refuses keys it does not know
//! (`deny_unknown_fields` on the enum applies to each struct variant; the
//! field-less frames `typing` and `ping` are written as empty struct variants
//! so that they refuse extra keys too). The contract rejects unknown request
//! fields, and a typo such as `"reply-to"` should fail loudly instead of
//! silently sending a message that is not a reply.
//!
//! The shapes here are also what the message table holds ([`Message`]) and
//! what HTTP answers carry ([`RoomInfo`], [`MemberInfo`]), so the socket and
//! HTTP can never disagree about a field name.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::attachment::Attachment;
use super::error::{ApiError, ApiResult};
use super::profile::Profile;

/// When a member is notified of a room's messages (contract section 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    All,
    Mentions,
    None,
}

/// A member's role in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Moderator,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Moderator => "moderator",
            Role::Member => "member",
        }
    }
}

/// Who can find and join a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

/// Whether a room is a chat room or a direct message between two people
/// (contract section 8). Stored rooms and listings from before DMs existed
/// are rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    #[default]
    Room,
    Dm,
}

/// One chat message as history and `message` events show it (contract section 5).
///
/// Edits, deletion and reactions are already applied: a deleted message is a
/// tombstone (`deleted: true`, `text: ""`, no reactions), and a reaction whose
/// user list became empty is absent from `reactions`. Users in a reaction list
/// are in the order they reacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub seq: u64,
    pub author: String,
    pub text: String,
    pub ts: u64,
    pub client_id: String,
    pub reply_to: Option<u64>,
    pub edited_at: Option<u64>,
    pub deleted: bool,
    pub reactions: BTreeMap<String, Vec<String>>,
    /// Files sent with the message (contract section 9); empty for messages
    /// stored before attachments existed, and for tombstones.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The members the text mentions, sorted (section 10; see
    /// [`super::mentions`]); empty for older messages and tombstones.
    #[serde(default)]
    pub mentions: Vec<String>,
}

#[cfg(test)]
impl Message {
    /// A plain live message for tests: `text` by `author`, no reply,
    /// reactions, files or mentions; `client_id` is `c{seq}`.
    pub fn sample(seq: u64, author: &str, text: &str, ts: u64) -> Message {
        Message {
            seq,
            author: author.into(),
            text: text.into(),
            ts,
            client_id: format!("c{seq}"),
            reply_to: None,
            edited_at: None,
            deleted: false,
            reactions: BTreeMap::new(),
            attachments: Vec::new(),
            mentions: Vec::new(),
        }
    }
}

/// The `Room` object of contract section 4. `role`, `read_seq` and `unread`
/// are filled only when the answer is about the caller's own membership
/// (their room list, the room they just joined or created, `ready`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub name: String,
    pub title: String,
    pub topic: String,
    pub visibility: Visibility,
    #[serde(default)]
    pub kind: RoomKind,
    /// `None` for a DM, which has no owner.
    pub owner: Option<String>,
    pub created_at: u64,
    pub member_count: u64,
    pub last_seq: u64,
    /// A DM's other participant, as seen by the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<u64>,
    /// Messages after `read_seq` that mention the caller (section 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<u64>,
    /// The caller's notification level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyLevel>,
}

/// One row of a room's member list: `{"username", "role", "online"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub username: String,
    pub role: Role,
    pub online: bool,
}

/// The `you` object of `ready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct You {
    pub username: String,
    pub role: Role,
}

/// What happened to a member in a `member` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberAction {
    Joined,
    Left,
    Kicked,
    Banned,
    Unbanned,
    Role,
}

/// A frame a client sends on the room socket (contract section 6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    Send {
        client_id: String,
        /// May be empty when the message carries attachments.
        #[serde(default)]
        text: String,
        #[serde(default)]
        reply_to: Option<u64>,
        /// Ids of the sender's unused uploads in this room (0-10).
        #[serde(default)]
        attachments: Vec<String>,
    },
    Edit {
        client_id: String,
        target: u64,
        text: String,
    },
    Delete {
        client_id: String,
        target: u64,
    },
    React {
        client_id: String,
        target: u64,
        emoji: String,
        add: bool,
    },
    /// An empty struct variant (not a unit variant) so extra keys are refused.
    Typing {},
    Read {
        seq: u64,
    },
    History {
        #[serde(default)]
        before: Option<u64>,
        /// Signed and unclamped so that `0`, `-1` and `101` reach the range
        /// check and get its message instead of a type error.
        #[serde(default)]
        limit: Option<i64>,
    },
    Ping {},
}

/// Every `type` a client may send, for the "unknown type" message.
const CLIENT_TYPES: &str = "send, edit, delete, react, typing, read, history, ping";

/// A frame the server sends on the room socket (contract section 6).
///
/// Durable events (`message`, `edit`, `delete`, `reaction`, `member`, `room`)
/// carry their `seq`; they are serialized once, stored with that exact text,
/// and the same text goes to every socket live and on resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Ready {
        room: RoomInfo,
        you: You,
        members: Vec<MemberInfo>,
        last_seq: u64,
        read_seq: u64,
        resumed: bool,
    },
    History {
        messages: Vec<Message>,
        has_more: bool,
    },
    Message(Message),
    Edit {
        seq: u64,
        target: u64,
        text: String,
        edited_at: u64,
        by: String,
        /// The edited text's mentions (section 10); empty in edits stored
        /// before mentions existed.
        #[serde(default)]
        mentions: Vec<String>,
    },
    Delete {
        seq: u64,
        target: u64,
        by: String,
    },
    Reaction {
        seq: u64,
        target: u64,
        emoji: String,
        user: String,
        added: bool,
    },
    Member {
        seq: u64,
        user: String,
        action: MemberAction,
        /// The role after the event; `null` (never omitted) when the user is
        /// no longer a member.
        role: Option<Role>,
    },
    Room {
        seq: u64,
        title: String,
        topic: String,
        visibility: Visibility,
    },
    Ack {
        client_id: String,
        seq: u64,
    },
    Typing {
        user: String,
    },
    Presence {
        user: String,
        online: bool,
    },
    Read {
        user: String,
        seq: u64,
    },
    Profile {
        user: String,
        profile: Profile,
    },
    Pong,
    /// An addition to the contract: the user's room list changed elsewhere
    /// (a DM was started with them or came back); fetch `GET /api/rooms`.
    RoomsChanged,
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// Only for sockets that connected with `batch=1`; see [`batch_text`].
    Batch {
        frames: Vec<serde_json::Value>,
    },
}

/// How every `message` frame begins: the tag, then exactly the fields of
/// [`Message`]. The room's SQLite store relies on it to file a new message's
/// row from the frame inside the database (see `store_schema`).
pub const MESSAGE_FRAME_PREFIX: &str = r#"{"type":"message","#;

/// A stored frame as v1.1 sends it: a `message` stored before attachments or
/// mentions existed gains `"attachments":[]` / `"mentions":[]`, an `edit`
/// gains `"mentions":[]`. (A key cannot hide inside a string value, whose
/// quotes are escaped, so the search is exact.)
pub fn replayed_frame(frame: String) -> String {
    let wants: &[&str] = if frame.starts_with(MESSAGE_FRAME_PREFIX) {
        &["attachments", "mentions"]
    } else if frame.starts_with(EDIT_FRAME_PREFIX) {
        &["mentions"]
    } else {
        return frame;
    };
    let missing: Vec<&str> = wants
        .iter()
        .copied()
        .filter(|key| !frame.contains(&format!("\"{key}\":")))
        .collect();
    if missing.is_empty() {
        return frame;
    }
    match frame.strip_suffix('}') {
        Some(body) => {
            let added: String = missing.iter().map(|k| format!(",\"{k}\":[]")).collect();
            format!("{body}{added}}}")
        }
        None => frame,
    }
}

/// How every `edit` event frame starts; the store indexes edits by it.
pub const EDIT_FRAME_PREFIX: &str = r#"{"type":"edit","#;

/// Sent if serialization of a frame ever failed (it cannot for these types:
/// every map key is a string and no type has a fallible `Serialize`).
const INTERNAL_ERROR_FRAME: &str = r#"{"type":"error","code":"internal","message":"Something went wrong on our side. Please try again."}"#;

impl ServerFrame {
    /// The frame's JSON text, ready to be stored and shared by every socket.
    pub fn encode(&self) -> ApiResult<Arc<str>> {
        serde_json::to_string(self)
            .map(Arc::from)
            .map_err(|_| ApiError::internal())
    }

    /// [`ServerFrame::encode`] for frames that are not stored: falls back to
    /// a generic `internal` error frame instead of failing.
    pub fn encode_lossy(&self) -> Arc<str> {
        self.encode()
            .unwrap_or_else(|_| Arc::from(INTERNAL_ERROR_FRAME))
    }

    /// The `error` frame for `err`, naming the `client_id` of the frame that
    /// caused it when there was one.
    pub fn error(err: &ApiError, client_id: Option<&str>) -> ServerFrame {
        ServerFrame::Error {
            code: err.code.as_str().to_string(),
            message: err.message.clone(),
            client_id: client_id.map(str::to_string),
            retry_after_ms: err.retry_after_ms,
        }
    }
}

/// Packs already-serialized frames into one `{"type":"batch","frames":[...]}`
/// by concatenating their texts, so each frame inside is byte-identical to
/// what the socket would otherwise have received alone. Only for sockets that
/// connected with `batch=1`.
pub fn batch_text(frames: &[Arc<str>]) -> String {
    let len: usize = frames.iter().map(|f| f.len() + 1).sum();
    let mut out = String::with_capacity(len + 32);
    out.push_str(r#"{"type":"batch","frames":["#);
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(f);
    }
    out.push_str("]}");
    out
}

/// Parses one socket text frame. Every failure is `bad_request` with a
/// sentence: not JSON, not an object, no or unknown `type`, a missing or
/// unknown field, or a field of the wrong type or range.
pub fn parse_client_frame(raw: &str) -> ApiResult<ClientFrame> {
    match serde_json::from_str::<ClientFrame>(raw) {
        Ok(frame) => Ok(frame),
        Err(err) => Err(explain(raw, &err)),
    }
}

/// The `client_id` of a frame, if it has a string one, even when the frame is
/// otherwise malformed, so the error can name the change it refuses.
pub fn client_id_of(raw: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(raw).ok()?;
    value.get("client_id")?.as_str().map(str::to_string)
}

/// Turns a serde failure into a message about the frame the client sent.
fn explain(raw: &str, err: &serde_json::Error) -> ApiError {
    let value: serde_json::Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(_) => {
            return ApiError::bad_request(
                "A frame must be a JSON object; this one is not valid JSON.",
            )
        }
    };
    let Some(obj) = value.as_object() else {
        return ApiError::bad_request("A frame must be a JSON object with a \"type\".");
    };
    let kind = match obj.get("type") {
        None => return ApiError::bad_request("A frame needs a \"type\"."),
        Some(serde_json::Value::String(s)) => s.as_str(),
        Some(_) => return ApiError::bad_request("A frame's \"type\" must be a string."),
    };
    if !CLIENT_TYPES.split(", ").any(|t| t == kind) {
        return ApiError::bad_request(format!(
            "Unknown frame type {kind:?}; expected one of: {CLIENT_TYPES}."
        ));
    }
    ApiError::bad_request(format!(
        "Bad {kind:?} frame: {}.",
        without_position(&err.to_string())
    ))
}

/// serde_json appends " at line L column C"; a one-line frame does not need it.
fn without_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg),
        None => msg,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "protocol_tests.rs"]
mod tests;
