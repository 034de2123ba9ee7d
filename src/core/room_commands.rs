//! The room's HTTP side (contract section 4): create, info, join, leave,
//! messages, edit, invite, kick, ban, unban, roles, delete.
//!
//! The router parses the request into a [`RoomCommand`] (bodies with the
//! `*Body` types below through `json::parse_json`, usernames from the path as
//! given) and the Durable Object calls [`Room::handle_command`] inside one
//! storage transaction, rolling it back on error. Every membership change
//! stores its `member` event (and the new state) before the call returns, so
//! the event's `seq` precedes anything the caller does next.
//!
//! Decisions where the contract is silent:
//! - Creating a room stores `member joined` for the owner as `seq` 1.
//! - Changes that change nothing answer success without an event: joining a
//!   room one is in, banning the banned, unbanning the unbanned, inviting a
//!   member or an invitee, setting the role a member already has, a `PATCH`
//!   that repeats the current values.
//! - Inviting a banned user is `conflict` (unban first). An invitation is not
//!   an event (the contract has no `invited` action); it is state only.
//! - Kicking a non-member is `not_found`; banning one is allowed (a ban may
//!   come before the person ever joins) and stored as `member banned`.
//! - A new member's read marker starts at their `joined` event: joining shows
//!   history but nothing unread.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::directory::DirectoryVersion;
use super::error::{ApiError, ApiResult, ErrorCode};
use super::permissions::{self, Action, ActorStatus};
use super::protocol::{MemberAction, MemberInfo, Role, RoomInfo, ServerFrame, Visibility};
use super::room::{close_code, Effect, Reply, Room};
use super::room_state::{Member, RoomState};
use super::store::{RoomStore, StoredEvent};
use super::validate;

/// One HTTP request about a room, already parsed. `actor` (the signed-in
/// user) is passed next to it. The Worker sends it to the room object as
/// JSON tagged by `op` (see `platform::room_wire`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum RoomCommand {
    /// `POST /api/rooms`: 201 Room.
    Create {
        name: String,
        title: Option<String>,
        topic: Option<String>,
        visibility: Option<Visibility>,
    },
    /// `GET /api/rooms/{name}`: 200 Room plus `members`.
    Info,
    /// The caller's own entry for `GET /api/rooms`: 200 Room with `role`,
    /// `read_seq`, `unread`. Members only.
    Summary,
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
    /// `PATCH /api/rooms/{name}`: 200 Room.
    Edit {
        title: Option<String>,
        topic: Option<String>,
        visibility: Option<Visibility>,
    },
    /// `POST /api/rooms/{name}/invites`: 204.
    Invite { username: String },
    /// `POST /api/rooms/{name}/kick`: 204.
    Kick { username: String },
    /// `POST /api/rooms/{name}/bans`: 204.
    Ban { username: String },
    /// `DELETE /api/rooms/{name}/bans/{username}`: 204.
    Unban { username: String },
    /// `PUT /api/rooms/{name}/members/{username}`: 200 `{username, role, online}`.
    SetRole { username: String, role: Role },
    /// `DELETE /api/rooms/{name}`: 204. The store is wiped by the call.
    Delete,
    /// Moves the caller's read marker forward (HTTP twin of the `read`
    /// frame): 204.
    MarkRead { seq: u64 },
}

/// Body of `POST /api/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

/// Body of `PATCH /api/rooms/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditRoomBody {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// Body of invite, kick and ban.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsernameBody {
    pub username: String,
}

/// Body of `PUT .../members/{username}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: Role,
}

fn ok(status: u16, body: Option<Value>, effects: Vec<Effect>) -> ApiResult<Reply> {
    Ok(Reply {
        status,
        body,
        effects,
    })
}

fn no_content(effects: Vec<Effect>) -> ApiResult<Reply> {
    ok(204, None, effects)
}

fn to_value<T: serde::Serialize>(v: &T) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(|_| ApiError::internal())
}

fn not_a_member(username: &str) -> ApiError {
    ApiError::not_found(format!("{username} is not a member of this room."))
}

