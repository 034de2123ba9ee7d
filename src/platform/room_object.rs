//! The room Durable Object: one per chat room (binding `ROOMS`, addressed by
//! the room's name), owning its SQLite history and its WebSockets.
//!
//! It decides nothing itself. Every event (an internal HTTP request from the
//! Worker, a socket frame, a socket close) is handed to the core's
//! [`Room`] together with the time and a [`SqlStore`], and the effects the
//! core returns are carried out in order: frames to sockets, closes, then the
//! calls to other objects (the members' account lists, the directory).
//!
//! Platform notes:
//! - Hibernation: sockets are accepted with `acceptWebSocket`, so the runtime
//!   may evict this object while they stay connected. The core's `Room` lives
//!   in a `RefCell` and is loaded lazily on the first event after construction
//!   (or after an internal error, which may have left memory ahead of storage):
//!   [`Room::load`] from SQLite, then [`Room::restore_socket`] for every socket
//!   the runtime still holds, from its attachment. No `RefCell` borrow is ever
//!   held across an `.await`.
//! - `{"type":"ping"}` (exactly these bytes) is answered by the runtime itself
//!   through `setWebSocketAutoResponse`, without waking the object. Any other
//!   spelling of a ping reaches the core, which answers the same `pong`.
//! - Atomicity: each command and each frame runs inside one SQLite
//!   `transactionSync` (see [`super::sqlite::transaction`]); an error rolls
//!   every write of it back. The runtime's output gate holds every outgoing
//!   frame and response until the writes before it are durable, so an `ack` or
//!   a broadcast event always survives a restart.
//! - Closing a socket from an HTTP request (leave, kick, ban, delete, logout):
//!   the close frame with its code reaches the client at once and the room
//!   forgets the socket immediately. workerd (wrangler 4.86) then ends the TCP
//!   connection at once if the client has ever sent a frame, but keeps it until
//!   the object hibernates (~10 s) if it never has: kj's WebSocket pipe, when a
//!   client's first frame is its Close, keeps pumping after it
//!   (`BlockedReceive::tryPumpFrom`). Plain JavaScript behaves the same
//!   (bench/close-linger). The web client pings as soon as its socket opens.
//! - The runtime delivers events to this object one at a time, but while one
//!   handler awaits another object (account list, directory) the next event
//!   may run. All room changes happen before those awaits, synchronously.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use worker::js_sys::Uint8Array;
use worker::wasm_bindgen_futures::future_to_promise;
use worker::{
    durable_object, web_sys, DurableObject, Env, Method, Request, Response, Result, State,
    WebSocket, WebSocketPair, WebSocketRequestResponsePair,
};

use super::http::{self, Ctx};
use super::room_alarm::Alarm;
use super::room_follow_up::follow_up;
use super::room_sockets::{close_ws, echo_close, Attachment, FlushPlan, SocketTable};
use super::sql_store::SqlStore;
use super::sqlite::{self, Sql, TxError, MAX_SAFE_INT};
use super::{config, crypto, internal};
use crate::core::close_reason::CloseReason;
use crate::core::dm::BlockMark;
use crate::core::error::{ApiError, ApiResult, ErrorCode};
use crate::core::protocol::ServerFrame;
use crate::core::rate_limit::RateSettings;
use crate::core::room::{Effect, Room, SocketId};
use crate::core::room_api::{CreateRoomBody, OpenDmBody, RoomCommand};
use crate::core::room_socket::{Incoming, Replay};
use crate::core::wire::{ConnectInfo, RoomCall, CONNECT_HEADER};

/// The only ping spelling the runtime answers without waking the room.
const PING: &str = r#"{"type":"ping"}"#;
const PONG: &str = r#"{"type":"pong"}"#;

/// `alarm`: fetch plus the alarm that reports a burst's last activity to the
/// directory (see `Room::directory_flush`) and closes sockets whose token
/// expired (see `room_alarm`).
mod sockets;

use sockets::attachment;

#[durable_object(alarm)]
pub struct RoomObject {
    state: State,
    env: Env,
    sql: Sql,
    rates: RateSettings,
    /// `None` until loaded (see the module notes). An `Rc` so a transaction
    /// callback, which must be `'static`, can reach it.
    room: Rc<RefCell<Option<Room>>>,
    /// Shared with the timer that flushes frames queued for `batch=1` sockets.
    sockets: Rc<RefCell<SocketTable>>,
    alarm: Alarm,
}

