// Connection setup side by side (not the benchmark of record; that is run.mjs):
// 2,000 sockets into 20 rooms of 100 users (each user in every room), to
// `ready`, servers interleaved round by round. For trying a change to the
// connect path against the build before it.
//
//   node bench/connect-ab.mjs                              # product vs js-do
//   B_BUILD=/tmp/old-build[,dir...] ROUNDS=3 node bench/connect-ab.mjs
//
// Prints each round's sockets/s, connect time and RSS per socket, then per
// server the median sockets/s over rounds.
import { abServers, idlePhase } from './lib/servers.mjs';
import { median } from './lib/stats.mjs';

const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 3));
const { names, servers } = abServers();

const results = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const name of names) {
    const s = servers[name];
    const server = await s.start();
    try {
      const t = await s.target(server);
      const idle = await idlePhase(s, t);
      results[name].push(idle);
      console.log(`round ${round} ${name}: ${idle.connects_per_sec?.toFixed(0)} sockets/s, ${JSON.stringify(Object.fromEntries(Object.entries(idle).filter(([k]) => /connect_secs|rss_per/.test(k))))}`);
    } finally {
      await server.stop();
    }
  }
}
console.log('\nmedians:');
for (const n of names) {
  const rs = results[n];
  console.log(`  ${n.padEnd(18)} ${(median(rs.map((x) => x.connects_per_sec)) ?? NaN).toFixed(0).padStart(6)} sockets/s  (rounds ${rs.map((x) => x.connects_per_sec?.toFixed(0)).join(' / ')})`);
}
process.exit(0);
