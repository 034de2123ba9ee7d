//! Scenario tests of the room state machine through its public API, the way
//! the Durable Object drives it: commands, connects and raw socket frames in,
//! effects out, with a [`MemoryStore`] and a fake clock. This file is the
//! harness and the verbs; each submodule tests one behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::{json, Value};

use super::close_reason::CloseReason;
use super::directory::{supersedes, DirectoryVersion, DIRECTORY_ACTIVITY_INTERVAL_MS};
use super::error::{ApiResult, ErrorCode};
use super::protocol::{Role, Visibility};
use super::rate_limit::{RateSettings, CHANGE_BURST, HISTORY_BURST};
use super::room::{Effect, Room, SocketId};
use super::room_api::{Answer, CreateRoomBody, EditRoomBody, Reply, RoomCommand, UsernameBody};
use super::room_changes::{REACTIONS_PER_MESSAGE_MAX, REACTIONS_PER_USER_MAX};
use super::room_sessions::{MAX_SOCKETS_PER_USER, REVOKED_KEEP_MS};
use super::room_socket::{resumable, Incoming, REPLAY_PAGE};
use super::store::{ChangeKey, MemoryStore, RoomStore, StoredEvent};
use super::validate::{FRAME_MAX_BYTES, RESUME_WINDOW};

mod access;
mod attachments;
mod changes;
mod directory;
mod dm;
mod frames;
mod lifecycle;
mod mentions;
mod messaging;
mod moderation;
mod presence;
mod resume;
mod search;
mod sessions;
mod validation;

const T0: u64 = 1_700_000_000_000;

struct H {
    room: Room,
    store: MemoryStore,
    now: u64,
    next_socket: u64,
}

fn create_cmd(visibility: Visibility) -> RoomCommand {
    RoomCommand::Create(CreateRoomBody {
        name: "general".into(),
        title: None,
        topic: None,
        visibility: Some(visibility),
    })
}

impl H {
    fn with(rates: RateSettings, visibility: Visibility) -> H {
        let mut h = H {
            room: Room::new(rates),
            store: MemoryStore::new(),
            now: T0,
            next_socket: 1,
        };
        h.cmd("alice", create_cmd(visibility)).unwrap();
        h
    }

    /// Public room "general" owned by alice, default send rate.
    fn new() -> H {
        H::with(RateSettings::default(), Visibility::Public)
    }

    /// A room where sends are effectively unlimited.
    fn fast() -> H {
        H::with(
            RateSettings {
                burst: 1_000_000,
                per_sec: 1000.0,
            },
            Visibility::Public,
        )
    }

    /// A fast room (as [`H::fast`]) that `members` have joined too.
    fn fast_with(members: &[&str]) -> H {
        let mut h = H::fast();
        for user in members {
            h.join(user);
        }
        h
    }

    fn cmd(&mut self, actor: &str, cmd: RoomCommand) -> ApiResult<Reply> {
        self.room
            .handle_command(&mut self.store, actor, cmd, self.now)
    }

    fn join(&mut self, user: &str) {
        self.cmd(user, RoomCommand::Join).unwrap();
    }

    fn try_connect(
        &mut self,
        user: &str,
        since: Option<u64>,
    ) -> ApiResult<(SocketId, Vec<Effect>)> {
        let socket = SocketId(self.next_socket);
        self.next_socket += 1;
        let sid = format!("sid-{user}");
        let connected = self
            .room
            .on_connect(&self.store, socket, user, &sid, u64::MAX, since)?;
        // As the Durable Object does: the effects, then the replay's pages.
        let mut effects = connected.effects;
        if let Some(mut replay) = connected.replay {
            loop {
                let page = self.room.replay_page(&self.store, &mut replay);
                if page.is_empty() {
                    break;
                }
                effects.extend(page);
            }
        }
        Ok((socket, effects))
    }

    fn connect(&mut self, user: &str) -> SocketId {
        self.try_connect(user, None).unwrap().0
    }

    fn raw(&mut self, socket: SocketId, raw: &str) -> Vec<Effect> {
        self.room
            .handle_frame(&mut self.store, socket, raw, self.now)
            .effects
    }

    fn frame(&mut self, socket: SocketId, v: Value) -> Vec<Effect> {
        self.raw(socket, &v.to_string())
    }

    /// Sends a message and returns its seq from the ack.
    fn send(&mut self, socket: SocketId, cid: &str, text: &str) -> u64 {
        let fx = self.frame(
            socket,
            json!({"type": "send", "client_id": cid, "text": text}),
        );
        ack_seq(&fx, socket).unwrap_or_else(|| panic!("no ack: {fx:?}"))
    }

