// Contract sections 5 and 6 over a real room socket: connect and resume, every
// client frame and its rules, broadcasts, typing, presence, read markers,
// history, ping, bad frames, the frame size limit, the send rate limit,
// idempotent resends, logout, profile events, session expiry and batching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, register, connect, connectReady, createRoom, joinRoom, noFrame, sendMessage, uniqueRoom, waitClosing,
} from '../lib/api.mjs';
import { decode, sign } from '../lib/jwt.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isMsg = (text) => (f) => f.type === 'message' && f.text === text;

/** A room owned by a fresh user, with a second fresh user as member. */
async function roomWithTwo() {
  const owner = await register('own');
  const member = await register('mem');
  const room = await createRoom(owner);
  await joinRoom(member, room);
  return { owner, member, room };
}

test('connect: ready with room, you, members, last_seq, read_seq, then a history frame', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  await sendMessage(a, 'one');
  await sendMessage(a, 'two');
  const b = await connect(room, { token: member.token });
  const ready = await b.next('ready');
  assert.equal(ready.resumed, false);
  assert.equal(ready.room.name, room);
  assert.equal(ready.room.visibility, 'public');
  assert.equal(ready.room.member_count, 2);
  assert.equal(ready.room.role, 'member');
  assert.deepEqual(ready.you, { username: member.username, role: 'member' });
  assert.equal(ready.last_seq, 4); // joined owner, joined member, two messages
  assert.equal(ready.read_seq, 2); // a new member has read up to their joining
  assert.equal(ready.room.unread, 2);
  assert.deepEqual(ready.members, [
    { username: owner.username, role: 'owner', online: true },
    { username: member.username, role: 'member', online: true },
  ]);
  const history = await b.next();
  assert.equal(history.type, 'history');
  assert.deepEqual(history.messages.map((m) => m.text), ['one', 'two']);
  assert.equal(history.has_more, false);
  const m = history.messages[0];
  // v1.1: every message lists its attachments (section 9).
  assert.deepEqual(Object.keys(m).sort(),
    ['attachments', 'author', 'client_id', 'deleted', 'edited_at', 'mentions', 'reactions', 'reply_to', 'seq', 'text', 'ts']);
  assert.deepEqual(m.attachments, []);
  assert.equal(m.author, owner.username);
  assert.ok(Math.abs(m.ts - Date.now()) < 60_000);
  a.close(); b.close();
});

test('refused upgrades are plain HTTP errors: 401, 404, 403 forbidden, 400 bad since', async () => {
  const { owner, room } = await roomWithTwo();
  const stranger = await register('str');
  const cases = [
    [room, {}, 401, 'unauthorized'],
    [uniqueRoom('nope'), { token: owner.token }, 404, 'not_found'],
    ['Bad_Name', { token: owner.token }, 404, 'not_found'],
    [room, { token: stranger.token }, 403, 'forbidden'],
    [room, { token: owner.token, since: 'abc' }, 400, 'bad_request'],
  ];
  for (const [name, opts, status, code] of cases) {
    const err = await connect(name, opts).then(() => null, (e) => e);
    assert.ok(err, `${name} ${JSON.stringify(opts)} connected`);
    assert.equal(err.status, status);
    assert.equal(err.body.error.code, code);
  }
  // A private room does not exist for a stranger.
  const secret = await createRoom(owner, { visibility: 'private' });
  const err = await connect(secret, { token: stranger.token }).then(() => null, (e) => e);
  assert.equal(err.status, 404);
  // A plain GET (no upgrade) on the socket path is a bad request.
  const r = await api('GET', `/api/rooms/${room}/socket`, { token: owner.token });
  assert.equal(r.status, 400);
});

