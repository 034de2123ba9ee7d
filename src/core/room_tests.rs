//! Scenario tests of the room state machine through its public API, the way
//! the Durable Object drives it: commands, connects and raw socket frames in,
//! effects out, with a [`MemoryStore`] and a fake clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::{json, Value};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::directory::{supersedes, DirectoryVersion, DIRECTORY_ACTIVITY_INTERVAL_MS};
use super::error::{ApiResult, ErrorCode};
use super::protocol::{Role, Visibility};
use super::rate_limit::RateSettings;
use super::room::{close_code, Effect, Reply, Room, SocketId};
use super::room_commands::RoomCommand;
use super::room_socket::resumable;
use super::store::{MemoryStore, RoomStore};
use super::validate::RESUME_WINDOW;

const T0: u64 = 1_700_000_000_000;

struct H {
    room: Room,
    store: MemoryStore,
    now: u64,
    next_socket: u64,
}

fn create_cmd(visibility: Visibility) -> RoomCommand {
    RoomCommand::Create {
        name: "general".into(),
        title: None,
        topic: None,
        visibility: Some(visibility),
    }
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
            .on_connect(&self.store, socket, user, &sid, since)?;
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
            .body
            .unwrap()
    }

    fn last_seq(&self) -> u64 {
        self.room.state().unwrap().last_seq
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Every frame `socket` receives from these effects, in order (sockets that
/// the effects close receive nothing after their close).
fn frames_to(effects: &[Effect], socket: SocketId) -> Vec<Value> {
    let mut out = Vec::new();
    for e in effects {
        match e {
            Effect::Send { socket: s, frame } if *s == socket => out.push(parse(frame)),
            Effect::Broadcast { frame, except } if *except != Some(socket) => {
                out.push(parse(frame))
            }
            Effect::Close { socket: s, .. } if *s == socket => break,
            _ => {}
        }
    }
    out
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
            Effect::Close { socket, code, .. } => Some((*socket, *code)),
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

// ----- creation, sending, ordering -----------------------------------------

#[test]
fn creating_a_room_stores_the_owner_joining_as_seq_1() {
    let mut h = H {
        room: Room::new(RateSettings::default()),
        store: MemoryStore::new(),
        now: T0,
        next_socket: 1,
    };
    let reply = h.cmd("alice", create_cmd(Visibility::Public)).unwrap();
    assert_eq!(reply.status, 201);
    let body = reply.body.unwrap();
    assert_eq!(body["name"], "general");
    assert_eq!(body["title"], "general");
    assert_eq!(body["topic"], "");
    assert_eq!(body["visibility"], "public");
    assert_eq!(body["owner"], "alice");
    assert_eq!(body["member_count"], 1);
    assert_eq!(body["last_seq"], 1);
    assert_eq!(body["role"], "owner");
    assert_eq!(body["unread"], 0);
    assert!(reply.effects.contains(&Effect::AccountRoomsChanged {
        username: "alice".into(),
        added: true
    }));
    assert!(reply.effects.iter().any(|e| matches!(
        e,
        Effect::DirectoryChanged {
            listing: Some(_),
            ..
        }
    )));
    assert_eq!(
        parse(&h.store.events_after(0).unwrap()[0]),
        json!({"type": "member", "seq": 1, "user": "alice", "action": "joined", "role": "owner"})
    );
    // The name is taken now, whatever the visibility.
    assert_eq!(
        err_code(h.cmd("bob", create_cmd(Visibility::Private))),
        ErrorCode::RoomExists
    );
    // Field rules apply at creation.
    let mut fresh = Room::new(RateSettings::default());
    let mut store = MemoryStore::new();
    for bad in [
        RoomCommand::Create {
            name: "General".into(),
            title: None,
            topic: None,
            visibility: None,
        },
        RoomCommand::Create {
            name: "ok-name".into(),
            title: Some("x".repeat(65)),
            topic: None,
            visibility: None,
        },
        RoomCommand::Create {
            name: "ok-name".into(),
            title: None,
            topic: Some("x".repeat(281)),
            visibility: None,
        },
    ] {
        assert_eq!(
            err_code(fresh.handle_command(&mut store, "bob", bad, T0)),
            ErrorCode::BadRequest
        );
    }
    assert!(store.is_empty());
}

#[test]
fn commands_on_a_missing_room_are_not_found() {
    let mut room = Room::new(RateSettings::default());
    let mut store = MemoryStore::new();
    for cmd in [RoomCommand::Info, RoomCommand::Join, RoomCommand::Delete] {
        assert_eq!(
            err_code(room.handle_command(&mut store, "bob", cmd, T0)),
            ErrorCode::NotFound
        );
    }
    assert_eq!(
        err_code(room.on_connect(&store, SocketId(1), "bob", "s", None)),
        ErrorCode::NotFound
    );
}

#[test]
fn a_message_is_stored_then_broadcast_then_acked() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    h.now += 5;
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "m1", "text": "hello"}),
    );
    // Storage happened before the effects came back.
    let stored = h.store.message(3).unwrap().unwrap();
    assert_eq!(stored.text, "hello");
    // Broadcast (sender included) first, then the ack to the sender only.
    assert!(matches!(&fx[0], Effect::Broadcast { except: None, .. }));
    assert!(matches!(&fx[1], Effect::Send { socket, .. } if *socket == a));
    let to_a = frames_to(&fx, a);
    assert_eq!(types(&to_a), ["message", "ack"]);
    assert_eq!(
        to_a[0],
        json!({"type": "message", "seq": 3, "author": "alice", "text": "hello", "ts": T0 + 5,
               "client_id": "m1", "reply_to": null, "edited_at": null, "deleted": false,
               "reactions": {}})
    );
    assert_eq!(to_a[1], json!({"type": "ack", "client_id": "m1", "seq": 3}));
    assert_eq!(types(&frames_to(&fx, b)), ["message"]);
    // The live frame and the stored frame are the same bytes.
    let Effect::Broadcast { frame, .. } = &fx[0] else {
        unreachable!()
    };
    assert_eq!(h.store.events_after(2).unwrap(), [frame.to_string()]);
}

#[test]
fn every_durable_event_takes_the_next_seq_without_gaps() {
    let mut h = H::fast();
    h.join("bob");
    h.join("carol");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let m1 = h.send(a, "a1", "one");
    let m2 = h.send(b, "b1", "two");
    let fx = h.frame(
        b,
        json!({"type": "edit", "client_id": "b2", "target": m2, "text": "2"}),
    );
    let e = ack_seq(&fx, b).unwrap();
    let fx = h.frame(
        a,
        json!({"type": "react", "client_id": "a2", "target": m2, "emoji": "👍", "add": true}),
    );
    let r = ack_seq(&fx, a).unwrap();
    let fx = h.frame(
        a,
        json!({"type": "delete", "client_id": "a3", "target": m1}),
    );
    let d = ack_seq(&fx, a).unwrap();
    assert_eq!([m1, m2, e, r, d], [4, 5, 6, 7, 8]);
    h.cmd(
        "alice",
        RoomCommand::SetRole {
            username: "bob".into(),
            role: Role::Moderator,
        },
    )
    .unwrap();
    h.cmd(
        "bob",
        RoomCommand::Edit {
            title: Some("General chat".into()),
            topic: None,
            visibility: None,
        },
    )
    .unwrap();
    h.cmd(
        "bob",
        RoomCommand::Kick {
            username: "carol".into(),
        },
    )
    .unwrap();
    h.cmd(
        "bob",
        RoomCommand::Ban {
            username: "dave".into(),
        },
    )
    .unwrap();
    h.cmd(
        "bob",
        RoomCommand::Unban {
            username: "dave".into(),
        },
    )
    .unwrap();
    h.cmd("dave", RoomCommand::Join).unwrap();
    h.cmd("dave", RoomCommand::Leave).unwrap();
    // Non-durable things take no seq.
    h.frame(a, json!({"type": "typing"}));
    h.frame(a, json!({"type": "read", "seq": 3}));
    h.frame(a, json!({"type": "ping"}));
    h.frame(a, json!({"type": "history"}));
    h.cmd("carol", RoomCommand::Info).unwrap();
    assert_eq!(h.last_seq(), 15);
    assert_no_gaps(&h);
    let kinds: Vec<String> = h
        .store
        .events_after(0)
        .unwrap()
        .iter()
        .map(|t| parse(t)["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "member", "member", "member", "message", "message", "edit", "reaction", "delete",
            "member", "room", "member", "member", "member", "member", "member"
        ]
    );
}

