// make soak: 1,000 sockets in 50 rooms for SOAK_MINUTES (default 10) with
// steady sends, against the product under wrangler dev with its default rate
// limits. 100 users each join 10 rooms (one socket per room: 20 per room).
// Every socket sends one message every SEND_EVERY_S seconds (default 10, so
// ~100 messages/s and ~2,000 deliveries/s). Reports messages sent and acked,
// deliveries expected and received, p50/p99 delivery latency, errors, closes,
// the server's memory (RSS of its workerd processes) sampled over the run,
// and the CPU share of the server and of this load generator. Writes
// bench/results/soak.json. Not a test: it measures.
import WebSocket from 'ws';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, cmdline, descendants, productSnapshot, startWrangler } from './lib/servers.mjs';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SEND_EVERY_S = Number(process.env.SEND_EVERY_S ?? 10);
const USERS = 100;
const ROOMS = 50;
const ROOMS_PER_USER = 10;

const TICK = 100; // USER_HZ on Linux
const cpuOf = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK; // utime + stime, seconds
  } catch { return 0; }
};
const rssOf = (pid) => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024; } catch { return 0; }
};
const workerds = (root) => descendants(root).filter((p) => cmdline(p).includes('workerd serve'));
const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] : null);

async function api(base, method, path, token, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

const snap = await productSnapshot();
const server = await startWrangler('product', join(snap, 'wrangler.toml'), {}, [snap]);
const stats = { sent: 0, acked: 0, expected: 0, received: 0, errors: {}, closes: {}, latencies: [] };
const samples = [];
const sample = (label) => {
  const pids = workerds(server.rootPid);
  const rss = pids.map(rssOf);
  const s = { label, at_s: Math.round((Date.now() - t0) / 1000), rss_mb: Math.round(rss.reduce((a, b) => a + b, 0)), rss_each_mb: rss.map(Math.round) };
  samples.push(s);
  console.log(`soak: ${label}: workerd RSS ${s.rss_mb} MB (${s.rss_each_mb.join(' + ')})`);
};
let t0 = Date.now();
const sockets = [];
try {
  const base = server.url;
  console.log(`soak: ${USERS} users, ${ROOMS} rooms, ${USERS * ROOMS_PER_USER} sockets, a message per socket every ${SEND_EVERY_S} s, ${MINUTES} min`);
  const users = [];
  for (let i = 0; i < USERS; i++) {
    const username = `soak${i}_${Date.now().toString(36)}`.slice(0, 24);
    const r = await api(base, 'POST', '/api/auth/register', null, { username, password: 'soak password 1' });
    users.push({ username, token: r.token });
  }
  const rooms = [];
  for (let i = 0; i < ROOMS; i++) {
    const name = `soak-${i}-${Date.now().toString(36)}`.slice(0, 32);
    await api(base, 'POST', '/api/rooms', users[i % USERS].token, { name });
    rooms.push(name);
  }
  const members = new Map(rooms.map((r) => [r, 0]));
  for (let u = 0; u < USERS; u++) {
    for (let k = 0; k < ROOMS_PER_USER; k++) {
      const room = rooms[(u * ROOMS_PER_USER + k) % ROOMS];
      // The room's creator is a member already; joining again is harmless.
      await api(base, 'POST', `/api/rooms/${room}/join`, users[u].token);
      members.set(room, members.get(room) + 1);
      sockets.push({ user: users[u], room, n: 0 });
    }
  }
  sample('before sockets');
  const openStart = Date.now();
  await Promise.all(sockets.map((s) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/rooms/${s.room}/socket`, { headers: { Authorization: `Bearer ${s.user.token}` } });
    s.ws = ws;
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'ready') { resolve(); return; }
      if (f.type === 'ack') stats.acked++;
      else if (f.type === 'message' && f.text.startsWith('soak ')) {
        stats.received++;
        stats.latencies.push(Date.now() - Number(f.text.split(' ')[1]));
      } else if (f.type === 'error') stats.errors[f.code] = (stats.errors[f.code] ?? 0) + 1;
    });
    ws.on('close', (code) => { stats.closes[code] = (stats.closes[code] ?? 0) + 1; });
    ws.on('error', reject);
  })));
  console.log(`soak: ${sockets.length} sockets ready in ${Date.now() - openStart} ms`);
  t0 = Date.now();
  sample('start');
  const cpu0 = { gen: process.cpuUsage(), server: workerds(server.rootPid).map(cpuOf).reduce((a, b) => a + b, 0) };
  const end = t0 + MINUTES * 60_000;
  // Spread the sockets' sends evenly over each period.
  const timers = sockets.map((s, i) => setTimeout(function tick() {
    if (Date.now() >= end) return;
    if (s.ws.readyState === WebSocket.OPEN) {
      s.ws.send(JSON.stringify({ type: 'send', client_id: `c${i}-${s.n++}`, text: `soak ${Date.now()}` }));
      stats.sent++;
      stats.expected += members.get(s.room);
    }
    s.timer = setTimeout(tick, SEND_EVERY_S * 1000);
  }, (i / sockets.length) * SEND_EVERY_S * 1000));
  void timers;
  const sampler = setInterval(() => sample(`minute ${Math.round((Date.now() - t0) / 60_000)}`), 60_000);
  await new Promise((r) => setTimeout(r, end - Date.now() + 5_000)); // the last deliveries
  clearInterval(sampler);
  const wall = (Date.now() - t0) / 1000;
  const gen = process.cpuUsage(cpu0.gen);
  const serverCpu = workerds(server.rootPid).map(cpuOf).reduce((a, b) => a + b, 0) - cpu0.server;
  sample('end');
  stats.latencies.sort((a, b) => a - b);
  const result = {
    minutes: MINUTES, sockets: sockets.length, rooms: ROOMS, users: USERS, send_every_s: SEND_EVERY_S,
    sent: stats.sent, acked: stats.acked, deliveries_expected: stats.expected, deliveries_received: stats.received,
    delivery_ratio: stats.expected ? stats.received / stats.expected : null,
    latency_ms: { p50: pct(stats.latencies, 50), p99: pct(stats.latencies, 99), max: stats.latencies.at(-1) ?? null },
    errors: stats.errors, closes: stats.closes,
    cpu_share: { server_workerd: serverCpu / wall, load_generator: (gen.user + gen.system) / 1e6 / wall },
    memory: samples,
  };
  writeFileSync(join(BENCH, 'results', 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`soak: sent ${result.sent}, acked ${result.acked}; deliveries ${result.deliveries_received} of ${result.deliveries_expected} expected`);
  console.log(`soak: latency p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms, max ${result.latency_ms.max} ms; errors ${JSON.stringify(result.errors)}; closes ${JSON.stringify(result.closes)}`);
  console.log(`soak: CPU share of a core: server workerd ${(result.cpu_share.server_workerd * 100).toFixed(0)} %, load generator ${(result.cpu_share.load_generator * 100).toFixed(0)} %`);
  console.log(`soak: workerd RSS ${samples.find((s) => s.label === 'start').rss_mb} MB at start, ${samples.at(-1).rss_mb} MB at end`);
} finally {
  for (const s of sockets) { clearTimeout(s.timer); try { s.ws.terminate(); } catch { /* gone */ } }
  await server.stop();
}
process.exit(0);
