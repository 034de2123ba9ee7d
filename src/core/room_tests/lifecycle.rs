//! Reloading from storage, logout, and profile changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::core::profile::ProfileRecord;

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
    assert!(room
        .restore_socket(a, "alice", "sid-alice", u64::MAX)
        .is_empty());
    assert!(room
        .restore_socket(b, "bob", "sid-bob", u64::MAX)
        .is_empty());
    // A socket of someone no longer a member is closed on restore.
    let fx = room.restore_socket(SocketId(99), "eve", "sid-eve", u64::MAX);
    assert_eq!(closes(&fx), [(SocketId(99), CloseReason::Removed.code())]);
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
        .on_connect(&h.store, s1, "alice", "phone", u64::MAX, None)
        .unwrap();
    h.room
        .on_connect(&h.store, s2, "alice", "laptop", u64::MAX, None)
        .unwrap();
    let fx = h.room.close_session("phone", CloseReason::LoggedOut);
    assert_eq!(closes(&fx), [(s1, 4001)]);
    assert!(h.room.is_online("alice"));
    let fx = h.room.close_session("laptop", CloseReason::SessionExpired);
    assert_eq!(closes(&fx), [(s2, 1008)]);
    assert!(!h.room.is_online("alice"));
}

#[test]
fn profile_changes_reach_rooms_the_user_is_in() {
    let mut h = H::new();
    let a = h.connect("alice");
    let profile = ProfileRecord::new("alice", Some("Alice".into()), 1).to_profile();
    let fx = h.room.profile_changed("alice", profile.clone());
    let [frame] = frames_to(&fx, a).try_into().unwrap();
    assert_eq!(frame["type"], "profile");
    assert_eq!(frame["user"], "alice");
    assert_eq!(frame["profile"]["display_name"], "Alice");
    assert_eq!(frame["profile"], serde_json::to_value(&profile).unwrap());
    assert!(h.room.profile_changed("eve", profile).is_empty());
}
