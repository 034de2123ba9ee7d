//! Mentions in messages and edits, the per-member mention count, and
//! notification levels (contract section 10).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::core::room_api::NotifyBody;

fn level(h: &mut H, user: &str, level: &str) -> ApiResult<Reply> {
    let body: NotifyBody = serde_json::from_value(json!({ "level": level })).unwrap();
    h.cmd(user, RoomCommand::SetNotify(body))
}

fn summary(h: &mut H, user: &str) -> Value {
    h.cmd(user, RoomCommand::Summary).unwrap().json()
}

#[test]
fn a_message_lists_the_members_it_mentions() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let b = h.connect("bob");
    let fx = h.frame(
        b,
        json!({"type": "send", "client_id": "m", "text": "@carol @alice @zed hi"}),
    );
    let msg = &frames_to(&fx, b)[0];
    assert_eq!(msg["mentions"], json!(["alice", "carol"]));
    // A member's @room is plain text; the owner's mentions everyone.
    let fx = h.frame(
        b,
        json!({"type": "send", "client_id": "r1", "text": "@room lunch?"}),
    );
    assert_eq!(frames_to(&fx, b)[0]["mentions"], json!([]));
    let a = h.connect("alice");
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "r2", "text": "@room standup"}),
    );
    assert_eq!(
        frames_to(&fx, a)[0]["mentions"],
        json!(["alice", "bob", "carol"])
    );
    h.cmd("alice", set_role("bob", Role::Moderator)).unwrap();
    let fx = h.frame(
        b,
        json!({"type": "send", "client_id": "r3", "text": "@room again"}),
    );
    assert_eq!(
        frames_to(&fx, b)[0]["mentions"],
        json!(["alice", "bob", "carol"])
    );
}

#[test]
fn an_edit_recomputes_mentions_and_carries_them() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let b = h.connect("bob");
    let m = h.send(b, "m", "hi @carol");
    let fx = h.frame(
        b,
        json!({"type": "edit", "client_id": "e", "target": m, "text": "hi @alice"}),
    );
    let edit = &frames_to(&fx, b)[0];
    assert_eq!(edit["type"], "edit");
    assert_eq!(edit["mentions"], json!(["alice"]));
    assert_eq!(h.store.message(m).unwrap().unwrap().mentions, ["alice"]);
    assert_eq!(summary(&mut h, "carol")["mentions"], 0);
    assert_eq!(summary(&mut h, "alice")["mentions"], 1);
}

#[test]
fn the_mention_count_is_of_others_messages_after_the_read_marker() {
    let mut h = H::fast_with(&["bob"]);
    let a = h.connect("alice");
    let b = h.connect("bob");
    h.send(a, "own", "@alice note to self");
    let first = h.send(b, "m1", "@alice look");
    h.send(b, "m2", "no mention");
    let third = h.send(b, "m3", "@ALICE again");
    let s = summary(&mut h, "alice");
    assert_eq!(
        (s["mentions"].as_u64(), s["unread"].as_u64()),
        (Some(2), Some(3))
    );
    h.frame(a, json!({"type": "read", "seq": first}));
    assert_eq!(summary(&mut h, "alice")["mentions"], 1);
    h.frame(
        b,
        json!({"type": "delete", "client_id": "d", "target": third}),
    );
    assert_eq!(summary(&mut h, "alice")["mentions"], 0);
}

#[test]
fn levels_default_by_kind_and_are_each_members_own() {
    let mut h = H::fast_with(&["bob"]);
    assert_eq!(summary(&mut h, "bob")["notify"], "mentions");
    let set = level(&mut h, "bob", "none").unwrap();
    assert_eq!((set.status(), set.json()), (200, json!({"level": "none"})));
    assert_eq!(summary(&mut h, "bob")["notify"], "none");
    assert_eq!(summary(&mut h, "alice")["notify"], "mentions");
    assert!(serde_json::from_value::<NotifyBody>(json!({"level": "loud"})).is_err());
    assert_eq!(
        err_code(level(&mut h, "stranger", "all")),
        ErrorCode::Forbidden
    );
    // Survives a reload.
    h.room = Room::load(&h.store, RateSettings::default()).unwrap();
    assert_eq!(summary(&mut h, "bob")["notify"], "none");
}

fn pushed(fx: &[Effect]) -> Vec<(String, bool)> {
    fx.iter()
        .flat_map(|e| match e {
            Effect::Push { pushes } => pushes.iter().map(|(u, p)| (u.clone(), p.mention)).collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn a_message_pushes_to_offline_members_whose_level_allows_it() {
    let mut h = H::fast_with(&["bob", "carol", "dave", "erin"]);
    level(&mut h, "carol", "all").unwrap();
    level(&mut h, "dave", "none").unwrap();
    let a = h.connect("alice");
    h.connect("erin");
    // Plain text: only carol (all); erin is online here, alice wrote it.
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "p1", "text": "plain"}),
    );
    assert_eq!(pushed(&fx), [("carol".to_string(), false)]);
    // A mention reaches bob (mentions); dave chose none; erin is online.
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "p2", "text": "@bob @dave @erin look"}),
    );
    assert_eq!(
        pushed(&fx),
        [("bob".to_string(), true), ("carol".to_string(), false)]
    );
    let payload = fx.iter().find_map(|e| match e {
        Effect::Push { pushes } => Some(pushes[0].1.clone()),
        _ => None,
    });
    let payload = serde_json::to_value(payload.unwrap()).unwrap();
    assert_eq!(payload["room"], "general");
    assert_eq!(payload["author"], "alice");
    assert_eq!(payload["text"], "@bob @dave @erin look");
    // A repeat of a send pushes nothing again.
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "p2", "text": "@bob @dave @erin look"}),
    );
    assert!(pushed(&fx).is_empty());
}
