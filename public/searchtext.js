// Search text rules shared by the search dialog and its tests: the words of
// a query as the server sees them (runs of letters and digits, lowercased),
// and a message's text cut into plain and matched pieces for highlighting.
// Pieces are strings; the page puts them in text nodes and <mark>s, never HTML.

const WORD = /[\p{L}\p{N}]+/gu;

/** The query's words, lowercased, each once (as the server parses `q`). */
export function queryWords(q) {
  const seen = [];
  for (const m of String(q).matchAll(WORD)) {
    const w = m[0].toLowerCase();
    if (!seen.includes(w)) seen.push(w);
  }
  return seen;
}

/** Whether `q` can be searched (1-200 characters with a letter or digit). */
export function searchable(q) {
  const n = [...String(q)].length;
  return n >= 1 && n <= 200 && queryWords(q).length > 0;
}

/**
 * `text` as [{ text, match }] pieces: a word of the text is a match when it
 * starts with one of `words` (whole word or its start, as the search matches).
 */
export function highlight(text, words) {
  const out = [];
  let last = 0;
  for (const m of String(text).matchAll(WORD)) {
    const w = m[0].toLowerCase();
    const hit = words.find((q) => w.startsWith(q));
    if (!hit) continue;
    if (m.index > last) out.push({ text: text.slice(last, m.index), match: false });
    // Mark only the matched start of the word; lowercasing can change lengths, so fall back to the whole word.
    const len = m[0].slice(0, hit.length).toLowerCase() === hit ? hit.length : m[0].length;
    out.push({ text: m[0].slice(0, len), match: true });
    if (len < m[0].length) out.push({ text: m[0].slice(len), match: false });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), match: false });
  return out;
}

/**
 * A window of a long text around its first match, so results stay short:
 * at most `max` characters, with an ellipsis where it was cut.
 */
export function around(text, words, max = 160) {
  if (text.length <= max) return text;
  const first = highlight(text, words).reduce((acc, p) => (acc.found ? acc : p.match ? { found: true, at: acc.at } : { found: false, at: acc.at + p.text.length }), { found: false, at: 0 });
  const start = Math.max(0, Math.min(first.found ? first.at - 40 : 0, text.length - max));
  const piece = text.slice(start, start + max);
  return `${start > 0 ? '…' : ''}${piece}${start + max < text.length ? '…' : ''}`;
}
