//! Connecting, and resuming with `since` inside and at the edge of the window.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

// ----- connect and resume ----------------------------------------------------

#[test]
fn connect_sends_ready_then_history() {
    let mut h = H::fast();
    h.join("bob");
    let a = h.connect("alice");
    for i in 0..60 {
        h.send(a, &format!("c{i}"), "x");
    }
    let (b, fx) = h.try_connect("bob", None).unwrap();
    let frames = frames_to(&fx, b);
    assert_eq!(types(&frames), ["ready", "history"]);
    let ready = &frames[0];
    assert_eq!(ready["resumed"], false);
    assert_eq!(ready["last_seq"], 62);
    assert_eq!(ready["read_seq"], 2);
    assert_eq!(ready["you"], json!({"username": "bob", "role": "member"}));
    assert_eq!(ready["room"]["name"], "general");
    assert_eq!(ready["room"]["unread"], 60);
    assert_eq!(
        ready["members"],
        json!([{"username": "alice", "role": "owner", "online": true},
               {"username": "bob", "role": "member", "online": true}])
    );
    let history = &frames[1];
    assert_eq!(history["messages"].as_array().unwrap().len(), 50);
    assert_eq!(history["has_more"], true);
    assert_eq!(history["messages"][49]["seq"], 62);
}

#[test]
fn resume_replays_the_exact_frames_after_since() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let mut live = Vec::new();
    let m = h.send(a, "c1", "one");
    for f in [
        json!({"type": "edit", "client_id": "e", "target": m, "text": "uno"}),
        json!({"type": "react", "client_id": "r", "target": m, "emoji": "👍", "add": true}),
    ] {
        let fx = h.frame(a, f);
        live.extend(fx.into_iter().filter_map(|e| match e {
            Effect::Broadcast { frame, .. } => Some(frame),
            _ => None,
        }));
    }
    let reply = h.cmd("carol", RoomCommand::Join).unwrap();
    live.extend(reply.effects.into_iter().filter_map(|e| match e {
        Effect::Broadcast { frame, .. } => Some(frame),
        _ => None,
    }));
    h.room.on_disconnect(b);
    let (b2, fx) = h.try_connect("bob", Some(m)).unwrap();
    let texts: Vec<String> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Send { socket, frame } if *socket == b2 => Some(frame.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(parse(&texts[0])["resumed"], true);
    // Byte-identical to what went out live, in order.
    let live: Vec<String> = live.iter().map(|f| f.to_string()).collect();
    assert_eq!(texts[1..], live[..]);
    // Resuming at the newest seq replays nothing.
    let (b3, fx) = h.try_connect("bob", Some(h.last_seq())).unwrap();
    let frames = frames_to(&fx, b3);
    assert_eq!(types(&frames), ["ready"]);
    assert_eq!(frames[0]["resumed"], true);
    // A since from the future (the room was recreated) is not resumable.
    let (b4, fx) = h.try_connect("bob", Some(h.last_seq() + 1)).unwrap();
    let frames = frames_to(&fx, b4);
    assert_eq!(types(&frames), ["ready", "history"]);
    assert_eq!(frames[0]["resumed"], false);
}

#[test]
fn resume_window_is_exactly_5000_events() {
    assert_eq!(RESUME_WINDOW, 5000);
    assert!(resumable(0, 5000));
    assert!(!resumable(0, 5001));
    assert!(resumable(10, 10));
    assert!(!resumable(11, 10));

    let mut h = H::fast();
    h.join("bob");
    let a = h.connect("alice");
    for i in 0..5010 {
        h.send(a, &format!("c{i}"), "x");
    }
    let last = h.last_seq();
    // Exactly 5000 behind: every one of the 5000 events is replayed.
    let (s, fx) = h.try_connect("bob", Some(last - 5000)).unwrap();
    let frames = frames_to(&fx, s);
    assert_eq!(frames[0]["resumed"], true);
    assert_eq!(frames.len(), 1 + 5000);
    assert_eq!(frames[1]["seq"], last - 4999);
    assert_eq!(frames[5000]["seq"], last);
    // 5001 behind: too old, history instead.
    let (s, fx) = h.try_connect("bob", Some(last - 5001)).unwrap();
    let frames = frames_to(&fx, s);
    assert_eq!(types(&frames), ["ready", "history"]);
    assert_eq!(frames[0]["resumed"], false);
    assert_eq!(frames[1]["messages"].as_array().unwrap().len(), 50);
}
