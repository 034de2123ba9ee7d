//! The room socket (contract section 6): what a connect answers and what each
//! client frame does.
//!
//! Decisions where the contract leaves room:
//! - Order of checks for a change (`send`, `edit`, `delete`, `react`): the
//!   `client_id` rule, then idempotency (a repeat is acked with the original
//!   `seq` before anything else is looked at, so a retry after a reconnect is
//!   never rate limited and a repeated `delete` is acked even though its
//!   target is now a tombstone), then the frame's own rules, then the send
//!   rate limit (so a refused frame costs no token), then store.
//!   `send`, the hot path, gets the same answers without a lookup first: it
//!   checks its rules and stores, and the store reports a repeat instead of
//!   writing it (the token is given back); only a refused `send` looks up
//!   whether it was a repeat, to ack it.
//! - Every accepted `react` stores a `reaction` event, even when it changes
//!   nothing (adding a reaction that is already there, removing one that is
//!   not). The reaction state is a set, so applying such an event again is
//!   harmless, and it keeps the contract's promise that every `ack` carries the
//!   `seq` of the event the change created.
//! - Deleting a message clears its reactions along with its text. Editing,
//!   deleting or reacting to a tombstone is `not_found`; replying to one is
//!   allowed (the tombstone still exists in history).
//! - `typing` over the 2 s limit is dropped silently; `read` that does not move
//!   the marker forward is dropped silently; `read` beyond `last_seq` is
//!   `bad_request`.
//! - Resume: `since` is replayable when `since <= last_seq` and
//!   `last_seq - since <= RESUME_WINDOW`, i.e. at most 5000 events are
//!   replayed. Exactly 5000 behind is replayed, 5001 is not. A `since` beyond
//!   `last_seq` (a room deleted and created again) is not replayable.

use std::sync::Arc;

use super::error::{ApiError, ApiResult};
use super::permissions::{self, Action, ActorStatus};
use super::protocol::{client_id_of, parse_client_frame, ClientFrame, Message, ServerFrame, You};
use super::rate_limit::{send_limited, TokenBucket};
use super::room::{close_code, no_room, presence, send_to, Effect, Room, SocketId};
use super::store::{Appended, ChangeKey, RoomStore, StoredEvent};
use super::validate::{self, FRAME_MAX_BYTES, HISTORY_LIMIT_DEFAULT, RESUME_WINDOW};

/// `typing` goes out at most once per this many milliseconds per user.
pub const TYPING_INTERVAL_MS: u64 = 2000;

/// Is a `since` close enough to `last_seq` to replay the events after it?
pub fn resumable(since: u64, last_seq: u64) -> bool {
    since <= last_seq && last_seq - since <= RESUME_WINDOW
}

fn ack(socket: SocketId, client_id: &str, seq: u64) -> Effect {
    send_to(
        socket,
        &ServerFrame::Ack {
            client_id: client_id.to_string(),
            seq,
        },
    )
}

/// The message a change targets; deleted messages count as absent.
fn live_message(store: &dyn RoomStore, target: u64) -> ApiResult<Message> {
    match store.message(target)? {
        Some(m) if !m.deleted => Ok(m),
        _ => Err(ApiError::not_found(format!(
            "There is no message {target} in this room."
        ))),
    }
}

