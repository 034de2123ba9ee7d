// Two people in two browser contexts: sign up, create and join a room, chat
// both ways, see typing and presence, edit, delete, react, reply, and load
// older history by scrolling up. Also: unread badges and the page title.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE } from './lib.mjs';
import { openPage, signUp, createRoom, joinByUrl, composer, send, message, texts, until, uniq } from './ui.mjs';
import { register, connect } from '../lib/api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('two people chat both ways with typing, presence, edit, delete, react and reply', async () => {
  const a = await openPage(browser);
  const b = await openPage(browser);
  const alice = await signUp(a.page, 'alice', 'Alice');
  const bob = await signUp(b.page, 'bob', 'Bob');
  const room = uniq('room-');
  await createRoom(a.page, room, { title: 'Project room', topic: 'Where the work happens' });
  await joinByUrl(b.page, room);

  // Presence: each sees the other online in the member list.
  const online = (page, name) => page.locator('.members .member.online', { hasText: name });
  await online(a.page, 'Bob').waitFor();
  await online(b.page, 'Alice').waitFor();

  // Typing.
  await composer(b.page).pressSequentially('Hi Ali', { delay: 20 });
  await a.page.getByText('Bob is typing…').waitFor();

  // Both ways.
  await composer(b.page).fill('');
  await send(b.page, 'Hi Alice, this is Bob');
  await message(a.page, 'Hi Alice, this is Bob').waitFor();
  await send(a.page, 'Hello Bob! **Welcome**');
  await message(b.page, 'Hello Bob! Welcome').waitFor();
  assert.equal(await b.page.locator('.msgs .msg strong', { hasText: 'Welcome' }).count(), 1);

  // Edit with the toolbar.
  const mine = message(a.page, 'Hello Bob!');
  await mine.hover();
  await mine.getByRole('button', { name: 'Edit' }).click();
  await composer(a.page).fill('Hello Bob! (fixed)');
  await composer(a.page).press('Enter');
  await message(b.page, 'Hello Bob! (fixed)').locator('.edited').waitFor();
  // The Up arrow edits what the author's own page holds: wait until it, too,
  // has the edit (its event may reach Alice's socket after Bob's).
  await message(a.page, 'Hello Bob! (fixed)').locator('.edited').waitFor();

  // Edit the last message with the Up arrow on an empty composer.
  await composer(a.page).press('ArrowUp');
  assert.equal(await composer(a.page).inputValue(), 'Hello Bob! (fixed)');
  await composer(a.page).fill('Hello Bob! (fixed twice)');
  await composer(a.page).press('Enter');
  await message(b.page, 'Hello Bob! (fixed twice)').waitFor();

  // React: Alice adds 👍 to Bob's message, Bob sees the chip.
  const bobsOnA = message(a.page, 'Hi Alice, this is Bob');
  await bobsOnA.hover();
  await bobsOnA.getByRole('button', { name: 'Add reaction' }).click();
  await a.page.getByRole('dialog', { name: 'Add a reaction' }).getByRole('button', { name: 'thumbs up' }).click();
  const chipOnB = message(b.page, 'Hi Alice, this is Bob').locator('.chip', { hasText: '👍' });
  await chipOnB.waitFor();
  assert.match(await chipOnB.textContent(), /1/);
  // Bob adds his own by clicking the chip: 2.
  await chipOnB.click();
  await until(async () => /2/.test(await message(a.page, 'Hi Alice, this is Bob').locator('.chip').textContent()), 'reaction count 2');

  // Reply: Bob replies to Alice's message; Alice sees the quote.
  const alicesOnB = message(b.page, 'fixed twice');
  await alicesOnB.hover();
  await alicesOnB.getByRole('button', { name: 'Reply' }).click();
  await send(b.page, 'Replying to you');
  const reply = message(a.page, 'Replying to you');
  await reply.locator('.reply-quote', { hasText: 'fixed twice' }).waitFor();

  // Delete (with confirmation): Bob deletes his first message; the tombstone clears reactions.
  const first = message(b.page, 'Hi Alice, this is Bob');
  await first.hover();
  await first.getByRole('button', { name: 'Delete' }).click();
  await b.page.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete' }).click();
  await a.page.locator('.msgs .msg .msg-text.deleted', { hasText: 'message deleted' }).waitFor();
  assert.equal(await a.page.locator('.msgs .msg', { hasText: 'message deleted' }).locator('.chip').count(), 0);
  assert.equal(await message(a.page, 'Hi Alice, this is Bob').count(), 0);

  // Mentions are highlighted, yours specially.
  await send(b.page, `ping @${alice} and @${bob}`);
  await message(a.page, 'ping @').locator('.mention-me', { hasText: `@${alice}` }).waitFor();

  // Every message shows once.
  const seen = await texts(a.page);
  assert.equal(seen.filter((t) => t.includes('Replying to you')).length, 1);
  assert.deepEqual(a.page.errors, []);
  assert.deepEqual(b.page.errors, []);
  await a.context.close();
  await b.context.close();
});

