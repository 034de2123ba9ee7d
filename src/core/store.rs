//! What a room needs from storage, as a small synchronous trait.
//!
//! The Durable Object implements [`RoomStore`] on its SQLite storage (whose
//! calls are synchronous); [`MemoryStore`] implements it in memory for the
//! tests and benchmarks. The room state machine decides everything (seq
//! numbers, the new state of a message after an edit or reaction, the exact
//! frame text); a store only keeps what it is handed and answers lookups.
//!
//! A handler call may make several writes (an event and the room state, for
//! example). The Durable Object runs each call of
//! [`super::room::Room::handle_command`] inside one transaction and rolls it back
//! when the call returns an error; socket frames and connects make at most one
//! write each, so they need no rollback. Every method must be atomic on its own.
//!
//! A suggested SQLite layout:
//! ```text
//! events   (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, author TEXT, client_id TEXT,
//!           fingerprint TEXT)
//!          + UNIQUE INDEX ON events(author, client_id) WHERE client_id IS NOT NULL
//! messages (seq INTEGER PRIMARY KEY, author TEXT NOT NULL, deleted INTEGER NOT NULL,
//!           body TEXT NOT NULL)  -- body = the Message as JSON
//! state    (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL)  -- RoomState JSON
//! reads    (username TEXT PRIMARY KEY, seq INTEGER NOT NULL)
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::attachment::AttachmentRecord;
use super::dm::BlockMark;
use super::error::{ApiError, ApiResult};
use super::protocol::{Message, ServerFrame};
use super::room_state::RoomState;
use super::search::Query;

/// Identifies a client's change for idempotency: the same author sending the
/// same `client_id` again is the same change, if it asks for the same thing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChangeKey {
    pub author: String,
    pub client_id: String,
    /// What the key was used for (see [`super::idempotency::fingerprint`]),
    /// stored with the key. `None` only for changes stored before
    /// fingerprints existed.
    pub fingerprint: Option<String>,
}

/// A change stored before under the same author and `client_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorChange {
    /// The `seq` of the event it created.
    pub seq: u64,
    /// Its fingerprint; `None` when it was stored before fingerprints existed.
    pub fingerprint: Option<String>,
}

/// One durable event, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The event's `seq`: always the previous event's plus one.
    pub seq: u64,
    /// The exact frame text that was broadcast; resume replays it byte for byte.
    pub frame: Arc<str>,
    /// Set for changes a client asked for with a `client_id` (send, edit,
    /// delete, react); `None` for membership and room events.
    pub change: Option<ChangeKey>,
    /// For message, edit, delete and reaction events: the whole message as it
    /// is after this event. The store inserts or replaces the row with this
    /// `message.seq` (which is the event's own `seq` for a new message and the
    /// `target` otherwise). `None` for membership and room events.
    pub message: Option<Message>,
}

/// What [`RoomStore::append_change`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The event is stored.
    Stored,
    /// A change with the same author and `client_id` was stored before;
    /// nothing was written. Whether it is the same change is the room's to
    /// decide (by the fingerprints).
    Repeat(PriorChange),
}

/// Storage for one room. Every method is synchronous and atomic.
pub trait RoomStore {
    /// The saved room state, `None` when the room was never created (or was deleted).
    fn load_state(&self) -> ApiResult<Option<RoomState>>;
    /// Replaces the saved room state.
    fn save_state(&mut self, state: &RoomState) -> ApiResult<()>;
    /// Every saved read marker (`username`, `seq`).
    fn read_markers(&self) -> ApiResult<Vec<(String, u64)>>;
    /// Sets one member's read marker (insert or replace).
    fn save_read(&mut self, username: &str, seq: u64) -> ApiResult<()>;
    /// Every DM block mark held (blocker, mark). Kept apart from the state
    /// because a mark may arrive before the DM exists (see [`super::dm`]).
    fn block_marks(&self) -> ApiResult<Vec<(String, BlockMark)>>;
    /// Sets one blocker's mark (insert or replace).
    fn save_block_mark(&mut self, blocker: &str, mark: &BlockMark) -> ApiResult<()>;

