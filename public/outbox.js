// Messages that are not yet stored by the server ("sending" or "failed"), kept
// per user and room in localStorage so they survive a reload or a lost
// connection and go out later with the same client_id (the server de-duplicates).
// `Outbox` is one room's queue and its states: queued -> sending -> (gone once
// the server stored it) | stored (acked, not shown yet) | failed (refused).
// A message with files also keeps their upload state (uploads.js); the files'
// bytes wait in filestore.js.

import { attachmentIds, filesSettled, persistFiles, restoreFiles } from './files.js';
import { clearFiles } from './filestore.js';

const PREFIX = 'chat.outbox.v1';

function key(me, room) { return `${PREFIX}.${me}.${room}`; }

/** A fresh client_id (1-64 of A-Za-z0-9_-). */
export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** The saved pending messages of a room, oldest first. */
export function loadOutbox(me, room) {
  try {
    const raw = localStorage.getItem(key(me, room));
    const list = raw ? JSON.parse(raw) : [];
    if (!Array.isArray(list)) return [];
    return list.filter((p) => p && typeof p.client_id === 'string' && typeof p.text === 'string')
      .map((p) => ({ ...p, files: restoreFiles(p.files), state: p.state === 'failed' ? 'failed' : 'queued', conn: 0 }));
  } catch {
    return [];
  }
}

/** Saves a room's pending messages (removes the key when none are left). */
export function saveOutbox(me, room, list) {
  try {
    if (!list.length) localStorage.removeItem(key(me, room));
    else {
      const slim = list.map(({ client_id, text, reply_to, ts, state, error, files }) => ({ client_id, text, reply_to, ts, state, error, files: persistFiles(files) }));
      localStorage.setItem(key(me, room), JSON.stringify(slim));
    }
  } catch { /* storage full or disabled: the queue still lives in memory */ }
}

/** Rooms that have saved pending messages for this user. */
export function roomsWithOutbox(me) {
  const out = [];
  const p = `${PREFIX}.${me}.`;
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k && k.startsWith(p)) out.push(k.slice(p.length));
  }
  return out;
}

/**
 * Forgets every pending message of this user: signing out on a shared machine
 * must not leave messages that go out at the next sign-in.
 */
export function clearOutbox(me) {
  try {
    for (const room of roomsWithOutbox(me)) localStorage.removeItem(key(me, room));
  } catch { /* storage disabled: nothing was saved */ }
  clearFiles(me); // and the files waiting to be uploaded (filestore.js)
}

export class Outbox {
  /** `changed()` is called whenever the list or a state changed. */
  constructor(me, room, changed = () => {}) {
    this.me = me;
    this.room = room;
    this.list = loadOutbox(me, room);
    this.changed = changed;
  }

  save() { saveOutbox(this.me, this.room, this.list); this.changed(); }

  has(clientId) { return this.list.some((p) => p.client_id === clientId); }

  /** Queues a new message (saved at once), with its `files` to upload (uploads.js); returns its entry. */
  queue(text, replyTo, files) {
    const p = { client_id: newClientId(), text, reply_to: replyTo ?? null, ts: Date.now(), state: 'queued', conn: 0 };
    if (files?.length) p.files = files;
    this.list.push(p);
    this.save();
    return p;
  }

  /**
   * Sends every queued message, in order, on connection `connId` through
   * `send(frame)` (false: not sent, stop there). One already sending on this
   * connection is not sent twice; on a new connection it goes again with the
   * same client_id.
   */
  sendAll(connId, send) {
    for (const p of this.list) {
      if (p.state === 'failed' || p.state === 'stored') continue;
      if (p.state === 'sending' && p.conn === connId) continue;
      // Still uploading: it goes when its files are done, without holding up the rest.
      if (!filesSettled(p)) continue;
      const frame = { type: 'send', client_id: p.client_id, text: p.text };
      if (p.reply_to) frame.reply_to = p.reply_to;
      if (p.files) frame.attachments = attachmentIds(p);
      if (!send(frame)) return;
      p.state = 'sending';
      p.conn = connId;
    }
    this.changed();
  }

  /** A failed message goes back in the queue; false when there is no such message. */
  retry(clientId) {
    const p = this.list.find((x) => x.client_id === clientId);
    if (!p) return false;
    p.state = 'queued';
    p.error = '';
    this.save();
    return true;
  }

  /** Forgets a message. */
  discard(clientId) {
    this.list = this.list.filter((x) => x.client_id !== clientId);
    this.save();
  }

  /** Drops the entries the server has stored (our messages among `messages`, by client_id). */
  stored(messages) {
    if (!this.list.length) return;
    const ids = new Set(messages.filter((m) => m.author === this.me).map((m) => m.client_id));
    const before = this.list.length;
    this.list = this.list.filter((p) => !ids.has(p.client_id));
    if (this.list.length !== before) this.save();
  }

  /** The server stored `clientId` as `seq`: drop it when `shown` (or nothing is shown yet), else mark it. */
  acked(clientId, seq, shown) {
    const i = this.list.findIndex((p) => p.client_id === clientId);
    if (i < 0) return;
    if (shown) {
      this.list.splice(i, 1);
      this.save();
    } else {
      this.list[i].state = 'stored';
      this.list[i].seq = seq;
      this.changed();
    }
  }

  /** The server refused `clientId`: true when it is queued again (rate limited), else it failed. */
  refused(clientId, code, message) {
    const p = this.list.find((x) => x.client_id === clientId);
    if (!p) return false;
    if (code === 'rate_limited') {
      p.state = 'queued';
      this.changed();
      return true;
    }
    p.state = 'failed';
    p.error = message || 'The message could not be sent.';
    this.save();
    return false;
  }
}
