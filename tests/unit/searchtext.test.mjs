import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryWords, searchable, highlight, around } from '../../public/searchtext.js';

test('query words are letters and digits, lowercased, each once, like the server', () => {
  assert.deepEqual(queryWords('Deploy the API, v2! deploy'), ['deploy', 'the', 'api', 'v2']);
  assert.deepEqual(queryWords('"quoted" NEAR(x) a*'), ['quoted', 'near', 'x', 'a']);
  assert.deepEqual(queryWords('ÉCOLE Σοφία'), ['école', 'σοφία']);
  assert.equal(searchable('!!!'), false);
  assert.equal(searchable(''), false);
  assert.equal(searchable('x'.repeat(201)), false);
  assert.equal(searchable('ok'), true);
});

test('matched word starts are marked, the rest stays plain text', () => {
  const pieces = highlight('We DEPLOYED on <b>Friday</b>', ['deploy', 'fri']);
  assert.deepEqual(pieces, [
    { text: 'We ', match: false },
    { text: 'DEPLOY', match: true },
    { text: 'ED', match: false },
    { text: ' on <b>', match: false },
    { text: 'Fri', match: true },
    { text: 'day', match: false },
    { text: '</b>', match: false },
  ]);
  assert.equal(pieces.map((p) => p.text).join(''), 'We DEPLOYED on <b>Friday</b>');
  assert.deepEqual(highlight('redeploy', ['deploy']), [{ text: 'redeploy', match: false }]);
});

test('a long text is cut around its first match', () => {
  const text = `${'lorem '.repeat(60)}needle ${'ipsum '.repeat(60)}`;
  const cut = around(text, ['needle'], 100);
  assert.ok(cut.startsWith('…') && cut.endsWith('…'));
  assert.ok(cut.includes('needle'));
  assert.ok(cut.length <= 102);
  assert.equal(around('short', ['x']), 'short');
});