impl Room {
    /// Carries out one HTTP command for `actor`. On error nothing changed in
    /// memory; the Durable Object rolls back the transaction it wrapped the
    /// call in. On success, carry out `effects` in order after committing.
    pub fn handle_command(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        cmd: RoomCommand,
        now_ms: u64,
    ) -> ApiResult<Reply> {
        if let RoomCommand::Create {
            name,
            title,
            topic,
            visibility,
        } = cmd
        {
            return self.create(store, actor, name, title, topic, visibility, now_ms);
        }
        let state = self.state_ref()?;
        let status = state.status_of(actor);
        let visibility = state.visibility;
        let allow = |action| permissions::allowed(action, status, visibility);
        match cmd {
            RoomCommand::Create { .. } => Err(ApiError::internal()),
            RoomCommand::Info => {
                allow(Action::ViewInfo)?;
                let mut body = to_value(&self.own_info(store, actor)?)?;
                let members = state.member_list(|u| self.is_online(u));
                if let Some(obj) = body.as_object_mut() {
                    obj.insert("members".into(), to_value(&members)?);
                }
                ok(200, Some(body), Vec::new())
            }
            RoomCommand::Summary => {
                allow(Action::Read)?;
                ok(
                    200,
                    Some(to_value(&self.own_info(store, actor)?)?),
                    Vec::new(),
                )
            }
            RoomCommand::Join => {
                allow(Action::Join)?;
                self.join(store, actor, status, now_ms)
            }
            RoomCommand::Leave => {
                allow(Action::Leave)?;
                self.leave(store, actor, status)
            }
            RoomCommand::Messages { before, limit } => {
                allow(Action::Read)?;
                let limit = validate::history_limit(limit)?;
                let (messages, has_more) = store.history(before, limit)?;
                let body = json!({ "messages": to_value(&messages)?, "has_more": has_more });
                ok(200, Some(body), Vec::new())
            }
            RoomCommand::Edit {
                title,
                topic,
                visibility,
            } => {
                allow(Action::EditRoom)?;
                self.edit(store, actor, title, topic, visibility)
            }
            RoomCommand::Invite { username } => {
                allow(Action::Invite)?;
                self.invite(store, &username)
            }
            RoomCommand::Kick { username } => {
                allow(Action::Moderate)?;
                self.kick(store, status, &username)
            }
            RoomCommand::Ban { username } => {
                allow(Action::Moderate)?;
                self.ban(store, status, &username)
            }
            RoomCommand::Unban { username } => {
                allow(Action::Moderate)?;
                self.unban(store, &username)
            }
            RoomCommand::SetRole { username, role } => {
                allow(Action::SetRole)?;
                self.set_role(store, &username, role)
            }
            RoomCommand::Delete => {
                allow(Action::DeleteRoom)?;
                self.delete_room(store)
            }
            RoomCommand::MarkRead { seq } => {
                allow(Action::Read)?;
                let effects = self.mark_read(store, actor, seq)?;
                no_content(effects)
            }
        }
    }

    /// The `Room` object, with `role`, `read_seq` and `unread` when `user` is a member.
    pub fn own_info(&self, store: &dyn RoomStore, user: &str) -> ApiResult<RoomInfo> {
        let state = self.state_ref()?;
        let mut info = state.info();
        if let Some(m) = state.members.get(user) {
            info.role = Some(m.role);
            info.read_seq = Some(m.read_seq);
            info.unread = Some(store.count_unread(m.read_seq, user)?);
        }
        Ok(info)
    }

    /// A `member` event with the next `seq`.
    fn member_event(
        &self,
        user: &str,
        action: MemberAction,
        role: Option<Role>,
    ) -> ApiResult<StoredEvent> {
        let seq = self.next_seq()?;
        let frame = ServerFrame::Member {
            seq,
            user: user.to_string(),
            action,
            role,
        }
        .encode()?;
        Ok(StoredEvent {
            seq,
            frame,
            change: None,
            message: None,
        })
    }

    /// Commits `next` with `event`, and answers with the event's broadcast.
    fn commit_and_broadcast(
        &mut self,
        store: &mut dyn RoomStore,
        mut next: RoomState,
        event: StoredEvent,
    ) -> ApiResult<Vec<Effect>> {
        next.last_seq = event.seq;
        self.commit(store, next, Some(&event))?;
        Ok(vec![Effect::Broadcast {
            frame: event.frame,
            except: None,
        }])
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        store: &mut dyn RoomStore,
        owner: &str,
        name: String,
        title: Option<String>,
        topic: Option<String>,
        visibility: Option<Visibility>,
        now_ms: u64,
    ) -> ApiResult<Reply> {
        let name = validate::room_name(&name)?;
        if self.state.is_some() {
            return Err(ApiError::new(
                ErrorCode::RoomExists,
                format!("A room named {name} already exists."),
            ));
        }
        let title = match title {
            Some(t) => validate::room_title(&t)?,
            None => name.clone(),
        };
        let topic = match topic {
            Some(t) => validate::topic(&t)?,
            None => String::new(),
        };
        let visibility = visibility.unwrap_or_default();
        // Strictly after a predecessor deleted moments ago, so this room's
        // directory versions are above that room's removal.
        let created_at = match self.retired_created_at {
            Some(t) => now_ms.max(t.saturating_add(1)),
            None => now_ms,
        };
        let mut state = RoomState::new(
            name,
            owner.to_string(),
            title,
            topic,
            visibility,
            created_at,
        );
        let seq = 1;
        state.last_seq = seq;
        if let Some(m) = state.members.get_mut(owner) {
            m.read_seq = seq;
        }
        let frame = ServerFrame::Member {
            seq,
            user: owner.to_string(),
            action: MemberAction::Joined,
            role: Some(Role::Owner),
        }
        .encode()?;
        let event = StoredEvent {
            seq,
            frame,
            change: None,
            message: None,
        };
        store.append(&event)?;
        store.save_state(&state)?;
        // Whatever a previous room of this name left in memory is gone.
        let retired = self.retired_created_at;
        *self = Room::new(self.rates);
        self.retired_created_at = retired;
        self.state = Some(state);
        let mut effects = vec![Effect::AccountRoomsChanged {
            username: owner.to_string(),
            added: true,
        }];
        if visibility == Visibility::Public {
            effects.push(self.directory_changed());
        }
        let body = to_value(&self.own_info(store, owner)?)?;
        ok(201, Some(body), effects)
    }

