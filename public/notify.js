// In-page notifications: while the tab is open but hidden, a new message
// that the room's level asks for (all / mentions / every message in a DM)
// shows a browser notification, if permission was granted. These come from
// our own sockets; the server pushes (sw.js) only to people with no socket
// in that room, so one message never shows twice. One tag per room: a newer
// message replaces the older one (and another tab's copy) instead of piling up.

import { mentionsMe, levelAllows } from './mentions.js';
import { preview } from './format.js';
import { displayName } from './profiles.js';
import { isBlocked } from './dms.js';
import { state } from './state.js';
import { serviceWorker } from './push.js';

const STALE_MS = 5 * 60 * 1000; // replayed after a long disconnect: old news

let openAt = () => {};

/** `open(room, seq)` shows a room at a message (app.js routes it). */
export function initNotify(open) { openAt = open; }

/** What the notification says: { title, body } for message `f` in `store`'s room. */
export function notificationText(store, f, mentioned) {
  const who = displayName(f.author);
  const dm = store.room?.kind === 'dm';
  const where = store.room?.title || store.name;
  const title = dm ? who : mentioned ? `${who} mentioned you in #${where}` : `${who} in #${where}`;
  const body = preview(f.text || '', 200) || (f.attachments?.length ? 'Sent an attachment' : '');
  return { title, body };
}

/** Called for each new message from a socket (rooms.js). */
export function onSocketMessage(store, f) {
  if (document.visibilityState !== 'hidden') return;
  if (typeof Notification !== 'function' || Notification.permission !== 'granted') return;
  if (!f || f.author === state.me?.username || f.deleted || isBlocked(f.author)) return;
  if (typeof f.ts === 'number' && Date.now() - f.ts > STALE_MS) return;
  const mentioned = mentionsMe(f, state.me?.username);
  if (!levelAllows(store.notify, { mentioned, dm: store.room?.kind === 'dm' })) return;
  const { title, body } = notificationText(store, f, mentioned);
  const options = { body, tag: `room:${store.name}`, data: { room: store.name, seq: f.seq }, icon: '/favicon.svg' };
  show(title, options, store.name, f.seq);
}

function show(title, options, room, seq) {
  try {
    const n = new Notification(title, options);
    n.onclick = () => {
      window.focus();
      openAt(room, seq);
      n.close();
    };
  } catch {
    // Some browsers (Android) only show notifications through the service
    // worker; its notificationclick opens the room then.
    serviceWorker().then((reg) => reg?.showNotification(title, options)).catch(() => {});
  }
}
