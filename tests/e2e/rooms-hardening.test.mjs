// Issue #12 (hardening), rooms: an invited user's preview of a private room,
// the directory's "most recently active first" without lag, directory entries
// that an older update can never bring back, and room/account state that a
// stranger cannot grow (invites and bans of unknown users, owned-room cap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, register, connect, connectReady, createRoom, joinRoom, sendMessage, uniqueName, uniqueRoom,
} from '../lib/api.mjs';

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
}

const post = (user, path, body) => api('POST', path, { token: user.token, body });
const directory = async (user, q) => {
  const r = await api('GET', `/api/rooms/directory?q=${encodeURIComponent(q)}`, { token: user.token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.rooms.map((x) => x.name);
};

test('an invited user sees a private room (200 Room plus members) but not its messages or socket', async () => {
  const owner = await register('ip');
  const guest = await register('ip');
  const stranger = await register('ip');
  const room = await createRoom(owner, { visibility: 'private', title: 'Plans', topic: 'Secret plans' });
  await post(owner, `/api/rooms/${room}/invites`, { username: guest.username });
  const r = await api('GET', `/api/rooms/${room}`, { token: guest.token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.name, room);
  assert.equal(r.body.title, 'Plans');
  assert.equal(r.body.topic, 'Secret plans');
  assert.equal(r.body.visibility, 'private');
  assert.deepEqual(r.body.members.map((m) => [m.username, m.role]), [[owner.username, 'owner']]);
  assert.equal(r.body.role, undefined);
  assertError(await api('GET', `/api/rooms/${room}/messages`, { token: guest.token }), 403, 'forbidden');
  const refused = await connect(room, { token: guest.token }).then(() => null, (e) => e);
  assert.equal(refused?.status, 403);
  assert.equal(refused.body?.error?.code, 'forbidden');
  // A stranger still cannot tell the room exists.
  assertError(await api('GET', `/api/rooms/${room}`, { token: stranger.token }), 404, 'not_found');
});

test('directory: the first message in a quiet room moves it to the top at once', async () => {
  const u = await register('da');
  const tag = uniqueName('d').slice(0, 10);
  const a = await createRoom(u, { name: `${tag}-a` });
  await createRoom(u, { name: `${tag}-b` });
  assert.deepEqual(await directory(u, tag), [`${tag}-b`, `${tag}-a`]);
  const { client } = await connectReady(a, { token: u.token });
  await sendMessage(client, 'hello');
  // Read right after the ack, no polling.
  assert.deepEqual(await directory(u, tag), [`${tag}-a`, `${tag}-b`]);
  client.close();
});

// Older directory updates racing a removal (a join's upsert, still in flight
// while the room turns private or is deleted, arriving after the removal)
// must never bring the room back. Real requests, many rounds: without
// versioned entries some rounds leave a private or deleted room listed.
test('directory: a room turned private or deleted never reappears from an older update', async () => {
  const owner = await register('dv');
  const joiners = await Promise.all([register('dv'), register('dv'), register('dv')]);
  const tag = uniqueName('v').slice(0, 10);
  const rounds = 12;
  const gone = [];
  for (let i = 0; i < rounds; i++) {
    const room = await createRoom(owner, { name: `${tag}-${i}` });
    const end = i % 2 === 0
      ? api('PATCH', `/api/rooms/${room}`, { token: owner.token, body: { visibility: 'private' } })
      : api('DELETE', `/api/rooms/${room}`, { token: owner.token });
    // The joins race the change; some land before it (their upserts then race its removal).
    const joins = joiners.map((j) => post(j, `/api/rooms/${room}/join`));
    const done = await Promise.all([end, ...joins]);
    assert.ok([200, 204].includes(done[0].status), JSON.stringify(done[0].body));
    gone.push(room);
  }
  // Anything still in flight has landed by now.
  await new Promise((r) => setTimeout(r, 300));
  const listed = await directory(owner, tag);
  assert.deepEqual(listed.filter((n) => gone.includes(n)), []);
  // A deleted room's name can be taken again and is listed again.
  const again = await createRoom(owner, { name: `${tag}-1` });
  assert.deepEqual(await directory(owner, `${tag}-1`), [again]);
});

test('invites and bans of users who never registered are 404 not_found', async () => {
  const owner = await register('nx');
  const room = await createRoom(owner, { visibility: 'private' });
  const ghost = uniqueName('ghost');
  assertError(await post(owner, `/api/rooms/${room}/invites`, { username: ghost }), 404, 'not_found');
  assertError(await post(owner, `/api/rooms/${room}/bans`, { username: ghost }), 404, 'not_found');
  // Real users still work, in any case.
  const real = await register('nx');
  assert.equal((await post(owner, `/api/rooms/${room}/invites`, { username: real.username.toUpperCase() })).status, 204);
  assert.equal((await post(owner, `/api/rooms/${room}/bans`, { username: real.username })).status, 204);
  // Bad names are still 400 first.
  assertError(await post(owner, `/api/rooms/${room}/invites`, { username: 'x' }), 400, 'bad_request');
});

test('a user owns at most 50 rooms: the next create is 409 conflict; deleting one frees a place', async () => {
  const u = await register('cap');
  const tag = uniqueName('c').slice(0, 10);
  const made = [];
  for (let i = 0; i < 50; i++) made.push(await createRoom(u, { name: `${tag}-${i}` }));
  const over = await api('POST', '/api/rooms', { token: u.token, body: { name: `${tag}-x` } });
  assertError(over, 409, 'conflict');
  assert.match(over.body.error.message, /50/);
  // The refused name was not created.
  assertError(await api('GET', `/api/rooms/${tag}-x`, { token: u.token }), 404, 'not_found');
  // Joining someone else's room is not owning it.
  const other = await register('cap');
  const theirs = await createRoom(other);
  await joinRoom(u, theirs);
  assert.equal((await api('DELETE', `/api/rooms/${made[0]}`, { token: u.token })).status, 204);
  assert.equal((await api('POST', '/api/rooms', { token: u.token, body: { name: `${tag}-x` } })).status, 201);
});

test('room creation is rate limited per user (429 with Retry-After), even when rooms are deleted again', async () => {
  const u = await register('rl');
  const tag = uniqueName('l').slice(0, 10);
  let limited = null;
  for (let i = 0; i < 80 && !limited; i++) {
    const r = await api('POST', '/api/rooms', { token: u.token, body: { name: `${tag}-${i}` } });
    if (r.status === 429) { limited = r; break; }
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await api('DELETE', `/api/rooms/${tag}-${i}`, { token: u.token })).status, 204);
  }
  assert.ok(limited, 'creating and deleting rooms in a loop is never limited');
  assertError(limited, 429, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
});
