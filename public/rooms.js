// The rooms the signed-in user belongs to: one RoomStore and one RoomSocket per
// room, so unread counts and presence stay live everywhere. It routes socket
// frames into stores, owns the outbox flush (same client_id on every retry),
// keeps the page title's unread count, and refreshes the list from the API.

import { api } from './api.js';
import { RoomSocket } from './socket.js';
import { RoomStore } from './store.js';
import { newClientId } from './outbox.js';
import { emit, state } from './state.js';
import { toast } from './dom.js';
import { updateProfile } from './profiles.js';
import { HISTORY_PAGE } from './limits.js';

const REFRESH_MS = 20_000;
const MAX_SOCKETS = 30;

/** name -> { info, store, socket, status, unread, counted } */
export const rooms = new Map();
let refreshTimer = null;
let refreshing = null;

/** Starts (or restarts) everything for the signed-in user. */
export async function startRooms() {
  stopRooms();
  await refreshRooms();
  refreshTimer = setInterval(() => { if (document.visibilityState === 'visible') refreshRooms().catch(() => {}); }, REFRESH_MS);
}

/** Closes every socket (sign-out). */
export function stopRooms() {
  clearInterval(refreshTimer);
  for (const r of rooms.values()) r.socket?.stop();
  rooms.clear();
  updateTitle();
}

