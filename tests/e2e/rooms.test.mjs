// Contract section 4 over HTTP (everything but administration): creating
// rooms, the caller's room list, the directory, room info, join and leave,
// message history paging, and the routes' error answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, register, connectReady, createRoom, joinRoom, sendMessage, uniqueRoom, waitClosing,
} from '../lib/api.mjs';

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, 'string');
}

// v1.1: every Room says which kind it is (section 8).
const ROOM_KEYS = ['created_at', 'kind', 'last_seq', 'member_count', 'name', 'owner', 'title', 'topic', 'visibility'];

test('POST /api/rooms creates a public room owned by the caller (201 Room)', async () => {
  const u = await register('crt');
  const name = uniqueRoom('new');
  const before = Date.now();
  const r = await api('POST', '/api/rooms', { token: u.token, body: { name } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), [...ROOM_KEYS, 'mentions', 'notify', 'read_seq', 'role', 'unread'].sort());
  assert.equal(r.body.name, name);
  assert.equal(r.body.title, name);
  assert.equal(r.body.topic, '');
  assert.equal(r.body.visibility, 'public');
  assert.equal(r.body.owner, u.username);
  assert.equal(r.body.member_count, 1);
  assert.equal(r.body.last_seq, 1);
  assert.equal(r.body.role, 'owner');
  assert.equal(r.body.unread, 0);
  assert.ok(r.body.created_at >= before - 5000 && r.body.created_at <= Date.now() + 5000);
  const full = await api('POST', '/api/rooms', {
    token: u.token,
    body: { name: uniqueRoom('full'), title: '  Tea & Biscuits  ', topic: 'All about tea', visibility: 'private' },
  });
  assert.equal(full.status, 201);
  assert.equal(full.body.title, 'Tea & Biscuits');
  assert.equal(full.body.topic, 'All about tea');
  assert.equal(full.body.visibility, 'private');
});

test('POST /api/rooms validates the body: name rules, title, topic, visibility, unknown fields', async () => {
  const u = await register('val');
  const bad = [
    { name: 'a' },
    { name: 'x'.repeat(33) },
    { name: '-lead' },
    { name: 'trail-' },
    { name: 'Upper' },
    { name: 'under_score' },
    { name: 'sp ace' },
    { name: uniqueRoom(), title: '' },
    { name: uniqueRoom(), title: '   ' },
    { name: uniqueRoom(), title: 't'.repeat(65) },
    { name: uniqueRoom(), topic: 't'.repeat(281) },
    { name: uniqueRoom(), visibility: 'secret' },
    { name: uniqueRoom(), owner: 'someone' },
    { title: 'no name' },
    { name: 42 },
  ];
  for (const body of bad) {
    const r = await api('POST', '/api/rooms', { token: u.token, body });
    assertError(r, 400, 'bad_request');
  }
  assertError(await api('POST', '/api/rooms', { token: u.token, raw: 'nope', headers: { 'Content-Type': 'application/json' } }), 400, 'bad_request');
  assertError(await api('POST', '/api/rooms', { token: u.token, body: { name: uniqueRoom(), topic: 'x'.repeat(70_000) } }), 413, 'too_large');
  // The limits themselves are fine (2 and 32 characters, 64-character title, 280-character topic).
  const ok = [
    { name: `a${uniqueRoom('').slice(-1)}` },
    { name: uniqueRoom('x'.repeat(25)) },
    { name: uniqueRoom(), title: '😀'.repeat(64), topic: 'é'.repeat(280) },
  ];
  for (const body of ok) {
    const r = await api('POST', '/api/rooms', { token: u.token, body });
    assert.ok([201, 409].includes(r.status), JSON.stringify([body, r.body]));
  }
});