test('send: stored, broadcast to every socket in the same order, then acked with its seq', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: member.token });
  await a.next('presence');
  for (let i = 0; i < 4; i++) {
    a.send({ type: 'send', client_id: `a${i}`, text: `from a ${i}` });
    b.send({ type: 'send', client_id: `b${i}`, text: `from b ${i}` });
  }
  const seen = { a: [], b: [] };
  for (const [name, c] of [['a', a], ['b', b]]) {
    for (let i = 0; i < 8; i++) seen[name].push(await c.next('message'));
  }
  assert.deepEqual(seen.a, seen.b);
  const seqs = seen.a.map((m) => m.seq);
  assert.deepEqual(seqs, [3, 4, 5, 6, 7, 8, 9, 10]);
  // Each sender gets an ack with the seq its own message took.
  for (const [c, prefix] of [[a, 'a'], [b, 'b']]) {
    for (let i = 0; i < 4; i++) {
      const ack = await c.next((f) => f.type === 'ack' && f.client_id === `${prefix}${i}`);
      const msg = seen.a.find((m) => m.client_id === `${prefix}${i}`);
      assert.equal(ack.seq, msg.seq);
    }
  }
  // Acks go only to the sender.
  await noFrame(a, (f) => f.type === 'ack', 300);
  const r = await api('GET', `/api/rooms/${room}/messages`, { token: member.token });
  assert.deepEqual(r.body.messages.map((m) => m.seq), seqs);
  a.close(); b.close();
});

test('the ack comes after the message event on the sender socket', async () => {
  const { owner, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  a.send({ type: 'send', client_id: 'order1', text: 'x' });
  const first = await a.next((f) => f.type === 'message' || f.type === 'ack');
  assert.equal(first.type, 'message');
  assert.equal((await a.next('ack')).seq, first.seq);
  a.close();
});

test('message rules: text length and blankness, client_id format, reply_to must exist', async () => {
  const { owner, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const cases = [
    [{ type: 'send', client_id: 'k1', text: '' }, 'bad_request'],
    [{ type: 'send', client_id: 'k2', text: '   \n ' }, 'bad_request'],
    [{ type: 'send', client_id: 'k3', text: 'x'.repeat(4001) }, 'too_long'],
    [{ type: 'send', client_id: 'bad id!', text: 'x' }, 'bad_request'],
    [{ type: 'send', client_id: 'k'.repeat(65), text: 'x' }, 'bad_request'],
    [{ type: 'send', client_id: 'k4', text: 'x', reply_to: 999 }, 'not_found'],
    [{ type: 'send', client_id: 'k5', text: 'x', reply_to: 1 }, 'not_found'], // seq 1 is a member event
  ];
  for (const [frame, code] of cases) {
    a.send(frame);
    const err = await a.next('error');
    assert.equal(err.code, code, JSON.stringify(frame));
    assert.equal(typeof err.message, 'string');
    assert.equal(err.client_id, frame.client_id);
  }
  // Exactly 4000 characters (code points, not UTF-16 units) is fine.
  const long = '😀'.repeat(4000);
  const ack = await sendMessage(a, long);
  const msg = await a.next('message');
  assert.equal(msg.text, long);
  assert.equal(ack.seq, msg.seq);
  const reply = await sendMessage(a, 'a reply', { reply_to: msg.seq });
  assert.equal((await a.next('message')).reply_to, msg.seq);
  assert.ok(reply.seq > msg.seq);
  // Nothing refused was stored.
  const r = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  assert.equal(r.body.messages.length, 2);
  a.close();
});

test('edit: author only, stored and broadcast, shown in history; unknown target is not_found', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: member.token });
  const sent = await sendMessage(b, 'first draft');
  b.send({ type: 'edit', client_id: 'e1', target: sent.seq, text: 'final' });
  const ev = await a.next('edit');
  assert.equal(ev.target, sent.seq);
  assert.equal(ev.text, 'final');
  assert.equal(ev.by, member.username);
  assert.ok(ev.seq > sent.seq);
  assert.equal(typeof ev.edited_at, 'number');
  assert.equal((await b.next((f) => f.type === 'ack' && f.client_id === 'e1')).seq, ev.seq);
  // Not the author (even the owner cannot edit someone else's words).
  a.send({ type: 'edit', client_id: 'e2', target: sent.seq, text: 'hijack' });
  assert.equal((await a.next('error')).code, 'forbidden');
  a.send({ type: 'edit', client_id: 'e3', target: 9999, text: 'x' });
  assert.equal((await a.next('error')).code, 'not_found');
  b.send({ type: 'edit', client_id: 'e4', target: sent.seq, text: 'x'.repeat(4001) });
  assert.equal((await b.next('error')).code, 'too_long');
  const r = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  const m = r.body.messages.find((x) => x.seq === sent.seq);
  assert.equal(m.text, 'final');
  assert.equal(m.edited_at, ev.edited_at);
  a.close(); b.close();
});

