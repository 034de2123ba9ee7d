//! The room object's sockets: upgrades, replays, frames, deliveries and
//! departures. A child of `room_object` so it shares the object's fields.

use super::*;

impl RoomObject {
    // ----- sockets ---------------------------------------------------------

    /// A WebSocket upgrade forwarded by the Worker. The core decides first;
    /// a refusal is a plain HTTP error and no socket is ever accepted.
    pub(super) fn upgrade(&self, req: &Request) -> ApiResult<Response> {
        let header = req
            .headers()
            .get(CONNECT_HEADER)
            .ok()
            .flatten()
            .ok_or_else(|| http::internal("a socket upgrade", "no connect header"))?;
        let info: ConnectInfo =
            serde_json::from_str(&header).ctx("a socket upgrade's connect header")?;
        self.ensure_loaded()?;
        let id = self.new_socket_id()?;
        let store = SqlStore::new(self.sql.clone());
        let connected = self.with_room(|r| {
            r.on_connect(&store, id, &info.username, &info.sid, info.exp, info.since)
        })??;
        let att = Attachment {
            id: id.0,
            username: info.username,
            sid: info.sid,
            exp: info.exp,
            batch: info.batch,
        };
        let accepted = self.accept(&att);
        let client = match accepted {
            Ok((server, client)) => {
                self.alarm.arm_expiry(&self.state.storage(), att.exp);
                self.sockets.borrow_mut().insert(server, att);
                client
            }
            Err(e) => {
                // Undo the registration; the user's presence never went out.
                let _ = self.with_room(|r| r.on_disconnect(id));
                return Err(e);
            }
        };
        let _ = self.deliver(connected.effects);
        if let Some(replay) = connected.replay {
            self.replay(&store, replay);
        }
        Response::from_websocket(client).ctx("a socket upgrade")
    }

    /// Sends a resume's replay a page at a time ([`Room::replay_page`]),
    /// flushing each page before reading the next, so neither the room nor
    /// the batch queue ever holds more than a page of it.
    pub(super) fn replay(&self, store: &SqlStore, mut replay: Replay) {
        loop {
            let page = self
                .with_room(|r| r.replay_page(store, &mut replay))
                .unwrap_or_default();
            if page.is_empty() {
                return;
            }
            let _ = self.deliver(page);
            self.sockets.borrow_mut().flush_pending(crypto::now_ms());
        }
    }

    /// Accepts the server end of a new pair as a hibernatable socket.
    pub(super) fn accept(&self, att: &Attachment) -> ApiResult<(WebSocket, WebSocket)> {
        let pair = WebSocketPair::new().ctx("a socket pair")?;
        let tags = att.tags();
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.state.accept_websocket_with_tags(&pair.server, &tags);
        if let Err(e) = pair.server.serialize_attachment(att) {
            close_ws(&pair.server, CloseReason::ServerError);
            return Err(http::internal("a socket attachment", e));
        }
        Ok((pair.server, pair.client))
    }

    /// A fresh socket id: random, below 2^53, not in use.
    pub(super) fn new_socket_id(&self) -> ApiResult<SocketId> {
        for _ in 0..8 {
            let mut buf = [0u8; 8];
            crypto::random_bytes(&mut buf).ctx("random bytes")?;
            let id = u64::from_le_bytes(buf) & MAX_SAFE_INT;
            if id != 0 && !self.sockets.borrow().contains(SocketId(id)) {
                return Ok(SocketId(id));
            }
        }
        Err(http::internal("a socket id", "no free id"))
    }

    /// One frame from a socket. Returns the effects for other objects.
    pub(super) fn on_frame(&self, ws: &WebSocket, frame: Incoming) -> Later {
        if let Err(e) = self.ensure_loaded() {
            send_error(ws, &e);
            return Later::none();
        }
        let Some(id) = self.sender(ws) else {
            close_ws(ws, CloseReason::ServerError);
            return Later::none();
        };
        let now = crypto::now_ms();
        let room = Rc::clone(&self.room);
        let sql = self.sql.clone();
        let result = sqlite::transaction(&self.state, move || {
            let mut guard = room.borrow_mut();
            let Some(room) = guard.as_mut() else {
                return Err(Vec::new());
            };
            let mut store = SqlStore::new(sql);
            let outcome = room.handle_incoming(&mut store, id, &frame, now);
            // The core answered a failed write with an error frame; roll back
            // whatever part of the frame's writes did land.
            if outcome.rollback {
                Err(outcome.effects)
            } else {
                Ok(outcome.effects)
            }
        });
        let effects = match result {
            Ok(effects) => effects,
            Err(TxError::RolledBack(effects)) => {
                self.forget();
                effects
            }
            Err(TxError::Failed(e)) => {
                self.forget();
                vec![Effect::Send {
                    socket: id,
                    frame: ServerFrame::error(&e, None).encode_lossy(),
                }]
            }
        };
        let effects = self.deliver(effects);
        if effects.is_empty() {
            // The usual case: nothing for other objects, no name to copy.
            return Later::none();
        }
        Later::new(self.room_name(), effects)
    }

