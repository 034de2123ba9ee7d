//! The room object's open WebSockets and how the core's socket effects reach
//! them.
//!
//! Hibernation keeps the sockets connected while the object is evicted from
//! memory; what survives is each socket's *attachment* (a small structured
//! clone the runtime holds for us) and its tags. [`Attachment`] is therefore
//! everything the object must know about a socket after waking: its id in the
//! core's socket table, who opened it (the Worker authenticated them), the
//! session, the token expiry and whether it accepts batches. The table here
//! is memory only and rebuilt from `get_websockets()` + attachments.
//!
//! Delivery ([`SocketTable::deliver`]) carries out `Send`, `Broadcast` and
//! `Close` in order and hands back the effects that need IO to other objects.
//! A socket closed by an earlier effect of the same list is gone from the
//! table, so later broadcasts skip it. Every socket without `batch=1` gets
//! frames one by one, at once. For `batch=1` sockets the frames of a delivery
//! are queued. In a quiet room they go out at the end of the delivery (one
//! `batch` frame for the frames of that event); in a busy room they wait for
//! a timer at most [`crate::core::flush_policy::FLUSH_GAP_MS`] after the last flush
//! ([`crate::core::flush_policy`]), so the events of that gap reach each such
//! socket as one `batch` frame (byte-identical inner frames, same order): one
//! `send` carries many events. A socket's queue is flushed before it is closed.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::js_sys::WeakMap;
use worker::WebSocket;

use super::js_text::js_string;
use crate::core::close_reason::CloseReason;
use crate::core::flush_policy::FlushClock;
pub use crate::core::flush_policy::FlushPlan;
use crate::core::protocol::batch_text;
use crate::core::room::{Effect, SocketId};

#[wasm_bindgen]
extern "C" {
    /// The runtime's WebSocket, for a `send` that takes a JavaScript string
    /// made once (web-sys's `send_with_str` copies the text out of wasm memory
    /// for each call).
    type SocketApi;

    #[wasm_bindgen(method, catch, js_name = send)]
    fn send_value(this: &SocketApi, data: &JsValue) -> Result<(), JsValue>;
}

/// What a socket remembers across hibernation (`serializeAttachment`, at
/// most 2 KiB; ours is a few dozen bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The core's socket id. Kept below 2^53 so it survives the trip through
    /// a JavaScript number.
    pub id: u64,
    pub username: String,
    pub sid: String,
    /// Token expiry, seconds since the epoch.
    pub exp: u64,
    pub batch: bool,
}

impl Attachment {
    /// Tags for `acceptWebSocket` (each at most 256 characters, at most 10):
    /// by user and by session, for operators and for `getWebSockets(tag)`.
    pub fn tags(&self) -> Vec<String> {
        [format!("u:{}", self.username), format!("s:{}", self.sid)]
            .into_iter()
            .filter(|t| t.len() <= 256)
            .collect()
    }
}

/// One open socket.
pub struct Conn {
    pub ws: WebSocket,
    pub att: Attachment,
}

/// The object's sockets by core id, and the core id of each runtime socket
/// object (so a frame finds its sender without reading the attachment back).
pub struct SocketTable {
    conns: BTreeMap<u64, Conn>,
    ids: WeakMap,
    /// Frames waiting for `batch=1` sockets, in order.
    pending: BTreeMap<u64, Vec<Arc<str>>>,
    /// When `pending` last went out and whether a timer is set.
    clock: FlushClock,
}

impl Default for SocketTable {
    fn default() -> Self {
        SocketTable {
            conns: BTreeMap::new(),
            ids: WeakMap::new(),
            pending: BTreeMap::new(),
            clock: FlushClock::default(),
        }
    }
}

/// Normal-closure codes a close frame may not carry (RFC 6455 section 7.4.1);
/// the runtime throws on them.
fn sendable_code(code: u16) -> u16 {
    match code {
        1000..=1003 | 1007..=1014 | 3000..=4999 => code,
        _ => 1000,
    }
}

/// Closes a socket for `reason`, ignoring a socket that is already closed.
pub fn close_ws(ws: &WebSocket, reason: CloseReason) {
    close_with(ws, reason.code(), reason.text());
}

/// Answers a client's close with its own code (or 1000 where that code may
/// not be sent back).
pub fn echo_close(ws: &WebSocket, code: u16) {
    close_with(ws, sendable_code(code), "closed");
}

fn close_with(ws: &WebSocket, code: u16, reason: &str) {
    if let Err(e) = ws.close(Some(code), Some(reason)) {
        worker::console_log!("closing a socket that was already closed: {e}");
    }
}

fn send(ws: &WebSocket, text: &str) {
    // A socket the peer just closed throws; its close event follows and
    // cleans up, so the failure is only worth a debug line.
    if let Err(e) = ws.send_with_str(text) {
        worker::console_log!("sending on a closed socket: {e}");
    }
}

fn send_js(ws: &WebSocket, text: &JsValue) {
    let api: &SocketApi = ws.as_ref().unchecked_ref();
    if let Err(e) = api.send_value(text) {
        worker::console_log!("sending on a closed socket: {e:?}");
    }
}

/// A batch stays below this size (a resume can replay thousands of events;
/// one huge frame would strain the client and the runtime's message limit).
const BATCH_MAX_BYTES: usize = 256 * 1024;

/// The JavaScript text of the last group of frames sent, kept while the next
/// sockets of a flush get the same group (the same frames, by pointer): a
/// broadcast queued for many `batch=1` sockets is joined and copied out of
/// wasm memory once for all of them.
#[derive(Default)]
struct GroupText {
    last: Option<(Vec<Arc<str>>, JsValue)>,
}

