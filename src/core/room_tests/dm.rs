//! Direct messages: opening, closing and reopening, administration refused,
//! strangers kept out, blocks refusing changes (contract section 8).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::core::dm::{dm_name, BlockMark};
use crate::core::protocol::RoomKind;
use crate::core::room_api::OpenDmBody;

fn open(peer: &str, actor: &str, marks: &[(&str, BlockMark)]) -> RoomCommand {
    RoomCommand::OpenDm(OpenDmBody {
        name: dm_name(actor, peer),
        peer: peer.into(),
        marks: marks
            .iter()
            .map(|(u, m)| (u.to_string(), *m))
            .collect::<BTreeMap<_, _>>(),
    })
}

const FREE: BlockMark = BlockMark {
    blocked: false,
    rev: 0,
};

fn mark(blocked: bool, rev: u64) -> BlockMark {
    BlockMark { blocked, rev }
}

/// The DM of alice and bob, opened by alice.
fn dm() -> H {
    let mut h = H {
        room: Room::new(RateSettings::default()),
        store: MemoryStore::new(),
        now: T0,
        next_socket: 1,
    };
    let reply = h.cmd("alice", open("bob", "alice", &[])).unwrap();
    assert_eq!(reply.status(), 201);
    h
}

fn summary(h: &mut H, user: &str) -> Reply {
    h.cmd(user, RoomCommand::Summary).unwrap()
}

#[test]
fn a_dm_is_a_private_ownerless_room_of_two_members() {
    let mut h = dm();
    let info = summary(&mut h, "bob").json();
    assert_eq!(info["kind"], "dm");
    assert_eq!(info["name"], json!(dm_name("alice", "bob")));
    assert_eq!(info["owner"], Value::Null);
    assert_eq!(info["visibility"], "private");
    assert_eq!(info["peer"], "alice");
    assert_eq!(info["role"], "member");
    assert_eq!(info["member_count"], 2);
    // Every message of a DM notifies by default.
    assert_eq!(info["notify"], "all");
    assert_eq!(summary(&mut h, "alice").json()["peer"], "bob");
    assert_eq!(h.room.state().map(|s| s.kind), Some(RoomKind::Dm));
    // No events yet: the first message is seq 1.
    let bob = h.connect("bob");
    assert_eq!(h.send(bob, "c1", "hi"), 1);
    // Never in the directory.
    assert!(h.room.listing().is_none());
}

#[test]
fn opening_again_from_either_side_finds_the_same_dm() {
    let mut h = dm();
    let again = h.cmd("bob", open("alice", "bob", &[])).unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json()["peer"], "alice");
    let mine = h.cmd("alice", open("bob", "alice", &[])).unwrap();
    assert_eq!(mine.status(), 200);
}

#[test]
fn a_dm_with_oneself_or_under_another_name_is_refused() {
    let mut h = dm();
    let me = RoomCommand::OpenDm(OpenDmBody {
        name: dm_name("alice", "alice"),
        peer: "alice".into(),
        marks: BTreeMap::new(),
    });
    assert_eq!(err_code(h.cmd("alice", me)), ErrorCode::BadRequest);
    // A third person cannot open the pair's room as theirs.
    assert_eq!(
        err_code(h.cmd("carol", open("bob", "alice", &[]))),
        ErrorCode::Internal
    );
}

#[test]
fn strangers_get_not_found_and_members_no_administration() {
    let mut h = dm();
    for cmd in [RoomCommand::Info, RoomCommand::Join, RoomCommand::Summary] {
        assert_eq!(err_code(h.cmd("carol", cmd)), ErrorCode::NotFound);
    }
    assert_eq!(
        err_code(h.cmd(
            "carol",
            RoomCommand::Messages {
                before: None,
                limit: None
            }
        )),
        ErrorCode::NotFound
    );
    let admin = [
        RoomCommand::Edit(EditRoomBody {
            title: Some("x".into()),
            topic: None,
            visibility: Some(Visibility::Public),
        }),
        RoomCommand::Delete,
        invite("carol"),
        kick("bob"),
        ban("bob"),
        unban("bob"),
        set_role("bob", Role::Moderator),
    ];
    for cmd in admin {
        assert_eq!(err_code(h.cmd("alice", cmd.clone())), ErrorCode::Forbidden);
        assert_eq!(err_code(h.cmd("carol", cmd)), ErrorCode::NotFound);
    }
    assert!(h.room.exists());
    assert_eq!(err_code(h.try_connect("carol", None)), ErrorCode::NotFound);
}

#[test]
fn leave_closes_the_dm_until_the_other_person_sends() {
    let mut h = dm();
    let a = h.connect("alice");
    let b = h.connect("bob");
    h.send(a, "c1", "hello");
    let left = h.cmd("bob", RoomCommand::Leave).unwrap();
    assert_eq!(left.status(), 204);
    assert_eq!(closes(&left.effects), vec![(b, 1000)]);
    // Private: no event is stored or broadcast (alice only sees bob's
    // socket go, as when he closes the app).
    assert_eq!(types(&frames_to(&left.effects, a)), ["presence"]);
    assert_eq!(h.last_seq(), 1);
    // Hidden from bob's list, still his: history stays readable.
    assert_eq!(summary(&mut h, "bob").status(), 204);
    assert_eq!(
        h.messages("bob", None, None)["messages"][0]["text"],
        "hello"
    );
    assert_eq!(summary(&mut h, "alice").status(), 200);
    // Alice's next message brings it back, with its unread count, and bob's
    // other rooms are asked to tell his page at once.
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "c2", "text": "are you there?"}),
    );
    let nudged: Vec<&Effect> = fx
        .iter()
        .filter(|e| matches!(e, Effect::NudgeUser { .. }))
        .collect();
    assert_eq!(
        nudged,
        [&Effect::NudgeUser {
            username: "bob".into()
        }]
    );
    // Only the message that reopened it nudges.
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "c3", "text": "hello?"}),
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::NudgeUser { .. })));
    let back = summary(&mut h, "bob");
    assert_eq!(back.status(), 200);
    assert_eq!(back.json()["unread"], 3);
}

