//! One benchmark socket: connect (per server kind), then a writer task fed by a
//! channel and a reader task that timestamps every benchmark message it receives.
//!
//! Message texts carry a marker `~B<phase>:<send time in us>~`; a receiver finds it
//! with a plain substring scan (no JSON parse on the hot path), so one frame, a
//! Socket.IO packet or a `batch` of frames all work the same way.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::hist::Hist;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// The product: `/api/rooms/{room}/socket` with a Bearer token.
    Product,
    /// Socket.IO 4 (Engine.IO v4 over a WebSocket), `room` and `user` in the query.
    SocketIo,
    /// The JavaScript Durable Object and the tokio baseline: the product's path and
    /// frames, with `?user=` instead of a token.
    Plain,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "product" => Some(Kind::Product),
            "socketio" => Some(Kind::SocketIo),
            "plain" | "jsdo" | "tokio" => Some(Kind::Plain),
            _ => None,
        }
    }

    /// The frame that sends a message with this text.
    pub fn send_frame(self, client_id: &str, text: &str) -> String {
        match self {
            Kind::SocketIo => {
                format!(r#"42["send",{{"client_id":"{client_id}","text":"{text}"}}]"#)
            }
            _ => format!(r#"{{"type":"send","client_id":"{client_id}","text":"{text}"}}"#),
        }
    }
}

static BASE: OnceLock<Instant> = OnceLock::new();

/// Microseconds since the generator started (monotonic).
pub fn now_us() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// Counters shared by every reader task; reset between trials.
pub struct Stats {
    /// The phase whose messages are measured now; markers of other phases are
    /// counted as `other` and not timed.
    pub phase: AtomicU32,
    pub hist: Hist,
    pub other: AtomicU64,
    pub acks: AtomicU64,
    pub errors: AtomicU64,
    pub error_sample: Mutex<Option<String>>,
    pub frames: AtomicU64,
    pub last_frame_us: AtomicU64,
    pub closed: AtomicU64,
    pub close_sample: Mutex<Option<String>>,
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            phase: AtomicU32::new(0),
            hist: Hist::new(),
            other: AtomicU64::new(0),
            acks: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            error_sample: Mutex::new(None),
            frames: AtomicU64::new(0),
            last_frame_us: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            close_sample: Mutex::new(None),
        }
    }

    pub fn reset(&self, phase: u32) {
        self.phase.store(phase, Relaxed);
        self.hist.reset();
        self.other.store(0, Relaxed);
        self.acks.store(0, Relaxed);
        self.errors.store(0, Relaxed);
        if let Ok(mut s) = self.error_sample.lock() {
            *s = None;
        }
    }
}

pub struct Conn {
    pub tx: mpsc::UnboundedSender<Message>,
    pub alive: Arc<AtomicBool>,
}

pub struct Target<'a> {
    pub kind: Kind,
    /// host:port
    pub addr: &'a str,
    pub room: &'a str,
    pub user: &'a str,
    pub token: Option<&'a str>,
    pub batch: bool,
}

fn url(t: &Target) -> String {
    match t.kind {
        Kind::Product => format!(
            "ws://{}/api/rooms/{}/socket{}",
            t.addr,
            t.room,
            if t.batch { "?batch=1" } else { "" }
        ),
        Kind::SocketIo => format!(
            "ws://{}/socket.io/?EIO=4&transport=websocket&room={}&user={}",
            t.addr, t.room, t.user
        ),
        Kind::Plain => format!(
            "ws://{}/api/rooms/{}/socket?user={}",
            t.addr, t.room, t.user
        ),
    }
}

/// A 16 KiB read buffer per socket instead of tungstenite's 128 KiB: thousands of
/// sockets stay cheap to open, frames here are small.
fn client_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(16 * 1024)
}

