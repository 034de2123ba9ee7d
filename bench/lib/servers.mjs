// Shared by bench/run.mjs and bench/profile.mjs: starting and always stopping the
// servers (each in its own process group, killed on exit, on signals and when
// our parent dies), finding the runtime workerd under `wrangler dev`, /proc
// helpers, and running the load generator.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BENCH = join(ROOT, 'bench');
// Where the servers keep their Durable Object state (SQLite files): BENCH_STATE_ROOT,
// default /dev/shm (tmpfs). On this shared VM's disk, fsync stalls of 100-400 ms
// (other work writing) hold the Durable Objects' output gates and put random
// spikes into p99; production storage is not a local disk anyway.
export const STATE_ROOT = process.env.BENCH_STATE_ROOT ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
// The send rate limit (contract section 6) is a setting; raised so it never caps the load.
export const RATE_VARS = { CHAT_SEND_BURST: '1000000', CHAT_SEND_PER_SEC: '1000000' };

// ----- process hygiene: every child in its own process group, all killed on exit ----
export const children = new Set();
export function killTree(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
}
// Temporary directories (server state, worker snapshots), removed at exit.
export const tempDirs = new Set();
process.on('exit', () => {
  for (const c of children) killTree(c);
  for (const d of tempDirs) { try { rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ } }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { for (const c of children) killTree(c); process.exit(130); });
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
  });
}

export function sh(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}${opts.cwd ? `   (in ${opts.cwd.replace(ROOT + '/', '')})` : ''}`);
  execFileSync(cmd, args, { stdio: 'inherit', ...opts });
}

export function spawnGroup(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  child.log = () => log;
  return child;
}

export async function stopGroup(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
  const t = setTimeout(() => killTree(child), 3000);
  await gone;
  clearTimeout(t);
  killTree(child);
}

export async function waitFor(pred, what, ms = 90_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await pred();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ----- /proc helpers: process trees and listening ports -------------------------
function procChildren() {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* exited */ }
  }
  return kids;
}
export function descendants(root) {
  const kids = procChildren();
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) ?? []));
  return out;
}
export const cmdline = (pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '); } catch { return ''; } };

/** TCP ports a process listens on (its socket inodes matched in /proc/net/tcp{,6}). */
export function listeningPorts(pid) {
  const inodes = new Set();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
        if (m) inodes.add(m[1]);
      } catch { /* closed meanwhile */ }
    }
  } catch { return []; }
  const ports = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      if (inodes.has(cols[9])) ports.push(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}

export async function health(port) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(1500) });
    return r.status === 200;
  } catch { return false; }
}

/**
 * `wrangler dev` runs two workerd processes: the dev proxy (listening on the
 * public port) and the runtime holding the Worker and its Durable Objects (on a
 * port of its own, 127.0.0.1:0 at start). Finds the runtime's HTTP port by
 * asking each listening port of each workerd for /api/health.
 */
export async function directWorkerd(rootPid, publicPort) {
  for (const pid of descendants(rootPid)) {
    if (!cmdline(pid).includes('workerd serve')) continue;
    for (const port of listeningPorts(pid)) {
      if (port === publicPort) continue;
      if (await health(port)) return { pid, port };
    }
  }
  return null;
}

/** The pid of wrangler's own node process (cli.js) under an `npx wrangler` group. */
export function wranglerPid(rootPid) {
  return descendants(rootPid).find((p) => cmdline(p).includes('wrangler-dist/cli.js')) ?? rootPid;
}

// ----- servers ---------------------------------------------------------------------
/**
 * A private copy of the built product (wasm, JS, static assets, config): other
 * work on this machine may rebuild build/ or edit public/ while we measure, and
 * wrangler dev reloads the Worker when its files change.
 */
export async function productSnapshot(buildDir = join(ROOT, 'build')) {
  // Not in the middle of someone's rebuild: the outputs unchanged for 3 s.
  const newest = () => Math.max(...['index.js', 'index_bg.wasm', 'worker/shim.mjs'].map((f) => statSync(join(buildDir, f)).mtimeMs));
  await waitFor(() => { try { return Date.now() - newest() > 3000; } catch { return false; } }, 'a stable build/ (someone is rebuilding)', 180_000);
  const dir = mkdtempSync(join(tmpdir(), 'bench-product-'));
  tempDirs.add(dir);
  mkdirSync(join(dir, 'worker'));
  for (const f of ['index.js', 'index_bg.wasm']) cpSync(join(buildDir, f), join(dir, f));
  cpSync(join(buildDir, 'worker', 'shim.mjs'), join(dir, 'worker', 'shim.mjs'));
  cpSync(join(ROOT, 'public'), join(dir, 'public'), { recursive: true });
  const config = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')
    .replace(/^main = .*$/m, 'main = "worker/shim.mjs"')
    .replace(/\[build\][\s\S]*?(?=\n\[)/, '');
  writeFileSync(join(dir, 'wrangler.toml'), config);
  if (existsSync(join(ROOT, '.dev.vars'))) cpSync(join(ROOT, '.dev.vars'), join(dir, '.dev.vars'));
  return dir;
}

/** `npx wrangler dev -c CONFIG` on a free port with fresh state, in its own process group. */
export async function startWrangler(name, config, vars = {}, cleanup = [], extraArgs = []) {
  const port = await freePort();
  const state = mkdtempSync(join(STATE_ROOT, 'bench-state-'));
  tempDirs.add(state);
  const args = ['wrangler', 'dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state,
    '--show-interactive-dev-session=false', '--log-level', 'info'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  args.push(...extraArgs);
  const child = spawnGroup('npx', args, { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' } });
  const stop = async () => {
    await stopGroup(child);
    for (const d of [state, ...cleanup]) rmSync(d, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`${name}: wrangler dev exited:\n${child.log().slice(-3000)}`);
      return health(port);
    }, `${name} (wrangler dev)`);
  } catch (e) { await stop(); throw e; }
  return { url: `http://127.0.0.1:${port}`, port, rootPid: child.pid, stop, log: child.log };
}

