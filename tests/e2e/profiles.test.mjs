// Contract section 3: reading and editing profiles, avatar uploads checked by
// their bytes, default avatars, and the caching rules of avatar responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, register, uniqueName, BASE } from '../lib/api.mjs';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw==', 'base64');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(64, 1), Buffer.from([0xff, 0xd9])]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(28, 0)]);

async function upload(token, bytes, type) {
  const r = await fetch(`${BASE}/api/me/avatar`, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': type }, body: bytes });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

test('GET /api/me and /api/users/{name} return the Profile; unknown users are 404', async () => {
  const u = await register('prof');
  const me = await api('GET', '/api/me', { token: u.token });
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, u.user);
  const other = await register('other');
  const seen = await api('GET', `/api/users/${u.username.toUpperCase()}`, { token: other.token });
  assert.equal(seen.status, 200);
  assert.deepEqual(seen.body, u.user);
  const missing = await api('GET', `/api/users/${uniqueName('ghost')}`, { token: u.token });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'not_found');
  assert.equal((await api('GET', '/api/users/no--such!', { token: u.token })).status, 404);
});

test('PATCH /api/me applies every field by the rules and a bad patch changes nothing', async () => {
  const u = await register('patch');
  const ok = await api('PATCH', '/api/me', { token: u.token, body: { display_name: '  Grace H  ', bio: 'b'.repeat(280), status: 's'.repeat(64), color: '#AABBCC' } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.display_name, 'Grace H');
  assert.equal(ok.body.color, '#aabbcc');
  assert.equal(ok.body.bio.length, 280);
  const bad = [
    { display_name: '   ' }, { display_name: 'x'.repeat(33) }, { display_name: 'a\nb' },
    { bio: 'b'.repeat(281) }, { status: 's'.repeat(65) }, { color: 'red' }, { color: '#abc' },
    { color: '#aabbcc', shoe_size: 42 }, { display_name: null }, { bio: 5 }, { username: 'root' },
  ];
  for (const body of bad) {
    const r = await api('PATCH', '/api/me', { token: u.token, body: { status: 'changed', ...body } });
    assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.status}`);
    assert.equal(r.body.error.code, 'bad_request');
  }
  const after = await api('GET', '/api/me', { token: u.token });
  assert.deepEqual(after.body, ok.body);
  assert.equal((await api('PATCH', '/api/me', { token: u.token, body: {} })).status, 200);
});

test('the default avatar: same picture every time, no auth, ETag, nosniff, caching by version', async () => {
  const u = await register('ava');
  const url = `${BASE}${u.user.avatar_url}`;
  const a = await fetch(url);
  const b = await fetch(url);
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(a.headers.get('etag'));
  assert.match(a.headers.get('cache-control'), /immutable/);
  assert.equal(await a.text(), await b.text());
  const plain = await fetch(`${BASE}/api/users/${u.username}/avatar`);
  assert.equal(plain.status, 200);
  assert.doesNotMatch(plain.headers.get('cache-control'), /immutable/);
  assert.equal(plain.headers.get('etag'), a.headers.get('etag'));
  const again = await fetch(`${BASE}/api/users/${u.username}/avatar`, { headers: { 'If-None-Match': a.headers.get('etag') } });
  assert.equal(again.status, 304);
  assert.equal((await fetch(`${BASE}/api/users/${uniqueName('ghost')}/avatar`)).status, 404);
});

test('avatar uploads: each image type by its bytes; the URL changes; delete restores the default', async () => {
  const u = await register('up');
  let last = u.user.avatar_url;
  for (const [bytes, type] of [[PNG, 'image/png'], [GIF, 'image/gif'], [JPEG, 'image/jpeg'], [WEBP, 'image/webp']]) {
    const r = await upload(u.token, bytes, type);
    assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`);
    assert.notEqual(r.body.avatar_url, last);
    last = r.body.avatar_url;
    const img = await fetch(`${BASE}${r.body.avatar_url}`);
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), type);
    assert.match(img.headers.get('cache-control'), /immutable/);
    assert.equal(img.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(img.headers.get('etag'));
    assert.deepEqual(Buffer.from(await img.arrayBuffer()), bytes);
  }
  const me = await api('GET', '/api/me', { token: u.token });
  assert.equal(me.body.avatar_url, last);
  const del = await api('DELETE', '/api/me/avatar', { token: u.token });
  assert.equal(del.status, 200);
  assert.equal(del.body.avatar_url, u.user.avatar_url);
});

test('avatar uploads that lie about their type, SVG/HTML, empty or oversize are refused', async () => {
  const u = await register('bad');
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  const html = Buffer.from('<!doctype html><script>alert(1)</script>');
  const cases = [
    [PNG, 'image/jpeg', 415], [JPEG, 'image/png', 415], [svg, 'image/svg+xml', 415], [svg, 'image/png', 415],
    [html, 'text/html', 415], [html, 'image/gif', 415], [PNG, 'application/octet-stream', 415],
    [Buffer.concat([PNG, Buffer.alloc(513 * 1024)]), 'image/png', 413],
  ];
  for (const [bytes, type, status] of cases) {
    const r = await upload(u.token, bytes, type);
    assert.equal(r.status, status, `${type} ${bytes.length}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, status === 413 ? 'too_large' : 'unsupported_media_type');
  }
  const me = await api('GET', '/api/me', { token: u.token });
  assert.equal(me.body.avatar_url, u.user.avatar_url);
  // Exactly 512 KiB is allowed.
  const max = Buffer.concat([PNG, Buffer.alloc(512 * 1024 - PNG.length)]);
  assert.equal((await upload(u.token, max, 'image/png')).status, 200);
});