    fn join(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        status: ActorStatus,
        now_ms: u64,
    ) -> ApiResult<Reply> {
        if !status.is_member() {
            let event = self.member_event(actor, MemberAction::Joined, Some(Role::Member))?;
            let mut next = self.state_ref()?.clone();
            next.invites.remove(actor);
            next.members.insert(
                actor.to_string(),
                Member {
                    role: Role::Member,
                    read_seq: event.seq,
                    joined_at: now_ms,
                },
            );
            let mut effects = self.commit_and_broadcast(store, next, event)?;
            effects.push(Effect::AccountRoomsChanged {
                username: actor.to_string(),
                added: true,
            });
            self.push_directory_if_public(&mut effects);
            let body = to_value(&self.own_info(store, actor)?)?;
            return ok(200, Some(body), effects);
        }
        let body = to_value(&self.own_info(store, actor)?)?;
        ok(200, Some(body), Vec::new())
    }

    fn leave(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        status: ActorStatus,
    ) -> ApiResult<Reply> {
        let mut next = self.state_ref()?.clone();
        if status == ActorStatus::Invited {
            // Declining an invitation: state only, nobody is told.
            next.invites.remove(actor);
            self.commit(store, next, None)?;
            return no_content(Vec::new());
        }
        let event = self.member_event(actor, MemberAction::Left, None)?;
        next.members.remove(actor);
        let mut effects = self.commit_and_broadcast(store, next, event)?;
        self.close_user(actor, close_code::LEFT, "left the room", &mut effects);
        effects.push(Effect::AccountRoomsChanged {
            username: actor.to_string(),
            added: false,
        });
        self.push_directory_if_public(&mut effects);
        no_content(effects)
    }

    fn edit(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        title: Option<String>,
        topic: Option<String>,
        visibility: Option<Visibility>,
    ) -> ApiResult<Reply> {
        let current = self.state_ref()?;
        let mut next = current.clone();
        if let Some(t) = title {
            next.title = validate::room_title(&t)?;
        }
        if let Some(t) = topic {
            next.topic = validate::topic(&t)?;
        }
        if let Some(v) = visibility {
            next.visibility = v;
        }
        let changed = next.title != current.title
            || next.topic != current.topic
            || next.visibility != current.visibility;
        let was_public = current.visibility == Visibility::Public;
        let mut effects = Vec::new();
        if changed {
            let seq = self.next_seq()?;
            let frame = ServerFrame::Room {
                seq,
                title: next.title.clone(),
                topic: next.topic.clone(),
                visibility: next.visibility,
            }
            .encode()?;
            let event = StoredEvent {
                seq,
                frame,
                change: None,
                message: None,
            };
            let is_public = next.visibility == Visibility::Public;
            effects = self.commit_and_broadcast(store, next, event)?;
            if was_public || is_public {
                effects.push(self.directory_changed());
            }
        }
        let body = to_value(&self.own_info(store, actor)?)?;
        ok(200, Some(body), effects)
    }

    fn invite(&mut self, store: &mut dyn RoomStore, username: &str) -> ApiResult<Reply> {
        let target = validate::username(username)?;
        let mut next = self.state_ref()?.clone();
        match next.status_of(&target) {
            ActorStatus::Banned => Err(ApiError::new(
                ErrorCode::Conflict,
                format!("{target} is banned from this room; unban them first."),
            )),
            ActorStatus::Stranger => {
                next.invites.insert(target);
                self.commit(store, next, None)?;
                no_content(Vec::new())
            }
            _ => no_content(Vec::new()),
        }
    }

