// Contract section 10, Web Push, end to end: wrangler dev with PUSH_ORIGINS
// naming a fake push service on loopback, which checks every push's VAPID
// token and decrypts its body. Who is notified (level, mention, DM, open
// socket), 410 ending a subscription, logout ending the session's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, register, connectReady, createRoom, joinRoom, sendMessage } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';
import { startFakePush } from '../lib/fake-push.mjs';

let push;
let server;
let base;
before(async () => {
  push = await startFakePush();
  server = await startServer({ vars: { PUSH_ORIGINS: push.origin } });
  base = server.url;
});
after(async () => { await server?.stop(); await push?.stop(); });

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
}
const subscribe = (user, sub) => api('POST', '/api/me/push-subscriptions', { token: user.token, body: sub, base });
const noPush = async (path, since, ms = 1200) => {
  await new Promise((r) => setTimeout(r, ms));
  assert.deepEqual(push.received.slice(since).filter((r) => r.path === path), [], `no push to ${path}`);
};

test('the public key is served without authentication', async () => {
  const r = await api('GET', '/api/push/key', { base });
  assert.equal(r.status, 200);
  const key = Buffer.from(r.body.public_key, 'base64url');
  assert.equal(key.length, 65);
  assert.equal(key[0], 4);
  assert.doesNotMatch(r.body.public_key, /[=+/]/);
});

test('subscriptions: a browser subscription JSON is taken, bad ones are refused', async () => {
  const alice = await register('ps', base);
  const ok = await subscribe(alice, push.subscribe('/sub/ok'));
  assert.equal(ok.status, 201);
  assert.equal(typeof ok.body.id, 'string');
  const good = push.subscribe('/sub/x');
  for (const bad of [
    { ...good, endpoint: 'https://evil.example/push' },
    { ...good, endpoint: 'http://127.0.0.2:9/x' },
    { ...good, endpoint: 'not a url' },
    { ...good, keys: { ...good.keys, p256dh: good.keys.auth } },
    { ...good, keys: { ...good.keys, auth: good.keys.p256dh } },
    { ...good, extra: true },
    { endpoint: good.endpoint },
  ]) {
    assertError(await subscribe(alice, bad), 400, 'bad_request');
  }
  assertError(await api('POST', '/api/me/push-subscriptions', { body: good, base }), 401, 'unauthorized');
  assert.equal((await api('DELETE', `/api/me/push-subscriptions/${ok.body.id}`, { token: alice.token, base })).status, 204);
  assert.equal((await api('DELETE', `/api/me/push-subscriptions/${ok.body.id}`, { token: alice.token, base })).status, 204);
});

test('a mention pushes to an away member; levels, DMs and open sockets decide', async () => {
  const alice = await register('pm', base);
  const bob = await register('pm', base);
  const room = await createRoom(alice, {}, base);
  await joinRoom(bob, room, base);
  const path = `/sub/${bob.username}`;
  assert.equal((await subscribe(bob, push.subscribe(path))).status, 201);
  const key = (await api('GET', '/api/push/key', { base })).body.public_key;
  const a = await connectReady(room, { token: alice.token, base });

  let since = push.received.length;
  const ack = await sendMessage(a.client, `@${bob.username} lunch? ${'x'.repeat(300)}`);
  const got = await push.next(path, since);
  assert.equal(got.publicKey, key);
  assert.deepEqual(Object.keys(got.payload).sort(), ['author', 'mention', 'room', 'seq', 'text', 'type']);
  assert.equal(got.payload.type, 'message');
  assert.equal(got.payload.room, room);
  assert.equal(got.payload.seq, ack.seq);
  assert.equal(got.payload.author, alice.username);
  assert.equal(got.payload.mention, true);
  assert.equal([...got.payload.text].length, 200);

  // Level "mentions" (the default in rooms): a plain message does not push.
  since = push.received.length;
  await sendMessage(a.client, 'plain words');
  await noPush(path, since);
  // Level "all": it does, without the mention flag.
  await api('PUT', `/api/rooms/${room}/notifications`, { token: bob.token, body: { level: 'all' }, base });
  since = push.received.length;
  await sendMessage(a.client, 'everyone hears this');
  assert.equal((await push.next(path, since)).payload.mention, false);
  // An open socket in the room: no push.
  const b = await connectReady(room, { token: bob.token, base });
  since = push.received.length;
  await sendMessage(a.client, 'bob is here');
  await noPush(path, since);
  b.client.close();
  // Level "none": nothing, even a mention.
  await api('PUT', `/api/rooms/${room}/notifications`, { token: bob.token, body: { level: 'none' }, base });
  await new Promise((r) => setTimeout(r, 300));
  since = push.received.length;
  await sendMessage(a.client, `@${bob.username} are you there`);
  await noPush(path, since);
  // A DM notifies every message by default; the author never gets a push.
  const dm = (await api('POST', '/api/dms', { token: alice.token, body: { username: bob.username }, base })).body;
  const d = await connectReady(dm.name, { token: alice.token, base });
  since = push.received.length;
  await sendMessage(d.client, 'just between us');
  const direct = await push.next(path, since);
  assert.equal(direct.payload.room, dm.name);
  assert.equal(direct.payload.text, 'just between us');
  a.client.close();
  d.client.close();
  assert.deepEqual(push.problems, []);
});

test('a 410 ends the subscription; logout ends the session\'s subscriptions', async () => {
  const alice = await register('pg', base);
  const bob = await register('pg', base);
  const dm = (await api('POST', '/api/dms', { token: alice.token, body: { username: bob.username }, base })).body;
  const gone = `/gone/${bob.username}`;
  assert.equal((await subscribe(bob, push.subscribe(gone))).status, 201);
  const a = await connectReady(dm.name, { token: alice.token, base });
  let since = push.received.length;
  await sendMessage(a.client, 'first');
  await push.next(gone, since);
  // The server forgets the subscription once the service's 410 has reached it,
  // a moment after the service saw the push; no client-visible answer marks it.
  await new Promise((r) => setTimeout(r, 1000));
  since = push.received.length;
  await sendMessage(a.client, 'second');
  await noPush(gone, since);

  const live = `/sub/live-${bob.username}`;
  assert.equal((await subscribe(bob, push.subscribe(live))).status, 201);
  since = push.received.length;
  await sendMessage(a.client, 'third');
  await push.next(live, since);
  assert.equal((await api('POST', '/api/auth/logout', { token: bob.token, base })).status, 204);
  since = push.received.length;
  await sendMessage(a.client, 'after logout');
  await noPush(live, since);
  a.client.close();
  assert.deepEqual(push.problems, []);
});
