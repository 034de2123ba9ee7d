// Hostile text stays text: markup in messages, names and topics is shown
// verbatim and runs nothing; the client never parses user data as HTML.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './lib.mjs';
import { ROOT } from '../lib/server.mjs';
import { openPage, signUp, createRoom, joinByUrl, send, message, uniq } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a message with <img onerror> and <script> shows as text and runs nothing', async () => {
  const a = await openPage(browser);
  const b = await openPage(browser);
  await signUp(a.page, 'xa', '<b>Mallory</b>');
  await signUp(b.page, 'xb');
  const room = uniq('xss-');
  await createRoom(a.page, room, { topic: '<img src=x onerror="window.__pwned=1">' });
  await joinByUrl(b.page, room);
  const payloads = [
    '<img src=x onerror="window.__pwned=1">',
    '<script>window.__pwned=2</script>',
    '**<svg onload="window.__pwned=3">** _<iframe src="javascript:window.__pwned=4">_ `<b>code</b>`',
    '[click](javascript:window.__pwned=5) javascript:window.__pwned=6 http://example.com/"><img src=x onerror=window.__pwned=7>',
  ];
  for (const p of payloads) await send(a.page, p);
  for (const page of [a.page, b.page]) {
    await message(page, '<img src=x onerror="window.__pwned=1">').waitFor();
    await message(page, '<script>window.__pwned=2</script>').waitFor();
    await message(page, 'window.__pwned=7').waitFor();
    await page.waitForTimeout(300);
    const inLog = await page.evaluate(() => {
      const log = document.querySelector('[role=log]');
      return {
        pwned: window.__pwned ?? null,
        elements: log.querySelectorAll('.msg-text img, .msg-text script, .msg-text svg, .msg-text iframe, .msg-text b').length,
        jsLinks: [...log.querySelectorAll('a')].filter((a) => !/^https?:/.test(a.href)).length,
        links: [...log.querySelectorAll('.msg-text a')].map((a) => [a.href, a.rel, a.target]),
      };
    });
    assert.equal(inLog.pwned, null, 'no script ran');
    assert.equal(inLog.elements, 0, 'no markup from user text became elements');
    assert.equal(inLog.jsLinks, 0, 'no javascript: links');
    for (const [href, rel, target] of inLog.links) {
      assert.match(href, /^http:\/\/example\.com\//);
      assert.equal(rel, 'noopener noreferrer');
      assert.equal(target, '_blank');
    }
  }
  // The display name with markup shows as text too.
  await b.page.locator('.msgs .author', { hasText: '<b>Mallory</b>' }).first().waitFor();
  assert.deepEqual(a.page.errors, []);
  assert.deepEqual(b.page.errors, []);
  await a.context.close();
  await b.context.close();
});

test('no client code parses HTML (innerHTML, outerHTML, insertAdjacentHTML, document.write)', () => {
  const dir = join(ROOT, 'public');
  const offenders = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.js'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    for (const bad of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'DOMParser', 'createContextualFragment', 'eval(', 'new Function']) {
      if (src.includes(bad)) offenders.push(`${f}: ${bad}`);
    }
  }
  assert.deepEqual(offenders, []);
});
