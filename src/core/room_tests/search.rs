//! Search in one room (contract section 11): members only, current text
//! only, newest first with paging. The SQL index is checked end to end
//! (tests/e2e/search.test.mjs); here the room's part and the memory twin.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::core::search::Query;

fn search(h: &mut H, user: &str, q: &str, before: Option<u64>, limit: u32) -> ApiResult<Value> {
    let query = Query::parse(Some(q)).unwrap();
    h.cmd(
        user,
        RoomCommand::Search {
            query,
            before,
            limit,
        },
    )
    .map(|r| r.json())
}

fn send(h: &mut H, socket: SocketId, id: &str, text: &str) -> u64 {
    let fx = h.frame(
        socket,
        json!({"type": "send", "client_id": id, "text": text}),
    );
    frames_to(&fx, socket)[0]["seq"].as_u64().unwrap()
}

fn texts(page: &Value) -> Vec<&str> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect()
}

#[test]
fn members_find_current_text_newest_first_and_page_back() {
    let mut h = H::fast_with(&["bob"]);
    let b = h.connect("bob");
    let first = send(&mut h, b, "1", "release notes draft");
    send(&mut h, b, "2", "Release party friday");
    let gone = send(&mut h, b, "3", "release the secret");
    h.frame(
        b,
        json!({"type": "edit", "client_id": "e", "target": first, "text": "changelog draft"}),
    );
    h.frame(
        b,
        json!({"type": "delete", "client_id": "d", "target": gone}),
    );
    let page = search(&mut h, "alice", "RELEASE", None, 20).unwrap();
    assert_eq!(texts(&page), ["Release party friday"]);
    assert_eq!(
        texts(&search(&mut h, "alice", "draft", None, 20).unwrap()),
        ["changelog draft"]
    );
    for i in 0..3 {
        send(&mut h, b, &format!("p{i}"), &format!("page {i}"));
    }
    let top = search(&mut h, "bob", "page", None, 2).unwrap();
    assert_eq!(texts(&top), ["page 2", "page 1"]);
    assert_eq!(top["has_more"], true);
    let before = top["messages"][1]["seq"].as_u64();
    let rest = search(&mut h, "bob", "page", before, 2).unwrap();
    assert_eq!(texts(&rest), ["page 0"]);
    assert_eq!(rest["has_more"], false);
}

#[test]
fn only_members_search() {
    let mut h = H::fast();
    assert_eq!(
        search(&mut h, "mallory", "x", None, 20).unwrap_err().code,
        ErrorCode::Forbidden
    );
    // A query that somehow has no words (only the Worker builds them) is refused.
    let empty = RoomCommand::Search {
        query: Query { words: vec![] },
        before: None,
        limit: 20,
    };
    assert_eq!(
        h.cmd("alice", empty).unwrap_err().code,
        ErrorCode::BadRequest
    );
}