test('delete: author or owner/moderator; leaves a tombstone; a member cannot delete others', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: member.token });
  const mine = await sendMessage(a, 'owner words');
  const theirs = await sendMessage(b, 'member words');
  const own = await sendMessage(b, 'regret');
  b.send({ type: 'delete', client_id: 'd1', target: mine.seq });
  assert.equal((await b.next('error')).code, 'forbidden');
  b.send({ type: 'delete', client_id: 'd2', target: own.seq });
  const ev = await a.next('delete');
  assert.deepEqual({ target: ev.target, by: ev.by }, { target: own.seq, by: member.username });
  a.send({ type: 'delete', client_id: 'd3', target: theirs.seq });
  const ev2 = await b.next((f) => f.type === 'delete' && f.target === theirs.seq);
  assert.equal(ev2.by, owner.username);
  assert.equal((await a.next((f) => f.type === 'ack' && f.client_id === 'd3')).seq, ev2.seq);
  const r = await api('GET', `/api/rooms/${room}/messages`, { token: member.token });
  const tomb = r.body.messages.find((m) => m.seq === own.seq);
  assert.equal(tomb.deleted, true);
  assert.equal(tomb.text, '');
  assert.deepEqual(tomb.reactions, {});
  // A tombstone cannot be edited, reacted to or deleted again (a new change).
  b.send({ type: 'edit', client_id: 'd4', target: own.seq, text: 'x' });
  assert.equal((await b.next('error')).code, 'not_found');
  b.send({ type: 'react', client_id: 'd5', target: own.seq, emoji: '👍', add: true });
  assert.equal((await b.next('error')).code, 'not_found');
  a.close(); b.close();
});

test('react: any member, emoji rules, reaction events, empty lists disappear', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: member.token });
  const msg = await sendMessage(a, 'react to me');
  for (const emoji of ['a', '1', ' ', '', '👍👍👍👍👍👍👍👍👍', 'x👍']) {
    b.send({ type: 'react', client_id: 'bad', target: msg.seq, emoji, add: true });
    assert.equal((await b.next('error')).code, 'bad_request', emoji);
  }
  b.send({ type: 'react', client_id: 'r1', target: msg.seq, emoji: '👍', add: true });
  const ev = await a.next('reaction');
  assert.deepEqual({ target: ev.target, emoji: ev.emoji, user: ev.user, added: ev.added },
    { target: msg.seq, emoji: '👍', user: member.username, added: true });
  assert.equal((await b.next((f) => f.type === 'ack' && f.client_id === 'r1')).seq, ev.seq);
  a.send({ type: 'react', client_id: 'r2', target: msg.seq, emoji: '👍', add: true });
  await b.next((f) => f.type === 'reaction' && f.user === owner.username);
  a.send({ type: 'react', client_id: 'r3', target: 424242, emoji: '👍', add: true });
  assert.equal((await a.next('error')).code, 'not_found');
  let r = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  assert.deepEqual(r.body.messages[0].reactions, { '👍': [member.username, owner.username] });
  b.send({ type: 'react', client_id: 'r4', target: msg.seq, emoji: '👍', add: false });
  a.send({ type: 'react', client_id: 'r5', target: msg.seq, emoji: '👍', add: false });
  await b.next((f) => f.type === 'ack' && f.client_id === 'r4');
  await a.next((f) => f.type === 'ack' && f.client_id === 'r5');
  r = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  assert.deepEqual(r.body.messages[0].reactions, {});
  a.close(); b.close();
});

