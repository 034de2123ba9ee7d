// The web client's upload queue (public/uploads.js) with its outbox under
// node: a fake network whose uploads the test settles one by one, fake timers
// and a Map for the bytes. Checks what goes out (the send frame and its
// attachment ids), when, and what a person is shown on the way.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

class MemoryStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}
globalThis.localStorage = new MemoryStorage();
const { Outbox } = await import('../../public/outbox.js');
const { UploadQueue } = await import('../../public/uploads.js');

beforeEach(() => { globalThis.localStorage = new MemoryStorage(); });

const tick = () => new Promise((r) => setImmediate(r));

/** Everything a queue needs, faked; `net.calls` are the uploads started, to settle by hand. */
function make({ concurrency = 2, outbox = new Outbox('alice', 'lobby'), bytes = new Map() } = {}) {
  const clock = { t: 1000, timers: [] };
  const timers = {
    setTimeout: (fn, ms) => { const id = { fn, at: clock.t + ms }; clock.timers.push(id); return id; },
    clearTimeout: (id) => { clock.timers = clock.timers.filter((x) => x !== id); },
  };
  const advance = async (ms) => {
    clock.t += ms;
    for (const t of clock.timers.filter((x) => x.at <= clock.t)) { clock.timers = clock.timers.filter((x) => x !== t); t.fn(); }
    await tick();
  };
  const net = { calls: [] };
  const transport = ({ name, blob, onProgress }) => {
    const call = { name, blob, onProgress, aborted: false };
    call.promise = new Promise((resolve, reject) => { call.resolve = resolve; call.reject = reject; });
    net.calls.push(call);
    return { promise: call.promise, abort: () => { call.aborted = true; call.reject({ status: 0, code: 'aborted' }); } };
  };
  const blobs = {
    put: async (k, b) => { bytes.set(k, b); },
    get: async (k) => bytes.get(k) ?? null,
    delete: async (k) => { bytes.delete(k); },
  };
  const seen = { ready: 0, progress: [], refused: [] };
  const q = new UploadQueue({
    room: 'lobby', outbox, transport, blobs, timers, now: () => clock.t, concurrency,
    onReady: () => seen.ready++, onProgress: (key, loaded, total) => seen.progress.push([key, loaded, total]),
    onRefused: (text) => seen.refused.push(text),
  });
  const frames = () => { const out = []; outbox.sendAll(1, (f) => { out.push(f); return true; }); return out; };
  return { q, outbox, net, seen, bytes, advance, frames, clock };
}

const file = (name, size = 10, type = 'text/plain') => ({ name, size, type });
const att = (id) => ({ id, name: id, content_type: 'text/plain', size: 10, url: `/x/${id}`, image: null });

test('a message waits for its uploads, a few at a time, then goes with their ids in order', async () => {
  const { q, net, seen, frames, bytes } = make({ concurrency: 2 });
  const p = q.send('hello', null, [file('a.txt'), file('b.txt'), file('c.txt')]);
  await tick();
  assert.deepEqual(net.calls.map((c) => c.name), ['a.txt', 'b.txt'], 'two at a time');
  assert.deepEqual(p.files.map((f) => f.state), ['uploading', 'uploading', 'waiting']);
  assert.deepEqual(frames(), [], 'nothing is sent while files upload');
  net.calls[0].onProgress(4, 10);
  assert.deepEqual(seen.progress, [[p.files[0].key, 4, 10]]);
  assert.equal(p.files[0].loaded, 4);
  net.calls[1].resolve(att('B'));
  await tick();
  assert.deepEqual(net.calls.map((c) => c.name), ['a.txt', 'b.txt', 'c.txt'], 'the next one starts');
  net.calls[2].resolve(att('C'));
  net.calls[0].resolve(att('A'));
  await tick();
  assert.ok(seen.ready >= 1);
  assert.equal(bytes.size, 0, 'uploaded bytes are forgotten');
  const [frame] = frames();
  assert.deepEqual(frame.attachments, ['A', 'B', 'C'], 'ids in the order the files were attached');
  assert.equal(frame.text, 'hello');
});

test('a message with files does not hold up the messages after it', async () => {
  const { q, outbox, frames } = make();
  q.send('', null, [file('big.bin')]);
  outbox.queue('plain text after it', null);
  const out = frames();
  assert.deepEqual(out.map((f) => f.text), ['plain text after it']);
});

test('a refused file fails with a sentence and the rest go without it', async () => {
  const { q, net, seen, frames } = make();
  const p = q.send('two files', null, [file('ok.txt'), file('no.txt')]);
  await tick();
  net.calls[1].reject({ status: 403, code: 'forbidden' });
  await tick();
  assert.equal(p.files[1].state, 'failed');
  assert.match(p.files[1].error, /no\.txt was not uploaded/);
  assert.deepEqual(seen.refused, [p.files[1].error]);
  assert.deepEqual(frames(), [], 'the other file is still uploading');
  net.calls[0].resolve(att('OK'));
  await tick();
  assert.deepEqual(frames()[0].attachments, ['OK']);
});

