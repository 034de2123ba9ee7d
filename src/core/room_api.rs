//! The room's HTTP side as types: the [`RoomCommand`]s the Worker sends a
//! room object (with the request bodies they carry) and the [`Reply`] the
//! room answers, whose [`Answer`] is one of the contract's status and body
//! shapes. The handlers are in `room_commands` and `room_moderation`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::attachment::{Attachment, Download, Upload};
use super::dm::{self, BlockMark};
use super::error::{ApiError, ApiResult, ErrorCode};
use super::protocol::{MemberInfo, Message, NotifyLevel, Role, RoomInfo, Visibility};
use super::room::Effect;
use super::search::Query;
use super::validate;

/// One HTTP request about a room, already parsed. `actor` (the signed-in
/// user) is passed next to it. The Worker sends it to the room object as
/// JSON tagged by `op` (inside `core::wire::RoomCall::Command`); a request body travels as
/// its own type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum RoomCommand {
    /// `POST /api/rooms`: 201 Room.
    Create(CreateRoomBody),
    /// `GET /api/rooms/{name}`: 200 Room plus `members`.
    Info,
    /// The caller's own entry for `GET /api/rooms`: 200 Room with `role`,
    /// `read_seq`, `unread`. Members only.
    Summary,
    /// `POST /api/dms`: 201 Room when the DM is created, 200 when it exists
    /// (reopened for the caller if they had closed it). Sent to the room
    /// named [`crate::core::dm::dm_name`] of the pair.
    OpenDm(OpenDmBody),
    /// `POST /api/rooms/{name}/join`: 200 Room.
    Join,
    /// `POST /api/rooms/{name}/leave`: 204.
    Leave,
    /// `GET /api/rooms/{name}/messages?before=&limit=`: 200 `{messages, has_more}`.
    /// `limit` is range-checked here (1-100, default 50).
    Messages {
        before: Option<u64>,
        limit: Option<i64>,
    },
    /// `GET /api/rooms/{name}/search?q=&before=&limit=`: 200
    /// `{messages, has_more}`, newest first. The Worker parsed `q` and
    /// `limit` (core::search); a global search sends this to every room.
    Search {
        query: Query,
        before: Option<u64>,
        limit: u32,
    },
    /// `PATCH /api/rooms/{name}`: 200 Room.
    Edit(EditRoomBody),
    /// `POST /api/rooms/{name}/invites`: 204.
    Invite(UsernameBody),
    /// `POST /api/rooms/{name}/kick`: 204.
    Kick(UsernameBody),
    /// `POST /api/rooms/{name}/bans`: 204.
    Ban(UsernameBody),
    /// `DELETE /api/rooms/{name}/bans/{username}`: 204.
    Unban { username: String },
    /// `PUT /api/rooms/{name}/members/{username}`: 200 `{username, role, online}`.
    SetRole { username: String, role: Role },
    /// `DELETE /api/rooms/{name}`: 204. The store is wiped by the call.
    Delete,
    /// Moves the caller's read marker forward (HTTP twin of the `read`
    /// frame): 204.
    MarkRead { seq: u64 },
    /// `PUT /api/rooms/{name}/notifications`: 200 `{"level"}`.
    SetNotify(NotifyBody),
    /// Before an upload's bytes are read: may the caller upload here now?
    /// Takes an upload token; 200 `{"prefix"}`, where the room's objects go.
    UploadCheck,
    /// `POST /api/rooms/{name}/attachments`, once the bytes are in R2:
    /// records the upload; 201 Attachment.
    RecordUpload(Upload),
    /// `GET /api/rooms/{name}/attachments/{id}`: where the bytes are and
    /// how to serve them; 200 [`Download`] (for the Worker, not a client).
    Download { id: String },
}

/// Body of `POST /api/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoomBody {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// What the Worker tells a DM room to open it: its name (a room object does
/// not know its own), the other person, and both accounts' current block
/// marks as the Worker just read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenDmBody {
    pub name: String,
    pub peer: String,
    pub marks: BTreeMap<String, BlockMark>,
}

/// Names no room may take, because a route occupies them
/// (`GET /api/rooms/directory`).
pub const RESERVED_ROOM_NAMES: [&str; 1] = ["directory"];

