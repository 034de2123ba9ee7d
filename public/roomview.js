// The open room: header (title, topic, member toggle, settings), the message
// log (role="log"), loading older pages without jumps, the "new messages" jump
// button, typing line, connection banner, message actions and the composer.

import { h, clear, icon, iconButton, toast } from './dom.js';
import { renderMessages, messageNode, pendingNode } from './render.js';
import { createComposer } from './composer.js';
import { createMemberPanel } from './members.js';
import { pickEmoji } from './emoji.js';
import { confirmDialog } from './dialogs.js';
import { openProfile } from './profile.js';
import { openRoomSettings, openMemberMenu, memberActions, isAdmin } from './admin.js';
import { displayName, avatarUrl } from './profiles.js';
import { on, state } from './state.js';
import {
  roomEntry, wantHistory, loadOlder, sendMessage, editMessage, deleteMessage, react,
  sendTyping, markRead, retryPending, discardPending, setReadingCheck, ensureConnected,
} from './rooms.js';

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 400;
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
  const ctx = { me, lookup: (seq) => store.messages.get(seq) };

  // ---- header ----
  const titleText = h('span', { class: 'room-title-text' });
  const titleIcon = h('span', { class: 'room-title-icon' });
  const topic = h('p', { class: 'room-topic' });
  const memberCount = h('span', { class: 'count' });
  const membersBtn = h('button', { type: 'button', class: 'icon-btn with-count', aria: { controls: 'members-panel', expanded: 'false', label: 'Show members' }, title: 'Members' }, icon('users'), memberCount);
  const settingsBtn = iconButton('settings', 'Room settings', () => openRoomSettings(name, store, { navigate }));
  const infoBtn = iconButton('info', 'About this room', () => openRoomSettings(name, store, { navigate }));
  const head = h('header', { class: 'room-head' },
    h('button', { type: 'button', class: 'icon-btn drawer-btn', id: 'open-drawer', aria: { label: 'Open the room list', controls: 'sidebar' }, title: 'Rooms', onclick: openDrawer }, icon('menu')),
    h('div', { class: 'room-id' }, h('h1', { class: 'room-name', id: 'room-heading' }, titleIcon, titleText), topic),
    h('div', { class: 'head-actions' }, membersBtn, settingsBtn, infoBtn));

  // ---- log ----
  const top = h('div', { class: 'log-top' });
  const list = h('div', { class: 'msgs' });
  const pendingList = h('div', { class: 'pending-list' });
  const logHelp = h('p', { class: 'sr-only', id: `log-help-${name}` }, 'Use the up and down arrow keys to move between messages, then Tab to reach their actions.');
  const log = h('div', { class: 'log', role: 'log', aria: { live: 'polite', label: `Messages in #${name}`, relevant: 'additions', describedby: logHelp.id }, tabindex: '0' }, logHelp, top, list, pendingList);
  const jump = h('button', { type: 'button', class: 'jump-btn', hidden: true }, icon('down', 16), h('span', {}, 'Jump to latest'));
  const typing = h('div', { class: 'typing', aria: { live: 'off' } });
  const banner = h('div', { class: 'conn-banner', role: 'status', hidden: true });
  const composer = createComposer({
    roomName: name,
    label: `Message #${name}`,
    onSend: (text, replyTo) => { sendMessage(name, text, replyTo); requestAnimationFrame(scrollToBottom); },
    onEdit: (seq, text) => editMessage(name, seq, text),
    onTyping: () => sendTyping(name),
    lastOwn: () => store.lastOwnMessage(),
  });
  const members = createMemberPanel({
    store, me,
    onProfile: (u) => openProfileFor(u),
    onManage: (u) => openMemberMenu(name, store, u),
  });
  const closeMembers = iconButton('x', 'Hide members', () => setMembersOpen(false), 'icon-btn small members-close');
  members.el.querySelector('.panel-head').appendChild(closeMembers);

  const toolbar = buildToolbar();
  const section = h('section', { class: 'room', aria: { labelledby: 'room-heading' } },
    head, banner,
    h('div', { class: 'room-body' },
      h('div', { class: 'log-col' }, h('div', { class: 'log-wrap' }, log, jump), typing, composer.el),
      members.el));
  clear(main);
  main.appendChild(section);

  // ---- header state ----
  function renderHead() {
    const room = store.room;
    titleText.textContent = room.title || name;
    clear(titleIcon).appendChild(icon(room.visibility === 'private' ? 'lock' : 'hash', 20));
    topic.textContent = room.topic || '';
    topic.hidden = !room.topic;
    const count = store.members.size || room.member_count || 0;
    memberCount.textContent = count ? String(count) : '';
    membersBtn.setAttribute('aria-label', `Members${count ? ` (${count})` : ''}`);
    settingsBtn.hidden = !isAdmin(store.role);
    infoBtn.hidden = isAdmin(store.role);
  }

  let membersOpen = localStorage.getItem('chat.members.open') !== 'false' && window.innerWidth >= 1100;
  function setMembersOpen(open) {
    membersOpen = open;
    section.classList.toggle('members-open', open);
    membersBtn.setAttribute('aria-expanded', String(open));
    if (window.innerWidth >= 1100) localStorage.setItem('chat.members.open', String(open));
    if (open && window.innerWidth < 1100) closeMembers.focus();
    else if (!open && members.el.contains(document.activeElement)) membersBtn.focus();
  }
  membersBtn.addEventListener('click', () => setMembersOpen(!membersOpen));
  members.el.addEventListener('keydown', (e) => { if (e.key === 'Escape' && window.innerWidth < 1100) setMembersOpen(false); });
  // On narrow screens the member list floats over the log: a click elsewhere closes it.
  section.addEventListener('pointerdown', (e) => {
    if (membersOpen && window.innerWidth < 1100 && !members.el.contains(e.target) && !membersBtn.contains(e.target)) setMembersOpen(false);
  });

  // ---- scrolling ----
  const atBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
  function setJump(show, fresh = false) {
    jump.hidden = !show;
    jump.classList.toggle('has-new', fresh);
    jump.lastChild.textContent = fresh ? 'New messages' : 'Jump to latest';
  }
  function scrollToBottom() { log.scrollTop = log.scrollHeight; setJump(false); }
  const reading = () => state.current === name && document.visibilityState === 'visible' && document.hasFocus() && atBottom();
  setReadingCheck(reading);
  function readIfLooking() {
    if (store.loaded && reading()) markRead(name, Math.max(store.lastSeq, store.newestSeq(), store.room.last_seq || 0));
  }

  let scrollRaf = 0;
  log.addEventListener('scroll', () => {
    if (scrollRaf) return;
    scrollRaf = requestAnimationFrame(() => {
      scrollRaf = 0;
      if (atBottom()) { setJump(false); readIfLooking(); } else if (jump.hidden && log.scrollHeight - log.scrollTop - log.clientHeight > 600) setJump(true);
      if (log.scrollTop < NEAR_TOP_PX) older();
    });
  });
  jump.addEventListener('click', () => { scrollToBottom(); readIfLooking(); composer.focus(); });
  const onFocus = () => readIfLooking();
  window.addEventListener('focus', onFocus);
  document.addEventListener('visibilitychange', onFocus);

  function older() {
    if (!store.loaded || !store.hasMore || store.loadingOlder) return;
    if (loadOlder(name)) renderTop();
  }

  function renderTop() {
    clear(top);
    if (!store.loaded) top.appendChild(h('div', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading messages…'));
    else if (store.loadingOlder) top.appendChild(h('div', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading older messages…'));
    else if (!store.hasMore) {
      const room = store.room;
      top.appendChild(h('div', { class: 'room-start' },
        h('div', { class: 'room-start-icon', 'aria-hidden': 'true' }, icon(room.visibility === 'private' ? 'lock' : 'hash', 28)),
        h('p', { class: 'room-start-title' }, `Welcome to #${room.title || name}`),
        h('p', { class: 'muted' }, `This is the very beginning of #${name}.${room.topic ? ` ${room.topic}` : ''}`)));
    }
  }

  // ---- rendering messages ----
  const msgs = () => store.order.map((s) => store.messages.get(s));

  function renderAll() {
    log.setAttribute('aria-busy', 'true');
    const t0 = performance.now();
    clear(list);
    list.appendChild(renderMessages(msgs(), null, ctx));
    renderPending();
    renderTop();
    scrollToBottom();
    log.removeAttribute('aria-busy');
    window.__lastRenderMs = performance.now() - t0; // read by the 1,000-message browser test
    readIfLooking();
    // Fill a tall screen: keep loading while there is no scrollbar yet.
    if (log.scrollHeight <= log.clientHeight + 10) older();
  }

  function prepend(added) {
    log.setAttribute('aria-busy', 'true');
    if (added.length) {
      const oldFirstSeq = store.order[added.length];
      const oldFirst = oldFirstSeq !== undefined ? store.messages.get(oldFirstSeq) : null;
      const beforeHeight = log.scrollHeight;
      const beforeTop = log.scrollTop;
      // Re-render the old first message too: its grouping and day separator may change.
      const firstNode = list.querySelector('.msg');
      if (firstNode) {
        const sep = firstNode.previousElementSibling;
        if (sep && sep.classList.contains('day-sep')) sep.remove();
        if (toolbar.parentElement === firstNode) toolbar.remove();
        if (active === firstNode) activate(null);
        firstNode.remove();
      }
      const frag = renderMessages(oldFirst ? [...added, oldFirst] : added, null, ctx);
      list.insertBefore(frag, list.firstChild);
      renderTop();
      log.scrollTop = beforeTop + (log.scrollHeight - beforeHeight);
    } else {
      renderTop();
    }
    log.removeAttribute('aria-busy');
    if (log.scrollHeight <= log.clientHeight + 10) older();
  }

  function append(m) {
    const stick = atBottom() || m.author === me;
    const prevSeq = store.order[store.order.length - 2];
    const prev = prevSeq !== undefined ? store.messages.get(prevSeq) : null;
    list.appendChild(renderMessages([m], prev, ctx));
    if (stick) scrollToBottom();
    else setJump(true, true);
    readIfLooking();
  }

  function replaceNode(m) {
    const node = list.querySelector(`.msg[data-seq="${m.seq}"]`);
    if (!node) return;
    const i = store.order.indexOf(m.seq);
    const prev = i > 0 ? store.messages.get(store.order[i - 1]) : null;
    const next = messageNode(m, prev, ctx);
    const hadToolbar = toolbar.parentElement === node;
    const focusEl = document.activeElement;
    const hadFocus = node.contains(focusEl);
    const wasActive = active === node;
    node.replaceWith(next);
    if (wasActive) { active = null; activate(next); }
    if (hadToolbar) attachToolbar(next);
    if (hadFocus) (toolbar.contains(focusEl) ? focusEl : next).focus({ preventScroll: true });
  }

  function update(m) {
    const stick = atBottom();
    replaceNode(m);
    // Replies quoting this message show its new text.
    for (const q of list.querySelectorAll(`.reply-quote[data-jump="${m.seq}"]`)) {
      const host = q.closest('.msg');
      const msg = host && store.messages.get(Number(host.dataset.seq));
      if (msg) replaceNode(msg);
    }
    if (stick) scrollToBottom();
  }

  function renderPending() {
    const stick = atBottom();
    clear(pendingList);
    for (const p of store.pending) if (p.state !== 'stored' || !store.messages.has(p.seq)) pendingList.appendChild(pendingNode(p, ctx));
    if (stick) scrollToBottom();
  }

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

  store.listen((kind, payload) => {
    switch (kind) {
      case 'reset': renderAll(); break;
      case 'prepend': prepend(payload); break;
      case 'append': append(payload); break;
      case 'update': update(payload); break;
      case 'pending': renderPending(); break;
      case 'members': members.render(); renderHead(); break;
      case 'room': renderHead(); if (!store.hasMore) renderTop(); composer.setLabel(`Message #${name}`); break;
      case 'role': renderHead(); members.render(); if (toolbar.parentElement) attachToolbar(toolbar.parentElement); break;
      case 'typing': renderTyping(); break;
      case 'ready': renderTop(); readIfLooking(); break;
      case 'older-idle': renderTop(); break;
      default: break;
    }
  });

  offs.push(on('status', ({ room }) => { if (room === name) renderStatus(); }));
  offs.push(on('profile', (p) => {
    const u = p.username;
    for (const el of section.querySelectorAll(`.author[data-user="${CSS.escape(u)}"], .name-ref[data-user="${CSS.escape(u)}"]`)) el.textContent = p.display_name || u;
    for (const el of section.querySelectorAll(`img.avatar[data-user="${CSS.escape(u)}"]`)) el.src = p.avatar_url || avatarUrl(u);
    if (store.members.has(u)) members.render(); // names sort the list and label its buttons
  }));

  // ---- message actions (one shared toolbar moves to the message in use) ----
  function buildToolbar() {
    const bar = h('div', { class: 'msg-toolbar', role: 'toolbar', aria: { label: 'Message actions' } },
      iconButton('smile', 'Add reaction', () => act('react')),
      iconButton('reply', 'Reply', () => act('reply')),
      iconButton('edit', 'Edit', () => act('edit')),
      iconButton('trash', 'Delete', () => act('delete')));
    return bar;
  }
  function targetMsg() {
    const host = toolbar.closest('.msg');
    return host ? store.messages.get(Number(host.dataset.seq)) : null;
  }
  function attachToolbar(node) {
    const m = store.messages.get(Number(node.dataset.seq));
    if (!m || m.deleted) { toolbar.remove(); return; }
    const [reactB, replyB, editB, delB] = toolbar.children;
    reactB.hidden = false; replyB.hidden = false;
    editB.hidden = m.author !== me;
    delB.hidden = !(m.author === me || isAdmin(store.role));
    if (toolbar.parentElement !== node) node.appendChild(toolbar);
    for (const b of toolbar.children) b.tabIndex = node === active ? 0 : -1;
  }
  // The message whose controls are in the tab order (see render.js).
  let active = null;
  function activate(node) {
    if (active === node) return;
    if (active) {
      active.classList.remove('active');
      for (const c of active.querySelectorAll('a, button')) c.tabIndex = -1;
    }
    active = node && node.isConnected ? node : null;
    if (active) {
      active.classList.add('active');
      for (const c of active.querySelectorAll('a, button')) c.tabIndex = 0;
    }
  }
  log.addEventListener('focusout', (e) => { if (!log.contains(e.relatedTarget)) activate(null); });
  log.addEventListener('focusin', (e) => { if (e.target === log) activate(null); });
  async function act(kind) {
    const m = targetMsg();
    if (!m) return;
    if (kind === 'reply') composer.setReply(m);
    else if (kind === 'edit') composer.startEdit(m);
    else if (kind === 'react') {
      const host = toolbar.parentElement;
      host.classList.add('picking');
      const emoji = await pickEmoji(toolbar.children[0]);
      host.classList.remove('picking');
      if (emoji) react(name, m.seq, emoji, !(m.reactions[emoji] || []).includes(me));
    } else if (kind === 'delete') {
      const ok = await confirmDialog({ title: 'Delete message?', text: 'This message will be deleted for everyone. This cannot be undone.', confirmLabel: 'Delete', danger: true });
      if (ok) deleteMessage(name, m.seq);
    }
  }
  list.addEventListener('mouseover', (e) => {
    const node = e.target.closest('.msg');
    if (node && toolbar.parentElement !== node && !toolbar.contains(document.activeElement)) attachToolbar(node);
  });
  list.addEventListener('focusin', (e) => {
    const node = e.target.closest('.msg');
    if (!node) return;
    activate(node);
    attachToolbar(node);
  });

  // Clicks: profiles, reaction chips, reply quotes, mentions.
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
    if (quote) { jumpTo(Number(quote.dataset.jump)); return; }
    const retry = t.closest('[data-retry]');
    if (retry) { retryPending(name, retry.dataset.retry); return; }
    const discard = t.closest('[data-discard]');
    if (discard) discardPending(name, discard.dataset.discard);
  });

  function jumpTo(seq) {
    const node = list.querySelector(`.msg[data-seq="${seq}"]`);
    if (!node) { toast('That message is further back in the history. Scroll up to load it.'); return; }
    node.scrollIntoView({ block: 'center', behavior: 'smooth' });
    node.classList.add('flash');
    setTimeout(() => node.classList.remove('flash'), 1600);
    node.focus({ preventScroll: true });
  }

  function openProfileFor(u) {
    openProfile(u, (close) => (isAdmin(store.role) && store.members.has(u) ? memberActions(name, store, u, close) : []));
  }

  // Keyboard: arrows move between messages inside the log.
  log.addEventListener('keydown', (e) => {
    if (!['ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) return;
    if (e.target.closest('.msg-toolbar')) return;
    const nodes = [...list.querySelectorAll('.msg'), ...pendingList.querySelectorAll('.msg')];
    if (!nodes.length) return;
    const cur = e.target.closest('.msg');
    let i = cur ? nodes.indexOf(cur) : nodes.length;
    if (e.key === 'ArrowUp') i = Math.max(0, i - 1);
    else if (e.key === 'ArrowDown') i = Math.min(nodes.length - 1, i + 1);
    else if (e.key === 'Home') i = 0;
    else i = nodes.length - 1;
    e.preventDefault();
    nodes[i].focus();
  });

  // ---- start ----
  renderHead();
  renderStatus();
  setMembersOpen(membersOpen);
  if (store.loaded) renderAll(); else { renderTop(); renderPending(); wantHistory(name); }
  renderTyping();
  if (window.matchMedia('(pointer: fine)').matches) composer.focus();

  return {
    name,
    destroy() {
      store.listen(null);
      offs.forEach((f) => f());
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onFocus);
      clearTimeout(typingTimer);
      setReadingCheck(() => false);
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
