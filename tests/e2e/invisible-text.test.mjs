// Issue #12 (hardening), item 14: names, statuses, bios, room titles and topics
// refuse Unicode format characters (bidi overrides and isolates, zero-width
// characters, tags...), which draw nothing and can reorder or hide what is
// shown next to them; message text keeps them, so emoji ZWJ sequences and
// right-to-left marks arrive exactly as sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, register, connectReady, createRoom, sendMessage, uniqueName, uniqueRoom } from '../lib/api.mjs';

const PASSWORD = 'correct horse battery';
const RLO = '\u202E';
const ZWSP = '\u200B';

function assertRefused(r, field) {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body?.error?.code, 'bad_request');
  assert.match(r.body.error.message, field, 'the message names the field');
  assert.match(r.body.error.message, /invisible/i, 'and says what is wrong');
}

test('a display name with a bidi override is 400, at registration and on the profile', async () => {
  const reg = await api('POST', '/api/auth/register', { body: { username: uniqueName('bidi'), password: PASSWORD, display_name: `${RLO}txt.exe` } });
  assertRefused(reg, /display name/i);
  const u = await register('bidi');
  assertRefused(await api('PATCH', '/api/me', { token: u.token, body: { display_name: `Ann${RLO}` } }), /display name/i);
  assertRefused(await api('PATCH', '/api/me', { token: u.token, body: { display_name: `${ZWSP}${ZWSP}` } }), /display name/i);
  assertRefused(await api('PATCH', '/api/me', { token: u.token, body: { display_name: `ad\u2066min\u2069` } }), /display name/i);
  assertRefused(await api('PATCH', '/api/me', { token: u.token, body: { status: `away${'\uFEFF'}` } }), /status/i);
  assertRefused(await api('PATCH', '/api/me', { token: u.token, body: { bio: `line\u200Fone` } }), /bio/i);
  const me = await api('GET', '/api/me', { token: u.token });
  assert.equal(me.body.display_name, u.username, 'nothing was changed');
  // Emoji, accents and right-to-left scripts are fine, and so is a ZWJ emoji sequence.
  const ok = await api('PATCH', '/api/me', { token: u.token, body: { display_name: 'Zoë 👩‍💻 مريم', status: '🏳️‍🌈 out' } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.display_name, 'Zoë 👩‍💻 مريم');
  assert.equal(ok.body.status, '🏳️‍🌈 out');
});

test('a room title or topic of zero-width characters is 400, on create and on edit', async () => {
  const u = await register('zw');
  assertRefused(await api('POST', '/api/rooms', { token: u.token, body: { name: uniqueRoom(), title: ZWSP } }), /title/i);
  assertRefused(await api('POST', '/api/rooms', { token: u.token, body: { name: uniqueRoom(), topic: `${ZWSP}${ZWSP}` } }), /topic/i);
  const room = await createRoom(u, { title: 'Plain' });
  assertRefused(await api('PATCH', `/api/rooms/${room}`, { token: u.token, body: { title: `${ZWSP}` } }), /title/i);
  assertRefused(await api('PATCH', `/api/rooms/${room}`, { token: u.token, body: { topic: `see ${RLO}gnp.exe` } }), /topic/i);
  const info = await api('GET', `/api/rooms/${room}`, { token: u.token });
  assert.equal(info.body.title, 'Plain');
  assert.equal(info.body.topic, '');
});

test('message text keeps format characters: ZWJ emoji and bidi marks are stored intact', async () => {
  const u = await register('zwj');
  const room = await createRoom(u);
  const { client } = await connectReady(room, { token: u.token });
  const texts = ['family 👨‍👩‍👧 and 🏳️‍🌈', 'שלום\u200F ok', 'soft\u00ADhyphen'];
  for (const text of texts) {
    const ack = await sendMessage(client, text);
    assert.ok(ack.seq > 0);
  }
  client.close();
  const r = await api('GET', `/api/rooms/${room}/messages`, { token: u.token });
  assert.deepEqual(r.body.messages.filter((m) => m.author === u.username && m.text).map((m) => m.text), texts);
});