impl Room {
    /// A socket asks to join the room's live feed. The Durable Object calls
    /// this *before* accepting the WebSocket: an error is the HTTP refusal
    /// (`not_found`, `forbidden`, `banned`). On success, accept the socket
    /// (remembering `socket`, `username`, `sid` in its attachment) and carry
    /// out the effects: `ready`, then either the replayed events or a
    /// `history` frame, then `presence` to the others if this is the user's
    /// first socket.
    pub fn on_connect(
        &mut self,
        store: &dyn RoomStore,
        socket: SocketId,
        username: &str,
        sid: &str,
        since: Option<u64>,
    ) -> ApiResult<Vec<Effect>> {
        let state = self.state.as_ref().ok_or_else(no_room)?;
        permissions::allowed(Action::Read, state.status_of(username), state.visibility)?;
        self.admit(username, sid)?;
        let member = state.members.get(username).ok_or_else(ApiError::internal)?;
        let (role, read_seq, last_seq) = (member.role, member.read_seq, state.last_seq);
        let unread = store.count_unread(read_seq, username)?;
        let replay = match since {
            Some(s) if resumable(s, last_seq) => Some(store.events_after(s)?),
            _ => None,
        };
        let history = match replay {
            Some(_) => None,
            None => Some(store.history(None, HISTORY_LIMIT_DEFAULT)?),
        };

        let first = self.register(socket, username, sid);
        let state = self.state_ref()?;
        let mut room = state.info();
        room.role = Some(role);
        room.read_seq = Some(read_seq);
        room.unread = Some(unread);
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
        let mut out = vec![send_to(socket, &ready)];
        match (replay, history) {
            (Some(frames), _) => out.extend(frames.into_iter().map(|f| Effect::Send {
                socket,
                frame: Arc::from(f),
            })),
            (None, Some((messages, has_more))) => out.push(send_to(
                socket,
                &ServerFrame::History { messages, has_more },
            )),
            (None, None) => {}
        }
        if first {
            out.push(presence(username, true, Some(socket)));
        }
        Ok(out)
    }

    /// One text frame from a socket. Never fails: a bad frame is answered with
    /// an `error` frame on that socket (carrying the frame's `client_id` when
    /// it had one) and the socket stays open. Frames over 16 KiB close it with
    /// 1009; a socket whose user is no longer a member is closed with 4003.
    ///
    /// At most one storage write happens per frame, so no rollback is needed.
    pub fn handle_frame(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        raw: &str,
        now_ms: u64,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        if raw.len() > FRAME_MAX_BYTES {
            self.close_socket(socket, close_code::TOO_BIG, "frame too large", &mut out);
            return out;
        }
        let Some(user) = self.socket_user(socket).map(str::to_string) else {
            out.push(Effect::Close {
                socket,
                code: close_code::REMOVED,
                reason: "not connected to this room",
            });
            return out;
        };
        let status = match &self.state {
            Some(state) => state.status_of(&user),
            None => {
                self.close_socket(socket, close_code::ROOM_DELETED, "room deleted", &mut out);
                return out;
            }
        };
        if !status.is_member() {
            self.close_socket(
                socket,
                close_code::REMOVED,
                "removed from the room",
                &mut out,
            );
            return out;
        }
        let frame = match parse_client_frame(raw) {
            Ok(f) => f,
            Err(e) => {
                let cid = client_id_of(raw);
                out.push(send_to(socket, &ServerFrame::error(&e, cid.as_deref())));
                return out;
            }
        };
        let cid = frame_client_id(&frame).map(str::to_string);
        match self.apply_frame(store, socket, &user, status, frame, now_ms) {
            Ok(effects) => effects,
            Err(e) => {
                out.push(send_to(socket, &ServerFrame::error(&e, cid.as_deref())));
                out
            }
        }
    }

    fn apply_frame(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        user: &str,
        status: ActorStatus,
        frame: ClientFrame,
        now_ms: u64,
    ) -> ApiResult<Vec<Effect>> {
        match frame {
            ClientFrame::Send {
                client_id,
                text,
                reply_to,
            } => self.on_send(store, socket, user, client_id, &text, reply_to, now_ms),
            ClientFrame::Edit {
                client_id,
                target,
                text,
            } => self.on_edit(store, socket, user, client_id, target, &text, now_ms),
            ClientFrame::Delete { client_id, target } => {
                self.on_delete(store, socket, user, status, client_id, target)
            }
            ClientFrame::React {
                client_id,
                target,
                emoji,
                add,
            } => self.on_react(store, socket, user, client_id, target, emoji, add),
            ClientFrame::Typing {} => Ok(self.on_typing(user, now_ms)),
            ClientFrame::Read { seq } => self.mark_read(store, user, seq),
            ClientFrame::History { before, limit } => {
                let limit = validate::history_limit(limit)?;
                let (messages, has_more) = store.history(before, limit)?;
                Ok(vec![send_to(
                    socket,
                    &ServerFrame::History { messages, has_more },
                )])
            }
            ClientFrame::Ping {} => Ok(vec![send_to(socket, &ServerFrame::Pong)]),
        }
    }