    fn messages(&mut self, actor: &str, before: Option<u64>, limit: Option<i64>) -> Value {
        self.cmd(actor, RoomCommand::Messages { before, limit })
            .unwrap()
            .json()
    }

    /// Connects and returns the socket and the text of every frame it got,
    /// replay pages included.
    fn connect_texts(&mut self, user: &str, since: Option<u64>) -> (SocketId, Vec<String>) {
        let (socket, effects) = self.try_connect(user, since).unwrap();
        (socket, texts_to(&effects, socket))
    }

    fn react(&mut self, socket: SocketId, cid: &str, target: u64, emoji: &str) -> Vec<Effect> {
        self.frame(
            socket,
            json!({"type": "react", "client_id": cid, "target": target, "emoji": emoji, "add": true}),
        )
    }

    fn last_seq(&self) -> u64 {
        self.room.state().unwrap().last_seq
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The text of every frame `socket` receives from these effects, in order
/// (sockets that the effects close receive nothing after their close).
fn texts_to(effects: &[Effect], socket: SocketId) -> Vec<String> {
    let mut out = Vec::new();
    for e in effects {
        match e {
            Effect::Send { socket: s, frame } if *s == socket => out.push(frame.to_string()),
            Effect::Broadcast { frame, except } if *except != Some(socket) => {
                out.push(frame.to_string())
            }
            Effect::Close { socket: s, .. } if *s == socket => break,
            _ => {}
        }
    }
    out
}

/// Every frame `socket` receives from these effects, parsed.
fn frames_to(effects: &[Effect], socket: SocketId) -> Vec<Value> {
    texts_to(effects, socket).iter().map(|t| parse(t)).collect()
}

fn types(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_string())
        .collect()
}

fn ack_seq(effects: &[Effect], socket: SocketId) -> Option<u64> {
    frames_to(effects, socket)
        .iter()
        .find(|f| f["type"] == "ack")
        .map(|f| f["seq"].as_u64().unwrap())
}

/// The single `error` frame `socket` got.
fn error_of(effects: &[Effect], socket: SocketId) -> Value {
    let frames = frames_to(effects, socket);
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["type"], "error", "{frames:?}");
    frames[0].clone()
}

fn error_code(effects: &[Effect], socket: SocketId) -> String {
    error_of(effects, socket)["code"]
        .as_str()
        .unwrap()
        .to_string()
}

fn closes(effects: &[Effect]) -> Vec<(SocketId, u16)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Close { socket, reason } => Some((*socket, reason.code())),
            _ => None,
        })
        .collect()
}

fn err_code<T: std::fmt::Debug>(r: ApiResult<T>) -> ErrorCode {
    r.unwrap_err().code
}

/// The stored events must be 1..=last_seq with each frame's own seq.
fn assert_no_gaps(h: &H) {
    let seqs = h.store.event_seqs();
    let want: Vec<u64> = (1..=h.last_seq()).collect();
    assert_eq!(seqs, want);
    for (i, text) in h.store.events_after(0).unwrap().iter().enumerate() {
        assert_eq!(parse(text)["seq"], json!(i as u64 + 1), "{text}");
    }
}

// ----- verbs: the commands the tests repeat --------------------------------

fn invite(user: &str) -> RoomCommand {
    RoomCommand::Invite(UsernameBody {
        username: user.into(),
    })
}

fn kick(user: &str) -> RoomCommand {
    RoomCommand::Kick(UsernameBody {
        username: user.into(),
    })
}

fn ban(user: &str) -> RoomCommand {
    RoomCommand::Ban(UsernameBody {
        username: user.into(),
    })
}

fn unban(user: &str) -> RoomCommand {
    RoomCommand::Unban {
        username: user.into(),
    }
}

fn set_role(user: &str, role: Role) -> RoomCommand {
    RoomCommand::SetRole {
        username: user.into(),
        role,
    }
}

/// A public room "general" owned by "owner" that `user` has joined, driven
/// directly (for tests of sockets and sessions without the harness).
fn room_with_member(user: &str) -> (Room, MemoryStore) {
    let mut room = Room::new(RateSettings::default());
    let mut store = MemoryStore::new();
    room.handle_command(&mut store, "owner", create_cmd(Visibility::Public), T0)
        .unwrap();
    room.handle_command(&mut store, user, RoomCommand::Join, T0)
        .unwrap();
    (room, store)
}