impl DurableObject for RoomObject {
    fn new(state: State, env: Env) -> Self {
        // No schema here: a room's tables are created by its `Create` (see
        // `command`), so a lookup of a room that does not exist stores nothing.
        let sql = Sql::new(&state);
        match WebSocketRequestResponsePair::new(PING, PONG) {
            Ok(pair) => state.set_websocket_auto_response(&pair),
            Err(e) => worker::console_error!("could not set the ping auto-response: {e:?}"),
        }
        let rates = RateSettings::from_vars(
            config::var(&env, "CHAT_SEND_BURST").as_deref(),
            config::var(&env, "CHAT_SEND_PER_SEC").as_deref(),
        );
        RoomObject {
            state,
            env,
            sql,
            rates,
            room: Rc::new(RefCell::new(None)),
            sockets: Rc::new(RefCell::new(SocketTable::default())),
            alarm: Alarm::default(),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.route(req).await {
            Ok(resp) => Ok(resp),
            Err(err) => internal::error_response(&err),
        }
    }

    /// Set for a `DirectoryFlushAt` or the earliest socket expiry (see
    /// `room_alarm`): closes the sockets of expired sessions (1008), tells
    /// the directory about activity it has not heard of, and sets the alarm
    /// again for what is left. Never fails (a failed alarm would be retried,
    /// and the room's next report repairs the directory anyway).
    async fn alarm(&self) -> Result<Response> {
        self.alarm.fired();
        if let Err(e) = self.ensure_loaded() {
            worker::console_error!("room alarm: {}", e.message);
            return Response::empty();
        }
        let now = crypto::now_ms();
        let mut effects = self.with_room(|r| r.close_expired(now)).unwrap_or_default();
        effects.extend(
            self.with_room(|r| r.directory_flush(now))
                .unwrap_or_default(),
        );
        let uploads_at = match self.expire_uploads(now) {
            Ok((deleted, next)) => {
                effects.extend(deleted);
                next
            }
            Err(e) => {
                worker::console_error!("room alarm: expiring uploads: {}", e.message);
                // Try again in a minute.
                Some(now.saturating_add(60_000))
            }
        };
        // `deliver` set the alarm again for an unreported activity.
        let later = self.deliver(effects);
        self.alarm
            .rearm(&self.state.storage(), self.earliest_expiry(), uploads_at);
        if let Some(name) = self.room_name() {
            follow_up(&self.env, &name, later).await;
        }
        Response::empty()
    }
}

/// The Hibernation API's socket events, exported by hand rather than through
/// `#[durable_object(websocket)]`, whose handlers are async: each frame would
/// then cost a promise, a spawned task and a microtask even when nothing is
/// awaited. These run synchronously and return a promise only when there is
/// follow-up work for other objects (the runtime awaits it).
#[wasm_bindgen]
impl RoomObject {
    #[wasm_bindgen(js_name = webSocketMessage)]
    pub fn web_socket_message(&self, ws: web_sys::WebSocket, message: JsValue) -> JsValue {
        let frame = match message.as_string() {
            Some(s) => Incoming::Text(s),
            // Frames are JSON text: a binary one is refused by its size alone,
            // never decoded (a lossy decoding could triple it past 16 KiB).
            None => Incoming::Binary {
                len: Uint8Array::new(&message).length() as usize,
            },
        };
        let later = self.on_frame(&ws.into(), frame);
        self.follow_up_later(later)
    }

    #[wasm_bindgen(js_name = webSocketClose)]
    pub fn web_socket_close(
        &self,
        ws: web_sys::WebSocket,
        code: u16,
        _reason: String,
        _was_clean: bool,
    ) {
        let ws: WebSocket = ws.into();
        // The Hibernation API does not answer the peer's close frame for us.
        // (When the close was ours, this is a no-op.)
        echo_close(&ws, code);
        self.on_gone(&ws);
    }