/**
 * The product under wrangler dev, from a snapshot of `buildDir` (default build/);
 * `extraArgs` e.g. ['--inspector-port', N].
 */
export async function startProduct(extraArgs = [], buildDir = undefined) {
  console.log(`product: raising the send rate limit so it never caps the load: ${Object.entries(RATE_VARS).map(([k, v]) => `${k}=${v}`).join(', ')} (passed as wrangler vars; defaults 10 / 1)`);
  const snap = await productSnapshot(buildDir);
  return startWrangler('product', join(snap, 'wrangler.toml'), RATE_VARS, [snap], extraArgs);
}

export const startJsDo = (vars = {}) => startWrangler('js-do', join(BENCH, 'js-do', 'wrangler.toml'), vars);
export const startJsDoAssets = () => startWrangler('js-do-assets', join(BENCH, 'js-do', 'wrangler-assets.toml'));

export async function startListening(cmd, args, name) {
  const child = spawnGroup(cmd, args, { cwd: BENCH });
  const port = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${child.log()}`);
    const m = child.log().match(/listening on (\d+)/);
    return m && Number(m[1]);
  }, name, 30_000);
  return { url: `http://127.0.0.1:${port}`, port, rootPid: child.pid, stop: () => stopGroup(child), log: child.log };
}

/** The load goes straight to the runtime workerd under `wrangler dev` (no dev proxy). */
export async function runtimeWorkerd(s) {
  const d = await directWorkerd(s.rootPid, s.port);
  if (!d) throw new Error('could not find the runtime workerd port');
  return { url: `http://127.0.0.1:${d.port}`, pid: d.pid, scope: 'the runtime workerd process' };
}