test('a taken name is 409 room_exists, also when the room is private; "directory" is reserved', async () => {
  const a = await register('tk');
  const b = await register('tk');
  const pub = await createRoom(a);
  const priv = await createRoom(a, { visibility: 'private' });
  assertError(await api('POST', '/api/rooms', { token: b.token, body: { name: pub } }), 409, 'room_exists');
  assertError(await api('POST', '/api/rooms', { token: b.token, body: { name: priv } }), 409, 'room_exists');
  assertError(await api('POST', '/api/rooms', { token: a.token, body: { name: pub } }), 409, 'room_exists');
  assertError(await api('POST', '/api/rooms', { token: a.token, body: { name: 'directory' } }), 409, 'room_exists');
});

test('two concurrent creators of one name get one 201 and one 409', async () => {
  const users = await Promise.all([register('race'), register('race'), register('race'), register('race')]);
  for (let round = 0; round < 3; round++) {
    const name = uniqueRoom('race');
    const answers = await Promise.all(users.map((u) => api('POST', '/api/rooms', { token: u.token, body: { name } })));
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409]);
    const winner = users[answers.findIndex((r) => r.status === 201)];
    const info = await api('GET', `/api/rooms/${name}`, { token: users[0].token });
    assert.equal(info.body.owner, winner.username);
    assert.equal(info.body.member_count, 1);
  }
});

test('GET /api/rooms lists the caller\'s rooms with role, read_seq and unread', async () => {
  const a = await register('mine');
  const b = await register('mine');
  assert.deepEqual((await api('GET', '/api/rooms', { token: a.token })).body, { rooms: [] });
  const r1 = await createRoom(a);
  const r2 = await createRoom(b);
  await joinRoom(a, r2);
  const r3 = await createRoom(b); // a is not in this one
  const { client } = await connectReady(r2, { token: b.token });
  await sendMessage(client, 'one');
  await sendMessage(client, 'two');
  client.close();
  const r = await api('GET', '/api/rooms', { token: a.token });
  assert.equal(r.status, 200);
  const byName = Object.fromEntries(r.body.rooms.map((x) => [x.name, x]));
  assert.deepEqual(Object.keys(byName).sort(), [r1, r2].sort());
  assert.equal(byName[r1].role, 'owner');
  assert.equal(byName[r1].unread, 0);
  assert.equal(byName[r2].role, 'member');
  assert.equal(byName[r2].member_count, 2);
  assert.equal(byName[r2].last_seq, 4);
  assert.equal(byName[r2].read_seq, 2);
  assert.equal(byName[r2].unread, 2);
  assert.ok(!(r3 in byName));
  for (const room of r.body.rooms) {
    assert.deepEqual(Object.keys(room).sort(), [...ROOM_KEYS, 'mentions', 'notify', 'read_seq', 'role', 'unread'].sort());
  }
  assertError(await api('GET', '/api/rooms'), 401, 'unauthorized');
});