#[test]
fn a_failed_write_takes_no_seq_and_tells_the_sender() {
    let mut h = H::new();
    let a = h.connect("alice");
    h.store.fail_next_write = true;
    let fx = h.frame(a, json!({"type": "send", "client_id": "x1", "text": "hi"}));
    let err = error_of(&fx, a);
    assert_eq!(err["code"], "internal");
    assert_eq!(err["client_id"], "x1");
    assert_eq!(h.last_seq(), 1);
    // The retry succeeds with the seq the failed attempt did not take.
    assert_eq!(h.send(a, "x1", "hi"), 2);
    assert_no_gaps(&h);
    // A failed command changes nothing either.
    h.store.fail_next_write = true;
    assert_eq!(
        err_code(h.cmd("bob", RoomCommand::Join)),
        ErrorCode::Internal
    );
    assert_eq!(h.room.state().unwrap().member_count(), 1);
    h.join("bob");
    assert_eq!(h.last_seq(), 3);
    assert_no_gaps(&h);
}

// ----- idempotency ----------------------------------------------------------

#[test]
fn a_repeated_client_id_gets_the_same_ack_and_changes_nothing() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let first = h.send(a, "same", "hello");
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "same", "text": "hello again"}),
    );
    // Only the ack, only to the sender; no broadcast, nothing stored.
    assert_eq!(
        frames_to(&fx, a),
        [json!({"type": "ack", "client_id": "same", "seq": first})]
    );
    assert!(frames_to(&fx, b).is_empty());
    assert_eq!(h.last_seq(), first);
    assert_eq!(h.store.message(first).unwrap().unwrap().text, "hello");
    // From a new socket of the same user (a reconnect) too.
    let a2 = h.connect("alice");
    let fx = h.frame(
        a2,
        json!({"type": "send", "client_id": "same", "text": "hello"}),
    );
    assert_eq!(ack_seq(&fx, a2), Some(first));
    // Another user's identical client_id is another change.
    let other = h.send(b, "same", "hi");
    assert_eq!(other, first + 1);
}

#[test]
fn a_repeated_delete_is_acked_even_though_its_target_is_gone() {
    let mut h = H::new();
    let a = h.connect("alice");
    let m = h.send(a, "m", "oops");
    let fx = h.frame(a, json!({"type": "delete", "client_id": "d", "target": m}));
    let d = ack_seq(&fx, a).unwrap();
    let fx = h.frame(a, json!({"type": "delete", "client_id": "d", "target": m}));
    assert_eq!(
        frames_to(&fx, a),
        [json!({"type": "ack", "client_id": "d", "seq": d})]
    );
    // A fresh delete of the tombstone is not_found.
    let fx = h.frame(a, json!({"type": "delete", "client_id": "d2", "target": m}));
    assert_eq!(error_code(&fx, a), "not_found");
    // Repeated edits and reactions are acked once too.
    let m2 = h.send(a, "m2", "typo");
    let edit = json!({"type": "edit", "client_id": "e", "target": m2, "text": "fixed"});
    let e1 = ack_seq(&h.frame(a, edit.clone()), a);
    let e2 = ack_seq(&h.frame(a, edit), a);
    assert_eq!(e1, e2);
    let react =
        json!({"type": "react", "client_id": "r", "target": m2, "emoji": "🎉", "add": true});
    let r1 = ack_seq(&h.frame(a, react.clone()), a);
    let r2 = ack_seq(&h.frame(a, react), a);
    assert_eq!(r1, r2);
    assert_eq!(h.last_seq(), r1.unwrap());
    assert_no_gaps(&h);
}

#[test]
fn retries_are_not_rate_limited() {
    let mut h = H::new();
    let a = h.connect("alice");
    for i in 0..10 {
        h.send(a, &format!("c{i}"), "x");
    }
    let fx = h.frame(a, json!({"type": "send", "client_id": "c11", "text": "x"}));
    assert_eq!(error_code(&fx, a), "rate_limited");
    // A retry of an acked send is answered, not limited.
    let fx = h.frame(a, json!({"type": "send", "client_id": "c3", "text": "x"}));
    assert_eq!(ack_seq(&fx, a), Some(5));
}

#[test]
fn a_repeat_costs_no_token_and_is_acked_even_if_its_text_is_now_refused() {
    let mut h = H::new();
    let a = h.connect("alice");
    let first = h.send(a, "c0", "x");
    // Nine more sends and nine repeats of the first: the repeats take nothing,
    // so the burst of 10 is still exactly used up by the ten sends.
    for i in 1..10 {
        h.send(a, &format!("c{i}"), "x");
        let fx = h.frame(a, json!({"type": "send", "client_id": "c0", "text": "x"}));
        assert_eq!(ack_seq(&fx, a), Some(first));
    }
    let fx = h.frame(a, json!({"type": "send", "client_id": "c10", "text": "x"}));
    assert_eq!(error_code(&fx, a), "rate_limited");
    // A repeat whose text or reply would be refused now is still the original ack.
    let fx = h.frame(a, json!({"type": "send", "client_id": "c0", "text": "   "}));
    assert_eq!(ack_seq(&fx, a), Some(first));
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "c0", "text": "x", "reply_to": 999}),
    );
    assert_eq!(ack_seq(&fx, a), Some(first));
    assert_no_gaps(&h);
}

// ----- rate limit -----------------------------------------------------------

#[test]
fn sends_burst_10_then_1_per_second_and_refusals_store_nothing() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    for i in 0..10 {
        h.send(a, &format!("c{i}"), "x");
    }
    let before = h.last_seq();
    let fx = h.frame(a, json!({"type": "send", "client_id": "c10", "text": "x"}));
    let err = error_of(&fx, a);
    assert_eq!(err["code"], "rate_limited");
    assert_eq!(err["client_id"], "c10");
    assert_eq!(err["retry_after_ms"], 1000);
    assert!(frames_to(&fx, b).is_empty());
    assert_eq!(h.last_seq(), before);
    assert_eq!(h.store.find_change("alice", "c10").unwrap(), None);
    // Other users have their own bucket.
    h.send(b, "b0", "y");
    // Half a second later: still limited, with less to wait.
    h.now += 500;
    let fx = h.frame(a, json!({"type": "send", "client_id": "c10", "text": "x"}));
    assert_eq!(error_of(&fx, a)["retry_after_ms"], 500);
    // One second after the burst: exactly one more.
    h.now += 500;
    h.send(a, "c10", "x");
    let fx = h.frame(a, json!({"type": "send", "client_id": "c11", "text": "x"}));
    assert_eq!(error_code(&fx, a), "rate_limited");
    // Ten idle seconds refill the whole burst, and no more.
    h.now += 60_000;
    for i in 20..30 {
        h.send(a, &format!("c{i}"), "x");
    }
    let fx = h.frame(a, json!({"type": "send", "client_id": "c30", "text": "x"}));
    assert_eq!(error_code(&fx, a), "rate_limited");
    // Edits, reactions and deletes are not sends.
    let target = h.last_seq();
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": target, "text": "z"}),
    );
    assert!(ack_seq(&fx, a).is_some());
    // A refused (invalid) send costs no token.
    h.now += 1000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "c31", "text": " "}));
    assert_eq!(error_code(&fx, a), "bad_request");
    h.send(a, "c32", "ok");
}

// ----- validation through frames -------------------------------------------

#[test]
fn message_text_rules() {
    let mut h = H::fast();
    let a = h.connect("alice");
    let send = |text: &str| json!({"type": "send", "client_id": "c", "text": text});
    for (text, code) in [
        ("".to_string(), "bad_request"),
        ("   \n\t".to_string(), "bad_request"),
        ("x".repeat(4001), "too_long"),
        ("é".repeat(4001), "too_long"),
        ("nul\u{0}".to_string(), "bad_request"),
    ] {
        let fx = h.frame(a, send(&text));
        let err = error_of(&fx, a);
        assert_eq!(err["code"], code, "{:?}", text.get(..10));
        assert_eq!(err["client_id"], "c");
    }
    assert_eq!(h.last_seq(), 1);
    // 4000 characters is fine however many bytes they take.
    let long = "😀".repeat(4000);
    let seq = h.send(a, "long", &long);
    assert_eq!(h.store.message(seq).unwrap().unwrap().text, long);
    // Text is kept exactly, markup included.
    let seq = h.send(a, "html", "  <b>hi</b>\n");
    assert_eq!(h.store.message(seq).unwrap().unwrap().text, "  <b>hi</b>\n");
    // Edits follow the same rule.
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": seq, "text": "x".repeat(4001)}),
    );
    assert_eq!(error_code(&fx, a), "too_long");
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": seq, "text": " "}),
    );
    assert_eq!(error_code(&fx, a), "bad_request");
}

