// Room administration (contract §4): room details for everyone (and leaving),
// and for owners and moderators: title/topic/visibility, invites, bans; for
// the owner: roles and deleting the room. Controls appear only for those allowed;
// the server still decides and its refusals are shown as sentences.

import { api, enc, humanError } from './api.js';
import { h, toast } from './dom.js';
import { openDialog, confirmDialog, formError } from './dialogs.js';
import { forgetRoom } from './rooms.js';
import { displayName } from './profiles.js';
import { canModerate } from './members.js';
import { charCount, hasInvisible, invisibleMessage, ROOM_TITLE_MIN, ROOM_TITLE_MAX, TOPIC_MAX, USERNAME_RE } from './limits.js';

export const isAdmin = (role) => role === 'owner' || role === 'moderator';

function labelled(id, label, input, hint) {
  input.id = id;
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

/** The room dialog: details, settings and moderation as the role allows. */
export function openRoomSettings(name, store, { navigate }) {
  const role = store.role;
  const room = store.room;
  const sections = [];
  let d;

  if (isAdmin(role)) {
    const title = h('input', { value: room.title || '', autocomplete: 'off', required: true });
    const topic = h('textarea', { rows: 3 });
    topic.value = room.topic || '';
    const vis = h('select', {}, h('option', { value: 'public' }, 'Public'), h('option', { value: 'private' }, 'Private'));
    vis.value = room.visibility;
    const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes');
    const form = h('form', { class: 'form', novalidate: true },
      labelled('room-title', 'Title', title, `${ROOM_TITLE_MIN}–${ROOM_TITLE_MAX} characters.`),
      labelled('room-topic', 'Topic', topic, `Up to ${TOPIC_MAX} characters.`),
      labelled('room-visibility', 'Visibility', vis, 'Public rooms are listed and anyone can join; private rooms only admit invited people.'),
      err, h('div', { class: 'dlg-actions' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const t = title.value.trim();
      const tp = topic.value.trim();
      if (charCount(t) < ROOM_TITLE_MIN || charCount(t) > ROOM_TITLE_MAX) { formError(err, `Titles are ${ROOM_TITLE_MIN} to ${ROOM_TITLE_MAX} characters.`); title.focus(); return; }
      if (charCount(tp) > TOPIC_MAX) { formError(err, `Topics are at most ${TOPIC_MAX} characters.`); topic.focus(); return; }
      if (hasInvisible(t)) { formError(err, invisibleMessage('A title')); title.focus(); return; }
      if (hasInvisible(tp)) { formError(err, invisibleMessage('A topic')); topic.focus(); return; }
      const body = {};
      if (t !== room.title) body.title = t;
      if (tp !== (room.topic || '')) body.topic = tp;
      if (vis.value !== room.visibility) body.visibility = vis.value;
      if (!Object.keys(body).length) { d.close(); return; }
      save.disabled = true;
      try {
        await api('PATCH', `/api/rooms/${enc(name)}`, { body });
        toast('Room settings saved.');
        d.close();
      } catch (ex) { formError(err, humanError(ex)); } finally { save.disabled = false; }
    });
    sections.push(h('section', { class: 'dlg-section' }, h('h3', {}, 'Details'), form));
    sections.push(userActionSection('Invite someone', 'invite-user', 'Invite', 'Invited people can join even when the room is private.',
      (u) => api('POST', `/api/rooms/${enc(name)}/invites`, { body: { username: u } }).then(() => `Invited @${u}. They can now join #${name}.`)));
    sections.push(banSection(name));
  } else {
    sections.push(h('section', { class: 'dlg-section' },
      h('p', { class: 'room-about-title' }, room.title || name),
      room.topic ? h('p', {}, room.topic) : h('p', { class: 'muted' }, 'No topic yet.'),
      h('p', { class: 'muted small' }, `${room.visibility === 'private' ? 'Private' : 'Public'} room · owned by ${displayName(room.owner || '')}`)));
  }

  const danger = h('section', { class: 'dlg-section danger-zone' }, h('h3', {}, role === 'owner' ? 'Delete' : 'Leave'));
  if (role === 'owner') {
    danger.appendChild(h('p', { class: 'muted small' }, 'Deleting the room removes its whole history for everyone. This cannot be undone.'));
    danger.appendChild(h('button', { type: 'button', class: 'btn btn-danger', onclick: async () => {
      if (!await confirmDialog({ title: `Delete #${name}?`, text: 'Everyone is removed and all messages are deleted. This cannot be undone.', confirmLabel: 'Delete room', danger: true })) return;
      try {
        await api('DELETE', `/api/rooms/${enc(name)}`);
        forgetRoom(name);
        d.close();
        toast(`#${name} was deleted.`);
        navigate('/');
      } catch (ex) { toast(humanError(ex), 'error'); }
    } }, 'Delete room'));
  } else {
    danger.appendChild(h('button', { type: 'button', class: 'btn btn-danger-outline', onclick: async () => {
      if (!await confirmDialog({ title: `Leave #${name}?`, text: room.visibility === 'private' ? 'You will need a new invitation to come back.' : 'You can join again from the room directory.', confirmLabel: 'Leave room', danger: true })) return;
      await leaveRoom(name, navigate);
      d.close();
    } }, 'Leave room'));
  }
  sections.push(danger);

  d = openDialog({ title: isAdmin(role) ? `Settings for #${name}` : `About #${name}`, content: sections, className: 'dlg-wide' });
}

export async function leaveRoom(name, navigate) {
  try {
    await api('POST', `/api/rooms/${enc(name)}/leave`);
    forgetRoom(name);
    toast(`You left #${name}.`);
    navigate('/');
  } catch (ex) { toast(humanError(ex), 'error'); }
}

function userActionSection(title, id, label, hint, run) {
  const input = h('input', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: 'username' });
  const msg = h('p', { class: 'form-note', role: 'status' });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const btn = h('button', { type: 'submit', class: 'btn' }, label);
  const form = h('form', { class: 'inline-form', novalidate: true }, labelled(id, 'Username', input, hint), btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const u = input.value.trim().replace(/^@/, '').toLowerCase();
    msg.textContent = '';
    if (!USERNAME_RE.test(u)) { formError(err, 'Enter a valid username (3 to 24 letters, digits or underscores).'); input.focus(); return; }
    formError(err, '');
    btn.disabled = true;
    try { msg.textContent = await run(u); input.value = ''; } catch (ex) { formError(err, humanError(ex)); } finally { btn.disabled = false; }
  });
  return h('section', { class: 'dlg-section' }, h('h3', {}, title), form, err, msg);
}

