//! The room's [`RoomStore`] on its Durable Object's SQLite database.
//!
//! The core decides everything (seqs, the message after an edit, the exact
//! frame text); this file only keeps what it is handed, in the layout
//! `core::store` suggests:
//!
//! ```text
//! events   (seq PK, frame, author, client_id, fingerprint) + UNIQUE (author, client_id)
//!          + an index of edit events by their target (for redaction)
//! messages (seq PK, author, deleted, body)   -- body = the Message as JSON
//!          (a new message's row is written by a trigger from its event row)
//! state    (id = 1, body)                    -- RoomState as JSON
//! reads    (username PK, seq)
//! messages_fts (rowid = seq, text)          -- FTS5, kept by triggers on messages
//! ```
//!
//! Atomicity: `append` writes two rows (event and message) and a command may
//! make several writes, so the room object runs every call that can write
//! (HTTP commands and socket frames) inside one [`super::sqlite::transaction`].
//! The core reports a failed write of a command as an error (rolled back), and
//! a failed write of a socket frame as an `error` frame whose outcome asks for
//! the rollback (`FrameOutcome::rollback`), so the object rolls the
//! frame's transaction back as well.

use super::js_text::js_string;
use super::sqlite::{Arg, Sql};
use crate::core::attachment::AttachmentRecord;
use crate::core::dm::BlockMark;
use crate::core::error::ApiResult;
use crate::core::protocol::{Message, MESSAGE_FRAME_PREFIX};
use crate::core::room_state::RoomState;
use crate::core::search::Query;
use crate::core::store::{cut_page, Appended, PriorChange, RoomStore, StoredEvent};
use crate::core::store_schema::{ADDED_COLUMNS, SCHEMA, SEARCH_SCHEMA, SEARCH_TABLE};

use super::http::{self, Ctx};

/// A room's storage.
#[derive(Clone)]
pub struct SqlStore {
    sql: Sql,
}

impl SqlStore {
    pub fn new(sql: Sql) -> SqlStore {
        SqlStore { sql }
    }

    /// The change key of an event as bindings (`NULL`s for room events):
    /// author, `client_id`, fingerprint.
    fn change_args(event: &StoredEvent) -> [Arg; 3] {
        match &event.change {
            Some(k) => [
                Arg::from(k.author.as_str()),
                Arg::from(k.client_id.as_str()),
                Arg::from(k.fingerprint.as_deref()),
            ],
            None => [Arg::Null, Arg::Null, Arg::Null],
        }
    }

    /// The event row, then the message row (if any).
    fn append_rows(&self, event: &StoredEvent) -> ApiResult<()> {
        let [author, client_id, fingerprint] = Self::change_args(event);
        // A duplicate seq or change key fails here (primary key / unique
        // index), before the message row is touched.
        self.sql.run(
            "INSERT INTO events (seq, frame, author, client_id, fingerprint) \
             VALUES (?, ?, ?, ?, ?)",
            &[
                event.seq.into(),
                frame_arg(event),
                author,
                client_id,
                fingerprint,
            ],
        )?;
        self.message_row(event)
    }

    /// The event row unless its change key is already stored (one statement:
    /// nothing is inserted and no row comes back), then the message row.
    fn append_change_rows(&self, event: &StoredEvent) -> ApiResult<Appended> {
        let [author, client_id, fingerprint] = Self::change_args(event);
        let inserted = self.sql.query(
            "INSERT INTO events (seq, frame, author, client_id, fingerprint) \
             VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (author, client_id) WHERE client_id IS NOT NULL DO NOTHING \
             RETURNING seq",
            &[
                event.seq.into(),
                frame_arg(event),
                author,
                client_id,
                fingerprint,
            ],
        )?;
        if inserted.is_empty() {
            let key = event.change.as_ref();
            let prior = match key {
                Some(k) => self.find_change(&k.author, &k.client_id)?,
                None => None,
            };
            return prior.map(Appended::Repeat).ok_or_else(|| {
                http::internal("storing an event", "neither inserted nor a repeat")
            });
        }
        self.message_row(event)?;
        Ok(Appended::Stored)
    }

