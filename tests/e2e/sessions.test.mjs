// Issue #12 items 8 and 9: a socket never outlives its session's token, and one
// user cannot pin unbounded sockets in a room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register, createRoom, joinRoom, connect, connectReady } from '../lib/api.mjs';
import { decode, sign } from '../lib/jwt.mjs';

test('a socket is closed with 1008 when its token expires, even if it never sends a frame', async () => {
  const owner = await register('own');
  const room = await createRoom(owner);
  const { header, claims } = decode(owner.token);
  const exp = Math.floor(Date.now() / 1000) + 3;
  const short = sign(header, { ...claims, exp });
  const { client } = await connectReady(room, { token: short });
  // One ping (answered by the runtime without waking the room), as the web
  // client sends at open; after that the socket is silent.
  client.send({ type: 'ping' });
  await client.next('pong');
  const closed = await client.waitClose(8000);
  const late = Date.now() - exp * 1000;
  assert.equal(closed.code, 1008);
  assert.ok(late >= 0, `closed ${-late} ms before the expiry`);
  assert.ok(late < 2000, `closed ${late} ms after the expiry`);
});

test('a user holds at most 10 sockets in a room; the next is refused with 429 before the upgrade', async () => {
  const owner = await register('own');
  const room = await createRoom(owner);
  const bob = await register('bob');
  await joinRoom(bob, room);
  const open = [];
  for (let i = 0; i < 10; i++) open.push((await connectReady(room, { token: bob.token })).client);
  const refused = await connect(room, { token: bob.token }).then(() => null, (e) => e);
  assert.ok(refused, 'the 11th socket was accepted');
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error.code, 'rate_limited');
  // Another member is not affected.
  const other = await connectReady(room, { token: owner.token });
  other.client.close();
  // Closing one frees a place.
  open[0].close();
  await open[0].waitClose(15000);
  let again = null;
  for (let i = 0; i < 20 && !again; i++) {
    again = await connect(room, { token: bob.token }).catch(() => null);
    if (!again) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(again, 'no socket after one was closed');
  for (const c of [...open.slice(1), again]) c.close();
});