test('typing goes to the others only, at most once per 2 s per user', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: member.token });
  a.send({ type: 'typing' });
  assert.deepEqual(await b.next('typing'), { type: 'typing', user: owner.username });
  a.send({ type: 'typing' });
  a.send({ type: 'typing' });
  await noFrame(b, (f) => f.type === 'typing', 700);
  await noFrame(a, (f) => f.type === 'typing', 10);
  await sleep(1500); // past 2 s since the first
  a.send({ type: 'typing' });
  await b.next('typing');
  a.close(); b.close();
});

test('presence: online on the first socket, offline when the last one closes', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b1 } = await connectReady(room, { token: member.token });
  assert.deepEqual(await a.next('presence'), { type: 'presence', user: member.username, online: true });
  await noFrame(b1, (f) => f.type === 'presence', 200); // not to the joining socket itself
  const { client: b2, ready } = await connectReady(room, { token: member.token });
  assert.ok(ready.members.find((m) => m.username === member.username).online);
  await noFrame(a, (f) => f.type === 'presence', 300); // a second socket says nothing
  b1.close();
  await noFrame(a, (f) => f.type === 'presence', 300);
  b2.close();
  assert.deepEqual(await a.next('presence'), { type: 'presence', user: member.username, online: false });
  const info = await api('GET', `/api/rooms/${room}`, { token: owner.token });
  assert.equal(info.body.members.find((m) => m.username === member.username).online, false);
  assert.equal(info.body.members.find((m) => m.username === owner.username).online, true);
  a.close();
});

test('read markers move forward only, are broadcast, and show in ready and the room list', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: member.token });
  const acks = [];
  for (const t of ['x', 'y', 'z']) acks.push(await sendMessage(a, t));
  let list = await api('GET', '/api/rooms', { token: member.token });
  let mine = list.body.rooms.find((x) => x.name === room);
  assert.equal(mine.unread, 3);
  b.send({ type: 'read', seq: acks[1].seq });
  assert.deepEqual(await a.next('read'), { type: 'read', user: member.username, seq: acks[1].seq });
  await b.next('read'); // the reader's own sockets hear it too
  b.send({ type: 'read', seq: acks[0].seq }); // backwards: ignored silently
  await noFrame(a, (f) => f.type === 'read', 300);
  b.send({ type: 'read', seq: 10_000 });
  assert.equal((await b.next('error')).code, 'bad_request');
  list = await api('GET', '/api/rooms', { token: member.token });
  mine = list.body.rooms.find((x) => x.name === room);
  assert.equal(mine.read_seq, acks[1].seq);
  assert.equal(mine.unread, 1);
  // The owner's own messages are never unread for them.
  const own = (await api('GET', '/api/rooms', { token: owner.token })).body.rooms.find((x) => x.name === room);
  assert.equal(own.unread, 0);
  b.close();
  const again = await connectReady(room, { token: member.token });
  assert.equal(again.ready.read_seq, acks[1].seq);
  assert.equal(again.ready.room.unread, 1);
  a.close(); again.client.close();
});

