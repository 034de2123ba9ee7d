//! The room state machine: one value per chat room, driven by the Durable
//! Object and deciding everything that happens in the room.
//!
//! Like quinn-proto's connection, a [`Room`] does no IO and reads no clock: the
//! Durable Object hands it a socket frame, a connect, a disconnect or an HTTP
//! command together with the current time and a [`RoomStore`], and gets back a
//! list of [`Effect`]s to carry out. Storage writes happen synchronously
//! through the store *during* the call, so by the time effects are returned
//! every event they mention is already stored ("store, then broadcast, then
//! ack").
//!
//! This file holds the room value, its sockets and the shared plumbing; socket
//! connects and frames are handled in [`super::room_socket`], HTTP commands in
//! [`super::room_commands`].
//!
//! How the Durable Object drives it:
//! 1. On its first request or on waking: [`Room::load`] from the store, then
//!    [`Room::restore_socket`] for every WebSocket it still holds (id, user and
//!    session from the socket's attachment).
//! 2. Upgrade: [`Room::on_connect`] before accepting; an error is the HTTP
//!    refusal. Frames: [`Room::handle_frame`]. Close or error of a socket:
//!    [`Room::on_disconnect`]. HTTP: [`Room::handle_command`] inside one
//!    transaction. Logout: [`Room::revoke_session`]; expiry:
//!    [`Room::close_session`] (see [`super::room_sessions`]). Profile change:
//!    [`Room::profile_changed`].
//! 3. Carry out the returned effects in order. The object never saves
//!    anything itself: every write already went through the store.
//!
//! What lives where:
//! - Durable, through the store during the call: the event log and message
//!   table ([`RoomStore::append`]); [`RoomState`] ([`RoomStore::save_state`])
//!   whenever membership, invitations, bans or the room's fields change; read
//!   markers ([`RoomStore::save_read`]) when they move. Messages do not
//!   rewrite the state: `last_seq` and `last_activity_ms` are recovered from
//!   the log on [`Room::load`].
//! - Memory only, rebuilt after hibernation: open sockets, send buckets,
//!   typing throttles. A bucket lost to hibernation would have refilled
//!   anyway: the object hibernates only after being idle for seconds.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::close_reason::CloseReason;
use super::directory::DirectoryVersion;
use super::dm::BlockMark;
use super::error::{ApiError, ApiResult};
use super::profile::Profile;
use super::protocol::{RoomInfo, ServerFrame};
use super::push::PushPayload;
use super::rate_limit::{RateSettings, UserBuckets};
use super::room_sessions::session_expired;
use super::room_state::RoomState;
use super::store::{Appended, RoomStore, StoredEvent};

/// The Durable Object's name for one accepted WebSocket. The object picks it
/// (unique within the room, kept in the socket's hibernation attachment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(pub u64);

/// The public listing of a room for the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryListing {
    pub room: RoomInfo,
    pub last_activity_ms: u64,
}

/// Something the Durable Object must do, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this text to one socket.
    Send { socket: SocketId, frame: Arc<str> },
    /// Send this text to every socket of the room that is open when the
    /// effect is carried out (so not to those an earlier `Close` in the same
    /// list closed), except `except`. The same `Arc<str>` goes to all of them:
    /// it was serialized once. Recipients are the object's accepted sockets,
    /// which are exactly the room's [`Room::sockets`].
    Broadcast {
        frame: Arc<str>,
        except: Option<SocketId>,
    },
    /// Close this socket. The room has already forgotten it (no
    /// [`Room::on_disconnect`] is needed, though calling it is harmless).
    Close {
        socket: SocketId,
        reason: CloseReason,
    },
    /// `username` became (`added`) or stopped being a member: update the
    /// account's room list.
    AccountRoomsChanged { username: String, added: bool },
    /// The room's public listing changed: put `listing` in the directory, or
    /// remove the room from it when `None` (private or deleted). The
    /// directory ignores an update older than one it already has (see
    /// [`super::directory`]).
    DirectoryChanged {
        version: DirectoryVersion,
        listing: Option<DirectoryListing>,
    },
    /// Activity the directory has not heard of is waiting: wake the room at
    /// `at_ms` (a Durable Object alarm) and call [`Room::directory_flush`].
    DirectoryFlushAt { at_ms: u64 },
    /// `username`'s room list gained this room: tell their open sockets in
    /// their other rooms ([`Room::nudge`] there), so it shows at once.
    NudgeUser { username: String },
    /// Send a Web Push of this payload to each recipient's subscriptions
    /// (after the message is stored and acked; see [`super::push`]).
    Push { pushes: Vec<(String, PushPayload)> },
    /// Delete these attachment objects from R2 (no record uses them now).
    DeleteObjects { keys: Vec<String> },
    /// Delete every attachment object under this prefix (the room is gone).
    DeletePrefix { prefix: String },
    /// An unused upload expires at `at_ms`: wake the room then (unless it
    /// wakes sooner) and call [`Room::expire_uploads`].
    UploadsExpireAt { at_ms: u64 },
}