#[test]
fn client_id_rules() {
    let mut h = H::new();
    let a = h.connect("alice");
    for cid in ["", &"a".repeat(65), "a b", "é", "a.b"] {
        let fx = h.frame(a, json!({"type": "send", "client_id": cid, "text": "hi"}));
        assert_eq!(error_code(&fx, a), "bad_request", "{cid:?}");
    }
    h.send(a, &"a".repeat(64), "ok");
    h.send(a, "Az09_-", "ok");
    // The other changes check it too.
    for f in [
        json!({"type": "edit", "client_id": "", "target": 2, "text": "x"}),
        json!({"type": "delete", "client_id": "a b", "target": 2}),
        json!({"type": "react", "client_id": "!", "target": 2, "emoji": "👍", "add": true}),
    ] {
        assert_eq!(error_code(&h.frame(a, f), a), "bad_request");
    }
}

#[test]
fn emoji_rules() {
    let mut h = H::new();
    let a = h.connect("alice");
    let m = h.send(a, "m", "hi");
    for emoji in ["", "a", "+1", "1", "👍 ", "🎉🎉🎉🎉🎉🎉🎉🎉🎉", "\u{0}"] {
        let fx = h.frame(
            a,
            json!({"type": "react", "client_id": "r", "target": m, "emoji": emoji, "add": true}),
        );
        assert_eq!(error_code(&fx, a), "bad_request", "{emoji:?}");
    }
    for (i, emoji) in ["👍", "❤️", "👨‍👩‍👧", "🎉🎉🎉🎉🎉🎉🎉🎉"].iter().enumerate()
    {
        let fx = h.frame(
            a,
            json!({"type": "react", "client_id": format!("r{i}"), "target": m, "emoji": emoji, "add": true}),
        );
        assert!(ack_seq(&fx, a).is_some(), "{emoji:?}");
    }
}

#[test]
fn targets_and_replies_must_name_a_message() {
    let mut h = H::new();
    let a = h.connect("alice");
    let m = h.send(a, "m", "hi");
    // seq 1 is the owner's member event, 99 does not exist.
    for target in [1, 99] {
        for f in [
            json!({"type": "send", "client_id": "s", "text": "re", "reply_to": target}),
            json!({"type": "edit", "client_id": "e", "target": target, "text": "x"}),
            json!({"type": "delete", "client_id": "d", "target": target}),
            json!({"type": "react", "client_id": "r", "target": target, "emoji": "👍", "add": true}),
        ] {
            let fx = h.frame(a, f.clone());
            let err = error_of(&fx, a);
            assert_eq!(err["code"], "not_found", "{f}");
            assert!(err["client_id"].is_string());
        }
    }
    // A real reply works and is recorded.
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "s", "text": "re", "reply_to": m}),
    );
    let r = ack_seq(&fx, a).unwrap();
    assert_eq!(h.store.message(r).unwrap().unwrap().reply_to, Some(m));
    // After deletion: no edit or reaction, but replies to the tombstone are fine.
    h.frame(a, json!({"type": "delete", "client_id": "d", "target": m}));
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": m, "text": "x"}),
    );
    assert_eq!(error_code(&fx, a), "not_found");
    let fx = h.frame(
        a,
        json!({"type": "react", "client_id": "r", "target": m, "emoji": "👍", "add": true}),
    );
    assert_eq!(error_code(&fx, a), "not_found");
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "s2", "text": "re", "reply_to": m}),
    );
    assert!(ack_seq(&fx, a).is_some());
}

#[test]
fn bad_frames_get_an_error_and_the_socket_stays_open() {
    let mut h = H::new();
    let a = h.connect("alice");
    for raw in [
        "not json",
        "[]",
        "{}",
        r#"{"type":"shout"}"#,
        r#"{"type":"send","client_id":"c","text":"hi","extra":1}"#,
        r#"{"type":"send","client_id":"c"}"#,
        r#"{"type":"read","seq":-1}"#,
        r#"{"type":"react","client_id":"c","target":2,"emoji":"👍","add":"yes"}"#,
        r#"{"type":"history","limit":0}"#,
        r#"{"type":"history","limit":101}"#,
        r#"{"type":"history","limit":-1}"#,
        r#"{"type":"history","limit":"5"}"#,
        r#"{"type":"read","seq":999}"#,
    ] {
        let fx = h.raw(a, raw);
        assert_eq!(error_code(&fx, a), "bad_request", "{raw}");
        assert!(closes(&fx).is_empty());
    }
    // The client_id is echoed even when the frame is otherwise malformed.
    let fx = h.raw(a, r#"{"type":"send","client_id":"c7"}"#);
    assert_eq!(error_of(&fx, a)["client_id"], "c7");
    let fx = h.raw(a, r#"{"type":"ping"}"#);
    assert_eq!(frames_to(&fx, a), [json!({"type": "pong"})]);
    assert_eq!(h.room.socket_count(), 1);
}

#[test]
fn a_frame_over_16_kib_closes_the_socket_with_1009() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let raw = json!({"type": "send", "client_id": "c", "text": "x".repeat(16 * 1024)}).to_string();
    let fx = h.raw(a, &raw);
    assert_eq!(closes(&fx), [(a, close_code::TOO_BIG)]);
    // alice's last socket: the others see her go offline.
    assert_eq!(
        frames_to(&fx, b),
        [json!({"type": "presence", "user": "alice", "online": false})]
    );
    assert_eq!(h.last_seq(), 2);
    // Exactly 16 KiB is still a frame (here refused as too long a message).
    let a = h.connect("alice");
    let pad = 16 * 1024 - r#"{"type":"send","client_id":"c","text":""}"#.len();
    let raw = format!(
        r#"{{"type":"send","client_id":"c","text":"{}"}}"#,
        "x".repeat(pad)
    );
    assert_eq!(raw.len(), 16 * 1024);
    assert_eq!(error_code(&h.raw(a, &raw), a), "too_long");
}

// ----- edits, deletes, reactions, history ---------------------------------

#[test]
fn only_the_author_edits() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let m = h.send(b, "m", "bob's");
    // Not even the owner may edit someone else's words.
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": m, "text": "x"}),
    );
    assert_eq!(error_code(&fx, a), "forbidden");
    h.now += 7;
    let fx = h.frame(
        b,
        json!({"type": "edit", "client_id": "e", "target": m, "text": "better"}),
    );
    let seq = ack_seq(&fx, b).unwrap();
    assert_eq!(
        frames_to(&fx, a),
        [
            json!({"type": "edit", "seq": seq, "target": m, "text": "better",
                "edited_at": T0 + 7, "by": "bob"})
        ]
    );
    let msg = h.store.message(m).unwrap().unwrap();
    assert_eq!((msg.text.as_str(), msg.edited_at), ("better", Some(T0 + 7)));
    assert_eq!(msg.seq, m);
}