test('history frame pages back with before/limit; bad limits are refused', async () => {
  const { owner, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const seqs = [];
  for (let i = 0; i < 6; i++) seqs.push((await sendMessage(a, `h${i}`)).seq);
  a.send({ type: 'history', limit: 4 });
  let h = await a.next('history');
  assert.deepEqual(h.messages.map((m) => m.seq), seqs.slice(2));
  assert.equal(h.has_more, true);
  a.send({ type: 'history', before: seqs[2], limit: 4 });
  h = await a.next('history');
  assert.deepEqual(h.messages.map((m) => m.seq), seqs.slice(0, 2));
  assert.equal(h.has_more, false);
  a.send({ type: 'history' });
  assert.equal((await a.next('history')).messages.length, 6);
  for (const limit of [0, 101, -1]) {
    a.send({ type: 'history', limit });
    assert.equal((await a.next('error')).code, 'bad_request', String(limit));
  }
  a.send({ type: 'history', limit: 'ten' });
  assert.equal((await a.next('error')).code, 'bad_request');
  a.close();
});

test('ping is answered pong (exact bytes by the runtime, any spelling by the room)', async () => {
  const { owner, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  a.send('{"type":"ping"}');
  assert.deepEqual(await a.next(), { type: 'pong' });
  a.send('{ "type": "ping" }');
  assert.deepEqual(await a.next(), { type: 'pong' });
  a.send({ type: 'ping', extra: 1 });
  assert.equal((await a.next('error')).code, 'bad_request');
  a.close();
});

test('bad frames get an error and the socket stays open', async () => {
  const { owner, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const frames = [
    'not json', '[1,2]', '"text"', '{}', '{"type":5}', '{"type":"shout"}',
    '{"type":"send","text":"no id"}', '{"type":"send","client_id":"c","text":"x","admin":true}',
    '{"type":"read","seq":-1}', '{"type":"edit","client_id":"c","target":"one","text":"x"}',
    '{"type":"react","client_id":"c","target":1,"emoji":"👍"}',
  ];
  for (const f of frames) {
    a.send(f);
    const err = await a.next('error');
    assert.equal(err.code, 'bad_request', f);
    assert.ok(err.message.length > 0);
  }
  a.ws.send(Buffer.from('{"type":"ping"}x'), { binary: true });
  assert.equal((await a.next('error')).code, 'bad_request');
  await sendMessage(a, 'still here');
  assert.equal(a.closed, null);
  a.close();
});

test('a frame over 16 KiB closes the socket with 1009; exactly 16 KiB does not', async () => {
  const { owner, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const exact = JSON.stringify({ type: 'send', client_id: 'big', text: 'x' });
  a.send(exact.slice(0, -2) + 'x'.repeat(16 * 1024 - exact.length) + '"}');
  assert.equal((await a.next('error')).code, 'too_long'); // too long a text, but the frame is allowed
  a.send(JSON.stringify({ type: 'send', client_id: 'big2', text: 'y'.repeat(17 * 1024) }));
  const closed = await a.waitClose();
  assert.equal(closed.code, 1009);
  const { client: b } = await connectReady(room, { token: owner.token });
  const h = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  assert.equal(h.body.messages.length, 0);
  b.close();
});

test('rate limit: the 11th send of a burst is rate_limited with retry_after_ms and not stored', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: b } = await connectReady(room, { token: member.token });
  for (let i = 0; i < 11; i++) a.send({ type: 'send', client_id: `burst${i}`, text: `m${i}` });
  for (let i = 0; i < 10; i++) await a.next((f) => f.type === 'ack' && f.client_id === `burst${i}`);
  const err = await a.next('error');
  assert.equal(err.code, 'rate_limited');
  assert.equal(err.client_id, 'burst10');
  assert.ok(err.retry_after_ms > 0 && err.retry_after_ms <= 1000, String(err.retry_after_ms));
  // Another user in the same room has their own bucket.
  await sendMessage(b, 'not limited');
  let h = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  assert.equal(h.body.messages.filter((m) => m.author === owner.username).length, 10);
  // After the wait, the same client_id goes through once.
  await sleep(err.retry_after_ms + 50);
  const ack = await sendMessage(a, 'm10', { client_id: 'burst10' });
  h = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  assert.equal(h.body.messages.at(-1).seq, ack.seq);
  a.close(); b.close();
});

test('resending a change with the same client_id after reconnecting is acked once, stored once', async () => {
  const { owner, room } = await roomWithTwo();
  let { client: a } = await connectReady(room, { token: owner.token });
  const first = await sendMessage(a, 'only once', { client_id: 'idem-1' });
  a.send({ type: 'react', client_id: 'idem-2', target: first.seq, emoji: '🎉', add: true });
  const react = await a.next((f) => f.type === 'ack' && f.client_id === 'idem-2');
  a.close();
  ({ client: a } = await connectReady(room, { token: owner.token }));
  const again = await sendMessage(a, 'only once', { client_id: 'idem-1' });
  assert.equal(again.seq, first.seq);
  a.send({ type: 'react', client_id: 'idem-2', target: first.seq, emoji: '🎉', add: true });
  assert.equal((await a.next((f) => f.type === 'ack' && f.client_id === 'idem-2')).seq, react.seq);
  await noFrame(a, (f) => f.type === 'message' || f.type === 'reaction', 300);
  const h = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  assert.equal(h.body.messages.length, 1);
  assert.deepEqual(h.body.messages[0].reactions, { '🎉': [owner.username] });
  // Another user's identical client_id is a different change.
  const other = await register('oth');
  await joinRoom(other, room);
  const { client: o } = await connectReady(room, { token: other.token });
  assert.ok((await sendMessage(o, 'mine', { client_id: 'idem-1' })).seq > react.seq);
  a.close(); o.close();
});

test('resume: since replays exactly the missed durable events, as they were sent live (a deleted message as its tombstone)', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: live } = await connectReady(room, { token: owner.token });
  const { client: b, ready } = await connectReady(room, { token: member.token });
  const since = ready.last_seq;
  b.close();
  const late = await register('late');
  // Every kind of durable event while b is away.
  const m1 = await sendMessage(live, 'while away');
  live.send({ type: 'edit', client_id: 'x1', target: m1.seq, text: 'edited while away' });
  live.send({ type: 'react', client_id: 'x2', target: m1.seq, emoji: '👀', add: true });
  const m2 = await sendMessage(live, 'doomed');
  live.send({ type: 'delete', client_id: 'x3', target: m2.seq });
  await live.next((f) => f.type === 'ack' && f.client_id === 'x3');
  await joinRoom(late, room);
  const p = await api('PATCH', `/api/rooms/${room}`, { token: owner.token, body: { topic: 'new topic' } });
  assert.equal(p.status, 200);
  // What the live socket saw, in order.
  const durable = (f) => typeof f.seq === 'number' && f.type !== 'ack' && f.type !== 'read';
  const liveEvents = [];
  while (liveEvents.length < 7) liveEvents.push(await live.next(durable));
  assert.deepEqual(liveEvents.map((f) => f.type), ['message', 'edit', 'reaction', 'message', 'delete', 'member', 'room']);
  const r = await connect(room, { token: member.token, since });
  const again = await r.next('ready');
  assert.equal(again.resumed, true);
  assert.equal(again.last_seq, since + 7);
  const replayed = [];
  while (replayed.length < 7) replayed.push(await r.next());
  // Contract section 6: a message deleted since is replayed as its tombstone.
  const tombstone = (f) => (f.type === 'message' && f.seq === m2.seq ? { ...f, text: '', deleted: true, reactions: {} } : f);
  assert.deepEqual(replayed, liveEvents.map(tombstone));
  await noFrame(r, (f) => f.type === 'history', 300);
  // Then live events flow.
  await sendMessage(live, 'after resume');
  assert.equal((await r.next('message')).text, 'after resume');
  // Resuming from the latest seq replays nothing; a since beyond it is not replayable.
  const cur = await connect(room, { token: member.token, since: since + 8 });
  assert.equal((await cur.next('ready')).resumed, true);
  await noFrame(cur, (f) => f.type === 'history' || f.type === 'message', 300);
  const ahead = await connect(room, { token: member.token, since: since + 100 });
  assert.equal((await ahead.next('ready')).resumed, false);
  assert.equal((await ahead.next()).type, 'history');
  live.close(); r.close(); cur.close(); ahead.close();
});

