// Issue #12 (hardening), against a server of its own (its state directory is
// inspected, and it is restarted):
// - looking up rooms and users that do not exist stores nothing: no Durable
//   Object gets a schema or a row (only a real room Create or account Register
//   writes);
// - after a restart (every room object reloaded), the first message in a quiet
//   room still reaches the directory at once.
//
// Where workerd keeps Durable Object storage under `wrangler dev
// --persist-to <dir>`: <dir>/v3/do/<script>-<Class>/<hex id>.sqlite (+ -wal,
// -shm). Miniflare creates that file for every object it instantiates, with
// one table of its own (`__miniflare_do_name`); so "no storage" here means no
// file holds any other table.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { api, register, connect, connectReady, createRoom, sendMessage, uniqueName, uniqueRoom } from '../lib/api.mjs';

let server;
let base;
before(async () => { server = await startServer(); base = server.url; });
after(async () => { await server?.stop(); });

/** The app tables in one object's database files, read as bytes (no sqlite needed). */
function tablesOf(dir, file) {
  let text = '';
  for (const suffix of ['', '-wal']) {
    const p = join(dir, file + suffix);
    if (existsSync(p)) text += readFileSync(p).toString('latin1');
  }
  const names = new Set();
  for (const m of text.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?["`]?(\w+)/g)) names.add(m[1]);
  names.delete('__miniflare_do_name');
  return [...names];
}

/** { "<Class>/<file>": [tables] } for every Durable Object that stored a schema. */
function storedObjects() {
  const root = join(server.stateDir, 'v3', 'do');
  const out = {};
  if (!existsSync(root)) return out;
  for (const cls of readdirSync(root)) {
    const dir = join(root, cls);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.sqlite') && x !== 'metadata.sqlite')) {
      const tables = tablesOf(dir, f);
      if (tables.length) out[`${cls}/${f}`] = tables;
    }
  }
  return out;
}

const call = (method, path, opts = {}) => api(method, path, { base, ...opts });

test('lookups of rooms and users that do not exist create no stored object', async () => {
  const u = await register('st', base);
  const mine = await createRoom(u, {}, base);
  const storedBefore = storedObjects();
  // The real room and account did store something (the inspection can see it).
  const classes = Object.keys(storedBefore).map((k) => k.split('/')[0]);
  assert.ok(classes.some((c) => c.endsWith('RoomObject')), JSON.stringify(storedBefore));
  assert.ok(classes.some((c) => c.endsWith('AccountObject')), JSON.stringify(storedBefore));
  const statuses = new Set();
  for (let i = 0; i < 8; i++) {
    const room = uniqueRoom('nope');
    const user = uniqueName('nobody');
    const answers = await Promise.all([
      call('GET', `/api/rooms/${room}`, { token: u.token }),
      call('POST', `/api/rooms/${room}/join`, { token: u.token }),
      call('POST', `/api/rooms/${room}/leave`, { token: u.token }),
      call('GET', `/api/rooms/${room}/messages`, { token: u.token }),
      call('PATCH', `/api/rooms/${room}`, { token: u.token, body: { title: 'x' } }),
      call('POST', '/api/auth/login', { body: { username: user, password: 'not the password' } }),
      call('GET', `/api/users/${user}`, { token: u.token }),
      call('GET', `/api/users/${user}/avatar`),
      call('POST', `/api/rooms/${mine}/invites`, { token: u.token, body: { username: user } }),
      call('POST', `/api/rooms/${mine}/bans`, { token: u.token, body: { username: user } }),
      connect(room, { token: u.token, base }).then((c) => { c.ws.close(); return { status: 101 }; }, (e) => e),
    ]);
    for (const a of answers) statuses.add(a.status);
  }
  // Give any write that was started time to reach the files.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(storedObjects(), storedBefore);
  assert.deepEqual([...statuses].sort(), [401, 404]);
});

test('after a restart, the first message in a quiet room still reaches the directory at once', async () => {
  const u = await register('rs', base);
  const tag = uniqueName('r').slice(0, 10);
  const a = await createRoom(u, { name: `${tag}-a` }, base);
  await createRoom(u, { name: `${tag}-b` }, base);
  const names = async () => (await call('GET', `/api/rooms/directory?q=${tag}`, { token: u.token })).body.rooms.map((r) => r.name);
  assert.deepEqual(await names(), [`${tag}-b`, `${tag}-a`]);
  await server.restart();
  const { client } = await connectReady(a, { token: u.token, base });
  await sendMessage(client, 'after the restart');
  assert.deepEqual(await names(), [`${tag}-a`, `${tag}-b`]);
  client.close();
});
