// Every kind of bad token in contract section 2 gets 401 unauthorized, and no
// route but health and avatar images answers without authentication.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, register } from '../lib/api.mjs';
import { decode, sign } from '../lib/jwt.mjs';

test('missing, malformed, tampered, wrong-key, alg none, expired, wrong iss/aud tokens are 401', async () => {
  const u = await register('tok');
  const { header, claims } = decode(u.token);
  const now = Math.floor(Date.now() / 1000);
  const [h, p, s] = u.token.split('.');
  const tamperedClaims = Buffer.from(JSON.stringify({ ...claims, sub: 'someoneelse' })).toString('base64url');
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
  const cases = {
    'valid control': null,
    malformed: 'not-a-token',
    'two parts': `${h}.${p}`,
    'tampered payload': `${h}.${tamperedClaims}.${s}`,
    'tampered signature': `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`,
    'wrong key': sign(header, claims, 'another-secret-that-is-long-enough-123456'),
    'alg none': none,
    'alg none, no dot': none.slice(0, -1),
    'alg HS512 label': sign({ ...header, alg: 'HS512' }, claims),
    expired: sign(header, { ...claims, iat: now - 7200, exp: now - 3600 }),
    'wrong iss': sign(header, { ...claims, iss: 'someone-else' }),
    'wrong aud': sign(header, { ...claims, aud: 'someone-else' }),
    'too long-lived': sign(header, { ...claims, iat: now, exp: now + 8 * 24 * 3600 }),
    'unknown session': sign(header, { ...claims, sid: 'AAAAAAAAAAAAAAAAAAAAAA' }),
  };
  for (const [name, token] of Object.entries(cases)) {
    const r = await api('GET', '/api/me', { token: token ?? u.token });
    if (token === null) {
      assert.equal(r.status, 200, name);
      continue;
    }
    assert.equal(r.status, 401, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'unauthorized', name);
    assert.doesNotMatch(JSON.stringify(r.body), /signature|hmac|panic|stack|secret/i, name);
  }
  // A correctly signed token for the same session with its own claims still works:
  // the checks above failed for the reason named, not because re-signing breaks tokens.
  assert.equal((await api('GET', '/api/me', { token: sign(header, claims) })).status, 200);
  assert.equal((await api('GET', '/api/me', { headers: { Authorization: 'Basic abc' } })).status, 401);
  assert.equal((await api('GET', '/api/me', { headers: { Cookie: 'chat_session=garbage' } })).status, 401);
});

test('every route but health and avatar images refuses an unauthenticated caller with 401', async () => {
  const u = await register('walk');
  const routes = [
    ['POST', '/api/auth/logout'], ['GET', '/api/me'], ['PATCH', '/api/me'],
    ['PUT', '/api/me/avatar'], ['DELETE', '/api/me/avatar'], ['GET', `/api/users/${u.username}`],
    ['GET', '/api/rooms'], ['GET', '/api/rooms/directory'], ['POST', '/api/rooms'],
    ['GET', '/api/rooms/general'], ['PATCH', '/api/rooms/general'], ['DELETE', '/api/rooms/general'],
    ['POST', '/api/rooms/general/join'], ['POST', '/api/rooms/general/leave'],
    ['POST', '/api/rooms/general/invites'], ['POST', '/api/rooms/general/kick'],
    ['POST', '/api/rooms/general/bans'], ['DELETE', `/api/rooms/general/bans/${u.username}`],
    ['PUT', `/api/rooms/general/members/${u.username}`], ['GET', '/api/rooms/general/messages'],
    ['GET', '/api/rooms/general/socket'],
  ];
  for (const [method, path] of routes) {
    const body = ['GET', 'DELETE'].includes(method) ? undefined : {};
    const r = await api(method, path, { body });
    assert.equal(r.status, 401, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'unauthorized');
  }
  assert.equal((await api('GET', '/api/health')).status, 200);
  assert.equal((await api('GET', `/api/users/${u.username}/avatar`)).status, 200);
});