test('the directory lists public rooms only, filtered by q in name or title, newest activity first', async () => {
  const u = await register('dir');
  const tag = uniqueRoom('d').slice(2, 10); // a token no other test uses
  const a = await createRoom(u, { name: `alpha-${tag}`, title: 'Zebra Crossing' });
  await new Promise((res) => setTimeout(res, 20)); // distinct activity times
  const b = await createRoom(u, { name: `beta-${tag}`, title: `Ünïcode ${tag.toUpperCase()} Lounge` });
  await createRoom(u, { name: `gamma-${tag}`, visibility: 'private' });
  let r = await api('GET', `/api/rooms/directory?q=${tag}`, { token: u.token });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.rooms.map((x) => x.name), [b, a]); // b was created last
  assert.deepEqual(Object.keys(r.body.rooms[0]).sort(), ROOM_KEYS);
  assert.ok(r.body.rooms.every((x) => x.visibility === 'public'));
  // Case-insensitive, in the title (Unicode too) or the name.
  for (const [q, want] of [[`ZEBRA`, [a]], [`zebra crossing`, [a]], [`ÜNÏCODE ${tag}`, [b]], [`BETA-${tag.toUpperCase()}`, [b]]]) {
    r = await api('GET', `/api/rooms/directory?q=${encodeURIComponent(q)}`, { token: u.token });
    assert.deepEqual(r.body.rooms.map((x) => x.name).filter((n) => n.endsWith(tag)), want, q);
  }
  // Activity: a message in a, then a join (which reports it), puts a first.
  const { client } = await connectReady(a, { token: u.token });
  await sendMessage(client, 'activity');
  client.close();
  const v = await register('dirv');
  await joinRoom(v, a);
  r = await api('GET', `/api/rooms/directory?q=${tag}`, { token: u.token });
  assert.deepEqual(r.body.rooms.map((x) => x.name), [a, b]);
  assert.equal(r.body.rooms[0].member_count, 2);
  // A room turned private leaves; public again comes back.
  assert.equal((await api('PATCH', `/api/rooms/${a}`, { token: u.token, body: { visibility: 'private' } })).status, 200);
  r = await api('GET', `/api/rooms/directory?q=${tag}`, { token: u.token });
  assert.deepEqual(r.body.rooms.map((x) => x.name), [b]);
  await api('PATCH', `/api/rooms/${a}`, { token: u.token, body: { visibility: 'public', title: 'Zebra Two' } });
  r = await api('GET', `/api/rooms/directory?q=${tag}`, { token: u.token });
  assert.deepEqual(r.body.rooms.map((x) => [x.name, x.title]), [[a, 'Zebra Two'], [b, r.body.rooms[1].title]]);
  // Without q: everything public, at most 100.
  r = await api('GET', '/api/rooms/directory', { token: u.token });
  assert.ok(r.body.rooms.length >= 2 && r.body.rooms.length <= 100);
  assertError(await api('GET', '/api/rooms/directory'), 401, 'unauthorized');
});

test('GET /api/rooms/{name}: Room plus members with online; public for anyone, private only for members', async () => {
  const a = await register('info');
  const b = await register('info');
  const pub = await createRoom(a, { topic: 'hello' });
  const r = await api('GET', `/api/rooms/${pub}`, { token: b.token });
  assert.equal(r.status, 200);
  assert.equal(r.body.topic, 'hello');
  assert.deepEqual(r.body.members, [{ username: a.username, role: 'owner', online: false }]);
  assert.equal(r.body.role, undefined); // b is not a member
  const { client } = await connectReady(pub, { token: a.token });
  const mine = await api('GET', `/api/rooms/${pub}`, { token: a.token });
  assert.deepEqual(mine.body.members, [{ username: a.username, role: 'owner', online: true }]);
  assert.equal(mine.body.role, 'owner');
  client.close();
  const priv = await createRoom(a, { visibility: 'private' });
  assertError(await api('GET', `/api/rooms/${priv}`, { token: b.token }), 404, 'not_found');
  assert.equal((await api('GET', `/api/rooms/${priv}`, { token: a.token })).status, 200);
  assertError(await api('GET', `/api/rooms/${uniqueRoom('none')}`, { token: b.token }), 404, 'not_found');
  assertError(await api('GET', '/api/rooms/NOT_A_NAME', { token: b.token }), 404, 'not_found');
  assertError(await api('GET', `/api/rooms/${pub}`), 401, 'unauthorized');
});

test('join: 200 Room for a public room, idempotent, announced; a private room is 404 to strangers', async () => {
  const a = await register('jn');
  const b = await register('jn');
  const room = await createRoom(a);
  const { client } = await connectReady(room, { token: a.token });
  const r = await api('POST', `/api/rooms/${room}/join`, { token: b.token });
  assert.equal(r.status, 200);
  assert.equal(r.body.role, 'member');
  assert.equal(r.body.member_count, 2);
  assert.equal(r.body.unread, 0);
  // The event is stored before the answer: its seq is the room's last_seq.
  const ev = await client.next('member');
  assert.deepEqual(ev, { type: 'member', seq: r.body.last_seq, user: b.username, action: 'joined', role: 'member' });
  const again = await api('POST', `/api/rooms/${room}/join`, { token: b.token });
  assert.equal(again.status, 200);
  assert.equal(again.body.last_seq, r.body.last_seq);
  const priv = await createRoom(a, { visibility: 'private' });
  assertError(await api('POST', `/api/rooms/${priv}/join`, { token: b.token }), 404, 'not_found');
  assertError(await api('POST', `/api/rooms/${uniqueRoom('gone')}/join`, { token: b.token }), 404, 'not_found');
  client.close();
});