#[test]
fn authors_moderators_and_the_owner_delete_leaving_a_tombstone() {
    let mut h = H::fast();
    for u in ["bob", "carol", "dave"] {
        h.join(u);
    }
    h.cmd(
        "alice",
        RoomCommand::SetRole {
            username: "carol".into(),
            role: Role::Moderator,
        },
    )
    .unwrap();
    let a = h.connect("alice");
    let b = h.connect("bob");
    let c = h.connect("carol");
    let d = h.connect("dave");
    let m1 = h.send(b, "1", "one");
    let m2 = h.send(b, "2", "two");
    let m3 = h.send(b, "3", "three");
    let m4 = h.send(a, "4", "owner's");
    h.frame(
        d,
        json!({"type": "react", "client_id": "r", "target": m1, "emoji": "👍", "add": true}),
    );
    // A plain member cannot delete someone else's message.
    let fx = h.frame(d, json!({"type": "delete", "client_id": "x", "target": m1}));
    assert_eq!(error_code(&fx, d), "forbidden");
    // Author, moderator, owner can; a moderator even the owner's.
    let fx = h.frame(b, json!({"type": "delete", "client_id": "x", "target": m1}));
    let seq = ack_seq(&fx, b).unwrap();
    assert_eq!(
        frames_to(&fx, d),
        [json!({"type": "delete", "seq": seq, "target": m1, "by": "bob"})]
    );
    assert!(ack_seq(
        &h.frame(c, json!({"type": "delete", "client_id": "x", "target": m2})),
        c
    )
    .is_some());
    assert!(ack_seq(
        &h.frame(a, json!({"type": "delete", "client_id": "x", "target": m3})),
        a
    )
    .is_some());
    assert!(ack_seq(
        &h.frame(c, json!({"type": "delete", "client_id": "y", "target": m4})),
        c
    )
    .is_some());
    let page = h.messages("dave", None, None);
    let msgs = page["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4);
    for m in msgs {
        assert_eq!(m["deleted"], true);
        assert_eq!(m["text"], "");
        assert_eq!(m["reactions"], json!({}));
    }
    assert_eq!(msgs[0]["seq"], m1);
    assert_eq!(msgs[0]["author"], "bob");
}

#[test]
fn reactions_are_sets_and_empty_lists_disappear() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let m = h.send(a, "m", "hi");
    let react = |cid: &str, emoji: &str, add: bool| json!({"type": "react", "client_id": cid, "target": m, "emoji": emoji, "add": add});
    let fx = h.frame(b, react("r1", "👍", true));
    let s1 = ack_seq(&fx, b).unwrap();
    assert_eq!(
        frames_to(&fx, a),
        [
            json!({"type": "reaction", "seq": s1, "target": m, "emoji": "👍", "user": "bob", "added": true})
        ]
    );
    h.frame(a, react("r2", "👍", true));
    h.frame(a, react("r3", "🎉", true));
    let reactions =
        |h: &H| serde_json::to_value(&h.store.message(m).unwrap().unwrap().reactions).unwrap();
    assert_eq!(
        reactions(&h),
        json!({"👍": ["bob", "alice"], "🎉": ["alice"]})
    );
    // Adding again is a no-op on the set, but still an event with its own seq and ack.
    let before = h.last_seq();
    let fx = h.frame(b, react("r4", "👍", true));
    assert_eq!(ack_seq(&fx, b), Some(before + 1));
    assert_eq!(
        reactions(&h),
        json!({"👍": ["bob", "alice"], "🎉": ["alice"]})
    );
    // Removing the last user removes the emoji.
    h.frame(a, react("r5", "🎉", false));
    assert_eq!(reactions(&h), json!({"👍": ["bob", "alice"]}));
    h.frame(b, react("r6", "👍", false));
    h.frame(a, react("r7", "👍", false));
    assert_eq!(reactions(&h), json!({}));
    // Removing what is not there is harmless.
    let fx = h.frame(a, react("r8", "👍", false));
    assert!(ack_seq(&fx, a).is_some());
    assert_eq!(reactions(&h), json!({}));
    assert_no_gaps(&h);
}

#[test]
fn history_pages_by_before_and_limit() {
    let mut h = H::fast();
    h.join("bob");
    let a = h.connect("alice");
    let mut seqs = Vec::new();
    for i in 0..120 {
        seqs.push(h.send(a, &format!("c{i}"), &format!("m{i}")));
        if i == 60 {
            h.join(&format!("user{i}")); // a non-message event in the middle
        }
    }
    let page_seqs = |v: &Value| -> Vec<u64> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect()
    };
    // Default: the newest 50, ascending.
    let p = h.messages("bob", None, None);
    assert_eq!(page_seqs(&p), seqs[70..]);
    assert_eq!(p["has_more"], true);
    // Walk back with before = the oldest seq seen.
    let p = h.messages("bob", Some(seqs[70]), Some(100));
    assert_eq!(page_seqs(&p), seqs[..70]);
    assert_eq!(p["has_more"], false);
    let p = h.messages("bob", Some(seqs[70]), Some(70));
    assert_eq!(p["has_more"], false);
    let p = h.messages("bob", Some(seqs[70]), Some(69));
    assert_eq!(page_seqs(&p), seqs[1..70]);
    assert_eq!(p["has_more"], true);
    let p = h.messages("bob", Some(seqs[0]), None);
    assert_eq!(page_seqs(&p), Vec::<u64>::new());
    assert_eq!(p["has_more"], false);
    // limit 1 and 100 work; 0, 101 and negatives are refused, not clamped.
    assert_eq!(page_seqs(&h.messages("bob", None, Some(1))), [seqs[119]]);
    assert_eq!(page_seqs(&h.messages("bob", None, Some(100))), seqs[20..]);
    for bad in [0, 101, -5] {
        assert_eq!(
            err_code(h.cmd(
                "bob",
                RoomCommand::Messages {
                    before: None,
                    limit: Some(bad)
                }
            )),
            ErrorCode::BadRequest
        );
    }
    // The socket's history frame gives the same pages.
    let fx = h.frame(
        a,
        json!({"type": "history", "before": seqs[70], "limit": 69}),
    );
    let f = &frames_to(&fx, a)[0];
    assert_eq!(f["type"], "history");
    assert_eq!(page_seqs(f), seqs[1..70]);
    assert_eq!(f["has_more"], true);
}

// ----- typing, read markers, presence --------------------------------------

#[test]
fn typing_reaches_only_others_at_most_every_2_seconds() {
    let mut h = H::new();
    h.join("bob");
    let a1 = h.connect("alice");
    let a2 = h.connect("alice");
    let b = h.connect("bob");
    let fx = h.frame(a1, json!({"type": "typing"}));
    assert_eq!(
        frames_to(&fx, b),
        [json!({"type": "typing", "user": "alice"})]
    );
    assert!(frames_to(&fx, a1).is_empty());
    assert!(frames_to(&fx, a2).is_empty());
    h.now += 1999;
    assert!(h.frame(a2, json!({"type": "typing"})).is_empty());
    h.now += 1;
    assert_eq!(
        frames_to(&h.frame(a2, json!({"type": "typing"})), b).len(),
        1
    );
    // Bob's throttle is his own.
    assert_eq!(
        frames_to(&h.frame(b, json!({"type": "typing"})), a1).len(),
        1
    );
    assert_eq!(h.last_seq(), 2);
}

#[test]
fn read_markers_move_forward_only_and_are_not_events() {
    let mut h = H::fast();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    for i in 0..5 {
        h.send(a, &format!("a{i}"), "x");
    }
    h.send(b, "b0", "mine");
    let unread = |h: &mut H, u: &str| {
        h.cmd(u, RoomCommand::Summary).unwrap().body.unwrap()["unread"]
            .as_u64()
            .unwrap()
    };
    // bob joined at seq 2; alice's five messages are unread, his own is not.
    assert_eq!(unread(&mut h, "bob"), 5);
    let last = h.last_seq();
    let fx = h.frame(b, json!({"type": "read", "seq": 5}));
    assert_eq!(
        frames_to(&fx, a),
        [json!({"type": "read", "user": "bob", "seq": 5})]
    );
    assert_eq!(frames_to(&fx, b).len(), 1);
    assert_eq!(h.last_seq(), last);
    assert_eq!(unread(&mut h, "bob"), 2);
    // Backwards or equal: nothing at all.
    assert!(h.frame(b, json!({"type": "read", "seq": 3})).is_empty());
    assert!(h.frame(b, json!({"type": "read", "seq": 5})).is_empty());
    assert_eq!(h.room.state().unwrap().members["bob"].read_seq, 5);
    // Beyond the newest event is refused.
    let fx = h.frame(b, json!({"type": "read", "seq": last + 1}));
    assert_eq!(error_code(&fx, b), "bad_request");
    // The marker survives a reload (stored through save_read).
    h.frame(b, json!({"type": "read", "seq": last}));
    let room = Room::load(&h.store, RateSettings::default()).unwrap();
    assert_eq!(room.state().unwrap().members["bob"].read_seq, last);
    assert_eq!(unread(&mut h, "bob"), 0);
    // The HTTP twin behaves the same.
    assert_eq!(
        h.cmd("alice", RoomCommand::MarkRead { seq: 4 })
            .unwrap()
            .status,
        204
    );
    assert_eq!(h.room.state().unwrap().members["alice"].read_seq, 4);
}

