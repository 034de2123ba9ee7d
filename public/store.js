// One room's client-side state: the room's info, messages by seq
// (de-duplicated), the pending outbox, members, typing, the read marker,
// unread and mention counts, the notification level, and which history requests are waiting for an answer. It
// applies server frames and tells its listener what changed; it knows nothing
// about sockets, timers or the DOM (sending goes through a function it is given).

import { Outbox } from './outbox.js';
import { mentionsMe } from './mentions.js';

const MIN_RETRY_MS = 250;

export class RoomStore {
  /** `info` is the room as the room list (or create/join) described it. */
  constructor(name, me, info = {}) {
    this.name = name;
    this.me = me;
    this.messages = new Map();
    this.order = [];
    this.lastSeq = 0;
    this.readSeq = info.read_seq ?? 0;
    this.unread = info.unread ?? 0;
    /** Unread messages that mention me (contract section 10). */
    this.mentions = info.mentions ?? 0;
    /** My notification level here: 'all' | 'mentions' | 'none'. */
    this.notify = info.notify ?? defaultLevel(info);
    /** Messages up to this seq are already in `unread` (or read). */
    this.counted = info.last_seq ?? 0;
    this.loaded = false;
    this.hasMore = false;
    this.loadingOlder = false;
    /** History requests in flight, oldest first: 'latest' or 'older'. */
    this.historyQueue = [];
    this.room = { title: '', topic: '', visibility: 'public', ...roomFields(info), name };
    this.role = info.role ?? null;
    this.members = new Map();
    this.typing = new Map();
    this.outbox = new Outbox(me, name, () => this.tell('pending'));
    this.listener = null;
  }

  /** The view registers here: fn(kind, payload). */
  listen(fn) { this.listener = fn; }
  tell(kind, payload) { if (this.listener) this.listener(kind, payload); }

  // ---- the connection --------------------------------------------------

  /** The socket's `ready` frame: room, role, members and read marker. */
  ready(f) {
    Object.assign(this.room, roomFields(f.room || {}));
    this.role = f.you?.role ?? null;
    this.readSeq = Math.max(this.readSeq, f.read_seq ?? 0);
    this.setMembers(Array.isArray(f.members) ? f.members : []);
    // A fresh (not resumed) connection sends the newest page by itself; a
    // request made on the previous connection will not be answered.
    this.historyQueue = f.resumed ? [] : ['latest'];
    this.loadingOlder = false;
    if (!f.resumed) this.lastSeq = f.last_seq ?? this.lastSeq;
    this.tell('room');
    this.tell('role');
    this.tell('ready');
  }

  /** The room as the room list describes it now; `looking()`: is the person reading it? */
  listed(info, looking) {
    const wasCounted = this.counted;
    Object.assign(this.room, roomFields(info));
    if (!this.role && info.role) this.role = info.role;
    // Changed in another tab or device: the bell shows it at the next refresh.
    if (info.notify && info.notify !== this.notify) { this.notify = info.notify; this.tell('notify'); }
    if ((info.last_seq ?? 0) >= wasCounted) {
      this.unread = info.unread ?? 0;
      this.mentions = info.mentions ?? 0;
      this.counted = info.last_seq ?? 0;
    }
    if (looking()) { this.unread = 0; this.mentions = 0; }
  }

  /** My notification level changed (the server said so). */
  setNotify(level) {
    this.notify = level;
    this.tell('notify');
  }

  // ---- unread and read ----------------------------------------------------

  /** Counts someone else's new message (`fresh`: applyEvent's answer) unless I am `looking()`; true when the badge grew. */
  countUnread(f, fresh, looking) {
    if (f.type !== 'message' || !fresh || f.author === this.me) return false;
    if (f.seq <= this.readSeq || f.seq <= this.counted) return false;
    this.counted = f.seq;
    if (looking()) return false;
    this.unread++;
    if (mentionsMe(f, this.me)) this.mentions++;
    return true;
  }

  /** Our read marker moved elsewhere (another tab or device); true when the badge cleared. */
  readElsewhere(seq) {
    if (seq > this.readSeq) this.readSeq = seq;
    if (seq < this.counted) return false;
    this.unread = 0;
    this.mentions = 0;
    return true;
  }

  /** Read up to `seq` here: the marker moves (never back) if `send` told the server; true when there was a badge. */
  readUpTo(seq, send) {
    const hadBadge = this.unread !== 0 || this.mentions !== 0;
    if (seq > this.readSeq && send({ type: 'read', seq })) this.readSeq = seq;
    if (seq > this.counted) this.counted = seq;
    this.unread = 0;
    this.mentions = 0;
    return hadBadge;
  }

