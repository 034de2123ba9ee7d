// Contract section 9, attachments, against a real wrangler dev with local R2:
// uploads and their limits, sends that carry them, downloads and their
// headers, and deletion with the message and the room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASE, api, register, connectReady, createRoom, joinRoom, sendMessage,
} from '../lib/api.mjs';
import { ROOT, startServer } from '../lib/server.mjs';

const fixture = (name) => readFileSync(join(ROOT, 'tests', 'fixtures', 'images', name));
const PNG = fixture('png.png');
const JPEG = fixture('exif-rotated.jpg');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
}

async function upload(user, room, bytes, { name = 'file.bin', type, base = BASE, headers = {} } = {}) {
  const h = { Authorization: `Bearer ${user.token}`, ...headers };
  if (type) h['Content-Type'] = type;
  const r = await fetch(`${base}/api/rooms/${room}/attachments?name=${encodeURIComponent(name)}`,
    { method: 'POST', headers: h, body: bytes });
  const text = await r.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* keep text */ }
  return { status: r.status, body, headers: r.headers };
}

async function download(user, url, { base = BASE, headers = {} } = {}) {
  const r = await fetch(`${base}${url}`, { headers: { Authorization: `Bearer ${user.token}`, ...headers } });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

async function roomOfTwo(prefix) {
  const alice = await register(prefix);
  const bob = await register(prefix);
  const room = await createRoom(alice);
  await joinRoom(bob, room);
  return { alice, bob, room };
}

test('an upload answers the Attachment: images with their size, other files without', async () => {
  const { alice, room } = await roomOfTwo('at');
  const png = await upload(alice, room, PNG, { name: 'pixel.png', type: 'image/png' });
  assert.equal(png.status, 201, JSON.stringify(png.body));
  assert.deepEqual(Object.keys(png.body).sort(), ['content_type', 'id', 'image', 'name', 'size', 'url']);
  assert.equal(png.body.name, 'pixel.png');
  assert.equal(png.body.content_type, 'image/png');
  assert.equal(png.body.size, PNG.length);
  assert.deepEqual(png.body.image, { width: 7, height: 5 });
  assert.equal(png.body.url, `/api/rooms/${room}/attachments/${png.body.id}`);
  // EXIF orientation 6: stored 9x6, shown 6x9.
  const jpeg = await upload(alice, room, JPEG, { name: 'photo.jpg', type: 'image/jpeg' });
  assert.deepEqual(jpeg.body.image, { width: 6, height: 9 });
  const pdf = await upload(alice, room, PDF, { name: 'Résumé 2026.pdf', type: 'application/pdf' });
  assert.equal(pdf.status, 201);
  assert.equal(pdf.body.name, 'Résumé 2026.pdf');
  assert.equal(pdf.body.image, null);
  const untyped = await upload(alice, room, PDF, { name: 'x' });
  assert.equal(untyped.body.content_type, 'application/octet-stream');
});

test('a message carries attachments to everyone, in history and in replays', async () => {
  const { alice, bob, room } = await roomOfTwo('am');
  const png = (await upload(alice, room, PNG, { name: 'a.png', type: 'image/png' })).body;
  const pdf = (await upload(alice, room, PDF, { name: 'b.pdf', type: 'application/pdf' })).body;
  const a = await connectReady(room, { token: alice.token });
  const b = await connectReady(room, { token: bob.token });
  const ack = await sendMessage(a.client, '', { attachments: [png.id, pdf.id] });
  const got = await b.client.next('message');
  assert.equal(got.text, '');
  assert.deepEqual(got.attachments, [png, pdf]);
  const plain = await sendMessage(a.client, 'no files');
  assert.deepEqual((await b.client.next((f) => f.type === 'message' && f.seq === plain.seq)).attachments, []);
  const page = await api('GET', `/api/rooms/${room}/messages`, { token: bob.token });
  assert.deepEqual(page.body.messages.find((m) => m.seq === ack.seq).attachments, [png, pdf]);
  const replay = await connectReady(room, { token: bob.token, since: ack.seq - 1 });
  assert.deepEqual((await replay.client.next('message')).attachments, [png, pdf]);
  for (const c of [a, b, replay]) c.client.close();
});

test('downloads: inline only for images that are what they claim, with every header', async () => {
  const { alice, bob, room } = await roomOfTwo('ad');
  const png = (await upload(alice, room, PNG, { name: 'a.png', type: 'image/png' })).body;
  const pdf = (await upload(alice, room, PDF, { name: 'Résumé "1".pdf', type: 'application/pdf' })).body;
  const fake = (await upload(alice, room, Buffer.from('<script>alert(1)</script>'), { name: 'x.png', type: 'image/png' })).body;
  const svg = (await upload(alice, room, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), { name: 's.svg', type: 'image/svg+xml' })).body;
  assert.equal(fake.image, null);
  const a = await connectReady(room, { token: alice.token });
  await sendMessage(a.client, 'files', { attachments: [png.id, pdf.id, fake.id, svg.id] });
  a.client.close();
  const common = (r) => {
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('content-security-policy'), "default-src 'none'; sandbox");
    assert.match(r.headers.get('cache-control'), /private/);
    assert.doesNotMatch(r.headers.get('cache-control'), /public/);
    assert.match(r.headers.get('etag'), /^"[0-9a-f]{32}"$/);
  };
  const img = await download(bob, png.url);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  assert.match(img.headers.get('content-disposition'), /^inline; filename="a.png"/);
  assert.ok(img.bytes.equals(PNG));
  common(img);
  const doc = await download(bob, pdf.url);
  assert.equal(doc.headers.get('content-type'), 'application/octet-stream');
  assert.equal(doc.headers.get('content-disposition'),
    "attachment; filename=\"R_sum_ _1_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%221%22.pdf");
  assert.ok(doc.bytes.equals(PDF));
  common(doc);
  for (const att of [fake, svg]) {
    const r = await download(bob, att.url);
    assert.equal(r.headers.get('content-type'), 'application/octet-stream');
    assert.match(r.headers.get('content-disposition'), /^attachment; /);
    common(r);
  }
  const again = await download(bob, png.url, { headers: { 'If-None-Match': img.headers.get('etag') } });
  assert.equal(again.status, 304);
});

