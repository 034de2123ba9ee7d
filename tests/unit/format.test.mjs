// Property test of the web client's message formatter (public/format.js), the
// one place user text becomes DOM: for mutated and random inputs it never
// throws, never hangs, builds only allow-listed elements (links only to
// http/https) and shows only characters of the input. Runs under node with a
// tiny stand-in for `document`. FUZZ_CASES sets the budget (make fuzz: more).
import { test } from 'node:test';
import assert from 'node:assert/strict';

class Node {
  constructor(tag) { this.tag = tag; this.children = []; this.dataset = {}; this.text = ''; }
  appendChild(c) { this.children.push(c); return c; }
  set textContent(t) { this.children = [{ tag: '#text', text: String(t), children: [] }]; }
}
globalThis.document = {
  createDocumentFragment: () => new Node('#fragment'),
  createElement: (tag) => new Node(tag),
  createTextNode: (t) => ({ tag: '#text', text: String(t), children: [] }),
};
const { formatText, preview } = await import('../../public/format.js');

const ALLOWED = new Set(['#fragment', '#text', 'pre', 'code', 'strong', 'em', 'a', 'span']);
const CASES = Number(process.env.FUZZ_CASES ?? 2000);
const SLOW_MS = 1000;

function* walk(n) { yield n; for (const c of n.children) yield* walk(c); }

function rng(seed) {
  let s = BigInt(seed);
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return Number((z ^ (z >> 31n)) % 1000000007n);
  };
}

const SEEDS = [
  'hello **bold** and _it_ and `code`', '```js\nlet x = 1;\n```', 'see https://example.com/a_(b)?c=1.',
  '@alice hi @bob_2', '**_nested `deep`_**', 'javascript:alert(1) <script>x</script>', '_a_b_c_ **', 'x'.repeat(50),
];
const PIECES = ['*', '**', '_', '`', '```', '\n', ' ', '@', 'http://', 'https://x.y/', 'javascript:', '(', ')', '<', '>', '"', '💬', '\u202e', 'a'];

function mutate(next, s) {
  for (let k = next() % 4; k >= 0; k--) {
    const i = next() % (s.length + 1);
    switch (next() % 4) {
      case 0: s = s.slice(0, i) + PIECES[next() % PIECES.length] + s.slice(i); break;
      case 1: s = s.slice(0, i) + PIECES[next() % PIECES.length].repeat(1 + (next() % 2000)) + s.slice(i); break;
      case 2: s = s.slice(0, i) + s.slice(i + (next() % 10)); break;
      default: s = Array.from({ length: next() % 40 }, () => String.fromCodePoint(next() % 0x3000)).join(''); break;
    }
  }
  return s.slice(0, 4000);
}

/** Whether `sub` is a subsequence of `s` (the formatter only drops characters). */
function subsequence(sub, s) {
  let j = 0;
  for (let i = 0; i < s.length && j < sub.length; i++) if (s[i] === sub[j]) j++;
  return j === sub.length;
}

test('the formatter builds only safe elements from any text, quickly', () => {
  const next = rng(Number(process.env.FUZZ_SEED ?? 12345));
  for (let n = 0; n < CASES; n++) {
    const input = n < SEEDS.length ? SEEDS[n] : mutate(next, SEEDS[next() % SEEDS.length]);
    const started = performance.now();
    const frag = formatText(input, 'alice');
    preview(input);
    const took = performance.now() - started;
    assert.ok(took < SLOW_MS, `case ${n} took ${took} ms (${input.length} chars)`);
    let shown = '';
    for (const node of walk(frag)) {
      assert.ok(ALLOWED.has(node.tag), `element <${node.tag}> from ${JSON.stringify(input.slice(0, 80))}`);
      if (node.tag === 'a') assert.match(node.href, /^https?:\/\//);
      if (node.tag === '#text') shown += node.text;
    }
    assert.ok(subsequence(shown, input), `shown text is not from the input: ${JSON.stringify(input.slice(0, 80))}`);
  }
});

test('formatting keeps the text and finds the marks', () => {
  const frag = formatText('a **b** https://x.org/p @alice', 'alice');
  const tags = [...walk(frag)].map((n) => n.tag);
  assert.ok(tags.includes('strong') && tags.includes('a') && tags.includes('span'));
});
