// Messages that are not yet stored by the server ("sending" or "failed"), kept
// per user and room in localStorage so they survive a reload or a lost
// connection and go out later with the same client_id (the server de-duplicates).

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
      .map((p) => ({ ...p, state: p.state === 'failed' ? 'failed' : 'queued', conn: 0 }));
  } catch {
    return [];
  }
}

/** Saves a room's pending messages (removes the key when none are left). */
export function saveOutbox(me, room, list) {
  try {
    if (!list.length) localStorage.removeItem(key(me, room));
    else {
      const slim = list.map(({ client_id, text, reply_to, ts, state, error }) => ({ client_id, text, reply_to, ts, state, error }));
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
}
