// Room socket behaviour that needs a server of its own: a raised send rate
// (thousands of events for the resume window), hibernation of the room object
// while sockets stay open, and a restart of wrangler dev in the middle of a
// stream of sends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  api, register, connect, connectReady, createRoom, joinRoom, noFrame, sendMessage, waitFor,
} from '../lib/api.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server;
let base;

before(async () => {
  server = await startServer({ vars: { CHAT_SEND_BURST: '100000', CHAT_SEND_PER_SEC: '100000' } });
  base = server.url;
});
after(async () => { await server?.stop(); });

/** Every message of a room, paging back from the newest. */
async function allMessages(room, token) {
  const out = [];
  let before;
  for (;;) {
    const q = before ? `?limit=100&before=${before}` : '?limit=100';
    const r = await api('GET', `/api/rooms/${room}/messages${q}`, { token, base });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.unshift(...r.body.messages);
    if (!r.body.has_more) return out;
    before = r.body.messages[0].seq;
  }
}

test('resume window: 5000 events behind replays all of them; 5001 behind gets the latest 50 instead', async () => {
  const u = await register('win', base);
  const room = await createRoom(u, {}, base);
  const { client } = await connectReady(room, { token: u.token, base });
  const total = 5002;
  for (let i = 0; i < total; i++) client.send({ type: 'send', client_id: `w${i}`, text: `n${i}` });
  await waitFor(client, (f) => f.type === 'ack' && f.client_id === `w${total - 1}`, 120_000);
  client.close();
  const lastSeq = 1 + total;
  // 5001 behind: too old.
  const old = await connect(room, { token: u.token, since: lastSeq - 5001, base, batch: true });
  const r1 = await old.next('ready');
  assert.equal(r1.resumed, false);
  assert.equal(r1.last_seq, lastSeq);
  const h = await old.next('history');
  assert.equal(h.messages.length, 50);
  assert.equal(h.has_more, true);
  assert.equal(h.messages.at(-1).seq, lastSeq);
  old.close();
  // Exactly 5000 behind: every event, in order.
  const ok = await connect(room, { token: u.token, since: lastSeq - 5000, base, batch: true });
  const r2 = await ok.next('ready');
  assert.equal(r2.resumed, true);
  for (let seq = lastSeq - 4999; seq <= lastSeq; seq++) {
    const f = await waitFor(ok, () => true, 30_000);
    assert.equal(f.type, 'message');
    assert.equal(f.seq, seq);
  }
  await noFrame(ok, (f) => f.type === 'history', 200);
  ok.close();
});

test('hibernation: an idle room is evicted and rebuilt; sockets, identities and roles survive', async () => {
  const owner = await register('hib', base);
  const member = await register('hib', base);
  const room = await createRoom(owner, {}, base);
  await joinRoom(member, room, base);
  const { client: a } = await connectReady(room, { token: owner.token, base });
  const { client: b } = await connectReady(room, { token: member.token, base });
  await a.next('presence');
  const first = await sendMessage(a, 'before the nap');
  // The room reports message activity to the directory at once after a quiet
  // minute, then at most once a minute, and remembers when it last did only
  // in memory: the first message is listed, the next one not yet.
  let dir = await api('GET', `/api/rooms/directory?q=${room}`, { token: owner.token, base });
  assert.equal(dir.body.rooms[0].last_seq, first.seq);
  await sendMessage(a, 'still awake');
  dir = await api('GET', `/api/rooms/directory?q=${room}`, { token: owner.token, base });
  assert.equal(dir.body.rooms[0].last_seq, first.seq);
  // wrangler dev evicts an object idle for about 10 s; its sockets stay open.
  await sleep(12_000);
  assert.equal(a.closed, null);
  assert.equal(b.closed, null);
  // The exact ping is answered by the runtime even while the room sleeps.
  b.send('{"type":"ping"}');
  assert.deepEqual(await b.next('pong'), { type: 'pong' });
  // A frame wakes it: the message carries the sender's identity from the
  // socket's attachment, and is broadcast to both restored sockets.
  const ack = await sendMessage(b, 'after the nap');
  const seen = await a.next((f) => f.type === 'message' && f.seq === ack.seq);
  assert.deepEqual([seen.seq, seen.author, seen.text], [ack.seq, member.username, 'after the nap']);
  // Proof of a fresh instance: it forgot its last directory report and
  // reported again within the minute.
  dir = await api('GET', `/api/rooms/directory?q=${room}`, { token: owner.token, base });
  assert.equal(dir.body.rooms[0].last_seq, ack.seq);
  // Roles come from the reloaded state: a member may not delete the owner's message...
  b.send({ type: 'delete', client_id: 'x1', target: first.seq });
  assert.equal((await b.next('error')).code, 'forbidden');
  // ...the owner may delete the member's.
  a.send({ type: 'delete', client_id: 'x2', target: ack.seq });
  assert.equal((await b.next('delete')).by, owner.username);
  // Presence was rebuilt too: the member's last socket closing is announced.
  b.close();
  assert.deepEqual(await a.next((f) => f.type === 'presence'), { type: 'presence', user: member.username, online: false });
  const info = await api('GET', `/api/rooms/${room}`, { token: owner.token, base });
  assert.deepEqual(info.body.members.map((m) => [m.username, m.online]), [[owner.username, true], [member.username, false]]);
  a.close();
});

