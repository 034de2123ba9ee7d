// Starts and stops real `wrangler dev` servers for the test suites.
//
// Each server gets a free port and its own state directory, runs the already
// built worker (no rebuild: `make` built it first), and is killed with its whole
// process group when the tests end, when this process is interrupted, or when
// the parent dies (an orphan watchdog), so no wrangler or workerd is left behind.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const live = new Set();

function killGroup(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

function killAll() { for (const s of live) killGroup(s.child); live.clear(); }

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAll(); process.exit(130); });
}
// If whoever started us is killed outright (SIGKILL), we are re-parented: clean up.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) { killAll(); process.exit(131); }
}, 500).unref();

export async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/**
 * A private copy of the built worker plus a wrangler config for it: the same
 * bindings, no build step. Copying means a rebuild of build/ (someone running
 * `make worker` meanwhile) can never swap the code under a running test server.
 */
function testConfig() {
  const dir = mkdtempSync(join(tmpdir(), 'chat-build-'));
  cpSync(join(ROOT, 'build'), join(dir, 'build'), {
    recursive: true,
    filter: (src) => !src.includes(`${join(ROOT, 'build', '.tmp')}`),
  });
  const src = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(dir, 'build', 'worker', 'shim.mjs'))}`)
    .replace(/^directory = "public"$/m, `directory = ${JSON.stringify(join(ROOT, 'public'))}`)
    .replace(/\[build\][\s\S]*?(?=\n\[)/, '');
  const path = join(dir, 'wrangler.toml');
  writeFileSync(path, src);
  const vars = join(ROOT, '.dev.vars');
  if (existsSync(vars)) writeFileSync(join(dir, '.dev.vars'), readFileSync(vars));
  return path;
}

/**
 * Starts `wrangler dev`. Options: stateDir (default: a fresh temp dir), port,
 * vars (extra `--var`s, e.g. a higher send rate for load tests).
 */
export async function startServer(opts = {}) {
  const port = opts.port ?? await freePort();
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'chat-state-'));
  const config = testConfig();
  const vars = { ...(opts.vars ?? {}) };
  const args = ['wrangler', 'dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port),
    '--persist-to', stateDir, '--show-interactive-dev-session=false', '--log-level', opts.logLevel ?? 'info'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  args.push(...(opts.extraArgs ?? []));
  const child = spawn('npx', args, {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const server = {
    port, stateDir, child, url: `http://127.0.0.1:${port}`, opts,
    log: () => log,
    async stop() {
      live.delete(server);
      const cleanup = () => { try { rmSync(dirname(config), { recursive: true, force: true }); } catch { /* gone */ } };
      if (child.exitCode !== null || child.signalCode !== null) { cleanup(); return; }
      const gone = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
      const timer = setTimeout(() => killGroup(child), 3000);
      await gone;
      clearTimeout(timer);
      killGroup(child); // workerd children that ignored SIGTERM
      cleanup();
    },
    /** Stops and starts again on the same port with the same state. */
    async restart() {
      await server.stop();
      const next = await startServer({ ...opts, port, stateDir });
      Object.assign(server, { child: next.child, log: next.log, stop: next.stop, restart: next.restart });
      live.delete(next); live.add(server);
      return server;
    },
  };
  live.add(server);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`${server.url}/api/health`);
      if (r.status === 200) return server;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  await server.stop();
  throw new Error(`wrangler dev did not become healthy on port ${port}:\n${log}`);
}
