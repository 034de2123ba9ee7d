// The page loads in a real browser under the production CSP without errors.
// The one expected failure is GET /api/me answering 401 for a signed-out
// visitor (that is how the page learns it must show the sign-in screen).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE } from './lib.mjs';

test('the app shell loads in Chromium with no console or CSP errors', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    const unauthorized = [];
    page.on('response', (r) => { if (r.status() === 401) unauthorized.push(new URL(r.url()).pathname); });
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    const resp = await page.goto(`${BASE}/`);
    assert.equal(resp.status(), 200);
    await page.waitForLoadState('networkidle');
    assert.ok((await page.title()).length > 0);
    assert.deepEqual(unauthorized.filter((p) => p !== '/api/me'), []);
    const expected = unauthorized.length ? /status of 401/ : null;
    assert.deepEqual(errors.filter((e) => !(expected && expected.test(e))), []);
    await page.getByRole('button', { name: 'Sign in', exact: true }).last().waitFor();
  } finally {
    await browser.close();
  }
});
