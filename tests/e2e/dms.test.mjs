// Contract section 8, direct messages and blocking, against a real wrangler dev:
// one DM per pair (also when both start it at once), the DM as a room (socket,
// history, resume), leave closing it until the other person sends, blocks
// refusing sends with nothing stored, and every route's bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, register, connect, connectReady, createRoom, joinRoom, noFrame, sendMessage, waitClosing,
} from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, 'string');
}

const openDm = (user, username) => api('POST', '/api/dms', { token: user.token, body: { username } });
const myRooms = async (user) => (await api('GET', '/api/rooms', { token: user.token })).body.rooms;
const block = (user, other) => api('PUT', `/api/me/blocks/${other}`, { token: user.token });
const unblock = (user, other) => api('DELETE', `/api/me/blocks/${other}`, { token: user.token });

test('a DM is a private, ownerless room of two, the same for both people', async () => {
  const alice = await register('dma');
  const bob = await register('dmb');
  const created = await openDm(alice, bob.username.toUpperCase());
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const dm = created.body;
  assert.match(dm.name, /^dm-[0-9a-f]+$/);
  assert.ok(dm.name.length <= 32);
  assert.equal(dm.kind, 'dm');
  assert.equal(dm.owner, null);
  assert.equal(dm.visibility, 'private');
  assert.equal(dm.peer, bob.username);
  assert.equal(dm.member_count, 2);
  assert.equal(dm.role, 'member');
  const again = await openDm(bob, alice.username);
  assert.equal(again.status, 200);
  assert.equal(again.body.name, dm.name);
  assert.equal(again.body.peer, alice.username);
  // Both lists have it (with kind and peer); rooms say they are rooms.
  const room = await createRoom(alice);
  const aliceList = await myRooms(alice);
  assert.deepEqual(aliceList.map((r) => [r.name, r.kind]).sort(), [[dm.name, 'dm'], [room, 'room']].sort());
  assert.equal(aliceList.find((r) => r.name === room).owner, alice.username);
  assert.equal((await myRooms(bob)).find((r) => r.name === dm.name)?.peer, alice.username);
  const info = await api('GET', `/api/rooms/${dm.name}`, { token: bob.token });
  assert.equal(info.status, 200);
  assert.deepEqual(info.body.members.map((m) => [m.username, m.role]).sort(),
    [[alice.username, 'member'], [bob.username, 'member']].sort());
  // Never in the directory, whatever the query.
  for (const q of ['', 'dm-', dm.name]) {
    const dir = await api('GET', `/api/rooms/directory?q=${q}`, { token: alice.token });
    assert.ok(!dir.body.rooms.some((r) => r.name === dm.name));
  }
});

test('two people starting their DM at once get one room', async () => {
  for (let round = 0; round < 4; round++) {
    const alice = await register('dmr');
    const bob = await register('dmr');
    const answers = await Promise.all([openDm(alice, bob.username), openDm(bob, alice.username),
      openDm(alice, bob.username)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 201], JSON.stringify(answers.map((a) => a.body)));
    assert.equal(new Set(answers.map((a) => a.body.name)).size, 1);
  }
});

test('POST /api/dms: unknown user, oneself, malformed bodies, DM names for rooms', async () => {
  const alice = await register('dme');
  assertError(await openDm(alice, 'nobody_here_zz'), 404, 'not_found');
  assertError(await openDm(alice, alice.username), 400, 'bad_request');
  assertError(await openDm(alice, alice.username.toUpperCase()), 400, 'bad_request');
  assertError(await openDm(alice, 'no spaces'), 400, 'bad_request');
  assertError(await api('POST', '/api/dms', { token: alice.token, body: {} }), 400, 'bad_request');
  assertError(await api('POST', '/api/dms', { token: alice.token, body: { username: 'bob', extra: 1 } }), 400, 'bad_request');
  assertError(await api('POST', '/api/dms', { token: alice.token, body: { username: 7 } }), 400, 'bad_request');
  assertError(await api('POST', '/api/dms', { body: { username: 'bob' } }), 401, 'unauthorized');
  assertError(await api('GET', '/api/dms', { token: alice.token }), 404, 'not_found');
  assertError(await api('POST', '/api/rooms', { token: alice.token, body: { name: 'dm-abc' } }), 400, 'bad_request');
  assertError(await api('POST', '/api/rooms', { token: alice.token, body: { name: 'dm-0123456789abcdef01234567' } }), 400, 'bad_request');
});