test('older history loads when scrolled to the top, without jumping', async () => {
  // 75 messages from several people (each user's send burst is 10).
  const owner = await register('hist');
  const room = uniq('hist-');
  const { api } = await import('../lib/api.mjs');
  let r = await api('POST', '/api/rooms', { token: owner.token, body: { name: room } });
  assert.equal(r.status, 201);
  const writers = [owner];
  for (let i = 0; i < 7; i++) {
    const w = await register('w');
    r = await api('POST', `/api/rooms/${room}/join`, { token: w.token });
    assert.equal(r.status, 200);
    writers.push(w);
  }
  let n = 0;
  for (const w of writers) {
    const c = await connect(room, { token: w.token });
    await c.next('ready');
    const count = Math.min(10, 75 - n);
    for (let i = 0; i < count; i++) { n++; c.send({ type: 'send', client_id: `seed-${n}`, text: `seed message ${String(n).padStart(3, '0')}` }); }
    for (let i = 0; i < count; i++) await c.next('ack');
    c.close();
  }
  assert.equal(n, 75);

  const { page, context } = await openPage(browser);
  await signUp(page, 'reader');
  await joinByUrl(page, room);
  await message(page, 'seed message 075').waitFor();
  assert.equal(await message(page, 'seed message 001').count(), 0, 'only the newest page at first');
  // Scroll to the top; the first page before it loads and the view stays put.
  const logBox = page.getByRole('log');
  const anchor = message(page, 'seed message 026');
  await anchor.waitFor();
  await logBox.evaluate((el) => { el.scrollTop = 0; });
  await message(page, 'seed message 001').waitFor();
  const box = await anchor.boundingBox();
  assert.ok(box && box.y > -50, `the message that was on top stays near the top after loading (y=${box && box.y})`);
  const all = (await texts(page)).filter((t) => t.startsWith('seed message'));
  assert.equal(all.length, 75);
  assert.deepEqual(all, [...all].sort(), 'in order');
  await page.getByText(/very beginning/).waitFor();
  // Scrolled up, a new message does not yank the view: a "New messages" button appears.
  const top = await logBox.evaluate((el) => el.scrollTop);
  const c = await connect(room, { token: writers[1].token });
  await c.next('ready');
  c.send({ type: 'send', client_id: 'fresh-1', text: 'fresh news from below' });
  await c.next('ack');
  c.close();
  const jump = page.getByRole('button', { name: 'New messages' });
  await jump.waitFor();
  assert.ok(Math.abs((await logBox.evaluate((el) => el.scrollTop)) - top) < 5, 'the view stayed where it was');
  await jump.click();
  await message(page, 'fresh news from below').waitFor();
  await until(async () => logBox.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 5), 'scrolled to the newest');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('unread counts update live in the sidebar and the page title', async () => {
  const a = await openPage(browser);
  const b = await openPage(browser);
  await signUp(a.page, 'una');
  await signUp(b.page, 'unb');
  const r1 = uniq('one-');
  const r2 = uniq('two-');
  await createRoom(a.page, r1);
  await createRoom(a.page, r2);
  await joinByUrl(b.page, r1);
  await joinByUrl(b.page, r2);
  // Alice looks at r1; Bob writes in r2 twice.
  await a.page.getByRole('link', { name: new RegExp(r1) }).click();
  await a.page.waitForURL(`**/rooms/${r1}`);
  await send(b.page, 'are you there?');
  await send(b.page, 'hello?');
  const link = a.page.getByRole('link', { name: new RegExp(`${r2}.*2 unread`) });
  await link.waitFor();
  await until(async () => (await a.page.title()) === '(2) Chat', 'title shows (2) Chat');
  // Opening the room clears it.
  await link.click();
  await message(a.page, 'hello?').waitFor();
  await until(async () => (await a.page.title()) === 'Chat', 'title back to Chat');
  // Reload: the count stays cleared (the read marker reached the server).
  await a.page.reload();
  await message(a.page, 'hello?').waitFor();
  await a.page.waitForTimeout(500);
  assert.equal(await a.page.title(), 'Chat');
  // Back and forward move between rooms.
  await a.page.goBack();
  await a.page.waitForURL(`**/rooms/${r1}`);
  await a.page.goForward();
  await a.page.waitForURL(`**/rooms/${r2}`);
  await message(a.page, 'hello?').waitFor();
  assert.deepEqual(a.page.errors, []);
  await a.context.close();
  await b.context.close();
});

export { BASE };

test('signing out in one tab signs the other tab out (socket close 4001), without a reconnect loop', async () => {
  const { page, context } = await openPage(browser);
  await signUp(page, 'tabs');
  const room = uniq('tabs-');
  await createRoom(page, room);
  const other = await context.newPage();
  other.errors = [];
  other.on('pageerror', (e) => other.errors.push(String(e)));
  const sockets = [];
  other.on('websocket', (ws) => sockets.push(ws.url()));
  await other.goto(`/rooms/${room}`);
  await composer(other).waitFor();
  // Stay signed in across a reload (the cookie).
  await other.reload();
  await composer(other).waitFor();
  const before = sockets.length;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#auth-username').waitFor();
  await other.getByText('You were signed out.').waitFor();
  await other.locator('#auth-username').waitFor();
  await other.waitForTimeout(3000);
  assert.equal(sockets.length, before, 'no reconnection attempts after being signed out');
  assert.deepEqual(other.errors, []);
  await context.close();
});
