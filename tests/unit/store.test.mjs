// The web client's room state (public/store.js with its outbox, public/outbox.js)
// under node: server frames in, the state a person sees out. No socket, no DOM:
// a Map stands in for localStorage, and sending is a function that records frames.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

class MemoryStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}
globalThis.localStorage = new MemoryStorage();
const { RoomStore } = await import('../../public/store.js');
const { clearOutbox } = await import('../../public/outbox.js');

const ME = 'alice';
const ROOM = 'lobby';
const INFO = { name: ROOM, title: 'The lobby', topic: 'hi', visibility: 'public', owner: 'bob', member_count: 2, last_seq: 10, role: 'member', read_seq: 8, unread: 2 };

beforeEach(() => { globalThis.localStorage = new MemoryStorage(); });

/** A store plus everything it told its listener, as [kind, payload]. */
function make(info = INFO, me = ME) {
  const store = new RoomStore(info.name, me, info);
  const told = [];
  store.listen((kind, payload) => told.push([kind, payload]));
  return { store, told, kinds: () => told.map(([k]) => k) };
}
const msg = (seq, author = 'bob', extra = {}) => ({ type: 'message', seq, author, text: `m${seq}`, ts: 1000 + seq, client_id: `c${seq}`, ...extra });
const texts = (store) => store.order.map((s) => store.messages.get(s).text);
const saved = (me = ME, room = ROOM) => JSON.parse(localStorage.getItem(`chat.outbox.v1.${me}.${room}`) ?? '[]');
/** A socket stand-in: records frames; `ok` decides whether each send succeeds. */
function sender(ok = () => true) {
  const frames = [];
  return { frames, send: (f) => { if (!ok(f)) return false; frames.push(f); return true; } };
}

test('messages are shown once each, in seq order, and only after the first page', () => {
  const { store, told } = make();
  assert.equal(store.applyEvent(msg(11)), true, 'a new seq is fresh');
  assert.equal(store.order.length, 0, 'before the first page nothing is shown');
  store.resetHistory([msg(9), msg(7), msg(8)], true);
  assert.deepEqual(texts(store), ['m7', 'm8', 'm9']);
  assert.equal(store.applyEvent(msg(12)), true);
  assert.equal(store.applyEvent(msg(12)), false, 'the same seq again is not fresh');
  assert.equal(store.applyEvent(msg(9)), false, 'an old seq is not fresh');
  assert.deepEqual(texts(store), ['m7', 'm8', 'm9', 'm12']);
  assert.equal(told.filter(([k]) => k === 'append').length, 1, 'told to append once');
});

test('edits change the text; deletes leave a tombstone without text or reactions', () => {
  const { store } = make();
  store.resetHistory([msg(1), msg(2, 'bob', { reactions: { '👍': ['carol'] } })], false);
  store.applyEvent({ type: 'edit', seq: 3, target: 1, text: 'fixed', edited_at: 5000 });
  assert.equal(store.messages.get(1).text, 'fixed');
  assert.equal(store.messages.get(1).edited_at, 5000);
  store.applyEvent({ type: 'delete', seq: 4, target: 2 });
  const gone = store.messages.get(2);
  assert.deepEqual([gone.deleted, gone.text, gone.reactions], [true, '', {}]);
  assert.deepEqual(store.order, [1, 2], 'the tombstone keeps its place');
  store.applyEvent({ type: 'reaction', seq: 5, target: 2, emoji: '🎉', user: 'bob', added: true });
  assert.deepEqual(store.messages.get(2).reactions, {}, 'a deleted message takes no reactions');
  assert.equal(store.lastOwnMessage(), null, 'there is no message of mine to edit');
});

test('reactions count each person once and disappear with the last one', () => {
  const { store } = make();
  store.resetHistory([msg(1)], false);
  const react = (seq, user, added) => store.applyEvent({ type: 'reaction', seq, target: 1, emoji: '👍', user, added });
  react(2, 'bob', true);
  react(3, 'bob', true);
  react(4, 'carol', true);
  assert.deepEqual(store.messages.get(1).reactions, { '👍': ['bob', 'carol'] });
  react(5, 'bob', false);
  react(6, 'carol', false);
  assert.deepEqual(store.messages.get(1).reactions, {});
});