    /// Records an upload (see [`super::attachment`]).
    fn save_upload(&mut self, record: &AttachmentRecord) -> ApiResult<()>;
    /// One upload by id.
    fn upload(&self, id: &str) -> ApiResult<Option<AttachmentRecord>>;
    /// Marks these uploads as carried by message `seq`.
    fn attach(&mut self, ids: &[String], seq: u64) -> ApiResult<()>;
    /// The uploads message `seq` carries.
    fn uploads_of(&self, seq: u64) -> ApiResult<Vec<AttachmentRecord>>;
    /// Forgets these uploads.
    fn remove_uploads(&mut self, ids: &[String]) -> ApiResult<()>;
    /// Whether any upload left has these bytes.
    fn sha_in_use(&self, sha256: &str) -> ApiResult<bool>;
    /// Unused uploads created before `before_ms`, oldest first.
    fn stale_uploads(&self, before_ms: u64) -> ApiResult<Vec<AttachmentRecord>>;
    /// When the oldest unused upload was created.
    fn oldest_unused_upload(&self) -> ApiResult<Option<u64>>;

    /// Stores an event: its frame text under its `seq`, its change key (if
    /// any) for [`RoomStore::find_change`], and its message row (if any).
    fn append(&mut self, event: &StoredEvent) -> ApiResult<()>;
    /// Stores a client's change (an event with a `change` key) unless that
    /// change is already stored. The room's hot path (`send`) stores first and
    /// looks a repeat up only when the store says so, so a store that can do
    /// both in one statement (SQLite's `ON CONFLICT DO NOTHING RETURNING`)
    /// saves a query per message. The default looks up, then appends.
    fn append_change(&mut self, event: &StoredEvent) -> ApiResult<Appended> {
        if let Some(key) = &event.change {
            if let Some(prior) = self.find_change(&key.author, &key.client_id)? {
                return Ok(Appended::Repeat(prior));
            }
        }
        self.append(event)?;
        Ok(Appended::Stored)
    }
    /// The `seq` of the newest stored event, 0 when there is none.
    fn last_seq(&self) -> ApiResult<u64>;
    /// The change stored under this author and `client_id`, if any.
    fn find_change(&self, author: &str, client_id: &str) -> ApiResult<Option<PriorChange>>;
    /// At most `limit` events with `after < seq <= upto`, in `seq` order, as
    /// (`seq`, frame text). A resume reads its replay a page at a time through
    /// this, so it never holds the whole window in memory.
    fn events_page(&self, after: u64, upto: u64, limit: u32) -> ApiResult<Vec<(u64, String)>>;
    /// A message is being deleted: forget its text everywhere it is stored.
    /// The event that created message `target` becomes `tombstone_frame`
    /// (its `message` frame as a tombstone), and every `edit` event of it
    /// keeps its place and fields but gets `"text": ""`. (The message row is
    /// replaced by the delete event's own `message`, as for any change.)
    fn redact(&mut self, target: u64, tombstone_frame: &str) -> ApiResult<()>;

    /// The message whose `seq` is `seq`, as it is now; `None` when no message
    /// has that `seq` (including when the `seq` is another kind of event).
    fn message(&self, seq: u64) -> ApiResult<Option<Message>>;
    /// Up to `limit` messages with `seq < before` (all when `before` is
    /// `None`), the newest ones, returned in ascending `seq`; and whether older
    /// messages remain. SQL: `WHERE seq < ? ORDER BY seq DESC LIMIT limit + 1`.
    fn history(&self, before: Option<u64>, limit: u32) -> ApiResult<(Vec<Message>, bool)>;
    /// How many messages with `seq > after` were written by someone other than
    /// `viewer` and are not deleted.
    fn count_unread(&self, after: u64, viewer: &str) -> ApiResult<u64>;
    /// Live messages by others with `seq > after` that mention `viewer`.
    fn count_mentions(&self, after: u64, viewer: &str) -> ApiResult<u64>;
    /// Up to `limit` live messages with `seq < before` whose current text
    /// matches `query`, newest first; and whether more match further back.
    /// SQL: the full-text index, kept by triggers on `messages`.
    fn search(
        &self,
        query: &Query,
        before: Option<u64>,
        limit: u32,
    ) -> ApiResult<(Vec<Message>, bool)>;

    /// Removes everything: events, messages, state, read markers, block marks.
    fn wipe(&mut self) -> ApiResult<()>;
}