  // ---- history --------------------------------------------------------------

  /** A history request went out ('latest' or 'older'). */
  requested(kind) {
    this.historyQueue.push(kind);
    if (kind === 'older') this.loadingOlder = true;
  }

  /** The seq to page back from, or undefined when no older page can be asked for now. */
  olderCursor() {
    if (!this.loaded || !this.hasMore || this.loadingOlder) return undefined;
    return this.order[0];
  }

  /** A refused 'older' request will be asked again (or given up): not loading now. */
  stopLoadingOlder() { this.loadingOlder = false; }

  /** A `history` frame: the answer to the oldest request still waiting. */
  history(f) {
    const kind = this.historyQueue.shift() || 'latest';
    const msgs = Array.isArray(f.messages) ? f.messages : [];
    if (kind === 'older') this.prependHistory(msgs, !!f.has_more);
    else this.resetHistory(msgs, !!f.has_more);
  }

  // ---- the outbox (see outbox.js) ------------------------------------------

  get pending() { return this.outbox.list; }

  /** An `ack` frame: the server stored our message as `f.seq`. */
  ack(f) {
    // The message event (same client_id) normally came first and already
    // replaced it; if not, the pending copy stays until the message shows.
    this.outbox.acked(f.client_id, f.seq, this.messages.has(f.seq) || !this.loaded);
  }

  /**
   * An `error` frame. Returns what the caller has to do:
   * { retrySends: ms } (a send was rate limited: it is queued again),
   * { retryHistory: 'latest' | 'older', after: ms } (a history request was
   * refused by the rate limit; an 'older' one still shows as loading),
   * { toast: message } (anything else worth telling), or null.
   */
  error(f) {
    const wait = Math.max(MIN_RETRY_MS, f.retry_after_ms || 1000);
    // A DM under a block: the view says so above the composer.
    if (f.code === 'blocked') this.tell('blocked', true);
    if (f.client_id && this.outbox.has(f.client_id)) {
      return this.outbox.refused(f.client_id, f.code, f.message) ? { retrySends: wait } : null;
    }
    if (f.code === 'rate_limited' && !f.client_id && this.historyQueue.length) {
      // Frames are answered in order, so this refuses the oldest history
      // request still waiting: it is asked again later, without a toast
      // (paging back a long way is ordinary; the limit only slows it down).
      return { retryHistory: this.historyQueue.shift(), after: wait };
    }
    return f.message ? { toast: f.message } : null;
  }

  /** The newest history page: replaces what we had (pending messages stay). */
  resetHistory(messages, hasMore) {
    this.messages.clear();
    this.order = [];
    for (const m of messages) this.put(m);
    this.order.sort((a, b) => a - b);
    this.hasMore = hasMore;
    this.loaded = true;
    this.outbox.stored(messages);
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
          this.outbox.stored([msg]);
          this.tell('append', msg);
        } else {
          this.outbox.stored([f]);
        }
        return fresh;
      }
      case 'edit': {
        const m = this.messages.get(f.target);
        if (m) {
          m.text = f.text; m.edited_at = f.edited_at;
          // Mentions are recomputed on edit; an older server sends none.
          if (Array.isArray(f.mentions)) m.mentions = f.mentions;
          this.tell('update', m);
        }
        return fresh;
      }
      case 'delete': {
        const m = this.messages.get(f.target);
        if (m) { m.deleted = true; m.text = ''; m.reactions = {}; m.attachments = []; this.tell('update', m); }
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
        this.room.member_count = this.members.size;
        this.tell('members');
        if (f.user === this.me) this.tell('role');
        return fresh;
      }
      case 'room': {
        Object.assign(this.room, { title: f.title, topic: f.topic, visibility: f.visibility });
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

/** The room's own fields of a Room object (role, read_seq, unread, mentions and notify live apart). */
function roomFields(info) {
  const { role, read_seq, unread, mentions, notify, ...room } = info;
  return room;
}

/** The server's default level: every message in a DM, mentions elsewhere. */
function defaultLevel(info) {
  return info.kind === 'dm' ? 'all' : 'mentions';
}

function normalize(m) {
  return {
    seq: m.seq, author: m.author, text: m.text ?? '', ts: m.ts, client_id: m.client_id,
    reply_to: m.reply_to ?? null, edited_at: m.edited_at ?? null, deleted: !!m.deleted,
    reactions: m.reactions && typeof m.reactions === 'object' ? { ...m.reactions } : {},
    mentions: Array.isArray(m.mentions) ? m.mentions : [],
    attachments: Array.isArray(m.attachments) && !m.deleted ? m.attachments : [],
  };
}
