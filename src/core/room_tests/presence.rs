//! Typing, read markers and presence.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

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
        h.cmd(u, RoomCommand::Summary).unwrap().json()["unread"]
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
            .status(),
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