/// A page read with `LIMIT limit + 1`: the first `limit` rows, and whether
/// the extra row came (more remain). History and search pages both use it.
pub fn cut_page<T>(mut rows: Vec<T>, limit: u32) -> (Vec<T>, bool) {
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    (rows, has_more)
}

/// A [`RoomStore`] in memory, for tests and benchmarks.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    state: Option<RoomState>,
    reads: BTreeMap<String, u64>,
    blocks: BTreeMap<String, BlockMark>,
    uploads: BTreeMap<String, AttachmentRecord>,
    events: BTreeMap<u64, String>,
    changes: HashMap<(String, String), PriorChange>,
    messages: BTreeMap<u64, Message>,
    /// Test hook: when set, the next write fails with `internal`.
    pub fail_next_write: bool,
    /// Test record: how many events each [`RoomStore::events_page`] call
    /// returned, in order.
    pub pages_read: RefCell<Vec<usize>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// How many events are stored.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// Every stored event `seq`, ascending.
    pub fn event_seqs(&self) -> Vec<u64> {
        self.events.keys().copied().collect()
    }

    /// The frame texts of every event with `seq > after`, in `seq` order.
    pub fn events_after(&self, after: u64) -> ApiResult<Vec<String>> {
        Ok(self
            .events
            .range(after.saturating_add(1)..)
            .map(|(_, f)| f.clone())
            .collect())
    }

    /// True when nothing at all is stored.
    pub fn is_empty(&self) -> bool {
        self.state.is_none()
            && self.reads.is_empty()
            && self.blocks.is_empty()
            && self.uploads.is_empty()
            && self.events.is_empty()
            && self.changes.is_empty()
            && self.messages.is_empty()
    }

    fn write(&mut self) -> ApiResult<()> {
        if std::mem::take(&mut self.fail_next_write) {
            Err(ApiError::internal())
        } else {
            Ok(())
        }
    }
}

impl RoomStore for MemoryStore {
    fn load_state(&self) -> ApiResult<Option<RoomState>> {
        Ok(self.state.clone())
    }

    fn save_state(&mut self, state: &RoomState) -> ApiResult<()> {
        self.write()?;
        self.state = Some(state.clone());
        Ok(())
    }

    fn read_markers(&self) -> ApiResult<Vec<(String, u64)>> {
        Ok(self.reads.iter().map(|(u, s)| (u.clone(), *s)).collect())
    }

    fn save_read(&mut self, username: &str, seq: u64) -> ApiResult<()> {
        self.write()?;
        self.reads.insert(username.to_string(), seq);
        Ok(())
    }

    fn block_marks(&self) -> ApiResult<Vec<(String, BlockMark)>> {
        Ok(self.blocks.iter().map(|(u, m)| (u.clone(), *m)).collect())
    }

    fn save_block_mark(&mut self, blocker: &str, mark: &BlockMark) -> ApiResult<()> {
        self.write()?;
        self.blocks.insert(blocker.to_string(), *mark);
        Ok(())
    }

    fn save_upload(&mut self, record: &AttachmentRecord) -> ApiResult<()> {
        self.write()?;
        self.uploads
            .insert(record.upload.id.clone(), record.clone());
        Ok(())
    }

    fn upload(&self, id: &str) -> ApiResult<Option<AttachmentRecord>> {
        Ok(self.uploads.get(id).cloned())
    }

    fn attach(&mut self, ids: &[String], seq: u64) -> ApiResult<()> {
        self.write()?;
        for id in ids {
            if let Some(r) = self.uploads.get_mut(id) {
                r.message = Some(seq);
            }
        }
        Ok(())
    }

    fn uploads_of(&self, seq: u64) -> ApiResult<Vec<AttachmentRecord>> {
        Ok(self
            .uploads
            .values()
            .filter(|r| r.message == Some(seq))
            .cloned()
            .collect())
    }

    fn remove_uploads(&mut self, ids: &[String]) -> ApiResult<()> {
        self.write()?;
        for id in ids {
            self.uploads.remove(id);
        }
        Ok(())
    }

    fn sha_in_use(&self, sha256: &str) -> ApiResult<bool> {
        Ok(self.uploads.values().any(|r| r.upload.sha256 == sha256))
    }

