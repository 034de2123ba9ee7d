// Issue #12 (hardening), the HTTP edge: JSON bodies need a JSON Content-Type
// and sign-ins from another site are refused (login CSRF), bodies are counted
// while they stream in (413 at the cap, not after buffering), `/api/` is
// stripped exactly once, and https responses carry Strict-Transport-Security.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { api, register, createRoom, uniqueName, uniqueRoom, BASE } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const PASSWORD = 'correct horse battery';
const KIB = 1024;

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
  assert.ok(r.body.error.message.length > 0);
}

/** A POST with a raw body and exactly the headers given (a string body alone would get text/plain). */
const post = (path, text, headers) => api('POST', path, { raw: Buffer.from(text), headers });

// ---- item 5: cross-site login and registration ------------------------------------------

test('a text/plain body (what a cross-site <form enctype="text/plain"> sends) is 415 on login and register', async () => {
  const u = await register('ctype');
  const login = JSON.stringify({ username: u.username, password: PASSWORD });
  const r = await post('/api/auth/login', login, { 'Content-Type': 'text/plain' });
  assertError(r, 415, 'unsupported_media_type');
  assert.equal(r.headers.get('set-cookie'), null, 'no session cookie for a refused login');
  assertError(await post('/api/auth/login', login, { 'Content-Type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  assertError(await post('/api/auth/login', login, {}), 415, 'unsupported_media_type');
  const reg = JSON.stringify({ username: uniqueName('ctype'), password: PASSWORD });
  assertError(await post('/api/auth/register', reg, { 'Content-Type': 'text/plain;charset=UTF-8' }), 415, 'unsupported_media_type');
  // A charset parameter and any case are fine.
  for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8']) {
    const ok = await post('/api/auth/login', login, { 'Content-Type': type });
    assert.equal(ok.status, 200, `${type}: ${JSON.stringify(ok.body)}`);
  }
});

test('every route that reads a JSON body wants application/json; routes without a body need no Content-Type', async () => {
  const owner = await register('ctype');
  const other = await register('ctype');
  const auth = { Authorization: `Bearer ${owner.token}`, 'Content-Type': 'text/plain' };
  const room = await createRoom(owner);
  const calls = [
    ['PATCH', '/api/me', { status: 'hi' }],
    ['POST', '/api/rooms', { name: uniqueRoom() }],
    ['PATCH', `/api/rooms/${room}`, { title: 'x' }],
    ['POST', `/api/rooms/${room}/invites`, { username: other.username }],
    ['PUT', `/api/rooms/${room}/members/${other.username}`, { role: 'member' }],
  ];
  for (const [method, path, body] of calls) {
    const r = await api(method, path, { raw: JSON.stringify(body), headers: auth });
    assertError(r, 415, 'unsupported_media_type');
  }
  // No body, no Content-Type: join, leave, logout keep working.
  const join = await api('POST', `/api/rooms/${room}/join`, { token: other.token });
  assert.equal(join.status, 200, JSON.stringify(join.body));
  assert.equal((await api('POST', `/api/rooms/${room}/leave`, { token: other.token })).status, 204);
  assert.equal((await api('POST', '/api/auth/logout', { token: other.token })).status, 204);
});

test('register and login from another site are 403 bad_origin; same origin and non-browser clients are fine', async () => {
  const u = await register('site');
  const body = { username: u.username, password: PASSWORD };
  const evil = await api('POST', '/api/auth/login', { body, headers: { Origin: 'https://evil.example' } });
  assertError(evil, 403, 'bad_origin');
  assert.equal(evil.headers.get('set-cookie'), null);
  assertError(await api('POST', '/api/auth/login', { body, headers: { Origin: 'null' } }), 403, 'bad_origin');
  assertError(await api('POST', '/api/auth/login', { body, headers: { 'Sec-Fetch-Site': 'cross-site' } }), 403, 'bad_origin');
  const reg = () => ({ username: uniqueName('site'), password: PASSWORD });
  assertError(await api('POST', '/api/auth/register', { body: reg(), headers: { Origin: 'https://evil.example' } }), 403, 'bad_origin');
  assertError(await api('POST', '/api/auth/register', { body: reg(), headers: { 'Sec-Fetch-Site': 'cross-site' } }), 403, 'bad_origin');
  // The app's own page, and clients that send no Origin at all (curl, apps, these tests).
  const same = await api('POST', '/api/auth/login', { body, headers: { Origin: BASE, 'Sec-Fetch-Site': 'same-origin' } });
  assert.equal(same.status, 200, JSON.stringify(same.body));
  assert.equal((await api('POST', '/api/auth/login', { body })).status, 200);
  assert.equal((await api('POST', '/api/auth/login', { body, headers: { 'Sec-Fetch-Site': 'none' } })).status, 200);
  assert.equal((await api('POST', '/api/auth/register', { body: reg(), headers: { Origin: BASE } })).status, 201);
});

// ---- item 7: bodies are counted while they stream in ------------------------------------

/**
 * Sends a chunked body (no Content-Length) of `first` bytes and waits, without
 * ending it, for the server's answer. Resolves { status, body, sent } or
 * { status: null } when nothing came within `waitMs`: a server that buffers
 * the whole body first never answers a body that has not ended.
 */
async function chunkedWithoutEnd(path, headers, first, waitMs = 8000) {
  const r = await sendChunked(path, headers, first, waitMs);
  // wrangler dev's proxy keeps its connection to the runtime after a body the
  // Worker stopped reading and the next POST on it fails with a 503 (straight
  // to workerd, as in production, nothing fails: bench/lib/servers.mjs
  // directWorkerd). A throwaway POST (404 or that 503) clears it.
  await fetch(new URL('/api/health', BASE), { method: 'POST', signal: AbortSignal.timeout(5000) }).catch(() => {});
  return r;
}

function sendChunked(path, headers, first, waitMs) {
  return new Promise((resolve) => {
    let sent = 0;
    let done = false;
    const finish = (v) => { if (!done) { done = true; clearTimeout(timer); req.destroy(); resolve(v); } };
    const req = http.request(new URL(path, BASE), { method: headers['X-Method'] ?? 'POST', headers: { ...headers, 'Transfer-Encoding': 'chunked' } });
    const timer = setTimeout(() => finish({ status: null, sent }), waitMs);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let body = text;
        try { body = JSON.parse(text); } catch { /* keep text */ }
        finish({ status: res.statusCode, body, sent });
      });
    });
    req.on('error', () => finish({ status: null, sent, error: true }));
    const piece = Buffer.alloc(8 * KIB, 0x61);
    while (sent < first) { req.write(piece); sent += piece.length; }
  });
}

