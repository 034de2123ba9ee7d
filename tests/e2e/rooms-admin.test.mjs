// Contract section 4, administration: private rooms and invitations, kick,
// ban and unban, roles, editing and deleting a room — over HTTP, with the
// effects on open sockets (close codes 4003/4004, member and room events).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, register, connect, connectReady, createRoom, joinRoom, noFrame, sendMessage, uniqueRoom,
  waitClosing,
} from '../lib/api.mjs';

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
}

const post = (user, path, body) => api('POST', path, { token: user.token, body });
const refused = (room, token) => connect(room, { token }).then(() => null, (e) => e);

test('private room: invisible to strangers, an invited user may join, then sees everything', async () => {
  const owner = await register('pv');
  const guest = await register('pv');
  const room = await createRoom(owner, { visibility: 'private', title: 'Secret' });
  for (const [method, path] of [['GET', ''], ['POST', '/join'], ['GET', '/messages']]) {
    assertError(await api(method, `/api/rooms/${room}${path}`, { token: guest.token }), 404, 'not_found');
  }
  assert.equal((await refused(room, guest.token)).status, 404);
  assert.equal((await post(owner, `/api/rooms/${room}/invites`, { username: guest.username.toUpperCase() })).status, 204);
  // Invited but not joined: knows the room exists, but may not read it.
  assertError(await api('GET', `/api/rooms/${room}/messages`, { token: guest.token }), 403, 'forbidden');
  assert.equal((await refused(room, guest.token)).status, 403);
  const joined = await post(guest, `/api/rooms/${room}/join`);
  assert.equal(joined.status, 200);
  assert.equal(joined.body.visibility, 'private');
  assert.equal(joined.body.role, 'member');
  const { client } = await connectReady(room, { token: guest.token });
  const list = await api('GET', '/api/rooms', { token: guest.token });
  assert.ok(list.body.rooms.some((r) => r.name === room));
  const dir = await api('GET', `/api/rooms/directory?q=${room}`, { token: guest.token });
  assert.deepEqual(dir.body.rooms, []);
  client.close();
});

test('invitations: owner and moderators only; inviting a banned user is a conflict; bad names are 400', async () => {
  const owner = await register('iv');
  const member = await register('iv');
  const other = await register('iv');
  const room = await createRoom(owner, { visibility: 'private' });
  await post(owner, `/api/rooms/${room}/invites`, { username: member.username });
  await joinRoom(member, room);
  assertError(await post(member, `/api/rooms/${room}/invites`, { username: other.username }), 403, 'forbidden');
  assertError(await post(owner, `/api/rooms/${room}/invites`, { username: 'x' }), 400, 'bad_request');
  assertError(await post(owner, `/api/rooms/${room}/invites`, { user: other.username }), 400, 'bad_request');
  assert.equal((await post(owner, `/api/rooms/${room}/bans`, { username: other.username })).status, 204);
  assertError(await post(owner, `/api/rooms/${room}/invites`, { username: other.username }), 409, 'conflict');
  // A member who declines (leaves) an invitation is simply no longer invited.
  const third = await register('iv');
  await post(owner, `/api/rooms/${room}/invites`, { username: third.username });
  assert.equal((await post(third, `/api/rooms/${room}/leave`)).status, 204);
  assertError(await post(third, `/api/rooms/${room}/join`), 404, 'not_found');
});

test('kick: closes the user\'s sockets with 4003, announced, and they may join a public room again', async () => {
  const owner = await register('kk');
  const victim = await register('kk');
  const room = await createRoom(owner);
  await joinRoom(victim, room);
  const { client: watch } = await connectReady(room, { token: owner.token });
  const { client: v1 } = await connectReady(room, { token: victim.token });
  const { client: v2 } = await connectReady(room, { token: victim.token });
  const r = await post(owner, `/api/rooms/${room}/kick`, { username: victim.username });
  assert.equal(r.status, 204);
  assert.equal((await waitClosing(v1)).code, 4003);
  assert.equal((await waitClosing(v2)).code, 4003);
  const ev = await watch.next('member');
  assert.deepEqual([ev.user, ev.action, ev.role], [victim.username, 'kicked', null]);
  assert.equal((await watch.next((f) => f.type === 'presence' && !f.online)).user, victim.username);
  assertError(await api('GET', `/api/rooms/${room}/messages`, { token: victim.token }), 403, 'forbidden');
  assert.ok(!(await api('GET', '/api/rooms', { token: victim.token })).body.rooms.some((x) => x.name === room));
  assertError(await post(owner, `/api/rooms/${room}/kick`, { username: victim.username }), 404, 'not_found');
  assert.equal((await post(victim, `/api/rooms/${room}/join`)).status, 200);
  watch.close();
});