    fn stale_uploads(&self, before_ms: u64) -> ApiResult<Vec<AttachmentRecord>> {
        let mut stale: Vec<AttachmentRecord> = self
            .uploads
            .values()
            .filter(|r| r.message.is_none() && r.created_at < before_ms)
            .cloned()
            .collect();
        stale.sort_by_key(|r| r.created_at);
        Ok(stale)
    }

    fn oldest_unused_upload(&self) -> ApiResult<Option<u64>> {
        Ok(self
            .uploads
            .values()
            .filter(|r| r.message.is_none())
            .map(|r| r.created_at)
            .min())
    }

    fn append(&mut self, event: &StoredEvent) -> ApiResult<()> {
        self.write()?;
        if self.events.contains_key(&event.seq) {
            // A primary-key violation in SQLite.
            return Err(ApiError::internal());
        }
        self.events.insert(event.seq, event.frame.to_string());
        if let Some(key) = &event.change {
            self.changes.insert(
                (key.author.clone(), key.client_id.clone()),
                PriorChange {
                    seq: event.seq,
                    fingerprint: key.fingerprint.clone(),
                },
            );
        }
        if let Some(m) = &event.message {
            self.messages.insert(m.seq, m.clone());
        }
        Ok(())
    }

    fn last_seq(&self) -> ApiResult<u64> {
        Ok(self.events.keys().next_back().copied().unwrap_or(0))
    }

    fn find_change(&self, author: &str, client_id: &str) -> ApiResult<Option<PriorChange>> {
        Ok(self
            .changes
            .get(&(author.to_string(), client_id.to_string()))
            .cloned())
    }

    fn events_page(&self, after: u64, upto: u64, limit: u32) -> ApiResult<Vec<(u64, String)>> {
        let page: Vec<(u64, String)> = if upto > after {
            self.events
                .range(after.saturating_add(1)..=upto)
                .take(limit as usize)
                .map(|(seq, f)| (*seq, f.clone()))
                .collect()
        } else {
            Vec::new()
        };
        self.pages_read.borrow_mut().push(page.len());
        Ok(page)
    }

    fn redact(&mut self, target: u64, tombstone_frame: &str) -> ApiResult<()> {
        self.write()?;
        let mut edits = Vec::new();
        for text in self
            .events
            .range(target.saturating_add(1)..)
            .map(|(_, t)| t)
        {
            if let Ok(ServerFrame::Edit {
                seq,
                target: t,
                edited_at,
                by,
                ..
            }) = serde_json::from_str::<ServerFrame>(text)
            {
                if t == target {
                    let redacted = ServerFrame::Edit {
                        seq,
                        target,
                        text: String::new(),
                        edited_at,
                        by,
                        mentions: Vec::new(),
                    };
                    edits.push((seq, redacted.encode()?));
                }
            }
        }
        for (seq, text) in edits {
            self.events.insert(seq, text.to_string());
        }
        if let Some(frame) = self.events.get_mut(&target) {
            *frame = tombstone_frame.to_string();
        }
        Ok(())
    }

    fn message(&self, seq: u64) -> ApiResult<Option<Message>> {
        Ok(self.messages.get(&seq).cloned())
    }

    fn history(&self, before: Option<u64>, limit: u32) -> ApiResult<(Vec<Message>, bool)> {
        let older = |m: &&Message| before.is_none_or(|b| m.seq < b);
        let newest: Vec<Message> = self
            .messages
            .values()
            .rev()
            .filter(older)
            .take(limit as usize + 1)
            .cloned()
            .collect();
        let (mut page, has_more) = cut_page(newest, limit);
        page.reverse();
        Ok((page, has_more))
    }

    fn count_unread(&self, after: u64, viewer: &str) -> ApiResult<u64> {
        Ok(self
            .messages
            .range(after.saturating_add(1)..)
            .filter(|(_, m)| !m.deleted && m.author != viewer)
            .count() as u64)
    }

    fn count_mentions(&self, after: u64, viewer: &str) -> ApiResult<u64> {
        Ok(self
            .messages
            .range(after.saturating_add(1)..)
            .filter(|(_, m)| {
                !m.deleted && m.author != viewer && m.mentions.iter().any(|u| u == viewer)
            })
            .count() as u64)
    }

