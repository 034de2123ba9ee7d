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

test("the client's limits are the server's", async () => {
  const { readFileSync } = await import('node:fs');
  const limits = await import('../../public/limits.js');
  const rust = ['rate_limit.rs', 'room_changes.rs', 'room_sessions.rs', 'validate.rs']
    .map((f) => readFileSync(new URL(`../../src/core/${f}`, import.meta.url), 'utf8')).join('\n');
  const constant = (name) => {
    const m = new RegExp(`pub const ${name}: [a-z0-9]+ = ([0-9_.]+)`).exec(rust);
    assert.ok(m, `no ${name} in the core`);
    return Number(m[1].replace(/_/g, ''));
  };
  for (const [js, core] of [['CHANGE_BURST', 'CHANGE_BURST'], ['CHANGE_PER_SEC', 'CHANGE_PER_SEC'], ['HISTORY_BURST', 'HISTORY_BURST'],
    ['HISTORY_PER_SEC', 'HISTORY_PER_SEC'], ['REACTIONS_PER_MESSAGE_MAX', 'REACTIONS_PER_MESSAGE_MAX'],
    ['REACTIONS_PER_USER_MAX', 'REACTIONS_PER_USER_MAX'], ['SOCKETS_PER_USER_MAX', 'MAX_SOCKETS_PER_USER'],
    ['SEND_BURST', 'SEND_BURST_DEFAULT'], ['MESSAGE_MAX', 'MESSAGE_MAX']]) {
    assert.equal(limits[js], constant(core), js);
  }
});
