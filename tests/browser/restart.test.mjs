// Real-time behaviour a person can trust: the server restarts while someone
// types and sends, and afterwards every message shows once, in order, on both
// screens. This file starts (and restarts) its own wrangler dev.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib.mjs';
import { startServer } from '../lib/server.mjs';
import { openPage, signUp, createRoom, joinByUrl, composer, send, texts, until, uniq } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const onlyOnce = (list, wanted) => wanted.every((w) => list.filter((t) => t === w).length === 1);
const inOrder = (list, wanted) => {
  const idx = wanted.map((w) => list.indexOf(w));
  return idx.every((v, i) => v >= 0 && (i === 0 || v > idx[i - 1]));
};

test('a server restart while sending: every message shows once, in order, on both screens', async () => {
  const server = await startServer();
  try {
    const a = await openPage(browser, { base: server.url });
    const b = await openPage(browser, { base: server.url });
    await signUp(a.page, 'rsa');
    await signUp(b.page, 'rsb');
    const room = uniq('restart-');
    await createRoom(a.page, room);
    await joinByUrl(b.page, room);
    await send(a.page, 'before 1');
    await send(b.page, 'before 2');
    await a.page.locator('.msgs .msg', { hasText: 'before 2' }).waitFor();

    const restarting = server.restart();
    await a.page.getByText('Reconnecting…').waitFor({ timeout: 30_000 });
    // Typed and sent while the server is away: they wait as "Sending…".
    await composer(a.page).pressSequentially('during 1', { delay: 15 });
    await composer(a.page).press('Enter');
    await send(a.page, 'during 2');
    await send(a.page, 'during 3');
    assert.ok(await a.page.locator('.pending-list .msg', { hasText: 'Sending…' }).count() >= 1, 'pending messages show as sending');
    await restarting;
    await send(a.page, 'after 1');
    await send(b.page, 'after 2');

    // Each person's messages keep the order they were written in; B's "after 2" may
    // legitimately land before A's queued ones (A reconnects on its own backoff).
    const fromA = ['before 1', 'during 1', 'during 2', 'during 3', 'after 1'];
    const fromB = ['before 2', 'after 2'];
    const wanted = [...fromA, ...fromB];
    const ok = (list) => onlyOnce(list, wanted) && inOrder(list, fromA) && inOrder(list, fromB);
    const shown = {};
    for (const page of [a.page, b.page]) {
      let list = [];
      await until(async () => {
        list = await texts(page);
        return ok(list);
      }, 'all messages once and in order', 90_000).catch((e) => {
        throw new Error(`${e.message}: ${page === a.page ? 'A' : 'B'} shows ${JSON.stringify(list)}`);
      });
      await until(async () => (await page.locator('.pending-list .msg').count()) === 0, 'nothing left pending', 30_000);
      await page.getByText('Reconnecting…').waitFor({ state: 'hidden' });
      shown[page === a.page ? 'a' : 'b'] = list.filter((t) => wanted.includes(t));
    }
    assert.deepEqual(shown.a, shown.b, 'both screens show the same order');
    // A reload shows the same history from the server: still once each.
    await b.page.reload();
    await b.page.locator('.msgs .msg', { hasText: 'after 2' }).waitFor();
    const list = (await texts(b.page)).filter((t) => wanted.includes(t));
    assert.deepEqual(list, shown.b, 'the history after a reload matches what was shown live');
    assert.deepEqual(a.page.errors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket/.test(e)), []);
    await a.context.close();
    await b.context.close();
  } finally {
    await server.stop();
  }
});
