//! Unit tests of `protocol`.

use super::*;
use crate::core::error::ErrorCode;
use serde_json::json;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn bad(raw: &str) -> String {
    let e = parse_client_frame(raw).unwrap_err();
    assert_eq!(e.code, ErrorCode::BadRequest, "{raw}");
    e.message
}

#[test]
fn a_message_frame_is_its_tag_then_the_message() {
    let message = Message {
        seq: 7,
        author: "alice".into(),
        text: "hi \"there\" \u{1F600}\n".into(),
        ts: 1_700_000_000_000,
        client_id: "c1".into(),
        reply_to: Some(3),
        edited_at: None,
        deleted: false,
        reactions: Default::default(),
        attachments: Vec::new(),
        mentions: Vec::new(),
    };
    let frame = ServerFrame::Message(message.clone()).encode().unwrap();
    let rest = frame.strip_prefix(MESSAGE_FRAME_PREFIX).unwrap();
    let body: Message = serde_json::from_str(&format!("{{{rest}")).unwrap();
    assert_eq!(body, message);
}

#[test]
fn every_client_frame_parses() {
    assert_eq!(
        parse_client_frame(r#"{"type":"send","client_id":"c1","text":"hi"}"#).unwrap(),
        ClientFrame::Send {
            client_id: "c1".into(),
            text: "hi".into(),
            reply_to: None,
            attachments: vec![]
        }
    );
    assert_eq!(
        parse_client_frame(r#"{"type":"send","client_id":"c1","text":"hi","reply_to":3}"#).unwrap(),
        ClientFrame::Send {
            client_id: "c1".into(),
            text: "hi".into(),
            reply_to: Some(3),
            attachments: vec![]
        }
    );
    assert_eq!(
        parse_client_frame(r#"{"type":"send","client_id":"c1","text":"hi","reply_to":null}"#)
            .unwrap(),
        ClientFrame::Send {
            client_id: "c1".into(),
            text: "hi".into(),
            reply_to: None,
            attachments: vec![]
        }
    );
    assert_eq!(
        parse_client_frame(r#"{"type":"send","client_id":"c1","attachments":["ab"]}"#).unwrap(),
        ClientFrame::Send {
            client_id: "c1".into(),
            text: "".into(),
            reply_to: None,
            attachments: vec!["ab".into()]
        }
    );
    assert!(matches!(
        parse_client_frame(r#"{"type":"edit","client_id":"c","target":1,"text":"x"}"#),
        Ok(ClientFrame::Edit { target: 1, .. })
    ));
    assert!(matches!(
        parse_client_frame(r#"{"target":1,"type":"delete","client_id":"c"}"#),
        Ok(ClientFrame::Delete { target: 1, .. })
    ));
    assert!(matches!(
        parse_client_frame(
            r#"{"type":"react","client_id":"c","target":1,"emoji":"👍","add":true}"#
        ),
        Ok(ClientFrame::React { add: true, .. })
    ));
    assert_eq!(
        parse_client_frame(r#"{"type":"typing"}"#).unwrap(),
        ClientFrame::Typing {}
    );
    assert_eq!(
        parse_client_frame(r#"{"type":"read","seq":7}"#).unwrap(),
        ClientFrame::Read { seq: 7 }
    );
    assert_eq!(
        parse_client_frame(r#"{"type":"history"}"#).unwrap(),
        ClientFrame::History {
            before: None,
            limit: None
        }
    );
    assert_eq!(
        parse_client_frame(r#"{"type":"history","before":10,"limit":-1}"#).unwrap(),
        ClientFrame::History {
            before: Some(10),
            limit: Some(-1)
        }
    );
    assert_eq!(
        parse_client_frame(r#"{"type":"ping"}"#).unwrap(),
        ClientFrame::Ping {}
    );
}

#[test]
fn unknown_fields_are_refused_in_every_frame() {
    for raw in [
        r#"{"type":"send","client_id":"c","text":"hi","reply-to":1}"#,
        r#"{"type":"edit","client_id":"c","target":1,"text":"x","extra":1}"#,
        r#"{"type":"delete","client_id":"c","target":1,"extra":1}"#,
        r#"{"type":"react","client_id":"c","target":1,"emoji":"👍","add":true,"x":0}"#,
        r#"{"type":"typing","x":1}"#,
        r#"{"type":"read","seq":1,"x":1}"#,
        r#"{"type":"history","x":1}"#,
        r#"{"type":"ping","x":1}"#,
    ] {
        let msg = bad(raw);
        assert!(msg.contains("unknown field"), "{raw}: {msg}");
    }
}

#[test]
fn malformed_frames_get_human_messages() {
    assert!(bad("not json").contains("not valid JSON"));
    assert!(bad("[1,2]").contains("JSON object"));
    assert!(bad("{}").contains("needs a \"type\""));
    assert!(bad(r#"{"type":5}"#).contains("must be a string"));
    let m = bad(r#"{"type":"shout"}"#);
    assert!(m.contains("Unknown frame type \"shout\""), "{m}");
    let m = bad(r#"{"type":"edit","client_id":"c","target":1}"#);
    assert!(m.contains("missing field `text`"), "{m}");
    assert!(!m.contains("line"), "{m}");
    let m = bad(r#"{"type":"read","seq":-1}"#);
    assert!(m.starts_with("Bad \"read\" frame"), "{m}");
    bad(r#"{"type":"read","seq":1.5}"#);
    bad(r#"{"type":"read","seq":"1"}"#);
    bad(r#"{"type":"react","client_id":"c","target":1,"emoji":"👍","add":"yes"}"#);
    bad(r#"{"type":"send","client_id":7,"text":"hi"}"#);
    bad(r#"{"type":"history","limit":1e400}"#);
}

#[test]
fn client_id_is_found_even_in_bad_frames() {
    assert_eq!(
        client_id_of(r#"{"type":"send","client_id":"abc"}"#).as_deref(),
        Some("abc")
    );
    assert_eq!(client_id_of(r#"{"type":"send","client_id":3}"#), None);
    assert_eq!(client_id_of("nope"), None);
}

fn message() -> Message {
    Message {
        client_id: "c1".into(),
        ..Message::sample(4, "alice", "hi", 1000)
    }
}

#[test]
fn message_frame_has_the_contract_shape() {
    let text = ServerFrame::Message(message()).encode().unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        json!({"type": "message", "seq": 4, "author": "alice", "text": "hi", "ts": 1000,
               "client_id": "c1", "reply_to": null, "edited_at": null, "deleted": false,
               "reactions": {}, "attachments": [], "mentions": []})
    );
    // And it reads back to the same frame.
    let back: ServerFrame = serde_json::from_str(&text).unwrap();
    assert_eq!(back, ServerFrame::Message(message()));
}

#[test]
fn server_frames_have_the_contract_shapes() {
    let enc = |f: ServerFrame| -> serde_json::Value {
        serde_json::from_str(&f.encode().unwrap()).unwrap()
    };
    assert_eq!(
        enc(ServerFrame::Member {
            seq: 2,
            user: "bob".into(),
            action: MemberAction::Kicked,
            role: None
        }),
        json!({"type": "member", "seq": 2, "user": "bob", "action": "kicked", "role": null})
    );
    assert_eq!(
        enc(ServerFrame::Reaction {
            seq: 3,
            target: 1,
            emoji: "👍".into(),
            user: "bob".into(),
            added: true
        }),
        json!({"type": "reaction", "seq": 3, "target": 1, "emoji": "👍", "user": "bob", "added": true})
    );
    assert_eq!(enc(ServerFrame::Pong), json!({"type": "pong"}));
    assert_eq!(
        enc(ServerFrame::error(&ApiError::not_found("No."), None)),
        json!({"type": "error", "code": "not_found", "message": "No."})
    );
    assert_eq!(
        enc(ServerFrame::error(
            &ApiError::rate_limited(900, "Slow."),
            Some("c9")
        )),
        json!({"type": "error", "code": "rate_limited", "message": "Slow.",
               "client_id": "c9", "retry_after_ms": 900})
    );
    assert_eq!(
        enc(ServerFrame::Room {
            seq: 5,
            title: "T".into(),
            topic: "".into(),
            visibility: Visibility::Private
        }),
        json!({"type": "room", "seq": 5, "title": "T", "topic": "", "visibility": "private"})
    );
}

#[test]
fn room_info_skips_personal_fields_when_absent() {
    let mut info = RoomInfo {
        name: "general".into(),
        title: "General".into(),
        topic: "".into(),
        visibility: Visibility::Public,
        kind: RoomKind::Room,
        owner: Some("alice".into()),
        created_at: 1,
        member_count: 1,
        last_seq: 1,
        peer: None,
        role: None,
        read_seq: None,
        unread: None,
        mentions: None,
        notify: None,
    };
    let v = serde_json::to_value(&info).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 9);
    assert_eq!(v["kind"], "room");
    info.role = Some(Role::Owner);
    info.read_seq = Some(1);
    info.unread = Some(0);
    let v = serde_json::to_value(&info).unwrap();
    assert_eq!(v["role"], "owner");
    assert_eq!(v["unread"], 0);
}

#[test]
fn batch_packs_frames_byte_for_byte() {
    let a = ServerFrame::Pong.encode().unwrap();
    let b = ServerFrame::Message(message()).encode().unwrap();
    let text = batch_text(&[a.clone(), b.clone()]);
    assert!(text.contains(&*b));
    let parsed: ServerFrame = serde_json::from_str(&text).unwrap();
    let ServerFrame::Batch { frames } = parsed else {
        panic!("not a batch")
    };
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0], json!({"type": "pong"}));
    assert_eq!(batch_text(&[]), r#"{"type":"batch","frames":[]}"#);
}

#[test]
fn frames_stored_before_attachments_and_mentions_replay_with_empty_lists() {
    let old = r#"{"type":"message","seq":1,"author":"a","text":"\"attachments\":","ts":1,"client_id":"c","reply_to":null,"edited_at":null,"deleted":false,"reactions":{}}"#;
    let new = replayed_frame(old.to_string());
    let v: serde_json::Value = serde_json::from_str(&new).unwrap();
    assert_eq!(v["attachments"], json!([]));
    assert_eq!(v["mentions"], json!([]));
    assert_eq!(v["text"], "\"attachments\":");
    let current = ServerFrame::Message(message())
        .encode()
        .unwrap()
        .to_string();
    assert_eq!(replayed_frame(current.clone()), current);
    let edit = r#"{"type":"edit","seq":2,"target":1,"text":"x","edited_at":1,"by":"a"}"#;
    let v: serde_json::Value = serde_json::from_str(&replayed_frame(edit.to_string())).unwrap();
    assert_eq!(v["mentions"], json!([]));
    let pong = r#"{"type":"pong"}"#;
    assert_eq!(replayed_frame(pong.to_string()), pong);
}