#[test]
fn presence_follows_the_first_and_last_socket() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let (b1, fx) = h.try_connect("bob", None).unwrap();
    assert!(fx.contains(&Effect::Broadcast {
        frame: r#"{"type":"presence","user":"bob","online":true}"#.into(),
        except: Some(b1)
    }));
    assert_eq!(
        frames_to(&fx, a).last().unwrap(),
        &json!({"type": "presence", "user": "bob", "online": true})
    );
    let (b2, fx) = h.try_connect("bob", None).unwrap();
    assert!(frames_to(&fx, a).is_empty());
    assert!(h.room.on_disconnect(b1).is_empty());
    let fx = h.room.on_disconnect(b2);
    assert_eq!(
        frames_to(&fx, a),
        [json!({"type": "presence", "user": "bob", "online": false})]
    );
    // Disconnecting twice is harmless.
    assert!(h.room.on_disconnect(b2).is_empty());
    assert!(!h.room.is_online("bob"));
}

// ----- connect and resume ----------------------------------------------------

#[test]
fn connect_sends_ready_then_history() {
    let mut h = H::fast();
    h.join("bob");
    let a = h.connect("alice");
    for i in 0..60 {
        h.send(a, &format!("c{i}"), "x");
    }
    let (b, fx) = h.try_connect("bob", None).unwrap();
    let frames = frames_to(&fx, b);
    assert_eq!(types(&frames), ["ready", "history"]);
    let ready = &frames[0];
    assert_eq!(ready["resumed"], false);
    assert_eq!(ready["last_seq"], 62);
    assert_eq!(ready["read_seq"], 2);
    assert_eq!(ready["you"], json!({"username": "bob", "role": "member"}));
    assert_eq!(ready["room"]["name"], "general");
    assert_eq!(ready["room"]["unread"], 60);
    assert_eq!(
        ready["members"],
        json!([{"username": "alice", "role": "owner", "online": true},
               {"username": "bob", "role": "member", "online": true}])
    );
    let history = &frames[1];
    assert_eq!(history["messages"].as_array().unwrap().len(), 50);
    assert_eq!(history["has_more"], true);
    assert_eq!(history["messages"][49]["seq"], 62);
}

#[test]
fn resume_replays_the_exact_frames_after_since() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let mut live = Vec::new();
    let m = h.send(a, "c1", "one");
    for f in [
        json!({"type": "edit", "client_id": "e", "target": m, "text": "uno"}),
        json!({"type": "react", "client_id": "r", "target": m, "emoji": "👍", "add": true}),
    ] {
        let fx = h.frame(a, f);
        live.extend(fx.into_iter().filter_map(|e| match e {
            Effect::Broadcast { frame, .. } => Some(frame),
            _ => None,
        }));
    }
    let reply = h.cmd("carol", RoomCommand::Join).unwrap();
    live.extend(reply.effects.into_iter().filter_map(|e| match e {
        Effect::Broadcast { frame, .. } => Some(frame),
        _ => None,
    }));
    h.room.on_disconnect(b);
    let (b2, fx) = h.try_connect("bob", Some(m)).unwrap();
    let texts: Vec<String> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Send { socket, frame } if *socket == b2 => Some(frame.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(parse(&texts[0])["resumed"], true);
    // Byte-identical to what went out live, in order.
    let live: Vec<String> = live.iter().map(|f| f.to_string()).collect();
    assert_eq!(texts[1..], live[..]);
    // Resuming at the newest seq replays nothing.
    let (b3, fx) = h.try_connect("bob", Some(h.last_seq())).unwrap();
    let frames = frames_to(&fx, b3);
    assert_eq!(types(&frames), ["ready"]);
    assert_eq!(frames[0]["resumed"], true);
    // A since from the future (the room was recreated) is not resumable.
    let (b4, fx) = h.try_connect("bob", Some(h.last_seq() + 1)).unwrap();
    let frames = frames_to(&fx, b4);
    assert_eq!(types(&frames), ["ready", "history"]);
    assert_eq!(frames[0]["resumed"], false);
}

#[test]
fn resume_window_is_exactly_5000_events() {
    assert_eq!(RESUME_WINDOW, 5000);
    assert!(resumable(0, 5000));
    assert!(!resumable(0, 5001));
    assert!(resumable(10, 10));
    assert!(!resumable(11, 10));

    let mut h = H::fast();
    h.join("bob");
    let a = h.connect("alice");
    for i in 0..5010 {
        h.send(a, &format!("c{i}"), "x");
    }
    let last = h.last_seq();
    // Exactly 5000 behind: every one of the 5000 events is replayed.
    let (s, fx) = h.try_connect("bob", Some(last - 5000)).unwrap();
    let frames = frames_to(&fx, s);
    assert_eq!(frames[0]["resumed"], true);
    assert_eq!(frames.len(), 1 + 5000);
    assert_eq!(frames[1]["seq"], last - 4999);
    assert_eq!(frames[5000]["seq"], last);
    // 5001 behind: too old, history instead.
    let (s, fx) = h.try_connect("bob", Some(last - 5001)).unwrap();
    let frames = frames_to(&fx, s);
    assert_eq!(types(&frames), ["ready", "history"]);
    assert_eq!(frames[0]["resumed"], false);
    assert_eq!(frames[1]["messages"].as_array().unwrap().len(), 50);
}

// ----- membership and moderation --------------------------------------------

#[test]
fn private_rooms_do_not_exist_for_strangers() {
    let mut h = H::with(RateSettings::default(), Visibility::Private);
    for cmd in [
        RoomCommand::Info,
        RoomCommand::Join,
        RoomCommand::Leave,
        RoomCommand::Messages {
            before: None,
            limit: None,
        },
    ] {
        assert_eq!(err_code(h.cmd("eve", cmd)), ErrorCode::NotFound);
    }
    assert_eq!(err_code(h.try_connect("eve", None)), ErrorCode::NotFound);
    // Invited: may join, but is not a member until then.
    h.cmd(
        "alice",
        RoomCommand::Invite {
            username: "Bob".into(),
        },
    )
    .unwrap();
    assert_eq!(
        err_code(h.cmd(
            "bob",
            RoomCommand::Messages {
                before: None,
                limit: None
            }
        )),
        ErrorCode::Forbidden
    );
    assert_eq!(err_code(h.try_connect("bob", None)), ErrorCode::Forbidden);
    let reply = h.cmd("bob", RoomCommand::Join).unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.unwrap()["role"], "member");
    assert!(!h.room.state().unwrap().invites.contains("bob"));
    h.connect("bob");
    // Private rooms are never listed.
    assert!(reply
        .effects
        .iter()
        .all(|e| !matches!(e, Effect::DirectoryChanged { .. })));
    // An invitation can be declined.
    h.cmd(
        "alice",
        RoomCommand::Invite {
            username: "carol".into(),
        },
    )
    .unwrap();
    assert_eq!(h.cmd("carol", RoomCommand::Leave).unwrap().status, 204);
    assert_eq!(
        err_code(h.cmd("carol", RoomCommand::Join)),
        ErrorCode::NotFound
    );
    // Members cannot invite.
    assert_eq!(
        err_code(h.cmd(
            "bob",
            RoomCommand::Invite {
                username: "dave".into()
            }
        )),
        ErrorCode::Forbidden
    );
}

/// Issue #12 item 2: an invitation must be able to show the room, so an
/// invited non-member gets the private room's info and members (but still no
/// messages and no socket until they join).
#[test]
fn an_invited_user_can_preview_a_private_room() {
    let mut h = H::with(RateSettings::default(), Visibility::Private);
    h.cmd(
        "alice",
        RoomCommand::Edit {
            title: None,
            topic: Some("plans".into()),
            visibility: None,
        },
    )
    .unwrap();
    h.cmd(
        "alice",
        RoomCommand::Invite {
            username: "bob".into(),
        },
    )
    .unwrap();
    let reply = h.cmd("bob", RoomCommand::Info).unwrap();
    assert_eq!(reply.status, 200);
    let body = reply.body.unwrap();
    assert_eq!(body["name"], "general");
    assert_eq!(body["visibility"], "private");
    assert_eq!(body["topic"], "plans");
    assert_eq!(body["members"][0]["username"], "alice");
    // Not a member: no personal fields, nothing else is readable.
    assert!(body.get("role").is_none_or(Value::is_null));
    let messages = RoomCommand::Messages {
        before: None,
        limit: None,
    };
    assert_eq!(err_code(h.cmd("bob", messages)), ErrorCode::Forbidden);
    assert_eq!(err_code(h.try_connect("bob", None)), ErrorCode::Forbidden);
    // A stranger still cannot tell the room exists.
    assert_eq!(
        err_code(h.cmd("eve", RoomCommand::Info)),
        ErrorCode::NotFound
    );
}

