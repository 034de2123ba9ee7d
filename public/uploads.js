// One room's upload queue. A message with files waits in the outbox (it is
// saved there with its files' state) while its files upload, a few at a time;
// it goes out once none is left to upload. A file the network could not carry
// waits and is tried again (backoff, the `online` event, a socket coming back);
// one the rate limit refused is tried after the server's wait; one the server
// refused fails with a sentence and the rest go on without it. Cancelling a
// file drops it from its message. The network (`transport`), the bytes
// (`blobs`, see filestore.js) and the timers are given, so node can test it.

import { newClientId } from './outbox.js';
import { filesSettled, uploadName, uploadRefusal, waitingNote } from './files.js';

const CONCURRENCY = 2;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 30_000;
const SERVER_TRIES = 3;

export class UploadQueue {
  /**
   * room: the room name; outbox: its Outbox; transport({ room, blob, name,
   * type, onProgress }) -> { promise, abort }; blobs: { put, get, delete };
   * onReady(): a message may be ready to send; onProgress(key, loaded, total);
   * onRefused(sentence): a file will not be sent.
   */
  constructor({ room, outbox, transport, blobs, onReady = () => {}, onProgress = () => {}, onRefused = () => {}, timers = globalThis, now = () => Date.now(), concurrency = CONCURRENCY }) {
    Object.assign(this, { room, outbox, transport, blobs, onReady, onProgress, onRefused, timers, now, concurrency });
    /** key -> { abort } of the uploads in flight. */
    this.running = new Map();
    this.timer = null;
    this.stopped = false;
    // Whatever removes a message from the outbox (stored, discarded, signed
    // out) also ends its uploads and forgets its bytes.
    const changed = outbox.changed;
    outbox.changed = () => { this.sync(); changed(); };
    this.known = new Set(this.keys());
    this.pump();
  }

  /** Every file key still in the outbox. */
  keys() {
    const out = [];
    for (const p of this.outbox.list) for (const f of p.files || []) out.push(f.key);
    return out;
  }

  find(key) {
    for (const p of this.outbox.list) {
      const f = (p.files || []).find((x) => x.key === key);
      if (f) return { p, f };
    }
    return null;
  }

  /** Queues a message with `files` (File or Blob objects with a name); returns its outbox entry. */
  send(text, replyTo, files) {
    const entries = files.map((file) => {
      const key = newClientId();
      this.blobs.put(key, file);
      return { key, name: uploadName(file.name), size: file.size, type: file.type || '', state: 'waiting', loaded: 0 };
    });
    for (const f of entries) this.known.add(f.key);
    const p = this.outbox.queue(text, replyTo, entries);
    this.pump();
    return p;
  }

  /** Starts what may start now: waiting files whose time has come, up to the concurrency. */
  pump() {
    if (this.stopped) return;
    const now = this.now();
    let next = Infinity;
    for (const p of this.outbox.list) {
      if (p.state === 'failed') continue;
      for (const f of p.files || []) {
        if (f.state !== 'waiting') continue;
        if (f.retryAt > now) { next = Math.min(next, f.retryAt); continue; }
        if (this.running.size >= this.concurrency) return;
        this.start(p, f);
      }
    }
    this.timers.clearTimeout(this.timer);
    this.timer = next < Infinity ? this.timers.setTimeout(() => { this.timer = null; this.pump(); }, next - now) : null;
  }

  start(p, f) {
    f.state = 'uploading';
    f.loaded = 0;
    f.note = '';
    const slot = { abort: () => { slot.aborted = true; } };
    this.running.set(f.key, slot);
    this.outbox.changed();
    this.blobs.get(f.key).then((blob) => {
      if (slot.aborted || this.running.get(f.key) !== slot) return;
      if (!blob) { this.running.delete(f.key); this.refuse(p, f, { code: 'lost' }); return; }
      const t = this.transport({
        room: this.room, blob, name: f.name, type: f.type,
        onProgress: (loaded, total) => { f.loaded = loaded; this.onProgress(f.key, loaded, total || f.size); },
      });
      slot.abort = t.abort;
      t.promise.then((att) => this.done(p, f, slot, att), (err) => this.failed(p, f, slot, err));
    });
  }

