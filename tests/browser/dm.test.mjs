// Direct messages in the web page, two people in two browser contexts: start
// a DM from the New message dialog, the other person sees it appear and
// replies, unread badges on the DM entry, close and reopen, block (a DM
// refuses with a sentence, shared-room messages collapse behind "Show"),
// unblock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib.mjs';
import { openPage, signUp, createRoom, joinByUrl, composer, send, message, until, uniq } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const dmEntry = (page, name) => page.locator('#dm-list .room-link', { hasText: name });

async function newMessage(page, username) {
  await page.getByRole('button', { name: 'New message' }).click();
  const dlg = page.getByRole('dialog', { name: 'New message' });
  await dlg.getByLabel('To').fill(username);
  await dlg.getByRole('button', { name: 'Message', exact: true }).click();
  return dlg;
}

test('two people DM each other, with unread badges, close and reopen', async () => {
  const a = await openPage(browser);
  const b = await openPage(browser);
  await signUp(a.page, 'dma', 'Alice');
  const bob = await signUp(b.page, 'dmb', 'Bob');
  // Bob sits in a room of his own, so his page has a socket to be told on.
  await createRoom(b.page, uniq('bobs-'));

  // The dialog's sentences for nobody and for oneself.
  const dlg = await newMessage(a.page, 'nobody_at_all');
  await dlg.getByText('There is no one with the username nobody_at_all.').waitFor();
  const me = await a.page.locator('#me-status').textContent();
  await dlg.getByLabel('To').fill(me.replace(/^@/, ''));
  await dlg.getByRole('button', { name: 'Message', exact: true }).click();
  await dlg.getByText('That is you. Pick someone else to message.').waitFor();
  await dlg.getByLabel('To').fill(bob.toUpperCase());
  await dlg.getByRole('button', { name: 'Message', exact: true }).click();
  await a.page.waitForURL(/\/rooms\/dm-[0-9a-f]+$/);
  const dmPath = new URL(a.page.url()).pathname;
  await a.page.getByRole('heading', { name: 'Bob' }).waitFor();
  await dmEntry(a.page, 'Bob').waitFor();
  assert.equal(await a.page.getByRole('button', { name: 'Room settings' }).count(), 0);
  await send(a.page, 'Hi Bob, a direct message');

  // Bob's list gains the DM at once, with an unread badge.
  const entry = dmEntry(b.page, 'Alice');
  await entry.waitFor({ timeout: 10_000 });
  await entry.locator('.badge', { hasText: '1' }).waitFor();
  await entry.click();
  await message(b.page, 'Hi Bob, a direct message').waitFor();
  await until(async () => (await entry.locator('.badge').count()) === 0, 'the badge clears once read');
  await send(b.page, 'Hi Alice!');
  await message(a.page, 'Hi Alice!').waitFor();
  // Presence: Alice sees Bob online in the DM's header.
  await a.page.locator('.room-head .presence.on').waitFor();

  // Bob closes the conversation: it leaves his list, and comes back when Alice writes.
  await b.page.getByRole('button', { name: 'Close this conversation' }).click();
  await b.page.waitForURL((u) => !u.pathname.startsWith('/rooms/dm-'));
  await until(async () => (await dmEntry(b.page, 'Alice').count()) === 0, 'closed DM leaves the list');
  await send(a.page, 'Are you still there?');
  await dmEntry(b.page, 'Alice').locator('.badge', { hasText: '1' }).waitFor({ timeout: 10_000 });
  await b.page.goto(dmPath);
  await message(b.page, 'Are you still there?').waitFor();
  assert.deepEqual(a.page.errors, []);
  assert.deepEqual(b.page.errors, []);
  await a.context.close();
  await b.context.close();
});

test('block from the profile card: DMs refuse, shared-room messages collapse, unblock', async () => {
  const a = await openPage(browser);
  const b = await openPage(browser);
  await signUp(a.page, 'bla', 'Alice');
  const bob = await signUp(b.page, 'blb', 'Bob');
  const room = uniq('shared-');
  await createRoom(a.page, room);
  await joinByUrl(b.page, room);
  await send(b.page, 'Bob says hello in the room');
  await message(a.page, 'Bob says hello in the room').waitFor();

  // Alice opens Bob's profile from his name and blocks him (with a confirmation).
  await message(a.page, 'Bob says hello in the room').locator('.author').click();
  const card = a.page.getByRole('dialog', { name: 'Profile' });
  await card.getByRole('button', { name: 'Block' }).click();
  const confirm = a.page.getByRole('dialog', { name: 'Block Bob?' });
  await confirm.getByRole('button', { name: 'Block' }).click();
  await a.page.getByText('You blocked Bob.').waitFor();

  // His message collapses; "Show" reveals it.
  const collapsed = a.page.locator('.msgs .msg .blocked-msg');
  await collapsed.first().waitFor();
  assert.equal(await message(a.page, 'Bob says hello in the room').count(), 0);
  await collapsed.first().getByRole('button', { name: 'Show' }).click();
  await message(a.page, 'Bob says hello in the room').waitFor();

  // Bob cannot start a DM with Alice: the dialog says so.
  const dlg = await newMessage(b.page, (await a.page.locator('#me-status').textContent()).replace(/^@/, ''));
  await dlg.getByText("You can't message Alice.").waitFor();
  await b.page.keyboard.press('Escape');

  // Alice unblocks from the card, then a DM works both ways.
  await message(a.page, 'Bob says hello in the room').locator('.author').click();
  await a.page.getByRole('dialog', { name: 'Profile' }).getByRole('button', { name: 'Unblock' }).click();
  await a.page.getByRole('dialog', { name: 'Unblock Bob?' }).getByRole('button', { name: 'Unblock' }).click();
  await a.page.getByText('You unblocked Bob.').waitFor();
  await newMessage(a.page, bob);
  await a.page.waitForURL(/\/rooms\/dm-/);
  await send(a.page, 'Friends again');
  await dmEntry(b.page, 'Alice').waitFor({ timeout: 10_000 });

  // Blocked again while the DM is open: the composer says why, and a send is refused in words.
  await a.page.getByRole('button', { name: 'Profile of Bob' }).click();
  await a.page.getByRole('dialog', { name: 'Profile' }).getByRole('button', { name: 'Block' }).click();
  await a.page.getByRole('dialog', { name: 'Block Bob?' }).getByRole('button', { name: 'Block' }).click();
  await a.page.getByText('You blocked Bob. Unblock them to send messages.').waitFor();
  await dmEntry(b.page, 'Alice').click();
  await send(b.page, 'Can you read this?');
  await b.page.getByText("You can't send messages to Alice.").waitFor();
  await b.page.locator('.msg.pending.failed').waitFor();
  assert.equal(await message(a.page, 'Can you read this?').count(), 0);
  assert.deepEqual(a.page.errors, []);
  assert.deepEqual(b.page.errors, []);
  await a.context.close();
  await b.context.close();
});
