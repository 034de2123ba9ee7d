// The words and numbers of badges, as pure functions: the sidebar's unread
// and mention badges and the page title. Kept apart so they are tested alone.

/** "7", or "99+" past 99. */
export function countText(n) {
  return n > 99 ? '99+' : String(n);
}

/** The mention badge: "@3". */
export function mentionBadgeText(n) {
  return `@${countText(n)}`;
}

/** The screen reader's words after a room's name: ", 2 mentions, 5 unread". */
export function badgeWords(mentions, unread) {
  let s = '';
  if (mentions > 0) s += `, ${mentions} mention${mentions === 1 ? '' : 's'}`;
  if (unread > 0) s += `, ${unread} unread`;
  return s;
}

/**
 * The page title: "Chat", "(3) Chat" with unread messages, "(@1 · 3) Chat"
 * when some of them mention me (mentions first: they are what the tab is for).
 */
export function titleText(unread, mentions, app = 'Chat') {
  if (mentions > 0) return `(@${countText(mentions)} · ${countText(Math.max(unread, mentions))}) ${app}`;
  if (unread > 0) return `(${countText(unread)}) ${app}`;
  return app;
}

/** The favicon's number: up to "9", then "9+". */
export function faviconText(n) {
  return n > 9 ? '9+' : String(n);
}
