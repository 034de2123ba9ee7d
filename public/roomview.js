// The open room, composed of its parts: the header (roomheader.js), the
// connection banner, the message log (roomlog.js) with the shared message
// toolbar (roomtoolbar.js), the typing line, the composer and the member
// panel. It routes the store's changes to the parts, handles clicks on
// names, reactions, quotes and pending messages, and opens the room at a
// given message (from a notification).

import { h, clear, icon, iconButton } from './dom.js';
import { createComposer } from './composer.js';
import { createMemberPanel } from './members.js';
import { openProfile } from './profile.js';
import { openMemberMenu, memberActions, isAdmin } from './admin.js';
import { displayName, avatarUrl } from './profiles.js';
import { isDm, peerOf, dmLabel, isBlocked, personActions, unblockUser } from './dms.js';
import { on, state } from './state.js';
import { createRoomHeader } from './roomheader.js';
import { createRoomLog } from './roomlog.js';
import { createToolbar } from './roomtoolbar.js';
import { enableDrop } from './attach.js';
import { updateProgress } from './attachments.js';
import { offerNotifications } from './pushprompt.js';
import {
  roomEntry, wantHistory, loadOlder, sendMessage, editMessage, react, sendTyping, retryPending, discardPending, ensureConnected, cancelUpload,
} from './rooms.js';

const WIDE_PX = 1100;
const JUMP_PAGES_MAX = 40; // how far back "open at message" pages (50 each) before giving up
const JUMP_WAIT_MS = 20_000;
const STATUS_TEXT = {
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'You are offline. Messages you send will go out when the connection returns.',
};

