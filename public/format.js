// Safe message formatting: a tiny tokenizer for **bold**, _italic_, `code`,
// ```code blocks```, http(s) links and @mentions that builds DOM nodes with
// text nodes only. Nothing here ever parses HTML, so `<script>` stays text.

const URL_RE = /https?:\/\/[^\s<>"'`]+/y;
const MENTION_RE = /@([a-zA-Z][a-zA-Z0-9_]{2,23})(?![a-zA-Z0-9_])/y;
const WORD = /[\p{L}\p{N}_]/u;

/**
 * Formats `text` into a DocumentFragment. `me` is the signed-in username (its
 * mentions get a stronger highlight); `onMention(username)` makes mentions clickable.
 */
export function formatText(text, me = '') {
  const frag = document.createDocumentFragment();
  const parts = text.split('```');
  // Odd parts are inside fences; an unclosed fence is plain text.
  const closed = parts.length % 2 === 1;
  for (let i = 0; i < parts.length; i++) {
    const inFence = i % 2 === 1 && (closed || i < parts.length - 1);
    if (inFence) {
      let body = parts[i];
      const nl = body.indexOf('\n');
      // A first line with one bare word is a language hint: drop it.
      if (nl >= 0 && /^[\w+-]*$/.test(body.slice(0, nl))) body = body.slice(nl + 1);
      body = body.replace(/\n$/, '');
      const pre = document.createElement('pre');
      const code = document.createElement('code');
      code.textContent = body;
      pre.appendChild(code);
      frag.appendChild(pre);
    } else {
      let s = i % 2 === 1 ? '```' + parts[i] : parts[i];
      // The line breaks right around a code block belong to the block.
      if (i > 0 && i % 2 === 0) s = s.replace(/^\n/, '');
      if (i + 1 < parts.length && (closed || i + 1 < parts.length - 1)) s = s.replace(/\n$/, '');
      inline(s, frag, me, 0);
    }
  }
  return frag;
}

function isWord(ch) { return ch !== undefined && ch !== '' && WORD.test(ch); }

/** Appends inline nodes for `s` to `parent`. `depth` stops runaway nesting. */
function inline(s, parent, me, depth) {
  let buf = '';
  const flush = () => { if (buf) { parent.appendChild(document.createTextNode(buf)); buf = ''; } };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        const code = document.createElement('code');
        code.textContent = s.slice(i + 1, end);
        parent.appendChild(code);
        i = end + 1;
        continue;
      }
    } else if (c === '*' && s[i + 1] === '*' && depth < 3) {
      const end = s.indexOf('**', i + 2);
      if (end > i + 2 && s[i + 2] !== ' ' && s[end - 1] !== ' ') {
        flush();
        const b = document.createElement('strong');
        inline(s.slice(i + 2, end), b, me, depth + 1);
        parent.appendChild(b);
        i = end + 2;
        continue;
      }
    } else if (c === '_' && depth < 3 && !isWord(s[i - 1])) {
      let end = s.indexOf('_', i + 1);
      while (end > 0 && isWord(s[end + 1])) end = s.indexOf('_', end + 1);
      if (end > i + 1 && s[i + 1] !== ' ' && s[end - 1] !== ' ') {
        flush();
        const em = document.createElement('em');
        inline(s.slice(i + 1, end), em, me, depth + 1);
        parent.appendChild(em);
        i = end + 1;
        continue;
      }
    } else if ((c === 'h' || c === 'H') && !isWord(s[i - 1])) {
      URL_RE.lastIndex = i;
      const m = URL_RE.exec(s);
      if (m) {
        let url = trimUrl(m[0]);
        const a = link(url);
        if (a) {
          flush();
          parent.appendChild(a);
          i += url.length;
          continue;
        }
      }
    } else if (c === '@' && !isWord(s[i - 1])) {
      MENTION_RE.lastIndex = i;
      const m = MENTION_RE.exec(s);
      if (m) {
        flush();
        const user = m[1].toLowerCase();
        const span = document.createElement('span');
        span.className = user === me ? 'mention mention-me' : 'mention';
        span.dataset.user = user;
        span.textContent = m[0];
        parent.appendChild(span);
        i += m[0].length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
}

/** Drops trailing punctuation that is almost never part of a link. */
function trimUrl(u) {
  for (;;) {
    const last = u[u.length - 1];
    if ('.,!?;:\'"*_'.includes(last)) { u = u.slice(0, -1); continue; }
    if (last === ')' && count(u, '(') < count(u, ')')) { u = u.slice(0, -1); continue; }
    return u;
  }
}

function count(s, ch) { let n = 0; for (const c of s) if (c === ch) n++; return n; }

/** A link element for an http(s) URL, or null for anything else. */
function link(raw) {
  let url;
  try { url = new URL(raw); } catch { return null; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const a = document.createElement('a');
  a.href = url.href;
  a.textContent = raw;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  return a;
}

/** A short plain-text preview of a message (for reply quotes and notices). */
export function preview(text, max = 120) {
  const flat = text.replace(/```|\*\*|`/g, '').replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : flat;
}