/// One open socket: who holds it, in which session, until when. The room's
/// sockets are the one registry of who is connected; the Durable Object's
/// table only maps each id to its runtime socket, and follows the `Close`
/// effects and disconnects the room decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Conn {
    pub(super) username: String,
    pub(super) sid: String,
    /// Token expiry, seconds since the epoch (see [`super::room_sessions`]).
    pub(super) exp_s: u64,
}

/// One chat room.
#[derive(Debug)]
pub struct Room {
    /// `None` until created, and again after deletion.
    pub(super) state: Option<RoomState>,
    pub(super) rates: RateSettings,
    pub(super) sockets: BTreeMap<SocketId, Conn>,
    /// Open sockets per user; a user is online while this is above zero.
    pub(super) online: HashMap<String, usize>,
    /// Rate-limit buckets per user (sends, other changes, history).
    pub(super) buckets: HashMap<String, UserBuckets>,
    /// When each user's last `typing` went out.
    pub(super) typing: HashMap<String, u64>,
    /// When this room last reported message activity to the directory
    /// (other directory updates do not count; see
    /// [`super::directory::activity_report_due`]).
    pub(super) activity_reported_ms: Option<u64>,
    /// A message the directory has not heard of (not reported because of the
    /// once-a-minute limit); a [`Effect::DirectoryFlushAt`] is out for it.
    pub(super) activity_pending: bool,
    /// `created_at` of the incarnation of this name deleted during this
    /// object's life, so a new one is created strictly later and its
    /// directory versions start above the old room's removal.
    pub(super) retired_created_at: Option<u64>,
    /// Sessions that logged out, with when (see [`super::room_sessions`]).
    pub(super) revoked: HashMap<String, u64>,
    /// DM block marks by blocker (see [`super::dm`]); durable, through
    /// [`RoomStore::save_block_mark`].
    pub(super) blocks: BTreeMap<String, BlockMark>,
}

pub(super) fn no_room() -> ApiError {
    ApiError::not_found("No such room.")
}

impl Room {
    /// A room that does not exist yet (only [`super::room_api::RoomCommand::Create`] works).
    pub fn new(rates: RateSettings) -> Room {
        Room {
            state: None,
            rates,
            sockets: BTreeMap::new(),
            online: HashMap::new(),
            buckets: HashMap::new(),
            typing: HashMap::new(),
            activity_reported_ms: None,
            activity_pending: false,
            retired_created_at: None,
            revoked: HashMap::new(),
            blocks: BTreeMap::new(),
        }
    }

    /// Rebuilds a room from storage (first request, or waking from
    /// hibernation). The event log is authoritative for `last_seq`, saved read
    /// markers for `read_seq`, the newest message for `last_activity_ms`.
    /// Then call [`Room::restore_socket`] for every socket the object holds.
    pub fn load(store: &dyn RoomStore, rates: RateSettings) -> ApiResult<Room> {
        let mut room = Room::new(rates);
        room.blocks = store.block_marks()?.into_iter().collect();
        if let Some(mut state) = store.load_state()? {
            state.last_seq = state.last_seq.max(store.last_seq()?);
            for (user, seq) in store.read_markers()? {
                if let Some(m) = state.members.get_mut(&user) {
                    m.read_seq = m.read_seq.max(seq);
                }
            }
            let (latest, _) = store.history(None, 1)?;
            if let Some(m) = latest.last() {
                state.last_activity_ms = state.last_activity_ms.max(m.ts);
            }
            room.state = Some(state);
        }
        Ok(room)
    }

    /// Changes the send-rate settings; existing buckets follow at once.
    pub fn set_rates(&mut self, rates: RateSettings) {
        self.rates = rates;
    }

    pub fn exists(&self) -> bool {
        self.state.is_some()
    }

    /// The durable state, `None` when the room does not exist.
    pub fn state(&self) -> Option<&RoomState> {
        self.state.as_ref()
    }