#[test]
fn public_rooms_show_info_to_anyone_and_messages_to_members() {
    let mut h = H::new();
    let reply = h.cmd("eve", RoomCommand::Info).unwrap();
    let body = reply.body.unwrap();
    assert_eq!(
        body["members"],
        json!([{"username": "alice", "role": "owner", "online": false}])
    );
    assert!(body.get("role").is_none());
    assert_eq!(
        err_code(h.cmd(
            "eve",
            RoomCommand::Messages {
                before: None,
                limit: None
            }
        )),
        ErrorCode::Forbidden
    );
    assert_eq!(err_code(h.try_connect("eve", None)), ErrorCode::Forbidden);
    assert_eq!(
        err_code(h.cmd("eve", RoomCommand::Leave)),
        ErrorCode::Forbidden
    );
    // Joining twice is harmless and stores one event.
    h.join("eve");
    h.join("eve");
    assert_eq!(h.last_seq(), 2);
    assert_eq!(h.room.state().unwrap().member_count(), 2);
}

#[test]
fn the_owner_cannot_leave_and_leaving_closes_sockets_with_1000() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b1 = h.connect("bob");
    let b2 = h.connect("bob");
    assert_eq!(
        err_code(h.cmd("alice", RoomCommand::Leave)),
        ErrorCode::OwnerCannotLeave
    );
    let reply = h.cmd("bob", RoomCommand::Leave).unwrap();
    assert_eq!((reply.status, reply.body.clone()), (204, None));
    let fx = reply.effects;
    assert_eq!(closes(&fx), [(b1, 1000), (b2, 1000)]);
    assert_eq!(
        frames_to(&fx, a),
        [
            json!({"type": "member", "seq": 3, "user": "bob", "action": "left", "role": null}),
            json!({"type": "presence", "user": "bob", "online": false})
        ]
    );
    // The leaver's sockets see the event before they close.
    assert_eq!(types(&frames_to(&fx, b1)), ["member"]);
    assert!(fx.contains(&Effect::AccountRoomsChanged {
        username: "bob".into(),
        added: false
    }));
    assert_eq!(h.room.socket_count(), 1);
}

#[test]
fn kick_closes_with_4003_and_the_kicked_may_rejoin() {
    let mut h = H::new();
    h.join("bob");
    h.join("carol");
    let b = h.connect("bob");
    let c = h.connect("carol");
    let reply = h
        .cmd(
            "alice",
            RoomCommand::Kick {
                username: "bob".into(),
            },
        )
        .unwrap();
    assert_eq!(reply.status, 204);
    assert_eq!(closes(&reply.effects), [(b, close_code::REMOVED)]);
    assert_eq!(
        frames_to(&reply.effects, c)[0],
        json!({"type": "member", "seq": 4, "user": "bob", "action": "kicked", "role": null})
    );
    // A frame from the closed socket is not processed.
    let fx = h.frame(b, json!({"type": "send", "client_id": "x", "text": "hi"}));
    assert_eq!(closes(&fx), [(b, close_code::REMOVED)]);
    assert_eq!(h.last_seq(), 4);
    // Kicking a non-member is not_found.
    assert_eq!(
        err_code(h.cmd(
            "alice",
            RoomCommand::Kick {
                username: "bob".into()
            }
        )),
        ErrorCode::NotFound
    );
    h.join("bob");
    h.connect("bob");
}

#[test]
fn bans_remove_membership_and_invitation_and_keep_the_user_out() {
    let mut h = H::with(RateSettings::default(), Visibility::Private);
    h.cmd(
        "alice",
        RoomCommand::Invite {
            username: "bob".into(),
        },
    )
    .unwrap();
    h.join("bob");
    h.cmd(
        "alice",
        RoomCommand::Invite {
            username: "carol".into(),
        },
    )
    .unwrap();
    let b = h.connect("bob");
    let reply = h
        .cmd(
            "alice",
            RoomCommand::Ban {
                username: "bob".into(),
            },
        )
        .unwrap();
    assert_eq!(closes(&reply.effects), [(b, close_code::REMOVED)]);
    let st = h.room.state().unwrap();
    assert!(!st.members.contains_key("bob"));
    assert!(st.bans.contains("bob"));
    for cmd in [
        RoomCommand::Join,
        RoomCommand::Info,
        RoomCommand::Messages {
            before: None,
            limit: None,
        },
    ] {
        assert_eq!(err_code(h.cmd("bob", cmd)), ErrorCode::Banned);
    }
    assert_eq!(err_code(h.try_connect("bob", None)), ErrorCode::Banned);
    // An invited user who is banned loses the invitation.
    h.cmd(
        "alice",
        RoomCommand::Ban {
            username: "carol".into(),
        },
    )
    .unwrap();
    assert!(!h.room.state().unwrap().invites.contains("carol"));
    // Banning again changes nothing; inviting the banned is a conflict.
    let before = h.last_seq();
    h.cmd(
        "alice",
        RoomCommand::Ban {
            username: "bob".into(),
        },
    )
    .unwrap();
    assert_eq!(h.last_seq(), before);
    assert_eq!(
        err_code(h.cmd(
            "alice",
            RoomCommand::Invite {
                username: "bob".into()
            }
        )),
        ErrorCode::Conflict
    );
    // Unban: an event, then the user is a stranger again (private: needs an invite).
    let reply = h
        .cmd(
            "alice",
            RoomCommand::Unban {
                username: "bob".into(),
            },
        )
        .unwrap();
    assert_eq!(reply.status, 204);
    assert_eq!(h.last_seq(), before + 1);
    assert_eq!(
        err_code(h.cmd("bob", RoomCommand::Join)),
        ErrorCode::NotFound
    );
    h.cmd(
        "alice",
        RoomCommand::Invite {
            username: "bob".into(),
        },
    )
    .unwrap();
    h.join("bob");
    // Banning someone who never joined is allowed.
    h.cmd(
        "alice",
        RoomCommand::Ban {
            username: "zed".into(),
        },
    )
    .unwrap();
    assert_eq!(err_code(h.cmd("zed", RoomCommand::Join)), ErrorCode::Banned);
    assert_no_gaps(&h);
}

#[test]
fn moderators_cannot_act_on_the_owner_or_each_other() {
    let mut h = H::new();
    for u in ["mod1", "mod2", "bob"] {
        h.join(u);
    }
    for m in ["mod1", "mod2"] {
        h.cmd(
            "alice",
            RoomCommand::SetRole {
                username: m.into(),
                role: Role::Moderator,
            },
        )
        .unwrap();
    }
    for target in ["alice", "mod2", "mod1"] {
        for cmd in [
            RoomCommand::Kick {
                username: target.into(),
            },
            RoomCommand::Ban {
                username: target.into(),
            },
        ] {
            assert_eq!(
                err_code(h.cmd("mod1", cmd)),
                ErrorCode::Forbidden,
                "{target}"
            );
        }
    }
    // Members cannot moderate at all.
    assert_eq!(
        err_code(h.cmd(
            "bob",
            RoomCommand::Kick {
                username: "mod1".into()
            }
        )),
        ErrorCode::Forbidden
    );
    // A moderator may remove a member; the owner may remove a moderator.
    h.cmd(
        "mod1",
        RoomCommand::Kick {
            username: "bob".into(),
        },
    )
    .unwrap();
    h.cmd(
        "alice",
        RoomCommand::Ban {
            username: "mod2".into(),
        },
    )
    .unwrap();
    // Nobody removes the owner, not even the owner.
    assert_eq!(
        err_code(h.cmd(
            "alice",
            RoomCommand::Kick {
                username: "alice".into()
            }
        )),
        ErrorCode::Forbidden
    );
    // Moderators edit the room and unban; they do not set roles or delete the room.
    h.cmd(
        "mod1",
        RoomCommand::Unban {
            username: "mod2".into(),
        },
    )
    .unwrap();
    assert_eq!(
        err_code(h.cmd(
            "mod1",
            RoomCommand::SetRole {
                username: "mod1".into(),
                role: Role::Member
            }
        )),
        ErrorCode::Forbidden
    );
    assert_eq!(
        err_code(h.cmd("mod1", RoomCommand::Delete)),
        ErrorCode::Forbidden
    );
    // Bad usernames are bad requests.
    assert_eq!(
        err_code(h.cmd(
            "mod1",
            RoomCommand::Kick {
                username: "x".into()
            }
        )),
        ErrorCode::BadRequest
    );
}