test('member events keep the member list, the count and my role current', () => {
  const { store, kinds } = make();
  store.setMembers([{ username: ME, role: 'member', online: true }, { username: 'bob', role: 'owner', online: true }]);
  store.applyEvent({ type: 'member', seq: 11, user: 'carol', role: 'member', action: 'joined' });
  assert.equal(store.members.get('carol').online, true);
  assert.equal(store.room.member_count, 3);
  store.applyEvent({ type: 'member', seq: 12, user: ME, role: 'moderator', action: 'role' });
  assert.equal(store.role, 'moderator');
  assert.ok(kinds().includes('role'));
  store.applyEvent({ type: 'member', seq: 13, user: 'carol', role: null, action: 'kicked' });
  assert.equal(store.members.has('carol'), false);
  assert.equal(store.room.member_count, 2);
});

test('the room starts from the list, follows room events and the list, and keeps role and unread apart', () => {
  const { store } = make();
  assert.deepEqual([store.room.title, store.room.topic, store.room.last_seq], ['The lobby', 'hi', 10]);
  assert.equal('role' in store.room || 'unread' in store.room || 'read_seq' in store.room, false);
  store.applyEvent({ type: 'room', seq: 11, title: 'Lobby 2', topic: '', visibility: 'private' });
  assert.deepEqual([store.room.title, store.room.visibility], ['Lobby 2', 'private']);
  store.listed({ ...INFO, title: 'Lobby 3', last_seq: 12, unread: 1 }, () => false);
  assert.equal(store.room.title, 'Lobby 3');
});

test('ready sets room, role, members and read marker; a fresh connection expects the newest page', () => {
  const { store, kinds } = make();
  store.requested('older');
  store.ready({ type: 'ready', room: { ...INFO, title: 'Now' }, you: { username: ME, role: 'owner' }, members: [{ username: ME, role: 'owner', online: true }], last_seq: 20, read_seq: 3, resumed: false });
  assert.equal(store.room.title, 'Now');
  assert.equal(store.role, 'owner');
  assert.equal(store.members.size, 1);
  assert.equal(store.readSeq, 8, 'the read marker never moves back');
  assert.equal(store.lastSeq, 20);
  assert.equal(store.loadingOlder, false, 'a request on the old connection is not waited for');
  assert.deepEqual(store.historyQueue, ['latest']);
  for (const k of ['members', 'room', 'role', 'ready']) assert.ok(kinds().includes(k), k);
  store.history({ type: 'history', messages: [msg(19), msg(20)], has_more: true });
  assert.deepEqual(texts(store), ['m19', 'm20'], 'the page after ready is the newest page, not an older one');
});

test('a resumed connection keeps the last seen seq and waits for no page', () => {
  const { store } = make();
  store.applyEvent(msg(15));
  store.ready({ type: 'ready', room: INFO, you: { username: ME, role: 'member' }, members: [], last_seq: 30, read_seq: 9, resumed: true });
  assert.equal(store.lastSeq, 15);
  assert.equal(store.readSeq, 9);
  assert.deepEqual(store.historyQueue, []);
});

test('older pages go before what is shown, without duplicates', () => {
  const { store, told } = make();
  store.resetHistory([msg(5), msg(6)], true);
  assert.equal(store.olderCursor(), 5);
  store.requested('older');
  assert.equal(store.loadingOlder, true);
  assert.equal(store.olderCursor(), undefined, 'one older page at a time');
  store.history({ type: 'history', messages: [msg(3), msg(4), msg(5), msg(8)], has_more: false });
  assert.deepEqual(texts(store), ['m3', 'm4', 'm5', 'm6'], 'nothing newer than the first shown goes on top');
  assert.deepEqual(told.at(-1)[1].map((m) => m.seq), [3, 4], 'told which ones were added');
  assert.equal(store.loadingOlder, false);
  assert.equal(store.olderCursor(), undefined, 'nothing more to load at the start of the room');
});

