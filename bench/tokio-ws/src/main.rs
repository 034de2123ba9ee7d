//! Baseline (the ceiling): an in-memory chat room broadcast server on tokio +
//! tokio-tungstenite. No persistence, no authentication (`?user=`), no hibernation.
//!
//! Protocol (the product's frames, minus auth): connect to
//! `ws://HOST:PORT/api/rooms/{room}/socket?user={name}`; send
//! `{"type":"send","client_id","text"}`; every socket of the room (the sender's
//! included) gets `{"type":"message","seq",...Message}`, the sender then
//! `{"type":"ack","client_id","seq"}`. `{"type":"ping"}` gets `{"type":"pong"}`.
//! A bad frame gets `{"type":"error",...}`. Each room keeps its last 1,000 messages
//! in memory (as a chat server would for history); each event is serialized once
//! and the same bytes are queued to every socket (JSON keys in the product's order:
//! serde_json's `preserve_order`).
//!
//! Usage: chat-tokio-ws [PORT] [THREADS]   (prints "listening on PORT" when ready)

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

const HISTORY: usize = 1000;
const TEXT_MAX: usize = 4000;

#[derive(Default)]
struct Room {
    seq: u64,
    next_id: u64,
    sockets: HashMap<u64, mpsc::UnboundedSender<Message>>,
    history: VecDeque<Utf8Bytes>,
}

type Rooms = Arc<Mutex<HashMap<String, Room>>>;

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let threads: usize = args.next().and_then(|p| p.parse().ok()).unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("runtime: {e}");
            std::process::exit(1)
        });
    rt.block_on(async move {
        let listener = match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("bind: {e}");
                std::process::exit(1)
            }
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        println!("listening on {port}");
        let rooms: Rooms = Arc::default();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream, Arc::clone(&rooms)));
        }
    });
}

/// `/api/rooms/{room}/socket?user=NAME` -> (room, user)
fn route(uri: &str) -> Option<(String, String)> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let room = path.strip_prefix("/api/rooms/")?.strip_suffix("/socket")?;
    let user = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("user="))
        .filter(|u| !u.is_empty())?;
    Some((room.to_string(), user.to_string()))
}

#[allow(clippy::result_large_err)] // the handshake callback's signature is tungstenite's
async fn serve(stream: TcpStream, rooms: Rooms) {
    let mut target = None;
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        match route(&req.uri().to_string()) {
            Some(t) => {
                target = Some(t);
                Ok(resp)
            }
            None => {
                let mut e = ErrorResponse::new(Some("not found".into()));
                *e.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::NOT_FOUND;
                Err(e)
            }
        }
    };
    // Small eager read buffers (tungstenite's own advice for many mostly-idle
    // connections; its default is 128 KiB per socket) and the contract's 16 KiB frame cap.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_message_size(Some(16 * 1024))
        .max_frame_size(Some(16 * 1024));
    let Ok(ws) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await
    else {
        return;
    };
    let Some((room_name, user)) = target else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let id = {
        let mut all = rooms.lock().unwrap_or_else(|p| p.into_inner());
        let room = all.entry(room_name.clone()).or_default();
        room.next_id += 1;
        room.sockets.insert(room.next_id, tx.clone());
        room.next_id
    };
    // Writer: everything queued for this socket, flushed once per wake-up.
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.feed(m).await.is_err() {
                return;
            }
            while let Ok(m) = rx.try_recv() {
                if sink.feed(m).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    while let Some(Ok(msg)) = source.next().await {
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        on_frame(&rooms, &room_name, &user, &tx, text.as_str());
    }
    {
        let mut all = rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(room) = all.get_mut(&room_name) {
            room.sockets.remove(&id);
        }
    }
    drop(tx);
    let _ = writer.await;
}

fn error(tx: &mpsc::UnboundedSender<Message>, code: &str, message: &str) {
    let f = json!({"type": "error", "code": code, "message": message});
    let _ = tx.send(Message::text(f.to_string()));
}

fn on_frame(
    rooms: &Rooms,
    room_name: &str,
    user: &str,
    tx: &mpsc::UnboundedSender<Message>,
    text: &str,
) {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        return error(tx, "bad_request", "Not JSON.");
    };
    match frame["type"].as_str() {
        Some("send") => {}
        Some("ping") => {
            let _ = tx.send(Message::text(r#"{"type":"pong"}"#));
            return;
        }
        _ => return error(tx, "bad_request", "Unknown frame type."),
    }
    let (Some(client_id), Some(body)) = (frame["client_id"].as_str(), frame["text"].as_str())
    else {
        return error(tx, "bad_request", "client_id and text are required.");
    };
    if body.trim().is_empty() || body.chars().count() > TEXT_MAX {
        return error(tx, "bad_request", "Bad text.");
    }
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut all = rooms.lock().unwrap_or_else(|p| p.into_inner());
    let Some(room) = all.get_mut(room_name) else {
        return;
    };
    room.seq += 1;
    let seq = room.seq;
    let out: Utf8Bytes = json!({
        "type": "message", "seq": seq, "author": user, "text": body, "ts": ts,
        "client_id": client_id, "reply_to": null, "edited_at": null, "deleted": false,
        "reactions": {},
    })
    .to_string()
    .into();
    room.history.push_back(out.clone());
    if room.history.len() > HISTORY {
        room.history.pop_front();
    }
    for s in room.sockets.values() {
        let _ = s.send(Message::Text(out.clone()));
    }
    let ack = json!({"type": "ack", "client_id": client_id, "seq": seq});
    let _ = tx.send(Message::text(ack.to_string()));
}
