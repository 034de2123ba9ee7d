// Issue #12 item 1: a close the server starts from an HTTP request (leave,
// kick, ban, room delete, logout) must finish: a plain WebSocket client that
// waits for the TCP connection to end (`ws`'s 'close' event, not only the close
// frame) sees it within a second of the HTTP answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, register, createRoom, joinRoom, connectReady } from '../lib/api.mjs';

const FINISH_MS = 1000;

/** Opens a socket for `user` in `room`, runs `action`, and asserts the TCP close. */
async function closesWithin(room, user, action, code) {
  const { client } = await connectReady(room, { token: user.token });
  const r = await action();
  assert.ok(r.status < 300, `action answered ${r.status} ${JSON.stringify(r.body)}`);
  const answered = Date.now();
  const closed = await client.waitClose(FINISH_MS + 4000);
  const took = Date.now() - answered;
  assert.equal(closed.code, code);
  assert.ok(took <= FINISH_MS, `the TCP connection ended ${took} ms after the HTTP answer`);
}

// Still failing (workerd keeps the TCP connection until the room idles, about
// 10 s; see the closing note of issue #12): kept as `todo` so it runs and
// reports on every e2e run without failing it, until the fix lands.
test('leave, kick, ban, delete and logout end the TCP connection within 1 s', { todo: 'issue #12 item 1: TCP close lags ~10 s' }, async () => {
  const owner = await register('own');
  const room = await createRoom(owner);
  const post = (u, path, body) => api('POST', path, { token: u.token, body });

  const leaver = await register('lv');
  await joinRoom(leaver, room);
  await closesWithin(room, leaver, () => post(leaver, `/api/rooms/${room}/leave`), 1000);

  const kicked = await register('kk');
  await joinRoom(kicked, room);
  await closesWithin(room, kicked, () => post(owner, `/api/rooms/${room}/kick`, { username: kicked.username }), 4003);

  const banned = await register('bn');
  await joinRoom(banned, room);
  await closesWithin(room, banned, () => post(owner, `/api/rooms/${room}/bans`, { username: banned.username }), 4003);

  const out = await register('lo');
  await joinRoom(out, room);
  await closesWithin(room, out, () => post(out, '/api/auth/logout'), 4001);

  await closesWithin(room, owner, () => api('DELETE', `/api/rooms/${room}`, { token: owner.token }), 4004);
});
