// Runs one test suite (tests/<suite>/*.test.mjs) with node's test runner against a
// fresh `wrangler dev` started here; the server is always stopped afterwards.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startServer } from './lib/server.mjs';

const [suite, ...only] = process.argv.slice(2);
if (!['e2e', 'browser'].includes(suite)) {
  console.error('usage: node tests/run.mjs e2e|browser [file-name-part ...]');
  process.exit(2);
}
const dir = join(ROOT, 'tests', suite);
const files = readdirSync(dir).filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => only.length === 0 || only.some((part) => f.includes(part))).sort().map((f) => join(dir, f));
const server = await startServer();
console.log(`${suite}: wrangler dev ready at ${server.url} (state ${server.stateDir})`);
// --test-force-exit: a file whose tests are done exits even if a socket the
// server closed at the frame level still holds its TCP connection (workerd
// tears it down only when the room idles); --test-timeout bounds any hang.
// Every password, token and message text the suite handles is recorded here
// (tests/lib/api.mjs) and looked for in the server's whole log afterwards.
const secretsDir = mkdtempSync(join(tmpdir(), 'chat-secrets-'));
const secretsFile = join(secretsDir, 'secrets.jsonl');
let code = 1;
let leaked = false;
try {
  code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-force-exit', '--test-timeout=300000', '--test-reporter=spec', ...files], {
      cwd: ROOT, stdio: 'inherit', env: { ...process.env, BASE_URL: server.url, SECRETS_FILE: secretsFile },
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
  if (code === 0 && checkLog(server.log(), secretsFile) !== 0) { code = 1; leaked = true; }
} finally {
  rmSync(secretsDir, { recursive: true, force: true });
  // The tail of a log that leaked a secret is not printed (it would show it).
  if (code !== 0 && !leaked) console.error(`--- wrangler dev log (last 4000 chars) ---\n${server.log().slice(-4000)}`);
  await server.stop();
}
process.exit(code);

/** 0 when no recorded secret is in `log`; else prints which kinds leaked (never the secret). */
function checkLog(log, file) {
  if (!existsSync(file)) return 0;
  const seen = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const { kind, value } = JSON.parse(line);
    seen.set(value, kind);
  }
  const leaked = new Map();
  for (const [value, kind] of seen) if (log.includes(value)) leaked.set(kind, (leaked.get(kind) ?? 0) + 1);
  console.log(`log check: ${seen.size} secrets recorded, ${log.length} bytes of server log searched`);
  if (leaked.size === 0) return 0;
  for (const [kind, n] of leaked) console.error(`log check: ${n} ${kind}(s) of the suite appear in the server log`);
  return 1;
}