    /// The `Room` object without personal fields.
    pub fn info(&self) -> Option<RoomInfo> {
        self.state.as_ref().map(RoomState::info)
    }

    /// The room's directory listing: `None` when private or deleted.
    pub fn listing(&self) -> Option<DirectoryListing> {
        let state = self.state.as_ref()?;
        let public = state.visibility == super::protocol::Visibility::Public;
        (public && !state.is_dm()).then(|| DirectoryListing {
            room: state.info(),
            last_activity_ms: state.last_activity_ms,
        })
    }

    pub fn is_online(&self, username: &str) -> bool {
        self.online.get(username).is_some_and(|n| *n > 0)
    }

    /// The user whose socket this is.
    pub fn socket_user(&self, socket: SocketId) -> Option<&str> {
        self.sockets.get(&socket).map(|c| c.username.as_str())
    }

    /// Every open socket the room knows, in id order (the recipients of a
    /// [`Effect::Broadcast`], if the object prefers the room's list to its own).
    pub fn sockets(&self) -> impl Iterator<Item = SocketId> + '_ {
        self.sockets.keys().copied()
    }

    /// How many sockets are open.
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
    }

    // ----- sockets -------------------------------------------------------

    /// Re-registers a socket that survived hibernation, without telling
    /// anyone (its user was online all along). If the user is no longer a
    /// member (or the room is gone), the answer closes the socket instead.
    pub fn restore_socket(
        &mut self,
        socket: SocketId,
        username: &str,
        sid: &str,
        exp_s: u64,
    ) -> Vec<Effect> {
        let Some(state) = &self.state else {
            return vec![Effect::Close {
                socket,
                reason: CloseReason::RoomDeleted,
            }];
        };
        if !state.members.contains_key(username) {
            return vec![Effect::Close {
                socket,
                reason: CloseReason::Removed,
            }];
        }
        self.register(socket, username, sid, exp_s);
        Vec::new()
    }

    /// A socket closed (by the client or the network). Tells the room the
    /// user went offline when it was their last socket.
    pub fn on_disconnect(&mut self, socket: SocketId) -> Vec<Effect> {
        let mut out = Vec::new();
        if let Some((user, last)) = self.unregister(socket) {
            if last {
                out.push(presence(&user, false, Some(socket)));
            }
        }
        out
    }

    /// Closes every socket of one session (logout: 4001; expiry: 1008).
    pub fn close_session(&mut self, sid: &str, reason: CloseReason) -> Vec<Effect> {
        let sockets: Vec<SocketId> = self
            .sockets
            .iter()
            .filter(|(_, c)| c.sid == sid)
            .map(|(s, _)| *s)
            .collect();
        let mut out = Vec::new();
        for socket in sockets {
            self.close_socket(socket, reason, &mut out);
        }
        out
    }

    /// Closes the sockets of every session whose token has expired by
    /// `now_ms` (1008), whether or not they ever send again (the alarm).
    pub fn close_expired(&mut self, now_ms: u64) -> Vec<Effect> {
        let mut sids: Vec<String> = self
            .sockets
            .values()
            .filter(|c| session_expired(c.exp_s, now_ms))
            .map(|c| c.sid.clone())
            .collect();
        sids.sort();
        sids.dedup();
        let mut out = Vec::new();
        for sid in sids {
            out.extend(self.close_session(&sid, CloseReason::SessionExpired));
        }
        out
    }

    /// Token expiries (seconds) of the open sockets, for the alarm.
    pub fn socket_expiries(&self) -> impl Iterator<Item = u64> + Clone + '_ {
        self.sockets.values().map(|c| c.exp_s)
    }

    /// A user's profile changed: tell the room, if they are a member.
    pub fn profile_changed(&self, username: &str, profile: Profile) -> Vec<Effect> {
        let member = self
            .state
            .as_ref()
            .is_some_and(|s| s.members.contains_key(username));
        if !member {
            return Vec::new();
        }
        let frame = ServerFrame::Profile {
            user: username.to_string(),
            profile,
        }
        .encode_lossy();
        vec![Effect::Broadcast {
            frame,
            except: None,
        }]
    }

    /// Tells `username`'s sockets in this room that their room list changed
    /// (a `rooms_changed` frame; nothing is stored).
    pub fn nudge(&self, username: &str) -> Vec<Effect> {
        let frame = ServerFrame::RoomsChanged.encode_lossy();
        self.sockets_of(username)
            .into_iter()
            .map(|socket| Effect::Send {
                socket,
                frame: frame.clone(),
            })
            .collect()
    }

    /// Adds a socket; true when it is the user's first.
    pub(super) fn register(
        &mut self,
        socket: SocketId,
        username: &str,
        sid: &str,
        exp_s: u64,
    ) -> bool {
        if let Some(old) = self.sockets.insert(
            socket,
            Conn {
                username: username.to_string(),
                sid: sid.to_string(),
                exp_s,
            },
        ) {
            // The same id registered twice: forget the old owner's count.
            self.decrement(&old.username);
        }
        let n = self.online.entry(username.to_string()).or_insert(0);
        *n += 1;
        *n == 1
    }

    /// Removes a socket; gives its user and whether it was their last.
    pub(super) fn unregister(&mut self, socket: SocketId) -> Option<(String, bool)> {
        let conn = self.sockets.remove(&socket)?;
        let last = self.decrement(&conn.username);
        Some((conn.username, last))
    }

    fn decrement(&mut self, username: &str) -> bool {
        match self.online.get_mut(username) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                self.online.remove(username);
                true
            }
            None => false,
        }
    }

    /// Closes one socket, announcing the user offline if it was their last.
    pub(super) fn close_socket(
        &mut self,
        socket: SocketId,
        reason: CloseReason,
        out: &mut Vec<Effect>,
    ) {
        out.push(Effect::Close { socket, reason });
        if let Some((user, true)) = self.unregister(socket) {
            out.push(presence(&user, false, Some(socket)));
        }
    }

    /// Closes every socket of `username` (kick, ban: 4003; leave: 1000).
    pub(super) fn close_user(
        &mut self,
        username: &str,
        reason: CloseReason,
        out: &mut Vec<Effect>,
    ) {
        let sockets = self.sockets_of(username);
        for socket in sockets {
            self.close_socket(socket, reason, out);
        }
    }

    /// Closes every socket (room deleted).
    pub(super) fn close_all(&mut self, reason: CloseReason, out: &mut Vec<Effect>) {
        for socket in std::mem::take(&mut self.sockets).into_keys() {
            out.push(Effect::Close { socket, reason });
        }
        self.online.clear();
    }

    pub(super) fn sockets_of(&self, username: &str) -> Vec<SocketId> {
        self.sockets
            .iter()
            .filter(|(_, c)| c.username == username)
            .map(|(s, _)| *s)
            .collect()
    }

    // ----- storage plumbing ---------------------------------------------

    pub(super) fn state_ref(&self) -> ApiResult<&RoomState> {
        self.state.as_ref().ok_or_else(no_room)
    }

    /// The `seq` the next durable event takes.
    pub(super) fn next_seq(&self) -> ApiResult<u64> {
        Ok(self.state_ref()?.last_seq + 1)
    }

    /// Stores a client's change (message, edit, delete, reaction: events that
    /// change nothing in [`RoomState`] but `last_seq`) unless the store finds
    /// it is a repeat; counts the event only when it was really stored.
    pub(super) fn append_change(
        &mut self,
        store: &mut dyn RoomStore,
        event: &StoredEvent,
    ) -> ApiResult<Appended> {
        if event.seq != self.next_seq()? {
            return Err(ApiError::internal());
        }
        let appended = store.append_change(event)?;
        if appended == Appended::Stored {
            if let Some(state) = self.state.as_mut() {
                state.last_seq = event.seq;
            }
        }
        Ok(appended)
    }

    /// Stores a new room state, with the event that announces the change if
    /// there is one (`next.last_seq` must then be that event's `seq`). Memory
    /// changes only once both writes succeeded.
    pub(super) fn commit(
        &mut self,
        store: &mut dyn RoomStore,
        next: RoomState,
        event: Option<&StoredEvent>,
    ) -> ApiResult<()> {
        if let Some(event) = event {
            if event.seq != self.next_seq()? || next.last_seq != event.seq {
                return Err(ApiError::internal());
            }
            store.append(event)?;
        }
        store.save_state(&next)?;
        self.state = Some(next);
        Ok(())
    }
}

/// A `presence` broadcast.
pub(super) fn presence(user: &str, online: bool, except: Option<SocketId>) -> Effect {
    Effect::Broadcast {
        frame: ServerFrame::Presence {
            user: user.to_string(),
            online,
        }
        .encode_lossy(),
        except,
    }
}

/// A frame for one socket.
pub(super) fn send_to(socket: SocketId, frame: &ServerFrame) -> Effect {
    Effect::Send {
        socket,
        frame: frame.encode_lossy(),
    }
}