test('logout closes the session\'s sockets with 4001, other sessions stay', async () => {
  const { owner, room } = await roomWithTwo();
  const login = await api('POST', '/api/auth/login', { body: { username: owner.username, password: owner.password } });
  const { client: a } = await connectReady(room, { token: owner.token });
  const { client: other } = await connectReady(room, { token: login.body.token });
  const r = await api('POST', '/api/auth/logout', { token: owner.token });
  assert.equal(r.status, 204);
  assert.equal((await waitClosing(a)).code, 4001);
  await sendMessage(other, 'still in');
  other.close();
});

test('a profile change reaches the room as a profile event', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  const r = await api('PATCH', '/api/me', { token: member.token, body: { status: 'on a boat' } });
  assert.equal(r.status, 200);
  const ev = await a.next('profile');
  assert.equal(ev.user, member.username);
  assert.equal(ev.profile.status, 'on a boat');
  assert.equal(ev.profile.username, member.username);
  a.close();
});

test('an expired session closes the socket with 1008 on its next frame', async () => {
  const { owner, room } = await roomWithTwo();
  const { header, claims } = decode(owner.token);
  const now = Math.floor(Date.now() / 1000);
  const token = sign(header, { ...claims, iat: now, exp: now + 2 });
  const { client: a } = await connectReady(room, { token });
  await sendMessage(a, 'in time');
  await sleep(2500);
  a.send({ type: 'send', client_id: 'late', text: 'too late' });
  assert.equal((await a.waitClose()).code, 1008);
  const h = await api('GET', `/api/rooms/${room}/messages`, { token: owner.token });
  assert.deepEqual(h.body.messages.map((m) => m.text), ['in time']);
});