test('a cross-site form cannot start a DM or block with the cookie', async () => {
  const alice = await register('dmx');
  const bob = await register('dmx');
  const cookie = `chat_session=${alice.token}`;
  const evil = { Cookie: cookie, Origin: 'https://evil.example' };
  const r = await api('POST', '/api/dms', { headers: evil, body: { username: bob.username } });
  assertError(r, 403, 'bad_origin');
  assertError(await api('PUT', `/api/me/blocks/${bob.username}`, { headers: evil }), 403, 'bad_origin');
  assert.deepEqual(await myRooms(alice), []);
});

test('the DM works as a room: socket, history, resume, read markers, unread', async () => {
  const alice = await register('dmw');
  const bob = await register('dmw');
  const { name } = (await openDm(alice, bob.username)).body;
  const a = await connectReady(name, { token: alice.token });
  assert.equal(a.ready.room.kind, 'dm');
  assert.equal(a.ready.room.peer, bob.username);
  assert.equal(a.ready.room.owner, null);
  assert.equal(a.ready.last_seq, 0);
  const b = await connectReady(name, { token: bob.token });
  const ack = await sendMessage(a.client, 'hello bob');
  assert.equal(ack.seq, 1);
  const got = await b.client.next('message');
  assert.equal(got.text, 'hello bob');
  const react = { type: 'react', client_id: 'r1', target: 1, emoji: '👍', add: true };
  b.client.send(react);
  assert.equal((await b.client.next((f) => f.type === 'ack' && f.client_id === 'r1')).seq, 2);
  const listed = (await myRooms(bob)).find((r) => r.name === name);
  assert.equal(listed.unread, 1);
  b.client.send({ type: 'read', seq: 2 });
  await a.client.next('read');
  assert.equal((await myRooms(bob)).find((r) => r.name === name).unread, 0);
  b.client.close();
  await sendMessage(a.client, 'second');
  const resumed = await connectReady(name, { token: bob.token, since: 2 });
  assert.equal(resumed.ready.resumed, true);
  assert.equal((await resumed.client.next('message')).text, 'second');
  const page = await api('GET', `/api/rooms/${name}/messages`, { token: bob.token });
  assert.deepEqual(page.body.messages.map((m) => m.text), ['hello bob', 'second']);
  a.client.close();
  resumed.client.close();
});

test('nobody else can see, join, read or open a socket to a DM', async () => {
  const alice = await register('dmo');
  const bob = await register('dmo');
  const eve = await register('dmo');
  const { name } = (await openDm(alice, bob.username)).body;
  for (const [method, path] of [['GET', ''], ['POST', '/join'], ['GET', '/messages'], ['POST', '/leave'],
    ['POST', '/read'], ['PATCH', ''], ['DELETE', '']]) {
    const body = method === 'PATCH' ? { title: 'x' } : path === '/read' ? { seq: 1 } : undefined;
    assertError(await api(method, `/api/rooms/${name}${path}`, { token: eve.token, body }), 404, 'not_found');
  }
  const refused = await connect(name, { token: eve.token }).then(() => null, (e) => e);
  assert.equal(refused.status, 404);
  assert.equal(refused.body.error.code, 'not_found');
});

test('room administration on a DM is forbidden', async () => {
  const alice = await register('dmf');
  const bob = await register('dmf');
  const carol = await register('dmf');
  const { name } = (await openDm(alice, bob.username)).body;
  const t = { token: alice.token };
  assertError(await api('PATCH', `/api/rooms/${name}`, { ...t, body: { visibility: 'public' } }), 403, 'forbidden');
  assertError(await api('DELETE', `/api/rooms/${name}`, t), 403, 'forbidden');
  assertError(await api('POST', `/api/rooms/${name}/invites`, { ...t, body: { username: carol.username } }), 403, 'forbidden');
  assertError(await api('POST', `/api/rooms/${name}/invites`, { ...t, body: { username: 'never_registered' } }), 403, 'forbidden');
  assertError(await api('POST', `/api/rooms/${name}/kick`, { ...t, body: { username: bob.username } }), 403, 'forbidden');
  assertError(await api('POST', `/api/rooms/${name}/bans`, { ...t, body: { username: bob.username } }), 403, 'forbidden');
  assertError(await api('DELETE', `/api/rooms/${name}/bans/${bob.username}`, t), 403, 'forbidden');
  assertError(await api('PUT', `/api/rooms/${name}/members/${bob.username}`, { ...t, body: { role: 'moderator' } }), 403, 'forbidden');
  const info = await api('GET', `/api/rooms/${name}`, t);
  assert.equal(info.body.visibility, 'private');
  assert.equal(info.body.member_count, 2);
});