test('leave: 204, closes the leaver\'s sockets with 1000, announced; the owner cannot leave', async () => {
  const a = await register('lv');
  const b = await register('lv');
  const room = await createRoom(a);
  await joinRoom(b, room);
  const { client: watcher } = await connectReady(room, { token: a.token });
  const { client: leaver } = await connectReady(room, { token: b.token });
  const r = await api('POST', `/api/rooms/${room}/leave`, { token: b.token });
  assert.equal(r.status, 204);
  assert.equal((await waitClosing(leaver)).code, 1000);
  const ev = await watcher.next('member');
  assert.deepEqual([ev.user, ev.action, ev.role], [b.username, 'left', null]);
  assert.equal((await watcher.next((f) => f.type === 'presence' && !f.online)).user, b.username);
  const list = await api('GET', '/api/rooms', { token: b.token });
  assert.ok(!list.body.rooms.some((x) => x.name === room));
  assertError(await api('POST', `/api/rooms/${room}/leave`, { token: b.token }), 403, 'forbidden');
  assertError(await api('POST', `/api/rooms/${room}/leave`, { token: a.token }), 409, 'owner_cannot_leave');
  // A member who left may read the public info and join again.
  assert.equal((await api('POST', `/api/rooms/${room}/join`, { token: b.token })).status, 200);
  watcher.close();
});

test('GET .../messages pages history: ascending seq, limit, before, has_more; members only', async () => {
  const a = await register('msg');
  const b = await register('msg');
  const room = await createRoom(a);
  const { client } = await connectReady(room, { token: a.token });
  const seqs = [];
  for (let i = 0; i < 7; i++) seqs.push((await sendMessage(client, `m${i}`)).seq);
  client.close();
  let r = await api('GET', `/api/rooms/${room}/messages`, { token: a.token });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.messages.map((m) => m.seq), seqs);
  assert.equal(r.body.has_more, false);
  r = await api('GET', `/api/rooms/${room}/messages?limit=3`, { token: a.token });
  assert.deepEqual(r.body.messages.map((m) => m.seq), seqs.slice(4));
  assert.equal(r.body.has_more, true);
  r = await api('GET', `/api/rooms/${room}/messages?limit=3&before=${seqs[4]}`, { token: a.token });
  assert.deepEqual(r.body.messages.map((m) => m.seq), seqs.slice(1, 4));
  assert.equal(r.body.has_more, true);
  r = await api('GET', `/api/rooms/${room}/messages?limit=3&before=${seqs[1]}`, { token: a.token });
  assert.deepEqual(r.body.messages.map((m) => m.seq), [seqs[0]]);
  assert.equal(r.body.has_more, false);
  r = await api('GET', `/api/rooms/${room}/messages?limit=100&before=9999999999999999`, { token: a.token });
  assert.equal(r.body.messages.length, 7);
  for (const q of ['limit=0', 'limit=101', 'limit=-5', 'limit=abc', 'limit=2.5', 'before=abc', 'before=-1']) {
    assertError(await api('GET', `/api/rooms/${room}/messages?${q}`, { token: a.token }), 400, 'bad_request');
  }
  assertError(await api('GET', `/api/rooms/${room}/messages`, { token: b.token }), 403, 'forbidden');
  assertError(await api('GET', `/api/rooms/${uniqueRoom()}/messages`, { token: b.token }), 404, 'not_found');
  await joinRoom(b, room);
  r = await api('GET', `/api/rooms/${room}/messages?limit=2`, { token: b.token });
  assert.deepEqual(r.body.messages.map((m) => m.text), ['m5', 'm6']);
});

