//! Who sees a room: private rooms, invites, public previews, leaving and kicks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

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
    h.cmd("alice", invite("Bob")).unwrap();
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
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.json()["role"], "member");
    assert!(!h.room.state().unwrap().invites.contains("bob"));
    h.connect("bob");
    // Private rooms are never listed.
    assert!(reply
        .effects
        .iter()
        .all(|e| !matches!(e, Effect::DirectoryChanged { .. })));
    // An invitation can be declined.
    h.cmd("alice", invite("carol")).unwrap();
    assert_eq!(h.cmd("carol", RoomCommand::Leave).unwrap().status(), 204);
    assert_eq!(
        err_code(h.cmd("carol", RoomCommand::Join)),
        ErrorCode::NotFound
    );
    // Members cannot invite.
    assert_eq!(err_code(h.cmd("bob", invite("dave"))), ErrorCode::Forbidden);
}

/// Issue #12 item 2: an invitation must be able to show the room, so an
/// invited non-member gets the private room's info and members (but still no
/// messages and no socket until they join).
#[test]
fn an_invited_user_can_preview_a_private_room() {
    let mut h = H::with(RateSettings::default(), Visibility::Private);
    h.cmd(
        "alice",
        RoomCommand::Edit(EditRoomBody {
            title: None,
            topic: Some("plans".into()),
            visibility: None,
        }),
    )
    .unwrap();
    h.cmd("alice", invite("bob")).unwrap();
    let reply = h.cmd("bob", RoomCommand::Info).unwrap();
    assert_eq!(reply.status(), 200);
    let body = reply.json();
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
    let body = reply.json();
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
    assert_eq!(reply.answer, Answer::NoContent);
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
    let reply = h.cmd("alice", kick("bob")).unwrap();
    assert_eq!(reply.status(), 204);
    assert_eq!(closes(&reply.effects), [(b, CloseReason::Removed.code())]);
    assert_eq!(
        frames_to(&reply.effects, c)[0],
        json!({"type": "member", "seq": 4, "user": "bob", "action": "kicked", "role": null})
    );
    // A frame from the closed socket is not processed.
    let fx = h.frame(b, json!({"type": "send", "client_id": "x", "text": "hi"}));
    assert_eq!(closes(&fx), [(b, CloseReason::Removed.code())]);
    assert_eq!(h.last_seq(), 4);
    // Kicking a non-member is not_found.
    assert_eq!(err_code(h.cmd("alice", kick("bob"))), ErrorCode::NotFound);
    h.join("bob");
    h.connect("bob");
}
