//! Scenario tests for the hardening of the room socket's frames (issue #12
//! items 6, 8, 10, 11 and 13): limits on every change and on history,
//! reaction caps, paged replays, redaction of deleted text, reused
//! `client_id`s and binary frames. Driven like the Durable Object drives the
//! room: commands, connects and frames in, effects out, over a [`MemoryStore`].

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

// ----- item 6: every change is rate limited; reactions are capped ----------

#[test]
fn edits_deletes_and_reactions_share_a_bucket_of_20_refilled_at_2_per_second() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    let m = h.send(a, "m", "hello");
    let seqs: Vec<u64> = (0..3).map(|i| h.send(a, &format!("d{i}"), "x")).collect();
    // 20 changes of the three kinds go through...
    for i in 0..CHANGE_BURST - 3 {
        let fx = h.frame(
            a,
            json!({"type": "edit", "client_id": format!("e{i}"), "target": m, "text": format!("v{i}")}),
        );
        assert!(ack_seq(&fx, a).is_some(), "edit {i}: {fx:?}");
    }
    assert!(ack_seq(&h.react(a, "r0", m, "👍"), a).is_some());
    for (i, d) in seqs[..2].iter().enumerate() {
        let fx = h.frame(
            a,
            json!({"type": "delete", "client_id": format!("x{i}"), "target": d}),
        );
        assert!(ack_seq(&fx, a).is_some());
    }
    // ...the 21st of any kind is refused with a wait, and stores nothing.
    let before = h.last_seq();
    for f in [
        json!({"type": "edit", "client_id": "e-over", "target": m, "text": "no"}),
        json!({"type": "react", "client_id": "r-over", "target": m, "emoji": "🎉", "add": true}),
        json!({"type": "delete", "client_id": "x-over", "target": seqs[2]}),
    ] {
        let fx = h.frame(a, f.clone());
        let err = error_of(&fx, a);
        assert_eq!(err["code"], "rate_limited", "{f}");
        assert_eq!(err["retry_after_ms"], 500, "{f}");
        assert_eq!(err["client_id"], f["client_id"]);
    }
    assert_eq!(h.last_seq(), before);
    assert!(!h.store.message(seqs[2]).unwrap().unwrap().deleted);
    // Sends have their own bucket and still go through.
    h.send(a, "still", "sending is not a change");
    // A retry of a stored change is acked, not limited.
    let fx = h.react(a, "r0", m, "👍");
    assert!(ack_seq(&fx, a).is_some());
    // Another user's bucket is their own.
    let b = h.connect("bob");
    assert!(ack_seq(&h.react(b, "rb", m, "🎉"), b).is_some());
    // Refills at 2 a second.
    h.now += 500;
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e-later", "target": m, "text": "later"}),
    );
    assert!(ack_seq(&fx, a).is_some(), "{fx:?}");
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e-later2", "target": m, "text": "later"}),
    );
    assert_eq!(error_of(&fx, a)["code"], "rate_limited");
}

#[test]
fn a_refused_change_costs_no_token() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    let b = h.connect("bob");
    let m = h.send(a, "m", "alice's");
    // Refused by their own rules: not the author, no such message, bad emoji.
    for i in 0..CHANGE_BURST * 2 {
        let fx = h.frame(
            b,
            json!({"type": "edit", "client_id": format!("e{i}"), "target": m, "text": "x"}),
        );
        assert_eq!(error_of(&fx, b)["code"], "forbidden");
        let fx = h.react(b, &format!("r{i}"), 9999, "👍");
        assert_eq!(error_of(&fx, b)["code"], "not_found");
    }
    // The whole burst is still there.
    for i in 0..CHANGE_BURST {
        let emoji = ["👍", "🎉"][i as usize % 2];
        let add = i % 4 < 2;
        let fx = h.frame(
            b,
            json!({"type": "react", "client_id": format!("ok{i}"), "target": m, "emoji": emoji, "add": add}),
        );
        assert!(ack_seq(&fx, b).is_some(), "{i}: {fx:?}");
    }
}

