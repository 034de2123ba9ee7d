// The foundation every client relies on: health, the app shell with its security
// headers, the single-page-app fallback, and JSON errors for unknown API paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const BASE = process.env.BASE_URL;

test('GET /api/health answers 200 JSON', async () => {
  const r = await fetch(`${BASE}/api/health`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/json/);
  assert.deepEqual(await r.json(), { status: 'ok' });
});

test('/ serves the app with security headers', async () => {
  const r = await fetch(`${BASE}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/html/);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /img-src 'self' blob: data:/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(r.headers.get('referrer-policy'));
  assert.match(await r.text(), /<html|<!doctype html/i);
});

test('a client-side route such as /rooms/general falls back to the app shell', async () => {
  const r = await fetch(`${BASE}/rooms/general`, { headers: { 'Sec-Fetch-Mode': 'navigate', Accept: 'text/html' } });
  assert.equal(r.status, 200);
  assert.match(await r.text(), /<html|<!doctype html/i);
  assert.ok(r.headers.get('content-security-policy'));
});

test('unknown /api/ paths answer 404 not_found in the contract error shape', async () => {
  for (const path of ['/api/nope', '/api/health/extra', '/api/rooms/x/y/z/w']) {
    const r = await fetch(`${BASE}${path}`);
    assert.equal(r.status, 404, path);
    const body = await r.json();
    assert.equal(body.error.code, 'not_found');
    assert.equal(typeof body.error.message, 'string');
    assert.ok(r.headers.get('content-security-policy'));
  }
});

test('without a proper JWT_SECRET the worker serves health but refuses authenticated routes', async () => {
  const { startServer } = await import('../lib/server.mjs');
  const server = await startServer({ vars: { JWT_SECRET: 'too-short' } });
  try {
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
    const reg = await fetch(`${server.url}/api/auth/register`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'someone', password: 'long enough pw' }),
    });
    assert.equal(reg.status, 503);
    const body = await reg.json();
    assert.equal(body.error.code, 'unavailable');
    assert.doesNotMatch(JSON.stringify(body), /too-short|JWT_SECRET/);
    const me = await fetch(`${server.url}/api/me`, { headers: { Authorization: 'Bearer x.y.z' } });
    assert.equal(me.status, 503);
    // The worker's log line arrives through wrangler's output a moment later.
    const deadline = Date.now() + 5000;
    while (!/JWT_SECRET is shorter than 32 bytes/.test(server.log()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(server.log(), /JWT_SECRET is shorter than 32 bytes/);
  } finally {
    await server.stop();
  }
});