test('history reaches back to the first message (more than one page)', async () => {
  const a = await register('deep');
  const room = await createRoom(a);
  const { client } = await connectReady(room, { token: a.token });
  // Ten sends fit in one burst; the eleventh after the refill.
  const texts = [];
  for (let i = 0; i < 10; i++) { texts.push(`p${i}`); await sendMessage(client, `p${i}`); }
  client.close();
  let before;
  const got = [];
  for (;;) {
    const q = before ? `?limit=3&before=${before}` : '?limit=3';
    const r = await api('GET', `/api/rooms/${room}/messages${q}`, { token: a.token });
    got.unshift(...r.body.messages.map((m) => m.text));
    if (!r.body.has_more) break;
    before = r.body.messages[0].seq;
  }
  assert.deepEqual(got, texts);
});

test('POST .../read moves the read marker (HTTP twin of the read frame)', async () => {
  const a = await register('rd');
  const b = await register('rd');
  const room = await createRoom(a);
  await joinRoom(b, room);
  const { client } = await connectReady(room, { token: a.token });
  const ack = await sendMessage(client, 'read me');
  assert.equal((await api('POST', `/api/rooms/${room}/read`, { token: b.token, body: { seq: ack.seq } })).status, 204);
  assert.deepEqual(await client.next('read'), { type: 'read', user: b.username, seq: ack.seq });
  const mine = (await api('GET', '/api/rooms', { token: b.token })).body.rooms.find((x) => x.name === room);
  assert.equal(mine.unread, 0);
  assertError(await api('POST', `/api/rooms/${room}/read`, { token: b.token, body: { seq: -1 } }), 400, 'bad_request');
  assertError(await api('POST', `/api/rooms/${room}/read`, { token: b.token, body: { seq: 1, x: 1 } }), 400, 'bad_request');
  client.close();
});

test('unknown paths and methods are 404 not_found; every route needs a session', async () => {
  const u = await register('rt');
  const room = await createRoom(u);
  const cases = [
    ['PUT', '/api/rooms'], ['DELETE', '/api/rooms'], ['POST', '/api/rooms/directory/x'],
    ['PUT', `/api/rooms/${room}`], ['GET', `/api/rooms/${room}/join`], ['GET', `/api/rooms/${room}/nope`],
    ['POST', `/api/rooms/${room}/messages`], ['GET', `/api/rooms/${room}/bans/x/y`],
  ];
  for (const [method, path] of cases) {
    assertError(await api(method, path, { token: u.token }), 404, 'not_found');
  }
  const authed = [
    ['GET', '/api/rooms'], ['POST', '/api/rooms'], ['GET', '/api/rooms/directory'],
    ['GET', `/api/rooms/${room}`], ['PATCH', `/api/rooms/${room}`], ['DELETE', `/api/rooms/${room}`],
    ['POST', `/api/rooms/${room}/join`], ['POST', `/api/rooms/${room}/leave`],
    ['POST', `/api/rooms/${room}/invites`], ['POST', `/api/rooms/${room}/kick`],
    ['POST', `/api/rooms/${room}/bans`], ['DELETE', `/api/rooms/${room}/bans/someone`],
    ['PUT', `/api/rooms/${room}/members/someone`], ['GET', `/api/rooms/${room}/messages`],
  ];
  for (const [method, path] of authed) {
    const opts = method === 'GET' ? {} : { body: {} };
    assertError(await api(method, path, opts), 401, 'unauthorized');
  }
  // Still there: the unauthenticated DELETE did nothing.
  assert.equal((await api('GET', `/api/rooms/${room}`, { token: u.token })).status, 200);
});
