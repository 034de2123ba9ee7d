//! The socket cap and final logout, through the room's public API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

#[test]
fn a_user_holds_at_most_the_cap_of_sockets_in_a_room() {
    let (mut room, store) = room_with_member("bob");
    for i in 0..MAX_SOCKETS_PER_USER as u64 {
        room.on_connect(&store, SocketId(i + 1), "bob", "s1", u64::MAX, None)
            .unwrap();
    }
    let err = room
        .on_connect(&store, SocketId(100), "bob", "s2", u64::MAX, None)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(err.retry_after_secs().is_some());
    assert_eq!(room.socket_count(), MAX_SOCKETS_PER_USER);
    // Others are not affected, and a closed socket frees a place.
    room.on_connect(&store, SocketId(200), "owner", "o1", u64::MAX, None)
        .unwrap();
    room.on_disconnect(SocketId(1));
    room.on_connect(&store, SocketId(101), "bob", "s2", u64::MAX, None)
        .unwrap();
}

#[test]
fn logout_closes_the_session_and_refuses_its_late_upgrades() {
    let (mut room, store) = room_with_member("bob");
    room.on_connect(&store, SocketId(1), "bob", "phone", u64::MAX, None)
        .unwrap();
    room.on_connect(&store, SocketId(2), "bob", "laptop", u64::MAX, None)
        .unwrap();
    let fx = room.revoke_session("phone", T0);
    assert_eq!(closes(&fx), [(SocketId(1), 4001)]);
    // An upgrade of that session that was already on its way.
    let err = room
        .on_connect(&store, SocketId(3), "bob", "phone", u64::MAX, None)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    // The user's other session is untouched.
    assert!(room.is_online("bob"));
    room.on_connect(&store, SocketId(4), "bob", "laptop", u64::MAX, None)
        .unwrap();
}

#[test]
fn the_memory_of_logged_out_sessions_is_bounded_in_time() {
    let (mut room, store) = room_with_member("bob");
    room.revoke_session("old", T0);
    // Any later revocation forgets sessions older than the keep time.
    room.revoke_session("new", T0 + REVOKED_KEEP_MS);
    room.on_connect(&store, SocketId(1), "bob", "old", u64::MAX, None)
        .unwrap();
    assert!(room
        .on_connect(&store, SocketId(2), "bob", "new", u64::MAX, None)
        .is_err());
}

#[test]
fn an_expired_token_closes_its_session_on_the_next_frame_or_the_alarm() {
    let (mut room, mut store) = room_with_member("bob");
    let exp_s = T0 / 1000 + 60;
    room.on_connect(&store, SocketId(1), "bob", "phone", exp_s, None)
        .unwrap();
    room.on_connect(&store, SocketId(2), "bob", "phone", exp_s, None)
        .unwrap();
    room.on_connect(&store, SocketId(3), "bob", "laptop", u64::MAX, None)
        .unwrap();
    assert_eq!(
        room.socket_expiries().min(),
        Some(exp_s),
        "the alarm wakes for the earliest"
    );
    // Before the expiry a frame is answered as usual.
    let ping = r#"{"type":"ping"}"#;
    let fx = room.handle_frame(&mut store, SocketId(1), ping, T0).effects;
    assert!(closes(&fx).is_empty());
    // After it, any frame closes every socket of that session with 1008,
    // and nothing of the frame is done.
    let send = r#"{"type":"send","client_id":"c1","text":"late"}"#;
    let late = room.handle_frame(&mut store, SocketId(1), send, exp_s * 1000);
    assert!(!late.rollback);
    assert_eq!(
        closes(&late.effects),
        [(SocketId(1), 1008), (SocketId(2), 1008)]
    );
    assert_eq!(room.socket_count(), 1);
    assert!(room.is_online("bob"), "the laptop is still connected");
    // The alarm closes a silent socket the same way.
    room.on_connect(&store, SocketId(4), "bob", "tablet", exp_s, None)
        .unwrap();
    assert!(room.close_expired(exp_s * 1000 - 1).is_empty());
    let fx = room.close_expired(exp_s * 1000);
    assert_eq!(closes(&fx), [(SocketId(4), 1008)]);
}
