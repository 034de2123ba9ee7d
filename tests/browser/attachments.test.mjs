// Files and images in messages, through the real page: choose an image and a
// PDF, watch them upload (progress rows with cancel buttons), and the other
// person sees the image inline with its space reserved before it loads (the
// lightbox opens it; Escape closes it and focus comes back) and the PDF as a
// chip with its name, size and a download link; deleting the message takes
// both away. Also: files refused before uploading (too large, too many), a
// refusal from the server that does not hold up the rest, the upload rate
// limit's wait, and uploads that wait offline and survive a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './lib.mjs';
import { ROOT } from '../lib/server.mjs';
import { register, createRoom as apiCreateRoom, connectReady, sendMessage } from '../lib/api.mjs';
import { openPage, signUp, createRoom, joinByUrl, composer, send, message, until, uniq } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PNG = join(ROOT, 'tests', 'fixtures', 'images', 'png.png');
const PNG_SIZE = [readFileSync(PNG).readUInt32BE(16), readFileSync(PNG).readUInt32BE(20)];
const PNG_FILE = { name: 'png.png', mimeType: 'image/png', buffer: readFileSync(PNG) };

/** A small valid one-page PDF. */
function pdf(text = 'Hello') {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>',
    `<< /Length ${`BT /F1 12 Tf 20 50 Td (${text}) Tj ET`.length} >>\nstream\nBT /F1 12 Tf 20 50 Td (${text}) Tj ET\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => { offsets.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const fileInput = (page) => page.locator('.composer input[type=file]');
const isUpload = (url) => /\/api\/rooms\/[^/]+\/attachments\?name=/.test(url);

/** Two people in a fresh room. */
async function pair(prefix) {
  const a = await openPage(browser);
  const b = await openPage(browser);
  await signUp(a.page, `${prefix}a`);
  await signUp(b.page, `${prefix}b`);
  const room = uniq(`${prefix}-`);
  await createRoom(a.page, room);
  await joinByUrl(b.page, room);
  return { a, b, room };
}

test('an image and a PDF upload with progress, show for the other person, open in the lightbox and go with the message', async () => {
  const { a, b } = await pair('att');
  const report = pdf('Quarterly report');

  // Hold A's uploads until the progress rows have been seen.
  let release;
  const gate = new Promise((r) => { release = r; });
  const uploads = [];
  await a.page.route(isUpload, async (route) => {
    uploads.push(new URL(route.request().url()).searchParams.get('name'));
    await gate;
    await route.continue();
  });
  await fileInput(a.page).setInputFiles([PNG_FILE, { name: 'report.pdf', mimeType: 'application/pdf', buffer: report }]);
  const tray = a.page.getByRole('list', { name: 'Files to send' });
  await tray.getByText('png.png').waitFor();
  await tray.getByText('report.pdf').waitFor();
  await send(a.page, 'Here are the files');
  assert.equal(await tray.isVisible(), false, 'the tray empties once the message is sent');

  // The pending message shows a progress bar and a cancel button per file.
  const pending = a.page.locator('.pending-list .msg', { hasText: 'Here are the files' });
  await pending.locator('.upload progress').nth(1).waitFor();
  assert.equal(await pending.locator('.upload').count(), 2);
  await pending.getByRole('button', { name: 'Cancel upload of png.png' }).waitFor();
  await pending.getByRole('button', { name: 'Cancel upload of report.pdf' }).waitFor();
  await pending.getByText('Uploading 2 files…').waitFor();
  await until(() => uploads.length === 2, 'both uploads started');
  assert.deepEqual(uploads.sort(), ['png.png', 'report.pdf']);
  assert.equal(await message(b.page, 'Here are the files').count(), 0, 'nothing is sent before the uploads are done');

  // B's image download is held too: its box must be there before the bytes are.
  let releaseImage;
  const imageGate = new Promise((r) => { releaseImage = r; });
  await b.page.route(/\/attachments\/[^/?]+$/, async (route) => { await imageGate; await route.continue(); });
  release();

  const onB = message(b.page, 'Here are the files');
  await onB.waitFor();
  const img = onB.locator('.att-image img');
  await img.waitFor();
  assert.equal(await img.getAttribute('alt'), 'png.png');
  const box = await img.evaluate((el) => ({ complete: el.complete && el.naturalWidth > 0, w: el.getBoundingClientRect().width, h: el.getBoundingClientRect().height }));
  assert.equal(box.complete, false, 'the image has not loaded yet');
  assert.equal(Math.round(box.w), PNG_SIZE[0], 'its width is reserved');
  assert.equal(Math.round(box.h), PNG_SIZE[1], 'its height is reserved');
  releaseImage();
  await until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the image loads');

  // The PDF is a chip: icon, name, size, download link.
  const chip = onB.locator('a.att-file');
  assert.equal(await chip.count(), 1);
  assert.match(await chip.textContent(), /report\.pdf/);
  assert.match(await chip.locator('.att-size').textContent(), new RegExp(`PDF · ${report.length} bytes`));
  assert.equal(await chip.getAttribute('download'), 'report.pdf');
  const href = await chip.getAttribute('href');
  assert.match(href, /^\/api\/rooms\/[^/]+\/attachments\/[^/]+$/);
  const dl = await b.page.request.get(href);
  assert.equal(dl.status(), 200);
  assert.match(dl.headers()['content-disposition'] || '', /^attachment/);
  assert.equal((await dl.body()).length, report.length);

  // The lightbox: opens on click, shows the image named by its file, Escape closes, focus returns.
  const thumb = onB.getByRole('button', { name: 'Open png.png full size' });
  await thumb.click();
  const box2 = b.page.getByRole('dialog', { name: 'png.png' });
  await box2.waitFor();
  assert.equal(await box2.locator('img.lightbox-img').getAttribute('alt'), 'png.png');
  await box2.getByRole('link', { name: 'Download' }).waitFor();
  await b.page.keyboard.press('Escape');
  await box2.waitFor({ state: 'detached' });
  assert.equal(await thumb.evaluate((el) => el === document.activeElement), true, 'focus is back on the thumbnail');

  // The lightbox from the keyboard: Enter on the focused thumbnail.
  await thumb.focus();
  await b.page.keyboard.press('Enter');
  await box2.waitFor();
  await b.page.keyboard.press('Escape');
  await box2.waitFor({ state: 'detached' });

  // A sees its own message with both files, and nothing pending.
  const onA = message(a.page, 'Here are the files');
  await onA.locator('.att-image img').waitFor();
  await onA.locator('a.att-file').waitFor();
  await until(async () => (await a.page.locator('.pending-list .msg').count()) === 0, 'nothing pending');

  // Deleting the message removes both files, for the other person too, and their URLs go.
  await onA.hover();
  await onA.getByRole('button', { name: 'Delete' }).click();
  await a.page.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete' }).click();
  const tomb = b.page.locator('.msgs .msg.is-deleted');
  await tomb.waitFor();
  await until(async () => (await b.page.locator('.msgs .att-image, .msgs .att-file').count()) === 0, 'attachments gone for B');
  assert.equal(await a.page.locator('.msgs .att-image, .msgs .att-file').count(), 0, 'and for A');
  assert.equal((await b.page.request.get(href)).status(), 404, 'the file is deleted');
  // After a reload (history of a tombstone), still nothing.
  await b.page.reload();
  await b.page.locator('.msgs .msg.is-deleted').waitFor();
  assert.equal(await b.page.locator('.msgs .att-image, .msgs .att-file').count(), 0);

  assert.deepEqual(a.page.errors, []);
  assert.deepEqual(b.page.errors, []);
  await a.context.close();
  await b.context.close();
});

test('files the server would refuse are turned away before uploading, with a sentence', async () => {
  const a = await openPage(browser);
  await signUp(a.page, 'big');
  await createRoom(a.page, uniq('big-'));
  const uploads = [];
  a.page.on('request', (r) => { if (isUpload(r.url())) uploads.push(r.url()); });
  const error = a.page.locator('.composer-error');

  await fileInput(a.page).setInputFiles({ name: 'x.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 1) });
  await error.getByText('x.pdf is larger than 10 MiB.').waitFor();
  assert.equal(await a.page.locator('.attach-tray .tray-item').count(), 0, 'it is not attached');

  await fileInput(a.page).setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
  await error.getByText('empty.txt is empty.').waitFor();

  const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `n${i}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`note ${i}`) }));
  await fileInput(a.page).setInputFiles(eleven);
  await error.getByText('You can attach at most 10 files per message.').waitFor();
  assert.equal(await a.page.locator('.attach-tray .tray-item').count(), 10);
  assert.doesNotMatch(await error.textContent(), /too_large|rate_limited|\{/, 'sentences, never codes');

  // Removing one from the tray makes room again.
  await a.page.getByRole('button', { name: 'Remove n0.txt' }).click();
  assert.equal(await a.page.locator('.attach-tray .tray-item').count(), 9);
  assert.equal(uploads.length, 0, 'nothing was uploaded');
  assert.deepEqual(a.page.errors, []);
  await a.context.close();
});

