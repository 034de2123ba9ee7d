// Contract section 11, against a real wrangler dev: search in one room
// (words, prefixes, case, Unicode, FTS syntax typed by a user, edits,
// deletes, paging) and across the caller's rooms and DMs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, register, connectReady, createRoom, joinRoom, sendMessage } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
}
const q = (params) => new URLSearchParams(params).toString();
const searchRoom = (user, room, params, base) => api('GET', `/api/rooms/${room}/search?${q(params)}`, { token: user.token, base });
const texts = (r) => r.body.messages.map((m) => m.text);

test('a room finds every word as a whole word or its start, any case, newest first', async () => {
  const alice = await register('sr');
  const room = await createRoom(alice);
  const a = await connectReady(room, { token: alice.token });
  for (const text of ['We DEPLOYED on Friday', 'deploy again monday', 'redeploy is not a match',
    'Ünïcode ÉCOLE straße', 'Σοφία says hi', 'nothing here']) {
    await sendMessage(a.client, text);
  }
  let r = await searchRoom(alice, room, { q: 'deploy' });
  assert.equal(r.status, 200);
  assert.deepEqual(texts(r), ['deploy again monday', 'We DEPLOYED on Friday']);
  assert.equal(r.body.has_more, false);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'DEPLOY fri' })), ['We DEPLOYED on Friday']);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'école' })), ['Ünïcode ÉCOLE straße']);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'ecole' })), []);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'σοφ' })), ['Σοφία says hi']);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'ploy' })), []);
  // Whole messages come back, with every field of a Message.
  const [m] = (await searchRoom(alice, room, { q: 'nothing' })).body.messages;
  assert.deepEqual(Object.keys(m).sort(), ['attachments', 'author', 'client_id', 'deleted', 'edited_at',
    'mentions', 'reactions', 'reply_to', 'seq', 'text', 'ts'].sort());
  a.client.close();
});

test('FTS syntax typed by a user is plain words, never an error', async () => {
  const alice = await register('sx');
  const room = await createRoom(alice);
  const a = await connectReady(room, { token: alice.token });
  await sendMessage(a.client, 'use "quotes" OR stars* near(me) col:umn -minus ^caret');
  await sendMessage(a.client, 'or else');
  for (const query of ['"quotes', 'stars*', 'NEAR(me', 'col:umn', '-minus', '^caret', 'quotes OR', 'AND', 'NOT quotes']) {
    const r = await searchRoom(alice, room, { q: query });
    assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
  }
  // Only syntax, no word: refused like any query without a letter or digit.
  assertError(await searchRoom(alice, room, { q: '"" " * ()' }), 400, 'bad_request');
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'quotes OR' })), ['use "quotes" OR stars* near(me) col:umn -minus ^caret']);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'OR' })), ['or else', 'use "quotes" OR stars* near(me) col:umn -minus ^caret']);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'NOT quotes' })), []);
  a.client.close();
});

test('an edited message is found by its new text only, a deleted one never, reactions change nothing', async () => {
  const alice = await register('se');
  const room = await createRoom(alice);
  const a = await connectReady(room, { token: alice.token });
  const edited = await sendMessage(a.client, 'original wording');
  const deleted = await sendMessage(a.client, 'secret plans');
  const reacted = await sendMessage(a.client, 'lunch plans');
  a.client.send({ type: 'edit', client_id: 'e1', target: edited.seq, text: 'revised wording' });
  await a.client.next('edit');
  a.client.send({ type: 'delete', client_id: 'd1', target: deleted.seq });
  await a.client.next('delete');
  a.client.send({ type: 'react', client_id: 'r1', target: reacted.seq, emoji: '👍', add: true });
  await a.client.next('reaction');
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'original' })), []);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'revised' })), ['revised wording']);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'wording' })), ['revised wording']);
  assert.deepEqual(texts(await searchRoom(alice, room, { q: 'secret' })), []);
  const plans = await searchRoom(alice, room, { q: 'plans' });
  assert.deepEqual(texts(plans), ['lunch plans']);
  assert.deepEqual(plans.body.messages[0].reactions, { '👍': [alice.username] });
  a.client.close();
});