function banSection(name) {
  const input = h('input', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: 'username' });
  const msg = h('p', { class: 'form-note', role: 'status' });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const act = async (kind) => {
    const u = input.value.trim().replace(/^@/, '').toLowerCase();
    msg.textContent = '';
    if (!USERNAME_RE.test(u)) { formError(err, 'Enter a valid username (3 to 24 letters, digits or underscores).'); input.focus(); return; }
    formError(err, '');
    try {
      if (kind === 'ban') {
        if (!await confirmDialog({ title: `Ban @${u}?`, text: 'They are removed from the room and cannot join or read it until unbanned.', confirmLabel: 'Ban', danger: true })) return;
        await api('POST', `/api/rooms/${enc(name)}/bans`, { body: { username: u } });
        msg.textContent = `@${u} is banned from #${name}.`;
      } else {
        await api('DELETE', `/api/rooms/${enc(name)}/bans/${enc(u)}`);
        msg.textContent = `@${u} is no longer banned.`;
      }
      input.value = '';
    } catch (ex) { formError(err, humanError(ex)); }
  };
  const form = h('form', { class: 'inline-form', novalidate: true },
    labelled('ban-user', 'Username', input, 'Banned people cannot join or read the room.'),
    h('button', { type: 'submit', class: 'btn btn-danger-outline' }, 'Ban'),
    h('button', { type: 'button', class: 'btn', onclick: () => act('unban') }, 'Unban'));
  form.addEventListener('submit', (e) => { e.preventDefault(); act('ban'); });
  return h('section', { class: 'dlg-section' }, h('h3', {}, 'Ban or unban'), form, err, msg);
}

/** Moderation actions for one member (kick, ban, role), as the caller's role allows. */
export function memberActions(name, store, username, done = () => {}) {
  const target = store.members.get(username);
  const role = store.role;
  if (!target) return [];
  const who = displayName(username);
  const out = [];
  const run = async (fn, ok) => {
    try { await fn(); toast(ok); done(); } catch (ex) { toast(humanError(ex), 'error'); }
  };
  if (role === 'owner' && target.role !== 'owner') {
    const next = target.role === 'moderator' ? 'member' : 'moderator';
    out.push(h('button', { type: 'button', class: 'btn', onclick: () => run(
      () => api('PUT', `/api/rooms/${enc(name)}/members/${enc(username)}`, { body: { role: next } }),
      next === 'moderator' ? `${who} is now a moderator.` : `${who} is no longer a moderator.`) },
    next === 'moderator' ? 'Make moderator' : 'Remove moderator'));
  }
  if (canModerate(role, target.role, false)) {
    out.push(h('button', { type: 'button', class: 'btn btn-danger-outline', onclick: async () => {
      if (!await confirmDialog({ title: `Kick ${who}?`, text: `${who} is removed from #${name}. They can join again if the room is public.`, confirmLabel: 'Kick', danger: true })) return;
      run(() => api('POST', `/api/rooms/${enc(name)}/kick`, { body: { username } }), `${who} was removed from the room.`);
    } }, 'Kick'));
    out.push(h('button', { type: 'button', class: 'btn btn-danger', onclick: async () => {
      if (!await confirmDialog({ title: `Ban ${who}?`, text: `${who} is removed and cannot join or read #${name} until unbanned.`, confirmLabel: 'Ban', danger: true })) return;
      run(() => api('POST', `/api/rooms/${enc(name)}/bans`, { body: { username } }), `${who} is banned from the room.`);
    } }, 'Ban'));
  }
  return out;
}

/** A small dialog with a member's moderation actions. */
export function openMemberMenu(name, store, username) {
  let d;
  const actions = memberActions(name, store, username, () => d.close());
  if (!actions.length) return;
  d = openDialog({ title: `Manage ${displayName(username)}`, className: 'dlg-small', content: h('div', { class: 'action-list' }, actions) });
  actions[0].focus();
}

