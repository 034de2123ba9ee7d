// Attachment throughput benchmark (not a test): 10 MiB uploads and downloads
// against a real wrangler dev with local R2 on this machine, measured side by
// side with 1 KiB ones (the floor: routing, the room's two calls, the dev
// proxy). Reports medians, MB/s, and the CPU the load generator and the
// server processes used during the run, so the generator is seen not to be
// the limit.
import { readFileSync } from 'node:fs';
import { startServer } from '../tests/lib/server.mjs';
import { descendants } from './lib/servers.mjs';

const N = Number(process.env.N ?? 9);
const MIB = 1024 * 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU seconds (user + system) of `pids`, from /proc. */
function cpuOf(pids) {
  const tick = 100;
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch { /* gone */ }
  }
  return total;
}

const server = await startServer();
const base = server.url;
try {
  const json = { 'Content-Type': 'application/json' };
  const reg = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ username: `up${Date.now().toString(36)}`, password: 'benchmark password' }) }).then((r) => r.json());
  const auth = { Authorization: `Bearer ${reg.token}` };
  const room = `bench-${Date.now().toString(36)}`;
  await fetch(`${base}/api/rooms`, { method: 'POST', headers: { ...auth, ...json }, body: JSON.stringify({ name: room }) });
  const serverPids = () => descendants(server.child.pid);
  const up = async (bytes) => {
    const t = process.hrtime.bigint();
    const r = await fetch(`${base}/api/rooms/${room}/attachments?name=f.bin`, { method: 'POST', headers: auth, body: bytes });
    const body = await r.json();
    if (r.status !== 201) throw new Error(`upload: ${r.status} ${JSON.stringify(body)}`);
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, url: body.url };
  };
  const down = async (url) => {
    const t = process.hrtime.bigint();
    const r = await fetch(`${base}${url}`, { headers: auth });
    await r.arrayBuffer();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const rows = { 'upload 1 KiB': [], 'upload 10 MiB': [], 'download 1 KiB': [], 'download 10 MiB': [] };
  const cpu0 = { gen: process.cpuUsage(), srv: cpuOf(serverPids()) };
  const wall0 = Date.now();
  for (let i = 0; i < N; i++) {
    // The upload rate limit is 10 per user per room, then 1 per 10 s: wait
    // out its refill between rounds rather than measure refusals.
    if (i >= 4) await new Promise((r) => setTimeout(r, 20_000));
    // Distinct bytes each time: equal files share an object, which would flatter the put.
    const small = Buffer.alloc(1024, i);
    const big = Buffer.alloc(10 * MIB, i);
    const s = await up(small);
    const b = await up(big);
    rows['upload 1 KiB'].push(s.ms);
    rows['upload 10 MiB'].push(b.ms);
    rows['download 1 KiB'].push(await down(s.url));
    rows['download 10 MiB'].push(await down(b.url));
  }
  const wall = (Date.now() - wall0) / 1000;
  const gen = process.cpuUsage(cpu0.gen);
  const genCpu = (gen.user + gen.system) / 1e6;
  const srvCpu = cpuOf(serverPids()) - cpu0.srv;
  console.log(`${N} rounds on ${base} (wrangler dev, local R2)`);
  for (const [name, xs] of Object.entries(rows)) {
    const m = median(xs);
    const mb = name.includes('10 MiB') ? `   ${(10 * MIB / 1e6 / (m / 1000)).toFixed(1)} MB/s` : '';
    console.log(`${name.padEnd(18)} median ${m.toFixed(1).padStart(8)} ms${mb}`);
  }
  console.log(`CPU over ${wall.toFixed(0)} s: load generator ${genCpu.toFixed(2)} s, server processes ${srvCpu.toFixed(2)} s`);
} finally {
  await server.stop();
}
