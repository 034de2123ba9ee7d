//! Creating a room, sending in order without gaps, idempotent retries and the
//! send rate limit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

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
    assert_eq!(reply.status(), 201);
    let body = reply.json();
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
        RoomCommand::Create(CreateRoomBody {
            name: "General".into(),
            title: None,
            topic: None,
            visibility: None,
        }),
        RoomCommand::Create(CreateRoomBody {
            name: "ok-name".into(),
            title: Some("x".repeat(65)),
            topic: None,
            visibility: None,
        }),
        RoomCommand::Create(CreateRoomBody {
            name: "ok-name".into(),
            title: None,
            topic: Some("x".repeat(281)),
            visibility: None,
        }),
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
        err_code(room.on_connect(&store, SocketId(1), "bob", "s", u64::MAX, None)),
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
               "reactions": {}, "attachments": [], "mentions": []})
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
    h.cmd("alice", set_role("bob", Role::Moderator)).unwrap();
    h.cmd(
        "bob",
        RoomCommand::Edit(EditRoomBody {
            title: Some("General chat".into()),
            topic: None,
            visibility: None,
        }),
    )
    .unwrap();
    h.cmd("bob", kick("carol")).unwrap();
    h.cmd("bob", ban("dave")).unwrap();
    h.cmd("bob", unban("dave")).unwrap();
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
    // The frame's outcome asks the object to roll its writes back; a
    // refusal that wrote nothing does not.
    h.store.fail_next_write = true;
    let send = r#"{"type":"send","client_id":"x1","text":"hi"}"#;
    assert!(h.room.handle_frame(&mut h.store, a, send, h.now).rollback);
    h.store.fail_next_write = false;
    let empty = r#"{"type":"send","client_id":"x2","text":""}"#;
    assert!(!h.room.handle_frame(&mut h.store, a, empty, h.now).rollback);
    // The retry succeeds with the seq the failed attempts did not take.
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