test('batch=1 may pack frames into batches of exactly the separate frames; without it never', async () => {
  const { owner, member, room } = await roomWithTwo();
  const { client: a } = await connectReady(room, { token: owner.token });
  for (let i = 0; i < 3; i++) await sendMessage(a, `pre${i}`);
  // Record raw frames: the batch socket should get ready + history in one batch.
  const raw = [];
  const b = await connect(room, { token: member.token, batch: true });
  b.ws.on('message', (d) => raw.push(JSON.parse(String(d))));
  const ready = await b.next('ready');
  const history = await b.next('history');
  assert.equal(history.messages.length, 3);
  assert.equal(ready.resumed, false);
  await sleep(100);
  assert.ok(raw.some((f) => f.type === 'batch'), JSON.stringify(raw).slice(0, 300));
  const batch = raw.find((f) => f.type === 'batch');
  assert.deepEqual(batch.frames.map((f) => f.type), ['ready', 'history']);
  // Sending through a batch socket: the message and its ack arrive together.
  b.send({ type: 'send', client_id: 'bb', text: 'batched' });
  const msg = await b.next('message');
  assert.equal((await b.next('ack')).seq, msg.seq);
  // A plain socket never sees a batch.
  const plainRaw = [];
  const c = await connect(room, { token: member.token });
  c.ws.on('message', (d) => plainRaw.push(JSON.parse(String(d))));
  await c.next('ready');
  await c.next('history');
  await sendMessage(c, 'plain');
  await sleep(100);
  assert.ok(plainRaw.length >= 4);
  assert.ok(plainRaw.every((f) => f.type !== 'batch'));
  a.close(); b.close(); c.close();
});

test('cookie-authenticated upgrades need the app\'s own Origin', async () => {
  const { owner, room } = await roomWithTwo();
  const bad = await connect(room, { headers: { Cookie: owner.cookie, Origin: 'https://evil.example' } })
    .then(() => null, (e) => e);
  assert.equal(bad.status, 403);
  assert.equal(bad.body.error.code, 'bad_origin');
  const origin = new URL(process.env.BASE_URL).origin;
  const ok = await connect(room, { headers: { Cookie: owner.cookie, Origin: origin } });
  assert.equal((await ok.next('ready')).you.username, owner.username);
  ok.close();
});
