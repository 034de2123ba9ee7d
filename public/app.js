// Entry point: finds out who is signed in (GET /api/me with the session
// cookie), shows the sign-in screen or the app, and routes between the home
// page and /rooms/{name} with the History API (back/forward and reloads work).
// /rooms/{name}?seq=N opens the room at message N (notifications link there).

import { api, enc, humanError, setUnauthorizedHandler } from './api.js';
import { h, $, clear, icon, toast } from './dom.js';
import { showAuth, hideAuth } from './auth.js';
import { initSidebar, renderMe, renderRooms, openDrawer, closeDrawer as shutDrawer, joinRoom } from './sidebar.js';
import { initSearch } from './search.js';
import { startRooms, stopRooms, rooms, updateTitle, addRoom, setMessageHook } from './rooms.js';
import { showRoom, showRoomPreview } from './roomview.js';
import { openProfile } from './profile.js';
import { updateProfile } from './profiles.js';
import { on, state } from './state.js';
import { clearOutbox } from './outbox.js';
import { loadBlocks } from './dms.js';
import { initNotify, onSocketMessage } from './notify.js';
import { resumePush, turnOff } from './push.js';
import { closePrompt } from './pushprompt.js';

let view = null;
let sidebarReady = false;
let routeTicket = 0;

function navigate(path, replace = false) {
  if (location.pathname !== path) history[replace ? 'replaceState' : 'pushState'](null, '', path);
  route();
}

/** Shows room `room` at message `seq` (from a notification). */
function openRoomAt(room, seq) {
  if (typeof room !== 'string' || !room) return;
  navigate(`/rooms/${encodeURIComponent(room)}${Number.isInteger(seq) && seq > 0 ? `?seq=${seq}` : ''}`);
}

async function boot() {
  initNotify(openRoomAt);
  setMessageHook(onSocketMessage);
  // A click on a push notification, while this tab is open (sw.js).
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data?.type === 'open-room' && state.me) openRoomAt(e.data.room, e.data.seq);
    });
  }
  setUnauthorizedHandler(() => signedOut('Your session has ended. Please sign in again.'));
  let me = null;
  try {
    me = await api('GET', '/api/me', { quietAuth: true });
  } catch (err) {
    $('#boot').hidden = true;
    showAuth(signedIn, err.status === 401 ? '' : humanError(err));
    return;
  }
  await signedIn(me);
}

async function signedIn(me) {
  state.me = me;
  updateProfile(me);
  hideAuth();
  $('#boot').hidden = true;
  $('#app').hidden = false;
  if (!sidebarReady) {
    sidebarReady = true;
    initSidebar(navigate);
    initSearch(navigate);
    $('#me-button').addEventListener('click', () => openProfile(state.me.username));
    $('#sign-out').addEventListener('click', signOut);
  }
  renderMe();
  loadBlocks();
  resumePush().catch(() => {});
  try {
    await startRooms();
  } catch (err) {
    toast(humanError(err), 'error');
  }
  // Opening the app at its root returns to the room you were last in.
  const last = localStorage.getItem(lastRoomKey());
  if (location.pathname === '/' && last && rooms.has(last)) history.replaceState(null, '', `/rooms/${last}`);
  route();
}

const lastRoomKey = () => `chat.lastRoom.${state.me?.username}`;

async function signOut() {
  stopRooms();
  // At once, not after the logout answers: it may never come on a dead network.
  if (state.me) clearOutbox(state.me.username);
  // This device's push subscription goes with the session (sign-in renews it).
  await turnOff({ forget: false });
  try { await api('POST', '/api/auth/logout', { quietAuth: true }); } catch { /* signed out locally anyway */ }
  signedOut('You are signed out.');
}

