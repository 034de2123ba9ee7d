//! The directory Durable Object: one instance (binding `DIRECTORY`, name
//! `"directory"`) holding the list of public rooms, so that
//! `GET /api/rooms/directory` is answered from one small SQLite table without
//! waking any room.
//!
//! Rooms push their listing here after a change (creation, join, leave, edit,
//! and at most once a minute for message activity) and remove it when they turn
//! private or are deleted. It is an index, not the truth: a room's own object
//! decides whether a name is taken, so room creation stays strongly consistent
//! even though the directory lags by the time of one internal call.
//!
//! Out-of-order pushes: a room awaits each push before its next one in the same
//! handler, but two handlers of one room may interleave. An upsert therefore
//! only replaces a row with one at least as new (`last_seq`, within the same
//! incarnation of the name, told apart by `created_at`).
//!
//! Search: `q` matches case-insensitively anywhere in the name or the title
//! (titles are stored lowercased next to the original, with Unicode case
//! folding done in Rust since SQLite's `lower()` only folds ASCII). Results are
//! most recently active first, then by name, and capped at [`LIST_LIMIT`]
//! rooms: the directory is for browsing and searching, and a longer list would
//! be refined with `q` anyway.

use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

use super::room_wire::{read_json, Listing, RemoveListing, RoomList};
use super::sqlite::{Row, Sql};
use super::{http, internal};
use crate::core::error::{ApiError, ApiResult};
use crate::core::protocol::{RoomInfo, Visibility};

/// At most this many rooms per directory answer.
pub const LIST_LIMIT: u64 = 100;

/// A search longer than any name or title can match nothing.
const QUERY_MAX_CHARS: usize = 64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rooms (
    name TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    title_lc TEXT NOT NULL,
    topic TEXT NOT NULL,
    owner TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    member_count INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_activity_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rooms_by_activity ON rooms(last_activity_ms DESC, name);
";

#[durable_object(fetch)]
pub struct DirectoryObject {
    sql: Sql,
}

impl DurableObject for DirectoryObject {
    fn new(state: State, _env: Env) -> Self {
        let sql = Sql::new(&state);
        // Errors are logged inside; every later query would report them too.
        let _ = sql.run(SCHEMA, &[]);
        DirectoryObject { sql }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.route(req).await {
            Ok(resp) => Ok(resp),
            Err(err) => internal::error_response(&err),
        }
    }
}

impl DirectoryObject {
    async fn route(&self, mut req: Request) -> ApiResult<Response> {
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Post, "/upsert") => {
                let listing: Listing = read_json(&mut req).await?;
                self.upsert(&listing)?;
                no_content()
            }
            (Method::Post, "/remove") => {
                let body: RemoveListing = read_json(&mut req).await?;
                self.sql
                    .run("DELETE FROM rooms WHERE name = ?", &[body.name.into()])?;
                no_content()
            }
            (Method::Get, "/list") => {
                let q = http::query_param(&req, "q").unwrap_or_default();
                let rooms = self.list(&q)?;
                let body = serde_json::to_value(RoomList { rooms })
                    .map_err(|e| http::internal("encoding the directory", e))?;
                http::json(200, &body).map_err(|e| http::internal("a response", e))
            }
            _ => Err(ApiError::not_found("No such directory endpoint.")),
        }
    }

    fn upsert(&self, listing: &Listing) -> ApiResult<()> {
        let r = &listing.room;
        self.sql.run(
            "INSERT INTO rooms (name, title, title_lc, topic, owner, created_at, member_count, \
                 last_seq, last_activity_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT(name) DO UPDATE SET title = excluded.title, \
                 title_lc = excluded.title_lc, topic = excluded.topic, owner = excluded.owner, \
                 created_at = excluded.created_at, member_count = excluded.member_count, \
                 last_seq = excluded.last_seq, last_activity_ms = excluded.last_activity_ms \
             WHERE excluded.created_at > rooms.created_at \
                OR (excluded.created_at = rooms.created_at AND excluded.last_seq >= rooms.last_seq)",
            &[
                r.name.as_str().into(),
                r.title.as_str().into(),
                r.title.to_lowercase().into(),
                r.topic.as_str().into(),
                r.owner.as_str().into(),
                r.created_at.into(),
                r.member_count.into(),
                r.last_seq.into(),
                listing.last_activity_ms.into(),
            ],
        )
    }

    fn list(&self, q: &str) -> ApiResult<Vec<RoomInfo>> {
        let q = q.trim().to_lowercase();
        if q.chars().count() > QUERY_MAX_CHARS {
            return Ok(Vec::new());
        }
        let rows = self.sql.query(
            "SELECT name, title, topic, owner, created_at, member_count, last_seq FROM rooms \
             WHERE ?1 = '' OR instr(name, ?1) > 0 OR instr(title_lc, ?1) > 0 \
             ORDER BY last_activity_ms DESC, name LIMIT ?2",
            &[q.into(), LIST_LIMIT.into()],
        )?;
        rows.iter().map(room_of).collect()
    }
}

fn room_of(row: &Row) -> ApiResult<RoomInfo> {
    Ok(RoomInfo {
        name: row.text("name")?,
        title: row.text("title")?,
        topic: row.text("topic")?,
        visibility: Visibility::Public,
        owner: row.text("owner")?,
        created_at: row.int("created_at")?,
        member_count: row.int("member_count")?,
        last_seq: row.int("last_seq")?,
        role: None,
        read_seq: None,
        unread: None,
    })
}

fn no_content() -> ApiResult<Response> {
    http::no_content().map_err(|e| http::internal("a response", e))
}