    /// The message row of a message event: a new row for a new message, the
    /// changed row for an edit, delete or reaction. A new message whose frame
    /// the `events_new_message` trigger recognises already has its row.
    fn message_row(&self, event: &StoredEvent) -> ApiResult<()> {
        let Some(m) = &event.message else {
            return Ok(());
        };
        let filed_by_trigger = m.seq == event.seq
            && event.frame.starts_with(MESSAGE_FRAME_PREFIX)
            && event.change.as_ref().is_some_and(|k| k.author == m.author);
        if filed_by_trigger {
            return Ok(());
        }
        let query = "INSERT INTO messages (seq, author, deleted, body) VALUES (?, ?, ?, ?) \
             ON CONFLICT(seq) DO UPDATE SET author = excluded.author, \
             deleted = excluded.deleted, body = excluded.body";
        self.sql.run(
            query,
            &[
                m.seq.into(),
                m.author.as_str().into(),
                u64::from(m.deleted).into(),
                to_json(m)?.into(),
            ],
        )
    }

    /// Creates the tables (see `core::store_schema`) and adds the columns a room
    /// stored by an older version lacks (`ADDED_COLUMNS`). A room's creation
    /// and every load of an existing room call it; looking up a room that
    /// does not exist must store nothing, so nothing else does.
    pub fn migrate(&self) -> ApiResult<()> {
        self.sql.run(SCHEMA, &[])?;
        // ALTER TABLE has no IF NOT EXISTS: read the table's definition
        // (SQLite keeps it up to date with every ALTER) for the column.
        let table = self
            .sql
            .one(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'",
                &[],
            )?
            .text("sql")?;
        for (column, add) in ADDED_COLUMNS {
            if !has_column(&table, column) {
                self.sql.run(add, &[])?;
            }
        }
        // The search index and its triggers, once; it indexes what is
        // stored already in the same synchronous call (so atomically).
        let indexed = self
            .sql
            .one(
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
                &[SEARCH_TABLE.into()],
            )?
            .int("n")?;
        if indexed == 0 {
            self.sql.run(SEARCH_SCHEMA, &[])?;
        }
        Ok(())
    }

    /// Has this object's database the room's tables (was a room ever created
    /// here)? Reading the schema stores nothing.
    pub fn has_schema(&self) -> ApiResult<bool> {
        let row = self.sql.one(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'state'",
            &[],
        )?;
        Ok(row.int("n")? > 0)
    }
}

/// Does a `CREATE TABLE` statement (as `sqlite_master` keeps it) define
/// `column`? Our column names are plain words, never quoted or part of
/// another column's name.
fn has_column(create_table: &str, column: &str) -> bool {
    create_table
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| word == column)
}

/// The frame as the same JavaScript string the broadcast will send.
fn frame_arg(event: &StoredEvent) -> Arg {
    Arg::Js(js_string(&event.frame))
}

fn to_json<T: serde::Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).ctx("encoding a stored row")
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> ApiResult<T> {
    serde_json::from_str(text).ctx("decoding a stored row")
}

fn messages(rows: Vec<super::sqlite::Row>) -> ApiResult<Vec<Message>> {
    rows.iter()
        .map(|r| from_json::<Message>(&r.text("body")?))
        .collect()
}

/// Upload rows: the record from `body`, whose message is the `message` column's.
fn uploads(rows: Vec<super::sqlite::Row>) -> ApiResult<Vec<AttachmentRecord>> {
    rows.iter()
        .map(|r| {
            let mut record = from_json::<AttachmentRecord>(&r.text("body")?)?;
            record.message = r.opt_int("message")?;
            Ok(record)
        })
        .collect()
}

impl RoomStore for SqlStore {
    fn load_state(&self) -> ApiResult<Option<RoomState>> {
        let rows = self.sql.query("SELECT body FROM state WHERE id = 1", &[])?;
        match rows.first() {
            Some(row) => Ok(Some(from_json(&row.text("body")?)?)),
            None => Ok(None),
        }
    }

    fn save_state(&mut self, state: &RoomState) -> ApiResult<()> {
        to_json(state).and_then(|body| {
            self.sql.run(
                "INSERT INTO state (id, body) VALUES (1, ?) \
                 ON CONFLICT(id) DO UPDATE SET body = excluded.body",
                &[body.into()],
            )
        })
    }

    fn read_markers(&self) -> ApiResult<Vec<(String, u64)>> {
        self.sql
            .query("SELECT username, seq FROM reads", &[])?
            .iter()
            .map(|r| Ok((r.text("username")?, r.int("seq")?)))
            .collect()
    }

