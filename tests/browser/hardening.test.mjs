// Issue #12 (hardening), the web client's side: unsent messages do not outlive
// the session that wrote them, however it ends (item 16; signing out here is in
// offline.test.mjs), and the forms refuse invisible formatting characters with
// the server's sentence before sending (item 14).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE } from './lib.mjs';
import { openPage, signUp, createRoom, send, until, uniq, PASSWORD } from './ui.mjs';
import { api } from '../lib/api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const outboxKeys = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('chat.outbox')));

test('a session ended elsewhere also forgets the unsent messages', async () => {
  const a = await openPage(browser, { base: BASE });
  await signUp(a.page, 'se');
  const room = uniq('ended-');
  await createRoom(a.page, room);
  // The network drops the room sockets; a message waits in the outbox.
  await a.context.routeWebSocket(/\/socket/, (ws) => { ws.close({ code: 1011, reason: 'test: network down' }); });
  await a.page.reload();
  await a.page.getByText(/Reconnecting…|Connecting…/).first().waitFor();
  await send(a.page, 'private draft left behind');
  await a.page.locator('.pending-list .msg', { hasText: 'private draft left behind' }).waitFor();
  assert.equal((await outboxKeys(a.page)).length, 1, 'the unsent message is saved');

  // The same session is logged out from another tab or device.
  const token = (await a.context.cookies()).find((c) => c.name === 'chat_session')?.value;
  assert.equal((await api('POST', '/api/auth/logout', { token })).status, 204);
  // The page finds out at its next reconnect attempt and shows the sign-in screen.
  await a.page.locator('#auth').waitFor({ state: 'visible', timeout: 30_000 });
  assert.deepEqual(await outboxKeys(a.page), [], 'nothing of the session is left in localStorage');
  assert.deepEqual(a.page.errors, []);
  await a.context.close();
});

test('the forms refuse invisible formatting characters before sending, with a sentence', async () => {
  const a = await openPage(browser, { base: BASE });
  const writes = [];
  a.page.on('request', (r) => { if (r.method() !== 'GET' && r.url().includes('/api/')) writes.push(`${r.method()} ${new URL(r.url()).pathname}`); });
  const invisible = /cannot contain invisible formatting characters/;

  // Sign-up: a display name with a right-to-left override.
  await a.page.goto('/');
  await a.page.getByRole('button', { name: 'Create account' }).click();
  await a.page.getByLabel('Username').fill(uniq('inv'));
  await a.page.getByLabel(/Display name/).fill('Ann\u202Egpj.exe');
  await a.page.getByLabel('Password').fill(PASSWORD);
  await a.page.locator('#auth-submit').click();
  await until(async () => invisible.test(await a.page.locator('#auth-error').textContent()), 'the sign-up form explains');
  assert.match(await a.page.locator('#auth-error').textContent(), /^A display name/);
  assert.equal(await a.page.getByLabel(/Display name/).getAttribute('aria-invalid'), 'true');
  assert.deepEqual(writes, [], 'nothing was sent');

  // A ZWJ emoji is fine.
  await a.page.getByLabel(/Display name/).fill('Ann 👩‍💻');
  await a.page.locator('#auth-submit').click();
  await a.page.locator('#app').waitFor({ state: 'visible' });
  writes.length = 0;

  // Creating a room whose title is only a zero-width space.
  await a.page.locator('#create-room').click();
  const create = a.page.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Name', { exact: true }).fill(uniq('inv-'));
  await create.getByLabel('Title (optional)').fill('\u200B');
  await create.getByRole('button', { name: 'Create room' }).click();
  await create.getByText(invisible).waitFor();
  assert.match(await create.getByRole('alert').textContent(), /^A title/);
  await create.getByLabel('Title (optional)').fill('Fine');
  await create.getByLabel('Topic (optional)').fill('a\u2066b');
  await create.getByRole('button', { name: 'Create room' }).click();
  await create.getByText(/^A topic cannot contain invisible/).waitFor();
  assert.deepEqual(writes, [], 'nothing was sent');
  await create.getByRole('button', { name: 'Cancel' }).click();

  // The profile: a status with a zero-width no-break space inside.
  await a.page.locator('#me-button').click();
  await a.page.getByRole('dialog', { name: 'Your profile' }).getByRole('button', { name: 'Edit profile' }).click();
  const edit = a.page.getByRole('dialog', { name: 'Edit your profile' });
  await edit.getByLabel('Status').fill('out\uFEFFside');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.getByText(/^A status cannot contain invisible/).waitFor();
  assert.deepEqual(writes, [], 'nothing was sent');
  assert.deepEqual(a.page.errors, []);
  await a.context.close();
});
