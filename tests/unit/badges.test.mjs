// Badge and title words (public/badges.js), and the room store's mention
// count and notification level (public/store.js): mentions counted live,
// cleared with the read state, and taken from the room list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countText, mentionBadgeText, badgeWords, titleText, faviconText } from '../../public/badges.js';

globalThis.localStorage = { getItem: () => null, setItem() {}, removeItem() {}, key: () => null, length: 0 };
const { RoomStore } = await import('../../public/store.js');

test('badge texts', () => {
  assert.equal(countText(0), '0');
  assert.equal(countText(99), '99');
  assert.equal(countText(100), '99+');
  assert.equal(mentionBadgeText(3), '@3');
  assert.equal(mentionBadgeText(250), '@99+');
  assert.equal(badgeWords(0, 0), '');
  assert.equal(badgeWords(0, 5), ', 5 unread');
  assert.equal(badgeWords(1, 5), ', 1 mention, 5 unread');
  assert.equal(badgeWords(2, 2), ', 2 mentions, 2 unread');
  assert.equal(faviconText(3), '3');
  assert.equal(faviconText(10), '9+');
});

test('page title: unread as before, mentions first when there are some', () => {
  assert.equal(titleText(0, 0), 'Chat');
  assert.equal(titleText(2, 0), '(2) Chat');
  assert.equal(titleText(3, 1), '(@1 · 3) Chat');
  assert.equal(titleText(0, 2), '(@2 · 2) Chat', 'never fewer unread than mentions');
  assert.equal(titleText(150, 120), '(@99+ · 99+) Chat');
});

const INFO = { name: 'lobby', kind: 'room', last_seq: 10, read_seq: 8, unread: 2, mentions: 1, notify: 'all', role: 'member' };
const msg = (seq, extra = {}) => ({ type: 'message', seq, author: 'bob', text: `m${seq}`, ts: seq, client_id: `c${seq}`, ...extra });

test('the store counts mentions with unread, and reading clears both', () => {
  const s = new RoomStore('lobby', 'alice', INFO);
  assert.equal(s.mentions, 1);
  assert.equal(s.notify, 'all');
  assert.equal('mentions' in s.room || 'notify' in s.room, false, 'not room fields');
  const away = () => false;
  assert.equal(s.countUnread(msg(11, { mentions: ['alice'] }), true, away), true);
  assert.equal(s.countUnread(msg(12, { text: 'hey @alice' }), true, away), true);
  assert.equal(s.countUnread(msg(13, { mentions: ['carol'] }), true, away), true);
  assert.equal(s.countUnread(msg(14, { author: 'alice', mentions: ['alice'] }), true, away), false, 'my own');
  assert.deepEqual([s.unread, s.mentions], [5, 3]);
  assert.equal(s.countUnread(msg(15, { mentions: ['alice'] }), true, () => true), false, 'while I look at it');
  assert.deepEqual([s.unread, s.mentions], [5, 3]);
  assert.equal(s.readUpTo(15, () => true), true);
  assert.deepEqual([s.unread, s.mentions], [0, 0]);
  s.countUnread(msg(16, { mentions: ['alice'] }), true, away);
  assert.equal(s.readElsewhere(16), true);
  assert.deepEqual([s.unread, s.mentions], [0, 0]);
});

test('the store takes mentions and the level from the list, and a mentions-only badge still counts as a badge', () => {
  const s = new RoomStore('lobby', 'alice', { ...INFO, unread: 0, mentions: 0 });
  s.listed({ ...INFO, last_seq: 20, unread: 4, mentions: 2, notify: 'none' }, () => false);
  assert.deepEqual([s.unread, s.mentions, s.notify], [4, 2, 'none']);
  s.listed({ ...INFO, last_seq: 21, unread: 5, mentions: 3 }, () => true);
  assert.deepEqual([s.unread, s.mentions], [0, 0], 'looking at it');
  s.mentions = 1;
  assert.equal(s.readUpTo(22, () => true), true);
  s.setNotify('mentions');
  assert.equal(s.notify, 'mentions');
});

test('defaults: mentions in rooms, all in DMs; edits bring their mentions', () => {
  assert.equal(new RoomStore('r', 'alice', { name: 'r', kind: 'room' }).notify, 'mentions');
  assert.equal(new RoomStore('dm-1', 'alice', { name: 'dm-1', kind: 'dm' }).notify, 'all');
  const s = new RoomStore('r', 'alice', { name: 'r', kind: 'room' });
  s.resetHistory([{ seq: 1, author: 'bob', text: 'hi', ts: 1 }], false);
  assert.deepEqual(s.messages.get(1).mentions, []);
  s.applyEvent({ type: 'edit', seq: 2, target: 1, text: 'hi @alice', edited_at: 5, by: 'bob', mentions: ['alice'] });
  assert.deepEqual(s.messages.get(1).mentions, ['alice']);
  s.applyEvent({ type: 'edit', seq: 3, target: 1, text: 'hi', edited_at: 6, by: 'bob', mentions: [] });
  assert.deepEqual(s.messages.get(1).mentions, []);
});
