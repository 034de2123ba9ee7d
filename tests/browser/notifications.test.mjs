// Mentions and notifications in the web page (contract section 10): the @
// suggestions in the composer (keys, mouse, Escape, @room for owners), the
// highlight of a message that mentions me, the sidebar's mention badge with
// the title and favicon, the bell menu's level surviving a reload, the
// one-time offer, the service worker showing a push delivered over CDP,
// in-page notifications while the tab is hidden (a stubbed Notification), and
// axe on the new parts in light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch } from './lib.mjs';
import { ROOT } from '../lib/server.mjs';
import { openPage, signUp, createRoom, composer, send, message, until, uniq } from './ui.mjs';
import { api, register, connectReady, joinRoom, sendMessage } from '../lib/api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Chromium's own words when a context cannot use push (as in these tests): not the app's.
const BROWSER_NOISE = /Push API in incognito/;
const appErrors = (page) => page.errors.filter((e) => !BROWSER_NOISE.test(e));

/** Two people with display names, who join `room` once it exists. */
async function people() {
  const alice = await register('alice');
  const bob = await register('bob');
  await api('PATCH', '/api/me', { token: alice.token, body: { display_name: 'Alice Liddell' } });
  await api('PATCH', '/api/me', { token: bob.token, body: { display_name: 'Amy Bobson' } });
  return { alice, bob };
}

const myName = async (page) => (await page.locator('#me-status').textContent()).replace(/^@/, '');
const roomLink = (page, room) => page.locator(`#room-list .room-link[data-room="${room}"]`);
const caret = (page) => composer(page).evaluate((el) => el.selectionStart);