    /// A `send` refused by its own rules or the rate limit: if it repeats a
    /// change that is already stored, the answer is still the original `ack`.
    fn repeat_or(
        store: &dyn RoomStore,
        socket: SocketId,
        user: &str,
        client_id: &str,
        refusal: ApiError,
    ) -> ApiResult<Vec<Effect>> {
        match store.find_change(user, client_id)? {
            Some(seq) => Ok(vec![ack(socket, client_id, seq)]),
            None => Err(refusal),
        }
    }

    /// Checks the `client_id` and answers a repeat with the original `ack`.
    fn repeat(
        store: &dyn RoomStore,
        socket: SocketId,
        user: &str,
        client_id: &str,
    ) -> ApiResult<Option<Vec<Effect>>> {
        validate::client_id(client_id)?;
        Ok(store
            .find_change(user, client_id)?
            .map(|seq| vec![ack(socket, client_id, seq)]))
    }

    /// Stores a client's change and answers: the event to everyone, then the
    /// `ack` to the sender; or, when the store finds the change already
    /// stored, only the original `ack`. Also says which of the two it was.
    fn store_change(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        user: &str,
        client_id: String,
        frame: &ServerFrame,
        message: Message,
    ) -> ApiResult<(Vec<Effect>, Appended)> {
        let seq = message_event_seq(frame);
        let text = frame.encode()?;
        let event = StoredEvent {
            seq,
            frame: text.clone(),
            change: Some(ChangeKey {
                author: user.to_string(),
                client_id: client_id.clone(),
            }),
            message: Some(message),
        };
        let appended = self.append_change(store, &event)?;
        let out = match appended {
            Appended::Repeat(seq) => vec![ack(socket, &client_id, seq)],
            Appended::Stored => vec![
                Effect::Broadcast {
                    frame: text,
                    except: None,
                },
                ack(socket, &client_id, seq),
            ],
        };
        Ok((out, appended))
    }