    /// Which socket sent a frame, from the socket table (the attachment is
    /// read only for a socket object the table has not seen, and the object
    /// is then remembered). Whether it may still send is the core's call.
    pub(super) fn sender(&self, ws: &WebSocket) -> Option<SocketId> {
        if let Some(conn) = self.sockets.borrow().find(ws) {
            return Some(SocketId(conn.att.id));
        }
        let att = attachment(ws)?;
        let id = SocketId(att.id);
        self.sockets.borrow_mut().adopt(ws, id);
        Some(id)
    }

    /// Carries out socket effects (see [`SocketTable::deliver`]) and sends
    /// what waits for `batch=1` sockets now or from a timer (see
    /// [`SocketTable::plan_flush`]).
    pub(super) fn deliver(&self, effects: Vec<Effect>) -> Vec<Effect> {
        let now = crypto::now_ms();
        let mut table = self.sockets.borrow_mut();
        let later = table.deliver(effects);
        let later = self
            .alarm
            .schedule(&self.state.storage(), later, || self.earliest_expiry());
        match table.plan_flush(now) {
            FlushPlan::Nothing => {}
            FlushPlan::Now => table.flush_pending(now),
            FlushPlan::After(ms) => {
                let sockets = Rc::clone(&self.sockets);
                // Timers run between events, when no borrow is held.
                let flush = Closure::once_into_js(move || {
                    if let Ok(mut table) = sockets.try_borrow_mut() {
                        table.flush_pending(crypto::now_ms());
                    }
                });
                let ms = i32::try_from(ms).unwrap_or(i32::MAX);
                if set_timeout(flush.unchecked_ref(), ms).is_err() {
                    table.flush_pending(now);
                }
            }
        }
        later
    }

    /// Runs the follow-up calls to other objects, if any, as a promise for the
    /// runtime to await; `undefined` when there are none (the usual case).
    pub(super) fn follow_up_later(&self, later: Later) -> JsValue {
        let Later {
            name: Some(name),
            effects,
        } = later
        else {
            return JsValue::UNDEFINED;
        };
        if effects.is_empty() {
            return JsValue::UNDEFINED;
        }
        let env = self.env.clone();
        future_to_promise(async move {
            follow_up(&env, &name, effects).await;
            Ok(JsValue::UNDEFINED)
        })
        .into()
    }

    /// A socket closed or failed: forget it and tell the room.
    pub(super) fn on_gone(&self, ws: &WebSocket) {
        let Some(att) = attachment(ws) else {
            return;
        };
        if self.load_keeping(Some(att.id)).is_err() {
            return;
        }
        let id = SocketId(att.id);
        self.sockets.borrow_mut().remove(id);
        let effects = self.with_room(|r| r.on_disconnect(id)).unwrap_or_default();
        let _ = self.deliver(effects);
    }
}

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout(handler, ms)`.
    #[wasm_bindgen(catch, js_name = setTimeout)]
    fn set_timeout(
        handler: &worker::js_sys::Function,
        ms: i32,
    ) -> std::result::Result<JsValue, JsValue>;
}

/// Effects for other objects that a socket event left, with the room's name.
pub(super) struct Later {
    name: Option<String>,
    effects: Vec<Effect>,
}

impl Later {
    pub(super) fn new(name: Option<String>, effects: Vec<Effect>) -> Later {
        Later { name, effects }
    }

    pub(super) fn none() -> Later {
        Later::new(None, Vec::new())
    }
}

pub(super) fn attachment(ws: &WebSocket) -> Option<Attachment> {
    match ws.deserialize_attachment::<Attachment>() {
        Ok(Some(att)) => Some(att),
        Ok(None) => None,
        Err(e) => {
            worker::console_error!("unreadable socket attachment: {e}");
            None
        }
    }
}

pub(super) fn send_error(ws: &WebSocket, err: &ApiError) {
    let frame = ServerFrame::error(err, None).encode_lossy();
    if let Err(e) = ws.send_with_str(&*frame) {
        worker::console_log!("sending on a closed socket: {e}");
    }
}