test('when every file is refused and there is no text, the message fails; Retry uploads again', async () => {
  const { q, outbox, net, frames, seen } = make();
  const p = q.send('', null, [file('x.pdf')]);
  await tick();
  net.calls[0].reject({ status: 413, code: 'too_large' });
  await tick();
  assert.equal(p.state, 'failed');
  assert.equal(p.error, 'the file could not be uploaded.');
  assert.equal(p.files[0].error, 'x.pdf is larger than 10 MiB.', 'the file row says why');
  assert.deepEqual(seen.refused, [], 'no extra notice: the failed message shows it');
  assert.deepEqual(frames(), []);
  q.retry(p.client_id);
  outbox.retry(p.client_id);
  q.pump();
  await tick();
  assert.equal(net.calls.length, 2, 'uploaded again');
  net.calls[1].resolve(att('X'));
  await tick();
  assert.deepEqual(frames()[0].attachments, ['X']);
});

test('the network failing makes a file wait and try again later; the rate limit waits as told', async () => {
  const { q, net, advance, frames } = make();
  const p = q.send('later', null, [file('n.txt'), file('r.txt')]);
  await tick();
  net.calls[0].reject({ status: 0, code: 'network' });
  net.calls[1].reject({ status: 429, code: 'rate_limited', retryAfterMs: 5000 });
  await tick();
  assert.deepEqual(p.files.map((f) => f.state), ['waiting', 'waiting']);
  assert.equal(p.files[0].note, 'Waiting for the connection…');
  assert.equal(p.files[1].note, 'Too many uploads at once: trying again in 5 seconds.');
  await advance(999);
  assert.equal(net.calls.length, 2, 'not before the backoff');
  await advance(1);
  assert.equal(net.calls.length, 3, 'the network one goes again after 1 s');
  await advance(3000);
  assert.equal(net.calls.length, 3, 'the rate-limited one still waits');
  await advance(1000);
  assert.equal(net.calls.length, 4, 'and goes after 5 s');
  net.calls[2].resolve(att('N'));
  net.calls[3].resolve(att('R'));
  await tick();
  assert.deepEqual(frames()[0].attachments, ['N', 'R']);
});

test('a connection coming back wakes the files waiting for it at once', async () => {
  const { q, net } = make();
  q.send('x', null, [file('n.txt')]);
  await tick();
  for (let i = 0; i < 4; i++) { net.calls[i].reject({ status: 0, code: 'network' }); await tick(); q.wake(); await tick(); }
  assert.equal(net.calls.length, 5, 'each wake retries without waiting out the backoff');
});

test('a server error is tried a few times, then refused', async () => {
  const { q, net, advance } = make();
  const p = q.send('x', null, [file('s.txt')]);
  await tick();
  net.calls[0].reject({ status: 500, code: 'internal' });
  await tick();
  await advance(1000);
  net.calls[1].reject({ status: 503, code: 'unavailable' });
  await tick();
  await advance(2000);
  net.calls[2].reject({ status: 500, code: 'internal' });
  await tick();
  assert.equal(net.calls.length, 3);
  assert.equal(p.files[0].state, 'failed');
  assert.match(p.files[0].error, /s\.txt could not be uploaded/);
});

test('cancelling a file aborts it and drops it; a message left empty is dropped too', async () => {
  const { q, outbox, net, frames, bytes } = make();
  const p = q.send('keep me', null, [file('a.txt'), file('b.txt')]);
  await tick();
  q.cancel(p.files[0].key);
  assert.equal(net.calls[0].aborted, true);
  assert.equal(p.files.length, 1);
  net.calls[1].resolve(att('B'));
  await tick();
  assert.deepEqual(frames()[0].attachments, ['B']);

  const lone = q.send('', null, [file('c.txt')]);
  await tick();
  q.cancel(lone.files[0].key);
  assert.equal(outbox.has(lone.client_id), false, 'nothing is left to send');
  assert.equal(bytes.size, 0, 'its bytes are forgotten');
});

test('discarding a message ends its uploads and forgets its bytes', async () => {
  const { q, outbox, net, bytes } = make();
  const p = q.send('bye', null, [file('a.txt'), file('b.txt'), file('c.txt')]);
  await tick();
  assert.equal(bytes.size, 3);
  outbox.discard(p.client_id);
  assert.deepEqual(net.calls.map((c) => c.aborted), [true, true]);
  assert.equal(bytes.size, 0);
  await tick();
  assert.equal(net.calls.length, 2, 'the third never starts');
});

test('after a reload the saved files upload again from the saved bytes; missing bytes fail with a sentence', async () => {
  const bytes = new Map();
  const first = make({ bytes });
  const p = first.q.send('survives', null, [file('kept.txt'), file('lost.txt'), file('done.txt')]);
  await tick();
  first.net.calls[0].onProgress(5, 10);
  first.q.stop(); // the page goes away mid-upload
  const done = p.files[2];
  done.state = 'done'; done.attachment = att('D'); first.outbox.save();
  bytes.delete(p.files[1].key);

  const again = make({ bytes, outbox: new Outbox('alice', 'lobby') });
  const [restored] = again.outbox.list;
  assert.equal(restored.files[0].loaded, 0, 'the upload cut short starts over');
  assert.equal(restored.files[2].state, 'done');
  await tick();
  assert.deepEqual(again.net.calls.map((c) => c.name), ['kept.txt'], 'only what has bytes uploads; the done one is not repeated');
  assert.equal(restored.files[1].state, 'failed');
  assert.equal(restored.files[1].error, 'lost.txt is no longer available on this device; attach it again.');
  again.net.calls[0].resolve(att('K'));
  await tick();
  assert.deepEqual(again.frames()[0].attachments, ['K', 'D']);
});
