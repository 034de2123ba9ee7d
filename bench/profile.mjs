// Where does the product's room spend its time under load? (Not a test.)
//
// 1. Builds a profiling copy of the Worker (bench/.prof-build: the same source and
//    release settings, but the wasm keeps its name section and the JS glue is not
//    minified, so profiles show Rust and glue function names), starts it under
//    wrangler dev (load straight to the runtime workerd) and drives 200 sockets in
//    4 rooms of 50 at a fixed rate (RATE, default 200 broadcasts/s), twice:
//    - trial 1 with a V8 CPU profile of the Worker's isolate, taken through
//      wrangler's inspector proxy (Profiler domain): JS, wasm and the time spent
//      in runtime API calls made from JS (shown under the calling glue function);
//    - trial 2 with `perf record` on the workerd process (native code: V8, SQLite,
//      kj event loop and WebSocket pipes, tcmalloc, the kernel; JIT-compiled
//      wasm/JS is one unresolved "[JIT]" bucket). PROFILE_BUILD=0 profiles build/.
// 2. Room-size experiment: the same send rate into rooms of 50 and rooms of 5, for
//    the product, the JavaScript Durable Object and that object without its SQL
//    writes, to split the server's CPU per message into a fixed part (the runtime's
//    event, parse, store, serialize) and a part per receiver.
//
// Writes bench/results/profile.txt (the summary) and profile.json; the raw
// bench/results/product.cpuprofile opens in Chrome DevTools (Performance panel).
// Environment: RATE (default 200), SECS (measured seconds, default 10), NO_PERF=1,
// NO_SIZES=1 (skip the room-size experiment), ONLY_SIZES=1 (only that experiment),
// PROFILE_BUILD=0 (use build/ as is), BATCH=1 (clients ask for batch=1).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  BENCH, ROOT, children, directWorkerd, freePort, killTree, runLoadgen, sh, startJsDo, startProduct,
} from './lib/servers.mjs';

const RATE = Number(process.env.RATE ?? 200);
const SECS = Number(process.env.SECS ?? 10);
// BATCH=1: the clients connect with batch=1, as the web client does.
const BATCH = process.env.BATCH === '1';
const RESULTS = join(BENCH, 'results');
mkdirSync(RESULTS, { recursive: true });
const report = [];
const say = (s = '') => { console.log(s); report.push(s); };

sh('cargo', ['build', '--release', '--quiet'], { cwd: join(BENCH, 'loadgen') });
if (!existsSync(join(ROOT, 'build', 'worker', 'shim.mjs'))) sh('make', ['--no-print-directory', 'worker'], { cwd: ROOT });

/**
 * The product built from a copy of its sources with names kept: worker-build
 * --release (same opt-level, LTO, wasm-opt passes; wasm-opt keeps the name
 * section) without the Makefile's final strip, and NO_MINIFY for the JS glue.
 */
function profilingBuild() {
  const dir = join(BENCH, '.prof-build');
  mkdirSync(dir, { recursive: true });
  for (const d of ['src', 'benches']) {
    rmSync(join(dir, d), { recursive: true, force: true });
    if (existsSync(join(ROOT, d))) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  }
  cpSync(join(ROOT, 'Cargo.lock'), join(dir, 'Cargo.lock'));
  writeFileSync(join(dir, 'Cargo.toml'), readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').replace(/^strip = .*$/m, ''));
  const bin = join(process.env.CARGO_HOME ?? join(process.env.HOME, '.cargo'), 'bin');
  sh(join(bin, 'worker-build'), ['--release'], {
    cwd: dir,
    env: {
      ...process.env,
      CARGO_TARGET_DIR: join(dir, 'target'),
      WASM_BINDGEN_BIN: join(bin, 'wasm-bindgen'),
      WASM_OPT_BIN: join(ROOT, 'node_modules', 'binaryen', 'bin', 'wasm-opt'),
      ESBUILD_BIN: join(ROOT, 'node_modules', 'esbuild', 'bin', 'esbuild'),
      NO_MINIFY: '1',
    },
  });
  return join(dir, 'build');
}
const BUILD = process.env.PROFILE_BUILD === '0' || process.env.ONLY_SIZES === '1' ? undefined : profilingBuild();

// ----- a tiny Chrome DevTools Protocol client ---------------------------------------
function cdp(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 1 << 30 });
    let id = 0;
    const waiting = new Map();
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      // wrangler's inspector proxy answers some requests (Profiler.enable) by
      // echoing them back without a result: that counts as done.
      if (m.id && waiting.has(m.id)) {
        const { res, rej } = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) rej(new Error(m.error.message)); else res(m.result);
      }
    });
    ws.once('open', () => resolve({
      send: (method, params = {}) => new Promise((res, rej) => {
        const n = ++id;
        const timer = setTimeout(() => { waiting.delete(n); rej(new Error(`${method}: no answer in 30 s`)); }, 30_000);
        waiting.set(n, { res: (v) => { clearTimeout(timer); res(v); }, rej: (e) => { clearTimeout(timer); rej(e); } });
        ws.send(JSON.stringify({ id: n, method, params }));
      }),
      close: () => ws.close(),
    }));
    ws.once('error', reject);
    // A closed inspector fails whatever still waits (never hang).
    ws.once('close', () => {
      for (const { rej } of waiting.values()) rej(new Error('inspector closed'));
      waiting.clear();
      reject(new Error('inspector closed'));
    });
    setTimeout(() => reject(new Error('inspector: no connection in 10 s')), 10_000).unref();
  });
}