#[test]
fn role_changes_are_events_and_take_effect_at_once() {
    let mut h = H::new();
    h.join("bob");
    h.join("carol");
    let b = h.connect("bob");
    let c = h.connect("carol");
    let m = h.send(c, "m", "carol's");
    let fx = h.frame(b, json!({"type": "delete", "client_id": "d1", "target": m}));
    assert_eq!(error_code(&fx, b), "forbidden");
    let reply = h
        .cmd(
            "alice",
            RoomCommand::SetRole {
                username: "bob".into(),
                role: Role::Moderator,
            },
        )
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body.unwrap(),
        json!({"username": "bob", "role": "moderator", "online": true})
    );
    assert_eq!(
        frames_to(&reply.effects, c),
        [json!({"type": "member", "seq": 5, "user": "bob", "action": "role", "role": "moderator"})]
    );
    // The same open socket may now delete others' messages.
    let fx = h.frame(b, json!({"type": "delete", "client_id": "d2", "target": m}));
    assert!(ack_seq(&fx, b).is_some());
    // Same role again: no event. Owner role: refused. Non-member: not_found.
    let before = h.last_seq();
    let set = |u: &str, role| RoomCommand::SetRole {
        username: u.into(),
        role,
    };
    assert!(h
        .cmd("alice", set("bob", Role::Moderator))
        .unwrap()
        .effects
        .is_empty());
    assert_eq!(h.last_seq(), before);
    assert_eq!(
        err_code(h.cmd("alice", set("bob", Role::Owner))),
        ErrorCode::BadRequest
    );
    assert_eq!(
        err_code(h.cmd("alice", set("alice", Role::Member))),
        ErrorCode::Forbidden
    );
    assert_eq!(
        err_code(h.cmd("alice", set("zed", Role::Member))),
        ErrorCode::NotFound
    );
    assert_eq!(
        err_code(h.cmd("bob", set("carol", Role::Moderator))),
        ErrorCode::Forbidden
    );
}

#[test]
fn editing_the_room_is_an_event_and_updates_the_directory() {
    let mut h = H::new();
    h.join("bob");
    let b = h.connect("bob");
    let reply = h
        .cmd(
            "alice",
            RoomCommand::Edit {
                title: Some("  General chat ".into()),
                topic: Some("Anything goes".into()),
                visibility: None,
            },
        )
        .unwrap();
    assert_eq!(reply.body.as_ref().unwrap()["title"], "General chat");
    assert_eq!(
        frames_to(&reply.effects, b),
        [
            json!({"type": "room", "seq": 3, "title": "General chat", "topic": "Anything goes",
                "visibility": "public"})
        ]
    );
    assert!(matches!(
        reply.effects.last(),
        Some(Effect::DirectoryChanged { listing: Some(l), .. }) if l.room.title == "General chat"
    ));
    // Going private takes the room out of the directory.
    let reply = h
        .cmd(
            "alice",
            RoomCommand::Edit {
                title: None,
                topic: None,
                visibility: Some(Visibility::Private),
            },
        )
        .unwrap();
    assert!(matches!(
        reply.effects.last(),
        Some(Effect::DirectoryChanged { listing: None, .. })
    ));
    // Nothing changed: no event.
    let before = h.last_seq();
    let reply = h
        .cmd(
            "alice",
            RoomCommand::Edit {
                title: Some("General chat".into()),
                topic: None,
                visibility: None,
            },
        )
        .unwrap();
    assert!(reply.effects.is_empty());
    assert_eq!(h.last_seq(), before);
    // Field rules and permissions.
    let edit = |title: &str| RoomCommand::Edit {
        title: Some(title.into()),
        topic: None,
        visibility: None,
    };
    assert_eq!(err_code(h.cmd("alice", edit(" "))), ErrorCode::BadRequest);
    assert_eq!(
        err_code(h.cmd("alice", edit(&"x".repeat(65)))),
        ErrorCode::BadRequest
    );
    assert_eq!(
        err_code(h.cmd("bob", edit("Mine now"))),
        ErrorCode::Forbidden
    );
}

#[test]
fn deleting_the_room_closes_sockets_with_4004_and_leaves_nothing() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    h.send(a, "same-id", "old history");
    assert_eq!(
        err_code(h.cmd("bob", RoomCommand::Delete)),
        ErrorCode::Forbidden
    );
    let reply = h.cmd("alice", RoomCommand::Delete).unwrap();
    assert_eq!(reply.status, 204);
    assert_eq!(closes(&reply.effects), [(a, 4004), (b, 4004)]);
    for u in ["alice", "bob"] {
        assert!(reply.effects.contains(&Effect::AccountRoomsChanged {
            username: u.into(),
            added: false
        }));
    }
    assert!(reply
        .effects
        .iter()
        .any(|e| matches!(e, Effect::DirectoryChanged { listing: None, .. })));
    assert!(h.store.is_empty());
    assert!(!h.room.exists());
    assert_eq!(
        err_code(h.cmd("alice", RoomCommand::Info)),
        ErrorCode::NotFound
    );
    // A frame racing the close is not processed.
    let fx = h.frame(a, json!({"type": "send", "client_id": "x", "text": "hi"}));
    assert_eq!(closes(&fx), [(a, close_code::REMOVED)]);

    // The name is free again and the new room inherits nothing.
    h.cmd("carol", create_cmd(Visibility::Public)).unwrap();
    assert_eq!(h.last_seq(), 1);
    assert_eq!(h.room.state().unwrap().owner, "carol");
    assert_eq!(
        err_code(h.cmd(
            "bob",
            RoomCommand::Messages {
                before: None,
                limit: None
            }
        )),
        ErrorCode::Forbidden
    );
    h.join("alice");
    let a = h.connect("alice");
    // The old client_id is not remembered.
    assert_eq!(h.send(a, "same-id", "new"), 3);
    let page = h.messages("alice", None, None);
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!(page["messages"][0]["text"], "new");
    // Reloading from storage gives the new room, not the old one.
    let room = Room::load(&h.store, RateSettings::default()).unwrap();
    assert_eq!(room.state().unwrap().owner, "carol");
    assert_no_gaps(&h);
}

// ----- hibernation, sessions, profiles --------------------------------------

#[test]
fn a_room_reloaded_from_storage_carries_on() {
    let mut h = H::fast();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    h.send(a, "1", "before hibernation");
    h.frame(b, json!({"type": "read", "seq": 3}));
    // Hibernation: memory is gone, storage stays.
    let mut room = Room::load(&h.store, RateSettings::default()).unwrap();
    assert_eq!(room.state(), h.room.state());
    assert!(room.restore_socket(a, "alice", "sid-alice").is_empty());
    assert!(room.restore_socket(b, "bob", "sid-bob").is_empty());
    // A socket of someone no longer a member is closed on restore.
    let fx = room.restore_socket(SocketId(99), "eve", "sid-eve");
    assert_eq!(closes(&fx), [(SocketId(99), close_code::REMOVED)]);
    h.room = room;
    assert!(h.room.is_online("alice"));
    assert_eq!(h.send(a, "2", "after"), 4);
    // Idempotency survives too.
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "1", "text": "before hibernation"}),
    );
    assert_eq!(ack_seq(&fx, a), Some(3));
    assert_no_gaps(&h);
}

#[test]
fn load_trusts_the_event_log_for_last_seq() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    // Messages do not rewrite the room state, only the log.
    h.send(a, "1", "x");
    h.send(a, "2", "y");
    h.now += 1000;
    h.send(a, "3", "z");
    assert_eq!(h.store.load_state().unwrap().unwrap().last_seq, 2);
    let room = Room::load(&h.store, RateSettings::default()).unwrap();
    assert_eq!(room.state().unwrap().last_seq, 5);
    assert_eq!(room.state().unwrap().last_activity_ms, T0 + 1000);
    let empty = Room::load(&MemoryStore::new(), RateSettings::default()).unwrap();
    assert!(!empty.exists());
}

