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

use super::attachment::room_prefix;
use super::close_reason::CloseReason;
use super::directory::DirectoryVersion;
use super::error::{ApiError, ApiResult, ErrorCode};
use super::permissions::{self, Action, ActorStatus};
use super::protocol::{MemberAction, NotifyLevel, Role, RoomInfo, ServerFrame, Visibility};
use super::room::{Effect, Room};
use super::room_api::{
    Answer, CreateRoomBody, EditRoomBody, MessagePage, NotifyBody, Reply, RoomCommand,
    RoomWithMembers,
};
use super::room_dm::DmCommand;
use super::room_state::{Member, RoomState};
use super::search;
use super::store::{RoomStore, StoredEvent};
use super::validate;

pub(super) fn not_a_member(username: &str) -> ApiError {
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
        let cmd = match cmd {
            RoomCommand::Create(body) => return self.create(store, actor, body, now_ms),
            RoomCommand::OpenDm(body) => return self.open_dm(store, actor, body, now_ms),
            cmd => cmd,
        };
        let state = self.state_ref()?;
        let status = state.status_of(actor);
        let cmd = if state.is_dm() {
            match self.dm_command(store, actor, status, cmd)? {
                DmCommand::Done(reply) => return Ok(reply),
                DmCommand::AsInRooms(cmd) => cmd,
            }
        } else {
            cmd
        };
        let state = self.state_ref()?;
        let visibility = state.visibility;
        let allow = |action| permissions::allowed(action, status, visibility);
        match cmd {
            RoomCommand::Create(_) | RoomCommand::OpenDm(_) => Err(ApiError::internal()),
            RoomCommand::Info => {
                allow(Action::ViewInfo)?;
                let body = RoomWithMembers {
                    room: self.own_info(store, actor)?,
                    members: state.member_list(|u| self.is_online(u)),
                };
                Reply::new(Answer::RoomWithMembers(body), Vec::new())
            }
            RoomCommand::Summary => {
                allow(Action::Read)?;
                Reply::new(Answer::Room(self.own_info(store, actor)?), Vec::new())
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
                let page = MessagePage { messages, has_more };
                Reply::new(Answer::Messages(page), Vec::new())
            }
            RoomCommand::Search {
                query,
                before,
                limit,
            } => {
                allow(Action::Read)?;
                if query.words.is_empty() {
                    return Err(ApiError::bad_request("Search for at least one word."));
                }
                let limit = limit.clamp(1, search::LIMIT_MAX);
                let (messages, has_more) = store.search(&query, before, limit)?;
                let page = MessagePage { messages, has_more };
                Reply::new(Answer::Messages(page), Vec::new())
            }
            RoomCommand::Edit(body) => {
                allow(Action::EditRoom)?;
                self.edit(store, actor, body)
            }
            RoomCommand::Invite(body) => {
                allow(Action::Invite)?;
                self.invite(store, &body.username)
            }
            RoomCommand::Kick(body) => {
                allow(Action::Moderate)?;
                self.kick(store, status, &body.username)
            }
            RoomCommand::Ban(body) => {
                allow(Action::Moderate)?;
                self.ban(store, status, &body.username)
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
            RoomCommand::SetNotify(NotifyBody { level }) => {
                allow(Action::Read)?;
                self.set_notify(store, actor, level)
            }
            RoomCommand::UploadCheck => {
                allow(Action::Post)?;
                self.upload_check(actor, now_ms)
            }
            RoomCommand::RecordUpload(upload) => {
                allow(Action::Post)?;
                self.record_upload(store, actor, upload, now_ms)
            }
            RoomCommand::Download { id } => {
                allow(Action::Read)?;
                self.download(store, actor, &id)
            }
            RoomCommand::MarkRead { seq } => {
                allow(Action::Read)?;
                let effects = self.mark_read(store, actor, seq)?;
                Reply::no_content(effects)
            }
        }
    }

    /// Sets `actor`'s notification level (state only: nobody is told).
    fn set_notify(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        level: NotifyLevel,
    ) -> ApiResult<Reply> {
        let mut next = self.state_ref()?.clone();
        if let Some(m) = next.members.get_mut(actor) {
            if m.notify != Some(level) {
                m.notify = Some(level);
                self.commit(store, next, None)?;
            }
        }
        Reply::new(Answer::Notify(NotifyBody { level }), Vec::new())
    }

    /// The `Room` object, with `role`, `read_seq`, `unread`, `mentions` and
    /// `notify` when `user` is a member.
    pub fn own_info(&self, store: &dyn RoomStore, user: &str) -> ApiResult<RoomInfo> {
        let state = self.state_ref()?;
        let mut info = state.info();
        if let Some(m) = state.members.get(user) {
            info.role = Some(m.role);
            info.read_seq = Some(m.read_seq);
            info.unread = Some(store.count_unread(m.read_seq, user)?);
            info.mentions = Some(store.count_mentions(m.read_seq, user)?);
            info.notify = Some(state.notify_of(user));
            info.peer = state.peer_of(user).map(str::to_string);
        }
        Ok(info)
    }

    /// A `member` event with the next `seq`.
    pub(super) fn member_event(
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
    pub(super) fn commit_and_broadcast(
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

    fn create(
        &mut self,
        store: &mut dyn RoomStore,
        owner: &str,
        body: CreateRoomBody,
        now_ms: u64,
    ) -> ApiResult<Reply> {
        let CreateRoomBody {
            name,
            title,
            topic,
            visibility,
        } = body;
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
        Reply::new(Answer::Created(self.own_info(store, owner)?), effects)
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
                    notify: None,
                },
            );
            let mut effects = self.commit_and_broadcast(store, next, event)?;
            effects.push(Effect::AccountRoomsChanged {
                username: actor.to_string(),
                added: true,
            });
            self.push_directory_if_public(&mut effects);
            return Reply::new(Answer::Room(self.own_info(store, actor)?), effects);
        }
        Reply::new(Answer::Room(self.own_info(store, actor)?), Vec::new())
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
            return Reply::no_content(Vec::new());
        }
        let event = self.member_event(actor, MemberAction::Left, None)?;
        next.members.remove(actor);
        let mut effects = self.commit_and_broadcast(store, next, event)?;
        self.close_user(actor, CloseReason::Left, &mut effects);
        effects.push(Effect::AccountRoomsChanged {
            username: actor.to_string(),
            added: false,
        });
        self.push_directory_if_public(&mut effects);
        Reply::no_content(effects)
    }

    fn edit(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        body: EditRoomBody,
    ) -> ApiResult<Reply> {
        let EditRoomBody {
            title,
            topic,
            visibility,
        } = body;
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
        Reply::new(Answer::Room(self.own_info(store, actor)?), effects)
    }

    fn delete_room(&mut self, store: &mut dyn RoomStore) -> ApiResult<Reply> {
        let state = self.state_ref()?.clone();
        store.wipe()?;
        let mut effects = Vec::new();
        self.close_all(CloseReason::RoomDeleted, &mut effects);
        for username in state.members.into_keys() {
            effects.push(Effect::AccountRoomsChanged {
                username,
                added: false,
            });
        }
        effects.push(Effect::DeletePrefix {
            prefix: room_prefix(&state.name, state.created_at),
        });
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
        Reply::no_content(effects)
    }

    pub(super) fn push_directory_if_public(&mut self, effects: &mut Vec<Effect>) {
        if self.listing().is_some() {
            effects.push(self.directory_changed());
        }
    }
}
