// The rooms the signed-in user belongs to: one RoomStore and one RoomSocket per
// room, so unread counts and presence stay live everywhere. It routes socket
// frames into the stores (which own the state), sends what they ask for, runs
// the retry timers, keeps the page title's and favicon's unread and mention
// counts, hands new messages to the in-page notifier, and refreshes the list
// from the API.

import { api } from './api.js';
import { RoomSocket } from './socket.js';
import { RoomStore } from './store.js';
import { newClientId } from './outbox.js';
import { emit, state } from './state.js';
import { toast } from './dom.js';
import { updateProfile } from './profiles.js';
import { HISTORY_PAGE } from './limits.js';
import { UploadQueue } from './uploads.js';
import { uploadFile } from './uploader.js';
import { fileStore } from './filestore.js';
import { titleText } from './badges.js';
import { setFaviconBadge } from './favicon.js';

const REFRESH_MS = 20_000;
const MAX_SOCKETS = 30;

/** name -> { store, socket, status, since, wantHistory, retryTimer, addedAt } */
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
  for (const r of rooms.values()) { r.socket?.stop(); r.uploads.stop(); }
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
          r.store.listed(info, () => state.current === info.name && isReadingNow());
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
  const store = new RoomStore(info.name, state.me.username, info);
  const r = { addedAt: Date.now(), store, socket: null, status: 'connecting', since: info.last_seq ?? 0, wantHistory: false, retryTimer: null };
  r.uploads = new UploadQueue({
    room: info.name, outbox: store.outbox, transport: uploadFile, blobs: fileStore(state.me.username, info.name),
    onReady: () => flush(r),
    onProgress: (key, loaded, total) => store.tell('progress', { key, loaded, total }),
    onRefused: (text) => toast(text, 'error'),
  });
  rooms.set(info.name, r);
  if (rooms.size <= MAX_SOCKETS || state.current === info.name) connect(r);
  emit('rooms');
  updateTitle();
  return r;
}

function connect(r) {
  if (r.socket) return;
  const name = r.store.name;
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
  r.uploads.stop();
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
  removed: (n, dm) => (dm ? 'This conversation was closed.' : `You are no longer a member of #${n}.`),
  deleted: (n) => `The room #${n} was deleted.`,
};

const SIGNED_OUT = {
  logged_out: 'You were signed out.',
  expired: 'Your session expired. Please sign in again.',
  ended: 'Your session has ended. Please sign in again.',
};

function gone(r, reason) {
  const name = r.store.name;
  if (SIGNED_OUT[reason]) { emit('signedout', SIGNED_OUT[reason]); return; }
  removeRoom(name);
  const text = (GONE_TEXT[reason] || GONE_TEXT.removed)(name, r.store.room?.kind === 'dm');
  emit('gone', { room: name, reason, text });
}

/** Told of every new message from the socket (notify.js shows it while the tab is hidden). */
let onNewMessage = () => {};
export function setMessageHook(fn) { onNewMessage = fn; }

/** Is the person looking at the newest messages of the open room right now? */
let readingCheck = () => false;
export function setReadingCheck(fn) { readingCheck = fn; }
function isReadingNow() { return readingCheck(); }

function onFrame(r, f) {
  const s = r.store;
  switch (f.type) {
    case 'ready':
      s.ready(f);
      r.uploads.wake();
      if (f.resumed && !s.loaded && r.wantHistory) requestLatest(r);
      flush(r);
      emit('rooms');
      break;
    case 'history': s.history(f); break;
    case 'message': case 'edit': case 'delete': case 'reaction': case 'member': case 'room': {
      const fresh = s.applyEvent(f);
      const looking = () => state.current === s.name && isReadingNow();
      if (s.countUnread(f, fresh, looking)) { updateTitle(); emit('rooms'); }
      if (f.type === 'message' && fresh) onNewMessage(s, f);
      if (f.type === 'room') emit('rooms');
      break;
    }
    case 'ack': s.ack(f); break;
    case 'error': onError(r, f); break;
    case 'typing': s.setTyping(f.user); break;
    case 'presence':
      s.setPresence(f.user, !!f.online);
      // A DM's sidebar entry shows the other person's presence.
      if (s.room?.kind === 'dm') emit('rooms');
      break;
    case 'profile': if (f.profile) updateProfile(f.profile); break;
    // A DM was started with us or came back: the list has a new entry.
    case 'rooms_changed': refreshRooms().catch(() => {}); break;
    case 'read': if (f.user === state.me.username && s.readElsewhere(f.seq)) { updateTitle(); emit('rooms'); } break;
    default: break;
  }
}

