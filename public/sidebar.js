// The sidebar: the user's rooms with live unread and mention badges, the signed-in person,
// "Create a room" and "Browse rooms" (the public directory with search), and
// the drawer behaviour on narrow screens.

import { api, enc, humanError } from './api.js';
import { h, $, clear, icon, toast } from './dom.js';
import { openDialog, formError } from './dialogs.js';
import { rooms, addRoom } from './rooms.js';
import { on, state } from './state.js';
import { avatarUrl } from './profiles.js';
import { openSearch } from './search.js';
import { initDms, isDm, peerOf, dmLabel, openNewMessage } from './dms.js';
import { countText, mentionBadgeText, badgeWords } from './badges.js';
import { charCount, hasInvisible, invisibleMessage, ROOM_NAME_RE, ROOM_NAME_MIN, ROOM_NAME_MAX, ROOM_TITLE_MAX, TOPIC_MAX } from './limits.js';

let navigate = () => {};

export function initSidebar(nav) {
  navigate = nav;
  $('#create-room').addEventListener('click', openCreateRoom);
  $('#browse-rooms').addEventListener('click', openDirectory);
  $('#search-messages').addEventListener('click', () => { closeDrawer(); openSearch(); });
  $('#new-message').addEventListener('click', openNewMessage);
  initDms(nav);
  $('#close-drawer').addEventListener('click', closeDrawer);
  $('#scrim').addEventListener('click', closeDrawer);
  $('#sidebar').addEventListener('keydown', (e) => { if (e.key === 'Escape' && document.body.classList.contains('drawer-open')) closeDrawer(); });
  on('rooms', renderRooms);
  // DM entries show the other person's name, avatar and presence.
  on('profile', (p) => { if ([...rooms.values()].some((r) => peerOf(r.store) === p.username)) renderRooms(); });
  on('profile', (p) => { if (state.me && p.username === state.me.username) renderMe(); });
}

export function renderMe() {
  const me = state.me;
  if (!me) return;
  $('#me-name').textContent = me.display_name || me.username;
  $('#me-status').textContent = me.status || `@${me.username}`;
  $('#me-avatar').src = me.avatar_url || avatarUrl(me.username);
  $('#me-button').setAttribute('aria-label', `Your profile: ${me.display_name || me.username}`);
}

/** Draws the room list (sorted by title) and the DM list (by name), with unread badges. */
export function renderRooms() {
  const stores = [...rooms.values()].map((r) => r.store);
  const list = stores.filter((s) => !isDm(s.room))
    .sort((a, b) => (a.room.title || a.name).localeCompare(b.room.title || b.name));
  const dms = stores.filter((s) => isDm(s.room)).sort((a, b) => dmLabel(a).localeCompare(dmLabel(b)));
  const ul = clear($('#room-list'));
  for (const store of list) {
    const { visibility, title } = store.room;
    ul.appendChild(h('li', {}, roomLink(store, [icon(visibility === 'private' ? 'lock' : 'hash', 16), h('span', { class: 'room-title' }, title || store.name)], '')));
  }
  $('#no-rooms').hidden = list.length > 0;
  const dl = clear($('#dm-list'));
  for (const store of dms) {
    const peer = peerOf(store);
    const online = !!store.members.get(peer)?.online;
    const label = dmLabel(store);
    dl.appendChild(h('li', {}, roomLink(store, [
      h('span', { class: 'avatar-wrap' },
        h('img', { class: 'avatar', alt: '', width: 20, height: 20, src: avatarUrl(peer), data: { user: peer } }),
        h('span', { class: `presence small${online ? ' on' : ''}`, 'aria-hidden': 'true' })),
      h('span', { class: 'room-title' }, label),
      h('span', { class: 'sr-only' }, online ? ', online' : ', offline'),
    ], ' dm-link')));
  }
  $('#no-dms').hidden = dms.length > 0;
}

/** One sidebar entry: a link to the room with its mention badge ("@2") and unread badge. */
function roomLink(store, content, extraClass) {
  const { name } = store;
  const current = state.current === name;
  const unread = current ? 0 : store.unread;
  const mentions = current ? 0 : store.mentions;
  const words = badgeWords(mentions, unread);
  return h('a', {
    href: `/rooms/${name}`, class: `room-link${extraClass}${unread || mentions ? ' has-unread' : ''}`, data: { room: name },
    aria: { current: current ? 'page' : undefined },
  }, ...content,
  mentions ? h('span', { class: 'badge badge-mention', 'aria-hidden': 'true' }, mentionBadgeText(mentions)) : null,
  unread ? h('span', { class: `badge${mentions ? ' badge-quiet' : ''}`, 'aria-hidden': 'true' }, countText(unread)) : null,
  words ? h('span', { class: 'sr-only' }, words) : null);
}

/** Phone layout: the sidebar slides in over the room; the rest is inert meanwhile. */
export function openDrawer() {
  document.body.classList.add('drawer-open');
  $('#scrim').hidden = false;
  $('#main').inert = true;
  $('#close-drawer').focus();
}

export function closeDrawer() {
  $('#main').inert = false;
  if (!document.body.classList.contains('drawer-open')) return;
  document.body.classList.remove('drawer-open');
  $('#scrim').hidden = true;
  const opener = $('#open-drawer');
  if (opener) opener.focus();
}

function field(id, label, input, hint) {
  input.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { id: hintId, class: 'hint' }, hint) : null);
}