impl CreateRoomBody {
    /// The name to create: valid, and not one a route occupies (409
    /// `room_exists`, as for any name that is taken). Checked by the Worker
    /// before it claims the name or reaches the room.
    pub fn room_name(&self) -> ApiResult<String> {
        let name = validate::room_name(&self.name)?;
        if dm::is_dm_name(&name) {
            return Err(dm::reserved_name());
        }
        if RESERVED_ROOM_NAMES.contains(&name.as_str()) {
            return Err(ApiError::new(
                ErrorCode::RoomExists,
                format!("The name {name} is reserved."),
            ));
        }
        Ok(name)
    }
}

/// Whether a room's refusal of `Summary` means the caller is not (or no
/// longer) in it: deleted (`not_found`), removed or never let in
/// (`forbidden`), or banned. The account's room list then drops the room;
/// any other failure leaves the list alone.
pub fn means_not_a_member(err: &ApiError) -> bool {
    matches!(
        err.code,
        ErrorCode::NotFound | ErrorCode::Forbidden | ErrorCode::Banned
    )
}

/// Body of `PATCH /api/rooms/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditRoomBody {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// Body and answer of `PUT /api/rooms/{name}/notifications`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyBody {
    pub level: NotifyLevel,
}

/// Body of invite, kick and ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsernameBody {
    pub username: String,
}

/// Body of `PUT .../members/{username}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: Role,
}

/// `GET /api/rooms/{name}`'s body: the Room with its member list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomWithMembers {
    #[serde(flatten)]
    pub room: RoomInfo,
    pub members: Vec<MemberInfo>,
}

/// A page of history (ascending) or of search results (newest first):
/// `{messages, has_more}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

/// What an HTTP command answers: each variant is one status with one body
/// shape of the contract.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// 201 Room.
    Created(RoomInfo),
    /// 200 Room (join, edit, the caller's summary).
    Room(RoomInfo),
    /// 200 Room plus `members`.
    RoomWithMembers(RoomWithMembers),
    /// 200 `{messages, has_more}`.
    Messages(MessagePage),
    /// 200 `{username, role, online}`.
    Member(MemberInfo),
    /// 201 Attachment.
    Attachment(Attachment),
    /// 200 where a download's bytes are (internal, for the Worker).
    Download(Download),
    /// 200 `{"prefix"}`: an upload may go ahead, under this R2 prefix.
    UploadPrefix(String),
    /// 200 `{"level"}`.
    Notify(NotifyBody),
    /// 204.
    NoContent,
}

impl Answer {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Answer::Created(_) | Answer::Attachment(_) => 201,
            Answer::Room(_)
            | Answer::RoomWithMembers(_)
            | Answer::Messages(_)
            | Answer::Member(_)
            | Answer::Download(_)
            | Answer::UploadPrefix(_)
            | Answer::Notify(_) => 200,
            Answer::NoContent => 204,
        }
    }

    /// The JSON body; `None` for 204.
    pub fn body(&self) -> ApiResult<Option<Value>> {
        let value = match self {
            Answer::Created(room) | Answer::Room(room) => serde_json::to_value(room),
            Answer::RoomWithMembers(body) => serde_json::to_value(body),
            Answer::Messages(page) => serde_json::to_value(page),
            Answer::Member(member) => serde_json::to_value(member),
            Answer::Attachment(a) => serde_json::to_value(a),
            Answer::Download(d) => serde_json::to_value(d),
            Answer::UploadPrefix(prefix) => Ok(serde_json::json!({ "prefix": prefix })),
            Answer::Notify(body) => serde_json::to_value(body),
            Answer::NoContent => return Ok(None),
        };
        value.map(Some).map_err(|_| ApiError::internal())
    }
}

/// The answer to an HTTP command and the effects to carry out after the
/// transaction commits.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub answer: Answer,
    pub effects: Vec<Effect>,
}

impl Reply {
    pub(super) fn new(answer: Answer, effects: Vec<Effect>) -> ApiResult<Reply> {
        Ok(Reply { answer, effects })
    }

    /// A 204 with these effects.
    pub(super) fn no_content(effects: Vec<Effect>) -> ApiResult<Reply> {
        Reply::new(Answer::NoContent, effects)
    }

