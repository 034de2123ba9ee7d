//! Unit tests of `account`.

use super::*;
use crate::core::auth::dummy_hash;
use crate::core::json::parse_json;
use crate::core::rate_limit::{LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const NOW: u64 = 1_700_000_000_000;

fn account() -> AccountRecord {
    AccountRecord::new("alice", &dummy_hash(), NOW)
}

#[test]
fn register_body_is_parsed_and_validated() {
    let r: RegisterRequest =
        parse_json(br#"{"username": "Alice", "password": "correct horse"}"#).unwrap();
    let n = r.validate().unwrap();
    assert_eq!(n.username, "alice");
    assert_eq!(n.display_name, None);
    let r: RegisterRequest =
        parse_json(br#"{"username": "bob", "password": "12345678", "display_name": "  Bob  "}"#)
            .unwrap();
    assert_eq!(r.validate().unwrap().display_name.as_deref(), Some("Bob"));
    let r: RegisterRequest =
        parse_json(br#"{"username": "bob", "password": "12345678", "display_name": null}"#)
            .unwrap();
    assert_eq!(r.validate().unwrap().display_name, None);
}

#[test]
fn register_rejects_bad_fields_and_unknown_ones() {
    for body in [
        r#"{"username": "al", "password": "12345678"}"#,
        r#"{"username": "alice", "password": "short"}"#,
        r#"{"username": "alice", "password": "12345678", "display_name": " "}"#,
    ] {
        let r: RegisterRequest = parse_json(body.as_bytes()).unwrap();
        assert_eq!(
            r.validate().unwrap_err().code,
            ErrorCode::BadRequest,
            "{body}"
        );
    }
    for body in [
        r#"{"username": "alice", "password": "12345678", "role": "admin"}"#,
        r#"{"username": "alice"}"#,
        r#"{"username": 1, "password": "12345678"}"#,
    ] {
        let e = parse_json::<RegisterRequest>(body.as_bytes()).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRequest, "{body}");
    }
}

#[test]
fn login_normalises_the_name_and_hides_why_it_failed() {
    let l: LoginRequest = parse_json(br#"{"username": "ALICE", "password": "12345678"}"#).unwrap();
    assert_eq!(l.account_name().unwrap(), "alice");
    for (user, pass) in [("a", "12345678"), ("alice", "x"), ("", "")] {
        let l = LoginRequest {
            username: user.into(),
            password: pass.into(),
        };
        let e = l.account_name().unwrap_err();
        assert_eq!((e.code, e.status()), (ErrorCode::InvalidCredentials, 401));
    }
    assert!(parse_json::<LoginRequest>(
        br#"{"username": "a", "password": "b", "display_name": "c"}"#
    )
    .is_err());
}

#[test]
fn sessions_open_expire_and_end() {
    let mut a = account();
    a.add_session("s1", NOW, NOW + 1000);
    a.add_session("s2", NOW, NOW + 5000);
    assert!(a.session_alive("s1", NOW + 999));
    assert!(!a.session_alive("s1", NOW + 1000));
    assert!(a.session_alive("s2", NOW + 1000));
    // The expired session is forgotten when the next one opens.
    a.add_session("s3", NOW + 1000, NOW + 9000);
    assert_eq!(a.sessions.len(), 2);
    assert!(!a.session_alive("nope", NOW));
    assert!(a.end_session("s2"));
    assert!(!a.end_session("s2"));
    assert!(!a.session_alive("s2", NOW + 1000));
}

#[test]
fn logout_of_one_session_keeps_the_others() {
    let mut a = account();
    a.add_session("phone", NOW, NOW + 10_000);
    a.add_session("laptop", NOW, NOW + 10_000);
    a.end_session("phone");
    assert!(a.session_alive("laptop", NOW));
    assert!(!a.session_alive("phone", NOW));
}

#[test]
fn session_list_is_bounded_and_deduplicated() {
    let mut a = account();
    a.add_session("same", NOW, NOW + 10);
    a.add_session("same", NOW, NOW + 20);
    assert_eq!(a.sessions.len(), 1);
    for i in 0..(MAX_SESSIONS + 10) {
        a.add_session(&format!("s{i}"), NOW, NOW + 10_000);
    }
    assert_eq!(a.sessions.len(), MAX_SESSIONS);
    assert!(!a.session_alive("s0", NOW));
    assert!(a.session_alive(&format!("s{}", MAX_SESSIONS + 9), NOW));
}

#[test]
fn failed_logins_lock_the_account_but_not_open_sessions() {
    let mut a = account();
    a.add_session("s1", NOW, NOW + LOGIN_WINDOW_MS * 2);
    for i in 0..LOGIN_MAX_FAILURES as u64 {
        assert!(a.login_gate(NOW + i).is_ok());
        a.record_login(false, NOW + i);
    }
    let e = a.login_gate(NOW + 10).unwrap_err();
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert!(e.retry_after_ms.unwrap() > 0);
    assert!(a.session_alive("s1", NOW + 10));
    assert!(a.login_gate(NOW + LOGIN_WINDOW_MS + 1).is_ok());
}

#[test]
fn rooms_are_idempotent() {
    let mut a = account();
    assert!(a.add_room("general"));
    assert!(!a.add_room("general"));
    assert_eq!(a.rooms, ["general"]);
    assert!(a.remove_room("general"));
    assert!(!a.remove_room("general"));
    assert!(a.rooms.is_empty());
}

#[test]
fn an_account_owns_at_most_the_cap_and_deleting_frees_a_place() {
    let mut a = account();
    for i in 0..MAX_OWNED_ROOMS {
        assert!(a.claim_room(&format!("r{i}"), NOW).unwrap());
    }
    // A repeat of a claim is no new room.
    assert!(!a.claim_room("r0", NOW).unwrap());
    let e = a.claim_room("one-more", NOW).unwrap_err();
    assert_eq!((e.code, e.status()), (ErrorCode::Conflict, 409));
    assert!(e.message.contains("50"));
    // Deleted (the room tells the account it is gone): a place is free.
    assert!(a.remove_room("r0"));
    assert!(a.claim_room("one-more", NOW).unwrap());
    // A failed creation gives its claim back.
    a.remove_room("r1");
    assert!(a.claim_room("taken", NOW).unwrap());
    assert!(a.release_room("taken"));
    assert_eq!(a.owned.len(), MAX_OWNED_ROOMS - 1);
}

#[test]
fn room_creation_is_rate_limited_even_with_deletes_in_between() {
    let mut a = account();
    for i in 0..ROOM_CREATE_BURST {
        let room = format!("r{i}");
        assert!(a.claim_room(&room, NOW).unwrap());
        a.remove_room(&room);
    }
    let e = a.claim_room("next", NOW).unwrap_err();
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert_eq!(e.retry_after_ms, Some(ROOM_CREATE_REFILL_MS));
    assert!(a.claim_room("next", NOW + ROOM_CREATE_REFILL_MS).unwrap());
}

#[test]
fn record_round_trips_as_one_json_row() {
    let mut a = account();
    a.add_session("s1", NOW, NOW + 10);
    a.add_room("general");
    a.record_login(false, NOW);
    let json = serde_json::to_string(&a).unwrap();
    let back: AccountRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    assert_eq!(back.stored_hash(), Some(dummy_hash()));
    // A minimal older row still loads.
    let old: AccountRecord =
        serde_json::from_str(r#"{"username":"bob","password_hash":"x","created_at_ms":1}"#)
            .unwrap();
    assert!(old.sessions.is_empty() && old.rooms.is_empty());
    assert_eq!(old.stored_hash(), None);
}