test('@ suggestions: arrows, Enter and Tab pick, a click picks, Escape only closes, @room for the owner', async () => {
  const { page, context } = await openPage(browser);
  await signUp(page, 'own');
  const { alice, bob } = await people();
  const room = uniq('ac-');
  await createRoom(page, room);
  await joinRoom(alice, room);
  await joinRoom(bob, room);
  const box = composer(page);
  const list = page.getByRole('listbox', { name: 'People to mention' });
  const options = list.getByRole('option');
  // The members' display names arrive with their profiles.
  await box.fill('@a');
  await until(async () => (await options.count()) === 2 && /Amy Bobson/.test(await list.textContent()), 'alice and bob suggested for @a');
  assert.equal(await box.getAttribute('aria-controls'), await list.getAttribute('id'));
  const first = options.nth(0);
  assert.match(await first.textContent(), new RegExp(`Alice Liddell@${alice.username}`));
  assert.equal(await first.getAttribute('aria-selected'), 'true');
  assert.equal(await box.getAttribute('aria-activedescendant'), await first.getAttribute('id'));
  await box.press('ArrowDown');
  assert.equal(await options.nth(1).getAttribute('aria-selected'), 'true');
  assert.equal(await box.getAttribute('aria-activedescendant'), await options.nth(1).getAttribute('id'));
  await box.press('ArrowDown'); // wraps around
  await box.press('ArrowDown');
  await box.press('ArrowUp');
  assert.equal(await first.getAttribute('aria-selected'), 'true');
  await box.press('Enter');
  await list.waitFor({ state: 'hidden' });
  assert.equal(await box.inputValue(), `@${alice.username} `);
  assert.equal(await caret(page), alice.username.length + 2);
  assert.equal(await box.getAttribute('aria-activedescendant'), null);
  // With the list closed, Enter sends as always.
  await box.pressSequentially('hello');
  await box.press('Enter');
  await message(page, `@${alice.username} hello`).waitFor();
  assert.equal(await box.inputValue(), '');

  // By display name, picked with the mouse, in the middle of a sentence.
  await box.fill('thanks  for the review');
  await box.evaluate((el) => el.setSelectionRange(7, 7));
  await box.pressSequentially('@amy');
  await options.first().waitFor();
  assert.equal(await options.count(), 1);
  await options.first().click();
  assert.equal(await box.inputValue(), `thanks @${bob.username} for the review`);
  await until(async () => (await page.evaluate(() => document.activeElement?.getAttribute('aria-label')))?.startsWith('Message'), 'focus stays in the composer');

  // Tab picks too; @room is offered to the owner.
  await box.fill('@ro');
  await list.getByRole('option', { name: /@room/ }).waitFor();
  await box.press('Tab');
  assert.equal(await box.inputValue(), '@room ');

  // Escape in edit mode: the first closes the list, the second cancels the edit.
  await box.fill('');
  await box.press('ArrowUp');
  await page.getByText('Editing your message').waitFor();
  await box.press('End');
  await box.pressSequentially(' @b');
  await options.first().waitFor();
  await box.press('Escape');
  await list.waitFor({ state: 'hidden' });
  assert.equal(await page.getByText('Editing your message').isVisible(), true, 'still editing');
  await box.press('Escape');
  await page.getByText('Editing your message').waitFor({ state: 'hidden' });

  // A member is not offered @room.
  const other = await openPage(browser);
  await other.page.goto('/');
  const res = await other.page.evaluate(async ({ u, p }) => (await fetch('/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) })).status, { u: alice.username, p: alice.password });
  assert.equal(res, 200);
  await other.page.goto(`/rooms/${room}`);
  // The members come with the socket's `ready`; type once the room is shown.
  await other.page.locator('.msgs .msg').first().waitFor();
  await composer(other.page).fill('@');
  await other.page.getByRole('option').first().waitFor();
  assert.equal(await other.page.getByRole('option', { name: /@room/ }).count(), 0);
  assert.deepEqual(appErrors(page), []);
  assert.deepEqual(appErrors(other.page), []);
  await other.context.close();
  await context.close();
});

test('a mention of me is highlighted, and other rooms get an @ badge, title and favicon until read', async () => {
  const { page, context } = await openPage(browser);
  const me = await signUp(page, 'hl');
  const { alice } = await people();
  const here = uniq('here-');
  const there = uniq('there-');
  await createRoom(page, there);
  await createRoom(page, here);
  await joinRoom(alice, here);
  await joinRoom(alice, there);
  const a = await connectReady(here, { token: alice.token });
  const b = await connectReady(there, { token: alice.token });
  await sendMessage(a.client, `Morning @${me}, can you look at this?`);
  await sendMessage(a.client, 'A message for everyone else');
  const mentioned = message(page, 'can you look at this?');
  await mentioned.waitFor();
  await message(page, 'A message for everyone else').waitFor();
  assert.match(await mentioned.getAttribute('class'), /\bmentioned\b/);
  assert.doesNotMatch(await message(page, 'A message for everyone else').getAttribute('class'), /\bmentioned\b/);
  assert.equal(await mentioned.locator('.mention-me').textContent(), `@${me}`);

  // In the other room: an @1 badge beside the unread count, in the title and the favicon.
  await sendMessage(b.client, `@${me} over here`);
  await sendMessage(b.client, 'and one more');
  const link = roomLink(page, there);
  await link.locator('.badge-mention', { hasText: '@1' }).waitFor();
  await link.locator('.badge', { hasText: /^2$/ }).waitFor();
  assert.match(await link.getAttribute('aria-label') ?? await link.textContent(), /1 mention, 2 unread/);
  await until(async () => (await page.title()) === '(@1 · 2) Chat', 'title counts the mention');
  await until(async () => (await page.locator('link[rel~="icon"]').getAttribute('href')).startsWith('data:image/png'), 'favicon badge');
  // Opening the room reads it: the badges, the title and the favicon clear.
  await link.click();
  await message(page, 'over here').waitFor();
  await until(async () => (await link.locator('.badge').count()) === 0, 'badges clear');
  await until(async () => (await page.title()) === 'Chat', 'title clears');
  assert.equal(await page.locator('link[rel~="icon"]').getAttribute('href'), '/favicon.svg');
  // The server agrees after the list refresh (reload).
  await page.getByRole('link', { name: new RegExp(here) }).click();
  await page.reload();
  await composer(page).waitFor();
  await page.waitForTimeout(300);
  assert.equal(await roomLink(page, there).locator('.badge').count(), 0);
  a.client.close();
  b.client.close();
  assert.deepEqual(appErrors(page), []);
  await context.close();
});

test('the bell menu: levels with the current one checked, kept after a reload; the one-time offer', async () => {
  const { page, context } = await openPage(browser);
  await signUp(page, 'bell');
  const room = uniq('bell-');
  await createRoom(page, room);
  const bell = page.getByRole('button', { name: /^Notifications: / });
  assert.equal(await bell.getAttribute('aria-label'), 'Notifications: Mentions only', 'the default in a room');
  await bell.click();
  const menu = page.getByRole('menu', { name: 'Notifications for this room' });
  await menu.waitFor();
  assert.equal(await menu.getByRole('menuitemradio', { name: 'Mentions only' }).getAttribute('aria-checked'), 'true');
  // Keyboard: the checked item has focus; Escape closes and returns to the bell.
  assert.equal(await page.evaluate(() => document.activeElement.textContent), '✓Mentions only');
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Notifications: Mentions only');

  // Opening the menu brought the offer (permission not asked yet); "Not now" is remembered.
  const offer = page.getByRole('region', { name: 'Notifications' });
  await offer.getByText('Turn on notifications?').waitFor();
  await offer.getByRole('button', { name: 'Not now' }).click();
  await offer.waitFor({ state: 'detached' });

  await bell.click();
  await menu.getByRole('menuitemradio', { name: 'Nothing' }).click();
  await until(async () => (await bell.getAttribute('aria-label')) === 'Notifications: Nothing', 'the bell shows Nothing');
  await page.reload();
  await composer(page).waitFor();
  await until(async () => (await bell.getAttribute('aria-label')) === 'Notifications: Nothing', 'kept after a reload');
  const listed = await page.evaluate(async (name) => (await (await fetch('/api/rooms')).json()).rooms.find((r) => r.name === name), room);
  assert.equal(listed.notify, 'none');
  await bell.click();
  assert.equal(await menu.getByRole('menuitemradio', { name: 'Nothing' }).getAttribute('aria-checked'), 'true');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await until(async () => (await bell.getAttribute('aria-label')) === 'Notifications: All messages', 'picked with the keyboard');
  // Dismissed once: no offer again, not even after sending.
  await send(page, 'a first message');
  await message(page, 'a first message').waitFor();
  await page.waitForTimeout(300);
  assert.equal(await offer.count(), 0);

  // A refused change is a sentence, and the level stays.
  await page.route(`**/api/rooms/${room}/notifications`, (r) => r.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal","message":"Something went wrong on our side. Please try again."}}' }));
  await bell.click();
  await menu.getByRole('menuitemradio', { name: 'Nothing' }).click();
  await page.getByText('The notification setting could not be changed. Something went wrong on our side. Please try again.').waitFor();
  assert.equal(await bell.getAttribute('aria-label'), 'Notifications: All messages');
  page.errors = page.errors.filter((e) => !/status of 500/.test(e));
  assert.deepEqual(appErrors(page), []);
  await context.close();
});

test('turning on after a first message: the service worker registers and shows a push delivered to it', async () => {
  const { page, context } = await openPage(browser);
  await context.grantPermissions(['notifications']);
  await signUp(page, 'push');
  const room = uniq('push-');
  await createRoom(page, room);
  const offer = page.getByRole('region', { name: 'Notifications' });
  assert.equal(await offer.count(), 0, 'never on page load');
  await send(page, 'my first message');
  await offer.getByRole('button', { name: 'Turn on' }).click();
  // No push service is reachable here: the page says in a sentence what still works.
  await offer.getByText(/^Notifications are on while Chat is open in a tab\. Background notifications are unavailable/).waitFor({ timeout: 30_000 });
  await offer.getByRole('button', { name: 'OK' }).click();
  await offer.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => navigator.serviceWorker.getRegistration('/').then((r) => !!r?.active)), true);
  assert.equal(await page.getByRole('button', { name: /^Notifications: / }).count(), 1);

  // A push, delivered by the browser's DevTools protocol as a push service would.
  const cdp = await context.newCDPSession(page);
  const regs = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  await until(() => regs.find((r) => !r.isDeleted), 'the registration is known');
  const { registrationId } = regs.find((r) => !r.isDeleted);
  const origin = new URL(page.url()).origin;
  const payload = { type: 'message', room, seq: 2, author: 'sam', text: 'Ping @you from a push', mention: true };
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify(payload) });
  const shown = await until(async () => {
    const list = await page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
      .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })));
    return list.length ? list : null;
  }, 'the service worker showed a notification');
  assert.deepEqual(shown, [{ title: `sam mentioned you in #${room}`, body: 'Ping @you from a push', tag: `room:${room}`, data: { room, seq: 2 } }]);
  // A push it cannot read still shows something (userVisibleOnly).
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: 'not json' });
  await until(async () => (await page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length)) === 2, 'a generic notification');
  assert.deepEqual(appErrors(page), []);
  await context.close();
});

