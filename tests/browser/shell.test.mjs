// The page loads in a real browser under the production CSP without errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE } from './lib.mjs';

test('the app shell loads in Chromium with no console or CSP errors', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    const resp = await page.goto(`${BASE}/`);
    assert.equal(resp.status(), 200);
    await page.waitForLoadState('networkidle');
    assert.ok((await page.title()).length > 0);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
