// Does memory keep growing with requests that change nothing? (Not a test.)
//
//   node bench/memory-growth.mjs         # PASSES=8 by default
//
// Straight to the runtime workerd, one server after the other:
// - the product: 100 users, 20 rooms, every user joins every room (1,980 joins),
//   then PASSES passes of the same 1,980 joins again (each caller is a member
//   already, so nothing is stored or changed: the Worker checks the token and
//   the session, the room answers);
// - the JavaScript object with the product's static-asset setup: PASSES + 1
//   passes of 1,980 POSTs it answers 404 (no object is touched).
// After each pass: the process's RSS and, where gdb can attach, the runtime's
// allocator (tcmalloc `malloc_stats()`): bytes in use by the program, bytes it
// holds from the system, and the rest of RSS (V8's heaps, which it maps itself).
// A leak shows as "in use" rising pass after pass; a high-water mark as memory
// held while "in use" stays level.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVERS, plainPost, runtimeWorkerd } from './lib/servers.mjs';

const PASSES = Math.max(1, Number(process.env.PASSES ?? 8));
const USERS = 100;
const ROOMS = 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const scratch = mkdtempSync(join(tmpdir(), 'memory-growth-'));

const rssMib = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/**
 * tcmalloc's own figures, printed by `malloc_stats()` into a file: gdb attaches,
 * points the process's stderr at the file for the call, and puts it back.
 */
function allocator(pid) {
  const out = join(scratch, `stats-${pid}.txt`);
  try {
    execFileSync('gdb', ['-p', String(pid), '-batch', '-nx',
      '-ex', `set $fd = (int)open("${out}", 0101, 0644)`, '-ex', 'set $old = (int)dup(2)',
      '-ex', 'call (int)dup2($fd, 2)', '-ex', 'call (void)malloc_stats()',
      '-ex', 'call (int)dup2($old, 2)', '-ex', 'call (int)close($fd)', '-ex', 'call (int)close($old)'],
    { stdio: 'ignore', timeout: 30_000 });
    const text = readFileSync(out, 'utf8');
    const mib = (what) => Number(new RegExp(`MALLOC:\\s+=?\\s*\\d+\\s+\\(\\s*([\\d.]+) MiB\\) ${what}`).exec(text)?.[1]);
    return { inUse: mib('Bytes in use by application'), held: mib('Actual memory used') };
  } catch {
    return null; // no gdb, or not allowed to attach
  }
}

function report(pid, what) {
  const rss = rssMib(pid);
  const a = allocator(pid);
  const alloc = a && Number.isFinite(a.inUse)
    ? `allocator in use ${a.inUse.toFixed(0)} MiB, held ${a.held.toFixed(0)} MiB, rest of RSS ${(rss - a.held).toFixed(0)} MiB`
    : 'allocator figures unavailable (gdb)';
  console.log(`  ${what.padEnd(28)} RSS ${rss.toFixed(0).padStart(4)} MiB   ${alloc}`);
}

async function json(url, path, { method = 'POST', body, token } = {}) {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const r = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

/** 1,980 requests, 11 at a time: for each room, each user but the first. */
async function pass(each) {
  for (let r = 0; r < ROOMS; r++) {
    for (let i = 1; i < USERS; i += 11) {
      await Promise.all([...Array(Math.min(11, USERS - i))].map((_, j) => each(r, i + j)));
    }
  }
}

async function product() {
  const def = SERVERS['product-workerd'];
  const server = await def.start();
  try {
    const t = await runtimeWorkerd(server);
    const run = Math.random().toString(36).slice(2, 7);
    console.log(`\nproduct (runtime workerd ${t.pid})`);
    await sleep(2000);
    report(t.pid, 'fresh');
    const tokens = [];
    for (let i = 0; i < USERS; i += 10) {
      const batch = await Promise.all([...Array(10)].map((_, j) =>
        json(t.url, '/api/auth/register', { body: { username: `g${run}${i + j}`, password: 'correct horse battery' } })));
      tokens.push(...batch.map((b) => b.token));
    }
    for (let r = 0; r < ROOMS; r++) await json(t.url, '/api/rooms', { body: { name: `g${run}-${r}` }, token: tokens[0] });
    const join = (r, u) => json(t.url, `/api/rooms/g${run}-${r}/join`, { token: tokens[u] });
    await pass(join);
    await sleep(2000);
    report(t.pid, `${USERS} users, ${ROOMS} rooms, joins`);
    for (let k = 1; k <= PASSES; k++) {
      await pass(join);
      await sleep(2000);
      report(t.pid, `read-only joins, pass ${k}`);
    }
  } finally {
    await server.stop();
  }
}

async function jsObject() {
  const def = SERVERS['js-do-assets'];
  const server = await def.start();
  try {
    const t = await runtimeWorkerd(server);
    console.log(`\njs-do-assets (runtime workerd ${t.pid})`);
    await sleep(2000);
    report(t.pid, 'fresh');
    for (let k = 1; k <= PASSES + 1; k++) {
      await pass((r) => plainPost(t.url, r));
      await sleep(2000);
      report(t.pid, `plain 404s, pass ${k}`);
    }
  } finally {
    await server.stop();
  }
}

try {
  await product();
  await jsObject();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);
