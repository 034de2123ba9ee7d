//! The room socket (contract section 6): what a connect answers and what each
//! client frame does. The four changes (`send`, `edit`, `delete`, `react`)
//! are in [`super::room_changes`].
//!
//! Decisions where the contract leaves room:
//! - `typing` over the 2 s limit is dropped silently; `read` that does not move
//!   the marker forward is dropped silently; `read` beyond `last_seq` is
//!   `bad_request`.
//! - `history` requests have their own rate limit per user per room
//!   (see [`super::rate_limit::HISTORY_BURST`]); past it, `error`
//!   `rate_limited` with `retry_after_ms` (and no `client_id`: the frame has
//!   none). A refused limit (a bad `limit`) costs nothing.
//! - Frames are JSON text. A binary frame is `bad_request` without being
//!   decoded, and the socket stays open; one over 16 KiB closes it with 1009
//!   like any other frame.
//! - Resume: `since` is replayable when `since <= last_seq` and
//!   `last_seq - since <= RESUME_WINDOW`, i.e. at most 5000 events are
//!   replayed. Exactly 5000 behind is replayed, 5001 is not. A `since` beyond
//!   `last_seq` (a room deleted and created again) is not replayable.
//! - The replay is read and sent [`REPLAY_PAGE`] events at a time
//!   ([`Room::replay_page`]), so a resume never holds the whole window in
//!   memory. If a page cannot be read the socket is closed with 1011 (the
//!   client reconnects and resumes from what it got).

use std::sync::Arc;

use super::close_reason::CloseReason;
use super::error::{ApiError, ApiResult, ErrorCode};
use super::idempotency::fingerprint;
use super::permissions::{self, Action, ActorStatus};
use super::protocol::{
    client_id_of, parse_client_frame, replayed_frame, ClientFrame, ServerFrame, You,
};
use super::rate_limit::{history_limited, UserBuckets};
use super::room::{no_room, presence, send_to, Effect, Room, SocketId};
use super::room_changes::Send;
use super::room_sessions::session_expired;
use super::store::{ChangeKey, RoomStore};
use super::validate::{self, FRAME_MAX_BYTES, HISTORY_LIMIT_DEFAULT, RESUME_WINDOW};

/// `typing` goes out at most once per this many milliseconds per user.
pub const TYPING_INTERVAL_MS: u64 = 2000;

/// How many replayed events are read from the store and sent at a time.
pub const REPLAY_PAGE: u32 = 200;

/// Is a `since` close enough to `last_seq` to replay the events after it?
pub fn resumable(since: u64, last_seq: u64) -> bool {
    since <= last_seq && last_seq - since <= RESUME_WINDOW
}

/// One WebSocket message as the runtime delivered it. A binary message is
/// described only by its size: it is refused without being decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    Binary { len: usize },
}

/// What a connect answers: the frames to carry out at once (`ready`, the
/// `history` frame when not resuming, `presence` to the others) and, when
/// resuming, the replay, which the Durable Object sends right after with
/// [`Room::replay_page`] until it returns nothing.
/// What one socket frame did: the effects to carry out, and whether the
/// frame's writes must be rolled back (the sender was told with an error
/// frame; the rollback travels here, not through the store).
#[derive(Debug, Default)]
pub struct FrameOutcome {
    pub effects: Vec<Effect>,
    pub rollback: bool,
}

impl FrameOutcome {
    fn done(effects: Vec<Effect>) -> FrameOutcome {
        FrameOutcome {
            effects,
            rollback: false,
        }
    }
}

#[derive(Debug)]
pub struct Connected {
    pub effects: Vec<Effect>,
    pub replay: Option<Replay>,
}

/// Where a resume's replay stands: events with `after < seq <= upto` are
/// still to send to `socket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    socket: SocketId,
    after: u64,
    upto: u64,
}

impl Replay {
    pub fn is_done(&self) -> bool {
        self.after >= self.upto
    }
}