// However the session ends (signed out here, logged out in another tab or
// device, expired), its unsent messages go with it: the next person at this
// browser (or the same person later) never sends them by surprise.
function signedOut(notice) {
  if (!state.me) return;
  stopRooms();
  if (view) view.destroy();
  view = null;
  clearOutbox(state.me.username);
  closePrompt();
  // The server dropped the session's subscriptions; the browser's goes too.
  turnOff({ forget: false });
  state.me = null;
  state.current = null;
  clear($('#main'));
  shutDrawer();
  showAuth(signedIn, notice);
}

/** Shows whatever the address bar names. */
async function route() {
  if (!state.me) return;
  const ticket = ++routeTicket;
  shutDrawer();
  const m = location.pathname.match(/^\/rooms\/([^/]+)\/?$/);
  let name = null;
  try { name = m ? decodeURIComponent(m[1]).toLowerCase() : null; } catch { name = null; }
  // ?seq=N is used once: a reload or Back does not jump again.
  const at = name ? Number(new URLSearchParams(location.search).get('seq')) || 0 : 0;
  if (name && (location.pathname !== `/rooms/${name}` || location.search)) history.replaceState(null, '', `/rooms/${name}`);
  if (view && view.name === name && name) { if (at) view.openAt(at); return; }
  if (view) { view.destroy(); view = null; }
  state.current = name;
  renderRooms();
  updateTitle();
  const main = $('#main');
  if (!name) { showHome(main); return; }
  if (rooms.has(name)) {
    localStorage.setItem(lastRoomKey(), name);
    view = showRoom(main, name, { navigate, openDrawer });
    if (at) view.openAt(at);
    renderRooms();
    return;
  }
  // Not one of ours: show what we may know about it, with a way to join.
  clear(main).appendChild(h('div', { class: 'empty-state' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('p', {}, 'Loading…')));
  let info = null;
  let error = null;
  try { info = await api('GET', `/api/rooms/${enc(name)}`); } catch (err) { error = err; }
  if (ticket !== routeTicket) return;
  if (info && Array.isArray(info.members) && info.members.some((x) => x.username === state.me.username)) {
    // A member the list did not know about yet (joined in another tab).
    addRoom(info);
    view = showRoom(main, name, { navigate, openDrawer });
    if (at) view.openAt(at);
    return;
  }
  showRoomPreview(main, name, {
    info, error, openDrawer,
    onJoin: async () => {
      try { await joinRoom(name); } catch (err) { throw new Error(humanError(err)); }
      view = null;
      route();
    },
  });
}

function showHome(main, notice = '') {
  clear(main);
  const me = state.me;
  const hasRooms = rooms.size > 0;
  main.appendChild(h('section', { class: 'room home', aria: { labelledby: 'home-heading' } },
    h('header', { class: 'room-head' },
      h('button', { type: 'button', class: 'icon-btn drawer-btn', id: 'open-drawer', aria: { label: 'Open the room list', controls: 'sidebar' }, onclick: openDrawer }, icon('menu')),
      h('div', { class: 'room-id' }, h('h1', { class: 'room-name', id: 'home-heading' }, 'Home'))),
    h('div', { class: 'empty-state' },
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
      h('div', { class: 'room-start-icon', 'aria-hidden': 'true' }, icon('compass', 28)),
      h('h2', {}, `Hi ${me.display_name || me.username}!`),
      h('p', { class: 'muted' }, hasRooms ? 'Pick a room from the list, or find a new one.' : 'Join a public room or start your own to begin chatting.'),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => $('#browse-rooms').click() }, 'Browse rooms'),
        h('button', { type: 'button', class: 'btn', onclick: () => $('#create-room').click() }, 'Create a room')))));
}

// Same-origin links route in place.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  e.preventDefault();
  navigate(url.pathname);
});
window.addEventListener('popstate', route);

on('signedout', (text) => signedOut(text));
on('gone', ({ room, text }) => {
  toast(text, 'error');
  if (state.current === room) {
    if (view) { view.destroy(); view = null; }
    history.replaceState(null, '', '/');
    state.current = null;
    showHome($('#main'), text);
    renderRooms();
  }
});

boot();