#[test]
fn a_message_carries_at_most_20_distinct_reactions_and_10_per_user() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    let b = h.connect("bob");
    let c = h.connect("carol");
    let m = h.send(a, "m", "react to me");
    let emoji: Vec<String> = (0..30)
        .map(|i| char::from_u32(0x1F600 + i).unwrap().to_string())
        .collect();
    // Alice: 10 different ones, then the 11th is refused.
    for (i, e) in emoji[..REACTIONS_PER_USER_MAX].iter().enumerate() {
        assert!(ack_seq(&h.react(a, &format!("a{i}"), m, e), a).is_some());
    }
    let before = h.last_seq();
    let err = error_of(&h.react(a, "a-over", m, &emoji[10]), a);
    assert_eq!(err["code"], "conflict");
    assert_eq!(err["client_id"], "a-over");
    assert!(err["message"].as_str().unwrap().contains("10"), "{err}");
    assert_eq!(h.last_seq(), before);
    // Adding one she already has, or removing one, is still fine.
    assert!(ack_seq(&h.react(a, "a-again", m, &emoji[0]), a).is_some());
    let fx = h.frame(
        a,
        json!({"type": "react", "client_id": "a-rm", "target": m, "emoji": emoji[9], "add": false}),
    );
    assert!(ack_seq(&fx, a).is_some());
    assert!(ack_seq(&h.react(a, "a-new", m, &emoji[10]), a).is_some());
    // Bob adds 10 more: 20 different emoji on the message.
    for (i, e) in emoji[11..21].iter().enumerate() {
        assert!(ack_seq(&h.react(b, &format!("b{i}"), m, e), b).is_some());
    }
    assert_eq!(
        h.store.message(m).unwrap().unwrap().reactions.len(),
        REACTIONS_PER_MESSAGE_MAX
    );
    // Carol may join an existing one, but not start a 21st.
    assert!(ack_seq(&h.react(c, "c0", m, &emoji[0]), c).is_some());
    let before = h.last_seq();
    let err = error_of(&h.react(c, "c-over", m, &emoji[25]), c);
    assert_eq!(err["code"], "conflict");
    assert!(err["message"].as_str().unwrap().contains("20"), "{err}");
    assert_eq!(h.last_seq(), before);
    let stored = h.store.message(m).unwrap().unwrap();
    assert_eq!(stored.reactions.len(), REACTIONS_PER_MESSAGE_MAX);
    assert!(!stored.reactions.contains_key(&emoji[25]));
}

// ----- item 8: history is rate limited; a replay is read in pages ----------

#[test]
fn history_requests_have_their_own_bucket() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    h.send(a, "m", "x");
    // A refused limit costs nothing.
    for _ in 0..HISTORY_BURST * 2 {
        let fx = h.frame(a, json!({"type": "history", "limit": 0}));
        assert_eq!(error_of(&fx, a)["code"], "bad_request");
    }
    for _ in 0..HISTORY_BURST {
        let fx = h.frame(a, json!({"type": "history"}));
        assert_eq!(frames_to(&fx, a)[0]["type"], "history");
    }
    let fx = h.frame(a, json!({"type": "history", "limit": 10}));
    let err = error_of(&fx, a);
    assert_eq!(err["code"], "rate_limited");
    assert_eq!(err["retry_after_ms"], 1000);
    assert!(err.get("client_id").is_none());
    // Changes and sends are not affected.
    h.send(a, "m2", "y");
    assert!(ack_seq(&h.react(a, "r", 5, "👍"), a).is_some());
    h.now += 1000;
    let fx = h.frame(a, json!({"type": "history"}));
    assert_eq!(frames_to(&fx, a)[0]["type"], "history");
}

#[test]
fn a_replay_is_read_in_bounded_pages_and_arrives_whole_and_in_order() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    for i in 0..1234 {
        h.send(a, &format!("c{i}"), &format!("n{i}"));
    }
    let since = 2;
    let want = h.store.events_after(since).unwrap();
    assert_eq!(want.len() as u64, h.last_seq() - since);
    h.store.pages_read.borrow_mut().clear();
    let (_, got) = h.connect_texts("bob", Some(since));
    let ready: Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(ready["resumed"], true);
    // Every event after `since`, byte for byte, in order, and nothing else.
    assert_eq!(got.len(), 1 + want.len(), "ready, then the replay");
    assert_eq!(got[1..=want.len()], want[..]);
    // The store was asked for pages of at most REPLAY_PAGE events.
    let pages = h.store.pages_read.borrow().clone();
    assert!(
        pages.iter().all(|&n| n <= REPLAY_PAGE as usize),
        "{pages:?}"
    );
    assert_eq!(pages.iter().sum::<usize>(), want.len());
    assert_eq!(pages.len(), want.len().div_ceil(REPLAY_PAGE as usize));
}

