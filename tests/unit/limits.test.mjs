// The web client's mirror of the server's invisible-character rule
// (public/limits.js vs src/core/invisible.rs): the same cases as the core's
// tests, so a form refuses exactly what the server would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasInvisible } from '../../public/limits.js';

test('the client refuses the invisible characters the server refuses', () => {
  for (const bad of ['Ann\u202Egnp.exe', 'ad\u2066min\u2069', '\u200B\u200B', '\u200B', 'away\uFEFF', 'a\u00ADb',
    'line\u200Fone', '\u061Cx', 'x\u{E0041}', '\u200D', 'a\u200D', '\u200Da', 'a \u200D b', 'a\u200D\u200Db']) {
    assert.ok(hasInvisible(bad), JSON.stringify(bad));
  }
  for (const ok of ['Zoë 👩‍💻 مريم', '🏳️‍🌈 out', 'family 👨‍👩‍👧', 'می‌خواهم',
    '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', 'plain', '']) {
    assert.ok(!hasInvisible(ok), JSON.stringify(ok));
  }
});
