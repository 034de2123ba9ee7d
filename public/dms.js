// Direct messages and blocks (contract section 8): starting or reopening a
// DM (POST /api/dms), the "New message" dialog, closing a DM, and the
// signed-in person's block list with block/unblock behind a confirmation.
// A DM is a room like any other in rooms.js; this module only adds what
// differs.

import { api, enc, ApiError, humanError } from './api.js';
import { h, toast } from './dom.js';
import { openDialog, formError, confirmDialog } from './dialogs.js';
import { addRoom, forgetRoom, rooms } from './rooms.js';
import { displayName } from './profiles.js';
import { emit, state } from './state.js';
import { USERNAME_RE } from './limits.js';

let navigate = () => {};
const blocked = new Set();

export function initDms(nav) { navigate = nav; }

/** Is `room` (a Room object or a store's room) a DM? */
export const isDm = (room) => room?.kind === 'dm';

/** The other person of a DM store, or null. */
export const peerOf = (store) => (isDm(store?.room) ? store.room.peer || null : null);

/** The name a DM is shown under: the other person's display name. */
export function dmLabel(store) {
  const peer = peerOf(store);
  return peer ? displayName(peer) : store?.room?.title || store?.name || '';
}

// ---- blocks -----------------------------------------------------------------

export const isBlocked = (username) => blocked.has(username);

/** Loads the block list after sign-in (a failure leaves it empty: nothing collapses). */
export async function loadBlocks() {
  blocked.clear();
  try {
    const data = await api('GET', '/api/me/blocks');
    for (const u of Array.isArray(data?.users) ? data.users : []) blocked.add(u);
  } catch { /* shown unblocked; the server still refuses what it must */ }
  emit('blocks');
}

/** Blocks `username` after asking; resolves true when done. */
export async function blockUser(username) {
  const name = displayName(username);
  const ok = await confirmDialog({
    title: `Block ${name}?`,
    text: `${name} will not be able to message you directly, and you will not be able to message them. Their messages in shared rooms will be hidden behind "Blocked message". You can unblock them later.`,
    confirmLabel: 'Block', danger: true,
  });
  if (!ok) return false;
  try {
    await api('PUT', `/api/me/blocks/${enc(username)}`);
  } catch (ex) { toast(humanError(ex), 'error'); return false; }
  blocked.add(username);
  emit('blocks');
  toast(`You blocked ${name}.`);
  return true;
}

/** Unblocks `username` after asking; resolves true when done. */
export async function unblockUser(username) {
  const name = displayName(username);
  const ok = await confirmDialog({ title: `Unblock ${name}?`, text: `You and ${name} will be able to message each other again.`, confirmLabel: 'Unblock' });
  if (!ok) return false;
  try {
    await api('DELETE', `/api/me/blocks/${enc(username)}`);
  } catch (ex) { toast(humanError(ex), 'error'); return false; }
  blocked.delete(username);
  emit('blocks');
  toast(`You unblocked ${name}.`);
  return true;
}

// ---- opening and closing ------------------------------------------------------

/** The sentence for a refused POST /api/dms. */
export function dmRefusal(err, username) {
  if (!(err instanceof ApiError)) return humanError(err);
  if (err.code === 'not_found') return `There is no one with the username ${username}.`;
  if (err.code === 'blocked') {
    return isBlocked(username)
      ? `You blocked ${displayName(username)}. Unblock them to send a message.`
      : `You can't message ${displayName(username)}.`;
  }
  if (err.code === 'bad_request' && username === state.me?.username) return 'That is you. Pick someone else to message.';
  return humanError(err);
}

/** Starts (or reopens) the DM with `username` and shows it; throws the refusal sentence. */
export async function startDm(username) {
  let room;
  try {
    room = await api('POST', '/api/dms', { body: { username } });
  } catch (ex) {
    throw new Error(dmRefusal(ex, username));
  }
  addRoom({ ...room, unread: room.unread ?? 0, read_seq: room.read_seq ?? room.last_seq ?? 0 });
  navigate(`/rooms/${room.name}`);
  return room;
}

/** Starts a DM from a button (profile card, member card); refusals are toasts. */
export async function messageUser(username, done = () => {}) {
  try { await startDm(username); done(); } catch (ex) { toast(ex.message, 'error'); }
}

/** Closes a DM for the signed-in person: it leaves the list until the other person writes. */
export async function closeDm(name) {
  try {
    await api('POST', `/api/rooms/${enc(name)}/leave`);
  } catch (ex) { toast(humanError(ex), 'error'); return; }
  const peer = peerOf(rooms.get(name)?.store);
  forgetRoom(name);
  if (state.current === name) navigate('/');
  toast(peer ? `Conversation with ${displayName(peer)} closed. It comes back when they write.` : 'Conversation closed.');
}

/** The "New message" dialog: a username, then the DM opens. */
export function openNewMessage() {
  const input = h('input', { id: 'dm-username', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true, placeholder: 'username' });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Message');
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'dm-username' }, 'To'), input,
      h('p', { class: 'hint' }, 'The username of the person you want to message.')),
    err,
    h('div', { class: 'dlg-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, 'Cancel'), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = input.value.trim().replace(/^@/, '').toLowerCase();
    if (!USERNAME_RE.test(username)) { formError(err, 'Usernames are 3 to 24 letters, digits or _, starting with a letter.'); input.focus(); return; }
    if (username === state.me?.username) { formError(err, 'That is you. Pick someone else to message.'); input.focus(); return; }
    submit.disabled = true;
    try {
      await startDm(username);
      d.close();
    } catch (ex) {
      formError(err, ex.message);
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  const d = openDialog({ title: 'New message', content: form });
  input.focus();
}

/** Profile-card buttons for someone else: Message, and Block or Unblock. */
export function personActions(username, close) {
  if (!state.me || username === state.me.username) return [];
  const message = h('button', { type: 'button', class: 'btn btn-primary', onclick: () => messageUser(username, close) }, 'Message');
  const toggle = isBlocked(username)
    ? h('button', { type: 'button', class: 'btn', onclick: async () => { if (await unblockUser(username)) close(); } }, 'Unblock')
    : h('button', { type: 'button', class: 'btn btn-danger', onclick: async () => { if (await blockUser(username)) close(); } }, 'Block');
  return [message, toggle];
}