function openCreateRoom() {
  const name = h('input', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true, placeholder: 'e.g. design-team' });
  const title = h('input', { autocomplete: 'off', placeholder: 'Design team' });
  const topic = h('textarea', { rows: 2, placeholder: 'What is this room about?' });
  const pub = h('input', { type: 'radio', name: 'vis', value: 'public', id: 'vis-public', checked: true });
  const priv = h('input', { type: 'radio', name: 'vis', value: 'private', id: 'vis-private' });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create room');
  name.addEventListener('input', () => { name.value = name.value.toLowerCase().replace(/[\s_]+/g, '-'); });
  const form = h('form', { class: 'form', novalidate: true },
    field('new-room-name', 'Name', name, `The room's address: ${ROOM_NAME_MIN}–${ROOM_NAME_MAX} of a–z, 0–9 and -.`),
    field('new-room-title', 'Title (optional)', title, `Up to ${ROOM_TITLE_MAX} characters.`),
    field('new-room-topic', 'Topic (optional)', topic, `Up to ${TOPIC_MAX} characters.`),
    h('fieldset', { class: 'radio-group' }, h('legend', {}, 'Who can join'),
      h('label', { class: 'radio' }, pub, h('span', {}, h('strong', {}, 'Public'), ' — anyone can find and join it')),
      h('label', { class: 'radio' }, priv, h('span', {}, h('strong', {}, 'Private'), ' — only people you invite'))),
    err,
    h('div', { class: 'dlg-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, 'Cancel'), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = name.value.trim();
    const t = title.value.trim();
    const tp = topic.value.trim();
    if (!ROOM_NAME_RE.test(n)) { formError(err, `Room names are ${ROOM_NAME_MIN} to ${ROOM_NAME_MAX} lowercase letters, digits or hyphens, not starting or ending with a hyphen.`); name.focus(); return; }
    if (charCount(t) > ROOM_TITLE_MAX) { formError(err, `Titles are at most ${ROOM_TITLE_MAX} characters.`); title.focus(); return; }
    if (charCount(tp) > TOPIC_MAX) { formError(err, `Topics are at most ${TOPIC_MAX} characters.`); topic.focus(); return; }
    if (hasInvisible(t)) { formError(err, invisibleMessage('A title')); title.focus(); return; }
    if (hasInvisible(tp)) { formError(err, invisibleMessage('A topic')); topic.focus(); return; }
    submit.disabled = true;
    try {
      const body = { name: n, visibility: priv.checked ? 'private' : 'public' };
      if (t) body.title = t;
      if (tp) body.topic = tp;
      const room = await api('POST', '/api/rooms', { body });
      addRoom({ ...room, role: 'owner', unread: 0, read_seq: room.last_seq ?? 0 });
      d.close();
      navigate(`/rooms/${room.name}`);
    } catch (ex) {
      formError(err, humanError(ex));
    } finally {
      submit.disabled = false;
    }
  });
  const d = openDialog({ title: 'Create a room', content: form });
  name.focus();
}

function openDirectory() {
  const q = h('input', { type: 'search', id: 'dir-search', placeholder: 'Search by name or title', autocomplete: 'off' });
  const status = h('p', { class: 'muted small', role: 'status' });
  const list = h('ul', { class: 'dir-list' });
  let timer = null;
  let ticket = 0;
  async function load() {
    const mine = ++ticket;
    status.textContent = 'Searching…';
    try {
      const data = await api('GET', `/api/rooms/directory?q=${enc(q.value.trim())}`);
      if (mine !== ticket) return;
      const found = Array.isArray(data?.rooms) ? data.rooms : [];
      clear(list);
      for (const room of found) list.appendChild(dirItem(room, d));
      status.textContent = found.length ? `${found.length} room${found.length === 1 ? '' : 's'}` : (q.value.trim() ? 'No public rooms match.' : 'No public rooms yet. Create one!');
    } catch (ex) {
      if (mine === ticket) status.textContent = humanError(ex);
    }
  }
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  const d = openDialog({
    title: 'Browse rooms', className: 'dlg-wide',
    content: [h('div', { class: 'field' }, h('label', { for: 'dir-search', class: 'sr-only' }, 'Search public rooms'), q), status, list],
    onClose: () => clearTimeout(timer),
  });
  q.focus();
  load();
}

function dirItem(room, d) {
  const member = rooms.has(room.name);
  const btn = h('button', { type: 'button', class: member ? 'btn' : 'btn btn-primary', aria: { label: `${member ? 'Open' : 'Join'} #${room.name}` } }, member ? 'Open' : 'Join');
  btn.addEventListener('click', async () => {
    if (member) { d.close(); navigate(`/rooms/${room.name}`); return; }
    btn.disabled = true;
    try {
      await joinRoom(room.name);
      d.close();
      navigate(`/rooms/${room.name}`);
    } catch (ex) {
      toast(humanError(ex), 'error');
      btn.disabled = false;
    }
  });
  return h('li', { class: 'dir-item' },
    h('div', { class: 'dir-main' },
      h('div', { class: 'dir-title' }, icon('hash', 14), h('span', {}, room.title || room.name),
        room.title && room.title !== room.name ? h('span', { class: 'muted small' }, ` ${room.name}`) : null),
      room.topic ? h('p', { class: 'dir-topic' }, room.topic) : null,
      h('p', { class: 'muted small' }, `${room.member_count} member${room.member_count === 1 ? '' : 's'}`)),
    btn);
}

/** Joins a room and starts following it. */
export async function joinRoom(name) {
  const room = await api('POST', `/api/rooms/${enc(name)}/join`);
  addRoom({ ...room, unread: 0, read_seq: room.read_seq ?? room.last_seq ?? 0 });
  return room;
}