#[test]
fn a_replay_stops_when_its_socket_is_gone() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    for i in 0..500 {
        h.send(a, &format!("c{i}"), "x");
    }
    let connected = h
        .room
        .on_connect(&h.store, SocketId(99), "bob", "sid", u64::MAX, Some(0))
        .unwrap();
    let mut replay = connected.replay.unwrap();
    assert_eq!(
        h.room.replay_page(&h.store, &mut replay).len(),
        REPLAY_PAGE as usize
    );
    h.room.on_disconnect(SocketId(99));
    assert!(h.room.replay_page(&h.store, &mut replay).is_empty());
}

// ----- item 10: a deleted message's text is gone from the log --------------

#[test]
fn deleting_a_message_redacts_its_text_from_every_stored_event() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    let b = h.connect("bob");
    let keep = h.send(a, "k", "keep this");
    let m = h.send(a, "m", "secret one");
    for (i, t) in ["secret two", "secret three"].iter().enumerate() {
        let fx = h.frame(
            a,
            json!({"type": "edit", "client_id": format!("e{i}"), "target": m, "text": t}),
        );
        assert!(ack_seq(&fx, a).is_some());
    }
    assert!(ack_seq(&h.react(b, "r", m, "👍"), b).is_some());
    // An edit of another message keeps its text.
    let fx = h.frame(
        a,
        json!({"type": "edit", "client_id": "e-keep", "target": keep, "text": "kept edit"}),
    );
    assert!(ack_seq(&fx, a).is_some());
    let fx = h.frame(a, json!({"type": "delete", "client_id": "d", "target": m}));
    let d = ack_seq(&fx, a).unwrap();
    // What went out live is the delete event only.
    assert_eq!(frames_to(&fx, b)[0]["type"], "delete");

    let log = h.store.events_after(0).unwrap();
    assert!(log.iter().all(|f| !f.contains("secret")), "{log:#?}");
    assert!(log.iter().any(|f| f.contains("kept edit")));
    // The message's event is its tombstone; its edits keep seq, target and
    // time but no text; the log has no gaps.
    let event = |seq: u64| -> Value { serde_json::from_str(&log[seq as usize - 1]).unwrap() };
    let tomb = event(m);
    assert_eq!(tomb["type"], "message");
    assert_eq!(tomb["deleted"], true);
    assert_eq!(tomb["text"], "");
    assert_eq!(tomb["reactions"], json!({}));
    assert_eq!(tomb["seq"], m);
    assert_eq!(tomb["author"], "alice");
    for seq in [m + 1, m + 2] {
        let e = event(seq);
        assert_eq!(e["type"], "edit");
        assert_eq!(e["target"], m);
        assert_eq!(e["seq"], seq);
        assert_eq!(e["text"], "");
    }
    assert_eq!(event(d)["type"], "delete");
    assert_eq!(h.store.event_seqs(), (1..=h.last_seq()).collect::<Vec<_>>());

    // A full replay and history show no trace of the text either.
    let (_, replayed) = h.connect_texts("carol", Some(0));
    assert!(replayed.iter().all(|f| !f.contains("secret")));
    assert_eq!(replayed.len(), 1 + log.len());
    let body = h
        .room
        .handle_command(
            &mut h.store,
            "carol",
            RoomCommand::Messages {
                before: None,
                limit: None,
            },
            h.now,
        )
        .unwrap()
        .json();
    assert!(!body.to_string().contains("secret"));
    let fx = h.frame(a, json!({"type": "history"}));
    assert!(texts_to(&fx, a).iter().all(|f| !f.contains("secret")));
}

#[test]
fn a_failed_redaction_deletes_nothing() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    let m = h.send(a, "m", "still here");
    h.store.fail_next_write = true;
    let fx = h.frame(a, json!({"type": "delete", "client_id": "d", "target": m}));
    assert_eq!(error_of(&fx, a)["code"], "internal");
    assert_eq!(h.last_seq(), m);
    assert!(!h.store.message(m).unwrap().unwrap().deleted);
    // The retry works.
    let fx = h.frame(a, json!({"type": "delete", "client_id": "d", "target": m}));
    assert_eq!(ack_seq(&fx, a), Some(m + 1));
}

// ----- item 11: a client_id names one change ---------------------------------

