// Message search through the real page: Ctrl+K opens it, results mark the
// matched words as text (never HTML), name the room, author and time; Enter
// opens the room scrolled to the message, loading history back to it; an
// empty result says so; "/" opens it too, and all rooms can be searched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib.mjs';
import { register, connectReady, joinRoom as apiJoin, sendMessage } from '../lib/api.mjs';
import { openPage, signUp, createRoom, composer, send, message, until, uniq } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('search finds a message far back, marks the words, and opens the room at it', async () => {
  const { page } = await openPage(browser);
  await signUp(page, 'srch');
  const room = uniq('find-');
  await createRoom(page, room);
  const bob = await register('srchb');
  await apiJoin(bob, room);
  const b = await connectReady(room, { token: bob.token });
  await sendMessage(b.client, 'The <b>deployment</b> checklist is ready');
  b.client.close();
  // More than a page of history (50) after it, so opening it must load back;
  // from several people, as each may send 10 at once.
  let n = 0;
  for (let u = 0; u < 7; u++) {
    const filler = await register('srchf');
    await apiJoin(filler, room);
    const f = await connectReady(room, { token: filler.token });
    for (let i = 0; i < 9; i++) await sendMessage(f.client, `filler message ${n++}`);
    f.client.close();
  }
  await message(page, `filler message ${n - 1}`).waitFor();

  await composer(page).press('Control+k');
  const dlg = page.getByRole('dialog', { name: 'Search messages' });
  const box = dlg.getByRole('searchbox', { name: 'Search messages' });
  await box.waitFor();
  await box.fill('DEPLOY check');
  const hit = dlg.locator('.search-hit').first();
  await hit.waitFor();
  assert.equal(await dlg.locator('.search-hit').count(), 1);
  assert.deepEqual(await hit.locator('mark').allTextContents(), ['deploy', 'check']);
  assert.match(await hit.locator('.search-text').textContent(), /The <b>deployment<\/b> checklist is ready/);
  assert.equal(await hit.locator('b').count(), 0, 'text, never HTML');
  assert.equal(await hit.locator('.search-room').textContent(), `#${room}`);
  assert.match(await hit.locator('.search-meta strong').textContent(), /srchb/);
  await box.press('Enter');
  await dlg.waitFor({ state: 'detached' });
  const target = message(page, 'checklist is ready');
  await target.waitFor();
  await until(async () => target.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const log = el.closest('[role=log]').getBoundingClientRect();
    return r.top >= log.top && r.bottom <= log.bottom;
  }), 'the message is scrolled into view');

  // Nothing found: said in a sentence. "/" opens the search outside a text box.
  await page.locator('.msgs').click({ position: { x: 5, y: 5 } }).catch(() => {});
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('/');
  await box.waitFor();
  await box.fill('zebra');
  await dlg.getByText(/No messages match “zebra”/).waitFor();
  // All rooms: the scope menu.
  await dlg.getByRole('combobox', { name: 'Where to search' }).selectOption({ label: 'In all rooms and messages' });
  await box.fill('filler 1');
  await until(async () => (await dlg.locator('.search-hit').count()) >= 2, 'results across rooms');
  assert.ok((await dlg.locator('.search-hit .search-room').allTextContents()).every((t) => t === `#${room}`));
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  assert.deepEqual(page.errors, []);
});

test('a query without words explains itself and sends nothing', async () => {
  const { page } = await openPage(browser, { viewport: { width: 390, height: 844 } });
  await signUp(page, 'srchp');
  await createRoom(page, uniq('p-'));
  await send(page, 'hello there');
  let searched = 0;
  page.on('request', (r) => { if (/\/search\?/.test(r.url())) searched++; });
  await composer(page).press('Control+k');
  const dlg = page.getByRole('dialog', { name: 'Search messages' });
  await dlg.getByRole('searchbox').fill('"*"');
  await dlg.getByText(/Search for words/).waitFor();
  assert.equal(searched, 0);
  await dlg.getByRole('searchbox').fill('hel');
  await dlg.locator('.search-hit mark', { hasText: 'hel' }).waitFor();
  assert.deepEqual(page.errors, []);
});