#[test]
fn logout_closes_only_that_sessions_sockets() {
    let mut h = H::new();
    let s1 = SocketId(100);
    let s2 = SocketId(101);
    h.room
        .on_connect(&h.store, s1, "alice", "phone", None)
        .unwrap();
    h.room
        .on_connect(&h.store, s2, "alice", "laptop", None)
        .unwrap();
    let fx = h.room.close_session("phone", close_code::LOGGED_OUT);
    assert_eq!(closes(&fx), [(s1, 4001)]);
    assert!(h.room.is_online("alice"));
    let fx = h.room.close_session("laptop", close_code::SESSION_EXPIRED);
    assert_eq!(closes(&fx), [(s2, 1008)]);
    assert!(!h.room.is_online("alice"));
}

#[test]
fn profile_changes_reach_rooms_the_user_is_in() {
    let mut h = H::new();
    let a = h.connect("alice");
    let profile = json!({"username": "alice", "display_name": "Alice"});
    let fx = h.room.profile_changed("alice", profile.clone());
    assert_eq!(
        frames_to(&fx, a),
        [json!({"type": "profile", "user": "alice", "profile": profile})]
    );
    assert!(h.room.profile_changed("eve", profile).is_empty());
}

/// The directory updates in `fx`: (version, listed?, last_activity_ms).
fn dir_updates(fx: &[Effect]) -> Vec<(DirectoryVersion, bool, u64)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::DirectoryChanged { version, listing } => Some((
                *version,
                listing.is_some(),
                listing.as_ref().map_or(0, |l| l.last_activity_ms),
            )),
            _ => None,
        })
        .collect()
}

/// Issue #12 item 3: the first message after a quiet minute reaches the
/// directory at once, even right after the room was created or joined (those
/// updates used to count against the once-a-minute limit, so a fresh room's
/// first message was swallowed), then at most one report a minute.
#[test]
fn public_activity_reaches_the_directory_at_once_then_at_most_once_a_minute() {
    let mut h = H::fast();
    h.now += 1_000;
    h.join("bob");
    let a = h.connect("alice");
    h.now += 1_000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "1", "text": "x"}));
    let updates = dir_updates(&fx);
    assert_eq!(updates.len(), 1, "{fx:?}");
    assert_eq!(updates[0].2, h.now);
    // A busy minute: no more reports.
    for i in 2..20 {
        h.now += 3_000;
        let fx = h.frame(
            a,
            json!({"type": "send", "client_id": i.to_string(), "text": "x"}),
        );
        assert!(dir_updates(&fx).is_empty(), "{fx:?}");
    }
    // A minute after the last report, the next message reports again.
    h.now = T0 + 2_000 + DIRECTORY_ACTIVITY_INTERVAL_MS;
    let fx = h.frame(a, json!({"type": "send", "client_id": "late", "text": "x"}));
    assert_eq!(dir_updates(&fx).len(), 1);
    // A join in between does not hold the next report back (it is no
    // activity report), but it does carry the latest activity.
    h.now += 1_000;
    let reply = h.cmd("carol", RoomCommand::Join).unwrap();
    assert_eq!(dir_updates(&reply.effects)[0].2, h.now - 1_000);
    // Private rooms report nothing.
    let mut p = H::with(RateSettings::default(), Visibility::Private);
    let s = p.connect("alice");
    let fx = p.frame(s, json!({"type": "send", "client_id": "1", "text": "x"}));
    assert!(dir_updates(&fx).is_empty());
}

/// Issue #12 item 3: after a reload (hibernation, restart) the room does not
/// know when it last reported, and reports its next message at once.
#[test]
fn after_a_reload_the_next_message_reports_activity_at_once() {
    let mut h = H::fast();
    let a = h.connect("alice");
    h.send(a, "1", "x");
    let mut room = Room::load(&h.store, RateSettings::default()).unwrap();
    room.restore_socket(a, "alice", "sid-alice");
    h.room = room;
    h.now += 5_000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "2", "text": "x"}));
    assert_eq!(dir_updates(&fx).len(), 1);
}

/// Issue #12 item 4: every directory update of a room carries a version
/// above the previous one, removals included, and a room created again under
/// a deleted room's name starts above the old room's removal.
#[test]
fn directory_versions_grow_with_every_change_and_across_re_creation() {
    let mut h = H::fast();
    let mut versions = Vec::new();
    let record = |fx: &[Effect], versions: &mut Vec<(DirectoryVersion, bool)>| {
        for (v, listed, _) in dir_updates(fx) {
            versions.push((v, listed));
        }
    };
    // Creation (done by H) was version (T0, 1).
    versions.push((
        DirectoryVersion {
            created_at: T0,
            seq: 1,
        },
        true,
    ));
    let fx = h.cmd("bob", RoomCommand::Join).unwrap().effects;
    record(&fx, &mut versions);
    let a = h.connect("alice");
    let fx = h.frame(a, json!({"type": "send", "client_id": "1", "text": "x"}));
    record(&fx, &mut versions);
    let private = RoomCommand::Edit {
        title: None,
        topic: None,
        visibility: Some(Visibility::Private),
    };
    let fx = h.cmd("alice", private).unwrap().effects;
    record(&fx, &mut versions);
    let public = RoomCommand::Edit {
        title: None,
        topic: None,
        visibility: Some(Visibility::Public),
    };
    let fx = h.cmd("alice", public).unwrap().effects;
    record(&fx, &mut versions);
    let fx = h.cmd("alice", RoomCommand::Delete).unwrap().effects;
    record(&fx, &mut versions);
    // Created again in the very same millisecond.
    let fx = h
        .cmd("alice", create_cmd(Visibility::Public))
        .unwrap()
        .effects;
    record(&fx, &mut versions);
    let listed: Vec<bool> = versions.iter().map(|(_, l)| *l).collect();
    assert_eq!(listed, [true, true, true, false, true, false, true]);
    for pair in versions.windows(2) {
        assert!(pair[1].0 > pair[0].0, "{versions:?}");
        assert!(supersedes(pair[1].0, Some(pair[0].0)));
        // The older of any two can never replace the newer.
        assert!(!supersedes(pair[0].0, Some(pair[1].0)));
    }
}

fn flush_ats(fx: &[Effect]) -> Vec<u64> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::DirectoryFlushAt { at_ms } => Some(*at_ms),
            _ => None,
        })
        .collect()
}

/// Issue #12 item 3: the last messages of a busy minute are not lost: the
/// first unreported one asks for a wake-up when the next report is allowed,
/// and the wake-up reports the latest activity (once).
#[test]
fn a_bursts_last_message_reaches_the_directory_within_a_minute() {
    let mut h = H::fast();
    let a = h.connect("alice");
    let start = h.now;
    h.send(a, "1", "x"); // reported at once
    h.now += 3_000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "2", "text": "x"}));
    assert_eq!(flush_ats(&fx), [start + DIRECTORY_ACTIVITY_INTERVAL_MS]);
    h.now += 3_000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "3", "text": "x"}));
    assert!(flush_ats(&fx).is_empty(), "one wake-up is enough");
    let last = h.now;
    // Woken a little early (clock skew): asks again, reports nothing yet.
    let fx = h
        .room
        .directory_flush(start + DIRECTORY_ACTIVITY_INTERVAL_MS - 10);
    assert!(dir_updates(&fx).is_empty());
    assert_eq!(flush_ats(&fx), [start + DIRECTORY_ACTIVITY_INTERVAL_MS]);
    let at = start + DIRECTORY_ACTIVITY_INTERVAL_MS;
    let fx = h.room.directory_flush(at);
    assert_eq!(dir_updates(&fx).len(), 1);
    assert_eq!(dir_updates(&fx)[0].2, last);
    // Nothing pending any more.
    assert!(h.room.directory_flush(at + 1).is_empty());
    // A room reloaded before its wake-up reports once, then not again.
    let mut room = Room::load(&h.store, RateSettings::default()).unwrap();
    let fx = room.directory_flush(at + 5);
    assert_eq!(dir_updates(&fx).len(), 1);
    assert!(room.directory_flush(at + 6).is_empty());
    // A private or deleted room reports nothing.
    let mut p = H::with(RateSettings::default(), Visibility::Private);
    assert!(p.room.directory_flush(at).is_empty());
    h.cmd("alice", RoomCommand::Delete).unwrap();
    assert!(h.room.directory_flush(at + 10).is_empty());
}