test('a refused upload says why without holding up the rest; the rate limit is waited out', async () => {
  const { a, b } = await pair('ref');
  let limited = 0;
  await a.page.route(isUpload, async (route) => {
    const name = new URL(route.request().url()).searchParams.get('name');
    if (name === 'secret.txt') {
      await route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ error: { code: 'forbidden', message: 'no' } }) });
    } else if (name === 'later.txt' && limited++ === 0) {
      await route.fulfill({ status: 429, headers: { 'Retry-After': '2' }, contentType: 'application/json', body: JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }) });
    } else {
      await route.continue();
    }
  });
  await fileInput(a.page).setInputFiles([
    { name: 'secret.txt', mimeType: 'text/plain', buffer: Buffer.from('hidden') },
    { name: 'later.txt', mimeType: 'text/plain', buffer: Buffer.from('patience') },
  ]);
  await send(a.page, 'two files, one refused');
  const pending = a.page.locator('.pending-list .msg', { hasText: 'two files, one refused' });
  await pending.getByText('You are not allowed to share files in this room, so secret.txt was not uploaded.').waitFor();
  await pending.getByText('Too many uploads at once: trying again in 2 seconds.').waitFor();
  await a.page.locator('.toast', { hasText: 'secret.txt was not uploaded' }).waitFor();

  const onB = message(b.page, 'two files, one refused');
  await onB.waitFor({ timeout: 20_000 });
  await onB.locator('a.att-file', { hasText: 'later.txt' }).waitFor();
  assert.equal(await onB.locator('a.att-file').count(), 1, 'only the accepted file went');
  assert.equal(limited, 2, 'the rate-limited file was tried again');

  // Files only, no text: the message goes with an empty text.
  await fileInput(a.page).setInputFiles({ name: 'alone.txt', mimeType: 'text/plain', buffer: Buffer.from('just me') });
  await composer(a.page).press('Enter');
  await b.page.locator('.msgs .msg a.att-file', { hasText: 'alone.txt' }).waitFor();

  // A file cancelled while uploading does not go; its message does.
  let releaseSlow;
  const slowGate = new Promise((r) => { releaseSlow = r; });
  await a.page.unroute(isUpload);
  await a.page.route(isUpload, async (route) => { await slowGate; await route.continue().catch(() => {}); });
  await fileInput(a.page).setInputFiles({ name: 'slow.txt', mimeType: 'text/plain', buffer: Buffer.from('slowly') });
  await send(a.page, 'cancel that file');
  await a.page.getByRole('button', { name: 'Cancel upload of slow.txt' }).click();
  await message(b.page, 'cancel that file').waitFor();
  releaseSlow();
  assert.equal(await message(b.page, 'cancel that file').locator('.att-file, .att-image').count(), 0);

  assert.deepEqual(a.page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  assert.deepEqual(b.page.errors, []);
  await a.context.close();
  await b.context.close();
});

