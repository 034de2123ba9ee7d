// The room view renders 1,000 messages without a visible stall. A server with
// a raised send rate gets 1,000 seeded messages; the page pages back through
// all of them, then re-opens the room, which renders all 1,000 in one
// DocumentFragment. The figures are printed (no tight threshold is asserted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib.mjs';
import { startServer } from '../lib/server.mjs';
import { register, connect, api } from '../lib/api.mjs';
import { openPage, signUp, joinByUrl, createRoom, until, uniq } from './ui.mjs';

const COUNT = 1000;
let browser;
let server;
before(async () => {
  browser = await launch();
  server = await startServer({ vars: { CHAT_SEND_BURST: '5000', CHAT_SEND_PER_SEC: '1000' } });
});
after(async () => { await browser?.close(); await server?.stop(); });

test('renders 1,000 messages and reports the time', async () => {
  const base = server.url;
  const writer = await register('bulk', base);
  const room = uniq('big-');
  assert.equal((await api('POST', '/api/rooms', { token: writer.token, body: { name: room }, base })).status, 201);
  const c = await connect(room, { token: writer.token, base });
  await c.next('ready');
  for (let i = 1; i <= COUNT; i++) {
    const text = i % 7 === 0
      ? `Message ${i} with **bold**, _italic_, \`code\` and a link https://example.com/${i}`
      : `Message ${i}: ${'lorem ipsum dolor sit amet '.repeat(1 + (i % 4))}`;
    c.send({ type: 'send', client_id: `bulk-${i}`, text });
  }
  for (let i = 0; i < COUNT; i++) await c.next('ack', 30_000);
  c.close();

  const { page, context } = await openPage(browser, { base });
  await signUp(page, 'perf');
  await createRoom(page, uniq('other-'));
  await joinByUrl(page, room);
  await page.locator('.msgs .msg', { hasText: `Message ${COUNT}:` }).waitFor();

  // Page back to the first message by scrolling to the top repeatedly.
  const t0 = Date.now();
  await until(async () => {
    await page.getByRole('log').evaluate((el) => { el.scrollTop = 0; });
    return (await page.locator('.msgs .msg').count()) >= COUNT;
  }, 'all 1,000 messages loaded', 120_000);
  const pagingMs = Date.now() - t0;
  await page.locator('.msgs .msg', { hasText: 'Message 1:' }).waitFor();

  // Leave and come back: the whole history is rendered at once.
  await page.evaluate(() => {
    window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
  await page.getByRole('link', { name: /other-/ }).click();
  await page.waitForURL(/other-/);
  const start = await page.evaluate(() => performance.now());
  await page.getByRole('link', { name: room }).click();
  await page.locator('.msgs .msg', { hasText: `Message ${COUNT}:` }).waitFor();
  const figures = await page.evaluate((s) => ({
    wallMs: performance.now() - s,
    renderMs: window.__lastRenderMs,
    longestTaskMs: window.__longest,
    nodes: document.querySelectorAll('.msgs .msg').length,
  }), start);
  assert.equal(figures.nodes, COUNT);
  console.log(`1,000 messages: render ${figures.renderMs.toFixed(1)} ms (one DocumentFragment), `
    + `room switch to painted ${figures.wallMs.toFixed(0)} ms, longest task ${figures.longestTaskMs.toFixed(0)} ms; `
    + `paging back through 20 pages took ${pagingMs} ms`);
  // A generous bound that only catches a real regression (seconds, not milliseconds).
  assert.ok(figures.renderMs < 3000, `render took ${figures.renderMs} ms`);
  // Scrolling to the bottom and typing still respond.
  const box = page.getByRole('textbox', { name: /^Message/ });
  await box.fill('still snappy');
  await box.press('Enter');
  await page.locator('.msgs .msg', { hasText: 'still snappy' }).waitFor();
  assert.deepEqual(page.errors, []);
  await context.close();
});