test('leave closes the DM until the other person sends; POST /api/dms reopens it at once', async () => {
  const alice = await register('dml');
  const bob = await register('dml');
  const { name } = (await openDm(alice, bob.username)).body;
  const a = await connectReady(name, { token: alice.token });
  await sendMessage(a.client, 'first');
  const b = await connectReady(name, { token: bob.token });
  const left = await api('POST', `/api/rooms/${name}/leave`, { token: bob.token });
  assert.equal(left.status, 204);
  assert.equal((await waitClosing(b.client)).code, 1000);
  assert.ok(!(await myRooms(bob)).some((r) => r.name === name));
  assert.ok((await myRooms(alice)).some((r) => r.name === name));
  // Alice is not told that bob closed it.
  await noFrame(a.client, (f) => f.type === 'member', 300);
  // History stays.
  const page = await api('GET', `/api/rooms/${name}/messages`, { token: bob.token });
  assert.deepEqual(page.body.messages.map((m) => m.text), ['first']);
  // Alice sends: back in bob's list, with the unread count.
  await sendMessage(a.client, 'still there?');
  const back = (await myRooms(bob)).find((r) => r.name === name);
  assert.ok(back, 'the DM came back');
  assert.equal(back.unread, 2, 'both messages bob never read');
  // Closing again and reopening from bob's side is immediate.
  await api('POST', `/api/rooms/${name}/leave`, { token: bob.token });
  assert.ok(!(await myRooms(bob)).some((r) => r.name === name));
  const reopened = await openDm(bob, alice.username);
  assert.equal(reopened.status, 200);
  assert.ok((await myRooms(bob)).some((r) => r.name === name));
  a.client.close();
});

test('blocks: list, idempotent put and delete, bad input', async () => {
  const alice = await register('dbk');
  const bob = await register('dbk');
  const carol = await register('dbk');
  const list = async () => (await api('GET', '/api/me/blocks', { token: alice.token })).body;
  assert.deepEqual(await list(), { users: [] });
  assert.equal((await block(alice, bob.username.toUpperCase())).status, 204);
  assert.equal((await block(alice, bob.username)).status, 204);
  assert.equal((await block(alice, carol.username)).status, 204);
  assert.deepEqual(await list(), { users: [bob.username, carol.username].sort() });
  assert.equal((await unblock(alice, carol.username)).status, 204);
  assert.equal((await unblock(alice, carol.username)).status, 204);
  assert.deepEqual(await list(), { users: [bob.username] });
  assertError(await block(alice, alice.username), 400, 'bad_request');
  assertError(await block(alice, 'Not_Valid!'), 400, 'bad_request');
  assertError(await block(alice, 'nobody_here_zz'), 404, 'not_found');
  assertError(await api('GET', '/api/me/blocks'), 401, 'unauthorized');
  assertError(await api('POST', `/api/me/blocks/${bob.username}`, { token: alice.token }), 404, 'not_found');
  // Another user's list is their own.
  assert.deepEqual((await api('GET', '/api/me/blocks', { token: bob.token })).body, { users: [] });
});