test('only members download; an unused upload is its uploader\'s alone', async () => {
  const { alice, bob, room } = await roomOfTwo('ao');
  const eve = await register('ao');
  const att = (await upload(alice, room, PNG, { name: 'a.png', type: 'image/png' })).body;
  assert.equal((await download(alice, att.url)).status, 200);
  assert.equal((await download(bob, att.url)).status, 404);
  const a = await connectReady(room, { token: alice.token });
  await sendMessage(a.client, 'now shared', { attachments: [att.id] });
  a.client.close();
  assert.equal((await download(bob, att.url)).status, 200);
  assert.equal((await download(eve, att.url)).status, 403);
  assertError(await upload(eve, room, PNG, { name: 'a.png' }), 403, 'forbidden');
  const privateRoom = await createRoom(alice, { visibility: 'private' });
  assertError(await upload(eve, privateRoom, PNG, { name: 'a.png' }), 404, 'not_found');
  assert.equal((await download(alice, `/api/rooms/${room}/attachments/${'0'.repeat(24)}`)).status, 404);
  assert.equal((await fetch(`${BASE}${att.url}`)).status, 401);
});

test('upload limits: 10 MiB, names, empty bodies, the rate limit', async () => {
  const { alice, room } = await roomOfTwo('al');
  const big = Buffer.alloc(10 * 1024 * 1024 + 1, 1);
  assertError(await upload(alice, room, big, { name: 'big.bin' }), 413, 'too_large');
  // Exactly 10 MiB is fine.
  const max = await upload(alice, room, Buffer.alloc(10 * 1024 * 1024, 3), { name: 'max.bin' });
  assert.equal(max.status, 201, JSON.stringify(max.body));
  for (const name of ['', 'a/b', 'a\\b', 'tab\there', 'x'.repeat(129)]) {
    assertError(await upload(alice, room, PDF, { name }), 400, 'bad_request');
  }
  const noName = await fetch(`${BASE}/api/rooms/${room}/attachments`, {
    method: 'POST', headers: { Authorization: `Bearer ${alice.token}` }, body: PDF,
  });
  assert.equal(noName.status, 400);
  assertError(await upload(alice, room, Buffer.alloc(0), { name: 'empty' }), 400, 'bad_request');
  assert.equal((await upload(alice, room, PDF, { name: 'x'.repeat(128) })).status, 201);
});