test('while the tab is hidden, a mention (per the level) shows a notification whose click opens the room at it', async () => {
  const { page, context } = await openPage(browser);
  // A hidden tab, and a Notification that records what it is asked to show.
  await context.addInitScript(() => {
    Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
    window.__notes = [];
    window.Notification = class {
      static permission = 'granted';
      static requestPermission() { return Promise.resolve('granted'); }
      constructor(title, options) { this.title = title; Object.assign(this, options); window.__notes.push(this); }
      close() { this.closed = true; }
    };
  });
  const me = await signUp(page, 'hid');
  const { alice } = await people();
  const target = uniq('target-');
  const quiet = uniq('quiet-');
  await createRoom(page, quiet);
  await createRoom(page, target);
  await joinRoom(alice, target);
  await joinRoom(alice, quiet);
  await page.getByRole('link', { name: new RegExp(quiet) }).click();
  await page.waitForURL(`**/rooms/${quiet}`);
  const t = await connectReady(target, { token: alice.token });
  const q = await connectReady(quiet, { token: alice.token });
  const notes = () => page.evaluate(() => window.__notes.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })));
  // "Mentions only" (the default): a plain message is not shown, a mention is.
  await sendMessage(t.client, 'nothing for you here');
  await roomLink(page, target).locator('.badge', { hasText: '1' }).waitFor();
  const ack = await sendMessage(t.client, `@${me} please review the draft`);
  await until(async () => (await notes()).length === 1, 'one notification');
  assert.deepEqual(await notes(), [{ title: `Alice Liddell mentioned you in #${target}`, body: `@${me} please review the draft`, tag: `room:${target}`, data: { room: target, seq: ack.seq } }]);
  // "Nothing" in the quiet room: not even a mention.
  await page.getByRole('button', { name: /^Notifications: / }).click();
  await page.getByRole('menuitemradio', { name: 'Nothing' }).click();
  await until(async () => (await page.getByRole('button', { name: 'Notifications: Nothing' }).count()) === 1, 'quiet room muted');
  await sendMessage(q.client, `@${me} in the quiet room`);
  await message(page, 'in the quiet room').waitFor();
  assert.equal((await notes()).length, 1);
  // The click focuses the page and opens the room at that message.
  await page.evaluate(() => window.__notes[0].onclick());
  await page.waitForURL(`**/rooms/${target}`);
  const node = page.locator(`.msgs .msg[data-seq="${ack.seq}"]`);
  await node.waitFor();
  await until(() => node.evaluate((el) => el === document.activeElement), 'the message has focus');
  assert.equal(await page.evaluate(() => window.__notes[0].closed), true);
  t.client.close();
  q.client.close();
  assert.deepEqual(appErrors(page), []);
  await context.close();
});