impl Room {
    /// A socket asks to join the room's live feed. The Durable Object calls
    /// this *before* accepting the WebSocket: an error is the HTTP refusal
    /// (`not_found`, `forbidden`, `banned`). On success, accept the socket
    /// (remembering `socket`, `username`, `sid`, `exp_s` in its attachment), carry out
    /// the effects, then send the replay (if any) page by page.
    pub fn on_connect(
        &mut self,
        store: &dyn RoomStore,
        socket: SocketId,
        username: &str,
        sid: &str,
        exp_s: u64,
        since: Option<u64>,
    ) -> ApiResult<Connected> {
        let state = self.state.as_ref().ok_or_else(no_room)?;
        permissions::allowed(Action::Read, state.status_of(username), state.visibility)?;
        self.admit(username, sid)?;
        let member = state.members.get(username).ok_or_else(ApiError::internal)?;
        let (role, read_seq, last_seq) = (member.role, member.read_seq, state.last_seq);
        let unread = store.count_unread(read_seq, username)?;
        let replay = match since {
            Some(s) if resumable(s, last_seq) => Some(Replay {
                socket,
                after: s,
                upto: last_seq,
            }),
            _ => None,
        };
        let history = match replay {
            Some(_) => None,
            None => Some(store.history(None, HISTORY_LIMIT_DEFAULT)?),
        };

        let first = self.register(socket, username, sid, exp_s);
        let state = self.state_ref()?;
        let mut room = state.info();
        room.role = Some(role);
        room.read_seq = Some(read_seq);
        room.unread = Some(unread);
        room.peer = state.peer_of(username).map(str::to_string);
        room.mentions = Some(store.count_mentions(read_seq, username)?);
        room.notify = Some(state.notify_of(username));
        let ready = ServerFrame::Ready {
            room,
            you: You {
                username: username.to_string(),
                role,
            },
            members: state.member_list(|u| self.is_online(u)),
            last_seq,
            read_seq,
            resumed: replay.is_some(),
        };
        let mut effects = vec![send_to(socket, &ready)];
        if let Some((messages, has_more)) = history {
            effects.push(send_to(
                socket,
                &ServerFrame::History { messages, has_more },
            ));
        }
        if first {
            effects.push(presence(username, true, Some(socket)));
        }
        Ok(Connected { effects, replay })
    }

    /// The next page of a resume's replay: up to [`REPLAY_PAGE`] stored
    /// frames, exactly as they were sent live (a message deleted since is
    /// stored as its tombstone). Empty when the replay is done or its socket
    /// is gone; a failed read closes the socket with [`CloseReason::ServerError`].
    pub fn replay_page(&mut self, store: &dyn RoomStore, replay: &mut Replay) -> Vec<Effect> {
        let socket = replay.socket;
        if replay.is_done() || !self.sockets.contains_key(&socket) {
            return Vec::new();
        }
        match store.events_page(replay.after, replay.upto, REPLAY_PAGE) {
            Ok(page) => {
                // A page that ends early would be a gap in the log: stop.
                replay.after = page.last().map_or(replay.upto, |(seq, _)| *seq);
                page.into_iter()
                    .map(|(_, frame)| Effect::Send {
                        socket,
                        frame: Arc::from(replayed_frame(frame)),
                    })
                    .collect()
            }
            Err(_) => {
                replay.after = replay.upto;
                let mut out = Vec::new();
                self.close_socket(socket, CloseReason::ServerError, &mut out);
                out
            }
        }
    }

    /// One WebSocket message: text goes to [`Room::handle_frame`]; a binary
    /// one is refused (`bad_request`, or the 1009 close when over 16 KiB).
    pub fn handle_incoming(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        frame: &Incoming,
        now_ms: u64,
    ) -> FrameOutcome {
        match frame {
            Incoming::Text(raw) => self.handle_frame(store, socket, raw, now_ms),
            Incoming::Binary { len } => {
                if let Err(closed) = self.gate(socket, *len, now_ms) {
                    return FrameOutcome::done(closed);
                }
                let e =
                    ApiError::bad_request("Frames are JSON text; binary frames are not accepted.");
                FrameOutcome::done(vec![send_to(socket, &ServerFrame::error(&e, None))])
            }
        }
    }