test('offline, a message and its files wait, survive a reload, and go out when the network returns', async () => {
  const { a, b } = await pair('off');
  let blocked = true;
  await a.context.route(isUpload, (route) => (blocked ? route.abort('internetdisconnected') : route.continue()));
  await a.context.routeWebSocket(/\/socket/, (ws) => {
    if (blocked) { ws.close({ code: 1011, reason: 'test: network down' }); return; }
    ws.connectToServer();
  });
  await a.page.reload();
  await a.page.getByText(/Reconnecting…|Connecting…/).first().waitFor();

  await fileInput(a.page).setInputFiles([PNG_FILE, { name: 'notes.pdf', mimeType: 'application/pdf', buffer: pdf('notes') }]);
  await send(a.page, 'written offline with files');
  const pending = a.page.locator('.pending-list .msg', { hasText: 'written offline with files' });
  await pending.getByText('Waiting for the connection…').first().waitFor();

  // The files are kept across a reload (IndexedDB), with their message.
  await a.page.reload();
  await pending.locator('.upload', { hasText: 'notes.pdf' }).waitFor();
  await pending.locator('.upload', { hasText: 'png.png' }).waitFor();
  await pending.getByText('Waiting for the connection…').first().waitFor();

  blocked = false;
  const onB = message(b.page, 'written offline with files');
  await onB.waitFor({ timeout: 60_000 });
  await onB.locator('.att-image img[alt="png.png"]').waitFor();
  await onB.locator('a.att-file', { hasText: 'notes.pdf' }).waitFor();
  await until(async () => (await a.page.locator('.pending-list .msg').count()) === 0, 'nothing pending');
  const left = await a.page.evaluate(() => new Promise((resolve) => {
    const req = indexedDB.open('chat-files');
    req.onsuccess = () => {
      const tx = req.result.transaction('files', 'readonly');
      const c = tx.objectStore('files').count();
      c.onsuccess = () => resolve(c.result);
    };
    req.onerror = () => resolve(-1);
  }));
  assert.equal(left, 0, 'uploaded files are no longer kept on the device');
  assert.equal(await message(b.page, 'written offline with files').count(), 1, 'sent once');
  assert.deepEqual(b.page.errors, []);
  await a.context.close();
  await b.context.close();
});

