// Keyboard-only use: sign up, open and close dialogs (focus is trapped inside,
// Escape closes, focus returns), create a room, send, move through messages
// with the arrow keys and react without touching the mouse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib.mjs';
import { openPage, uniq, PASSWORD, message } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return { id: el.id, label: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40), inDialog: !!el.closest('dialog'), tag: el.tagName };
});

async function tabTo(page, predicate, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (predicate(f)) return f;
  }
  throw new Error('could not reach the control with Tab');
}

test('keyboard only: sign up, dialogs trap and return focus, send, navigate and react', async () => {
  const { page, context } = await openPage(browser);
  await page.goto('/');
  await page.locator('#auth-username').waitFor();
  // Sign up.
  await tabTo(page, (f) => f.id === 'mode-signup');
  await page.keyboard.press('Enter');
  await page.locator('#auth-username').focus();
  await page.keyboard.type(uniq('kb'));
  await page.keyboard.press('Tab');
  await page.keyboard.type('Kay Board');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.locator('#app').waitFor({ state: 'visible' });

  // A dialog: opens with focus inside, Tab stays inside, Escape closes and focus returns.
  await tabTo(page, (f) => f.id === 'create-room');
  await page.keyboard.press('Enter');
  const dlg = page.getByRole('dialog', { name: 'Create a room' });
  await dlg.waitFor();
  assert.equal((await focused(page)).inDialog, true);
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).inDialog, true, 'focus stays in the dialog');
  }
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  assert.equal((await focused(page)).id, 'create-room', 'focus returns to the opener');

  // Create a room from the keyboard.
  await page.keyboard.press('Enter');
  await dlg.waitFor();
  const room = uniq('keys-');
  await page.keyboard.type(room);
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/rooms/${room}`);
  const box = page.getByRole('textbox', { name: `Message #${room}` });
  await box.waitFor();
  await box.focus();
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  await page.keyboard.press('Enter');
  await message(page, 'second line').waitFor();
  assert.equal(await message(page, 'first line').locator('.msg-text').innerText(), 'first line\nsecond line');
  await page.keyboard.type('another message');
  await page.keyboard.press('Enter');
  await message(page, 'another message').waitFor();

  // Into the log, up to a message, Tab to its reaction button, pick an emoji.
  await page.getByRole('log').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  const f = await focused(page);
  assert.equal(f.tag, 'DIV');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /first line/);
  await tabTo(page, (x) => x.label === 'Add reaction', 6);
  await page.keyboard.press('Enter');
  const picker = page.getByRole('dialog', { name: 'Add a reaction' });
  await picker.waitFor();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await picker.waitFor({ state: 'detached' });
  await message(page, 'first line').locator('.chip', { hasText: '❤️' }).waitFor();
  assert.equal((await focused(page)).label, 'Add reaction', 'focus returns to the reaction button');
  // Tab order skips the controls of other messages: from the log, Tab reaches the composer quickly.
  await page.getByRole('log').focus();
  await tabTo(page, (x) => x.label === `Message #${room}`, 4);
  assert.deepEqual(page.errors, []);
  await context.close();
});