#[test]
fn opening_or_joining_again_reopens_a_closed_dm() {
    let mut h = dm();
    h.cmd("bob", RoomCommand::Leave).unwrap();
    h.cmd("bob", open("alice", "bob", &[])).unwrap();
    assert_eq!(summary(&mut h, "bob").status(), 200);
    h.cmd("bob", RoomCommand::Leave).unwrap();
    h.cmd("bob", RoomCommand::Leave).unwrap();
    assert_eq!(h.cmd("bob", RoomCommand::Join).unwrap().status(), 200);
    assert_eq!(summary(&mut h, "bob").status(), 200);
}

#[test]
fn a_closed_dm_survives_a_reload() {
    let mut h = dm();
    h.cmd("bob", RoomCommand::Leave).unwrap();
    h.room = Room::load(&h.store, RateSettings::default()).unwrap();
    assert_eq!(summary(&mut h, "bob").status(), 204);
}

#[test]
fn a_block_refuses_changes_and_stores_nothing() {
    let mut h = dm();
    let a = h.connect("alice");
    let b = h.connect("bob");
    let first = h.send(a, "c1", "hi");
    h.room
        .set_block(&mut h.store, "bob", mark(true, 1))
        .unwrap();
    let before = h.store.event_count();
    let sent = h.frame(
        a,
        json!({"type": "send", "client_id": "c2", "text": "hello?"}),
    );
    let err = error_of(&sent, a);
    assert_eq!(
        (err["code"].as_str(), err["client_id"].as_str()),
        (Some("blocked"), Some("c2"))
    );
    assert!(frames_to(&sent, b).is_empty());
    let edit = json!({"type": "edit", "client_id": "c3", "target": first, "text": "x"});
    assert_eq!(error_code(&h.frame(a, edit), a), "blocked");
    let react =
        json!({"type": "react", "client_id": "c4", "target": first, "emoji": "👍", "add": true});
    assert_eq!(error_code(&h.frame(b, react), b), "blocked");
    assert!(h.frame(a, json!({"type": "typing"})).is_empty());
    assert_eq!(h.store.event_count(), before);
    // Deleting one's own message is still allowed.
    let del = h.frame(
        a,
        json!({"type": "delete", "client_id": "c5", "target": first}),
    );
    assert!(ack_seq(&del, a).is_some());
    // Unblocking lets sends through again.
    h.room
        .set_block(&mut h.store, "bob", mark(false, 2))
        .unwrap();
    assert!(ack_seq(
        &h.frame(a, json!({"type": "send", "client_id": "c6", "text": "ok"})),
        a
    )
    .is_some());
}

#[test]
fn an_older_mark_never_undoes_a_newer_one_and_marks_outlive_reloads() {
    let mut h = dm();
    h.room
        .set_block(&mut h.store, "alice", mark(true, 5))
        .unwrap();
    h.room
        .set_block(&mut h.store, "alice", mark(false, 4))
        .unwrap();
    h.room = Room::load(&h.store, RateSettings::default()).unwrap();
    let a = h.connect("alice");
    let sent = h.frame(a, json!({"type": "send", "client_id": "c1", "text": "hi"}));
    assert_eq!(error_code(&sent, a), "blocked");
}

#[test]
fn a_block_told_before_the_dm_exists_refuses_opening_it() {
    let mut h = H {
        room: Room::new(RateSettings::default()),
        store: MemoryStore::new(),
        now: T0,
        next_socket: 1,
    };
    // Bob's block raced alice's open: the room heard of it first.
    h.room
        .set_block(&mut h.store, "bob", mark(true, 3))
        .unwrap();
    let opened = h.cmd(
        "alice",
        open("bob", "alice", &[("alice", FREE), ("bob", mark(false, 2))]),
    );
    assert_eq!(err_code(opened), ErrorCode::Blocked);
    assert!(!h.room.exists());
    // A newer unblock in the request wins.
    let opened = h.cmd("alice", open("bob", "alice", &[("bob", mark(false, 4))]));
    assert_eq!(opened.unwrap().status(), 201);
}

#[test]
fn blocks_change_nothing_in_a_room() {
    let mut h = H::fast_with(&["bob"]);
    h.room
        .set_block(&mut h.store, "bob", mark(true, 1))
        .unwrap();
    let a = h.connect("alice");
    assert!(h.send(a, "c1", "still here") > 0);
}

#[test]
fn a_nudge_reaches_only_that_users_sockets() {
    let mut h = dm();
    let a = h.connect("alice");
    let b = h.connect("bob");
    let fx = h.room.nudge("bob");
    assert_eq!(frames_to(&fx, b), [json!({"type": "rooms_changed"})]);
    assert!(frames_to(&fx, a).is_empty());
}

#[test]
fn every_message_of_a_dm_pushes_to_the_other_person_when_away() {
    let mut h = dm();
    let a = h.connect("alice");
    let fx = h.frame(a, json!({"type": "send", "client_id": "p1", "text": "hi"}));
    assert!(fx.iter().any(|e| matches!(e, Effect::Push { pushes } if pushes.len() == 1 && pushes[0].0 == "bob" && !pushes[0].1.mention)));
    h.connect("bob");
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "p2", "text": "again"}),
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::Push { .. })));
}