const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
async function axe(page, what) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} :: ${n.failureSummary}`) }));
  });
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 2)}`);
}

test('files in messages, the tray, upload rows and the lightbox are axe clean in light and dark, on a phone too', async () => {
  // A room with an image and a PDF, sent through the API.
  const owner = await register('axo');
  const room = await apiCreateRoom(owner);
  const up = async (name, type, body) => {
    const r = await fetch(`${process.env.BASE_URL}/api/rooms/${room}/attachments?name=${encodeURIComponent(name)}`, {
      method: 'POST', headers: { Authorization: `Bearer ${owner.token}`, 'Content-Type': type }, body,
    });
    assert.equal(r.status, 201);
    return (await r.json()).id;
  };
  const ids = [await up('png.png', 'image/png', PNG_FILE.buffer), await up('spec.pdf', 'application/pdf', pdf())];
  const { client } = await connectReady(room, { token: owner.token });
  await sendMessage(client, 'the files', { attachments: ids });
  client.close();

  for (const [colorScheme, viewport] of [['light', { width: 1280, height: 800 }], ['dark', { width: 390, height: 844 }]]) {
    const a = await openPage(browser, { colorScheme, viewport, bypassCSP: true });
    await signUp(a.page, 'axe');
    await joinByUrl(a.page, room);
    await message(a.page, 'the files').locator('a.att-file').waitFor();
    await a.page.route(isUpload, () => { /* held: the rows stay in progress */ });
    await fileInput(a.page).setInputFiles([PNG_FILE, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes') }]);
    await a.page.locator('.attach-tray .tray-item').nth(1).waitFor();
    await axe(a.page, `tray ${colorScheme}`);
    await send(a.page, 'uploading now');
    await a.page.locator('.pending-list .upload').nth(1).waitFor();
    await axe(a.page, `log with files and uploads ${colorScheme}`);
    await message(a.page, 'the files').getByRole('button', { name: 'Open png.png full size' }).click();
    await a.page.getByRole('dialog', { name: 'png.png' }).waitFor();
    await axe(a.page, `lightbox ${colorScheme}`);
    await a.page.keyboard.press('Escape');
    assert.deepEqual(a.page.errors, []);
    await a.context.close();
  }
});