test('paging with before and limit; q and limit are validated; only members may search', async () => {
  const alice = await register('sp');
  const bob = await register('sp');
  const room = await createRoom(alice);
  const a = await connectReady(room, { token: alice.token });
  const seqs = [];
  for (let i = 0; i < 5; i++) seqs.push((await sendMessage(a.client, `item ${i}`)).seq);
  const first = await searchRoom(alice, room, { q: 'item', limit: 2 });
  assert.deepEqual(texts(first), ['item 4', 'item 3']);
  assert.equal(first.body.has_more, true);
  const next = await searchRoom(alice, room, { q: 'item', limit: 2, before: first.body.messages[1].seq });
  assert.deepEqual(texts(next), ['item 2', 'item 1']);
  const last = await searchRoom(alice, room, { q: 'item', limit: 2, before: seqs[1] });
  assert.deepEqual(texts(last), ['item 0']);
  assert.equal(last.body.has_more, false);
  assert.equal((await searchRoom(alice, room, { q: 'item' })).body.messages.length, 5);
  for (const bad of [{ q: '' }, {}, { q: '!!! ...' }, { q: 'x'.repeat(201) }, { q: 'item', limit: 0 },
    { q: 'item', limit: 51 }, { q: 'item', limit: 'ten' }, { q: 'item', before: 'soon' }]) {
    assertError(await searchRoom(alice, room, bad), 400, 'bad_request');
  }
  assert.equal((await searchRoom(alice, room, { q: 'é'.repeat(200) })).status, 200);
  assertError(await searchRoom(bob, room, { q: 'item' }), 403, 'forbidden');
  assert.equal((await api('GET', `/api/rooms/${room}/search?q=item`)).status, 401);
  assertError(await searchRoom(alice, 'no-such-room-here', { q: 'item' }), 404, 'not_found');
  a.client.close();
});

test('a global search looks in every room and DM of the caller, newest first, and nowhere else', async () => {
  const alice = await register('sg');
  const bob = await register('sg');
  const rooms = [];
  // More rooms than are asked at once (6), so the bound is exercised.
  for (let i = 0; i < 9; i++) {
    const room = await createRoom(alice);
    const a = await connectReady(room, { token: alice.token });
    await sendMessage(a.client, `needle ${i}`);
    a.client.close();
    rooms.push(room);
  }
  const bobs = await createRoom(bob);
  const b = await connectReady(bobs, { token: bob.token });
  await sendMessage(b.client, 'needle in bob\'s own room');
  b.client.close();
  const dm = (await api('POST', '/api/dms', { token: bob.token, body: { username: alice.username } })).body.name;
  const d = await connectReady(dm, { token: bob.token });
  await sendMessage(d.client, 'needle in a DM');
  d.client.close();
  // A room alice left is not searched.
  await joinRoom(alice, bobs);
  await api('POST', `/api/rooms/${bobs}/leave`, { token: alice.token });

  const r = await api('GET', `/api/search?${q({ q: 'needle', limit: 50 })}`, { token: alice.token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.partial, false);
  assert.deepEqual(r.body.results.map((x) => x.message.text),
    ['needle in a DM', ...[8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => `needle ${i}`)]);
  assert.equal(r.body.results[0].room, dm);
  assert.deepEqual(r.body.results.slice(1).map((x) => x.room), [...rooms].reverse());
  const ts = r.body.results.map((x) => x.message.ts);
  assert.deepEqual(ts, [...ts].sort((x, y) => y - x));
  const cut = await api('GET', `/api/search?${q({ q: 'needle', limit: 3 })}`, { token: alice.token });
  assert.equal(cut.body.results.length, 3);
  assertError(await api('GET', '/api/search?q=%20', { token: alice.token }), 400, 'bad_request');
  assertError(await api('GET', '/api/search?q=needle&limit=99', { token: alice.token }), 400, 'bad_request');
  assert.equal((await api('GET', '/api/search?q=needle')).status, 401);
  const none = await api('GET', `/api/search?${q({ q: 'haystack' })}`, { token: alice.token });
  assert.deepEqual(none.body, { results: [], partial: false });
});

test('the index survives a restart and keeps up with messages sent after it', async () => {
  const server = await startServer();
  const base = server.url;
  try {
    const alice = await register('sk', base);
    const room = await createRoom(alice, {}, base);
    let a = await connectReady(room, { token: alice.token, base });
    await sendMessage(a.client, 'before the restart');
    a.client.close();
    await server.restart();
    a = await connectReady(room, { token: alice.token, base });
    await sendMessage(a.client, 'after the restart');
    const r = await searchRoom(alice, room, { q: 'restart' }, base);
    assert.deepEqual(texts(r), ['after the restart', 'before the restart']);
    a.client.close();
  } finally {
    await server.stop();
  }
});