#[test]
fn a_used_client_id_on_a_different_change_is_a_conflict_and_stores_nothing() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    let b = h.connect("bob");
    let m = h.send(a, "k1", "hello");
    let before = h.last_seq();
    for f in [
        json!({"type": "edit", "client_id": "k1", "target": m, "text": "changed"}),
        json!({"type": "react", "client_id": "k1", "target": m, "emoji": "👍", "add": true}),
        json!({"type": "delete", "client_id": "k1", "target": m}),
    ] {
        let fx = h.frame(a, f.clone());
        let err = error_of(&fx, a);
        assert_eq!(err["code"], "conflict", "{f}");
        assert_eq!(err["client_id"], "k1");
        assert!(frames_to(&fx, b).is_empty(), "{f}");
    }
    assert_eq!(h.last_seq(), before);
    let stored = h.store.message(m).unwrap().unwrap();
    assert_eq!(stored.text, "hello");
    assert!(stored.reactions.is_empty() && !stored.deleted);
    // A send under its key is acked as before, even with another text (the
    // contract: "the same client_id again gets the same ack").
    let fx = h.frame(
        a,
        json!({"type": "send", "client_id": "k1", "text": "hello again"}),
    );
    assert_eq!(
        frames_to(&fx, a),
        [json!({"type": "ack", "client_id": "k1", "seq": m})]
    );
    // A reaction's key reused for the opposite reaction is another change too.
    let r = ack_seq(&h.react(a, "k2", m, "🎉"), a).unwrap();
    let fx = h.frame(
        a,
        json!({"type": "react", "client_id": "k2", "target": m, "emoji": "🎉", "add": false}),
    );
    assert_eq!(error_of(&fx, a)["code"], "conflict");
    assert_eq!(ack_seq(&h.react(a, "k2", m, "🎉"), a), Some(r));
}

#[test]
fn a_key_stored_before_fingerprints_is_acked_as_before() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    let m = h.send(a, "m", "hello");
    // A reaction stored by an older version: no fingerprint.
    let seq = h.last_seq() + 1;
    let frame = format!(
        r#"{{"type":"reaction","seq":{seq},"target":{m},"emoji":"👍","user":"alice","added":true}}"#
    );
    h.store
        .append(&StoredEvent {
            seq,
            frame: frame.into(),
            change: Some(ChangeKey {
                author: "alice".into(),
                client_id: "old".into(),
                fingerprint: None,
            }),
            message: None,
        })
        .unwrap();
    let mut room = Room::load(&h.store, RateSettings::default()).unwrap();
    room.restore_socket(a, "alice", "sid", u64::MAX);
    h.room = room;
    // Whatever the retry asks for, the old key answers with its old ack.
    let fx = h.react(a, "old", m, "🎉");
    assert_eq!(ack_seq(&fx, a), Some(seq));
    let fx = h.frame(a, json!({"type": "send", "client_id": "old", "text": "x"}));
    assert_eq!(ack_seq(&fx, a), Some(seq));
    assert_eq!(h.last_seq(), seq);
}

// ----- item 13: binary frames ------------------------------------------------

#[test]
fn a_binary_frame_is_a_bad_request_and_an_oversized_one_closes_with_1009() {
    let mut h = H::fast_with(&["bob", "carol"]);
    let a = h.connect("alice");
    for len in [0, 1, 6 * 1024, FRAME_MAX_BYTES] {
        let fx = h
            .room
            .handle_incoming(&mut h.store, a, &Incoming::Binary { len }, h.now)
            .effects;
        let err = error_of(&fx, a);
        assert_eq!(err["code"], "bad_request", "{len}");
        assert!(err["message"].as_str().unwrap().contains("binary"));
        assert!(closes(&fx).is_empty());
    }
    assert_eq!(h.room.socket_count(), 1);
    // Text still flows through the same door.
    let fx = h
        .room
        .handle_incoming(
            &mut h.store,
            a,
            &Incoming::Text(r#"{"type":"ping"}"#.into()),
            h.now,
        )
        .effects;
    assert_eq!(frames_to(&fx, a), [json!({"type": "pong"})]);
    let fx = h
        .room
        .handle_incoming(
            &mut h.store,
            a,
            &Incoming::Binary {
                len: FRAME_MAX_BYTES + 1,
            },
            h.now,
        )
        .effects;
    assert_eq!(closes(&fx), [(a, CloseReason::TooBig.code())]);
    assert_eq!(h.room.socket_count(), 0);
}
