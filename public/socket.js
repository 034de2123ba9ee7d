// One room's WebSocket: connects with `since` (resume) and `batch=1`, unpacks
// batches, pings every 25 s, notices a dead link, and reconnects with jittered
// exponential backoff. Close codes that mean "stop" (logged out, expired,
// removed, deleted) end it with a reason instead of a reconnect loop.

const PING_MS = 25_000;
const PONG_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15_000;

const FATAL = { 4001: 'logged_out', 1008: 'expired', 4003: 'removed', 4004: 'deleted' };

export class RoomSocket {
  /**
   * room: the room name; since(): the last seq seen (0 = none);
   * onFrame(frame), onStatus(status) with status one of
   * 'connecting' | 'ready' | 'reconnecting' | 'offline';
   * onGone(reason); probe(): resolves with a reason to stop, or null to retry.
   */
  constructor(room, { since, onFrame, onStatus, onGone, probe }) {
    Object.assign(this, { room, since, onFrame, onStatus, onGone, probe });
    this.ws = null;
    this.ready = false;
    this.stopped = false;
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.status = 'connecting';
    this.connId = 0;
    this.wake = (e) => {
      if (this.ws || this.stopped) return;
      if (e.type === 'visibilitychange' && document.visibilityState === 'hidden') return;
      this.retryNow();
    };
    this.offline = () => { if (!this.ready) this.setStatus('offline'); };
    window.addEventListener('online', this.wake);
    window.addEventListener('offline', this.offline);
    document.addEventListener('visibilitychange', this.wake);
  }

  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    this.onStatus(s);
  }

  start() { this.connect(); }

  connect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = null;
    const q = new URLSearchParams();
    const since = this.since();
    if (since > 0) q.set('since', String(since));
    q.set('batch', '1');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}/api/rooms/${encodeURIComponent(this.room)}/socket?${q}`;
    let ws;
    try { ws = new WebSocket(url); } catch { this.scheduleRetry(); return; }
    this.ws = ws;
    this.opened = false;
    this.connId++;
    ws.onopen = () => { this.opened = true; this.ping(); this.startPing(); };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => this.closed(ws, ev.code);
    ws.onerror = () => { /* a close event always follows */ };
  }

  receive(data) {
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    if (!frame || typeof frame !== 'object') return;
    const frames = frame.type === 'batch' && Array.isArray(frame.frames) ? frame.frames : [frame];
    for (const f of frames) {
      if (!f || typeof f.type !== 'string') continue;
      if (f.type === 'ready') {
        this.ready = true;
        this.attempt = 0;
        this.setStatus('ready');
      }
      try { this.onFrame(f); } catch (e) { console.warn('frame handler failed', e); }
    }
  }

  /** Sends a frame if the socket is ready; returns whether it went out. */
  send(frame) {
    if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // The first ping goes out at once: the runtime (workerd, see the README's
  // "Closes" note) only tears a server-closed connection down promptly when
  // the client has sent at least one frame. The runtime answers it without
  // waking the room.
  startPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.ping(), PING_MS);
  }

  ping() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ type: 'ping' }));
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => this.drop(), PONG_TIMEOUT_MS);
  }

  stopTimers() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  /** Gives up on a silent connection without waiting for a close handshake. */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    ws.onclose = ws.onmessage = ws.onopen = null;
    try { ws.close(); } catch { /* already closing */ }
    this.closed(ws, 1006);
  }

  async closed(ws, code) {
    if (ws !== this.ws) return;
    const wasOpen = this.opened;
    this.ws = null;
    this.ready = false;
    this.stopTimers();
    if (this.stopped) return;
    if (FATAL[code]) { this.finish(FATAL[code]); return; }
    this.setStatus(navigator.onLine === false ? 'offline' : 'reconnecting');
    // A refused upgrade (never opened) or a normal close we did not ask for
    // (a leave from another tab) may mean we lost access: ask before retrying.
    if (!wasOpen || code === 1000) {
      let verdict = null;
      try { verdict = await this.probe(); } catch { verdict = null; }
      if (this.stopped || this.ws) return;
      if (verdict) { this.finish(verdict); return; }
    }
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.stopped || this.timer) return;
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt = Math.min(this.attempt + 1, 10);
    this.timer = setTimeout(() => { this.timer = null; this.connect(); }, delay);
  }

  retryNow() {
    clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  finish(reason) {
    this.stop();
    this.onGone(reason);
  }

  /** Closes for good (sign-out, leaving the room). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopTimers();
    window.removeEventListener('online', this.wake);
    window.removeEventListener('offline', this.offline);
    document.removeEventListener('visibilitychange', this.wake);
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      try { ws.close(1000); } catch { /* ignore */ }
    }
  }
}