    fn kick(
        &mut self,
        store: &mut dyn RoomStore,
        actor: ActorStatus,
        username: &str,
    ) -> ApiResult<Reply> {
        let target = validate::username(username)?;
        let target_status = self.state_ref()?.status_of(&target);
        if !target_status.is_member() {
            return Err(not_a_member(&target));
        }
        permissions::may_act_on(actor, target_status)?;
        let event = self.member_event(&target, MemberAction::Kicked, None)?;
        let mut next = self.state_ref()?.clone();
        next.members.remove(&target);
        let mut effects = self.commit_and_broadcast(store, next, event)?;
        self.close_user(
            &target,
            close_code::REMOVED,
            "removed from the room",
            &mut effects,
        );
        effects.push(Effect::AccountRoomsChanged {
            username: target,
            added: false,
        });
        self.push_directory_if_public(&mut effects);
        no_content(effects)
    }

    fn ban(
        &mut self,
        store: &mut dyn RoomStore,
        actor: ActorStatus,
        username: &str,
    ) -> ApiResult<Reply> {
        let target = validate::username(username)?;
        let target_status = self.state_ref()?.status_of(&target);
        permissions::may_act_on(actor, target_status)?;
        if target_status == ActorStatus::Banned {
            return no_content(Vec::new());
        }
        let event = self.member_event(&target, MemberAction::Banned, None)?;
        let mut next = self.state_ref()?.clone();
        next.members.remove(&target);
        next.invites.remove(&target);
        next.bans.insert(target.clone());
        let mut effects = self.commit_and_broadcast(store, next, event)?;
        self.close_user(
            &target,
            close_code::REMOVED,
            "banned from the room",
            &mut effects,
        );
        if target_status.is_member() {
            effects.push(Effect::AccountRoomsChanged {
                username: target,
                added: false,
            });
            self.push_directory_if_public(&mut effects);
        }
        no_content(effects)
    }

    fn unban(&mut self, store: &mut dyn RoomStore, username: &str) -> ApiResult<Reply> {
        let target = validate::username(username)?;
        if !self.state_ref()?.bans.contains(&target) {
            return no_content(Vec::new());
        }
        let event = self.member_event(&target, MemberAction::Unbanned, None)?;
        let mut next = self.state_ref()?.clone();
        next.bans.remove(&target);
        let effects = self.commit_and_broadcast(store, next, event)?;
        no_content(effects)
    }

    fn set_role(
        &mut self,
        store: &mut dyn RoomStore,
        username: &str,
        role: Role,
    ) -> ApiResult<Reply> {
        if role == Role::Owner {
            return Err(ApiError::bad_request(
                "role is \"moderator\" or \"member\"; a room has exactly one owner.",
            ));
        }
        let target = validate::username(username)?;
        let current = self
            .state_ref()?
            .role_of(&target)
            .ok_or_else(|| not_a_member(&target))?;
        if current == Role::Owner {
            return Err(ApiError::forbidden("The owner's role cannot change."));
        }
        let mut effects = Vec::new();
        if current != role {
            let event = self.member_event(&target, MemberAction::Role, Some(role))?;
            let mut next = self.state_ref()?.clone();
            if let Some(m) = next.members.get_mut(&target) {
                m.role = role;
            }
            effects = self.commit_and_broadcast(store, next, event)?;
        }
        let body = to_value(&MemberInfo {
            online: self.is_online(&target),
            username: target,
            role,
        })?;
        ok(200, Some(body), effects)
    }

    fn delete_room(&mut self, store: &mut dyn RoomStore) -> ApiResult<Reply> {
        let state = self.state_ref()?.clone();
        store.wipe()?;
        let mut effects = Vec::new();
        self.close_all(close_code::ROOM_DELETED, "room deleted", &mut effects);
        for username in state.members.into_keys() {
            effects.push(Effect::AccountRoomsChanged {
                username,
                added: false,
            });
        }
        let was_public = state.visibility == Visibility::Public;
        *self = Room::new(self.rates);
        self.retired_created_at = Some(state.created_at);
        if was_public {
            // One past the last event: nothing of this room can be newer.
            effects.push(Effect::DirectoryChanged {
                version: DirectoryVersion {
                    created_at: state.created_at,
                    seq: state.last_seq.saturating_add(1),
                },
                listing: None,
            });
        }
        no_content(effects)
    }

    fn push_directory_if_public(&mut self, effects: &mut Vec<Effect>) {
        if self.listing().is_some() {
            effects.push(self.directory_changed());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
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
        assert!(serde_json::from_str::<RoomCommand>(r#"{"op":"explode"}"#).is_err());
    }
}
