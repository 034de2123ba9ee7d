// Messages written while the room socket is down wait as "Sending…", survive a
// page reload (localStorage), and go out once each with the same client_id when
// the connection returns; a message the server refuses can be retried or discarded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE } from './lib.mjs';
import { openPage, signUp, createRoom, joinByUrl, composer, send, texts, until, uniq, PASSWORD } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const onlyOnce = (list, wanted) => wanted.every((w) => list.filter((t) => t === w).length === 1);
const inOrder = (list, wanted) => {
  const idx = wanted.map((w) => list.indexOf(w));
  return idx.every((v, i) => v >= 0 && (i === 0 || v > idx[i - 1]));
};

test('messages written while disconnected survive a reload and are sent once', async () => {
  const a = await openPage(browser, { base: BASE });
  const b = await openPage(browser, { base: BASE });
  await signUp(a.page, 'ofa');
  await signUp(b.page, 'ofb');
  const room = uniq('offline-');
  await createRoom(a.page, room);
  await joinByUrl(b.page, room);
  await send(a.page, 'online first');
  await b.page.locator('.msgs .msg', { hasText: 'online first' }).waitFor();

  // Cut A's room sockets (HTTP still works), as a flaky network would.
  let blocked = true;
  const sent = [];
  await a.context.routeWebSocket(/\/socket/, (ws) => {
    if (blocked) { ws.close({ code: 1011, reason: 'test: network down' }); return; }
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      try { const f = JSON.parse(m); if (f.type === 'send') sent.push(f.client_id); } catch { /* not JSON */ }
      server.send(m);
    });
  });
  // Existing sockets are not routed: reload so the page's sockets go through the route.
  await a.page.reload();
  await a.page.getByText(/Reconnecting…|Connecting…/).first().waitFor();
  await send(a.page, 'offline one');
  await send(a.page, 'offline two');
  await a.page.locator('.pending-list .msg', { hasText: 'offline two' }).waitFor();
  const saved = await a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('chat.outbox')).length);
  assert.equal(saved, 1, 'the outbox is saved in localStorage');

  // Reload while still offline: the pending messages are still there.
  await a.page.reload();
  await a.page.locator('.pending-list .msg', { hasText: 'offline one' }).waitFor();
  await a.page.locator('.pending-list .msg', { hasText: 'offline two' }).waitFor();

  // The network returns: they go out once each, in order, with the same client_ids.
  blocked = false;
  for (const page of [a.page, b.page]) {
    await until(async () => {
      const list = await texts(page);
      return onlyOnce(list, ['online first', 'offline one', 'offline two']) && inOrder(list, ['online first', 'offline one', 'offline two']);
    }, 'offline messages delivered once', 60_000);
  }
  await until(async () => (await a.page.locator('.pending-list .msg').count()) === 0, 'nothing pending');
  assert.equal(new Set(sent).size, 2, `two distinct client_ids were sent (${sent.join(', ')})`);
  const left = await a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('chat.outbox')).length);
  assert.equal(left, 0, 'the outbox is emptied once stored');
  await a.context.close();
  await b.context.close();
});

test('a failed message can be retried or discarded', async () => {
  const a = await openPage(browser, { base: BASE });
  await signUp(a.page, 'fla');
  const room = uniq('fail-');
  await createRoom(a.page, room);
  // Make the server refuse one message by replying to a message that does not exist.
  let rewrite = true;
  await a.context.routeWebSocket(/\/socket/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      const f = JSON.parse(m);
      if (rewrite && f.type === 'send' && f.text.startsWith('doomed')) { f.reply_to = 999999; server.send(JSON.stringify(f)); return; }
      server.send(m);
    });
  });
  await a.page.reload();
  await composer(a.page).waitFor();
  await a.page.waitForTimeout(300);
  await send(a.page, 'doomed one');
  const failed = a.page.locator('.pending-list .msg.failed', { hasText: 'doomed one' });
  await failed.waitFor();
  await failed.getByRole('alert').waitFor();
  assert.doesNotMatch(await failed.textContent(), /[{}]/, 'the reason is a sentence, not JSON');
  // Retry succeeds once the problem is gone (same client_id would be refused again, so
  // the retry goes through the now-honest route).
  rewrite = false;
  await failed.getByRole('button', { name: 'Retry' }).click();
  await a.page.locator('.msgs .msg', { hasText: 'doomed one' }).waitFor();
  // Discard removes a failed one for good.
  rewrite = true;
  await send(a.page, 'doomed two');
  const second = a.page.locator('.pending-list .msg.failed', { hasText: 'doomed two' });
  await second.waitFor();
  await second.getByRole('button', { name: 'Discard' }).click();
  await second.waitFor({ state: 'detached' });
  await a.page.reload();
  await a.page.locator('.msgs .msg', { hasText: 'doomed one' }).waitFor();
  assert.equal(await a.page.locator('.msg', { hasText: 'doomed two' }).count(), 0);
  await a.context.close();
});

test('signing out forgets the messages that were not sent', async () => {
  const a = await openPage(browser, { base: BASE });
  const username = await signUp(a.page, 'sgo');
  const room = uniq('signout-');
  await createRoom(a.page, room);
  let blocked = true;
  await a.context.routeWebSocket(/\/socket/, (ws) => {
    if (blocked) { ws.close({ code: 1011, reason: 'test: network down' }); return; }
    ws.connectToServer();
  });
  await a.page.reload();
  await a.page.getByText(/Reconnecting…|Connecting…/).first().waitFor();
  await send(a.page, 'written before signing out');
  await a.page.locator('.pending-list .msg', { hasText: 'written before signing out' }).waitFor();

  await a.page.getByRole('button', { name: 'Sign out' }).click();
  await a.page.locator('#auth-username').waitFor();
  const saved = await a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('chat.outbox')).length);
  assert.equal(saved, 0, 'the outbox is cleared on sign out');

  // Signing in again (the network is back) sends nothing of the old session.
  blocked = false;
  await a.page.locator('#auth-username').fill(username);
  await a.page.getByLabel('Password').fill(PASSWORD);
  await a.page.locator('#auth-submit').click();
  await a.page.goto(`/rooms/${room}`);
  await composer(a.page).waitFor();
  await send(a.page, 'after signing in again');
  await a.page.locator('.msgs .msg', { hasText: 'after signing in again' }).waitFor();
  assert.ok(!(await texts(a.page)).includes('written before signing out'));
  assert.equal(await a.page.locator('.pending-list .msg').count(), 0);
  await a.context.close();
});
