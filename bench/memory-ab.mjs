// Memory with 2,000 idle sockets in 20 rooms, side by side (not the benchmark
// of record; that is run.mjs): is the product's extra RSS the sockets, the
// requests before them, or the state those requests leave?
//
//   node bench/memory-ab.mjs             # ROUNDS=2 by default
//   REQUESTS=2400 ROUNDS=3 node bench/memory-ab.mjs
//
// Each round, servers interleaved, straight to the runtime workerd:
// - the JavaScript object with the product's static-asset setup (js-do-assets),
//   as make bench runs it: no HTTP request before its sockets;
// - the same object after REQUESTS plain HTTP requests (POSTs with a small JSON
//   body that it answers 404 without touching an object): a few more than the
//   product's setup makes here (100 registrations, 20 room creations, 1,980
//   joins), so the runtime's own high-water mark from serving requests is in
//   both figures;
// - the product, whose load generator registers the users and joins them first.
// Then the generator's idle phase alone (no broadcast load): 2,000 sockets, 32
// at a time, to `ready` (the product) or to the 101 (the JS object).
//
// Prints per round and server: RSS before the sockets, with them, per socket,
// connects/s; then the medians.
import { SERVERS, idlePhase, plainPost } from './lib/servers.mjs';
import { median } from './lib/stats.mjs';

const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 2));
const REQUESTS = Number(process.env.REQUESTS ?? 2400);
const CONFIGS = [
  { label: 'js-do-assets', server: 'js-do-assets', requests: 0 },
  { label: `js-do-assets after ${REQUESTS} requests`, server: 'js-do-assets', requests: REQUESTS },
  { label: 'product-workerd (its own setup)', server: 'product-workerd', requests: 0 },
];

/** `n` POSTs, 12 at a time, that the JS object answers 404. */
async function plainRequests(url, n) {
  for (let i = 0; i < n; i += 12) {
    await Promise.all([...Array(Math.min(12, n - i))].map((_, j) => plainPost(url, (i + j) % 20)));
  }
}

const results = CONFIGS.map(() => []);
for (let round = 1; round <= ROUNDS; round++) {
  for (const [k, c] of CONFIGS.entries()) {
    const def = SERVERS[c.server];
    const server = await def.start();
    try {
      const t = await def.target(server);
      await plainRequests(t.url, c.requests);
      const idle = await idlePhase(def, t, { quietWaitSecs: 5 });
      results[k].push(idle);
      console.log(`round ${round} ${c.label}: RSS ${idle.rss_before_mib.toFixed(0)} MiB before the sockets, `
        + `${idle.rss_after_mib.toFixed(0)} MiB with ${idle.sockets} sockets, `
        + `${idle.rss_per_conn_kib.toFixed(1)} KiB per socket, ${idle.connects_per_sec.toFixed(0)} connects/s`);
    } finally {
      await server.stop();
    }
  }
}

console.log(`\nmedians over ${ROUNDS} round(s), the runtime workerd process`);
for (const [k, c] of CONFIGS.entries()) {
  const pick = (key) => median(results[k].map((r) => r[key]));
  console.log(`${c.label.padEnd(36)} before ${pick('rss_before_mib').toFixed(0).padStart(4)} MiB   `
    + `with sockets ${pick('rss_after_mib').toFixed(0).padStart(4)} MiB   ${pick('rss_per_conn_kib').toFixed(1).padStart(6)} KiB/socket`);
}
process.exit(0);