    /// One text frame from a socket. Never fails: a bad frame is answered with
    /// an `error` frame on that socket (carrying the frame's `client_id` when
    /// it had one) and the socket stays open. Frames over 16 KiB close it with
    /// 1009; a socket whose user is no longer a member is closed with 4003.
    ///
    /// A change writes its event (and a delete first redacts the deleted
    /// text); the Durable Object runs each frame in one transaction and rolls
    /// it back when the outcome says so.
    pub fn handle_frame(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        raw: &str,
        now_ms: u64,
    ) -> FrameOutcome {
        let (user, status) = match self.gate(socket, raw.len(), now_ms) {
            Ok(sender) => sender,
            Err(closed) => return FrameOutcome::done(closed),
        };
        let frame = match parse_client_frame(raw) {
            Ok(f) => f,
            Err(e) => {
                let cid = client_id_of(raw);
                let refusal = send_to(socket, &ServerFrame::error(&e, cid.as_deref()));
                return FrameOutcome::done(vec![refusal]);
            }
        };
        let key = change_key(&user, &frame);
        let cid = key.as_ref().map(|k| k.client_id.clone());
        match self.apply_frame(store, socket, &user, status, frame, key, now_ms) {
            Ok(effects) => FrameOutcome::done(effects),
            Err(e) => FrameOutcome {
                // `internal` is a store that failed (or our own bug): part
                // of the frame's writes may have landed, so undo them all.
                rollback: e.code == ErrorCode::Internal,
                effects: vec![send_to(socket, &ServerFrame::error(&e, cid.as_deref()))],
            },
        }
    }

