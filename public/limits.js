// Limits from the API contract (section 7), mirrored here as named constants so
// every form checks lengths the way the server does: in Unicode code points.
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 24;
export const USERNAME_RE = /^[a-z][a-z0-9_]{2,23}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const DISPLAY_NAME_MIN = 1;
export const DISPLAY_NAME_MAX = 32;
export const BIO_MAX = 280;
export const STATUS_MAX = 64;
export const ROOM_NAME_MIN = 2;
export const ROOM_NAME_MAX = 32;
export const ROOM_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])$/;
export const ROOM_TITLE_MIN = 1;
export const ROOM_TITLE_MAX = 64;
export const TOPIC_MAX = 280;
export const MESSAGE_MAX = 4000;
export const FRAME_MAX_BYTES = 16 * 1024;
export const BODY_MAX_BYTES = 64 * 1024;
export const AVATAR_MAX_BYTES = 512 * 1024;
export const AVATAR_SIZE = 256;
export const SEND_BURST = 10;
// Edits, deletes and reactions share one bucket per user per room; history
// requests have their own (src/core/rate_limit.rs).
export const CHANGE_BURST = 20;
export const CHANGE_PER_SEC = 2;
export const HISTORY_BURST = 10;
export const HISTORY_PER_SEC = 1;
export const REACTIONS_PER_MESSAGE_MAX = 20;
export const REACTIONS_PER_USER_MAX = 10;
export const SOCKETS_PER_USER_MAX = 10;
export const HISTORY_PAGE = 50;
export const HISTORY_LIMIT_MAX = 100;
export const RESUME_WINDOW = 5000;
export const EMOJI_MAX = 8;
// Attachments (section 9): per file, per message, and the upload bucket.
export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;
export const ATTACHMENTS_PER_MESSAGE = 10;
export const ATTACHMENT_NAME_MAX = 128;

/** Length in Unicode scalar values, as the contract counts it. */
export function charCount(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// Invisible formatting characters (Unicode category Cf: bidi overrides,
// zero-width spaces, ...) are refused in names, statuses, bios, titles and
// topics, as the server does (src/core/invisible.rs): a joiner (ZWJ, ZWNJ)
// between two visible characters and tags after 🏴 stay allowed.
const FORMAT_CHAR = /\p{Cf}/u;
const VISIBLE = /^[^\p{Cf}\p{Cc}\s]$/u;
const isTag = (c) => c >= '\u{E0020}' && c <= '\u{E007F}';

/** Whether `s` holds a format character the server would refuse. */
export function hasInvisible(s) {
  const chars = [...s];
  return chars.some((c, i) => {
    if (!FORMAT_CHAR.test(c)) return false;
    if (c === '\u200D' || c === '\u200C') return !(VISIBLE.test(chars[i - 1] ?? '') && VISIBLE.test(chars[i + 1] ?? ''));
    if (isTag(c)) {
      let j = i - 1;
      while (j >= 0 && isTag(chars[j])) j--;
      return chars[j] !== '\u{1F3F4}';
    }
    return true;
  });
}

/** The sentence for a field with invisible characters. */
export const invisibleMessage = (field) => `${field} cannot contain invisible formatting characters (such as bidi overrides or zero-width spaces).`;
