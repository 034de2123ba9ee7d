// Mentions, as pure functions (no DOM): does a message mention me, which
// `@word` is the caret in, which members match it, and the text after
// picking one. The server decides who a message really mentions (contract
// section 10: `Message.mentions`); the text is only a fallback for messages
// that do not say.

/** The word that mentions every member; only owners and moderators may use it. */
export const ROOM_WORD = 'room';
const NAME_CHAR = /[a-z0-9_]/i;
const MENTION_G = /(^|[^a-z0-9_])@([a-z][a-z0-9_]{2,23})(?![a-z0-9_])/gi;
const QUERY_MAX = 32;
export const SUGGESTIONS_MAX = 8;

/** Usernames `@`-mentioned in `text`, lowercased, each once (by the text alone). */
export function textMentions(text) {
  const out = new Set();
  for (const m of String(text || '').matchAll(MENTION_G)) out.add(m[2].toLowerCase());
  return [...out];
}

/** Does message `m` mention `me` (by the server's list, or else its text)? Never my own messages. */
export function mentionsMe(m, me) {
  if (!m || !me || m.author === me || m.deleted) return false;
  if (Array.isArray(m.mentions) && m.mentions.includes(me)) return true;
  return textMentions(m.text).includes(me);
}

/** Whether a message should notify at `level` ('all' | 'mentions' | 'none'): DMs count as mentions. */
export function levelAllows(level, { mentioned, dm }) {
  if (level === 'all') return true;
  if (level === 'none') return false;
  return !!(mentioned || dm);
}

/**
 * The `@partial` the caret at `caret` is in: { start (index of the @), query }
 * or null. The @ must start the text or follow a character that cannot be in a
 * username (so e-mail addresses do not open the list).
 */
export function mentionQuery(text, caret) {
  const s = String(text || '');
  const end = Math.min(Math.max(0, caret ?? s.length), s.length);
  for (let i = end - 1; i >= 0 && end - i <= QUERY_MAX + 1; i--) {
    const c = s[i];
    if (c === '@') {
      if (i > 0 && NAME_CHAR.test(s[i - 1])) return null;
      return { start: i, query: s.slice(i + 1, end) };
    }
    if (/\s/.test(c)) return null;
  }
  return null;
}

/**
 * Members matching `query` (a prefix of the username, of the display name or
 * of one of its words; case-insensitive), best first, at most `limit`.
 * `people`: [{ username, display_name, online }]; `me` is left out; with
 * `allowRoom`, `@room` is offered too (as { username: 'room', room: true }).
 */
export function matchMembers(people, query, { me = '', allowRoom = false, limit = SUGGESTIONS_MAX } = {}) {
  const q = String(query || '').toLowerCase();
  const ranked = [];
  for (const p of people) {
    if (!p || p.username === me) continue;
    const rank = matchRank(p, q);
    if (rank >= 0) ranked.push({ p, rank });
  }
  ranked.sort((a, b) => a.rank - b.rank || Number(!!b.p.online) - Number(!!a.p.online)
    || label(a.p).localeCompare(label(b.p)) || a.p.username.localeCompare(b.p.username));
  const out = ranked.slice(0, limit).map((x) => x.p);
  if (allowRoom && ROOM_WORD.startsWith(q)) {
    const item = { username: ROOM_WORD, display_name: 'Everyone in this room', room: true };
    // An exact "@room" goes first; otherwise it waits after the people.
    if (q === ROOM_WORD) out.unshift(item); else out.push(item);
    if (out.length > limit) out.splice(q === ROOM_WORD ? limit : limit - 1, 1);
  }
  return out;
}

const label = (p) => p.display_name || p.username;

/** 0: username prefix, 1: display name prefix, 2: a later word of it; -1: no match. */
function matchRank(p, q) {
  if (p.username.toLowerCase().startsWith(q)) return 0;
  const name = String(p.display_name || '').toLowerCase();
  if (!name) return -1;
  if (name.startsWith(q)) return 1;
  if (q && name.split(/[\s\-_.]+/).some((w) => w.startsWith(q))) return 2;
  return -1;
}

/**
 * `text` with the `@partial` from `start` to `caret` replaced by `@username `;
 * returns { text, caret } with the caret after the space (an existing space
 * after the caret is reused, not doubled).
 */
export function insertMention(text, start, caret, username) {
  const before = text.slice(0, start);
  const after = text.slice(caret);
  const word = `@${username}`;
  if (/^\s/.test(after)) return { text: before + word + after, caret: before.length + word.length + 1 };
  return { text: `${before}${word} ${after}`, caret: before.length + word.length + 1 };
}