// ----- profile analysis ---------------------------------------------------------------
function category(frame) {
  const f = frame.functionName || '';
  const url = frame.url || '';
  if (f === '(idle)') return 'idle';
  if (f === '(program)') return 'runtime outside JS (workerd C++: event loop, sockets, I/O)';
  if (f === '(garbage collector)') return 'V8 garbage collection';
  if (url.startsWith('wasm://') || /::|^<|^_?_?rust|^dlmalloc|^memcpy|^memmove|^memset|^__wbindgen|^__wbg/.test(f) && !url.endsWith('.js')) {
    if (/serde_json|serde::|<serde|ryu|itoa/.test(f)) return 'wasm: JSON (serde/serde_json)';
    if (/dlmalloc|alloc::|__rust_alloc|__rust_dealloc|__rust_realloc|RawVec|memcpy|memmove|memset|drop_in_place/.test(f)) return 'wasm: allocation, copies, drops';
    if (/wasm_bindgen|js_sys|web_sys|worker::|worker_sys|__wbindgen|__wbg/.test(f)) return 'wasm: bindings (JS boundary, Rust side)';
    if (/core::fmt|alloc::fmt|to_string|ToString/.test(f)) return 'wasm: formatting';
    if (/edge_chat::core/.test(f)) return 'wasm: room core (edge_chat::core)';
    if (/edge_chat::platform/.test(f)) return 'wasm: room object (edge_chat::platform)';
    return 'wasm: other';
  }
  if (url.includes('index.js') || url.includes('shim.')) {
    const imp = f.match(/^__wbg_([a-zA-Z]+?)_[0-9a-f]+$/);
    if (imp) return `JS glue calling ${imp[1]}() (incl. the runtime's time in it)`;
    if (/StringFromWasm|decodeText|passStringToWasm|encodeString/.test(f)) return 'JS glue: string copies wasm<->JS (TextDecoder/Encoder)';
    return 'JS glue: other (wasm-bindgen)';
  }
  if (!url) {
    if (/^(exec|toArray|one|next|raw|transactionSync|sql|columnNames|rowsRead|rowsWritten)$/.test(f)) return `runtime API: storage (${f})`;
    if (/^(send|close|accept|acceptWebSocket)$/.test(f)) return `runtime API: socket (${f})`;
    if (/Attachment$/.test(f)) return `runtime API: attachment (${f})`;
    if (/^getWebSockets$|^getTags$/.test(f)) return `runtime API: ${f}`;
    if (/^(encode|decode|encodeInto)$/.test(f)) return `TextEncoder/TextDecoder (${f})`;
    if (/^(parse|stringify)$/.test(f)) return `JSON.${f} (JS)`;
    return `runtime/builtin: ${f || '(anonymous)'}`;
  }
  return `JS: ${url.split('/').pop()}`;
}

