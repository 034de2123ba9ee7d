//! The contract's field rules, as a socket sees them: a clear error, nothing
//! stored, the socket stays open (except for an oversized frame).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

// ----- validation through frames -------------------------------------------

#[test]
fn message_text_rules() {
    let mut h = H::fast();
    let a = h.connect("alice");
    let send = |text: &str| json!({"type": "send", "client_id": "c", "text": text});
    for (text, code) in [
        ("".to_string(), "bad_request"),
        ("   \n\t".to_string(), "bad_request"),
        ("x".repeat(4001), "too_long"),
        ("é".repeat(4001), "too_long"),
        ("nul\u{0}".to_string(), "bad_request"),
    ] {
        let fx = h.frame(a, send(&text));
        let err = error_of(&fx, a);
        assert_eq!(err["code"], code, "{:?}", text.get(..10));
        assert_eq!(err["client_id"], "c");
    }
    assert_eq!(h.last_seq(), 1);
    // 4000 characters is fine however many bytes they take.
    let long = "😀".repeat(4000);
    let seq = h.send(a, "long", &long);
    assert_eq!(h.store.message(seq).unwrap().unwrap().text, long);
    // Text is kept exactly, markup included.
    let seq = h.send(a, "html", "  <b>hi</b>\n");
    assert_eq!(h.store.message(seq).unwrap().unwrap().text, "  <b>hi</b>\n");
    // Edits follow the same rule.
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": seq, "text": "x".repeat(4001)}),
    );
    assert_eq!(error_code(&fx, a), "too_long");
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": seq, "text": " "}),
    );
    assert_eq!(error_code(&fx, a), "bad_request");
}

#[test]
fn client_id_rules() {
    let mut h = H::new();
    let a = h.connect("alice");
    for cid in ["", &"a".repeat(65), "a b", "é", "a.b"] {
        let fx = h.frame(a, json!({"type": "send", "client_id": cid, "text": "hi"}));
        assert_eq!(error_code(&fx, a), "bad_request", "{cid:?}");
    }
    h.send(a, &"a".repeat(64), "ok");
    h.send(a, "Az09_-", "ok");
    // The other changes check it too.
    for f in [
        json!({"type": "edit", "client_id": "", "target": 2, "text": "x"}),
        json!({"type": "delete", "client_id": "a b", "target": 2}),
        json!({"type": "react", "client_id": "!", "target": 2, "emoji": "👍", "add": true}),
    ] {
        assert_eq!(error_code(&h.frame(a, f), a), "bad_request");
    }
}

#[test]
fn emoji_rules() {
    let mut h = H::new();
    let a = h.connect("alice");
    let m = h.send(a, "m", "hi");
    for emoji in ["", "a", "+1", "1", "👍 ", "🎉🎉🎉🎉🎉🎉🎉🎉🎉", "\u{0}"] {
        let fx = h.frame(
            a,
            json!({"type": "react", "client_id": "r", "target": m, "emoji": emoji, "add": true}),
        );
        assert_eq!(error_code(&fx, a), "bad_request", "{emoji:?}");
    }
    for (i, emoji) in ["👍", "❤️", "👨‍👩‍👧", "🎉🎉🎉🎉🎉🎉🎉🎉"].iter().enumerate()
    {
        let fx = h.frame(
            a,
            json!({"type": "react", "client_id": format!("r{i}"), "target": m, "emoji": emoji, "add": true}),
        );
        assert!(ack_seq(&fx, a).is_some(), "{emoji:?}");
    }
}

#[test]
fn targets_and_replies_must_name_a_message() {
    let mut h = H::new();
    let a = h.connect("alice");
    let m = h.send(a, "m", "hi");
    // seq 1 is the owner's member event, 99 does not exist.
    for target in [1, 99] {
        for f in [
            json!({"type": "send", "client_id": "s", "text": "re", "reply_to": target}),
            json!({"type": "edit", "client_id": "e", "target": target, "text": "x"}),
            json!({"type": "delete", "client_id": "d", "target": target}),
            json!({"type": "react", "client_id": "r", "target": target, "emoji": "👍", "add": true}),
        ] {
            let fx = h.frame(a, f.clone());
            let err = error_of(&fx, a);
            assert_eq!(err["code"], "not_found", "{f}");
            assert!(err["client_id"].is_string());
        }
    }
    // A real reply works and is recorded.
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "s", "text": "re", "reply_to": m}),
    );
    let r = ack_seq(&fx, a).unwrap();
    assert_eq!(h.store.message(r).unwrap().unwrap().reply_to, Some(m));
    // After deletion: no edit or reaction, but replies to the tombstone are fine.
    h.frame(a, json!({"type": "delete", "client_id": "d", "target": m}));
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": m, "text": "x"}),
    );
    assert_eq!(error_code(&fx, a), "not_found");
    let fx = h.frame(
        a,
        json!({"type": "react", "client_id": "r", "target": m, "emoji": "👍", "add": true}),
    );
    assert_eq!(error_code(&fx, a), "not_found");
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "s2", "text": "re", "reply_to": m}),
    );
    assert!(ack_seq(&fx, a).is_some());
}

#[test]
fn bad_frames_get_an_error_and_the_socket_stays_open() {
    let mut h = H::new();
    let a = h.connect("alice");
    for raw in [
        "not json",
        "[]",
        "{}",
        r#"{"type":"shout"}"#,
        r#"{"type":"send","client_id":"c","text":"hi","extra":1}"#,
        r#"{"type":"send","client_id":"c"}"#,
        r#"{"type":"read","seq":-1}"#,
        r#"{"type":"react","client_id":"c","target":2,"emoji":"👍","add":"yes"}"#,
        r#"{"type":"history","limit":0}"#,
        r#"{"type":"history","limit":101}"#,
        r#"{"type":"history","limit":-1}"#,
        r#"{"type":"history","limit":"5"}"#,
        r#"{"type":"read","seq":999}"#,
    ] {
        let fx = h.raw(a, raw);
        assert_eq!(error_code(&fx, a), "bad_request", "{raw}");
        assert!(closes(&fx).is_empty());
    }
    // The client_id is echoed even when the frame is otherwise malformed.
    let fx = h.raw(a, r#"{"type":"send","client_id":"c7"}"#);
    assert_eq!(error_of(&fx, a)["client_id"], "c7");
    let fx = h.raw(a, r#"{"type":"ping"}"#);
    assert_eq!(frames_to(&fx, a), [json!({"type": "pong"})]);
    assert_eq!(h.room.socket_count(), 1);
}

#[test]
fn a_frame_over_16_kib_closes_the_socket_with_1009() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let raw = json!({"type": "send", "client_id": "c", "text": "x".repeat(16 * 1024)}).to_string();
    let fx = h.raw(a, &raw);
    assert_eq!(closes(&fx), [(a, CloseReason::TooBig.code())]);
    // alice's last socket: the others see her go offline.
    assert_eq!(
        frames_to(&fx, b),
        [json!({"type": "presence", "user": "alice", "online": false})]
    );
    assert_eq!(h.last_seq(), 2);
    // Exactly 16 KiB is still a frame (here refused as too long a message).
    let a = h.connect("alice");
    let pad = 16 * 1024 - r#"{"type":"send","client_id":"c","text":""}"#.len();
    let raw = format!(
        r#"{{"type":"send","client_id":"c","text":"{}"}}"#,
        "x".repeat(pad)
    );
    assert_eq!(raw.len(), 16 * 1024);
    assert_eq!(error_code(&h.raw(a, &raw), a), "too_long");
}
