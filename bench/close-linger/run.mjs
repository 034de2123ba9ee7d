// Measures how long the TCP connection of a server-closed hibernatable socket
// lingers under plain JavaScript (worker.js), for a client that never sent a
// frame and for one that sent a single auto-answered ping first. Prints the
// median of ROUNDS (default 3) each. Not a test: it documents the runtime.
import WebSocket from 'ws';
import { join } from 'node:path';
import { BENCH, startWrangler } from '../lib/servers.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 3);

async function once(url, firstFrame) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  if (firstFrame) {
    ws.send(firstFrame);
    await new Promise((resolve) => ws.once('message', resolve));
  }
  const closed = new Promise((resolve) => ws.once('close', resolve));
  const r = await fetch(`${url}/kick`, { method: 'POST' });
  const answered = Date.now();
  if (r.status !== 204) throw new Error(`kick answered ${r.status}`);
  await closed; // ws emits 'close' when the TCP connection has ended
  return Date.now() - answered;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await startWrangler('close-linger', join(BENCH, 'close-linger', 'wrangler.toml'));
try {
  for (const [label, first] of [['no frame from the client', null], ['after one ping', '{"type":"ping"}']]) {
    const ms = [];
    for (let i = 0; i < ROUNDS; i++) ms.push(await once(server.url, first));
    console.log(`${label}: TCP closed ${median(ms)} ms after the HTTP answer (median of ${ROUNDS}: ${ms.join(', ')})`);
  }
} finally {
  await server.stop();
}
