// Small clients for the end-to-end suites: HTTP with a token, and a WebSocket
// that queues frames so a test can await "the next frame of type X".
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';

export const BASE = process.env.BASE_URL;

/**
 * Records a secret the suite handled (a password, a token, a message text) in
 * $SECRETS_FILE, one JSON line each, so tests/run.mjs can check that none of
 * them appears in the server's log.
 */
export function remember(kind, value) {
  const file = process.env.SECRETS_FILE;
  if (!file || typeof value !== 'string' || value.length < 8) return;
  appendFileSync(file, `${JSON.stringify({ kind, value })}\n`);
}

const SECRET_FIELDS = { password: 'password', new_password: 'password', current_password: 'password', text: 'message text', token: 'token' };

function rememberFields(obj) {
  if (!obj || typeof obj !== 'object') return;
  for (const [field, kind] of Object.entries(SECRET_FIELDS)) remember(kind, obj[field]);
}

/** A fresh, valid, unique username (3-24 of a-z0-9_, starting with a letter). */
export function uniqueName(prefix = 'u') {
  return `${prefix}${randomBytes(6).toString('hex')}`.slice(0, 24);
}

/** Calls the API; returns { status, body, headers }. `token` adds a Bearer header. */
export async function api(method, path, { token, body, headers = {}, base = BASE, raw } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  remember('token', token);
  rememberFields(body);
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] ??= 'application/json'; }
  const r = await fetch(`${base}${path}`, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  rememberFields(parsed);
  return { status: r.status, body: parsed, headers: r.headers };
}

/** Registers a new user and returns { username, password, token, user, cookie }. */
export async function register(prefix = 'u', base = BASE) {
  const username = uniqueName(prefix);
  const password = 'correct horse battery';
  const r = await api('POST', '/api/auth/register', { body: { username, password }, base });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  return { username, password, token: r.body.token, user: r.body.user, cookie };
}

/** A socket client with a frame queue. */
export class Client {
  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiters = [];
    this.closed = null;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      const list = frame.type === 'batch' ? frame.frames : [frame];
      for (const f of list) { this.frames.push(f); this.#wake(); }
    });
    ws.on('close', (code, reason) => { this.closed = { code, reason: String(reason) }; this.#wake(); });
  }

  #wake() { for (const w of this.waiters.splice(0)) w(); }

  send(frame) {
    if (typeof frame === 'object') rememberFields(frame);
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with (and removes) the first queued frame matching `pred`. */
  async next(pred = () => true, timeoutMs = 5000) {
    const test = typeof pred === 'string' ? (f) => f.type === pred : pred;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(test);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a frame; queued: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await this.#sleep(left);
    }
  }

  // Waits for the next frame or close, or `ms`; the timer is cleared so a long
  // timeout never keeps the test process alive.
  #sleep(ms) {
    return new Promise((r) => {
      const timer = setTimeout(r, ms);
      this.waiters.push(() => { clearTimeout(timer); r(); });
    });
  }

  /** Resolves with the close { code, reason }. */
  async waitClose(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for close');
      await this.#sleep(left);
    }
    return this.closed;
  }

  close() { try { this.ws.close(); } catch { /* already closed */ } }
}

/**
 * Opens a room socket. Resolves with a Client once open, or rejects with
 * { status, body } when the upgrade is refused.
 */
export function connect(room, { token, since, batch, headers = {}, base = BASE } = {}) {
  const q = new URLSearchParams();
  if (since !== undefined) q.set('since', String(since));
  if (batch) q.set('batch', '1');
  const url = `${base.replace(/^http/, 'ws')}/api/rooms/${room}/socket${q.size ? `?${q}` : ''}`;
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: h });
    const client = new Client(ws);
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let body = text;
        try { body = JSON.parse(text); } catch { /* keep text */ }
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body }));
      });
    });
    ws.once('error', (e) => reject(e));
  });
}

// ---- rooms helpers ----

/** A fresh, valid, unique room name (2-32 of a-z0-9-). */
export function uniqueRoom(prefix = 'r') {
  return `${prefix}-${randomBytes(5).toString('hex')}`.slice(0, 32);
}

/** Creates a room as `user` (from register()); returns its name. Throws unless 201. */
export async function createRoom(user, body = {}, base = BASE) {
  const name = body.name ?? uniqueRoom();
  const r = await api('POST', '/api/rooms', { token: user.token, body: { name, ...body }, base });
  if (r.status !== 201) throw new Error(`create room failed: ${r.status} ${JSON.stringify(r.body)}`);
  return name;
}

/** Joins `room` as `user`; throws unless 200. */
export async function joinRoom(user, room, base = BASE) {
  const r = await api('POST', `/api/rooms/${room}/join`, { token: user.token, base });
  if (r.status !== 200) throw new Error(`join failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * Connects and consumes the connect preamble: resolves { client, ready, history }
 * (history is null when the connect resumed).
 */
export async function connectReady(room, opts = {}) {
  const client = await connect(room, opts);
  const ready = await client.next('ready');
  const history = ready.resumed ? null : await client.next('history');
  return { client, ready, history };
}

/** Resolves true when no frame matching `pred` arrives within `ms`. */
export async function noFrame(client, pred = () => true, ms = 500) {
  try {
    const f = await client.next(pred, ms);
    throw Object.assign(new Error(`unexpected frame: ${JSON.stringify(f)}`), { frame: f });
  } catch (e) {
    if (e.frame) throw e;
    if (/timed out/.test(e.message)) return true;
    throw e;
  }
}

/** Sends a message and resolves with its ack. */
export async function sendMessage(client, text, extra = {}) {
  const client_id = extra.client_id ?? `c${randomBytes(6).toString('hex')}`;
  client.send({ type: 'send', client_id, text, ...extra });
  return client.next((f) => f.type === 'ack' && f.client_id === client_id);
}

/**
 * Resolves with { code, reason } as soon as the server's close frame has
 * arrived, or the socket closed. (A close the room starts from an HTTP request
 * reaches the client at once, but the runtime may hold the TCP connection
 * until the room goes idle, so `waitClose`, which waits for the connection to
 * end, can lag by seconds. `ws` keeps the received close frame in
 * `_closeFrameReceived` / `_closeCode` / `_closeMessage`.)
 */
export async function waitClosing(client, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (client.closed) return client.closed;
    const ws = client.ws;
    if (ws._closeFrameReceived) return { code: ws._closeCode, reason: String(ws._closeMessage ?? '') };
    if (Date.now() > deadline) throw new Error('timed out waiting for a close frame');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Like `client.next(pred, timeoutMs)`, but clears its timer once woken, so a
 * long timeout does not keep the test process alive after the test ends.
 */
export async function waitFor(client, pred, timeoutMs = 5000) {
  const test = typeof pred === 'string' ? (f) => f.type === pred : pred;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = client.frames.findIndex(test);
    if (i >= 0) return client.frames.splice(i, 1)[0];
    if (client.closed) throw new Error(`socket closed (${client.closed.code}) while waiting`);
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for a frame; queued: ${JSON.stringify(client.frames).slice(0, 500)}`);
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, left);
      client.waiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }
}
