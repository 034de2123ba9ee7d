// Search benchmark (not a test; `make bench-search`): latency of
// GET /api/rooms/{name}/search in a room of 100,000 stored messages and of
// GET /api/search over 50 rooms, against a real wrangler dev. Messages are
// sentences over a Zipf-distributed vocabulary, so queries range from words
// in a third of the messages to words in a handful, short prefixes and
// words that match nothing. Reports p50/p99 per kind of query, and the CPU
// the generator and the server used, so the generator is seen not to be the
// limit (requests go one at a time: this measures latency, not throughput).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, ROOT } from '../tests/lib/server.mjs';
import { RATE_VARS, descendants } from './lib/servers.mjs';

const ROOM_MESSAGES = Number(process.env.ROOM_MESSAGES ?? 100_000);
const ROOMS = Number(process.env.ROOMS ?? 50);
const PER_ROOM = Number(process.env.PER_ROOM ?? 1_000);
const RUNS = Number(process.env.RUNS ?? 100);

// ---- a deterministic corpus ----
// mulberry32: 32-bit integer steps (a float LCG loses bits and cycles).
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const SYL = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'de', 'po', 'gu', 'fa', 'ze', 'bi', 'xo', 'qu'];
const VOCAB = [];
while (VOCAB.length < 5000) {
  const n = 2 + Math.floor(rand() * 3);
  let w = '';
  for (let i = 0; i < n; i++) w += SYL[Math.floor(rand() * SYL.length)];
  if (!VOCAB.includes(w)) VOCAB.push(w);
}
// Zipf (s = 1): word i has weight 1/(i+1).
const CDF = [];
let acc = 0;
for (let i = 0; i < VOCAB.length; i++) { acc += 1 / (i + 1); CDF.push(acc); }
const pick = () => {
  const x = rand() * acc;
  let lo = 0, hi = CDF.length - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (CDF[mid] < x) lo = mid + 1; else hi = mid; }
  return VOCAB[lo];
};
const sentence = () => Array.from({ length: 6 + Math.floor(rand() * 14) }, pick).join(' ');

const QUERIES = {
  'common word (top 10)': (i) => VOCAB[i % 10],
  'mid word (rank 100-200)': (i) => VOCAB[100 + (i % 100)],
  'rare word (rank 3000+)': (i) => VOCAB[3000 + i],
  'two-letter prefix': (i) => SYL[i % SYL.length],
  'two words': (i) => `${VOCAB[i % 10]} ${VOCAB[50 + (i % 50)]}`,
  'no match': (i) => `zzz${i}`,
};

// ---- helpers ----
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];
function cpuOf(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(f[11]) + Number(f[12])) / 100;
    } catch { /* gone */ }
  }
  return total;
}

const server = await startServer({ vars: RATE_VARS, logLevel: 'warn' });
const base = server.url;
const json = { 'Content-Type': 'application/json' };
const call = async (method, path, token, body) => {
  const r = await fetch(`${base}${path}`, { method, headers: { ...json, Authorization: `Bearer ${token}` }, body: body && JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

/** Sends `n` messages to `room`, up to 256 unacknowledged at a time. */
function seed_(room, token, n) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/rooms/${room}/socket`, { headers: { Authorization: `Bearer ${token}` } });
    let sent = 0, acked = 0;
    const pump = () => {
      while (sent < n && sent - acked < 256) ws.send(JSON.stringify({ type: 'send', client_id: `s${sent++}`, text: sentence() }));
    };
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      for (const f of frame.type === 'batch' ? frame.frames : [frame]) {
        if (f.type === 'ready') pump();
        else if (f.type === 'ack') { acked++; if (acked === n) { ws.close(); resolve(); } else pump(); }
        else if (f.type === 'error') reject(new Error(JSON.stringify(f)));
      }
    });
    ws.on('error', reject);
  });
}

async function time(path, token) {
  const t = process.hrtime.bigint();
  const r = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, body };
}

try {
  const reg = await call('POST', '/api/auth/register', '', { username: `sb${Date.now().toString(36)}`, password: 'benchmark password' });
  const token = reg.token;
  const t0 = Date.now();
  const big = `big-${Date.now().toString(36)}`;
  await call('POST', '/api/rooms', token, { name: big });
  await seed_(big, token, ROOM_MESSAGES);
  // Another account for the global search: one may own 50 rooms at most.
  const other = (await call('POST', '/api/auth/register', '', { username: `sg${Date.now().toString(36)}`, password: 'benchmark password' })).token;
  const rooms = [];
  for (let i = 0; i < ROOMS; i++) {
    const name = `g${i}-${Date.now().toString(36)}`;
    await call('POST', '/api/rooms', other, { name });
    rooms.push(name);
  }
  for (let i = 0; i < rooms.length; i += 5) await Promise.all(rooms.slice(i, i + 5).map((r) => seed_(r, other, PER_ROOM)));
  const seedSeconds = (Date.now() - t0) / 1000;
  console.log(`seeded ${ROOM_MESSAGES} + ${ROOMS}x${PER_ROOM} messages in ${seedSeconds.toFixed(0)} s`);

  const results = [];
  const cpu0 = { gen: process.cpuUsage(), srv: cpuOf(descendants(server.child.pid)) };
  const wall0 = Date.now();
  for (const [scope, pathOf, who] of [
    [`room (${ROOM_MESSAGES} messages)`, (q) => `/api/rooms/${big}/search?q=${encodeURIComponent(q)}`, token],
    [`global (${ROOMS} rooms x ${PER_ROOM})`, (q) => `/api/search?q=${encodeURIComponent(q)}`, other],
  ]) {
    for (const [kind, query] of Object.entries(QUERIES)) {
      await time(pathOf(query(RUNS)), who); // warm-up
      const ms = [];
      let found = 0;
      for (let i = 0; i < RUNS; i++) {
        const { ms: m, body } = await time(pathOf(query(i)), who);
        ms.push(m);
        found += (body.messages ?? body.results).length;
      }
      const row = { scope, kind, p50_ms: +median(ms).toFixed(1), p99_ms: +p99(ms).toFixed(1), mean_results: +(found / RUNS).toFixed(1) };
      results.push(row);
      console.log(`${scope.padEnd(28)} ${kind.padEnd(26)} p50 ${String(row.p50_ms).padStart(6)} ms  p99 ${String(row.p99_ms).padStart(6)} ms  results ${row.mean_results}`);
    }
  }
  const wall = (Date.now() - wall0) / 1000;
  const gen = process.cpuUsage(cpu0.gen);
  const genCpu = (gen.user + gen.system) / 1e6;
  const srvCpu = cpuOf(descendants(server.child.pid)) - cpu0.srv;
  console.log(`measuring: ${wall.toFixed(1)} s wall; generator CPU ${genCpu.toFixed(2)} s (${(100 * genCpu / wall).toFixed(0)} %), server CPU ${srvCpu.toFixed(2)} s (${(100 * srvCpu / wall).toFixed(0)} %)`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'search.json'), JSON.stringify({ date: new Date().toISOString(), ROOM_MESSAGES, ROOMS, PER_ROOM, RUNS, seedSeconds, results, cpu: { wall, generator: genCpu, server: srvCpu } }, null, 2));
} finally {
  await server.stop();
}
