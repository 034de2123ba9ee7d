// Accessibility and looks: axe-core finds no serious or critical violations on
// the sign-in screen and the room view in light and dark themes, and
// screenshots at 1280x800 and 390x844 (light and dark) land in tests/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, ARTIFACTS } from './lib.mjs';
import { ROOT } from '../lib/server.mjs';
import { openPage, signUp, joinByUrl, send, message, uniq } from './ui.mjs';
import { register, connect, api } from '../lib/api.mjs';

const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
let browser;
let room;
let sam;

before(async () => {
  browser = await launch();
  // A room with some life in it, written by someone else.
  sam = await register('sam');
  await api('PATCH', '/api/me', { token: sam.token, body: { display_name: 'Sam Rivera', status: 'Shipping the redesign' } });
  room = uniq('design-');
  const r = await api('POST', '/api/rooms', { token: sam.token, body: { name: room, title: 'Design', topic: 'Specs, mock-ups and feedback for the new app' } });
  assert.equal(r.status, 201);
  const c = await connect(room, { token: sam.token });
  await c.next('ready');
  const texts = [
    'Morning all! The **new colour palette** is in the shared folder.',
    'Quick question: should the sidebar badges use the accent colour or red?',
    'Here is the snippet for the tokens:\n```\n--accent: #3b5bdb;\n--danger: #c92a2a;\n```',
    'Docs are at https://example.com/design-tokens — _feedback welcome_ 🙏',
  ];
  let seq = 0;
  for (const [i, text] of texts.entries()) {
    c.send({ type: 'send', client_id: `a11y-${i}`, text });
    seq = (await c.next('ack')).seq;
  }
  c.send({ type: 'react', client_id: 'a11y-r1', target: seq, emoji: '🎉', add: true });
  await c.next('ack');
  c.send({ type: 'send', client_id: 'a11y-reply', text: 'Red feels too alarming for unread counts, accent it is.', reply_to: seq - 1 });
  await c.next('ack');
  c.close();
});
after(async () => { await browser?.close(); });

async function axe(page, what) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (result.length) console.log(`axe (${what}): ${result.map((v) => `${v.impact} ${v.id}`).join(', ')}`);
  assert.deepEqual(bad, [], `${what}: ${JSON.stringify(bad, null, 2)}`);
}

for (const scheme of ['light', 'dark']) {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    test(`sign-in and room view: axe clean and screenshots (${scheme}, ${viewport.width}x${viewport.height})`, async () => {
      // bypassCSP only so that axe-core can be injected; the app itself never needs it.
      const { page: p, context: ctx } = await openPage(browser, { viewport, colorScheme: scheme, bypassCSP: true });
      await p.goto('/');
      await p.locator('#auth-username').waitFor();
      await axe(p, `sign-in ${scheme} ${size}`);
      await p.screenshot({ path: join(ARTIFACTS, `signin-${viewport.width}x${viewport.height}-${scheme}.png`) });

      await signUp(p, 'viewer', 'Jordan Lee');
      await joinByUrl(p, room);
      await send(p, `Thanks @${sam.username}! Accent works for me.`);
      await p.locator('.msgs .msg.mine', { hasText: 'Accent works for me' }).waitFor();
      await p.locator('.chip').first().waitFor();
      await p.mouse.move(1, 1);
      await p.waitForTimeout(300);
      await axe(p, `room ${scheme} ${size}`);
      await p.screenshot({ path: join(ARTIFACTS, `room-${viewport.width}x${viewport.height}-${scheme}.png`) });
      if (size === 'phone') {
        await p.getByRole('button', { name: 'Open the room list' }).click();
        await p.locator('body.drawer-open').waitFor();
        await p.waitForTimeout(300);
        await p.screenshot({ path: join(ARTIFACTS, `drawer-${viewport.width}x${viewport.height}-${scheme}.png`) });
        await p.keyboard.press('Escape');
        await p.getByRole('button', { name: /^Members/ }).click();
        await p.waitForTimeout(200);
        await p.screenshot({ path: join(ARTIFACTS, `members-${viewport.width}x${viewport.height}-${scheme}.png`) });
      } else {
        await p.locator('#me-button').click();
        await p.getByRole('dialog', { name: 'Your profile' }).getByRole('button', { name: 'Edit profile' }).click();
        await p.getByRole('dialog', { name: 'Edit your profile' }).waitFor();
        await axe(p, `profile dialog ${scheme}`);
        await p.screenshot({ path: join(ARTIFACTS, `profile-${viewport.width}x${viewport.height}-${scheme}.png`) });
      }
      assert.deepEqual(p.errors, []);
      await ctx.close();
    });
  }
}