impl GroupText {
    fn send(&mut self, ws: &WebSocket, group: &[Arc<str>]) {
        if group.is_empty() {
            return;
        }
        let same = |kept: &[Arc<str>]| {
            kept.len() == group.len() && kept.iter().zip(group).all(|(a, b)| Arc::ptr_eq(a, b))
        };
        match &self.last {
            Some((kept, text)) if same(kept) => send_js(ws, text),
            _ => {
                let text = match group {
                    [one] => js_string(one),
                    many => JsValue::from_str(&batch_text(many)),
                };
                send_js(ws, &text);
                self.last = Some((group.to_vec(), text));
            }
        }
    }
}

impl SocketTable {
    pub fn contains(&self, id: SocketId) -> bool {
        self.conns.contains_key(&id.0)
    }

    pub fn insert(&mut self, ws: WebSocket, att: Attachment) {
        self.ids.set(
            ws.as_ref().unchecked_ref(),
            &JsValue::from_f64(att.id as f64),
        );
        self.conns.insert(att.id, Conn { ws, att });
    }

    pub fn remove(&mut self, id: SocketId) -> Option<Conn> {
        self.pending.remove(&id.0);
        let conn = self.conns.remove(&id.0)?;
        self.ids.delete(conn.ws.as_ref().unchecked_ref());
        Some(conn)
    }

    /// The open socket this runtime socket object is, if the table knows the
    /// object (ids stay below 2^53, so the number is exact).
    pub fn find(&self, ws: &WebSocket) -> Option<&Conn> {
        let id = self.ids.get(ws.as_ref().unchecked_ref()).as_f64()?;
        self.conns.get(&(id as u64))
    }

    /// Makes `ws` the object of the open socket `id` (the runtime may hand an
    /// event a different object for a socket than the one first stored).
    pub fn adopt(&mut self, ws: &WebSocket, id: SocketId) {
        let Some(conn) = self.conns.get_mut(&id.0) else {
            return;
        };
        self.ids.delete(conn.ws.as_ref().unchecked_ref());
        conn.ws = ws.clone();
        self.ids
            .set(ws.as_ref().unchecked_ref(), &JsValue::from_f64(id.0 as f64));
    }

    /// Carries out the socket effects in order; returns the others
    /// (`AccountRoomsChanged`, `DirectoryChanged`) for the caller to await.
    /// Frames for `batch=1` sockets are queued (see the module notes).
    pub fn deliver(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let mut later = Vec::new();
        for effect in effects {
            match effect {
                Effect::Send { socket, frame } => self.push(socket.0, frame),
                Effect::Broadcast { frame, except } => self.broadcast(frame, except),
                Effect::Close { socket, reason } => {
                    self.flush(socket.0);
                    if let Some(conn) = self.remove(socket) {
                        close_ws(&conn.ws, reason);
                    }
                }
                other => later.push(other),
            }
        }
        later
    }

    /// Decides when waiting frames go out (see [`crate::core::flush_policy`]).
    pub fn plan_flush(&mut self, now_ms: u64) -> FlushPlan {
        self.clock.plan(now_ms, !self.pending.is_empty())
    }

    /// Sends every waiting frame, as one `batch` per socket where possible.
    pub fn flush_pending(&mut self, now_ms: u64) {
        self.clock.flushed(now_ms);
        let mut texts = GroupText::default();
        for (id, frames) in std::mem::take(&mut self.pending) {
            if let Some(conn) = self.conns.get(&id) {
                send_frames(&conn.ws, &frames, &mut texts);
            }
        }
    }

    /// One event to every socket but `except`: one JavaScript string for all
    /// ordinary sockets; batching ones queue it.
    fn broadcast(&mut self, frame: Arc<str>, except: Option<SocketId>) {
        let mut js: Option<JsValue> = None;
        for (id, conn) in &self.conns {
            if Some(SocketId(*id)) == except {
                continue;
            }
            if conn.att.batch {
                self.pending
                    .entry(*id)
                    .or_default()
                    .push(Arc::clone(&frame));
            } else {
                send_js(&conn.ws, js.get_or_insert_with(|| js_string(&frame)));
            }
        }
    }

    /// Sends at once to an ordinary socket; queues for a batching one.
    fn push(&mut self, id: u64, frame: Arc<str>) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        if conn.att.batch {
            self.pending.entry(id).or_default().push(frame);
        } else {
            send(&conn.ws, &frame);
        }
    }

    /// Sends what waits for one socket now (before it is closed).
    fn flush(&mut self, id: u64) {
        let Some(frames) = self.pending.remove(&id) else {
            return;
        };
        if let Some(conn) = self.conns.get(&id) {
            send_frames(&conn.ws, &frames, &mut GroupText::default());
        }
    }
}

/// Frames in order, packed into `batch` frames of at most [`BATCH_MAX_BYTES`].
fn send_frames(ws: &WebSocket, frames: &[Arc<str>], texts: &mut GroupText) {
    let mut start = 0;
    let mut bytes = 0;
    for (i, frame) in frames.iter().enumerate() {
        if i > start && bytes + frame.len() > BATCH_MAX_BYTES {
            texts.send(ws, frames.get(start..i).unwrap_or_default());
            start = i;
            bytes = 0;
        }
        bytes += frame.len();
    }
    texts.send(ws, frames.get(start..).unwrap_or_default());
}
