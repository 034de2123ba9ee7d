//! The socket cap and final logout, through the room's public API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

#[test]
fn a_user_holds_at_most_the_cap_of_sockets_in_a_room() {
    let (mut room, store) = room_with_member("bob");
    for i in 0..MAX_SOCKETS_PER_USER as u64 {
        room.on_connect(&store, SocketId(i + 1), "bob", "s1", None)
            .unwrap();
    }
    let err = room
        .on_connect(&store, SocketId(100), "bob", "s2", None)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(err.retry_after_secs().is_some());
    assert_eq!(room.socket_count(), MAX_SOCKETS_PER_USER);
    // Others are not affected, and a closed socket frees a place.
    room.on_connect(&store, SocketId(200), "owner", "o1", None)
        .unwrap();
    room.on_disconnect(SocketId(1));
    room.on_connect(&store, SocketId(101), "bob", "s2", None)
        .unwrap();
}

#[test]
fn logout_closes_the_session_and_refuses_its_late_upgrades() {
    let (mut room, store) = room_with_member("bob");
    room.on_connect(&store, SocketId(1), "bob", "phone", None)
        .unwrap();
    room.on_connect(&store, SocketId(2), "bob", "laptop", None)
        .unwrap();
    let fx = room.revoke_session("phone", T0);
    assert_eq!(closes(&fx), [(SocketId(1), 4001)]);
    // An upgrade of that session that was already on its way.
    let err = room
        .on_connect(&store, SocketId(3), "bob", "phone", None)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    // The user's other session is untouched.
    assert!(room.is_online("bob"));
    room.on_connect(&store, SocketId(4), "bob", "laptop", None)
        .unwrap();
}

#[test]
fn the_memory_of_logged_out_sessions_is_bounded_in_time() {
    let (mut room, store) = room_with_member("bob");
    room.revoke_session("old", T0);
    // Any later revocation forgets sessions older than the keep time.
    room.revoke_session("new", T0 + REVOKED_KEEP_MS);
    room.on_connect(&store, SocketId(1), "bob", "old", None)
        .unwrap();
    assert!(room
        .on_connect(&store, SocketId(2), "bob", "new", None)
        .is_err());
}
