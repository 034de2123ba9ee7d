//! Bans, the moderator/owner rules, role changes, editing and deleting the room.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

#[test]
fn bans_remove_membership_and_invitation_and_keep_the_user_out() {
    let mut h = H::with(RateSettings::default(), Visibility::Private);
    h.cmd("alice", invite("bob")).unwrap();
    h.join("bob");
    h.cmd("alice", invite("carol")).unwrap();
    let b = h.connect("bob");
    let reply = h.cmd("alice", ban("bob")).unwrap();
    assert_eq!(closes(&reply.effects), [(b, CloseReason::Removed.code())]);
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
    h.cmd("alice", ban("carol")).unwrap();
    assert!(!h.room.state().unwrap().invites.contains("carol"));
    // Banning again changes nothing; inviting the banned is a conflict.
    let before = h.last_seq();
    h.cmd("alice", ban("bob")).unwrap();
    assert_eq!(h.last_seq(), before);
    assert_eq!(err_code(h.cmd("alice", invite("bob"))), ErrorCode::Conflict);
    // Unban: an event, then the user is a stranger again (private: needs an invite).
    let reply = h.cmd("alice", unban("bob")).unwrap();
    assert_eq!(reply.status(), 204);
    assert_eq!(h.last_seq(), before + 1);
    assert_eq!(
        err_code(h.cmd("bob", RoomCommand::Join)),
        ErrorCode::NotFound
    );
    h.cmd("alice", invite("bob")).unwrap();
    h.join("bob");
    // Banning someone who never joined is allowed.
    h.cmd("alice", ban("zed")).unwrap();
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
            RoomCommand::Kick(UsernameBody {
                username: target.into(),
            }),
            RoomCommand::Ban(UsernameBody {
                username: target.into(),
            }),
        ] {
            assert_eq!(
                err_code(h.cmd("mod1", cmd)),
                ErrorCode::Forbidden,
                "{target}"
            );
        }
    }
    // Members cannot moderate at all.
    assert_eq!(err_code(h.cmd("bob", kick("mod1"))), ErrorCode::Forbidden);
    // A moderator may remove a member; the owner may remove a moderator.
    h.cmd("mod1", kick("bob")).unwrap();
    h.cmd("alice", ban("mod2")).unwrap();
    // Nobody removes the owner, not even the owner.
    assert_eq!(
        err_code(h.cmd("alice", kick("alice"))),
        ErrorCode::Forbidden
    );
    // Moderators edit the room and unban; they do not set roles or delete the room.
    h.cmd("mod1", unban("mod2")).unwrap();
    assert_eq!(
        err_code(h.cmd("mod1", set_role("mod1", Role::Member))),
        ErrorCode::Forbidden
    );
    assert_eq!(
        err_code(h.cmd("mod1", RoomCommand::Delete)),
        ErrorCode::Forbidden
    );
    // Bad usernames are bad requests.
    assert_eq!(err_code(h.cmd("mod1", kick("x"))), ErrorCode::BadRequest);
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
    let reply = h.cmd("alice", set_role("bob", Role::Moderator)).unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.json(),
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
            RoomCommand::Edit(EditRoomBody {
                title: Some("  General chat ".into()),
                topic: Some("Anything goes".into()),
                visibility: None,
            }),
        )
        .unwrap();
    assert_eq!(reply.json()["title"], "General chat");
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
            RoomCommand::Edit(EditRoomBody {
                title: None,
                topic: None,
                visibility: Some(Visibility::Private),
            }),
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
            RoomCommand::Edit(EditRoomBody {
                title: Some("General chat".into()),
                topic: None,
                visibility: None,
            }),
        )
        .unwrap();
    assert!(reply.effects.is_empty());
    assert_eq!(h.last_seq(), before);
    // Field rules and permissions.
    let edit = |title: &str| {
        RoomCommand::Edit(EditRoomBody {
            title: Some(title.into()),
            topic: None,
            visibility: None,
        })
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
    assert_eq!(reply.status(), 204);
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
    assert_eq!(closes(&fx), [(a, CloseReason::Removed.code())]);

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
