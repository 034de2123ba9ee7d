// Issue #12 items 6, 8, 10, 11 and 13 as a plain socket client sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register, createRoom, connectReady, sendMessage } from '../lib/api.mjs';

const errorFor = (client, cid) => client.next((f) => f.type === 'error' && (cid === undefined || f.client_id === cid));
const ackFor = (client, cid) => client.next((f) => (f.type === 'ack' && f.client_id === cid) || (f.type === 'error' && f.client_id === cid));

test('a small binary frame is a bad_request error and the socket stays open', async () => {
  const u = await register('bin');
  const room = await createRoom(u);
  const { client } = await connectReady(room, { token: u.token });
  client.ws.send(Buffer.alloc(6 * 1024, 0xff));
  const err = await errorFor(client);
  assert.equal(err.code, 'bad_request');
  const ack = await sendMessage(client, 'still here');
  assert.ok(ack.seq > 0);
  client.close();
});

test('a deleted message is replayed as its tombstone: no stored frame keeps its text', async () => {
  const u = await register('red');
  const room = await createRoom(u);
  const { client } = await connectReady(room, { token: u.token });
  const secret = 'the text that must be gone';
  const sent = await sendMessage(client, secret);
  client.send({ type: 'edit', client_id: 'e1', target: sent.seq, text: `${secret}, edited` });
  await ackFor(client, 'e1');
  client.send({ type: 'delete', client_id: 'd1', target: sent.seq });
  assert.equal((await ackFor(client, 'd1')).type, 'ack');
  client.close();
  const again = await connectReady(room, { token: u.token, since: 0 });
  const replay = [];
  for (;;) {
    const f = await again.client.next(() => true, 1500).catch(() => null);
    if (!f) break;
    replay.push(f);
  }
  assert.ok(replay.length >= 3, 'the replay came');
  assert.ok(!JSON.stringify(replay).includes(secret), 'no replayed frame has the deleted text');
  const tomb = replay.find((f) => f.type === 'message' && f.seq === sent.seq);
  assert.equal(tomb.deleted, true);
  assert.equal(tomb.text, '');
  again.client.close();
});

test('a used client_id on a different change is a conflict and changes nothing', async () => {
  const u = await register('cid');
  const room = await createRoom(u);
  const { client } = await connectReady(room, { token: u.token });
  const sent = await sendMessage(client, 'original', { client_id: 'same-key' });
  client.send({ type: 'edit', client_id: 'same-key', target: sent.seq, text: 'sneaky' });
  const err = await errorFor(client, 'same-key');
  assert.equal(err.code, 'conflict');
  // The same change again is still acked with its seq.
  const repeat = await sendMessage(client, 'original', { client_id: 'same-key' });
  assert.equal(repeat.seq, sent.seq);
  client.close();
});

test('reactions are capped per user per message, and changes are rate limited', async () => {
  const u = await register('rx');
  const room = await createRoom(u);
  const { client } = await connectReady(room, { token: u.token });
  const sent = await sendMessage(client, 'react to me');
  const emoji = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋'];
  const answers = [];
  for (const [i, e] of emoji.entries()) {
    client.send({ type: 'react', client_id: `r${i}`, target: sent.seq, emoji: e, add: true });
    answers.push(await ackFor(client, `r${i}`));
  }
  assert.deepEqual(answers.slice(0, 10).map((a) => a.type), Array(10).fill('ack'));
  assert.equal(answers[10].type, 'error');
  assert.equal(answers[10].code, 'conflict');
  // Edits share a bucket of 20 with reactions: a burst of edits runs into it.
  let limited = null;
  for (let i = 0; i < 30 && !limited; i++) {
    client.send({ type: 'edit', client_id: `e${i}`, target: sent.seq, text: `edit ${i}` });
    const a = await ackFor(client, `e${i}`);
    if (a.type === 'error') limited = a;
  }
  assert.ok(limited, 'no edit was rate limited');
  assert.equal(limited.code, 'rate_limited');
  assert.ok(limited.retry_after_ms > 0);
  client.close();
});