    #[wasm_bindgen(js_name = webSocketError)]
    pub fn web_socket_error(&self, ws: web_sys::WebSocket, _error: JsValue) {
        self.on_gone(&ws.into());
    }
}

impl RoomObject {
    async fn route(&self, mut req: Request) -> ApiResult<Response> {
        if req.method() == Method::Get && req.path() == "/socket" {
            // Known before the new socket's expiry is armed (see `room_alarm`).
            self.alarm.learn(&self.state.storage()).await;
            return self.upgrade(&req);
        }
        match internal::read_call::<RoomCall>(&mut req).await? {
            RoomCall::Command { actor, command } => self.command(actor, command).await,
            RoomCall::ProfileChanged { username, profile } => {
                self.ensure_loaded()?;
                let effects = self.with_room(|r| r.profile_changed(&username, profile))?;
                self.carry_out(effects).await;
                http::no_content().ctx("a response")
            }
            RoomCall::Block { blocker, mark } => self.block(&blocker, mark),
            RoomCall::Nudge { username } => {
                self.ensure_loaded()?;
                let effects = self.with_room(|r| r.nudge(&username))?;
                self.carry_out(effects).await;
                http::no_content().ctx("a response")
            }
            RoomCall::CloseSession { sid, reason } => {
                self.ensure_loaded()?;
                let effects = if reason == CloseReason::LoggedOut {
                    self.with_room(|r| r.revoke_session(&sid, crypto::now_ms()))?
                } else {
                    self.with_room(|r| r.close_session(&sid, reason))?
                };
                self.carry_out(effects).await;
                http::no_content().ctx("a response")
            }
        }
    }

    // ----- loading ---------------------------------------------------------

    /// Loads the room and re-registers the surviving sockets, once per life
    /// of this instance (and again after [`RoomObject::forget`]).
    fn ensure_loaded(&self) -> ApiResult<()> {
        self.load_keeping(None)
    }

    /// [`RoomObject::ensure_loaded`], restoring the socket `keep` even if it
    /// is closing (the socket whose close event woke the room: restoring it
    /// first lets the room announce its user offline).
    fn load_keeping(&self, keep: Option<u64>) -> ApiResult<()> {
        if self.room.borrow().is_some() {
            return Ok(());
        }
        let store = SqlStore::new(self.sql.clone());
        // No tables: no room was ever created here (nothing to load). With
        // them, the idempotent schema runs first, as it did on every
        // construction, so later schema changes still reach existing rooms.
        let mut room = if store.has_schema()? {
            store.migrate()?;
            Room::load(&store, self.rates)?
        } else {
            Room::new(self.rates)
        };
        let mut effects = Vec::new();
        let mut table = SocketTable::default();
        for ws in self.state.get_websockets() {
            let Some(att) = attachment(&ws) else {
                close_ws(&ws, CloseReason::ServerError);
                continue;
            };
            // The runtime still lists sockets whose closing handshake is
            // unfinished (ours, closed earlier); they are not in the room.
            let open = ws.as_ref().ready_state() == worker::web_sys::WebSocket::OPEN;
            if open || keep == Some(att.id) {
                effects.extend(room.restore_socket(
                    SocketId(att.id),
                    &att.username,
                    &att.sid,
                    att.exp,
                ));
                table.insert(ws, att);
            }
        }
        *self.room.borrow_mut() = Some(room);
        {
            let mut sockets = self.sockets.borrow_mut();
            // Frames queued before a reload still go out.
            sockets.flush_pending(crypto::now_ms());
            *sockets = table;
        }
        // Restoring only ever closes sockets (users removed while the object
        // slept), so nothing is left for other objects.
        let _ = self.deliver(effects);
        Ok(())
    }

    /// Drops the in-memory room so the next event reloads it from storage.
    fn forget(&self) {
        *self.room.borrow_mut() = None;
    }

    /// Runs `f` on the loaded room (the borrow ends with `f`).
    fn with_room<T>(&self, f: impl FnOnce(&mut Room) -> T) -> ApiResult<T> {
        let mut guard = self.room.borrow_mut();
        let room = guard.as_mut().ctx("the room object before loading")?;
        Ok(f(room))
    }

    /// The earliest token expiry (seconds) among the room's sockets.
    fn earliest_expiry(&self) -> Option<u64> {
        self.room
            .try_borrow()
            .ok()
            .and_then(|r| r.as_ref().and_then(|r| r.socket_expiries().min()))
    }