    /// The status, for tests and logs.
    pub fn status(&self) -> u16 {
        self.answer.status()
    }

    /// The body as JSON (a test's view of what the client gets).
    #[cfg(test)]
    pub fn json(&self) -> Value {
        self.answer.body().ok().flatten().unwrap_or(Value::Null)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::core::protocol::RoomKind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The JSON the Worker sends a room object for a command.
    #[test]
    fn commands_travel_as_json_tagged_by_op() {
        let cmd = RoomCommand::SetRole {
            username: "bob".into(),
            role: Role::Moderator,
        };
        let text = serde_json::to_string(&cmd).unwrap();
        assert_eq!(
            text,
            r#"{"op":"set_role","username":"bob","role":"moderator"}"#
        );
        assert_eq!(serde_json::from_str::<RoomCommand>(&text).unwrap(), cmd);
        assert_eq!(
            serde_json::from_str::<RoomCommand>(r#"{"op":"join"}"#).unwrap(),
            RoomCommand::Join
        );
        // An unknown op or field is refused, not ignored (serde cannot deny
        // extra fields on a variant without fields, like `join`; the Worker
        // never sends any).
        assert!(
            serde_json::from_str::<RoomCommand>(r#"{"op":"kick","username":"b","x":1}"#).is_err()
        );
        // A body travels flat beside the tag.
        let kick = RoomCommand::Kick(UsernameBody {
            username: "b".into(),
        });
        let text = serde_json::to_string(&kick).unwrap();
        assert_eq!(text, r#"{"op":"kick","username":"b"}"#);
        assert_eq!(serde_json::from_str::<RoomCommand>(&text).unwrap(), kick);
        assert!(serde_json::from_str::<RoomCommand>(r#"{"op":"explode"}"#).is_err());
    }

    #[test]
    fn answers_carry_the_contract_status_and_shape() {
        let room = RoomInfo {
            name: "general".into(),
            title: "General".into(),
            topic: String::new(),
            visibility: Visibility::Public,
            kind: RoomKind::Room,
            owner: Some("alice".into()),
            created_at: 1,
            member_count: 1,
            last_seq: 1,
            peer: None,
            role: None,
            read_seq: None,
            unread: None,
            mentions: None,
            notify: None,
        };
        assert_eq!(Answer::Created(room.clone()).status(), 201);
        assert_eq!(Answer::NoContent.status(), 204);
        assert_eq!(Answer::NoContent.body().unwrap(), None);
        let with = Answer::RoomWithMembers(RoomWithMembers {
            room,
            members: vec![MemberInfo {
                username: "alice".into(),
                role: Role::Owner,
                online: true,
            }],
        });
        let body = with.body().unwrap().unwrap();
        // Flat: the Room's fields and `members` side by side.
        assert_eq!(body["name"], "general");
        assert_eq!(body["members"][0]["role"], "owner");
        let page = Answer::Messages(MessagePage {
            messages: vec![],
            has_more: false,
        });
        assert_eq!(
            page.body().unwrap().unwrap(),
            serde_json::json!({"messages": [], "has_more": false})
        );
    }

    #[test]
    fn a_reserved_or_malformed_name_is_never_created() {
        let body = |name: &str| CreateRoomBody {
            name: name.into(),
            title: None,
            topic: None,
            visibility: None,
        };
        assert_eq!(body("general").room_name().unwrap(), "general");
        let reserved = body("directory").room_name().unwrap_err();
        assert_eq!(reserved.code, ErrorCode::RoomExists);
        assert!(reserved.message.contains("reserved"));
        assert_eq!(
            body("Bad Name").room_name().unwrap_err().code,
            ErrorCode::BadRequest
        );
        // A longer name that starts with a reserved one is fine.
        assert!(body("directory-2").room_name().is_ok());
    }

    #[test]
    fn only_refusals_of_membership_drop_a_room_from_an_account_list() {
        for code in [ErrorCode::NotFound, ErrorCode::Forbidden, ErrorCode::Banned] {
            assert!(means_not_a_member(&ApiError::new(code, "x")));
        }
        for code in [
            ErrorCode::Internal,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
        ] {
            assert!(!means_not_a_member(&ApiError::new(code, "x")));
        }
    }
}