/** Renders room `name` into `main`; returns { destroy }. */
export function showRoom(main, name, { navigate, openDrawer }) {
  ensureConnected(name);
  const r = roomEntry(name);
  const store = r.store;
  const me = state.me.username;
  const offs = [];
  // Messages of people the viewer blocked stay collapsed in shared rooms
  // until "Show" (never in a DM, whose composer says so instead).
  const revealed = new Set();
  const ctx = {
    me, lookup: (seq) => store.messages.get(seq),
    collapsed: (m) => !isDm(store.room) && isBlocked(m.author) && !revealed.has(m.seq),
  };
  const composerLabel = () => (isDm(store.room) ? `Message ${dmLabel(store)}` : `Message #${name}`);

  const header = createRoomHeader({ name, store, navigate, openDrawer });
  const typing = h('div', { class: 'typing', aria: { live: 'off' } });
  const banner = h('div', { class: 'conn-banner', role: 'status', hidden: true });
  const composer = createComposer({
    roomName: name,
    label: composerLabel(),
    onSend: (text, replyTo, files) => {
      sendMessage(name, text, replyTo, files);
      requestAnimationFrame(log.scrollToBottom);
      offerNotifications(); // once, and only after a first message: never on page load
    },
    onEdit: (seq, text) => editMessage(name, seq, text),
    onTyping: () => sendTyping(name),
    lastOwn: () => store.lastOwnMessage(),
    me,
    people: () => [...store.members.values()].map((m) => ({
      username: m.username, online: m.online, display_name: displayName(m.username), avatar: avatarUrl(m.username),
    })),
    // @room mentions everyone: owners and moderators only (contract section 10), never in a DM.
    allowRoom: () => !isDm(store.room) && (store.role === 'owner' || store.role === 'moderator'),
  });
  const toolbar = createToolbar({ name, store, me, onReply: (m) => composer.setReply(m), onEdit: (m) => composer.startEdit(m) });
  const log = createRoomLog({ name, store, ctx, toolbar, onJump: () => composer.focus() });
  const members = createMemberPanel({
    store, me,
    onProfile: (u) => openProfileFor(u),
    onManage: (u) => openMemberMenu(name, store, u),
  });
  const closeMembers = iconButton('x', 'Hide members', () => setMembersOpen(false), 'icon-btn small members-close');
  members.el.querySelector('.panel-head').appendChild(closeMembers);

  const section = h('section', { class: 'room', aria: { labelledby: 'room-heading' } },
    header.el, banner,
    h('div', { class: 'room-body' },
      h('div', { class: 'log-col' }, log.el, typing, composer.el),
      members.el));
  clear(main);
  main.appendChild(section);
  enableDrop(section, composer.addFiles); // files dropped anywhere on the room join the message

  // ---- the member panel: beside the log when wide, over it when narrow ----
  const { membersBtn } = header;
  const wide = () => window.innerWidth >= WIDE_PX;
  // A DM has no member panel: its header shows the other person.
  let membersOpen = localStorage.getItem('chat.members.open') !== 'false' && wide() && !isDm(store.room);
  function setMembersOpen(wanted) {
    const open = wanted && !isDm(store.room);
    membersOpen = open;
    section.classList.toggle('members-open', open);
    membersBtn.setAttribute('aria-expanded', String(open));
    if (wide() && !isDm(store.room)) localStorage.setItem('chat.members.open', String(open));
    if (open && !wide()) closeMembers.focus();
    else if (!open && members.el.contains(document.activeElement)) membersBtn.focus();
  }
  membersBtn.addEventListener('click', () => setMembersOpen(!membersOpen));
  members.el.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !wide()) setMembersOpen(false); });
  // On narrow screens the member list floats over the log: a click elsewhere closes it.
  section.addEventListener('pointerdown', (e) => {
    if (membersOpen && !wide() && !members.el.contains(e.target) && !membersBtn.contains(e.target)) setMembersOpen(false);
  });

  // ---- typing line and connection banner ----
  let typingTimer = null;
  function renderTyping() {
    const now = Date.now();
    const who = [...store.typing.entries()].filter(([u, until]) => until > now && u !== me).map(([u]) => displayName(u));
    clear(typing);
    if (who.length) {
      const text = who.length === 1 ? `${who[0]} is typing…` : who.length === 2 ? `${who[0]} and ${who[1]} are typing…` : 'Several people are typing…';
      typing.appendChild(h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')));
      typing.appendChild(h('span', {}, text));
    }
    clearTimeout(typingTimer);
    if (who.length) typingTimer = setTimeout(renderTyping, 1000);
  }

  function renderStatus() {
    const s = r.status;
    const text = s === 'ready' ? '' : STATUS_TEXT[s] || '';
    banner.textContent = text;
    banner.hidden = !text;
    banner.className = `conn-banner conn-${s}`;
  }

  // ---- what changed in the store, to the part that shows it ----
  store.listen((kind, payload) => {
    switch (kind) {
      case 'reset': log.renderAll(); tryJump(); break;
      case 'prepend': log.prepend(payload); tryJump(); break;
      case 'append': log.append(payload); tryJump(); break;
      case 'notify': header.renderNotify(); break;
      case 'update': log.update(payload); break;
      case 'pending': log.renderPending(); break;
      case 'progress': updateProgress(section, payload); break;
      case 'members': members.render(); header.render(); break;
      case 'blocked': renderBlockNotice(payload); break;
      case 'room': header.render(); if (!store.hasMore) log.renderTop(); composer.setLabel(composerLabel()); renderBlockNotice(); break;
      case 'role': header.render(); members.render(); toolbar.refresh(); break;
      case 'typing': renderTyping(); break;
      case 'ready': log.renderTop(); log.readIfLooking(); break;
      case 'older-idle': log.renderTop(); break;
      default: break;
    }
  });

  offs.push(on('status', ({ room }) => { if (room === name) renderStatus(); }));
  offs.push(on('blocks', () => { log.renderAll(); renderBlockNotice(); }));
  offs.push(on('profile', (p) => {
    const u = p.username;
    for (const el of section.querySelectorAll(`.author[data-user="${CSS.escape(u)}"], .name-ref[data-user="${CSS.escape(u)}"]`)) el.textContent = p.display_name || u;
    for (const el of section.querySelectorAll(`img.avatar[data-user="${CSS.escape(u)}"]`)) el.src = p.avatar_url || avatarUrl(u);
    if (store.members.has(u)) { members.render(); composer.refreshMentions(); } // names sort the list and label its buttons
    // A DM is shown under the other person's name.
    if (peerOf(store) === u) { header.render(); composer.setLabel(composerLabel()); renderBlockNotice(); log.renderTop(); }
  }));

  // Clicks: profiles, reaction chips, reply quotes, mentions, pending messages.
  section.addEventListener('click', (e) => {
    const t = e.target;
    const chip = t.closest('.chip');
    if (chip) {
      const m = store.messages.get(Number(chip.closest('.msg').dataset.seq));
      const emoji = chip.dataset.emoji;
      if (m) react(name, m.seq, emoji, !(m.reactions[emoji] || []).includes(me));
      return;
    }
    const prof = t.closest('[data-profile]');
    if (prof && !members.el.contains(prof)) { openProfileFor(prof.dataset.profile); return; }
    const mention = t.closest('.mention');
    if (mention) { openProfileFor(mention.dataset.user); return; }
    const quote = t.closest('.reply-quote');
    if (quote) { log.jumpTo(Number(quote.dataset.jump)); return; }
    const reveal = t.closest('[data-reveal]');
    if (reveal) {
      const m = store.messages.get(Number(reveal.dataset.reveal));
      if (m) { revealed.add(m.seq); log.update(m); }
      return;
    }
    const unblock = t.closest('[data-unblock]');
    if (unblock) { unblockUser(unblock.dataset.unblock); return; }
    const retry = t.closest('[data-retry]');
    if (retry) { retryPending(name, retry.dataset.retry); return; }
    const cancel = t.closest('[data-cancel-upload]');
    if (cancel) { cancelUpload(name, cancel.dataset.cancelUpload); return; }
    const discard = t.closest('[data-discard]');
    if (discard) discardPending(name, discard.dataset.discard);
  });

  function openProfileFor(u) {
    openProfile(u, (close) => [
      ...personActions(u, close),
      ...(isAdmin(store.role) && store.members.has(u) && !isDm(store.room) ? memberActions(name, store, u, close) : []),
    ]);
  }

  // ---- a DM under a block: the composer says why nothing can be sent ----
  const blockNotice = h('div', { class: 'block-notice', role: 'status', hidden: true });
  composer.el.before(blockNotice);
  let refusedByPeer = false;
  function renderBlockNotice(refused) {
    if (refused) refusedByPeer = true;
    const peer = peerOf(store);
    clear(blockNotice);
    if (!peer) { blockNotice.hidden = true; return; }
    if (isBlocked(peer)) {
      blockNotice.append(h('span', {}, `You blocked ${displayName(peer)}. Unblock them to send messages.`), ' ',
        h('button', { type: 'button', class: 'link-btn', data: { unblock: peer } }, 'Unblock'));
    } else if (refusedByPeer) {
      blockNotice.append(h('span', {}, `You can't send messages to ${displayName(peer)}.`));
    }
    blockNotice.hidden = !blockNotice.childNodes.length;
  }

  // ---- opening at a message: wait for it to load, paging back if needed ----
  let jump = null; // { seq, pages, until }
  function tryJump() {
    if (!jump) return;
    if (Date.now() > jump.until) { jump = null; return; }
    if (!store.loaded) return;
    if (store.messages.has(jump.seq)) {
      const seq = jump.seq;
      jump = null;
      requestAnimationFrame(() => log.jumpTo(seq));
      return;
    }
    const first = store.order[0];
    if (first !== undefined && jump.seq < first && store.hasMore && jump.pages < JUMP_PAGES_MAX) {
      if (loadOlder(name)) { jump.pages++; log.renderTop(); }
      return;
    }
    // Newer than what we have: it may still arrive (tryJump runs on append).
    if (jump.seq > store.newestSeq() && jump.seq <= Math.max(store.lastSeq, store.room.last_seq || 0) + 1) return;
    jump = null;
    log.jumpTo(-1); // says, in a sentence, that it is further back
  }
  function openAt(seq) {
    jump = { seq, pages: 0, until: Date.now() + JUMP_WAIT_MS };
    tryJump();
  }

  // ---- start ----
  header.render();
  renderBlockNotice();
  renderStatus();
  setMembersOpen(membersOpen);
  if (store.loaded) log.renderAll(); else { log.renderTop(); log.renderPending(); wantHistory(name); }
  renderTyping();
  if (window.matchMedia('(pointer: fine)').matches) composer.focus();

  return {
    name,
    openAt,
    destroy() {
      store.listen(null);
      offs.forEach((f) => f());
      log.destroy();
      clearTimeout(typingTimer);
    },
  };
}

