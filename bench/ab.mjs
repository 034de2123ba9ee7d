// A quick side-by-side comparison (not the benchmark of record; that is run.mjs):
// fixed broadcast rates only, no max search and no idle phase, servers
// interleaved round by round so that machine noise hits them alike. For trying
// a change to the room against the build before it, or against a baseline.
//
//   node bench/ab.mjs                                  # product-workerd vs js-do
//   AB=product-workerd,js-do RATES=200,400 ROUNDS=3 node bench/ab.mjs
//   B_BUILD=/tmp/old-build node bench/ab.mjs            # adds "product-b": the
//                                                       # product from another build/ copy
//                                                       # (a comma-separated list: -b, -c, ...)
//   B_JSDO=/tmp/variant/wrangler.toml node bench/ab.mjs # adds "js-do-b"
//   B_BATCH=1 ...                                       # product-b's clients ask for batch=1
//   RATES=200,200,200,200 ...                           # 4 trials of one rate per round (a p99
//                                                       # moves from trial to trial: take many)
//
// Prints, per server and rate, the median over all its trials (rounds x repeats)
// of p50/p99 and the server's CPU per delivery.
import { SERVERS, abServers, runLoadgen, startWrangler } from './lib/servers.mjs';
import { median } from './lib/stats.mjs';

const RATES = process.env.RATES ?? '200,400';
const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 2));
const { names, servers } = abServers();
if (process.env.B_JSDO) {
  // Another JavaScript Durable Object (a wrangler.toml), e.g. a variant of bench/js-do.
  names.push('js-do-b');
  servers['js-do-b'] = { ...SERVERS['js-do'], start: () => startWrangler('js-do-b', process.env.B_JSDO) };
}

const results = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const name of names) {
    const def = servers[name];
    console.log(`\n=== ${name}, round ${round} of ${ROUNDS} ===`);
    const server = await def.start();
    try {
      const t = await def.target(server);
      const report = await runLoadgen(['--kind', def.kind, '--url', t.url, '--pid', String(t.pid),
        '--sockets', '200', '--rooms', '4', '--rates', RATES, '--warm-secs', '2', '--measure-secs', '5',
        '--drain-secs', '2', '--search-secs', '0', '--idle-sockets', '0', '--quiet-wait-secs', '5',
        ...(def.extra ?? [])], { onLine: () => {}, limitMin: 5 });
      results[name].push(report.fixed);
    } finally {
      await server.stop();
    }
  }
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const pct = (x) => (x === null ? null : 100 * x);
console.log(`\nmedians over ${ROUNDS} round(s)`);
console.log('server            rate   trials   p50 ms   p99 ms   delivered   server us/delivery   server cores   generator cores   machine busy');
for (const name of names) {
  // A rate given more than once (RATES=200,200,200) is several trials of it:
  // the median is over all of them, in every round.
  for (const rate of new Set(RATES.split(',').map(Number))) {
    const trials = results[name].flatMap((f) => f.filter((x) => x.rate === rate));
    const pick = (k) => median(trials.map((x) => x[k]));
    console.log(`${name.padEnd(16)} ${String(rate).padStart(5)} ${String(trials.length).padStart(8)} ${fmt(pick('p50_ms')).padStart(8)} ${fmt(pick('p99_ms')).padStart(8)} ${fmt(pct(pick('delivered_ratio'))).padStart(10)}% ${fmt(pick('server_cpu_us_per_delivery')).padStart(12)} ${fmt(pick('server_cpu_cores'), 2).padStart(20)} ${fmt(pick('generator_cpu_cores'), 2).padStart(14)} ${fmt(pct(pick('machine_busy_share')), 0).padStart(15)}%`);
  }
}