test('kick and ban rules: nobody removes the owner, moderators not each other, members nobody', async () => {
  const owner = await register('kr');
  const mod1 = await register('kr');
  const mod2 = await register('kr');
  const member = await register('kr');
  const room = await createRoom(owner);
  for (const u of [mod1, mod2, member]) await joinRoom(u, room);
  for (const u of [mod1, mod2]) {
    const r = await api('PUT', `/api/rooms/${room}/members/${u.username}`, { token: owner.token, body: { role: 'moderator' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { username: u.username, role: 'moderator', online: false });
  }
  for (const action of ['kick', 'bans']) {
    assertError(await post(member, `/api/rooms/${room}/${action}`, { username: mod1.username }), 403, 'forbidden');
    assertError(await post(mod1, `/api/rooms/${room}/${action}`, { username: owner.username }), 403, 'forbidden');
    assertError(await post(mod1, `/api/rooms/${room}/${action}`, { username: mod2.username }), 403, 'forbidden');
    assertError(await post(owner, `/api/rooms/${room}/${action}`, { username: owner.username }), 403, 'forbidden');
  }
  // A moderator may remove a member; the owner may remove a moderator.
  assert.equal((await post(mod1, `/api/rooms/${room}/kick`, { username: member.username })).status, 204);
  assert.equal((await post(owner, `/api/rooms/${room}/kick`, { username: mod2.username })).status, 204);
  const info = await api('GET', `/api/rooms/${room}`, { token: owner.token });
  assert.deepEqual(info.body.members.map((m) => [m.username, m.role]), [[owner.username, 'owner'], [mod1.username, 'moderator']]);
});

test('ban: 4003 on open sockets, banned on join, messages and socket; unban lifts it', async () => {
  const owner = await register('bn');
  const bad = await register('bn');
  const room = await createRoom(owner);
  await joinRoom(bad, room);
  const { client: watch } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: bad.token });
  assert.equal((await post(owner, `/api/rooms/${room}/bans`, { username: bad.username })).status, 204);
  assert.equal((await waitClosing(b)).code, 4003);
  const ev = await watch.next('member');
  assert.deepEqual([ev.user, ev.action, ev.role], [bad.username, 'banned', null]);
  assertError(await post(bad, `/api/rooms/${room}/join`), 403, 'banned');
  assertError(await api('GET', `/api/rooms/${room}/messages`, { token: bad.token }), 403, 'banned');
  const err = await refused(room, bad.token);
  assert.equal(err.status, 403);
  assert.equal(err.body.error.code, 'banned');
  // Banning again changes nothing; a ban may also come before someone ever joins.
  assert.equal((await post(owner, `/api/rooms/${room}/bans`, { username: bad.username })).status, 204);
  const stranger = await register('bn');
  assert.equal((await post(owner, `/api/rooms/${room}/bans`, { username: stranger.username })).status, 204);
  assertError(await post(stranger, `/api/rooms/${room}/join`), 403, 'banned');
  const un = await api('DELETE', `/api/rooms/${room}/bans/${bad.username}`, { token: owner.token });
  assert.equal(un.status, 204);
  const unev = await watch.next((f) => f.type === 'member' && f.action === 'unbanned' && f.user === bad.username);
  assert.equal(unev.role, null);
  assert.equal((await post(bad, `/api/rooms/${room}/join`)).status, 200);
  assert.equal((await api('DELETE', `/api/rooms/${room}/bans/${bad.username}`, { token: owner.token })).status, 204);
  const member = await register('bn');
  await joinRoom(member, room);
  assertError(await api('DELETE', `/api/rooms/${room}/bans/${stranger.username}`, { token: member.token }), 403, 'forbidden');
  watch.close();
});

