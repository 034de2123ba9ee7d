// Builds the message log's DOM: day separators, author grouping, avatars,
// reply quotes, "edited" markers, tombstones, reaction chips, the highlight
// of messages that mention me, and pending (sending/failed) messages. All
// user text goes through textContent.

import { h, icon } from './dom.js';
import { formatText, preview } from './format.js';
import { displayName, avatarUrl } from './profiles.js';
import { attachmentList, pendingFiles, pendingStatus } from './attachments.js';
import { attachmentSummary } from './files.js';
import { mentionsMe } from './mentions.js';

const GROUP_MS = 5 * 60 * 1000;
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });

export function dayKey(ts) {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function dayLabel(ts) {
  const d = new Date(ts);
  const now = new Date();
  if (dayKey(ts) === dayKey(now.getTime())) return 'Today';
  if (dayKey(ts) === dayKey(now.getTime() - 86_400_000)) return 'Yesterday';
  return d.getFullYear() === now.getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
}

export function timeLabel(ts) { return timeFmt.format(new Date(ts)); }

/** "8:13" without AM/PM, for the narrow gutter of grouped messages. */
function shortTime(ts) {
  return timeFmt.formatToParts(new Date(ts)).filter((p) => p.type !== 'dayPeriod').map((p) => p.value).join('').trim();
}

function timeEl(ts, cls = 'msg-time', short = false) {
  const d = new Date(ts);
  return h('time', { class: cls, datetime: d.toISOString(), title: fullFmt.format(d) }, short ? shortTime(ts) : timeLabel(ts));
}

/** Does `m` continue the group started by `prev` (same author, close in time)? */
export function continues(prev, m) {
  return !!prev && prev.author === m.author && !m.reply_to && m.ts - prev.ts < GROUP_MS
    && dayKey(prev.ts) === dayKey(m.ts);
}

/** A day separator line. */
export function daySeparator(ts) {
  return h('div', { class: 'day-sep', data: { day: dayKey(ts) } }, h('span', {}, dayLabel(ts)));
}

function avatarButton(user) {
  return h('button', { type: 'button', class: 'avatar-btn', data: { profile: user }, aria: { label: `Profile of ${displayName(user)}` }, tabindex: '-1' },
    h('img', { class: 'avatar', alt: '', width: 36, height: 36, loading: 'lazy', decoding: 'async', src: avatarUrl(user), data: { user } }));
}

function authorButton(user, me) {
  return h('button', { type: 'button', class: user === me ? 'author author-me' : 'author', data: { profile: user, user } }, displayName(user));
}

function replyQuote(m, ctx) {
  const target = ctx.lookup(m.reply_to);
  const who = target ? displayName(target.author) : '';
  const text = !target ? 'an earlier message' : target.deleted ? 'message deleted' : preview(target.text, 90) || attachmentSummary(target.attachments);
  return h('button', { type: 'button', class: 'reply-quote', data: { jump: m.reply_to }, aria: { label: `In reply to ${who ? `${who}: ` : ''}${text}. Show it.` } },
    icon('reply', 14), who ? h('strong', { class: 'name-ref', data: { user: target.author } }, who) : null, h('span', {}, text));
}

function reactionChips(m, me) {
  const entries = Object.entries(m.reactions || {}).filter(([, users]) => users.length);
  if (!entries.length || m.deleted) return null;
  const wrap = h('div', { class: 'reactions' });
  for (const [emoji, users] of entries) {
    const mine = users.includes(me);
    const names = users.map((u) => (u === me ? 'you' : displayName(u))).join(', ');
    wrap.appendChild(h('button', {
      type: 'button', class: mine ? 'chip chip-mine' : 'chip', data: { emoji },
      aria: { pressed: mine, label: `${emoji} ${users.length}, reacted by ${names}` }, title: `Reacted by ${names}`,
    }, h('span', { class: 'chip-emoji' }, emoji), h('span', { class: 'chip-count' }, String(users.length))));
  }
  return wrap;
}

function body(m, ctx) {
  if (m.deleted) return h('div', { class: 'msg-text deleted' }, 'message deleted');
  if (ctx.collapsed?.(m)) {
    return h('div', { class: 'msg-text blocked-msg' }, h('span', {}, 'Blocked message'), ' · ',
      h('button', { type: 'button', class: 'link-btn', data: { reveal: m.seq } }, 'Show'));
  }
  const text = h('div', { class: 'msg-text' });
  text.appendChild(formatText(m.text, ctx.me));
  if (m.edited_at) text.appendChild(h('span', { class: 'edited', title: `Edited ${fullFmt.format(new Date(m.edited_at))}` }, ' (edited)'));
  return text;
}

/** One stored message. `prev` is the message shown just before it (or null). */
export function messageNode(m, prev, ctx) {
  const cont = continues(prev, m);
  // A blocked person's message stays collapsed, so it is not singled out either.
  const mentioned = mentionsMe(m, ctx.me) && !ctx.collapsed?.(m);
  const el = h('div', {
    class: `msg${cont ? ' cont' : ''}${m.author === ctx.me ? ' mine' : ''}${m.deleted ? ' is-deleted' : ''}${mentioned ? ' mentioned' : ''}`,
    data: { seq: m.seq, author: m.author }, tabindex: '-1',
  });
  if (cont) {
    el.appendChild(h('div', { class: 'gutter' }, timeEl(m.ts, 'msg-time hover-time', true)));
  } else {
    el.appendChild(h('div', { class: 'gutter' }, avatarButton(m.author)));
  }
  const main = h('div', { class: 'msg-main' });
  if (mentioned) main.appendChild(h('span', { class: 'sr-only' }, 'Mentions you. '));
  if (!cont) main.appendChild(h('div', { class: 'msg-head' }, authorButton(m.author, ctx.me), timeEl(m.ts)));
  if (m.reply_to && !m.deleted) main.appendChild(replyQuote(m, ctx));
  const hidden = !m.deleted && ctx.collapsed?.(m); // a blocked person's files stay hidden with the text
  if (m.text || m.deleted || hidden || !m.attachments?.length) main.appendChild(body(m, ctx));
  const files = hidden ? null : attachmentList(m);
  if (files) main.appendChild(files);
  const chips = reactionChips(m, ctx.me);
  if (chips) main.appendChild(chips);
  el.appendChild(main);
  // Controls inside a message join the tab order only while that message is
  // active (arrow keys move between messages), so Tab does not walk the history.
  for (const c of el.querySelectorAll('a, button')) c.tabIndex = -1;
  return el;
}

/**
 * Renders `list` (ascending) into one DocumentFragment, with day separators.
 * `prev` is the message already shown before the first one (or null).
 */
export function renderMessages(list, prev, ctx) {
  const frag = document.createDocumentFragment();
  let p = prev;
  for (const m of list) {
    if (!p || dayKey(p.ts) !== dayKey(m.ts)) frag.appendChild(daySeparator(m.ts));
    frag.appendChild(messageNode(m, p, ctx));
    p = m;
  }
  return frag;
}

/** A message of ours the server has not stored yet. */
export function pendingNode(p, ctx) {
  const failed = p.state === 'failed';
  const el = h('div', { class: `msg pending${failed ? ' failed' : ''}`, data: { client: p.client_id }, tabindex: '-1' });
  el.appendChild(h('div', { class: 'gutter' }, avatarButton(ctx.me)));
  const main = h('div', { class: 'msg-main' },
    h('div', { class: 'msg-head' }, authorButton(ctx.me, ctx.me)));
  if (p.reply_to) main.appendChild(replyQuote(p, ctx));
  const text = h('div', { class: 'msg-text' });
  text.appendChild(formatText(p.text, ctx.me));
  if (p.text || !p.files?.length) main.appendChild(text);
  const files = pendingFiles(p);
  if (files) main.appendChild(files);
  if (failed) {
    main.appendChild(h('div', { class: 'pending-state failed-state', role: 'alert' },
      icon('alert', 14), h('span', {}, `Not sent: ${p.error || 'the message could not be sent.'}`),
      h('button', { type: 'button', class: 'link-btn', data: { retry: p.client_id } }, 'Retry'),
      h('button', { type: 'button', class: 'link-btn', data: { discard: p.client_id } }, 'Discard')));
  } else {
    main.appendChild(h('div', { class: 'pending-state' }, icon('clock', 14), h('span', {}, pendingStatus(p))));
  }
  el.appendChild(main);
  return el;
}
