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
//! handler, but two handlers of one room may interleave, so an older update can
//! land after a newer one (a join's upsert after the removal that made the room
//! private). Every update carries the room's [`DirectoryVersion`] and the table
//! keeps the newest version per name, removals included: a removal leaves a
//! tombstone row (`listed = 0`) instead of deleting the row, and an update is
//! applied only when [`supersedes`] says it is newer than the row. The check
//! and the write are synchronous SQL with nothing awaited between them, so no
//! other request interleaves. Tombstones are one small row per name that was
//! ever public; a name's next incarnation reuses its row.
//!
//! Storage: the table is created by the first update, not on construction, so
//! reading an empty directory stores nothing.
//!
//! Search: `q` matches case-insensitively anywhere in the name or the title
//! (titles are stored lowercased next to the original, with Unicode case
//! folding done in Rust since SQLite's `lower()` only folds ASCII). Results are
//! most recently active first, then by name, and capped at [`LIST_LIMIT`]
//! rooms: the directory is for browsing and searching, and a longer list would
//! be refined with `q` anyway.

use std::cell::Cell;

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::http::{self, Ctx};
use super::internal;
use super::sqlite::{Row, Sql};
use crate::core::directory::{supersedes, DirectoryVersion};
use crate::core::error::ApiResult;
use crate::core::protocol::{RoomInfo, RoomKind, Visibility};
use crate::core::wire::{DirectoryCall, RoomList};

/// At most this many rooms per directory answer.
pub const LIST_LIMIT: u64 = 100;

/// A search longer than any name or title can match nothing.
const QUERY_MAX_CHARS: usize = 64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS listings (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    version_seq INTEGER NOT NULL,
    listed INTEGER NOT NULL,
    title TEXT NOT NULL,
    title_lc TEXT NOT NULL,
    topic TEXT NOT NULL,
    owner TEXT NOT NULL,
    member_count INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_activity_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS listings_by_activity
    ON listings(listed, last_activity_ms DESC, name);
";

/// Rows of the unversioned table of earlier builds, carried over once (their
/// `last_seq` is the version they were written with).
const MIGRATE_OLD: &str = "
INSERT OR IGNORE INTO listings (name, created_at, version_seq, listed, title, title_lc,
    topic, owner, member_count, last_seq, last_activity_ms)
SELECT name, created_at, last_seq, 1, title, title_lc, topic, owner, member_count, last_seq,
    last_activity_ms FROM rooms;
DROP TABLE rooms;
";

#[durable_object(fetch)]
pub struct DirectoryObject {
    sql: Sql,
    /// Whether the table is known to exist (checked once, created by the
    /// first update).
    ready: Cell<bool>,
}

impl DurableObject for DirectoryObject {
    fn new(state: State, _env: Env) -> Self {
        DirectoryObject {
            sql: Sql::new(&state),
            ready: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let answer = match internal::read_call::<DirectoryCall>(&mut req).await {
            Ok(call) => self.route(call),
            Err(e) => Err(e),
        };
        match answer {
            Ok(resp) => Ok(resp),
            Err(err) => internal::error_response(&err),
        }
    }
}

impl DirectoryObject {
    fn route(&self, call: DirectoryCall) -> ApiResult<Response> {
        match call {
            DirectoryCall::Upsert {
                room,
                last_activity_ms,
                version,
            } => {
                self.upsert(&room, last_activity_ms, version)?;
                http::no_content().ctx("a response")
            }
            DirectoryCall::Remove { name, version } => {
                self.remove(&name, version)?;
                http::no_content().ctx("a response")
            }
            DirectoryCall::List { q } => {
                let rooms = self.list(&q)?;
                http::json(200, &RoomList { rooms }).ctx("a response")
            }
        }
    }

    /// Does the table exist? (Reading the schema stores nothing.)
    fn has_table(&self) -> ApiResult<bool> {
        if self.ready.get() {
            return Ok(true);
        }
        let row = self.sql.one(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'listings'",
            &[],
        )?;
        let exists = row.int("n")? > 0;
        self.ready.set(exists);
        Ok(exists)
    }

    /// Creates the table before the first write (and carries over the rows
    /// of an earlier build's table, if there is one).
    fn ensure_table(&self) -> ApiResult<()> {
        if self.has_table()? {
            return Ok(());
        }
        self.sql.run(SCHEMA, &[])?;
        let old = self.sql.one(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'rooms'",
            &[],
        )?;
        if old.int("n")? > 0 {
            self.sql.run(MIGRATE_OLD, &[])?;
        }
        self.ready.set(true);
        Ok(())
    }

    /// Is `version` newer than what the table holds for `name`?
    fn is_newer(&self, name: &str, version: DirectoryVersion) -> ApiResult<bool> {
        let rows = self.sql.query(
            "SELECT created_at, version_seq FROM listings WHERE name = ?",
            &[name.into()],
        )?;
        let stored = match rows.first() {
            Some(row) => Some(DirectoryVersion {
                created_at: row.int("created_at")?,
                seq: row.int("version_seq")?,
            }),
            None => None,
        };
        Ok(supersedes(version, stored))
    }

    fn upsert(&self, r: &RoomInfo, last_activity_ms: u64, v: DirectoryVersion) -> ApiResult<()> {
        self.ensure_table()?;
        if !self.is_newer(&r.name, v)? {
            return Ok(());
        }
        self.sql.run(
            "INSERT OR REPLACE INTO listings (name, created_at, version_seq, listed, title, \
                 title_lc, topic, owner, member_count, last_seq, last_activity_ms) \
             VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
            &[
                r.name.as_str().into(),
                v.created_at.into(),
                v.seq.into(),
                r.title.as_str().into(),
                r.title.to_lowercase().into(),
                r.topic.as_str().into(),
                r.owner.as_deref().unwrap_or_default().into(),
                r.member_count.into(),
                r.last_seq.into(),
                last_activity_ms.into(),
            ],
        )
    }

    /// Replaces the row with a tombstone of `v`.
    fn remove(&self, name: &str, v: DirectoryVersion) -> ApiResult<()> {
        self.ensure_table()?;
        if !self.is_newer(name, v)? {
            return Ok(());
        }
        self.sql.run(
            "INSERT OR REPLACE INTO listings (name, created_at, version_seq, listed, title, \
                 title_lc, topic, owner, member_count, last_seq, last_activity_ms) \
             VALUES (?, ?, ?, 0, '', '', '', '', 0, 0, 0)",
            &[name.into(), v.created_at.into(), v.seq.into()],
        )
    }

    fn list(&self, q: &str) -> ApiResult<Vec<RoomInfo>> {
        let q = q.trim().to_lowercase();
        if q.chars().count() > QUERY_MAX_CHARS || !self.has_table()? {
            return Ok(Vec::new());
        }
        let rows = self.sql.query(
            "SELECT name, title, topic, owner, created_at, member_count, last_seq FROM listings \
             WHERE listed = 1 AND (?1 = '' OR instr(name, ?1) > 0 OR instr(title_lc, ?1) > 0) \
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
        kind: RoomKind::Room,
        owner: Some(row.text("owner")?),
        created_at: row.int("created_at")?,
        member_count: row.int("member_count")?,
        last_seq: row.int("last_seq")?,
        peer: None,
        role: None,
        read_seq: None,
        unread: None,
        mentions: None,
        notify: None,
    })
}