    fn search(
        &self,
        query: &Query,
        before: Option<u64>,
        limit: u32,
    ) -> ApiResult<(Vec<Message>, bool)> {
        let found: Vec<Message> = self
            .messages
            .values()
            .rev()
            .filter(|m| before.is_none_or(|b| m.seq < b))
            .filter(|m| !m.deleted && query.matches(&m.text))
            .take(limit as usize + 1)
            .cloned()
            .collect();
        Ok(cut_page(found, limit))
    }

    fn wipe(&mut self) -> ApiResult<()> {
        self.write()?;
        *self = MemoryStore::default();
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn msg(seq: u64, author: &str) -> Message {
        Message::sample(seq, author, &format!("m{seq}"), seq)
    }

    fn ev(seq: u64, message: Option<Message>) -> StoredEvent {
        StoredEvent {
            seq,
            frame: Arc::from(format!("{{\"seq\":{seq}}}")),
            change: message.as_ref().map(|m| ChangeKey {
                author: m.author.clone(),
                client_id: m.client_id.clone(),
                fingerprint: Some(format!("f{}", m.seq)),
            }),
            message,
        }
    }

    #[test]
    fn history_pages_skip_non_message_events() {
        let mut s = MemoryStore::new();
        s.append(&ev(1, None)).unwrap();
        for seq in 2..=6 {
            s.append(&ev(seq, Some(msg(seq, "a")))).unwrap();
        }
        let (page, more) = s.history(None, 2).unwrap();
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [5, 6]);
        assert!(more);
        let (page, more) = s.history(Some(5), 10).unwrap();
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 3, 4]);
        assert!(!more);
        let (page, more) = s.history(Some(4), 2).unwrap();
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 3]);
        assert!(!more);
        assert!(s.message(1).unwrap().is_none());
        assert_eq!(s.events_after(4).unwrap(), ["{\"seq\":5}", "{\"seq\":6}"]);
        assert_eq!(
            s.events_page(1, 6, 2).unwrap(),
            [
                (2, "{\"seq\":2}".to_string()),
                (3, "{\"seq\":3}".to_string())
            ]
        );
        assert_eq!(s.events_page(4, 5, 10).unwrap().len(), 1);
        assert!(s.events_page(6, 6, 10).unwrap().is_empty());
        assert!(s.events_page(6, 2, 10).unwrap().is_empty());
        assert_eq!(s.last_seq().unwrap(), 6);
    }

    #[test]
    fn a_change_is_stored_once() {
        let mut s = MemoryStore::new();
        assert_eq!(
            s.append_change(&ev(1, Some(msg(1, "a")))).unwrap(),
            Appended::Stored
        );
        // The same author and client_id again, under a later seq: nothing written.
        let mut again = ev(2, Some(msg(2, "a")));
        again.change = ev(1, Some(msg(1, "a"))).change;
        assert_eq!(
            s.append_change(&again).unwrap(),
            Appended::Repeat(PriorChange {
                seq: 1,
                fingerprint: Some("f1".into())
            })
        );
        assert_eq!(s.event_seqs(), [1]);
        assert!(s.message(2).unwrap().is_none());
    }

    #[test]
    fn a_seq_is_stored_once() {
        let mut s = MemoryStore::new();
        s.append(&ev(1, None)).unwrap();
        assert!(s.append(&ev(1, None)).is_err());
    }

    #[test]
    fn unread_counts_others_live_messages() {
        let mut s = MemoryStore::new();
        s.append(&ev(1, Some(msg(1, "a")))).unwrap();
        s.append(&ev(2, Some(msg(2, "b")))).unwrap();
        let mut gone = msg(3, "b");
        gone.deleted = true;
        s.append(&ev(3, Some(gone))).unwrap();
        assert_eq!(s.count_unread(0, "a").unwrap(), 1);
        assert_eq!(s.count_unread(0, "c").unwrap(), 2);
        assert_eq!(s.count_unread(2, "c").unwrap(), 0);
        assert_eq!(s.find_change("b", "c2").unwrap().map(|p| p.seq), Some(2));
        s.wipe().unwrap();
        assert!(s.is_empty());
    }
}