    fn room_name(&self) -> Option<String> {
        self.room
            .borrow()
            .as_ref()
            .and_then(|r| r.state().map(|s| s.name.clone()))
    }

    // ----- HTTP commands ---------------------------------------------------

    /// Deletes the uploads unused for a day, in one transaction; answers the
    /// effects (their objects) and when the next one expires.
    fn expire_uploads(&self, now: u64) -> ApiResult<(Vec<Effect>, Option<u64>)> {
        let room = Rc::clone(&self.room);
        let sql = self.sql.clone();
        let result = sqlite::transaction(&self.state, move || {
            let mut guard = room.borrow_mut();
            let room = guard.as_mut().ctx("expiring uploads before loading")?;
            if !room.exists() {
                return Ok((Vec::new(), None));
            }
            room.expire_uploads(&mut SqlStore::new(sql), now)
        });
        result.map_err(|(TxError::RolledBack(e) | TxError::Failed(e))| {
            self.forget();
            e
        })
    }

    /// Records a DM block mark, creating the tables if this pair's room was
    /// never opened (the mark must wait for it).
    fn block(&self, blocker: &str, mark: BlockMark) -> ApiResult<Response> {
        self.ensure_loaded()?;
        let room = Rc::clone(&self.room);
        let sql = self.sql.clone();
        let blocker = blocker.to_string();
        let result = sqlite::transaction(&self.state, move || {
            let mut guard = room.borrow_mut();
            let room = guard.as_mut().ctx("a block mark before loading")?;
            let mut store = SqlStore::new(sql);
            if !store.has_schema()? {
                store.migrate()?;
            }
            room.set_block(&mut store, &blocker, mark)
        });
        if let Err(TxError::RolledBack(e) | TxError::Failed(e)) = result {
            self.forget();
            return Err(e);
        }
        http::no_content().ctx("a response")
    }

    async fn command(&self, actor: String, cmd: RoomCommand) -> ApiResult<Response> {
        self.ensure_loaded()?;
        // Known before the command runs: a deleted room has no name after.
        let name = match &cmd {
            RoomCommand::Create(CreateRoomBody { name, .. })
            | RoomCommand::OpenDm(OpenDmBody { name, .. }) => Some(name.clone()),
            _ => self.room_name(),
        };
        let room = Rc::clone(&self.room);
        let sql = self.sql.clone();
        let now = crypto::now_ms();
        let result = sqlite::transaction(&self.state, move || {
            let mut guard = room.borrow_mut();
            let room = guard.as_mut().ctx("a room command before loading")?;
            let mut store = SqlStore::new(sql);
            // The first real write creates the tables, in the same
            // transaction (a refused creation leaves none behind).
            let creates = matches!(cmd, RoomCommand::Create(_) | RoomCommand::OpenDm(_));
            if creates && !room.exists() {
                store.migrate()?;
            }
            room.handle_command(&mut store, &actor, cmd, now)
        });
        let reply = match result {
            Ok(reply) => reply,
            Err(TxError::RolledBack(e)) => {
                if e.code == ErrorCode::Internal {
                    self.forget();
                }
                return Err(e);
            }
            Err(TxError::Failed(e)) => {
                self.forget();
                return Err(e);
            }
        };
        if reply
            .effects
            .iter()
            .any(|e| matches!(e, Effect::UploadsExpireAt { .. }))
        {
            // Arming must not move a sooner alarm later.
            self.alarm.learn(&self.state.storage()).await;
        }
        let later = self.deliver(reply.effects);
        if let Some(name) = &name {
            follow_up(&self.env, name, later).await;
        }
        let status = reply.answer.status();
        let resp = match reply.answer.body()? {
            Some(body) => http::json(status, &body),
            None => Response::empty().map(|r| r.with_status(status)),
        };
        resp.ctx("a room response")
    }

    // ----- effects on other objects ---------------------------------------

    /// Delivers socket effects, then awaits the rest (for `/profile` and
    /// `/close-session`, which never produce the rest).
    async fn carry_out(&self, effects: Vec<Effect>) {
        let name = self.room_name();
        let later = self.deliver(effects);
        if let Some(name) = name {
            follow_up(&self.env, &name, later).await;
        }
    }
}
