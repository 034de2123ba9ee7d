// Contract section 10 (first part), against a real wrangler dev: mentions in
// messages and edits, the mention count and notification level in
// GET /api/rooms, and PUT /api/rooms/{name}/notifications.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, register, connectReady, createRoom, joinRoom, sendMessage } from '../lib/api.mjs';

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
}
const mine = async (user, room) => (await api('GET', '/api/rooms', { token: user.token })).body.rooms.find((r) => r.name === room);

test('messages list the members they mention; @room only from the owner and moderators', async () => {
  const alice = await register('mn');
  const bob = await register('mn');
  const outsider = await register('mn');
  const room = await createRoom(alice);
  await joinRoom(bob, room);
  const a = await connectReady(room, { token: alice.token });
  const b = await connectReady(room, { token: bob.token });
  await sendMessage(b.client, `hey @${alice.username.toUpperCase()} and @${outsider.username}, mail@${alice.username}.x`);
  assert.deepEqual((await a.client.next('message')).mentions, [alice.username]);
  await sendMessage(b.client, '@room anyone?');
  assert.deepEqual((await a.client.next('message')).mentions, []);
  await sendMessage(a.client, '@room standup');
  assert.deepEqual((await b.client.next((f) => f.type === 'message' && f.author === alice.username)).mentions,
    [alice.username, bob.username].sort());
  const ack = await sendMessage(b.client, 'no one');
  b.client.send({ type: 'edit', client_id: 'e1', target: ack.seq, text: `now @${alice.username}` });
  const edit = await a.client.next('edit');
  assert.deepEqual(edit.mentions, [alice.username]);
  const page = await api('GET', `/api/rooms/${room}/messages`, { token: alice.token });
  assert.deepEqual(page.body.messages.find((m) => m.seq === ack.seq).mentions, [alice.username]);
  a.client.close();
  b.client.close();
});

test('GET /api/rooms counts unread mentions of the caller and shows the level', async () => {
  const alice = await register('mc');
  const bob = await register('mc');
  const room = await createRoom(alice);
  await joinRoom(bob, room);
  const b = await connectReady(room, { token: bob.token });
  const first = await sendMessage(b.client, `@${alice.username} one`);
  await sendMessage(b.client, 'plain');
  await sendMessage(b.client, `@${alice.username} two`);
  let entry = await mine(alice, room);
  assert.equal(entry.mentions, 2);
  assert.equal(entry.unread, 3);
  assert.equal(entry.notify, 'mentions');
  assert.equal((await api('POST', `/api/rooms/${room}/read`, { token: alice.token, body: { seq: first.seq } })).status, 204);
  entry = await mine(alice, room);
  assert.equal(entry.mentions, 1);
  assert.equal((await mine(bob, room)).mentions, 0);
  b.client.close();
});

test('notification levels: per member, validated, DMs default to all', async () => {
  const alice = await register('ml');
  const bob = await register('ml');
  const eve = await register('ml');
  const room = await createRoom(alice);
  await joinRoom(bob, room);
  const put = (user, level, r = room) => api('PUT', `/api/rooms/${r}/notifications`, { token: user.token, body: { level } });
  const set = await put(bob, 'none');
  assert.equal(set.status, 200);
  assert.deepEqual(set.body, { level: 'none' });
  assert.equal((await mine(bob, room)).notify, 'none');
  assert.equal((await mine(alice, room)).notify, 'mentions');
  assert.deepEqual((await put(bob, 'all')).body, { level: 'all' });
  assertError(await put(bob, 'loud'), 400, 'bad_request');
  assertError(await api('PUT', `/api/rooms/${room}/notifications`, { token: bob.token, body: { level: 'all', x: 1 } }), 400, 'bad_request');
  assertError(await put(eve, 'all'), 403, 'forbidden');
  const dm = (await api('POST', '/api/dms', { token: alice.token, body: { username: bob.username } })).body;
  assert.equal(dm.notify, 'all');
  assert.equal((await put(alice, 'mentions', dm.name)).status, 200);
  assert.equal((await mine(alice, dm.name)).notify, 'mentions');
  assertError(await put(eve, 'all', dm.name), 404, 'not_found');
});