test('an upload without a Content-Length is refused once it passes 10 MiB', async () => {
  // Its own server: under wrangler dev, the request after a body cut short
  // this way gets the dev proxy's 503 (its pooled connection to workerd is
  // broken by the early answer). Browsers always send a Content-Length for
  // a file, so only raw clients stream like this.
  const server = await startServer();
  try {
    const alice = await register('ac', server.url);
    const room = await createRoom(alice, {}, server.url);
    const chunks = (function* () { for (let i = 0; i < 11; i++) yield Buffer.alloc(1024 * 1024, 2); })();
    const stream = new ReadableStream({ pull(c) { const n = chunks.next(); if (n.done) c.close(); else c.enqueue(n.value); } });
    const r = await fetch(`${server.url}/api/rooms/${room}/attachments?name=s.bin`, {
      method: 'POST', headers: { Authorization: `Bearer ${alice.token}` }, body: stream, duplex: 'half',
    });
    assert.equal(r.status, 413);
    assert.equal((await r.json()).error.code, 'too_large');
  } finally {
    await server.stop();
  }
});

test('uploads are rate limited per user per room with Retry-After', async () => {
  const { alice, bob, room } = await roomOfTwo('ar');
  const answers = [];
  for (let i = 0; i < 11; i++) answers.push(await upload(alice, room, PDF, { name: `f${i}` }));
  assert.deepEqual(answers.slice(0, 10).map((a) => a.status), Array(10).fill(201));
  assertError(answers[10], 429, 'rate_limited');
  assert.ok(Number(answers[10].headers.get('retry-after')) >= 1);
  // Bob's bucket is his own.
  assert.equal((await upload(bob, room, PDF, { name: 'b' })).status, 201);
});

test('a send names only its author\'s unused uploads of this room', async () => {
  const { alice, bob, room } = await roomOfTwo('as');
  const other = await createRoom(alice);
  const mine = (await upload(alice, room, PDF, { name: 'm' })).body;
  const bobs = (await upload(bob, room, PDF, { name: 'b' })).body;
  const elsewhere = (await upload(alice, other, PDF, { name: 'o' })).body;
  const a = await connectReady(room, { token: alice.token });
  const err = async (attachments, text = 'x') => {
    const client_id = `e${Math.random().toString(36).slice(2)}`;
    a.client.send({ type: 'send', client_id, text, attachments });
    const e = await a.client.next((f) => f.type === 'error' && f.client_id === client_id);
    return e.code;
  };
  assert.equal(await err([bobs.id]), 'not_found');
  assert.equal(await err([elsewhere.id]), 'not_found');
  assert.equal(await err(['nope']), 'not_found');
  assert.equal(await err([mine.id, mine.id]), 'bad_request');
  assert.equal(await err(Array.from({ length: 11 }, (_, i) => String(i))), 'bad_request');
  assert.equal(await err([], ''), 'bad_request');
  await sendMessage(a.client, 'ok', { attachments: [mine.id] });
  assert.equal(await err([mine.id]), 'conflict');
  a.client.close();
});

/** Files in the local R2 bucket's blob store (wrangler dev's state). */
function blobCount(stateDir) {
  const dir = join(stateDir, 'v3', 'r2', 'edge-chat-attachments', 'blobs');
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

test('deleting a message deletes its files; deleting the room deletes them all', async () => {
  const server = await startServer();
  const base = server.url;
  try {
    const alice = await register('ax', base);
    const room = await createRoom(alice, {}, base);
    const one = (await upload(alice, room, PNG, { name: 'a.png', type: 'image/png', base })).body;
    const two = (await upload(alice, room, PDF, { name: 'b.pdf', base })).body;
    const three = (await upload(alice, room, JPEG, { name: 'c.jpg', base })).body;
    assert.equal(blobCount(server.stateDir), 3);
    const a = await connectReady(room, { token: alice.token, base });
    const first = await sendMessage(a.client, 'two files', { attachments: [one.id, two.id] });
    await sendMessage(a.client, 'one file', { attachments: [three.id] });
    const etag = (await download(alice, one.url, { base })).headers.get('etag');
    a.client.send({ type: 'delete', client_id: 'del1', target: first.seq });
    await a.client.next((f) => f.type === 'ack' && f.client_id === 'del1');
    for (const att of [one, two]) assert.equal((await download(alice, att.url, { base })).status, 404);
    // A cached copy's revalidation is told it is gone too.
    assert.equal((await download(alice, one.url, { base, headers: { 'If-None-Match': etag } })).status, 404);
    assert.equal((await download(alice, three.url, { base })).status, 200);
    const deadline = Date.now() + 5000;
    while (blobCount(server.stateDir) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(blobCount(server.stateDir), 1);
    a.client.close();
    assert.equal((await api('DELETE', `/api/rooms/${room}`, { token: alice.token, base })).status, 204);
    while (blobCount(server.stateDir) !== 0 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 100));
    assert.equal(blobCount(server.stateDir), 0);
  } finally {
    await server.stop();
  }
});
