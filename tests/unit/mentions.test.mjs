// The web client's mention logic (public/mentions.js) under node: which
// messages mention me, the @word at the caret, matching members for the
// composer's suggestions, and the text after picking one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textMentions, mentionsMe, levelAllows, mentionQuery, matchMembers, insertMention, SUGGESTIONS_MAX } from '../../public/mentions.js';

test('textMentions: @names with the contract\'s edges, lowercased, each once', () => {
  assert.deepEqual(textMentions('hi @Alice and @bob, @alice again'), ['alice', 'bob']);
  assert.deepEqual(textMentions('@alice at the start'), ['alice']);
  assert.deepEqual(textMentions('mail bob@alice.com or x@alice'), []);
  assert.deepEqual(textMentions('@al too short, @9lives not a name'), []);
  assert.deepEqual(textMentions('(@carol) and "@dave_2".'), ['carol', 'dave_2']);
  assert.deepEqual(textMentions('@abcdefghijklmnopqrstuvwxyz is too long'), []);
  assert.deepEqual(textMentions(''), []);
  assert.deepEqual(textMentions(undefined), []);
});

test('mentionsMe: the server\'s list first, the text as a fallback, never my own or a deleted message', () => {
  assert.equal(mentionsMe({ author: 'bob', text: 'hello', mentions: ['alice'] }, 'alice'), true, '@room expanded by the server');
  assert.equal(mentionsMe({ author: 'bob', text: 'hey @alice', mentions: [] }, 'alice'), true);
  assert.equal(mentionsMe({ author: 'bob', text: 'hey @ALICE' }, 'alice'), true);
  assert.equal(mentionsMe({ author: 'bob', text: 'hey @alicex' }, 'alice'), false);
  assert.equal(mentionsMe({ author: 'bob', text: 'hey @bob', mentions: ['bob'] }, 'alice'), false);
  assert.equal(mentionsMe({ author: 'alice', text: 'note to @alice', mentions: ['alice'] }, 'alice'), false);
  assert.equal(mentionsMe({ author: 'bob', text: '', deleted: true, mentions: ['alice'] }, 'alice'), false);
  assert.equal(mentionsMe(null, 'alice'), false);
  assert.equal(mentionsMe({ author: 'bob', text: '@alice' }, ''), false);
});

test('levelAllows: all, mentions (and every DM message), none', () => {
  assert.equal(levelAllows('all', { mentioned: false, dm: false }), true);
  assert.equal(levelAllows('mentions', { mentioned: false, dm: false }), false);
  assert.equal(levelAllows('mentions', { mentioned: true, dm: false }), true);
  assert.equal(levelAllows('mentions', { mentioned: false, dm: true }), true);
  assert.equal(levelAllows('none', { mentioned: true, dm: true }), false);
});

test('mentionQuery: the @word the caret is in, or null', () => {
  assert.deepEqual(mentionQuery('@', 1), { start: 0, query: '' });
  assert.deepEqual(mentionQuery('hi @al', 6), { start: 3, query: 'al' });
  assert.deepEqual(mentionQuery('hi @al there', 6), { start: 3, query: 'al' });
  assert.deepEqual(mentionQuery('hi @alice there', 5), { start: 3, query: 'a' }, 'only what is before the caret');
  assert.deepEqual(mentionQuery('(@Jo', 4), { start: 1, query: 'Jo' });
  assert.equal(mentionQuery('hi @al there', 12), null, 'past a space');
  assert.equal(mentionQuery('mail bob@ex', 11), null, 'an e-mail address');
  assert.equal(mentionQuery('no at here', 10), null);
  assert.equal(mentionQuery('', 0), null);
  assert.equal(mentionQuery(`@${'a'.repeat(40)}`, 41), null, 'too long to be a name');
  assert.deepEqual(mentionQuery('a\n@b', 4), { start: 2, query: 'b' });
});

const PEOPLE = [
  { username: 'alice', display_name: 'Alice Liddell', online: false },
  { username: 'alan', display_name: 'Alan Turing', online: true },
  { username: 'bob', display_name: 'Bobby Tables', online: true },
  { username: 'carol', display_name: 'Dr. Alexandra Carol', online: false },
  { username: 'me_myself', display_name: 'Me', online: true },
];
const names = (list) => list.map((p) => p.username);

test('matchMembers: username prefix, then display name, then a word of it; online first; me left out', () => {
  assert.deepEqual(names(matchMembers(PEOPLE, 'al', { me: 'me_myself' })), ['alan', 'alice', 'carol']);
  assert.deepEqual(names(matchMembers(PEOPLE, 'AL', { me: 'me_myself' })), ['alan', 'alice', 'carol'], 'case-insensitive');
  assert.deepEqual(names(matchMembers(PEOPLE, 'bobby', { me: 'me_myself' })), ['bob'], 'by display name');
  assert.deepEqual(names(matchMembers(PEOPLE, 'tur', { me: 'me_myself' })), ['alan'], 'by a later word');
  assert.deepEqual(names(matchMembers(PEOPLE, 'zz', { me: 'me_myself' })), []);
  assert.deepEqual(names(matchMembers(PEOPLE, 'me', { me: 'me_myself' })), []);
  assert.deepEqual(names(matchMembers(PEOPLE, '', { me: 'me_myself' })), ['alan', 'bob', 'alice', 'carol'], 'everyone, online first');
});

test('matchMembers: @room only when allowed, after people unless typed in full; a limit', () => {
  assert.equal(matchMembers(PEOPLE, 'r').some((p) => p.room), false);
  assert.deepEqual(names(matchMembers(PEOPLE, 'r', { allowRoom: true })), ['room']);
  assert.deepEqual(names(matchMembers(PEOPLE, '', { allowRoom: true, me: 'me_myself' })), ['alan', 'bob', 'alice', 'carol', 'room']);
  assert.equal(matchMembers([...PEOPLE, { username: 'roomba', display_name: 'Roomba' }], 'room', { allowRoom: true })[0].room, true);
  const many = Array.from({ length: 20 }, (_, i) => ({ username: `user${String(i).padStart(2, '0')}`, display_name: '' }));
  assert.equal(matchMembers(many, 'user').length, SUGGESTIONS_MAX);
  const withRoom = matchMembers(many, '', { allowRoom: true });
  assert.equal(withRoom.length, SUGGESTIONS_MAX);
  assert.equal(withRoom.at(-1).room, true, '@room keeps its place within the limit');
  assert.deepEqual(names(matchMembers(many, 'user0', { limit: 3 })), ['user00', 'user01', 'user02']);
});

test('insertMention: replaces the @word, adds one space, puts the caret after it', () => {
  assert.deepEqual(insertMention('@a', 0, 2, 'alice'), { text: '@alice ', caret: 7 });
  assert.deepEqual(insertMention('hi @al', 3, 6, 'alan'), { text: 'hi @alan ', caret: 9 });
  assert.deepEqual(insertMention('hi @al there', 3, 6, 'alan'), { text: 'hi @alan there', caret: 9 }, 'the existing space is reused');
  assert.deepEqual(insertMention('@ro!', 0, 3, 'room'), { text: '@room !', caret: 6 });
});