/** Fetches the caller's rooms and brings the registry in line with it. */
export function refreshRooms() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    const startedAt = Date.now();
    try {
      const data = await api('GET', '/api/rooms');
      const list = Array.isArray(data?.rooms) ? data.rooms : [];
      const seen = new Set();
      for (const info of list) {
        seen.add(info.name);
        const r = rooms.get(info.name);
        if (r) {
          const wasCounted = r.counted;
          r.info = { ...r.info, ...info };
          if (r.store.room) Object.assign(r.store.room, { title: info.title, topic: info.topic, visibility: info.visibility });
          if (!r.store.role && info.role) r.store.role = info.role;
          if ((info.last_seq ?? 0) >= wasCounted) {
            r.unread = info.unread ?? 0;
            r.counted = info.last_seq ?? 0;
          }
          if (state.current === info.name && isReadingNow()) r.unread = 0;
        } else {
          addRoom(info);
        }
      }
      // Gone from the list (left in another tab, removed while offline): stop following it.
      // Rooms added while this request was in flight are newer than its answer.
      for (const [name, r] of [...rooms]) {
        if (seen.has(name) || r.addedAt >= startedAt) continue;
        if (state.current === name) gone(r, 'removed'); else removeRoom(name);
      }
      emit('rooms');
      updateTitle();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Adds a room the user just created or joined (or found in the list). */
export function addRoom(info) {
  if (rooms.has(info.name)) return rooms.get(info.name);
  const store = new RoomStore(info.name, state.me.username);
  store.lastSeq = 0;
  store.readSeq = info.read_seq ?? 0;
  store.role = info.role ?? null;
  const r = { info, addedAt: Date.now(), store, socket: null, status: 'connecting', unread: info.unread ?? 0, counted: info.last_seq ?? 0, since: info.last_seq ?? 0, historyQueue: [], ops: new Map(), retryTimer: null };
  rooms.set(info.name, r);
  if (rooms.size <= MAX_SOCKETS || state.current === info.name) connect(r);
  emit('rooms');
  updateTitle();
  return r;
}

function connect(r) {
  if (r.socket) return;
  const name = r.info.name;
  r.socket = new RoomSocket(name, {
    since: () => r.store.lastSeq || r.since,
    onFrame: (f) => onFrame(r, f),
    onStatus: (s) => { r.status = s; emit('status', { room: name, status: s }); },
    onGone: (reason) => gone(r, reason),
    probe: () => probe(name),
  });
  r.socket.start();
}

/** Makes sure the room on screen has a live socket even past the cap. */
export function ensureConnected(name) {
  const r = rooms.get(name);
  if (r && !r.socket) connect(r);
}

function removeRoom(name) {
  const r = rooms.get(name);
  if (!r) return;
  r.socket?.stop();
  clearTimeout(r.retryTimer);
  rooms.delete(name);
  emit('rooms');
  updateTitle();
}

/** After leaving a room on purpose. */
export function forgetRoom(name) { removeRoom(name); }

/** Asks the API whether we still belong to `name` after a failed connect. */
async function probe(name) {
  try {
    const data = await api('GET', '/api/rooms', { quietAuth: true });
    const list = Array.isArray(data?.rooms) ? data.rooms : [];
    return list.some((x) => x.name === name) ? null : 'removed';
  } catch (e) {
    if (e.status === 401) return 'ended';
    return null;
  }
}

const GONE_TEXT = {
  removed: (n) => `You are no longer a member of #${n}.`,
  deleted: (n) => `The room #${n} was deleted.`,
};

const SIGNED_OUT = {
  logged_out: 'You were signed out.',
  expired: 'Your session expired. Please sign in again.',
  ended: 'Your session has ended. Please sign in again.',
};

function gone(r, reason) {
  const name = r.info.name;
  if (SIGNED_OUT[reason]) { emit('signedout', SIGNED_OUT[reason]); return; }
  removeRoom(name);
  const text = (GONE_TEXT[reason] || GONE_TEXT.removed)(name);
  emit('gone', { room: name, reason, text });
}

/** Is the person looking at the newest messages of the open room right now? */
let readingCheck = () => false;
export function setReadingCheck(fn) { readingCheck = fn; }
function isReadingNow() { return readingCheck(); }

function onFrame(r, f) {
  const s = r.store;
  switch (f.type) {
    case 'ready': {
      s.room = { ...f.room };
      s.role = f.you?.role ?? null;
      r.info = { ...r.info, ...f.room, role: s.role };
      s.readSeq = Math.max(s.readSeq, f.read_seq ?? 0);
      s.setMembers(Array.isArray(f.members) ? f.members : []);
      r.historyQueue = f.resumed ? [] : ['latest'];
      s.loadingOlder = false; // a request on the previous connection will not be answered
      if (f.resumed && !s.loaded && r.wantHistory) requestLatest(r);
      if (!f.resumed) s.lastSeq = f.last_seq ?? s.lastSeq;
      s.tell('room');
      s.tell('role');
      s.tell('ready');
      flush(r);
      emit('rooms');
      break;
    }
    case 'history': {
      const kind = r.historyQueue.shift() || 'latest';
      const msgs = Array.isArray(f.messages) ? f.messages : [];
      if (kind === 'older') s.prependHistory(msgs, !!f.has_more);
      else s.resetHistory(msgs, !!f.has_more);
      break;
    }
    case 'message': case 'edit': case 'delete': case 'reaction': case 'member': case 'room': {
      const fresh = s.applyEvent(f);
      if (f.type === 'message' && fresh && f.author !== state.me.username && f.seq > s.readSeq && f.seq > r.counted) {
        r.counted = f.seq;
        if (!(state.current === r.info.name && isReadingNow())) {
          r.unread++;
          updateTitle();
          emit('rooms');
        }
      }
      if (f.type === 'room') { r.info = { ...r.info, title: f.title, topic: f.topic, visibility: f.visibility }; emit('rooms'); }
      if (f.type === 'member' && f.user === state.me.username && f.role) { r.info.role = f.role; }
      break;
    }
    case 'ack': ack(r, f); break;
    case 'error': onError(r, f); break;
    case 'typing': s.setTyping(f.user); break;
    case 'presence': s.setPresence(f.user, !!f.online); break;
    case 'profile': if (f.profile) updateProfile(f.profile); break;
    case 'read': if (f.user === state.me.username) markReadLocally(r, f.seq); break;
    default: break;
  }
}

function markReadLocally(r, seq) {
  if (seq > r.store.readSeq) r.store.readSeq = seq;
  if (seq >= r.counted) {
    r.unread = 0;
    updateTitle();
    emit('rooms');
  }
}

// ---- history -------------------------------------------------------------

function requestLatest(r) {
  if (r.socket?.send({ type: 'history', limit: HISTORY_PAGE })) r.historyQueue.push('latest');
}

/** The open room wants its newest page (once per session, unless reset). */
export function wantHistory(name) {
  const r = rooms.get(name);
  if (!r) return;
  r.wantHistory = true;
  if (!r.store.loaded && r.socket?.ready && !r.historyQueue.length) requestLatest(r);
}

/** Loads the page before the oldest message shown. */
export function loadOlder(name) {
  const r = rooms.get(name);
  if (!r || !r.store.loaded || !r.store.hasMore || r.store.loadingOlder) return false;
  const before = r.store.order[0];
  if (before === undefined) return false;
  if (!r.socket?.send({ type: 'history', before, limit: HISTORY_PAGE })) return false;
  r.historyQueue.push('older');
  r.store.loadingOlder = true;
  return true;
}

// ---- sending, with the outbox -------------------------------------------

/** Queues a new message and sends it at once when connected. */
export function sendMessage(name, text, replyTo) {
  const r = rooms.get(name);
  if (!r) return;
  const p = { client_id: newClientId(), text, reply_to: replyTo ?? null, ts: Date.now(), state: 'queued', conn: 0 };
  r.store.pending.push(p);
  r.store.savePending();
  flush(r);
}

/** Sends every queued message, in order, unless we are waiting out a rate limit. */
function flush(r) {
  const sock = r.socket;
  if (!sock?.ready || r.retryTimer) return;
  for (const p of r.store.pending) {
    if (p.state === 'failed' || p.state === 'stored') continue;
    if (p.state === 'sending' && p.conn === sock.connId) continue;
    const frame = { type: 'send', client_id: p.client_id, text: p.text };
    if (p.reply_to) frame.reply_to = p.reply_to;
    if (!sock.send(frame)) return;
    p.state = 'sending';
    p.conn = sock.connId;
  }
  r.store.tell('pending');
}

export function retryPending(name, clientId) {
  const r = rooms.get(name);
  const p = r?.store.pending.find((x) => x.client_id === clientId);
  if (!p) return;
  p.state = 'queued';
  p.error = '';
  r.store.savePending();
  flush(r);
}

export function discardPending(name, clientId) {
  const r = rooms.get(name);
  if (!r) return;
  r.store.pending = r.store.pending.filter((x) => x.client_id !== clientId);
  r.store.savePending();
}

function ack(r, f) {
  const s = r.store;
  const i = s.pending.findIndex((p) => p.client_id === f.client_id);
  if (i >= 0) {
    // The message event (same client_id) normally came first and already
    // replaced it; if not, it is stored: drop the pending copy when it shows.
    const p = s.pending[i];
    if (s.messages.has(f.seq) || !s.loaded) { s.pending.splice(i, 1); s.savePending(); } else { p.state = 'stored'; p.seq = f.seq; s.tell('pending'); }
    return;
  }
  r.ops.delete(f.client_id);
}

function onError(r, f) {
  const s = r.store;
  const p = f.client_id && s.pending.find((x) => x.client_id === f.client_id);
  if (p) {
    if (f.code === 'rate_limited') {
      p.state = 'queued';
      clearTimeout(r.retryTimer);
      r.retryTimer = setTimeout(() => { r.retryTimer = null; flush(r); }, Math.max(250, f.retry_after_ms || 1000));
      s.tell('pending');
    } else {
      p.state = 'failed';
      p.error = f.message || 'The message could not be sent.';
      s.savePending();
    }
    return;
  }
  if (f.code === 'rate_limited' && !f.client_id && r.historyQueue.length) {
    // Frames are answered in order, so this refuses the oldest history request
    // still waiting: ask again when the server says, without a toast (paging
    // back a long way is ordinary; the limit only slows it down).
    const kind = r.historyQueue.shift();
    const wait = Math.max(250, f.retry_after_ms || 1000);
    if (kind === 'older') {
      // Still "Loading older messages…" for the person while we wait.
      setTimeout(() => {
        s.loadingOlder = false;
        if (!loadOlder(r.info.name)) s.tell('older-idle');
      }, wait);
    } else {
      setTimeout(() => { if (!s.loaded && !r.historyQueue.length) requestLatest(r); }, wait);
    }
    return;
  }
  if (f.client_id) r.ops.delete(f.client_id);
  if (f.message) toast(f.message, 'error');
}

/** Sends a change (edit, delete, react); tells the person if we are offline. */
function op(name, frame) {
  const r = rooms.get(name);
  if (!r) return false;
  const client_id = newClientId();
  if (!r.socket?.send({ ...frame, client_id })) {
    toast('You are offline. Try again when the connection is back.', 'error');
    return false;
  }
  r.ops.set(client_id, frame);
  return true;
}

export const editMessage = (name, target, text) => op(name, { type: 'edit', target, text });
export const deleteMessage = (name, target) => op(name, { type: 'delete', target });
export const react = (name, target, emoji, add) => op(name, { type: 'react', target, emoji, add });

export function sendTyping(name) { rooms.get(name)?.socket?.send({ type: 'typing' }); }

/** Moves the read marker to `seq` (never back) and clears the room's badge. */
export function markRead(name, seq) {
  const r = rooms.get(name);
  if (!r || !seq) return;
  const clearBadge = r.unread !== 0;
  if (seq > r.store.readSeq) {
    if (r.socket?.send({ type: 'read', seq })) r.store.readSeq = seq;
  }
  if (seq > r.counted) r.counted = seq;
  if (clearBadge) { r.unread = 0; updateTitle(); emit('rooms'); }
}

/** Total unread over all rooms, shown in the page title like "(3) Chat". */
export function updateTitle() {
  let total = 0;
  for (const r of rooms.values()) total += r.unread || 0;
  document.title = total > 0 ? `(${total}) Chat` : 'Chat';
}

export function roomEntry(name) { return rooms.get(name); }

