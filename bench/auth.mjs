// Authentication benchmark (not a test): login and token-check latency against
// a real wrangler dev on this machine. Reports medians of sequential requests,
// measured side by side with /api/health (the floor: routing and the dev proxy),
// and the server-side times wrangler logs for each request.
import { startServer } from '../tests/lib/server.mjs';

const N = Number(process.env.N ?? 200);
const server = await startServer();
const base = server.url;
const json = { 'Content-Type': 'application/json' };
const username = `bench${Date.now().toString(36)}`;
const password = 'benchmark password';

async function timed(fn) {
  const t = process.hrtime.bigint();
  const r = await fn();
  await r.arrayBuffer();
  if (r.status >= 400) throw new Error(`status ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];

try {
  const reg = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) });
  const { token } = await reg.json();
  const auth = { Authorization: `Bearer ${token}` };
  const results = { health: [], me: [], login: [] };
  for (let i = 0; i < 10; i++) await fetch(`${base}/api/me`, { headers: auth }).then((r) => r.arrayBuffer()); // warm up
  for (let i = 0; i < N; i++) {
    results.health.push(await timed(() => fetch(`${base}/api/health`)));
    results.me.push(await timed(() => fetch(`${base}/api/me`, { headers: auth })));
    // Each login opens a session; an account keeps its newest 100, so stay below that.
    if (i < Math.min(N / 2, 60)) {
      results.login.push(await timed(() => fetch(`${base}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) })));
    }
  }
  // wrangler's own per-request timings ("POST /api/auth/login 200 OK (31ms)").
  const serverSide = (path) => [...server.log().matchAll(new RegExp(`${path} 20\\d [^(]*\\((\\d+)ms\\)`, 'g'))].map((m) => Number(m[1]));
  const row = (name, xs, srv) => console.log(`${name.padEnd(34)} median ${median(xs).toFixed(2).padStart(7)} ms   p90 ${p90(xs).toFixed(2).padStart(7)} ms${srv.length ? `   server-side median ${median(srv)} ms` : ''}`);
  console.log(`auth benchmark: ${N} sequential requests each (${Math.min(N / 2, 60)} logins), wrangler dev on 127.0.0.1`);
  row('GET /api/health (floor)', results.health, serverSide('GET /api/health'));
  row('GET /api/me (token + session check)', results.me, serverSide('GET /api/me'));
  row('POST /api/auth/login (PBKDF2 100k)', results.login, serverSide('POST /api/auth/login'));
  console.log(`token check over the floor: ${(median(results.me) - median(results.health)).toFixed(2)} ms median`);
} finally {
  await server.stop();
}
