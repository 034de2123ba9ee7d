// The service worker: shows Web Push messages (contract section 10) as
// notifications, and a click opens the room at that message, in an open tab
// if there is one. It has no fetch handler: the network behaves as without it.

/* eslint-env serviceworker */

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** { title, options } for a decrypted payload {type, room, seq, author, text, mention}. */
function describe(p) {
  const room = typeof p.room === 'string' ? p.room : '';
  const author = typeof p.author === 'string' ? p.author : 'Someone';
  // A push carries no display names or room kinds; a DM's name says it is one.
  const dm = room.startsWith('dm-');
  const title = dm ? author : p.mention ? `${author} mentioned you in #${room}` : `${author} in #${room}`;
  return {
    title,
    options: {
      body: typeof p.text === 'string' ? p.text : '',
      tag: `room:${room}`,
      icon: '/favicon.svg',
      data: { room, seq: Number.isInteger(p.seq) ? p.seq : null },
    },
  };
}

self.addEventListener('push', (event) => {
  let payload = null;
  try { payload = event.data ? event.data.json() : null; } catch { payload = null; }
  // userVisibleOnly: every push must show something, even one we cannot read.
  const { title, options } = payload && payload.type === 'message' && payload.room
    ? describe(payload)
    : { title: 'Chat', options: { body: 'You have new messages.', tag: 'chat', icon: '/favicon.svg', data: {} } };
  event.waitUntil(self.registration.showNotification(title, options));
});

/** The app's address of a room, at a message when known. */
function roomUrl(room, seq) {
  if (!room) return '/';
  return `/rooms/${encodeURIComponent(room)}${Number.isInteger(seq) ? `?seq=${seq}` : ''}`;
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const { room, seq } = event.notification.data || {};
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const own = windows.filter((c) => new URL(c.url).origin === self.location.origin);
    const target = own.find((c) => c.focused) || own.find((c) => c.visibilityState === 'visible') || own[0];
    if (target) {
      try { await target.focus(); } catch { /* focusing may be refused; the message still goes */ }
      target.postMessage({ type: 'open-room', room, seq });
      return;
    }
    await self.clients.openWindow(roomUrl(room, seq));
  })());
});