test('restart mid-stream: no acknowledged message is lost; resending the rest creates no duplicates', async () => {
  const u = await register('rst', base);
  const other = await register('rst', base);
  const room = await createRoom(u, {}, base);
  await joinRoom(other, room, base);
  const { client } = await connectReady(room, { token: u.token, base });
  const total = 400;
  const acked = new Map();
  client.ws.on('message', (d) => {
    const f = JSON.parse(String(d));
    for (const x of f.type === 'batch' ? f.frames : [f]) if (x.type === 'ack') acked.set(x.client_id, x.seq);
  });
  // Send steadily; restart the server once some (not all) are acknowledged.
  let sent = 0;
  const sending = (async () => {
    while (sent < total && !client.closed) {
      try { client.send({ type: 'send', client_id: `s${sent}`, text: `t${sent}` }); } catch { break; }
      sent++;
      if (sent % 5 === 0) await sleep(2);
    }
  })();
  while (acked.size < 40) await sleep(5);
  await server.restart();
  await sending;
  assert.ok(acked.size >= 40 && acked.size < total, `acked ${acked.size} of ${total} before the restart`);
  const before = new Map(acked);
  // Reconnect and resend everything that was not acknowledged, with the same client_ids.
  const { client: again } = await connectReady(room, { token: u.token, base });
  for (let i = 0; i < total; i++) {
    if (!before.has(`s${i}`)) again.send({ type: 'send', client_id: `s${i}`, text: `t${i}` });
  }
  for (let i = 0; i < total; i++) {
    if (!before.has(`s${i}`)) await waitFor(again, (f) => f.type === 'ack' && f.client_id === `s${i}`, 30_000);
  }
  // Resending an acknowledged one is acked with its original seq.
  const [someId, someSeq] = [...before.entries()][0];
  again.send({ type: 'send', client_id: someId, text: 'ignored' });
  assert.equal((await again.next((f) => f.type === 'ack' && f.client_id === someId)).seq, someSeq);
  const messages = await allMessages(room, u.token);
  assert.equal(messages.length, total);
  const ids = messages.map((m) => m.client_id);
  assert.equal(new Set(ids).size, total, 'a client_id was stored twice');
  for (const [id, seq] of before) {
    const m = messages.find((x) => x.client_id === id);
    assert.ok(m, `acknowledged ${id} lost`);
    assert.equal(m.seq, seq);
    assert.equal(m.text, `t${id.slice(1)}`);
  }
  // Seqs have no gaps: the room's events are 1 (owner joined), 2 (other joined), then the messages.
  assert.deepEqual(messages.map((m) => m.seq), Array.from({ length: total }, (_, i) => i + 3));
  // Identities after the restart: the other user's socket speaks as them.
  const { client: o, ready } = await connectReady(room, { token: other.token, base });
  assert.deepEqual(ready.you, { username: other.username, role: 'member' });
  assert.equal(ready.last_seq, total + 2);
  const ack = await sendMessage(o, 'hello again');
  assert.equal((await again.next((f) => f.type === 'message' && f.seq === ack.seq)).author, other.username);
  again.close(); o.close();
});
