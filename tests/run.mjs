// Runs one test suite (tests/<suite>/*.test.mjs) with node's test runner against a
// fresh `wrangler dev` started here; the server is always stopped afterwards.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
let code = 1;
try {
  code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-force-exit', '--test-timeout=300000', '--test-reporter=spec', ...files], {
      cwd: ROOT, stdio: 'inherit', env: { ...process.env, BASE_URL: server.url },
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
} finally {
  if (code !== 0) console.error(`--- wrangler dev log (last 4000 chars) ---\n${server.log().slice(-4000)}`);
  await server.stop();
}
process.exit(code);