function analyse(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample weights: the time until the next sample.
  const weight = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    weight.set(samples[i], (weight.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const total = [...weight.values()].reduce((a, b) => a + b, 0);
  const idle = [...weight.entries()].filter(([id]) => nodes.get(id).callFrame.functionName === '(idle)').reduce((a, [, w]) => a + w, 0);
  const busy = total - idle;
  const selfBy = (key) => {
    const m = new Map();
    for (const [id, w] of weight) {
      const k = key(nodes.get(id).callFrame);
      m.set(k, (m.get(k) ?? 0) + w);
    }
    return [...m.entries()].sort((a, b) => b[1] - a[1]);
  };
  // Inclusive time of frames whose name matches, each sample counted once.
  const inclusive = (re) => {
    let t = 0;
    for (const [id, w] of weight) {
      for (let n = id; n !== undefined; n = parent.get(n)) {
        if (re.test(nodes.get(n).callFrame.functionName)) { t += w; break; }
      }
    }
    return t;
  };
  return { total, idle, busy, selfBy, inclusive };
}

const pct = (x, of) => `${((100 * x) / of).toFixed(1).padStart(5)}%`;

// ----- 1. profile under load ----------------------------------------------------------
async function profileProduct() {
  // wrangler holds the runtime's own inspector connection; its inspector proxy
  // (on --inspector-port, path /ws) is the way in.
  const inspector = await freePort();
  const server = await startProduct(['--inspector-port', String(inspector)], BUILD);
  try {
    const d = await directWorkerd(server.rootPid, server.port);
    if (!d) throw new Error('could not find the runtime workerd');
    const insp = await cdp(`ws://127.0.0.1:${inspector}/ws`);
    await insp.send('Profiler.enable');
    await insp.send('Profiler.setSamplingInterval', { interval: 500 });
    const perfFile = join(RESULTS, 'perf.data');
    let perf = null;
    let step = 0; // 0 setup, 1 V8 profile running, 2 perf running, 3 done
    let stopped = null;
    const args = ['--kind', 'product', '--url', `http://127.0.0.1:${d.port}`, '--pid', String(d.pid),
      '--sockets', '200', '--rooms', '4', '--idle-sockets', '0', '--rates', `${RATE},${RATE}`,
      '--warm-secs', '1', '--measure-secs', String(SECS), '--search-secs', '0', '--quiet-wait-secs', '5',
      ...(BATCH ? ['--batch', '1'] : [])];
    const result = await runLoadgen(args, {
      onLine: (l) => {
        console.log(`  ${l}`);
        if (step === 0 && l.includes('load sockets open')) {
          step = 1;
          insp.send('Profiler.start').catch((e) => console.log(`  profiler: ${e.message}`));
          console.log('  V8 profiler started');
        } else if (step === 1 && /rate [\d.]+ \/s:/.test(l)) {
          step = 2;
          stopped = insp.send('Profiler.stop');
          if (process.env.NO_PERF !== '1') {
            perf = spawn('perf', ['record', '-F', '999', '-g', '-p', String(d.pid), '-o', perfFile], { detached: true, stdio: 'ignore' });
            children.add(perf);
            console.log('  V8 profiler stopped; perf started');
          }
        } else if (step === 2 && /rate [\d.]+ \/s:/.test(l)) {
          step = 3;
          if (perf) try { process.kill(perf.pid, 'SIGINT'); } catch { /* gone */ }
        }
      },
      limitMin: 5,
    });
    console.log('  collecting the V8 profile...');
    const { profile } = await (stopped ?? insp.send('Profiler.stop'));
    // Name the anonymous JS glue functions (wasm-bindgen's imports are
    // `__wbg_name_hash: function(...)` entries) from the script's source.
    try {
      await insp.send('Debugger.enable');
      const sources = new Map();
      for (const n of profile.nodes) {
        const f = n.callFrame;
        if (f.functionName || !f.url || f.url.startsWith('wasm://') || sources.has(f.scriptId)) continue;
        const src = await insp.send('Debugger.getScriptSource', { scriptId: f.scriptId });
        sources.set(f.scriptId, (src?.scriptSource ?? '').split('\n'));
      }
      for (const n of profile.nodes) {
        const f = n.callFrame;
        const lines = sources.get(f.scriptId);
        if (f.functionName || !lines) continue;
        // `__wbg_send_xxx: function(` or, after wrangler's esbuild, `__wbg_send_xxx: /* @__PURE__ */ __name(function(`
        const m = (lines[f.lineNumber] ?? '').match(/([\w$]+)\s*[:=]\s*(?:\/\*[^*]*\*\/\s*)?(?:__name\(\s*)?(?:async\s+)?function/);
        if (m) f.functionName = m[1];
      }
    } catch (e) { console.log(`  could not name glue functions: ${e.message}`); }
    insp.close();
    if (perf) await new Promise((r) => (perf.exitCode !== null || perf.signalCode !== null ? r() : perf.once('exit', r)));
    writeFileSync(join(RESULTS, 'product.cpuprofile'), JSON.stringify(profile));
    return { result, profile, perfFile: perf ? perfFile : null, pid: d.pid };
  } finally {
    await server.stop();
  }
}

function reportProfile({ result, profile, perfFile }) {
  say(`Product under load: ${RATE} broadcasts/s, 200 sockets in 4 rooms of 50${BATCH ? ' (batch=1 clients)' : ''}, ${SECS} s measured (load straight to workerd)${BUILD ? ', profiling build (names kept)' : ''}.`);
  for (const [i, what] of [[0, 'with the V8 profiler'], [1, 'with perf']]) {
    const t = result.fixed?.[i];
    if (t) say(`  trial ${i + 1} (${what}): p50 ${t.p50_ms?.toFixed(1)} ms, p99 ${t.p99_ms?.toFixed(1) ?? 'inf'} ms, delivered ${t.delivered}/${t.expected}, server CPU ${t.server_cpu_us_per_delivery?.toFixed(1)} us/delivery (${t.server_cpu_cores?.toFixed(2)} cores), other load ${t.other_cpu_cores?.toFixed(2)} cores`);
  }
  const a = analyse(profile);
  const durUs = profile.endTime - profile.startTime;
  say(`\nV8 CPU profile of the Worker isolate (${(durUs / 1e6).toFixed(1)} s; isolate busy ${pct(a.busy, a.total).trim()} of it):`);
  say('  share of busy time, by category (self time):');
  for (const [k, w] of a.selfBy(category).filter(([k]) => k !== 'idle').slice(0, 24)) say(`  ${pct(w, a.busy)}  ${k}`);
  say('\n  top functions (self time):');
  for (const [k, w] of a.selfBy((f) => `${f.functionName || '(anonymous)'}${f.url && !f.url.startsWith('wasm://') ? ` [${f.url.split('/').pop()}]` : ''}`).filter(([k]) => !k.startsWith('(idle)')).slice(0, 30)) {
    say(`  ${pct(w, a.busy)}  ${k.length > 150 ? `${k.slice(0, 147)}...` : k}`);
  }
  say('\n  inclusive time of selected frames (share of busy time; a sample counts once):');
  const sel = [
    ['socket frame handler (websocket_message)', /websocket_message|webSocketMessage/],
    ['the core: Room::handle_frame and below', /handle_frame/],
    ['SQLite transaction (transactionSync)', /^transactionSync$/],
    ['JSON parse of client frames (serde_json::de)', /serde_json::de|Deserialize/],
    ['JSON serialization (serde_json::ser, Serialize)', /serde_json::ser|as serde_core::ser::Serialize|Serialize for/],
    ['SocketTable::deliver (fan-out to sockets)', /SocketTable::deliver/],
    ['WebSocket.send (glue + runtime)', /^__wbg_send_|^send$/],
    ['wasm->JS string copies (getStringFromWasm0)', /getStringFromWasm0|decodeText/],
    ['attachment reads (deserializeAttachment)', /deserializeAttachment|deserialize_attachment|room_object::attachment/],
    ['SQLite statements (sql.exec glue + runtime)', /^__wbg_exec_|^exec$/],
    ['SQLite result rows (toArray and row decoding)', /^__wbg_toArray_|^toArray$|sqlite::Row|sqlite.*rows/],
    ['follow_up (account/directory calls)', /follow_up/],
    ['rate limit / validation', /rate_limit|validate::/],
  ];
  for (const [label, re] of sel) say(`  ${pct(a.inclusive(re), a.busy)}  ${label}`);

  if (perfFile && existsSync(perfFile)) {
    say('\nperf (whole workerd process, user space, 999 Hz): share by binary/shared object:');
    try {
      const dso = execFileSync('perf', ['report', '-i', perfFile, '--no-children', '--sort', 'dso', '--stdio', '--percent-limit', '1', '-g', 'none'], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 }).toString();
      for (const l of dso.split('\n').filter((x) => /%/.test(x) && !x.startsWith('#'))) say(`  ${l.trim()}`);
      const sym = execFileSync('perf', ['report', '-i', perfFile, '--no-children', '--sort', 'sym', '--stdio', '--percent-limit', '0.7', '-g', 'none'], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 }).toString();
      say('  top symbols (self):');
      for (const l of sym.split('\n').filter((x) => /%/.test(x) && !x.startsWith('#')).slice(0, 40)) say(`  ${l.trim().replace(/\s+/g, ' ').slice(0, 160)}`);
    } catch (e) { say(`  perf report failed: ${e.message.split('\n')[0]}`); }
  }
}

// ----- 2. room size experiment ---------------------------------------------------------
async function roomSizes(name, start, kind, targetOf) {
  const server = await start();
  const out = [];
  try {
    const t = await targetOf(server);
    for (const [sockets, rooms] of [[200, 4], [20, 4]]) {
      const args = ['--kind', kind, '--url', t.url, '--pid', String(t.pid), '--sockets', String(sockets), '--rooms', String(rooms),
        '--idle-sockets', '0', '--rates', '100', '--warm-secs', '2', '--measure-secs', '12', '--search-secs', '0', '--quiet-wait-secs', '30'];
      const r = await runLoadgen(args, { limitMin: 4 });
      const f = r.fixed?.[0];
      if (f) out.push({ per_room: sockets / rooms, cpu_per_send_us: (f.server_cpu_secs * 1e6) / f.sends, cpu_per_delivery_us: f.server_cpu_us_per_delivery, p99_ms: f.p99_ms, other_cpu_cores: f.other_cpu_cores });
    }
  } finally {
    await server.stop();
  }
  if (out.length === 2) {
    const [big, small] = out;
    const perReceiver = (big.cpu_per_send_us - small.cpu_per_send_us) / (big.per_room - small.per_room);
    const fixed = small.cpu_per_send_us - perReceiver * small.per_room;
    const other = Math.max(big.other_cpu_cores, small.other_cpu_cores);
    say(`  ${name.padEnd(28)} CPU per message: ${big.cpu_per_send_us.toFixed(0)} us in rooms of ${big.per_room}, ${small.cpu_per_send_us.toFixed(0)} us in rooms of ${small.per_room} -> about ${fixed.toFixed(0)} us fixed + ${perReceiver.toFixed(1)} us per receiver${other > 0.3 ? ` (noisy: other programs used up to ${other.toFixed(2)} cores)` : ''}`);
    return { name, runs: out, fixed_us: fixed, per_receiver_us: perReceiver };
  }
  say(`  ${name}: incomplete`);
  return { name, runs: out };
}

const direct = async (s) => {
  const d = await directWorkerd(s.rootPid, s.port);
  if (!d) throw new Error('could not find the runtime workerd');
  return { url: `http://127.0.0.1:${d.port}`, pid: d.pid };
};

// ONLY_SIZES=1: just the room-size experiment (keeps the last profile's text).
const onlySizes = process.env.ONLY_SIZES === '1';
const prof = onlySizes ? null : await profileProduct();
if (prof) reportProfile(prof);
else report.push(...readFileSync(join(RESULTS, 'profile.txt'), 'utf8').split('\n\nFixed vs per-receiver')[0].split('\n'));
let sizes = null;
if (process.env.NO_SIZES !== '1') {
  say('\nFixed vs per-receiver cost (100 messages/s, server CPU time / messages sent; straight to workerd):');
  sizes = [
    await roomSizes('product', startProduct, 'product', direct),
    await roomSizes('JavaScript Durable Object', () => startJsDo(), 'plain', direct),
    await roomSizes('JS Durable Object, no SQL', () => startJsDo({ STORE: '0' }), 'plain', direct),
  ];
}
writeFileSync(join(RESULTS, 'profile.txt'), `${report.join('\n')}\n`);
const previous = onlySizes ? JSON.parse(readFileSync(join(RESULTS, 'profile.json'), 'utf8')) : {};
writeFileSync(join(RESULTS, 'profile.json'), `${JSON.stringify({ ...previous, date: new Date().toISOString(), rate: RATE, secs: SECS, load: prof ? prof.result : previous.load, sizes }, null, 2)}\n`);
if (prof?.perfFile) rmSync(`${prof.perfFile}.old`, { force: true });
console.log('\nsaved bench/results/profile.txt, profile.json, product.cpuprofile');
for (const c of children) killTree(c);
process.exit(0);