test('a newest page replaces what was shown and drops my pending messages it contains', () => {
  const { store } = make();
  store.resetHistory([msg(1), msg(2)], false);
  const a = store.outbox.queue('first', null);
  const b = store.outbox.queue('second', null);
  store.resetHistory([msg(7), msg(8, ME, { client_id: a.client_id, text: 'first' })], true);
  assert.deepEqual(texts(store), ['m7', 'first']);
  assert.deepEqual(store.pending.map((p) => p.client_id), [b.client_id]);
  assert.deepEqual(saved().map((p) => p.text), ['second']);
});

test('pending messages are saved per user and room and come back queued after a reload', () => {
  const { store } = make();
  const p = store.outbox.queue('hello', 4);
  const out = sender();
  store.outbox.sendAll(1, out.send);
  assert.equal(p.state, 'sending');
  assert.deepEqual(out.frames, [{ type: 'send', client_id: p.client_id, text: 'hello', reply_to: 4 }]);
  const again = make().store;
  assert.deepEqual(again.pending.map((x) => [x.client_id, x.text, x.reply_to, x.state]), [[p.client_id, 'hello', 4, 'queued']]);
  assert.equal(make(INFO, 'bob').store.pending.length, 0, 'another person does not get them');
  again.outbox.discard(p.client_id);
  assert.equal(localStorage.length, 0, 'nothing left saved');
});

test('sending: in order, once per connection, again on a new one, stopping when the socket refuses', () => {
  const { store } = make();
  const [a, b, c] = ['a', 'b', 'c'].map((t) => store.outbox.queue(t, null));
  let room = 2;
  const out = sender(() => room-- > 0);
  store.outbox.sendAll(1, out.send);
  assert.deepEqual(out.frames.map((f) => f.text), ['a', 'b']);
  assert.deepEqual([a.state, b.state, c.state], ['sending', 'sending', 'queued']);
  const next = sender();
  store.outbox.sendAll(1, next.send);
  assert.deepEqual(next.frames.map((f) => f.text), ['c'], 'not sent twice on the same connection');
  const reconnect = sender();
  store.outbox.sendAll(2, reconnect.send);
  assert.deepEqual(reconnect.frames.map((f) => f.client_id), [a, b, c].map((p) => p.client_id), 'same client_ids on a new connection');
});

test('an ack drops a message that is shown, and marks one that is not shown yet as stored', () => {
  const { store } = make();
  store.resetHistory([], false);
  const a = store.outbox.queue('a', null);
  const b = store.outbox.queue('b', null);
  store.applyEvent(msg(11, ME, { client_id: a.client_id, text: 'a' }));
  assert.equal(store.outbox.has(a.client_id), false, 'the message event already replaced it');
  store.ack({ type: 'ack', client_id: a.client_id, seq: 11 });
  store.ack({ type: 'ack', client_id: b.client_id, seq: 12 });
  assert.deepEqual([b.state, b.seq], ['stored', 12]);
  const out = sender();
  store.outbox.sendAll(3, out.send);
  assert.equal(out.frames.length, 0, 'a stored message is not sent again');
  store.applyEvent(msg(12, ME, { client_id: b.client_id, text: 'b' }));
  assert.equal(store.pending.length, 0);
  assert.equal(localStorage.length, 0);
});

test('an ack before the first page drops the pending copy (the page will show it)', () => {
  const { store } = make();
  const a = store.outbox.queue('a', null);
  store.ack({ type: 'ack', client_id: a.client_id, seq: 11 });
  assert.equal(store.pending.length, 0);
});

test('a rate-limited send is queued again with a wait; another error fails it with the message', () => {
  const { store } = make();
  const a = store.outbox.queue('a', null);
  const b = store.outbox.queue('b', null);
  store.outbox.sendAll(1, sender().send);
  assert.deepEqual(store.error({ type: 'error', code: 'rate_limited', client_id: a.client_id, retry_after_ms: 40 }), { retrySends: 250 });
  assert.deepEqual(store.error({ type: 'error', code: 'rate_limited', client_id: a.client_id, retry_after_ms: 1500 }), { retrySends: 1500 });
  assert.equal(a.state, 'queued');
  const out = sender();
  store.outbox.sendAll(1, out.send);
  assert.deepEqual(out.frames.map((f) => f.text), ['a'], 'it goes again on the same connection');
  assert.equal(store.error({ type: 'error', code: 'too_long', client_id: b.client_id, message: 'Too long.' }), null);
  assert.deepEqual([b.state, b.error], ['failed', 'Too long.']);
  assert.deepEqual(saved().map((p) => p.state), ['sending', 'failed'], 'the failure is saved');
  const reloaded = make().store.pending;
  assert.deepEqual(reloaded.map((p) => [p.state, p.error]), [['queued', undefined], ['failed', 'Too long.']], 'and shown after a reload');
  store.error({ type: 'error', code: 'invalid', client_id: a.client_id });
  assert.equal(a.error, 'The message could not be sent.');
  assert.equal(store.outbox.retry(b.client_id), true);
  assert.deepEqual([b.state, b.error], ['queued', '']);
});

