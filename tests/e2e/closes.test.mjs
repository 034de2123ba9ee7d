// Issue #12 item 1: a close the server starts from an HTTP request (leave,
// kick, ban, room delete, logout) must finish: a plain WebSocket client that
// waits for the TCP connection to end (`ws`'s 'close' event, not only the close
// frame) sees it within a second of the HTTP answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, register, createRoom, joinRoom, connectReady } from '../lib/api.mjs';

const FINISH_MS = 1000;

/**
 * Opens a socket for `user` in `room`, runs `action`, and asserts the TCP close.
 * With `ping`, the client first sends one `{"type":"ping"}` (as the web client
 * does as soon as its socket opens) and waits for the pong.
 */
async function closesWithin(room, user, action, code, { ping = true } = {}) {
  const { client } = await connectReady(room, { token: user.token });
  if (ping) {
    client.send({ type: 'ping' });
    await client.next('pong');
  }
  const r = await action();
  assert.ok(r.status < 300, `action answered ${r.status} ${JSON.stringify(r.body)}`);
  const answered = Date.now();
  const closed = await client.waitClose(FINISH_MS + 4000).catch(() => null);
  const took = Date.now() - answered;
  assert.ok(closed, `close ${code}: the TCP connection still open ${took} ms after the HTTP answer`);
  assert.equal(closed.code, code, `close ${code}: the socket closed with ${closed.code}`);
  assert.ok(took <= FINISH_MS, `close ${code}: the TCP connection ended ${took} ms after the HTTP answer`);
}

// A client that has sent any frame: every server-started close ends the TCP
// connection at once.
test('leave, kick, ban, delete and logout end the TCP connection within 1 s', async () => {
  await fivePaths({ ping: true });
});

// A client that never sent a single frame: workerd (wrangler 4.86) keeps the
// TCP connection of a hibernatable socket closed from a fetch handler until the
// object hibernates (~10 s). Plain JavaScript does the same:
// bench/close-linger/run.mjs reproduces it without any product code (see the
// README's "Closes" note). Kept as `todo` so every run reports it.
test('a client that never sent a frame is also closed within 1 s', { todo: 'workerd: close lingers ~10 s without a client frame (bench/close-linger)' }, async () => {
  await fivePaths({ ping: false });
});

async function fivePaths(opts) {
  const owner = await register('own');
  const room = await createRoom(owner);
  const post = (u, path, body) => api('POST', path, { token: u.token, body });

  const leaver = await register('lv');
  await joinRoom(leaver, room);
  await closesWithin(room, leaver, () => post(leaver, `/api/rooms/${room}/leave`), 1000, opts);

  const kicked = await register('kk');
  await joinRoom(kicked, room);
  await closesWithin(room, kicked, () => post(owner, `/api/rooms/${room}/kick`, { username: kicked.username }), 4003, opts);

  const banned = await register('bn');
  await joinRoom(banned, room);
  await closesWithin(room, banned, () => post(owner, `/api/rooms/${room}/bans`, { username: banned.username }), 4003, opts);

  const out = await register('lo');
  await joinRoom(out, room);
  await closesWithin(room, out, () => post(out, '/api/auth/logout'), 4001, opts);

  await closesWithin(room, owner, () => api('DELETE', `/api/rooms/${room}`, { token: owner.token }), 4004, opts);
}
