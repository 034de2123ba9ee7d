// Helpers for the browser suites: drive the real page the way a person would
// (sign up, create or join a room, send, find a message) through accessible
// names where possible, so the tests also check the page is labelled.
import { randomBytes } from 'node:crypto';
import { BASE as DEFAULT_BASE } from './lib.mjs';

export const PASSWORD = 'correct horse battery';

export function uniq(prefix) {
  return `${prefix}${randomBytes(4).toString('hex')}`.slice(0, 24);
}

/** A new context + page; collects page errors and console errors in `errors`. */
export async function openPage(browser, { base = DEFAULT_BASE, viewport = { width: 1280, height: 800 }, colorScheme = 'light', bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, baseURL: base, bypassCSP });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    // A refused request (401, 403, 404…) is an expected answer the page handles, not a bug.
    if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text())) page.errors.push(m.text());
  });
  page.on('dialog', (d) => { page.errors.push(`unexpected JS dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
  return { context, page };
}

/** Signs up through the form; resolves with the username. */
export async function signUp(page, prefix = 'u', displayName) {
  const username = uniq(prefix);
  await page.goto('/');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('Username').fill(username);
  if (displayName) await page.getByLabel(/Display name/).fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('#auth-submit').click();
  await page.locator('#app').waitFor({ state: 'visible' });
  return username;
}

/** Creates a room through the dialog and waits for its view. */
export async function createRoom(page, name, { title, topic, visibility } = {}) {
  await openSidebar(page);
  await page.locator('#create-room').click();
  const dlg = page.getByRole('dialog', { name: 'Create a room' });
  await dlg.getByLabel('Name', { exact: true }).fill(name);
  if (title) await dlg.getByLabel('Title (optional)').fill(title);
  if (topic) await dlg.getByLabel('Topic (optional)').fill(topic);
  if (visibility === 'private') await dlg.getByLabel(/Private/).check();
  await dlg.getByRole('button', { name: 'Create room' }).click();
  await composer(page).waitFor();
  await page.waitForURL(`**/rooms/${name}`);
}

/** Opens a room by its address and joins it if needed. */
export async function joinByUrl(page, name) {
  await page.goto(`/rooms/${name}`);
  const join = page.getByRole('button', { name: `Join #${name}` });
  await Promise.race([join.waitFor(), composer(page).waitFor()]);
  if (await join.isVisible()) await join.click();
  await composer(page).waitFor();
}

export const composer = (page) => page.getByRole('textbox', { name: /^Message/ });
export const log = (page) => page.getByRole('log');

/** Types and sends with Enter. */
export async function send(page, text) {
  const box = composer(page);
  await box.fill(text);
  await box.press('Enter');
}

/** The stored (not pending) message whose text contains `text`. */
export function message(page, text) {
  return page.locator('.msgs .msg', { has: page.locator('.msg-text', { hasText: text }) });
}

/** Opens the drawer on phone layouts (no-op on desktop). */
export async function openSidebar(page) {
  // Below 768 px the room list is a drawer. Right after signing in the main
  // view (and its drawer button) may not be drawn yet, so wait for it there.
  if ((page.viewportSize()?.width ?? 1280) >= 768) return;
  if (await page.locator('#create-room').isVisible().catch(() => false)) return;
  const btn = page.locator('#open-drawer:visible').first();
  await btn.waitFor({ state: 'visible' });
  await btn.click();
}

/** The texts of all stored messages, in order. */
export function texts(page) {
  return page.locator('.msgs .msg .msg-text').allTextContents();
}

/** Waits until `fn()` returns a truthy value (polling), or throws with `what`. */
export async function until(fn, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