test('roles: owner only, take effect at once on open sockets, announced as member role events', async () => {
  const owner = await register('rl');
  const user = await register('rl');
  const victim = await register('rl');
  const room = await createRoom(owner);
  await joinRoom(user, room);
  await joinRoom(victim, room);
  const { client: v } = await connectReady(room, { token: victim.token });
  const { client: u } = await connectReady(room, { token: user.token });
  const msg = await sendMessage(v, 'delete me later');
  u.send({ type: 'delete', client_id: 'd1', target: msg.seq });
  assert.equal((await u.next('error')).code, 'forbidden');
  const r = await api('PUT', `/api/rooms/${room}/members/${user.username}`, { token: owner.token, body: { role: 'moderator' } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { username: user.username, role: 'moderator', online: true });
  const ev = await v.next((f) => f.type === 'member' && f.action === 'role');
  assert.deepEqual([ev.user, ev.role], [user.username, 'moderator']);
  // The same open socket may now delete others' messages.
  u.send({ type: 'delete', client_id: 'd2', target: msg.seq });
  assert.equal((await v.next('delete')).by, user.username);
  // Only the owner sets roles; the owner's role never changes; roles are moderator|member.
  assertError(await api('PUT', `/api/rooms/${room}/members/${victim.username}`, { token: user.token, body: { role: 'moderator' } }), 403, 'forbidden');
  assertError(await api('PUT', `/api/rooms/${room}/members/${owner.username}`, { token: owner.token, body: { role: 'member' } }), 403, 'forbidden');
  assertError(await api('PUT', `/api/rooms/${room}/members/${user.username}`, { token: owner.token, body: { role: 'owner' } }), 400, 'bad_request');
  assertError(await api('PUT', `/api/rooms/${room}/members/${user.username}`, { token: owner.token, body: { role: 'admin' } }), 400, 'bad_request');
  assertError(await api('PUT', `/api/rooms/${room}/members/${uniqueRoom('nobody').replace(/-/g, '_')}`, { token: owner.token, body: { role: 'member' } }), 404, 'not_found');
  // Back to member: at once, deleting others' messages is refused again.
  await api('PUT', `/api/rooms/${room}/members/${user.username}`, { token: owner.token, body: { role: 'member' } });
  const msg2 = await sendMessage(v, 'safe now');
  u.send({ type: 'delete', client_id: 'd3', target: msg2.seq });
  assert.equal((await u.next('error')).code, 'forbidden');
  // The socket's own view after reconnecting.
  u.close();
  const again = await connectReady(room, { token: user.token });
  assert.deepEqual(again.ready.you, { username: user.username, role: 'member' });
  v.close(); again.client.close();
});

test('PATCH room: owner and moderators edit title/topic/visibility, announced as a room event', async () => {
  const owner = await register('ed');
  const member = await register('ed');
  const room = await createRoom(owner);
  await joinRoom(member, room);
  const { client } = await connectReady(room, { token: member.token });
  const r = await api('PATCH', `/api/rooms/${room}`, { token: owner.token, body: { title: ' New Title ', topic: 'About things' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.title, 'New Title');
  assert.equal(r.body.topic, 'About things');
  const ev = await client.next('room');
  assert.deepEqual(ev, { type: 'room', seq: r.body.last_seq, title: 'New Title', topic: 'About things', visibility: 'public' });
  // Repeating the same values changes nothing and announces nothing.
  const same = await api('PATCH', `/api/rooms/${room}`, { token: owner.token, body: { title: 'New Title' } });
  assert.equal(same.body.last_seq, r.body.last_seq);
  await noFrame(client, (f) => f.type === 'room', 300);
  assertError(await api('PATCH', `/api/rooms/${room}`, { token: member.token, body: { topic: 'mine now' } }), 403, 'forbidden');
  for (const body of [{ title: '' }, { topic: 'x'.repeat(281) }, { visibility: 'hidden' }, { name: 'rename' }]) {
    assertError(await api('PATCH', `/api/rooms/${room}`, { token: owner.token, body }), 400, 'bad_request');
  }
  client.close();
});

test('DELETE room: owner only; sockets close with 4004; history gone; the name can be taken again fresh', async () => {
  const owner = await register('dl');
  const member = await register('dl');
  const room = await createRoom(owner, { title: 'Doomed' });
  await joinRoom(member, room);
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: member.token });
  await sendMessage(a, 'last words');
  assertError(await api('DELETE', `/api/rooms/${room}`, { token: member.token }), 403, 'forbidden');
  assert.equal((await api('DELETE', `/api/rooms/${room}`, { token: owner.token })).status, 204);
  assert.equal((await waitClosing(a)).code, 4004);
  assert.equal((await waitClosing(b)).code, 4004);
  assertError(await api('GET', `/api/rooms/${room}`, { token: owner.token }), 404, 'not_found');
  assertError(await api('GET', `/api/rooms/${room}/messages`, { token: owner.token }), 404, 'not_found');
  assert.equal((await refused(room, owner.token)).status, 404);
  for (const u of [owner, member]) {
    assert.ok(!(await api('GET', '/api/rooms', { token: u.token })).body.rooms.some((x) => x.name === room));
  }
  assert.deepEqual((await api('GET', `/api/rooms/directory?q=${room}`, { token: owner.token })).body.rooms, []);
  // Someone else takes the name: a new room that inherits nothing.
  const r = await api('POST', '/api/rooms', { token: member.token, body: { name: room } });
  assert.equal(r.status, 201);
  assert.equal(r.body.owner, member.username);
  assert.equal(r.body.title, room);
  assert.equal(r.body.last_seq, 1);
  assert.equal(r.body.member_count, 1);
  const h = await api('GET', `/api/rooms/${room}/messages`, { token: member.token });
  assert.deepEqual(h.body.messages, []);
  assertError(await api('GET', `/api/rooms/${room}/messages`, { token: owner.token }), 403, 'forbidden');
  // An old client resuming from the old room's seq gets a fresh start, not a replay.
  const { client: c, ready } = await connectReady(room, { token: member.token, since: 4 });
  assert.equal(ready.resumed, false);
  c.close();
});

test('unread counts only others\' live messages after the read marker', async () => {
  const owner = await register('ur');
  const reader = await register('ur');
  const room = await createRoom(owner);
  await joinRoom(reader, room);
  const { client: a } = await connectReady(room, { token: owner.token });
  const m1 = await sendMessage(a, 'one');
  await sendMessage(a, 'two');
  const m3 = await sendMessage(a, 'three');
  const unread = async () => (await api('GET', '/api/rooms', { token: reader.token })).body.rooms.find((x) => x.name === room).unread;
  assert.equal(await unread(), 3);
  a.send({ type: 'delete', client_id: 'del', target: m3.seq });
  await a.next((f) => f.type === 'ack' && f.client_id === 'del');
  assert.equal(await unread(), 2);
  await api('POST', `/api/rooms/${room}/read`, { token: reader.token, body: { seq: m1.seq } });
  assert.equal(await unread(), 1);
  const { client: b } = await connectReady(room, { token: reader.token });
  await sendMessage(b, 'my own words are never unread');
  assert.equal(await unread(), 1);
  a.close(); b.close();
});

test('leaving and being banned remove the room from GET /api/rooms; the room list never shows a room that does not know you', async () => {
  const owner = await register('lo');
  const leaver = await register('ll');
  const banned = await register('lb');
  const room = await createRoom(owner);
  await joinRoom(leaver, room);
  await joinRoom(banned, room);
  const names = async (u) => (await api('GET', '/api/rooms', { token: u.token })).body.rooms.map((x) => x.name);
  assert.ok((await names(leaver)).includes(room));
  assert.ok((await names(banned)).includes(room));
  assert.equal((await post(leaver, `/api/rooms/${room}/leave`)).status, 204);
  assert.ok(!(await names(leaver)).includes(room));
  assert.equal((await post(owner, `/api/rooms/${room}/bans`, { username: banned.username })).status, 204);
  assert.ok(!(await names(banned)).includes(room));
  assert.ok((await names(owner)).includes(room));
});