test('a chunked JSON body over 64 KiB is refused with 413 before the client has sent all of it', async () => {
  const r = await chunkedWithoutEnd('/api/auth/register', { 'Content-Type': 'application/json' }, 96 * KIB);
  assert.notEqual(r.status, null, 'the server answered while the body was still open');
  assertError(r, 413, 'too_large');
});

test('a chunked avatar over 512 KiB is refused with 413 before the client has sent all of it', async () => {
  const u = await register('chunk');
  const r = await chunkedWithoutEnd('/api/me/avatar', {
    'X-Method': 'PUT', Authorization: `Bearer ${u.token}`, 'Content-Type': 'image/png',
  }, 640 * KIB);
  assert.notEqual(r.status, null, 'the server answered while the body was still open');
  assertError(r, 413, 'too_large');
});

test('a chunked body under the cap is read whole', async () => {
  const username = uniqueName('chunk');
  const json = JSON.stringify({ username, password: PASSWORD, display_name: 'Chunky' });
  const r = await new Promise((resolve, reject) => {
    const req = http.request(new URL('/api/auth/register', BASE), {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    for (let i = 0; i < json.length; i += 7) req.write(json.slice(i, i + 7));
    req.end();
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.user.username, username);
  assert.equal(r.body.user.display_name, 'Chunky');
});

// ---- item 12: `/api/` is stripped once ----------------------------------------------------

test('only /api/<route> is a route: /api/api/me, /api/apime and other shapes are 404', async () => {
  const u = await register('path');
  assert.equal((await api('GET', '/api/me', { token: u.token })).status, 200);
  for (const path of ['/api/api/me', '/api/apime', '/api//me', '/api/me/', '/api/api/api/me', '/api/apihealth',
    '/api/api/health', '/api//health', '/api', '/api/', '/api/rooms//directory']) {
    const r = await api('GET', path, { token: u.token });
    assertError(r, 404, 'not_found');
  }
  assertError(await api('POST', '/api/api/auth/login', { body: { username: u.username, password: PASSWORD } }), 404, 'not_found');
});

// ---- item 16: Strict-Transport-Security on https only -------------------------------------

test('plain http responses carry no Strict-Transport-Security', async () => {
  for (const path of ['/api/health', '/', '/api/nope']) {
    const r = await fetch(`${BASE}${path}`);
    await r.arrayBuffer();
    assert.equal(r.headers.get('strict-transport-security'), null, path);
  }
});

// A second server whose Worker sees https URLs, as on Cloudflare: wrangler dev
// forwards to an https upstream (nothing is fetched from it: the Worker answers).
let secure;
before(async () => { secure = await startServer({ extraArgs: ['--local-upstream', 'chat.example', '--upstream-protocol', 'https'] }); });
after(async () => { await secure?.stop(); });

test('https responses carry Strict-Transport-Security (API, errors and static files)', async () => {
  const reg = await api('POST', '/api/auth/register', { body: { username: uniqueName('tls'), password: PASSWORD }, base: secure.url });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  assert.match(reg.headers.get('set-cookie'), /; Secure/, 'the Worker saw an https URL');
  for (const path of ['/api/health', '/', '/api/nope', '/api/me']) {
    const r = await fetch(`${secure.url}${path}`);
    await r.arrayBuffer();
    assert.equal(r.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains', path);
  }
});
