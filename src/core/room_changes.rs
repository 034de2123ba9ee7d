//! The four changes a client makes on the room socket (contract sections 5
//! and 6): `send`, `edit`, `delete`, `react`.
//!
//! Decisions where the contract leaves room:
//! - Order of checks for a change: the `client_id` rule, then idempotency (a
//!   repeat of the same change is acked with the original `seq` before
//!   anything else is looked at, so a retry after a reconnect is never rate
//!   limited and a repeated `delete` is acked even though its target is now a
//!   tombstone; a *different* change under a used key is `conflict`, see
//!   [`super::idempotency`]), then the frame's own rules, then the rate limit
//!   (so a refused frame costs no token), then store.
//!   `send`, the hot path, gets the same answers without a lookup first: it
//!   checks its rules and stores, and the store reports a repeat instead of
//!   writing it (the token is given back); only a refused `send` looks up
//!   whether it was a repeat, to answer it.
//! - Rate limits: `send` has the contract's bucket; `edit`, `delete` and
//!   `react` share a second one per user per room
//!   ([`super::rate_limit::CHANGE_BURST`]). Past either, `error`
//!   `rate_limited` with `retry_after_ms`, and nothing is stored.
//! - Every accepted `react` stores a `reaction` event, even when it changes
//!   nothing (adding a reaction that is already there, removing one that is
//!   not). The reaction state is a set, so applying such an event again is
//!   harmless, and it keeps the contract's promise that every `ack` carries the
//!   `seq` of the event the change created.
//! - Reactions are capped: at most [`REACTIONS_PER_MESSAGE_MAX`] different
//!   emoji on a message and [`REACTIONS_PER_USER_MAX`] by one user on one
//!   message; an `add` past either is `conflict` and stores nothing (removing
//!   is always allowed).
//! - Deleting a message clears its reactions along with its text, and
//!   redacts the text from the stored log: the message's own event becomes
//!   its tombstone and its `edit` events lose their text (`"text": ""`), in
//!   the same transaction, so no replay and no stored row keeps what was
//!   deleted. Editing, deleting or reacting to a tombstone is `not_found`;
//!   replying to one is allowed (the tombstone still exists in history).

use super::error::{ApiError, ApiResult, ErrorCode};
use super::idempotency::check_repeat;
use super::mentions::mentions;
use super::permissions::{self, Action, ActorStatus};
use super::protocol::{Message, Role, ServerFrame};
use super::push::{notifies, PushPayload};
use super::rate_limit::{change_limited, send_limited};
use super::room::{send_to, Effect, Room, SocketId};
use super::store::{Appended, ChangeKey, PriorChange, RoomStore, StoredEvent};
use super::validate;

/// A `send` frame's content.
pub(super) struct Send<'a> {
    pub text: &'a str,
    pub reply_to: Option<u64>,
    pub attachments: &'a [String],
}

/// Different emoji one message may carry.
pub const REACTIONS_PER_MESSAGE_MAX: usize = 20;
/// Different emoji one user may put on one message.
pub const REACTIONS_PER_USER_MAX: usize = 10;

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

/// A change under a key used before: the original `ack` when it is the same
/// change, else `conflict`.
fn repeat_answer(socket: SocketId, key: &ChangeKey, prior: &PriorChange) -> ApiResult<Vec<Effect>> {
    let seq = check_repeat(prior, key.fingerprint.as_deref())?;
    Ok(vec![ack(socket, &key.client_id, seq)])
}

/// A `send` refused by its own rules or the rate limit: if its key was used
/// before, that decides the answer instead.
fn repeat_or(
    store: &dyn RoomStore,
    socket: SocketId,
    key: &ChangeKey,
    refusal: ApiError,
) -> ApiResult<Vec<Effect>> {
    match store.find_change(&key.author, &key.client_id)? {
        Some(prior) => repeat_answer(socket, key, &prior),
        None => Err(refusal),
    }
}

/// Checks the `client_id` and answers a key used before.
fn repeat(
    store: &dyn RoomStore,
    socket: SocketId,
    key: &ChangeKey,
) -> ApiResult<Option<Vec<Effect>>> {
    validate::client_id(&key.client_id)?;
    store
        .find_change(&key.author, &key.client_id)?
        .map(|prior| repeat_answer(socket, key, &prior))
        .transpose()
}

/// May `user` add `emoji` to `message` under the reaction caps?
fn reaction_allowed(message: &Message, user: &str, emoji: &str) -> ApiResult<()> {
    let has = |users: &Vec<String>| users.iter().any(|u| u == user);
    match message.reactions.get(emoji) {
        Some(users) if has(users) => return Ok(()),
        Some(_) => {}
        None if message.reactions.len() >= REACTIONS_PER_MESSAGE_MAX => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "This message already has {REACTIONS_PER_MESSAGE_MAX} different reactions."
                ),
            ))
        }
        None => {}
    }
    if message.reactions.values().filter(|u| has(u)).count() >= REACTIONS_PER_USER_MAX {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "You can put at most {REACTIONS_PER_USER_MAX} different reactions on one message."
            ),
        ));
    }
    Ok(())
}