    #[allow(clippy::too_many_arguments)]
    fn on_send(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        user: &str,
        client_id: String,
        text: &str,
        reply_to: Option<u64>,
        now_ms: u64,
    ) -> ApiResult<Vec<Effect>> {
        // The hot path: no lookup before storing. A repeat is caught by the
        // store (nothing written, the token given back) or, when the frame is
        // refused, looked up then, so it is still acked before any rule.
        validate::client_id(&client_id)?;
        let text = match validate::message_text(text) {
            Ok(t) => t,
            Err(e) => return Self::repeat_or(store, socket, user, &client_id, e),
        };
        if let Some(r) = reply_to {
            if store.message(r)?.is_none() {
                let e = ApiError::not_found(format!(
                    "The message you reply to ({r}) does not exist in this room."
                ));
                return Self::repeat_or(store, socket, user, &client_id, e);
            }
        }
        let rates = self.rates;
        let bucket = self
            .buckets
            .entry(user.to_string())
            .or_insert_with(|| TokenBucket::new(rates.burst, now_ms));
        if let Err(wait) = rates.take(bucket, now_ms) {
            return Self::repeat_or(store, socket, user, &client_id, send_limited(wait));
        }

        let seq = self.next_seq()?;
        let message = Message {
            seq,
            author: user.to_string(),
            text,
            ts: now_ms,
            client_id: client_id.clone(),
            reply_to,
            edited_at: None,
            deleted: false,
            reactions: Default::default(),
        };
        let frame = ServerFrame::Message(message.clone());
        let (mut out, appended) =
            self.store_change(store, socket, user, client_id, &frame, message)?;
        if appended != Appended::Stored {
            // A repeat costs no token.
            if let Some(bucket) = self.buckets.get_mut(user) {
                rates.give_back(bucket);
            }
            return Ok(out);
        }
        self.touch_activity(now_ms, &mut out);
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_edit(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        user: &str,
        client_id: String,
        target: u64,
        text: &str,
        now_ms: u64,
    ) -> ApiResult<Vec<Effect>> {
        if let Some(acked) = Self::repeat(store, socket, user, &client_id)? {
            return Ok(acked);
        }
        let text = validate::message_text(text)?;
        let mut message = live_message(store, target)?;
        if message.author != user {
            return Err(ApiError::forbidden("You can only edit your own messages."));
        }
        message.text = text.clone();
        message.edited_at = Some(now_ms);
        let frame = ServerFrame::Edit {
            seq: self.next_seq()?,
            target,
            text,
            edited_at: now_ms,
            by: user.to_string(),
        };
        self.store_change(store, socket, user, client_id, &frame, message)
            .map(|(out, _)| out)
    }

    fn on_delete(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        user: &str,
        status: ActorStatus,
        client_id: String,
        target: u64,
    ) -> ApiResult<Vec<Effect>> {
        if let Some(acked) = Self::repeat(store, socket, user, &client_id)? {
            return Ok(acked);
        }
        let mut message = live_message(store, target)?;
        if message.author != user {
            let visibility = self.state_ref()?.visibility;
            permissions::allowed(Action::DeleteAnyMessage, status, visibility).map_err(|_| {
                ApiError::forbidden("Only moderators and the owner can delete others' messages.")
            })?;
        }
        message.deleted = true;
        message.text.clear();
        message.reactions.clear();
        let frame = ServerFrame::Delete {
            seq: self.next_seq()?,
            target,
            by: user.to_string(),
        };
        self.store_change(store, socket, user, client_id, &frame, message)
            .map(|(out, _)| out)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_react(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        user: &str,
        client_id: String,
        target: u64,
        emoji: String,
        add: bool,
    ) -> ApiResult<Vec<Effect>> {
        if let Some(acked) = Self::repeat(store, socket, user, &client_id)? {
            return Ok(acked);
        }
        validate::emoji(&emoji)?;
        let mut message = live_message(store, target)?;
        let users = message.reactions.entry(emoji.clone()).or_default();
        let present = users.iter().any(|u| u == user);
        if add && !present {
            users.push(user.to_string());
        } else if !add {
            users.retain(|u| u != user);
        }
        if users.is_empty() {
            message.reactions.remove(&emoji);
        }
        let frame = ServerFrame::Reaction {
            seq: self.next_seq()?,
            target,
            emoji,
            user: user.to_string(),
            added: add,
        };
        self.store_change(store, socket, user, client_id, &frame, message)
            .map(|(out, _)| out)
    }

    /// `typing` to every socket of the other users, at most once per 2 s.
    fn on_typing(&mut self, user: &str, now_ms: u64) -> Vec<Effect> {
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

fn frame_client_id(frame: &ClientFrame) -> Option<&str> {
    match frame {
        ClientFrame::Send { client_id, .. }
        | ClientFrame::Edit { client_id, .. }
        | ClientFrame::Delete { client_id, .. }
        | ClientFrame::React { client_id, .. } => Some(client_id),
        _ => None,
    }
}

/// The `seq` of a message-table event frame.
fn message_event_seq(frame: &ServerFrame) -> u64 {
    match frame {
        ServerFrame::Message(m) => m.seq,
        ServerFrame::Edit { seq, .. }
        | ServerFrame::Delete { seq, .. }
        | ServerFrame::Reaction { seq, .. } => *seq,
        _ => 0,
    }
}