/** The page for a room the person is not a member of (yet): join, or why not. */
export function showRoomPreview(main, name, { info, error, onJoin, openDrawer }) {
  clear(main);
  const body = h('div', { class: 'empty-state' });
  const head = h('header', { class: 'room-head' },
    h('button', { type: 'button', class: 'icon-btn drawer-btn', id: 'open-drawer', aria: { label: 'Open the room list', controls: 'sidebar' }, onclick: openDrawer }, icon('menu')),
    h('div', { class: 'room-id' }, h('h1', { class: 'room-name' }, icon('hash', 20), h('span', { class: 'room-title-text' }, info?.title || name))));
  const joinBtn = h('button', { type: 'button', class: 'btn btn-primary' }, `Join #${name}`);
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  joinBtn.addEventListener('click', async () => {
    joinBtn.disabled = true;
    try { await onJoin(); } catch (ex) { err.textContent = ex.message; err.hidden = false; joinBtn.disabled = false; }
  });
  if (info) {
    body.append(h('div', { class: 'room-start-icon', 'aria-hidden': 'true' }, icon('hash', 28)),
      h('h2', {}, info.title || name),
      info.topic ? h('p', {}, info.topic) : null,
      h('p', { class: 'muted' }, `${info.member_count} member${info.member_count === 1 ? '' : 's'} · ${info.visibility === 'private' ? 'private room: you are invited' : 'public room'}`),
      joinBtn, err);
  } else if (error?.code === 'forbidden') {
    body.append(h('div', { class: 'room-start-icon', 'aria-hidden': 'true' }, icon('lock', 28)),
      h('h2', {}, `#${name} is private`),
      h('p', { class: 'muted' }, 'If someone invited you, you can join it now.'), joinBtn, err);
  } else {
    body.append(h('div', { class: 'room-start-icon', 'aria-hidden': 'true' }, icon('info', 28)),
      h('h2', {}, error?.code === 'banned' ? `You are banned from #${name}` : `#${name} is not available`),
      h('p', { class: 'muted' }, error?.code === 'banned' ? 'A moderator has banned you from this room.' : error?.message || 'There is no room with that name, or it is private.'));
  }
  main.append(h('section', { class: 'room room-preview', aria: { label: `#${name}` } }, head, body));
  const focusTarget = body.querySelector('button');
  if (focusTarget) focusTarget.focus();
}