/// What [`Room::store_change`] did.
enum Outcome {
    /// Stored: the event to everyone, then the `ack`.
    Stored(Vec<Effect>),
    /// The key was used before; nothing was written.
    Repeat(PriorChange),
}

impl Room {
    /// Stores a client's change unless the store finds its key used before.
    fn store_change(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        key: ChangeKey,
        frame: &ServerFrame,
        message: Message,
    ) -> ApiResult<Outcome> {
        let seq = message_event_seq(frame)?;
        let text = frame.encode()?;
        let client_id = key.client_id.clone();
        let event = StoredEvent {
            seq,
            frame: text.clone(),
            change: Some(key),
            message: Some(message),
        };
        Ok(match self.append_change(store, &event)? {
            Appended::Repeat(prior) => Outcome::Repeat(prior),
            Appended::Stored => Outcome::Stored(vec![
                Effect::Broadcast {
                    frame: text,
                    except: None,
                },
                ack(socket, &client_id, seq),
            ]),
        })
    }

    /// [`Room::store_change`] for the changes checked for a repeat first.
    fn store_checked(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        key: ChangeKey,
        frame: &ServerFrame,
        message: Message,
    ) -> ApiResult<Vec<Effect>> {
        let answer = key.clone();
        match self.store_change(store, socket, key, frame, message)? {
            Outcome::Stored(out) => Ok(out),
            Outcome::Repeat(prior) => repeat_answer(socket, &answer, &prior),
        }
    }

    /// Who `message` notifies by Web Push, and what it tells each: members
    /// but its author whose level allows it and who have no socket open here.
    fn pushes_for(&self, message: &Message) -> Vec<(String, PushPayload)> {
        let Some(state) = self.state.as_ref() else {
            return Vec::new();
        };
        state
            .members
            .keys()
            .filter(|u| **u != message.author && !self.is_online(u))
            .filter_map(|u| {
                let mention = message.mentions.contains(u);
                notifies(state.notify_of(u), mention, state.is_dm())
                    .then(|| (u.clone(), PushPayload::of(&state.name, message, mention)))
            })
            .collect()
    }

    /// The members `text` by `author` mentions; `@room` counts from the
    /// owner and moderators.
    fn mentions_in(&self, author: &str, text: &str) -> Vec<String> {
        let Some(state) = self.state.as_ref() else {
            return Vec::new();
        };
        let may_mention_room = matches!(state.role_of(author), Some(Role::Owner | Role::Moderator));
        mentions(text, state.members.keys(), may_mention_room)
    }

    /// Takes one token of `user`'s bucket for edits, deletes and reactions.
    fn take_change(&mut self, user: &str, now_ms: u64) -> ApiResult<()> {
        self.buckets_of(user, now_ms)
            .take_change(now_ms)
            .map_err(change_limited)
    }

    pub(super) fn on_send(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        key: ChangeKey,
        send: Send<'_>,
        now_ms: u64,
    ) -> ApiResult<Vec<Effect>> {
        let Send {
            text,
            reply_to,
            attachments,
        } = send;
        // The hot path: no lookup before storing. A repeat is caught by the
        // store (nothing written, the token given back) or, when the frame is
        // refused, looked up then, so it is still answered before any rule.
        validate::client_id(&key.client_id)?;
        let text = match validate::message_text_with(text, !attachments.is_empty()) {
            Ok(t) => t,
            Err(e) => return repeat_or(store, socket, &key, e),
        };
        let uploads = match self.uploads_for_send(store, &key.author, attachments) {
            Ok(u) => u,
            Err(e) => return repeat_or(store, socket, &key, e),
        };
        if let Some(r) = reply_to {
            if store.message(r)?.is_none() {
                let e = ApiError::not_found(format!(
                    "The message you reply to ({r}) does not exist in this room."
                ));
                return repeat_or(store, socket, &key, e);
            }
        }
        if let Err(e) = self.refuse_if_blocked() {
            return repeat_or(store, socket, &key, e);
        }
        let rates = self.rates;
        let user = key.author.clone();
        if let Err(wait) = rates.take(&mut self.buckets_of(&user, now_ms).send, now_ms) {
            return repeat_or(store, socket, &key, send_limited(wait));
        }

        let seq = self.next_seq()?;
        let mentions = self.mentions_in(&user, &text);
        let room = &self.state_ref()?.name;
        let message = Message {
            seq,
            author: user.clone(),
            text,
            ts: now_ms,
            client_id: key.client_id.clone(),
            reply_to,
            edited_at: None,
            deleted: false,
            reactions: Default::default(),
            attachments: uploads.iter().map(|u| u.public(room)).collect(),
            mentions,
        };
        let frame = ServerFrame::Message(message.clone());
        let answer = key.clone();
        let pushes = self.pushes_for(&message);
        match self.store_change(store, socket, key, &frame, message)? {
            Outcome::Stored(mut out) => {
                if !pushes.is_empty() {
                    out.push(Effect::Push { pushes });
                }
                if !attachments.is_empty() {
                    store.attach(attachments, seq)?;
                }
                self.reopen_after_message(store, &mut out)?;
                self.touch_activity(now_ms, &mut out);
                Ok(out)
            }
            Outcome::Repeat(prior) => {
                // A repeat costs no token.
                rates.give_back(&mut self.buckets_of(&user, now_ms).send);
                repeat_answer(socket, &answer, &prior)
            }
        }
    }