test('a rate-limited history request is asked again; other errors become a toast', () => {
  const { store } = make();
  store.resetHistory([msg(5)], true);
  store.requested('older');
  assert.deepEqual(store.error({ type: 'error', code: 'rate_limited', retry_after_ms: 700 }), { retryHistory: 'older', after: 700 });
  assert.equal(store.loadingOlder, true, 'still loading while waiting');
  assert.deepEqual(store.historyQueue, []);
  store.stopLoadingOlder();
  assert.equal(store.olderCursor(), 5, 'the older page can be asked for again');
  assert.deepEqual(store.error({ type: 'error', code: 'rate_limited', retry_after_ms: 700, message: 'Slow down.' }), { toast: 'Slow down.' },
    'with no history request waiting it is not a history refusal');
  assert.deepEqual(store.error({ type: 'error', code: 'forbidden', client_id: 'edit-1', message: 'Not yours.' }), { toast: 'Not yours.' });
  assert.equal(store.error({ type: 'error', code: 'whatever' }), null);
});

test('unread: others\' new messages count unless I am looking; read markers clear the badge', () => {
  const { store } = make();
  assert.deepEqual([store.unread, store.counted, store.readSeq], [2, 10, 8]);
  const arrive = (f, looking = false) => store.countUnread(f, store.applyEvent(f), () => looking);
  assert.equal(arrive(msg(11)), true);
  assert.equal(arrive(msg(11)), false, 'a repeated frame is not counted');
  assert.equal(arrive(msg(12, ME)), false, 'my own message is not unread');
  assert.equal(arrive(msg(13), true), false, 'not while I am reading the room');
  assert.equal(store.unread, 3);
  assert.equal(store.readElsewhere(12), false, 'read elsewhere up to 12: 13 is still new');
  assert.equal(store.unread, 3);
  assert.equal(store.readElsewhere(13), true);
  assert.equal(store.unread, 0);
  store.applyEvent({ type: 'edit', seq: 14, target: 11, text: 'x' });
  assert.equal(store.unread, 0, 'only messages count');
});

test('reading here moves the marker only when the server was told, and clears the badge', () => {
  const { store } = make();
  assert.equal(store.readUpTo(12, () => false), true, 'there was a badge');
  assert.deepEqual([store.readSeq, store.unread, store.counted], [8, 0, 12]);
  const out = sender();
  store.readUpTo(15, out.send);
  assert.deepEqual(out.frames, [{ type: 'read', seq: 15 }]);
  assert.equal(store.readSeq, 15);
  store.readUpTo(9, out.send);
  assert.equal(out.frames.length, 1, 'never back');
});

test('the room list sets the badge unless it is older than what was counted', () => {
  const { store } = make();
  store.countUnread(msg(11), store.applyEvent(msg(11)), () => false);
  store.listed({ ...INFO, last_seq: 10, unread: 1 }, () => false);
  assert.equal(store.unread, 3, 'an answer from before message 11 does not undo it');
  store.listed({ ...INFO, last_seq: 12, unread: 4 }, () => false);
  assert.deepEqual([store.unread, store.counted], [4, 12]);
  store.listed({ ...INFO, last_seq: 12, unread: 4 }, () => true);
  assert.equal(store.unread, 0, 'not while I am reading the room');
});

test('signing out forgets the saved pending messages of that person only', () => {
  make().store.outbox.queue('mine', null);
  make(INFO, 'bob').store.outbox.queue('his', null);
  clearOutbox(ME);
  assert.equal(make().store.pending.length, 0);
  assert.equal(make(INFO, 'bob').store.pending.length, 1);
});
