//! Edits, deletes (tombstones), reactions and history pages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

// ----- edits, deletes, reactions, history ---------------------------------

#[test]
fn only_the_author_edits() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let m = h.send(b, "m", "bob's");
    // Not even the owner may edit someone else's words.
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e", "target": m, "text": "x"}),
    );
    assert_eq!(error_code(&fx, a), "forbidden");
    h.now += 7;
    let fx = h.frame(
        b,
        json!({"type": "edit", "client_id": "e", "target": m, "text": "better"}),
    );
    let seq = ack_seq(&fx, b).unwrap();
    assert_eq!(
        frames_to(&fx, a),
        [
            json!({"type": "edit", "seq": seq, "target": m, "text": "better",
                "edited_at": T0 + 7, "by": "bob", "mentions": []})
        ]
    );
    let msg = h.store.message(m).unwrap().unwrap();
    assert_eq!((msg.text.as_str(), msg.edited_at), ("better", Some(T0 + 7)));
    assert_eq!(msg.seq, m);
}

#[test]
fn authors_moderators_and_the_owner_delete_leaving_a_tombstone() {
    let mut h = H::fast();
    for u in ["bob", "carol", "dave"] {
        h.join(u);
    }
    h.cmd("alice", set_role("carol", Role::Moderator)).unwrap();
    let a = h.connect("alice");
    let b = h.connect("bob");
    let c = h.connect("carol");
    let d = h.connect("dave");
    let m1 = h.send(b, "1", "one");
    let m2 = h.send(b, "2", "two");
    let m3 = h.send(b, "3", "three");
    let m4 = h.send(a, "4", "owner's");
    h.frame(
        d,
        json!({"type": "react", "client_id": "r", "target": m1, "emoji": "👍", "add": true}),
    );
    // A plain member cannot delete someone else's message.
    let fx = h.frame(d, json!({"type": "delete", "client_id": "x", "target": m1}));
    assert_eq!(error_code(&fx, d), "forbidden");
    // Author, moderator, owner can; a moderator even the owner's.
    let fx = h.frame(b, json!({"type": "delete", "client_id": "x", "target": m1}));
    let seq = ack_seq(&fx, b).unwrap();
    assert_eq!(
        frames_to(&fx, d),
        [json!({"type": "delete", "seq": seq, "target": m1, "by": "bob"})]
    );
    assert!(ack_seq(
        &h.frame(c, json!({"type": "delete", "client_id": "x", "target": m2})),
        c
    )
    .is_some());
    assert!(ack_seq(
        &h.frame(a, json!({"type": "delete", "client_id": "x", "target": m3})),
        a
    )
    .is_some());
    assert!(ack_seq(
        &h.frame(c, json!({"type": "delete", "client_id": "y", "target": m4})),
        c
    )
    .is_some());
    let page = h.messages("dave", None, None);
    let msgs = page["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4);
    for m in msgs {
        assert_eq!(m["deleted"], true);
        assert_eq!(m["text"], "");
        assert_eq!(m["reactions"], json!({}));
    }
    assert_eq!(msgs[0]["seq"], m1);
    assert_eq!(msgs[0]["author"], "bob");
}

#[test]
fn reactions_are_sets_and_empty_lists_disappear() {
    let mut h = H::new();
    h.join("bob");
    let a = h.connect("alice");
    let b = h.connect("bob");
    let m = h.send(a, "m", "hi");
    let react = |cid: &str, emoji: &str, add: bool| json!({"type": "react", "client_id": cid, "target": m, "emoji": emoji, "add": add});
    let fx = h.frame(b, react("r1", "👍", true));
    let s1 = ack_seq(&fx, b).unwrap();
    assert_eq!(
        frames_to(&fx, a),
        [
            json!({"type": "reaction", "seq": s1, "target": m, "emoji": "👍", "user": "bob", "added": true})
        ]
    );
    h.frame(a, react("r2", "👍", true));
    h.frame(a, react("r3", "🎉", true));
    let reactions =
        |h: &H| serde_json::to_value(&h.store.message(m).unwrap().unwrap().reactions).unwrap();
    assert_eq!(
        reactions(&h),
        json!({"👍": ["bob", "alice"], "🎉": ["alice"]})
    );
    // Adding again is a no-op on the set, but still an event with its own seq and ack.
    let before = h.last_seq();
    let fx = h.frame(b, react("r4", "👍", true));
    assert_eq!(ack_seq(&fx, b), Some(before + 1));
    assert_eq!(
        reactions(&h),
        json!({"👍": ["bob", "alice"], "🎉": ["alice"]})
    );
    // Removing the last user removes the emoji.
    h.frame(a, react("r5", "🎉", false));
    assert_eq!(reactions(&h), json!({"👍": ["bob", "alice"]}));
    h.frame(b, react("r6", "👍", false));
    h.frame(a, react("r7", "👍", false));
    assert_eq!(reactions(&h), json!({}));
    // Removing what is not there is harmless.
    let fx = h.frame(a, react("r8", "👍", false));
    assert!(ack_seq(&fx, a).is_some());
    assert_eq!(reactions(&h), json!({}));
    assert_no_gaps(&h);
}

#[test]
fn history_pages_by_before_and_limit() {
    let mut h = H::fast();
    h.join("bob");
    let a = h.connect("alice");
    let mut seqs = Vec::new();
    for i in 0..120 {
        seqs.push(h.send(a, &format!("c{i}"), &format!("m{i}")));
        if i == 60 {
            h.join(&format!("user{i}")); // a non-message event in the middle
        }
    }
    let page_seqs = |v: &Value| -> Vec<u64> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect()
    };
    // Default: the newest 50, ascending.
    let p = h.messages("bob", None, None);
    assert_eq!(page_seqs(&p), seqs[70..]);
    assert_eq!(p["has_more"], true);
    // Walk back with before = the oldest seq seen.
    let p = h.messages("bob", Some(seqs[70]), Some(100));
    assert_eq!(page_seqs(&p), seqs[..70]);
    assert_eq!(p["has_more"], false);
    let p = h.messages("bob", Some(seqs[70]), Some(70));
    assert_eq!(p["has_more"], false);
    let p = h.messages("bob", Some(seqs[70]), Some(69));
    assert_eq!(page_seqs(&p), seqs[1..70]);
    assert_eq!(p["has_more"], true);
    let p = h.messages("bob", Some(seqs[0]), None);
    assert_eq!(page_seqs(&p), Vec::<u64>::new());
    assert_eq!(p["has_more"], false);
    // limit 1 and 100 work; 0, 101 and negatives are refused, not clamped.
    assert_eq!(page_seqs(&h.messages("bob", None, Some(1))), [seqs[119]]);
    assert_eq!(page_seqs(&h.messages("bob", None, Some(100))), seqs[20..]);
    for bad in [0, 101, -5] {
        assert_eq!(
            err_code(h.cmd(
                "bob",
                RoomCommand::Messages {
                    before: None,
                    limit: Some(bad)
                }
            )),
            ErrorCode::BadRequest
        );
    }
    // The socket's history frame gives the same pages.
    let fx = h.frame(
        a,
        json!({"type": "history", "before": seqs[70], "limit": 69}),
    );
    let f = &frames_to(&fx, a)[0];
    assert_eq!(f["type"], "history");
    assert_eq!(page_seqs(f), seqs[1..70]);
    assert_eq!(f["has_more"], true);
}