    /// Who may send a frame of `len` bytes on `socket` at `now_ms`: the user
    /// and their standing, or the effects that close the socket (token
    /// expired: every socket of that session, 1008; too large; unknown; room
    /// deleted; no longer a member).
    fn gate(
        &mut self,
        socket: SocketId,
        len: usize,
        now_ms: u64,
    ) -> Result<(String, ActorStatus), Vec<Effect>> {
        let mut out = Vec::new();
        let Some(conn) = self.sockets.get(&socket) else {
            out.push(Effect::Close {
                socket,
                reason: CloseReason::Removed,
            });
            return Err(out);
        };
        if session_expired(conn.exp_s, now_ms) {
            let sid = conn.sid.clone();
            return Err(self.close_session(&sid, CloseReason::SessionExpired));
        }
        let user = conn.username.clone();
        if len > FRAME_MAX_BYTES {
            self.close_socket(socket, CloseReason::TooBig, &mut out);
            return Err(out);
        }
        let status = match &self.state {
            Some(state) => state.status_of(&user),
            None => {
                self.close_socket(socket, CloseReason::RoomDeleted, &mut out);
                return Err(out);
            }
        };
        if !status.is_member() {
            self.close_socket(socket, CloseReason::Removed, &mut out);
            return Err(out);
        }
        Ok((user, status))
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_frame(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        user: &str,
        status: ActorStatus,
        frame: ClientFrame,
        key: Option<ChangeKey>,
        now_ms: u64,
    ) -> ApiResult<Vec<Effect>> {
        let key = || key.clone().ok_or_else(ApiError::internal);
        match frame {
            ClientFrame::Send {
                text,
                reply_to,
                attachments,
                ..
            } => {
                let send = Send {
                    text: &text,
                    reply_to,
                    attachments: &attachments,
                };
                self.on_send(store, socket, key()?, send, now_ms)
            }
            ClientFrame::Edit { target, text, .. } => {
                self.on_edit(store, socket, key()?, target, &text, now_ms)
            }
            ClientFrame::Delete { target, .. } => {
                self.on_delete(store, socket, status, key()?, target, now_ms)
            }
            ClientFrame::React {
                target, emoji, add, ..
            } => self.on_react(store, socket, key()?, target, emoji, add, now_ms),
            ClientFrame::Typing {} => Ok(self.on_typing(user, now_ms)),
            ClientFrame::Read { seq } => self.mark_read(store, user, seq),
            ClientFrame::History { before, limit } => {
                let limit = validate::history_limit(limit)?;
                self.buckets_of(user, now_ms)
                    .take_history(now_ms)
                    .map_err(history_limited)?;
                let (messages, has_more) = store.history(before, limit)?;
                Ok(vec![send_to(
                    socket,
                    &ServerFrame::History { messages, has_more },
                )])
            }
            ClientFrame::Ping {} => Ok(vec![send_to(socket, &ServerFrame::Pong)]),
        }
    }

    /// `user`'s rate-limit buckets, full ones for a first frame.
    pub(super) fn buckets_of(&mut self, user: &str, now_ms: u64) -> &mut UserBuckets {
        let rates = self.rates;
        self.buckets
            .entry(user.to_string())
            .or_insert_with(|| UserBuckets::new(&rates, now_ms))
    }

    /// `typing` to every socket of the other users, at most once per 2 s.
    fn on_typing(&mut self, user: &str, now_ms: u64) -> Vec<Effect> {
        if self.dm_blocked() {
            return Vec::new();
        }
        if let Some(last) = self.typing.get(user) {
            if now_ms < last.saturating_add(TYPING_INTERVAL_MS) {
                return Vec::new();
            }
        }
        self.typing.insert(user.to_string(), now_ms);
        let frame = ServerFrame::Typing {
            user: user.to_string(),
        }
        .encode_lossy();
        self.sockets
            .iter()
            .filter(|(_, c)| c.username != user)
            .map(|(s, _)| Effect::Send {
                socket: *s,
                frame: frame.clone(),
            })
            .collect()
    }

    /// Moves `user`'s read marker forward to `seq` and tells the room (a read
    /// receipt; not a durable event, so no `seq` is taken). A marker that
    /// would not move forward changes nothing and says nothing.
    pub(super) fn mark_read(
        &mut self,
        store: &mut dyn RoomStore,
        user: &str,
        seq: u64,
    ) -> ApiResult<Vec<Effect>> {
        let state = self.state_ref()?;
        if seq > state.last_seq {
            return Err(ApiError::bad_request(format!(
                "seq {seq} is beyond the room's newest event ({}).",
                state.last_seq
            )));
        }
        let current = state
            .members
            .get(user)
            .map(|m| m.read_seq)
            .ok_or_else(|| ApiError::forbidden("You are not a member of this room."))?;
        if seq <= current {
            return Ok(Vec::new());
        }
        store.save_read(user, seq)?;
        if let Some(m) = self.state.as_mut().and_then(|s| s.members.get_mut(user)) {
            m.read_seq = seq;
        }
        let frame = ServerFrame::Read {
            user: user.to_string(),
            seq,
        }
        .encode_lossy();
        Ok(vec![Effect::Broadcast {
            frame,
            except: None,
        }])
    }
}

/// The idempotency key of a change frame (author, `client_id` and what the
/// change asks for); `None` for frames that are not changes.
fn change_key(user: &str, frame: &ClientFrame) -> Option<ChangeKey> {
    let client_id = match frame {
        ClientFrame::Send { client_id, .. }
        | ClientFrame::Edit { client_id, .. }
        | ClientFrame::Delete { client_id, .. }
        | ClientFrame::React { client_id, .. } => client_id.clone(),
        _ => return None,
    };
    Some(ChangeKey {
        author: user.to_string(),
        client_id,
        fingerprint: fingerprint(frame),
    })
}
