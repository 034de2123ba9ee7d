//! The room's SQLite schema, beside the frame layout it relies on.
//!
//! Two statements read frame text inside SQLite: the trigger that files a
//! new message's row from its event (`substr(NEW.frame, 1, 18)` must be
//! [`MESSAGE_FRAME_PREFIX`](super::protocol::MESSAGE_FRAME_PREFIX), and the frame minus `type` must be the
//! [`super::protocol::Message`]), and the index of edit events by target
//! (`substr(frame, 1, 15)` must be
//! [`EDIT_FRAME_PREFIX`](super::protocol::EDIT_FRAME_PREFIX)). A change to the
//! frames' serde layout that broke either would silently stop filing
//! messages or redacting edits, so the tests below check them together.
//! The platform's `sql_store` runs this text; nothing else here touches SQL.

/// Creates the tables if they are missing (idempotent; run by a room's
/// creation and on every load). Columns added since the first version are
/// not here but in [`ADDED_COLUMNS`], so new and old rooms get them the same
/// way.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    frame TEXT NOT NULL,
    author TEXT,
    client_id TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS events_change ON events(author, client_id)
    WHERE client_id IS NOT NULL;
-- The edit events of a message, found by their target when the message is
-- deleted and its text redacted (see `redact`). An index on expressions, so
-- rooms stored before it need no new column: creating it indexes their edits.
CREATE INDEX IF NOT EXISTS events_edits ON events(json_extract(frame, '$.target'))
    WHERE substr(frame, 1, 15) = '{"type":"edit",';
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY,
    author TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    body TEXT NOT NULL
);
-- A new message's row, filed inside SQLite from its event's frame (the frame
-- is the tag and then the Message; protocol::MESSAGE_FRAME_PREFIX): one
-- statement per sent message from the object instead of two.
CREATE TRIGGER IF NOT EXISTS events_new_message AFTER INSERT ON events
WHEN substr(NEW.frame, 1, 18) = '{"type":"message",' AND NEW.author IS NOT NULL
BEGIN
    INSERT INTO messages (seq, author, deleted, body)
    VALUES (NEW.seq, NEW.author, 0, json_remove(NEW.frame, '$.type'));
END;
CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reads (
    username TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    message INTEGER,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_message ON uploads(message, created_at);
CREATE INDEX IF NOT EXISTS uploads_sha ON uploads(sha256);
CREATE TABLE IF NOT EXISTS blocks (
    username TEXT PRIMARY KEY,
    blocked INTEGER NOT NULL,
    rev INTEGER NOT NULL
);
"#;

/// The full-text index of messages' current text (contract section 11),
/// created once per room with the triggers that keep it in step with
/// `messages` inside the same statement as each change: a deleted message
/// leaves the index, an edited one is found by its new text only (an update
/// that changes neither, such as a reaction, leaves the index alone). The
/// last statement indexes what a room stored before search existed.
///
/// `unicode61` splits words as [`super::search::words`] does (letters and
/// digits) and folds case; diacritics are kept (`école` is not `ecole`).
/// Prefix indexes for 2 and 3 characters keep short prefix terms cheap.
pub const SEARCH_TABLE: &str = "messages_fts";
pub const SEARCH_SCHEMA: &str = r#"
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN NEW.deleted = 0
BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (NEW.seq, json_extract(NEW.body, '$.text'));
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF deleted, body ON messages
WHEN OLD.deleted != NEW.deleted
    OR json_extract(OLD.body, '$.text') IS NOT json_extract(NEW.body, '$.text')
BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.seq;
    INSERT INTO messages_fts (rowid, text)
        SELECT NEW.seq, json_extract(NEW.body, '$.text') WHERE NEW.deleted = 0;
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.seq;
END;
INSERT INTO messages_fts (rowid, text)
    SELECT seq, json_extract(body, '$.text') FROM messages WHERE deleted = 0;
"#;

/// Columns added to `events` after the first version: (name, the statement
/// that adds it). A room stored before has no such column; ALTER TABLE adds
/// it with NULL in every existing row (for `fingerprint`: "stored before
/// fingerprints", which the core accepts as it did then).
pub const ADDED_COLUMNS: [(&str, &str); 1] = [(
    "fingerprint",
    "ALTER TABLE events ADD COLUMN fingerprint TEXT",
)];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::core::protocol::{Message, ServerFrame, EDIT_FRAME_PREFIX, MESSAGE_FRAME_PREFIX};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn message() -> Message {
        Message {
            seq: 7,
            author: "alice".into(),
            text: "hi".into(),
            ts: 1,
            client_id: "c1".into(),
            reply_to: None,
            edited_at: None,
            deleted: false,
            reactions: Default::default(),
            attachments: Vec::new(),
            mentions: Vec::new(),
        }
    }

    /// The schema tests `column` for frames that start with `prefix`, and
    /// `frame` (an encoded event) does start with it.
    fn assert_recognised(column: &str, prefix: &str, frame: &str) {
        assert!(frame.starts_with(prefix), "{frame}");
        let test = format!("substr({column}, 1, {}) = '{prefix}'", prefix.len());
        assert!(SCHEMA.contains(&test), "the schema tests {test}");
    }

    #[test]
    fn the_trigger_matches_how_a_message_frame_is_encoded() {
        let frame = ServerFrame::Message(message()).encode().unwrap();
        assert_recognised("NEW.frame", MESSAGE_FRAME_PREFIX, &frame);
        // What the trigger stores, json_remove(frame, '$.type'), is the Message.
        let mut value: serde_json::Value = serde_json::from_str(&frame).unwrap();
        value.as_object_mut().unwrap().remove("type");
        assert_eq!(serde_json::from_value::<Message>(value).unwrap(), message());
    }

    #[test]
    fn the_edit_index_matches_how_an_edit_frame_is_encoded() {
        let frame = ServerFrame::Edit {
            seq: 8,
            target: 7,
            text: "hey".into(),
            edited_at: 2,
            by: "alice".into(),
            mentions: Vec::new(),
        }
        .encode()
        .unwrap();
        assert_recognised("frame", EDIT_FRAME_PREFIX, &frame);
        assert!(SCHEMA.contains("json_extract(frame, '$.target')"));
        let value: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(value["target"], 7);
    }

    #[test]
    fn added_columns_are_not_in_the_first_schema() {
        for (column, add) in ADDED_COLUMNS {
            assert!(add.ends_with(&format!("ADD COLUMN {column} TEXT")));
            assert!(!SCHEMA.contains(column));
        }
    }
}
