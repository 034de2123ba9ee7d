//! Attachments in the room: who may upload, which ids a `send` may carry,
//! downloads, and when objects are deleted (contract section 9).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::core::attachment::{new_id, Upload, ID_BYTES, UNUSED_UPLOAD_TTL_MS};
use crate::core::rate_limit::UPLOAD_BURST;

fn upload_bytes(h: &mut H, user: &str, seed: u8, bytes: &[u8]) -> ApiResult<Reply> {
    let id = new_id([seed; ID_BYTES]);
    let upload = Upload::of_bytes(
        id,
        format!("file{seed}.bin"),
        "application/pdf".into(),
        bytes,
    );
    h.cmd(user, RoomCommand::UploadCheck)?;
    h.cmd(user, RoomCommand::RecordUpload(upload))
}

/// Uploads distinct bytes as `user`; the attachment id.
fn upload(h: &mut H, user: &str, seed: u8) -> String {
    let reply = upload_bytes(h, user, seed, &[seed; 3]).unwrap();
    assert_eq!(reply.status(), 201);
    reply.json()["id"].as_str().unwrap().to_string()
}

fn send_with(h: &mut H, socket: SocketId, cid: &str, text: &str, ids: &[&str]) -> Vec<Effect> {
    h.frame(
        socket,
        json!({"type": "send", "client_id": cid, "text": text, "attachments": ids}),
    )
}

fn download(h: &mut H, user: &str, id: &str) -> ApiResult<Reply> {
    h.cmd(user, RoomCommand::Download { id: id.into() })
}

