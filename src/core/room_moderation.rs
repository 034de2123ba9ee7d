//! The room's moderation commands: invite, kick, ban, unban and roles. The
//! permission to run one is checked by `handle_command` first; these add the
//! rules about the target (see `permissions::may_act_on`) and store the
//! `member` event with the new state.

use super::close_reason::CloseReason;
use super::error::{ApiError, ApiResult, ErrorCode};
use super::permissions::{self, ActorStatus};
use super::protocol::{MemberAction, MemberInfo, Role};
use super::room::{Effect, Room};
use super::room_api::{Answer, Reply};
use super::room_commands::not_a_member;
use super::store::RoomStore;
use super::validate;

impl Room {
    pub(super) fn invite(&mut self, store: &mut dyn RoomStore, username: &str) -> ApiResult<Reply> {
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
                Reply::no_content(Vec::new())
            }
            _ => Reply::no_content(Vec::new()),
        }
    }

    pub(super) fn kick(
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
        self.close_user(&target, CloseReason::Removed, &mut effects);
        effects.push(Effect::AccountRoomsChanged {
            username: target,
            added: false,
        });
        self.push_directory_if_public(&mut effects);
        Reply::no_content(effects)
    }

    pub(super) fn ban(
        &mut self,
        store: &mut dyn RoomStore,
        actor: ActorStatus,
        username: &str,
    ) -> ApiResult<Reply> {
        let target = validate::username(username)?;
        let target_status = self.state_ref()?.status_of(&target);
        permissions::may_act_on(actor, target_status)?;
        if target_status == ActorStatus::Banned {
            return Reply::no_content(Vec::new());
        }
        let event = self.member_event(&target, MemberAction::Banned, None)?;
        let mut next = self.state_ref()?.clone();
        next.members.remove(&target);
        next.invites.remove(&target);
        next.bans.insert(target.clone());
        let mut effects = self.commit_and_broadcast(store, next, event)?;
        self.close_user(&target, CloseReason::Banned, &mut effects);
        if target_status.is_member() {
            effects.push(Effect::AccountRoomsChanged {
                username: target,
                added: false,
            });
            self.push_directory_if_public(&mut effects);
        }
        Reply::no_content(effects)
    }

    pub(super) fn unban(&mut self, store: &mut dyn RoomStore, username: &str) -> ApiResult<Reply> {
        let target = validate::username(username)?;
        if !self.state_ref()?.bans.contains(&target) {
            return Reply::no_content(Vec::new());
        }
        let event = self.member_event(&target, MemberAction::Unbanned, None)?;
        let mut next = self.state_ref()?.clone();
        next.bans.remove(&target);
        let effects = self.commit_and_broadcast(store, next, event)?;
        Reply::no_content(effects)
    }

    pub(super) fn set_role(
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
        let member = MemberInfo {
            online: self.is_online(&target),
            username: target,
            role,
        };
        Reply::new(Answer::Member(member), effects)
    }
}
