// Contract sections 1 and 2: registration, login, the login throttle, logout,
// the session cookie and the Origin rule, against a real wrangler dev.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, register, uniqueName, BASE } from '../lib/api.mjs';
import { decode } from '../lib/jwt.mjs';

const PASSWORD = 'correct horse battery';

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 0);
}

test('register answers 201 with token, expires_at, profile and the session cookie', async () => {
  const name = uniqueName('Reg');
  const r = await api('POST', '/api/auth/register', { body: { username: name, password: PASSWORD, display_name: '  Ada L.  ' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lower = name.toLowerCase();
  assert.equal(r.body.user.username, lower);
  assert.equal(r.body.user.display_name, 'Ada L.');
  assert.deepEqual(Object.keys(r.body.user).sort(),
    ['avatar_url', 'bio', 'color', 'created_at', 'display_name', 'status', 'username']);
  assert.match(r.body.user.color, /^#[0-9a-f]{6}$/);
  const { header, claims } = decode(r.body.token);
  assert.equal(header.alg, 'HS256');
  assert.equal(claims.sub, lower);
  assert.ok(claims.iss && claims.aud && claims.sid);
  assert.ok(claims.exp > claims.iat && claims.exp - claims.iat <= 7 * 24 * 3600);
  assert.equal(r.body.expires_at, claims.exp * 1000);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /^chat_session=[^;]+/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(cookie, /Path=\//);
  assert.doesNotMatch(cookie, /Secure/); // plain http locally
});

test('a new account has its username as display name and a colour derived from it', async () => {
  const u = await register('dflt');
  assert.equal(u.user.display_name, u.username);
  const again = await api('GET', `/api/users/${u.username}`, { token: u.token });
  assert.equal(again.body.color, u.user.color);
});

test('usernames are case-insensitive: taken in any case is 409 username_taken', async () => {
  const u = await register('case');
  const r = await api('POST', '/api/auth/register', { body: { username: u.username.toUpperCase(), password: PASSWORD } });
  assertError(r, 409, 'username_taken');
  const login = await api('POST', '/api/auth/login', { body: { username: u.username.toUpperCase(), password: PASSWORD } });
  assert.equal(login.status, 200);
  assert.equal(login.body.user.username, u.username);
});

test('register validates every field and rejects unknown fields, bad JSON and big bodies', async () => {
  const bad = [
    { username: 'ab', password: PASSWORD },
    { username: 'a'.repeat(25), password: PASSWORD },
    { username: '1abc', password: PASSWORD },
    { username: 'ab-cd', password: PASSWORD },
    { username: 'héllo', password: PASSWORD },
    { username: uniqueName(), password: 'short12' },
    { username: uniqueName(), password: 'x'.repeat(129) },
    { username: uniqueName(), password: PASSWORD, display_name: '' },
    { username: uniqueName(), password: PASSWORD, display_name: 'x'.repeat(33) },
    { username: uniqueName(), password: PASSWORD, display_name: 'a\u0007b' },
    { username: uniqueName(), password: PASSWORD, admin: true },
    { username: uniqueName() },
    { username: 5, password: PASSWORD },
  ];
  for (const body of bad) {
    assertError(await api('POST', '/api/auth/register', { body }), 400, 'bad_request');
  }
  assertError(await api('POST', '/api/auth/register', { raw: '{not json', headers: { 'Content-Type': 'application/json' } }), 400, 'bad_request');
  const big = JSON.stringify({ username: uniqueName(), password: PASSWORD, display_name: 'x'.repeat(70 * 1024) });
  assertError(await api('POST', '/api/auth/register', { raw: big, headers: { 'Content-Type': 'application/json' } }), 413, 'too_large');
  // Lengths count code points: 8 emoji are a valid password, 32 of them a valid display name.
  const ok = await api('POST', '/api/auth/register', { body: { username: uniqueName(), password: '😀'.repeat(8), display_name: '😀'.repeat(32) } });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
});

test('two registrations of one name at the same moment: exactly one 201, the rest 409', async () => {
  const name = uniqueName('race');
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    api('POST', '/api/auth/register', { body: { username: i % 2 ? name : name.toUpperCase(), password: PASSWORD } })));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
  for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.error.code, 'username_taken');
});

test('login: 200 with a new session; unknown user and wrong password are the same 401', async () => {
  const u = await register('login');
  const ok = await api('POST', '/api/auth/login', { body: { username: u.username, password: PASSWORD } });
  assert.equal(ok.status, 200);
  assert.notEqual(decode(ok.body.token).claims.sid, decode(u.token).claims.sid);
  assert.match(ok.headers.get('set-cookie'), /^chat_session=/);
  const wrong = await api('POST', '/api/auth/login', { body: { username: u.username, password: 'wrong password' } });
  const unknown = await api('POST', '/api/auth/login', { body: { username: uniqueName('nobody'), password: PASSWORD } });
  assertError(wrong, 401, 'invalid_credentials');
  assertError(unknown, 401, 'invalid_credentials');
  assert.equal(wrong.body.error.message, unknown.body.error.message);
  assertError(await api('POST', '/api/auth/login', { body: { username: u.username } }), 400, 'bad_request');
  assertError(await api('POST', '/api/auth/login', { body: { username: u.username, password: PASSWORD, x: 1 } }), 400, 'bad_request');
});

test('after 5 failed logins every login is 429 with Retry-After, open sessions keep working', async () => {
  const u = await register('throttle');
  for (let i = 0; i < 5; i++) {
    assertError(await api('POST', '/api/auth/login', { body: { username: u.username, password: `wrong-${i}-password` } }), 401, 'invalid_credentials');
  }
  const locked = await api('POST', '/api/auth/login', { body: { username: u.username, password: PASSWORD } });
  assertError(locked, 429, 'rate_limited');
  const retry = Number(locked.headers.get('retry-after'));
  assert.ok(retry > 0 && retry <= 15 * 60, `Retry-After ${retry}`);
  const me = await api('GET', '/api/me', { token: u.token });
  assert.equal(me.status, 200);
  // Other accounts are not affected.
  const other = await register('free');
  assert.equal((await api('POST', '/api/auth/login', { body: { username: other.username, password: PASSWORD } })).status, 200);
});

test('logout ends that session everywhere at once and clears the cookie; other sessions live on', async () => {
  const u = await register('logout');
  const second = await api('POST', '/api/auth/login', { body: { username: u.username, password: PASSWORD } });
  const out = await api('POST', '/api/auth/logout', { token: u.token });
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie'), /chat_session=;.*Max-Age=0/);
  assertError(await api('GET', '/api/me', { token: u.token }), 401, 'unauthorized');
  assertError(await api('POST', '/api/auth/logout', { token: u.token }), 401, 'unauthorized');
  assert.equal((await api('GET', '/api/me', { token: second.body.token })).status, 200);
});

test('the cookie authenticates; changes by cookie need our Origin, Bearer needs none', async () => {
  const u = await register('cookie');
  const cookie = { Cookie: u.cookie };
  assert.equal((await api('GET', '/api/me', { headers: cookie })).status, 200);
  const patch = { body: { status: 'hi' } };
  assertError(await api('PATCH', '/api/me', { ...patch, headers: cookie }), 403, 'bad_origin');
  assertError(await api('PATCH', '/api/me', { ...patch, headers: { ...cookie, Origin: 'https://evil.example' } }), 403, 'bad_origin');
  const ok = await api('PATCH', '/api/me', { ...patch, headers: { ...cookie, Origin: BASE } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await api('PATCH', '/api/me', { ...patch, token: u.token })).status, 200);
  assertError(await api('POST', '/api/auth/logout', { headers: cookie }), 403, 'bad_origin');
  assert.equal((await api('POST', '/api/auth/logout', { headers: { ...cookie, Origin: BASE } })).status, 204);
  assertError(await api('GET', '/api/me', { headers: cookie }), 401, 'unauthorized');
});
