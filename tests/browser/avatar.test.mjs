// Avatar upload through the file chooser: the page crops and resizes the image
// to 256x256 before uploading, and the other person sees the new avatar live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib.mjs';
import { openPage, signUp, createRoom, joinByUrl, send, message, until, uniq } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A 600x300 PNG (red left half, blue right half) made by the browser itself. */
async function makePng(page) {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 600; c.height = 300;
    const g = c.getContext('2d');
    g.fillStyle = '#e03131'; g.fillRect(0, 0, 300, 300);
    g.fillStyle = '#1971c2'; g.fillRect(300, 0, 300, 300);
    return c.toDataURL('image/png').split(',')[1];
  });
  return Buffer.from(b64, 'base64');
}

test('an avatar uploaded through the file chooser shows to the other person', async () => {
  const a = await openPage(browser);
  const b = await openPage(browser);
  const alice = await signUp(a.page, 'ava', 'Ava');
  await signUp(b.page, 'avb');
  const room = uniq('pics-');
  await createRoom(a.page, room);
  await joinByUrl(b.page, room);
  await send(a.page, 'look at my new picture');
  const avatarOnB = message(b.page, 'look at my new picture').locator('img.avatar');
  await avatarOnB.waitFor();
  const before = await avatarOnB.getAttribute('src');

  // Alice: profile -> edit -> choose image (file chooser) -> preview -> save.
  await a.page.locator('#me-button').click();
  await a.page.getByRole('dialog', { name: 'Your profile' }).getByRole('button', { name: 'Edit profile' }).click();
  const dlg = a.page.getByRole('dialog', { name: 'Edit your profile' });
  const png = await makePng(a.page);
  const [chooser] = await Promise.all([
    a.page.waitForEvent('filechooser'),
    dlg.getByText('Choose image…').click(),
  ]);
  await chooser.setFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
  const preview = dlg.getByRole('img', { name: 'Avatar preview' });
  await until(async () => (await preview.getAttribute('src'))?.startsWith('blob:'), 'preview shows the chosen image');
  const size = await preview.evaluate(async (img) => { await img.decode(); return [img.naturalWidth, img.naturalHeight]; });
  assert.deepEqual(size, [256, 256], 'cropped to a square and resized to 256 px');
  const upload = a.page.waitForRequest((r) => r.url().endsWith('/api/me/avatar') && r.method() === 'PUT');
  await dlg.getByRole('button', { name: 'Save' }).click();
  const req = await upload;
  assert.match(req.headers()['content-type'], /^image\/(webp|png)$/);
  await dlg.waitFor({ state: 'detached' });

  // Bob sees the new avatar without reloading.
  await until(async () => (await avatarOnB.getAttribute('src')) !== before, 'avatar URL changes on the other screen');
  const shown = await avatarOnB.evaluate(async (img) => { await img.decode(); return [img.naturalWidth, img.naturalHeight]; });
  assert.deepEqual(shown, [256, 256]);
  const src = await avatarOnB.getAttribute('src');
  const profile = await b.page.evaluate(async (u) => (await fetch(`/api/users/${u}`)).json(), alice);
  assert.equal(new URL(src, 'http://x').pathname + new URL(src, 'http://x').search,
    new URL(profile.avatar_url, 'http://x').pathname + new URL(profile.avatar_url, 'http://x').search);
  // The member list shows it too.
  const inList = b.page.locator(`.members img.avatar[data-user="${alice}"]`);
  assert.equal(await inList.getAttribute('src'), src);

  // Other profile changes show live as well: a new display name.
  await a.page.locator('#me-button').click();
  await a.page.getByRole('dialog', { name: 'Your profile' }).getByRole('button', { name: 'Edit profile' }).click();
  const edit = a.page.getByRole('dialog', { name: 'Edit your profile' });
  await edit.getByLabel('Display name').fill('Ava Renamed');
  await edit.getByLabel('Status').fill('On a break');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'detached' });
  await message(b.page, 'look at my new picture').locator('.author', { hasText: 'Ava Renamed' }).waitFor();
  await b.page.locator('.members .member-name', { hasText: 'Ava Renamed' }).waitFor();
  await b.page.locator('.members .member-btn', { hasText: 'Ava Renamed' }).click();
  const card = b.page.getByRole('dialog', { name: 'Profile' });
  await card.getByText('On a break').waitFor();
  await b.page.keyboard.press('Escape');
  assert.deepEqual(a.page.errors, []);
  assert.deepEqual(b.page.errors, []);
  await a.context.close();
  await b.context.close();
});
