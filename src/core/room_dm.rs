//! The room state machine's DM side (contract section 8): opening a DM,
//! closing it, the block marks, and the commands a DM answers differently
//! from a room. The rules themselves are in [`super::dm`].
//!
//! Decisions where the contract is silent:
//! - A new DM has no events: `seq` 1 is its first message (there is nobody
//!   to tell that two people "joined").
//! - Closing a DM is private to the closer: no `member` event, the other
//!   person is not told. Any message reopens it for both (so also one the
//!   closer sends from another device); so does `POST /api/dms` or a join by
//!   the closer.
//! - While a block holds, `send`, `edit` and `react` are refused with
//!   `blocked` (all three put words in front of the other person); deleting
//!   one's own message is allowed, and `typing` is not passed on.

use super::close_reason::CloseReason;
use super::dm::{self, BlockMark};
use super::error::{ApiError, ApiResult};
use super::permissions::{self, Action, ActorStatus};
use super::room::{Effect, Room};
use super::room_api::{Answer, OpenDmBody, Reply, RoomCommand};
use super::room_state::RoomState;
use super::store::RoomStore;

/// What [`Room::dm_command`] made of a command on a DM.
pub(super) enum DmCommand {
    /// Answered here.
    Done(Reply),
    /// A command a DM answers as any room does.
    AsInRooms(RoomCommand),
}

impl Room {
    /// `POST /api/dms`, in the pair's room: creates the DM (201) or finds it
    /// (200, reopened for the caller), unless a block holds (`blocked`).
    pub(super) fn open_dm(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        body: OpenDmBody,
        now_ms: u64,
    ) -> ApiResult<Reply> {
        let OpenDmBody { name, peer, marks } = body;
        let peer = dm::other_person(actor, &peer)?;
        if name != dm::dm_name(actor, &peer) {
            // Only the Worker sends this, and it derives the name.
            return Err(ApiError::internal());
        }
        for (blocker, mark) in marks {
            if blocker == actor || blocker == peer {
                self.set_block(store, &blocker, mark)?;
            }
        }
        if self.blocked_between(actor, &peer) {
            return Err(dm::blocked());
        }
        match &self.state {
            None => {
                let state = RoomState::new_dm(name, actor, &peer, now_ms);
                self.commit(store, state, None)?;
                Reply::new(Answer::Created(self.own_info(store, actor)?), Vec::new())
            }
            Some(state) if state.is_dm() && state.members.contains_key(actor) => {
                self.reopen_for(store, actor)?;
                Reply::new(Answer::Room(self.own_info(store, actor)?), Vec::new())
            }
            // A room from before DM names were reserved, or a corrupt pair.
            Some(_) => Err(ApiError::internal()),
        }
    }

    /// A command on a DM: closing, reopening and listing differ from a
    /// room's, administration is refused, the rest is as in rooms.
    pub(super) fn dm_command(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        status: ActorStatus,
        cmd: RoomCommand,
    ) -> ApiResult<DmCommand> {
        // Nobody but the pair may know it exists.
        permissions::allowed(Action::ViewInfo, status, self.state_ref()?.visibility)?;
        let reply = match cmd {
            RoomCommand::Leave => {
                self.close_for(store, actor)?;
                let mut effects = Vec::new();
                self.close_user(actor, CloseReason::Left, &mut effects);
                Reply::no_content(effects)?
            }
            RoomCommand::Join => {
                self.reopen_for(store, actor)?;
                Reply::new(Answer::Room(self.own_info(store, actor)?), Vec::new())?
            }
            RoomCommand::Summary if self.state_ref()?.closed.contains(actor) => {
                Reply::no_content(Vec::new())?
            }
            RoomCommand::Edit(_)
            | RoomCommand::Delete
            | RoomCommand::Invite(_)
            | RoomCommand::Kick(_)
            | RoomCommand::Ban(_)
            | RoomCommand::Unban { .. }
            | RoomCommand::SetRole { .. } => return Err(dm::no_administration()),
            cmd => return Ok(DmCommand::AsInRooms(cmd)),
        };
        Ok(DmCommand::Done(reply))
    }

    /// Records `blocker`'s mark unless the room holds a newer one. Marks are
    /// kept whether or not the DM exists yet.
    pub fn set_block(
        &mut self,
        store: &mut dyn RoomStore,
        blocker: &str,
        mark: BlockMark,
    ) -> ApiResult<()> {
        if mark.supersedes(self.blocks.get(blocker)) {
            store.save_block_mark(blocker, &mark)?;
            self.blocks.insert(blocker.to_string(), mark);
        }
        Ok(())
    }

    fn blocked_between(&self, a: &str, b: &str) -> bool {
        [a, b]
            .iter()
            .any(|u| self.blocks.get(*u).is_some_and(|m| m.blocked))
    }

    /// Whether this is a DM in which either person blocks the other.
    pub(super) fn dm_blocked(&self) -> bool {
        let Some(state) = self.state.as_ref().filter(|s| s.is_dm()) else {
            return false;
        };
        let mut pair = state.members.keys();
        match (pair.next(), pair.next()) {
            (Some(a), Some(b)) => self.blocked_between(a, b),
            _ => false,
        }
    }

    /// `blocked` for a change in a DM while a block holds.
    pub(super) fn refuse_if_blocked(&self) -> ApiResult<()> {
        if self.dm_blocked() {
            Err(dm::blocked())
        } else {
            Ok(())
        }
    }

    /// After a message in a DM: whoever had closed it sees it again (and is
    /// nudged, so it shows at once).
    pub(super) fn reopen_after_message(
        &mut self,
        store: &mut dyn RoomStore,
        out: &mut Vec<Effect>,
    ) -> ApiResult<()> {
        let Some(state) = self.state.as_ref().filter(|s| !s.closed.is_empty()) else {
            return Ok(());
        };
        let mut next = state.clone();
        let reopened = std::mem::take(&mut next.closed);
        self.commit(store, next, None)?;
        out.extend(
            reopened
                .into_iter()
                .map(|username| Effect::NudgeUser { username }),
        );
        Ok(())
    }

    fn close_for(&mut self, store: &mut dyn RoomStore, user: &str) -> ApiResult<()> {
        let state = self.state_ref()?;
        if state.closed.contains(user) {
            return Ok(());
        }
        let mut next = state.clone();
        next.closed.insert(user.to_string());
        self.commit(store, next, None)
    }

    fn reopen_for(&mut self, store: &mut dyn RoomStore, user: &str) -> ApiResult<()> {
        let state = self.state_ref()?;
        if !state.closed.contains(user) {
            return Ok(());
        }
        let mut next = state.clone();
        next.closed.remove(user);
        self.commit(store, next, None)
    }
}