    fn save_read(&mut self, username: &str, seq: u64) -> ApiResult<()> {
        self.sql.run(
            "INSERT INTO reads (username, seq) VALUES (?, ?) \
             ON CONFLICT(username) DO UPDATE SET seq = excluded.seq",
            &[username.into(), seq.into()],
        )
    }

    fn block_marks(&self) -> ApiResult<Vec<(String, BlockMark)>> {
        self.sql
            .query("SELECT username, blocked, rev FROM blocks", &[])?
            .iter()
            .map(|r| {
                let mark = BlockMark {
                    blocked: r.int("blocked")? != 0,
                    rev: r.int("rev")?,
                };
                Ok((r.text("username")?, mark))
            })
            .collect()
    }

    fn save_block_mark(&mut self, blocker: &str, mark: &BlockMark) -> ApiResult<()> {
        self.sql.run(
            "INSERT INTO blocks (username, blocked, rev) VALUES (?, ?, ?) \
             ON CONFLICT(username) DO UPDATE SET blocked = excluded.blocked, rev = excluded.rev",
            &[
                blocker.into(),
                u64::from(mark.blocked).into(),
                mark.rev.into(),
            ],
        )
    }

    fn save_upload(&mut self, record: &AttachmentRecord) -> ApiResult<()> {
        let body = to_json(record)?;
        self.sql.run(
            "INSERT OR REPLACE INTO uploads (id, sha256, created_at, message, body) \
             VALUES (?, ?, ?, ?, ?)",
            &[
                record.upload.id.as_str().into(),
                record.upload.sha256.as_str().into(),
                record.created_at.into(),
                record.message.map_or(Arg::Null, Arg::from),
                body.into(),
            ],
        )
    }

    fn upload(&self, id: &str) -> ApiResult<Option<AttachmentRecord>> {
        let rows = self.sql.query(
            "SELECT message, body FROM uploads WHERE id = ?",
            &[id.into()],
        )?;
        Ok(uploads(rows)?.pop())
    }

    fn attach(&mut self, ids: &[String], seq: u64) -> ApiResult<()> {
        for id in ids {
            self.sql.run(
                "UPDATE uploads SET message = ? WHERE id = ?",
                &[seq.into(), id.as_str().into()],
            )?;
        }
        Ok(())
    }

    fn uploads_of(&self, seq: u64) -> ApiResult<Vec<AttachmentRecord>> {
        uploads(self.sql.query(
            "SELECT message, body FROM uploads WHERE message = ?",
            &[seq.into()],
        )?)
    }

    fn remove_uploads(&mut self, ids: &[String]) -> ApiResult<()> {
        for id in ids {
            self.sql
                .run("DELETE FROM uploads WHERE id = ?", &[id.as_str().into()])?;
        }
        Ok(())
    }

    fn sha_in_use(&self, sha256: &str) -> ApiResult<bool> {
        let rows = self.sql.query(
            "SELECT 1 AS n FROM uploads WHERE sha256 = ? LIMIT 1",
            &[sha256.into()],
        )?;
        Ok(!rows.is_empty())
    }

    fn stale_uploads(&self, before_ms: u64) -> ApiResult<Vec<AttachmentRecord>> {
        uploads(self.sql.query(
            "SELECT message, body FROM uploads WHERE message IS NULL AND created_at < ? \
             ORDER BY created_at",
            &[before_ms.into()],
        )?)
    }

    fn oldest_unused_upload(&self) -> ApiResult<Option<u64>> {
        let rows = self.sql.query(
            "SELECT created_at FROM uploads WHERE message IS NULL ORDER BY created_at LIMIT 1",
            &[],
        )?;
        rows.first().map(|r| r.int("created_at")).transpose()
    }

    fn append(&mut self, event: &StoredEvent) -> ApiResult<()> {
        self.append_rows(event)
    }

    fn append_change(&mut self, event: &StoredEvent) -> ApiResult<Appended> {
        self.append_change_rows(event)
    }

    fn last_seq(&self) -> ApiResult<u64> {
        self.sql
            .one("SELECT COALESCE(MAX(seq), 0) AS n FROM events", &[])?
            .int("n")
    }