/// Connects and waits until the server says the socket is in the room: the
/// product's first frame (`ready`), Socket.IO's namespace `40` packet, or the
/// handshake itself for the plain servers (they register the socket before or
/// right as they answer 101).
pub async fn open(t: &Target<'_>, stats: Arc<Stats>) -> Result<Conn, String> {
    let mut req = url(t)
        .into_client_request()
        .map_err(|e| format!("bad url: {e}"))?;
    if let Some(token) = t.token {
        let v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())?;
        req.headers_mut().insert("Authorization", v);
    }
    let fut = async {
        let (ws, _resp) =
            tokio_tungstenite::connect_async_with_config(req, Some(client_config()), true)
                .await
                .map_err(|e| format!("connect: {e}"))?;
        let (mut sink, mut stream) = ws.split();
        match t.kind {
            Kind::Product => loop {
                match stream.next().await {
                    Some(Ok(Message::Text(_))) => break,
                    Some(Ok(Message::Close(c))) => return Err(format!("closed at connect: {c:?}")),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(format!("read at connect: {e}")),
                    None => return Err("closed at connect".into()),
                }
            },
            Kind::SocketIo => {
                // Engine.IO "0{open}", then we connect the default namespace: "40".
                let mut sent_connect = false;
                loop {
                    match stream.next().await {
                        Some(Ok(Message::Text(txt))) => {
                            let s = txt.as_str();
                            if s.starts_with('0') && !sent_connect {
                                sink.send(Message::text("40"))
                                    .await
                                    .map_err(|e| format!("write: {e}"))?;
                                sent_connect = true;
                            } else if s.starts_with("40") {
                                break;
                            } else if s.starts_with("44") {
                                return Err(format!("namespace refused: {s}"));
                            } else if s == "2" {
                                sink.send(Message::text("3"))
                                    .await
                                    .map_err(|e| e.to_string())?;
                            }
                        }
                        Some(Ok(Message::Close(c))) => {
                            return Err(format!("closed at connect: {c:?}"))
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(format!("read at connect: {e}")),
                        None => return Err("closed at connect".into()),
                    }
                }
            }
            Kind::Plain => {}
        }
        Ok((sink, stream))
    };
    let (mut sink, mut stream) = tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .map_err(|_| "connect timed out".to_string())??;

    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let alive = Arc::new(AtomicBool::new(true));

    // Writer: drains the channel, flushing once per wake-up. When every sender is
    // dropped, it closes the socket politely and ends.
    tokio::spawn(async move {
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
        let _ = tokio::time::timeout(Duration::from_secs(2), sink.close()).await;
    });

    // Reader.
    let kind = t.kind;
    let pong = tx.clone();
    let alive_r = Arc::clone(&alive);
    tokio::spawn(async move {
        let mut close_reason = None;
        while let Some(m) = stream.next().await {
            match m {
                Ok(Message::Text(txt)) => on_text(kind, txt.as_str(), &stats, &pong),
                Ok(Message::Binary(b)) => {
                    on_text(kind, &String::from_utf8_lossy(&b), &stats, &pong)
                }
                Ok(Message::Close(c)) => {
                    close_reason = Some(format!("close frame {c:?}"));
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    close_reason = Some(format!("read error {e}"));
                    break;
                }
            }
        }
        drop(pong);
        alive_r.store(false, Relaxed);
        stats.closed.fetch_add(1, Relaxed);
        if let Ok(mut s) = stats.close_sample.lock() {
            if s.is_none() {
                *s = close_reason.or(Some("stream ended".into()));
            }
        }
    });
    Ok(Conn { tx, alive })
}

fn on_text(kind: Kind, s: &str, stats: &Stats, pong: &mpsc::UnboundedSender<Message>) {
    let now = now_us();
    stats.frames.fetch_add(1, Relaxed);
    stats.last_frame_us.store(now, Relaxed);
    if kind == Kind::SocketIo {
        if s == "2" {
            let _ = pong.send(Message::text("3"));
            return;
        }
        if !s.starts_with("42") {
            return;
        }
    }
    let phase = stats.phase.load(Relaxed);
    let mut rest = s;
    while let Some(i) = rest.find("~B") {
        rest = &rest[i + 2..];
        if let Some((p, ts, used)) = parse_marker(rest) {
            if p == phase {
                stats.hist.record(now.saturating_sub(ts));
            } else {
                stats.other.fetch_add(1, Relaxed);
            }
            rest = &rest[used..];
        }
    }
    // Control frames: acks (counted) and errors (counted, one kept).
    if kind == Kind::SocketIo {
        if s.starts_with(r#"42["ack""#) {
            stats.acks.fetch_add(1, Relaxed);
        }
    } else {
        let n = s.matches(r#""type":"ack""#).count() as u64;
        if n > 0 {
            stats.acks.fetch_add(n, Relaxed);
        }
    }
    if s.contains(r#""type":"error""#) || s.starts_with(r#"42["error""#) {
        stats.errors.fetch_add(1, Relaxed);
        if let Ok(mut e) = stats.error_sample.lock() {
            if e.is_none() {
                // Rare: decode it properly for the report.
                let v = serde_json::from_str::<serde_json::Value>(s)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|_| s.chars().take(300).collect());
                *e = Some(v);
            }
        }
    }
}

/// `<phase>:<ts>~` -> (phase, ts, bytes used).
fn parse_marker(s: &str) -> Option<(u32, u64, usize)> {
    let colon = s.find(':')?;
    let phase = s[..colon].parse().ok()?;
    let rest = &s[colon + 1..];
    let end = rest.find('~')?;
    let ts = rest[..end].parse().ok()?;
    Some((phase, ts, colon + 1 + end + 1))
}

/// The text of a benchmark message: the marker, then filler up to `len` bytes.
pub fn message_text(phase: u32, ts: u64, len: usize) -> String {
    const FILLER: &str = " lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua";
    let mut t = format!("~B{phase}:{ts}~");
    while t.len() < len {
        let need = len - t.len();
        t.push_str(&FILLER[..need.min(FILLER.len())]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        let t = message_text(7, 123_456, 80);
        assert_eq!(t.len(), 80);
        let (p, ts, _) = parse_marker(&t[2..]).unwrap();
        assert_eq!((p, ts), (7, 123_456));
    }
}