// ---- history -------------------------------------------------------------

function requestLatest(r) {
  if (r.socket?.send({ type: 'history', limit: HISTORY_PAGE })) r.store.requested('latest');
}

/** The open room wants its newest page (once per session, unless reset). */
export function wantHistory(name) {
  const r = rooms.get(name);
  if (!r) return;
  r.wantHistory = true;
  if (!r.store.loaded && r.socket?.ready && !r.store.historyQueue.length) requestLatest(r);
}

/** Loads the page before the oldest message shown. */
export function loadOlder(name) {
  const r = rooms.get(name);
  const before = r?.store.olderCursor();
  if (before === undefined) return false;
  if (!r.socket?.send({ type: 'history', before, limit: HISTORY_PAGE })) return false;
  r.store.requested('older');
  return true;
}

// ---- sending, with the outbox -------------------------------------------

/** Queues a new message and sends it at once when connected (once its `files` are uploaded). */
export function sendMessage(name, text, replyTo, files = []) {
  const r = rooms.get(name);
  if (!r) return;
  if (files.length) r.uploads.send(text, replyTo, files);
  else r.store.outbox.queue(text, replyTo);
  flush(r);
}

/** Cancels one file's upload (its message goes without it). */
export function cancelUpload(name, key) {
  rooms.get(name)?.uploads.cancel(key);
}

/** Sends every queued message, in order, unless we are waiting out a rate limit. */
function flush(r) {
  const sock = r.socket;
  if (!sock?.ready || r.retryTimer) return;
  r.store.outbox.sendAll(sock.connId, (frame) => sock.send(frame));
}

export function retryPending(name, clientId) {
  const r = rooms.get(name);
  r?.uploads.retry(clientId);
  if (r?.store.outbox.retry(clientId)) { r.uploads.pump(); flush(r); }
}

export function discardPending(name, clientId) {
  rooms.get(name)?.store.outbox.discard(clientId);
}

function onError(r, f) {
  const s = r.store;
  const todo = s.error(f);
  if (!todo) return;
  if (todo.retrySends) {
    clearTimeout(r.retryTimer);
    r.retryTimer = setTimeout(() => { r.retryTimer = null; flush(r); }, todo.retrySends);
  } else if (todo.retryHistory === 'older') {
    // Still "Loading older messages…" for the person while we wait.
    setTimeout(() => {
      s.stopLoadingOlder();
      if (!loadOlder(s.name)) s.tell('older-idle');
    }, todo.after);
  } else if (todo.retryHistory) {
    setTimeout(() => { if (!s.loaded && !s.historyQueue.length) requestLatest(r); }, todo.after);
  } else if (todo.toast) {
    toast(todo.toast, 'error');
  }
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
  if (r.store.readUpTo(seq, (frame) => !!r.socket?.send(frame))) { updateTitle(); emit('rooms'); }
}

/** Total unread and mentions over all rooms, in the page title ("(3) Chat", "(@1 · 3) Chat") and the favicon. */
export function updateTitle() {
  let total = 0;
  let mentions = 0;
  for (const r of rooms.values()) { total += r.store.unread || 0; mentions += r.store.mentions || 0; }
  document.title = titleText(total, mentions);
  setFaviconBadge(mentions);
}

export function roomEntry(name) { return rooms.get(name); }