for (const scheme of ['light', 'dark']) {
  test(`the suggestions, the bell menu with the offer and the mention badges are axe clean (${scheme})`, async () => {
    // bypassCSP only so that axe-core can be injected; the app itself never needs it.
    const { page, context } = await openPage(browser, { colorScheme: scheme, bypassCSP: true });
    const me = await signUp(page, 'axe');
    const { alice, bob } = await people();
    const other = uniq('other-');
    const room = uniq('axe-');
    await createRoom(page, other);
    await createRoom(page, room);
    await joinRoom(alice, room);
    await joinRoom(bob, room);
    await joinRoom(alice, other);
    const a = await connectReady(room, { token: alice.token });
    const o = await connectReady(other, { token: alice.token });
    await sendMessage(a.client, `@${me} a mention to highlight`);
    await sendMessage(o.client, `@${me} a mention for the badge`);
    await message(page, 'a mention to highlight').waitFor();
    await roomLink(page, other).locator('.badge-mention').waitFor();
    await page.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
    const axe = async (what) => {
      const bad = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} :: ${n.failureSummary}`) }));
      });
      assert.deepEqual(bad, [], `${what}: ${JSON.stringify(bad, null, 2)}`);
    };
    await composer(page).fill('@a');
    await page.getByRole('option').first().waitFor();
    await axe('suggestions open');
    await composer(page).press('Escape');
    await page.getByRole('button', { name: /^Notifications: / }).click();
    await page.getByRole('menu').waitFor();
    await page.getByRole('region', { name: 'Notifications' }).waitFor();
    await page.waitForTimeout(300); // the offer's slide-in
    await axe('bell menu and offer');
    a.client.close();
    o.client.close();
    assert.deepEqual(appErrors(page), []);
    await context.close();
  });
}