fn deleted_keys(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::DeleteObjects { keys } => keys.clone(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn an_upload_is_recorded_and_sent_with_a_message_that_may_have_no_text() {
    let mut h = H::fast_with(&["bob"]);
    let a = h.connect("alice");
    let b = h.connect("bob");
    let reply = upload_bytes(&mut h, "alice", 1, b"%PDF-1.7").unwrap();
    let att = reply.json();
    assert_eq!(att["name"], "file1.bin");
    assert_eq!(att["content_type"], "application/pdf");
    assert_eq!(att["size"], 8);
    assert_eq!(att["image"], Value::Null);
    let id = att["id"].as_str().unwrap().to_string();
    assert_eq!(
        att["url"],
        json!(format!("/api/rooms/general/attachments/{id}"))
    );
    assert!(
        matches!(reply.effects[..], [Effect::UploadsExpireAt { at_ms }] if at_ms == T0 + UNUSED_UPLOAD_TTL_MS)
    );
    let fx = send_with(&mut h, a, "m1", "", &[&id]);
    let seq = ack_seq(&fx, a).unwrap();
    let got = frames_to(&fx, b);
    assert_eq!(got[0]["text"], "");
    assert_eq!(got[0]["attachments"][0], att);
    let page = h.messages("bob", None, None);
    assert_eq!(
        page["messages"].as_array().unwrap().last().unwrap()["attachments"][0],
        att
    );
    assert_eq!(h.store.upload(&id).unwrap().unwrap().message, Some(seq));
    // A repeat of the send is the same ack, not a conflict over the used id.
    let again = send_with(&mut h, a, "m1", "", &[&id]);
    assert_eq!(ack_seq(&again, a), Some(seq));
}

#[test]
fn a_send_may_carry_only_its_authors_unused_uploads_of_this_room() {
    let mut h = H::fast_with(&["bob"]);
    let a = h.connect("alice");
    let mine = upload(&mut h, "alice", 1);
    let bobs = upload(&mut h, "bob", 2);
    let before = h.last_seq();
    let code = |fx: Vec<Effect>| error_code(&fx, a);
    assert_eq!(
        code(send_with(&mut h, a, "x1", "hi", &[&bobs])),
        "not_found"
    );
    assert_eq!(
        code(send_with(&mut h, a, "x2", "hi", &[&"0".repeat(24)])),
        "not_found"
    );
    assert_eq!(
        code(send_with(&mut h, a, "x3", "hi", &["../etc"])),
        "not_found"
    );
    assert_eq!(
        code(send_with(&mut h, a, "x4", "hi", &[&mine, &mine])),
        "bad_request"
    );
    let eleven: Vec<String> = (10..21)
        .map(|s| {
            h.now += 10_000;
            upload(&mut h, "alice", s)
        })
        .collect();
    let refs: Vec<&str> = eleven.iter().map(String::as_str).collect();
    assert_eq!(code(send_with(&mut h, a, "x5", "hi", &refs)), "bad_request");
    // Without attachments, text is still required.
    assert_eq!(code(send_with(&mut h, a, "x6", "  ", &[])), "bad_request");
    assert_eq!(h.last_seq(), before);
    assert!(ack_seq(&send_with(&mut h, a, "ok", "hi", &[&mine]), a).is_some());
    assert_eq!(
        code(send_with(&mut h, a, "x7", "again", &[&mine])),
        "conflict"
    );
    // Ten is fine.
    assert!(ack_seq(&send_with(&mut h, a, "ten", "", &refs[..10]), a).is_some());
}

#[test]
fn uploads_are_for_members_and_rate_limited() {
    let mut h = H::fast();
    assert_eq!(
        err_code(h.cmd("stranger", RoomCommand::UploadCheck)),
        ErrorCode::Forbidden
    );
    for _ in 0..UPLOAD_BURST {
        h.cmd("alice", RoomCommand::UploadCheck).unwrap();
    }
    let refused = h.cmd("alice", RoomCommand::UploadCheck).unwrap_err();
    assert_eq!(refused.code, ErrorCode::RateLimited);
    assert!((9_000..=10_000).contains(&refused.retry_after_ms.unwrap()));
    h.now += 10_000;
    h.cmd("alice", RoomCommand::UploadCheck).unwrap();
}

#[test]
fn an_unused_upload_is_the_uploaders_alone_and_a_used_one_any_members() {
    let mut h = H::fast_with(&["bob"]);
    let a = h.connect("alice");
    let id = upload(&mut h, "alice", 1);
    assert_eq!(err_code(download(&mut h, "bob", &id)), ErrorCode::NotFound);
    let mine = download(&mut h, "alice", &id).unwrap().json();
    assert_eq!(mine["content_type"], "application/octet-stream");
    assert!(mine["disposition"]
        .as_str()
        .unwrap()
        .starts_with("attachment; filename=\"file1.bin\""));
    assert!(mine["key"]
        .as_str()
        .unwrap()
        .starts_with(&format!("attachments/general/{T0}/")));
    send_with(&mut h, a, "m1", "", &[&id]);
    assert_eq!(download(&mut h, "bob", &id).unwrap().status(), 200);
    assert_eq!(
        err_code(download(&mut h, "stranger", &id)),
        ErrorCode::Forbidden
    );
    assert_eq!(
        err_code(download(&mut h, "bob", "nope")),
        ErrorCode::NotFound
    );
}

#[test]
fn deleting_a_message_deletes_its_objects_unless_other_records_share_the_bytes() {
    let mut h = H::fast_with(&["bob"]);
    let a = h.connect("alice");
    let one = upload_bytes(&mut h, "alice", 1, b"same").unwrap().json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let two = upload_bytes(&mut h, "alice", 2, b"same").unwrap().json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = upload(&mut h, "alice", 3);
    let first = ack_seq(&send_with(&mut h, a, "m1", "", &[&one, &other]), a).unwrap();
    let second = ack_seq(&send_with(&mut h, a, "m2", "", &[&two]), a).unwrap();
    let key_of = |h: &mut H, id: &str| {
        download(h, "alice", id).unwrap().json()["key"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (same_key, other_key) = (key_of(&mut h, &one), key_of(&mut h, &other));
    let fx = h.frame(
        a,
        json!({"type": "delete", "client_id": "d1", "target": first}),
    );
    assert!(ack_seq(&fx, a).is_some());
    // "same" is still in the second message: only the other object goes.
    assert_eq!(deleted_keys(&fx), vec![other_key]);
    assert_eq!(
        err_code(download(&mut h, "alice", &one)),
        ErrorCode::NotFound
    );
    let tomb = &h.messages("bob", None, None)["messages"];
    let tomb = tomb
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["seq"] == first)
        .unwrap()
        .clone();
    assert_eq!(tomb["attachments"], json!([]));
    let fx = h.frame(
        a,
        json!({"type": "delete", "client_id": "d2", "target": second}),
    );
    assert_eq!(deleted_keys(&fx), vec![same_key]);
}

#[test]
fn unused_uploads_expire_after_a_day() {
    let mut h = H::fast();
    let a = h.connect("alice");
    let old = upload(&mut h, "alice", 1);
    h.now += 1000;
    let used = upload(&mut h, "alice", 2);
    send_with(&mut h, a, "m1", "", &[&used]);
    h.now += UNUSED_UPLOAD_TTL_MS - 2000;
    let young = upload(&mut h, "alice", 3);
    let (fx, next) = h.room.expire_uploads(&mut h.store, h.now).unwrap();
    assert!(fx.is_empty());
    assert_eq!(next, Some(T0 + UNUSED_UPLOAD_TTL_MS));
    h.now = T0 + UNUSED_UPLOAD_TTL_MS + 1;
    let (fx, next) = h.room.expire_uploads(&mut h.store, h.now).unwrap();
    assert_eq!(deleted_keys(&fx).len(), 1);
    assert_eq!(
        err_code(download(&mut h, "alice", &old)),
        ErrorCode::NotFound
    );
    assert_eq!(download(&mut h, "alice", &used).unwrap().status(), 200);
    assert_eq!(
        next,
        Some(h.store.upload(&young).unwrap().unwrap().created_at + UNUSED_UPLOAD_TTL_MS)
    );
}

#[test]
fn deleting_the_room_deletes_its_prefix() {
    let mut h = H::fast();
    upload(&mut h, "alice", 1);
    let reply = h.cmd("alice", RoomCommand::Delete).unwrap();
    let prefixes: Vec<&String> = reply
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::DeletePrefix { prefix } => Some(prefix),
            _ => None,
        })
        .collect();
    assert_eq!(prefixes, [&format!("attachments/general/{T0}/")]);
    assert!(h.store.is_empty());
}