  done(p, f, slot, att) {
    if (this.running.get(f.key) !== slot) return;
    this.running.delete(f.key);
    f.state = 'done';
    f.attachment = att;
    f.loaded = f.size;
    this.blobs.delete(f.key);
    this.settle(p);
  }

  failed(p, f, slot, err) {
    if (this.running.get(f.key) !== slot) return;
    this.running.delete(f.key);
    if (err?.code === 'aborted') return;
    const code = err?.code;
    const transient = err?.status === 0 || code === 'network';
    const server = err?.status >= 500;
    f.tries = (f.tries || 0) + 1;
    if (code === 'rate_limited' || transient || (server && f.tries < SERVER_TRIES)) {
      const wait = code === 'rate_limited'
        ? Math.max(1000, err.retryAfterMs || 10_000)
        : Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (f.tries - 1));
      f.state = 'waiting';
      f.loaded = 0;
      f.retryAt = this.now() + wait;
      f.note = waitingNote(code === 'rate_limited' ? 'rate_limited' : 'network', wait);
      this.outbox.changed();
      this.pump();
      return;
    }
    this.refuse(p, f, err);
  }

  /** `f` will not be uploaded: it fails with a sentence, and its message goes on without it. */
  refuse(p, f, err) {
    f.state = 'failed';
    f.error = uploadRefusal(f.name, err);
    f.loaded = 0;
    this.settle(p);
    // A message that failed shows why itself; one that goes on without this file says so.
    if (p.state !== 'failed') this.onRefused(f.error);
  }

  /** A file of `p` finished one way or the other. */
  settle(p) {
    if (filesSettled(p) && !p.text.trim() && !p.files.some((f) => f.state === 'done')) {
      // Nothing is left to send: the message fails (Retry uploads again).
      p.state = 'failed';
      p.error = p.files.length === 1 ? 'the file could not be uploaded.' : 'none of its files could be uploaded.';
    }
    this.outbox.save();
    this.pump();
    if (filesSettled(p)) this.onReady();
  }

  /** Cancels (or removes) the file `key`: its message goes without it, or is dropped if nothing is left. */
  cancel(key) {
    const hit = this.find(key);
    if (!hit) return;
    const { p, f } = hit;
    this.running.get(key)?.abort();
    this.running.delete(key);
    p.files = p.files.filter((x) => x !== f);
    if (!p.files.length && !p.text.trim()) {
      this.outbox.discard(p.client_id);
    } else {
      if (p.state === 'failed' && p.files.some((x) => x.state !== 'failed')) { p.state = 'queued'; p.error = ''; }
      this.outbox.save();
      if (filesSettled(p)) this.onReady();
    }
    this.pump();
  }

  /** The person asked to retry message `clientId`: its refused files upload again. */
  retry(clientId) {
    const p = this.outbox.list.find((x) => x.client_id === clientId);
    if (!p?.files) return;
    for (const f of p.files) {
      if (f.state === 'failed') { f.state = 'waiting'; f.error = undefined; f.tries = 0; f.retryAt = 0; }
    }
  }

  /** The connection is back: what waits for the network goes now. */
  wake() {
    for (const p of this.outbox.list) for (const f of p.files || []) if (f.state === 'waiting' && f.note === waitingNote('network')) f.retryAt = 0;
    this.pump();
  }

  /** Files gone from the outbox: their uploads end and their bytes are forgotten. */
  sync() {
    const now = new Set(this.keys());
    for (const key of this.known) {
      if (now.has(key)) continue;
      this.running.get(key)?.abort();
      this.running.delete(key);
      this.blobs.delete(key);
    }
    this.known = now;
  }

  /** Stops everything (sign-out, leaving the room); saved files stay for the next start. */
  stop() {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    for (const slot of this.running.values()) slot.abort();
    this.running.clear();
  }
}
