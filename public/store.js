// One room's client-side state: messages by seq (de-duplicated), the pending
// outbox, members, typing and room info. It applies server frames and tells
// its listener what changed; it knows nothing about sockets or the DOM.

import { loadOutbox, saveOutbox } from './outbox.js';

export class RoomStore {
  constructor(name, me) {
    this.name = name;
    this.me = me;
    this.messages = new Map();
    this.order = [];
    this.lastSeq = 0;
    this.readSeq = 0;
    this.loaded = false;
    this.hasMore = false;
    this.loadingOlder = false;
    this.room = null;
    this.role = null;
    this.members = new Map();
    this.typing = new Map();
    this.pending = loadOutbox(me, name);
    this.listener = null;
  }

  /** The view registers here: fn(kind, payload). */
  listen(fn) { this.listener = fn; }
  tell(kind, payload) { if (this.listener) this.listener(kind, payload); }

  savePending() { saveOutbox(this.me, this.name, this.pending); this.tell('pending'); }

  /** The newest history page: replaces what we had (pending messages stay). */
  resetHistory(messages, hasMore) {
    this.messages.clear();
    this.order = [];
    for (const m of messages) this.put(m);
    this.order.sort((a, b) => a - b);
    this.hasMore = hasMore;
    this.loaded = true;
    this.matchPending(messages);
    this.tell('reset');
  }

  /** An older history page: goes before what we have. */
  prependHistory(messages, hasMore) {
    const first = this.order[0] ?? Infinity;
    const added = [];
    for (const m of messages) {
      if (m.seq < first && !this.messages.has(m.seq)) { this.messages.set(m.seq, m); added.push(m); }
    }
    added.sort((a, b) => a.seq - b.seq);
    this.order = added.map((m) => m.seq).concat(this.order);
    this.hasMore = hasMore;
    this.loadingOlder = false;
    this.tell('prepend', added);
  }

  put(m) {
    const msg = normalize(m);
    if (!this.messages.has(msg.seq)) this.order.push(msg.seq);
    this.messages.set(msg.seq, msg);
    return msg;
  }

  /** Drops pending entries the server has stored (matched by our client_id). */
  matchPending(messages) {
    if (!this.pending.length) return;
    const ids = new Set(messages.filter((m) => m.author === this.me).map((m) => m.client_id));
    const before = this.pending.length;
    this.pending = this.pending.filter((p) => !ids.has(p.client_id));
    if (this.pending.length !== before) this.savePending();
  }

  /**
   * Applies a durable event (message, edit, delete, reaction, member, room).
   * Returns true when it was new (its seq was beyond everything seen).
   */
  applyEvent(f) {
    const fresh = f.seq > this.lastSeq;
    if (fresh) this.lastSeq = f.seq;
    switch (f.type) {
      case 'message': {
        if (this.typing.delete(f.author)) this.tell('typing');
        if (this.messages.has(f.seq)) return false;
        const last = this.order[this.order.length - 1] ?? 0;
        // Only keep it if it continues what we show (or we show nothing yet).
        if (this.loaded && f.seq > last) {
          const msg = this.put(f);
          this.matchPending([msg]);
          this.tell('append', msg);
        } else {
          this.matchPending([f]);
        }
        return fresh;
      }
      case 'edit': {
        const m = this.messages.get(f.target);
        if (m) { m.text = f.text; m.edited_at = f.edited_at; this.tell('update', m); }
        return fresh;
      }
      case 'delete': {
        const m = this.messages.get(f.target);
        if (m) { m.deleted = true; m.text = ''; m.reactions = {}; this.tell('update', m); }
        return fresh;
      }
      case 'reaction': {
        const m = this.messages.get(f.target);
        if (m && !m.deleted) {
          const list = m.reactions[f.emoji] || [];
          const has = list.includes(f.user);
          if (f.added && !has) m.reactions[f.emoji] = [...list, f.user];
          else if (!f.added && has) {
            const rest = list.filter((u) => u !== f.user);
            if (rest.length) m.reactions[f.emoji] = rest; else delete m.reactions[f.emoji];
          }
          this.tell('update', m);
        }
        return fresh;
      }
      case 'member': {
        if (f.role) {
          const cur = this.members.get(f.user);
          this.members.set(f.user, { username: f.user, role: f.role, online: cur ? cur.online : f.action === 'joined' });
        } else {
          this.members.delete(f.user);
        }
        if (f.user === this.me && f.role) this.role = f.role;
        if (this.room) this.room.member_count = this.members.size;
        this.tell('members');
        if (f.user === this.me) this.tell('role');
        return fresh;
      }
      case 'room': {
        if (this.room) Object.assign(this.room, { title: f.title, topic: f.topic, visibility: f.visibility });
        this.tell('room');
        return fresh;
      }
      default:
        return fresh;
    }
  }

  setMembers(list) {
    this.members = new Map(list.map((m) => [m.username, { ...m }]));
    this.tell('members');
  }

  setPresence(user, online) {
    const m = this.members.get(user);
    if (m) { m.online = online; this.tell('members'); }
  }

  setTyping(user) {
    if (user === this.me) return;
    this.typing.set(user, Date.now() + 5000);
    this.tell('typing');
  }

  /** The newest message of mine that can be edited. */
  lastOwnMessage() {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const m = this.messages.get(this.order[i]);
      if (m.author === this.me && !m.deleted) return m;
    }
    return null;
  }

  newestSeq() { return this.order[this.order.length - 1] ?? 0; }
}

function normalize(m) {
  return {
    seq: m.seq, author: m.author, text: m.text ?? '', ts: m.ts, client_id: m.client_id,
    reply_to: m.reply_to ?? null, edited_at: m.edited_at ?? null, deleted: !!m.deleted,
    reactions: m.reactions && typeof m.reactions === 'object' ? { ...m.reactions } : {},
  };
}