export const SERVERS = {
  'product-dev': {
    label: 'product, through wrangler dev', kind: 'product',
    start: startProduct,
    // The whole dev server: wrangler's node process, its proxy workerd and the runtime workerd.
    target: async (s) => ({ url: s.url, pid: wranglerPid(s.rootPid), scope: 'wrangler (node) + dev proxy workerd + runtime workerd' }),
  },
  'product-workerd': {
    label: 'product, straight to workerd', kind: 'product',
    start: startProduct,
    target: runtimeWorkerd,
  },
  'product-workerd-batch': {
    label: 'product, straight to workerd, batch=1', kind: 'product', extra: ['--batch', '1'],
    start: startProduct,
    target: runtimeWorkerd,
  },
  socketio: {
    label: 'Node.js + Socket.IO 4, in memory', kind: 'socketio',
    start: () => startListening('node', [join(BENCH, 'socketio', 'server.mjs'), '0'], 'socket.io server'),
    target: async (s) => ({ url: s.url, pid: s.rootPid, scope: 'the node process' }),
  },
  'js-do': {
    label: 'JavaScript Durable Object, straight to workerd', kind: 'plain',
    start: startJsDo,
    target: runtimeWorkerd,
  },
  'js-do-assets': {
    label: 'JavaScript Durable Object with the product\'s static assets, straight to workerd', kind: 'plain',
    start: startJsDoAssets,
    target: runtimeWorkerd,
  },
  'tokio-ws': {
    label: 'tokio + tokio-tungstenite, in memory', kind: 'plain',
    start: () => startListening(join(BENCH, 'tokio-ws', 'target', 'release', 'chat-tokio-ws'), ['0', '2'], 'tokio-ws server'),
    target: async (s) => ({ url: s.url, pid: s.rootPid, scope: 'the server process' }),
  },
};

/**
 * The servers an A/B script compares: `AB` (names of SERVERS, default
 * `product-workerd,js-do`), then `B_BUILD=dir[,dir...]` as product-b,
 * product-c, ... (the product from other build/ copies), whose clients ask for
 * batch=1 when `B_BATCH=1`. Returns { names, servers }; an unknown name throws.
 */
export function abServers(env = process.env) {
  const names = (env.AB ?? 'product-workerd,js-do').split(',').filter(Boolean);
  const servers = Object.fromEntries(names.map((n) => [n, SERVERS[n]]));
  for (const [i, dir] of (env.B_BUILD ?? '').split(',').filter(Boolean).entries()) {
    const name = `product-${String.fromCharCode(98 + i)}`;
    console.log(`${name}: ${dir}`);
    names.push(name);
    servers[name] = {
      kind: 'product',
      extra: env.B_BATCH === '1' ? ['--batch', '1'] : [],
      start: () => startProduct([], dir),
      target: runtimeWorkerd,
    };
  }
  for (const n of names) if (!servers[n]) throw new Error(`unknown server ${n}`);
  return { names, servers };
}

// If whoever started us dies without a signal we can catch, stop everything too.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) { for (const c of children) killTree(c); process.exit(131); }
}, 500).unref();

/**
 * The generator's idle phase alone (no broadcast load): 2,000 sockets into 20
 * rooms, 32 at a time, to `ready` (the product) or the 101; resolves with its
 * `idle` report (connects/s, RSS before and after, per socket).
 */
export async function idlePhase(def, target, { quietWaitSecs = 10 } = {}) {
  const report = await runLoadgen(['--kind', def.kind, '--url', target.url, '--pid', String(target.pid),
    '--sockets', '0', '--rooms', '0', '--rates', '', '--search-secs', '0',
    '--idle-sockets', '2000', '--idle-rooms', '20', '--quiet-wait-secs', String(quietWaitSecs)], { onLine: () => {} });
  return report.idle ?? {};
}

/** A POST that the JavaScript object (bench/js-do) answers 404 without touching an object. */
export const plainPost = (url, room) => fetch(`${url}/api/rooms/r${room}/join`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
}).then((r) => r.text());

/**
 * Runs the load generator; resolves with its JSON report. `onLine` sees each of
 * its progress lines (stderr). Killed after `limitMin` minutes.
 */
export function runLoadgen(args, { onLine = (l) => console.log(`  ${l}`), limitMin = 12 } = {}) {
  const bin = join(BENCH, 'loadgen', 'target', 'release', 'chat-loadgen');
  console.log(`$ ${bin.replace(ROOT + '/', '')} ${args.join(' ')}`);
  return new Promise((res, rej) => {
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let partial = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => {
      const ls = (partial + d).split('\n');
      partial = ls.pop();
      for (const l of ls) onLine(l);
    });
    const limit = setTimeout(() => { console.log('  loadgen over its time limit: killed'); killTree(child); }, limitMin * 60_000);
    child.on('exit', (code) => {
      clearTimeout(limit);
      children.delete(child);
      try { res(JSON.parse(out.trim().split('\n').pop())); } catch { rej(new Error(`loadgen exited ${code} without a report`)); }
    });
  });
}