test('while either person blocks the other, the DM refuses sends and stores nothing', async () => {
  const alice = await register('dbs');
  const bob = await register('dbs');
  const { name } = (await openDm(alice, bob.username)).body;
  const a = await connectReady(name, { token: alice.token });
  const b = await connectReady(name, { token: bob.token });
  await sendMessage(a.client, 'before the block');
  await b.client.next('message');
  assert.equal((await block(bob, alice.username)).status, 204);
  for (const [who, other] of [[a, b], [b, a]]) {
    who.client.send({ type: 'send', client_id: `blk-${Math.random().toString(36).slice(2)}`, text: 'hello?' });
    const err = await who.client.next('error');
    assert.equal(err.code, 'blocked');
    assert.ok(err.client_id);
    await noFrame(other.client, (f) => f.type === 'message' && f.text === 'hello?', 300);
  }
  const page = await api('GET', `/api/rooms/${name}/messages`, { token: alice.token });
  assert.deepEqual(page.body.messages.map((m) => m.text), ['before the block']);
  assertError(await openDm(alice, bob.username), 403, 'blocked');
  assertError(await openDm(bob, alice.username), 403, 'blocked');
  // Unblocked: sends go through again.
  assert.equal((await unblock(bob, alice.username)).status, 204);
  const ack = await sendMessage(a.client, 'after the block');
  assert.equal(ack.seq, 2);
  assert.equal((await openDm(alice, bob.username)).status, 200);
  a.client.close();
  b.client.close();
});

test('a block before any DM refuses starting one; blocks change nothing in shared rooms', async () => {
  const alice = await register('dbn');
  const bob = await register('dbn');
  await block(alice, bob.username);
  assertError(await openDm(bob, alice.username), 403, 'blocked');
  assertError(await openDm(alice, bob.username), 403, 'blocked');
  assert.deepEqual(await myRooms(bob), []);
  const room = await createRoom(alice);
  await joinRoom(bob, room);
  const a = await connectReady(room, { token: alice.token });
  const b = await connectReady(room, { token: bob.token });
  await sendMessage(b.client, 'in a shared room');
  assert.equal((await a.client.next('message')).text, 'in a shared room');
  await unblock(alice, bob.username);
  assert.equal((await openDm(bob, alice.username)).status, 201);
  a.client.close();
  b.client.close();
});

test('a DM survives a restart: history, who closed it, and blocks', async () => {
  const server = await startServer();
  const base = server.url;
  try {
    const alice = await register('dmp', base);
    const bob = await register('dmp', base);
    const open = await api('POST', '/api/dms', { token: alice.token, body: { username: bob.username }, base });
    const { name } = open.body;
    const a = await connectReady(name, { token: alice.token, base });
    await sendMessage(a.client, 'kept');
    a.client.close();
    await api('POST', `/api/rooms/${name}/leave`, { token: alice.token, base });
    await api('PUT', `/api/me/blocks/${alice.username}`, { token: bob.token, base });
    await server.restart();
    const rooms = async (u) => (await api('GET', '/api/rooms', { token: u.token, base })).body.rooms;
    assert.ok(!(await rooms(alice)).some((r) => r.name === name), 'still closed for alice');
    const b = await connectReady(name, { token: bob.token, base });
    assert.deepEqual(b.history.messages.map((m) => m.text), ['kept']);
    b.client.send({ type: 'send', client_id: 'p1', text: 'x' });
    assert.equal((await b.client.next('error')).code, 'blocked');
    await api('DELETE', `/api/me/blocks/${alice.username}`, { token: bob.token, base });
    await sendMessage(b.client, 'unblocked');
    const back = (await rooms(alice)).find((r) => r.name === name);
    assert.equal(back?.unread, 1);
    b.client.close();
  } finally {
    await server.stop();
  }
});

test('the other person is told at once on their open sockets: a new DM, a DM back', async () => {
  const alice = await register('dmn');
  const bob = await register('dmn');
  const room = await createRoom(bob);
  const b = await connectReady(room, { token: bob.token });
  const { name } = (await openDm(alice, bob.username)).body;
  await b.client.next('rooms_changed');
  assert.ok((await myRooms(bob)).some((r) => r.name === name));
  // Bob closes it; alice's next message brings it back and tells him again.
  await api('POST', `/api/rooms/${name}/leave`, { token: bob.token });
  const a = await connectReady(name, { token: alice.token });
  await sendMessage(a.client, 'back?');
  await b.client.next('rooms_changed');
  assert.ok((await myRooms(bob)).some((r) => r.name === name));
  a.client.close();
  b.client.close();
});