    fn find_change(&self, author: &str, client_id: &str) -> ApiResult<Option<PriorChange>> {
        // A NULL fingerprint (a row from before the column) reads as ''.
        let rows = self.sql.query(
            "SELECT seq, COALESCE(fingerprint, '') AS fingerprint FROM events \
             WHERE author = ? AND client_id = ?",
            &[author.into(), client_id.into()],
        )?;
        rows.first()
            .map(|r| {
                let fingerprint = r.text("fingerprint")?;
                Ok(PriorChange {
                    seq: r.int("seq")?,
                    fingerprint: (!fingerprint.is_empty()).then_some(fingerprint),
                })
            })
            .transpose()
    }

    fn events_page(&self, after: u64, upto: u64, limit: u32) -> ApiResult<Vec<(u64, String)>> {
        self.sql
            .query(
                "SELECT seq, frame FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                &[after.into(), upto.into(), u64::from(limit).into()],
            )?
            .iter()
            .map(|r| Ok((r.int("seq")?, r.text("frame")?)))
            .collect()
    }

    fn redact(&mut self, target: u64, tombstone_frame: &str) -> ApiResult<()> {
        // The edits through the `events_edits` index (the same expressions as
        // its definition, so SQLite uses it); `json_set` keeps every other
        // field and the key order.
        self.sql
            .run(
                "UPDATE events SET frame = json_set(frame, '$.text', '', '$.mentions', json('[]')) \
                 WHERE substr(frame, 1, 15) = '{\"type\":\"edit\",' \
                 AND json_extract(frame, '$.target') = ?",
                &[target.into()],
            )
            .and_then(|()| {
                self.sql.run(
                    "UPDATE events SET frame = ? WHERE seq = ?",
                    &[tombstone_frame.into(), target.into()],
                )
            })
    }

    fn message(&self, seq: u64) -> ApiResult<Option<Message>> {
        let rows = self
            .sql
            .query("SELECT body FROM messages WHERE seq = ?", &[seq.into()])?;
        Ok(messages(rows)?.pop())
    }

    fn history(&self, before: Option<u64>, limit: u32) -> ApiResult<(Vec<Message>, bool)> {
        let rows = self.sql.query(
            "SELECT body FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?",
            &[
                before.unwrap_or(super::sqlite::MAX_SAFE_INT).into(),
                (u64::from(limit) + 1).into(),
            ],
        )?;
        let (mut page, has_more) = cut_page(messages(rows)?, limit);
        page.reverse();
        Ok((page, has_more))
    }

    fn count_unread(&self, after: u64, viewer: &str) -> ApiResult<u64> {
        self.sql
            .one(
                "SELECT COUNT(*) AS n FROM messages WHERE seq > ? AND deleted = 0 AND author != ?",
                &[after.into(), viewer.into()],
            )?
            .int("n")
    }

    fn count_mentions(&self, after: u64, viewer: &str) -> ApiResult<u64> {
        // Only rows after the marker are read, each one's short mention list.
        self.sql
            .one(
                "SELECT COUNT(*) AS n FROM messages \
                 WHERE seq > ?1 AND deleted = 0 AND author != ?2 \
                 AND EXISTS (SELECT 1 FROM json_each(body, '$.mentions') WHERE value = ?2)",
                &[after.into(), viewer.into()],
            )?
            .int("n")
    }

    fn search(
        &self,
        query: &Query,
        before: Option<u64>,
        limit: u32,
    ) -> ApiResult<(Vec<Message>, bool)> {
        // The index answers in rowid (= seq) order, newest first, and stops
        // at the limit; MATCH gets only quoted terms (core::search).
        let rows = self.sql.query(
            "SELECT m.body FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid \
             WHERE messages_fts MATCH ?1 AND messages_fts.rowid < ?2 AND m.deleted = 0 \
             ORDER BY messages_fts.rowid DESC LIMIT ?3",
            &[
                query.fts_match().into(),
                before.unwrap_or(super::sqlite::MAX_SAFE_INT).into(),
                (u64::from(limit) + 1).into(),
            ],
        )?;
        Ok(cut_page(messages(rows)?, limit))
    }

    fn wipe(&mut self) -> ApiResult<()> {
        self.sql.run(
            "DELETE FROM events; DELETE FROM messages; DELETE FROM state; DELETE FROM reads; \
             DELETE FROM blocks; DELETE FROM uploads; DELETE FROM messages_fts;",
            &[],
        )
    }
}