    pub(super) fn on_edit(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        key: ChangeKey,
        target: u64,
        text: &str,
        now_ms: u64,
    ) -> ApiResult<Vec<Effect>> {
        if let Some(answer) = repeat(store, socket, &key)? {
            return Ok(answer);
        }
        self.refuse_if_blocked()?;
        let text = validate::message_text(text)?;
        let mut message = live_message(store, target)?;
        if message.author != key.author {
            return Err(ApiError::forbidden("You can only edit your own messages."));
        }
        self.take_change(&key.author, now_ms)?;
        message.text = text.clone();
        message.edited_at = Some(now_ms);
        message.mentions = self.mentions_in(&key.author, &message.text);
        let frame = ServerFrame::Edit {
            seq: self.next_seq()?,
            target,
            text,
            edited_at: now_ms,
            by: key.author.clone(),
            mentions: message.mentions.clone(),
        };
        self.store_checked(store, socket, key, &frame, message)
    }

    pub(super) fn on_delete(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        status: ActorStatus,
        key: ChangeKey,
        target: u64,
        now_ms: u64,
    ) -> ApiResult<Vec<Effect>> {
        if let Some(answer) = repeat(store, socket, &key)? {
            return Ok(answer);
        }
        let mut message = live_message(store, target)?;
        if message.author != key.author {
            let visibility = self.state_ref()?.visibility;
            permissions::allowed(Action::DeleteAnyMessage, status, visibility).map_err(|_| {
                ApiError::forbidden("Only moderators and the owner can delete others' messages.")
            })?;
        }
        self.take_change(&key.author, now_ms)?;
        message.deleted = true;
        message.text.clear();
        message.reactions.clear();
        message.attachments.clear();
        message.mentions.clear();
        let gone = store.uploads_of(target)?;
        let deleted_objects = self.drop_uploads(store, &gone)?;
        // The text leaves the log first; memory changes only once the delete
        // event is stored too.
        let tombstone = ServerFrame::Message(message.clone()).encode()?;
        store.redact(target, &tombstone)?;
        let frame = ServerFrame::Delete {
            seq: self.next_seq()?,
            target,
            by: key.author.clone(),
        };
        let mut out = self.store_checked(store, socket, key, &frame, message)?;
        out.extend(deleted_objects);
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_react(
        &mut self,
        store: &mut dyn RoomStore,
        socket: SocketId,
        key: ChangeKey,
        target: u64,
        emoji: String,
        add: bool,
        now_ms: u64,
    ) -> ApiResult<Vec<Effect>> {
        if let Some(answer) = repeat(store, socket, &key)? {
            return Ok(answer);
        }
        self.refuse_if_blocked()?;
        validate::emoji(&emoji)?;
        let mut message = live_message(store, target)?;
        let user = key.author.clone();
        if add {
            reaction_allowed(&message, &user, &emoji)?;
        }
        self.take_change(&user, now_ms)?;
        let users = message.reactions.entry(emoji.clone()).or_default();
        let present = users.contains(&user);
        if add && !present {
            users.push(user.clone());
        } else if !add {
            users.retain(|u| *u != user);
        }
        if users.is_empty() {
            message.reactions.remove(&emoji);
        }
        let frame = ServerFrame::Reaction {
            seq: self.next_seq()?,
            target,
            emoji,
            user,
            added: add,
        };
        self.store_checked(store, socket, key, &frame, message)
    }
}

/// The `seq` of a message-table event frame; any other frame is a bug in
/// the caller, refused rather than stored under a made-up seq.
fn message_event_seq(frame: &ServerFrame) -> ApiResult<u64> {
    match frame {
        ServerFrame::Message(m) => Ok(m.seq),
        ServerFrame::Edit { seq, .. }
        | ServerFrame::Delete { seq, .. }
        | ServerFrame::Reaction { seq, .. } => Ok(*seq),
        _ => Err(ApiError::internal()),
    }
}
