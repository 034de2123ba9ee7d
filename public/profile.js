// Profiles: anyone's profile card (opened by clicking a name or avatar), and
// editing your own (display name, status, bio, colour, avatar with preview).
// Room moderators also get that member's moderation actions here.

import { api, humanError } from './api.js';
import { h, toast } from './dom.js';
import { openDialog, formError } from './dialogs.js';
import { fetchProfile, updateProfile, avatarUrl } from './profiles.js';
import { prepareAvatar, AVATAR_ACCEPT } from './avatar.js';
import { state } from './state.js';
import { personActions } from './dms.js';
import { charCount, hasInvisible, invisibleMessage, DISPLAY_NAME_MIN, DISPLAY_NAME_MAX, BIO_MAX, STATUS_MAX } from './limits.js';

const joined = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

/**
 * Shows `username`'s profile; `extra(close)` gives its action buttons (the
 * default: Message and Block for someone else, see dms.js).
 */
export async function openProfile(username, extra = (close) => personActions(username, close)) {
  let p;
  try { p = await fetchProfile(username, true); } catch (ex) { toast(humanError(ex), 'error'); return; }
  const isMe = state.me && p.username === state.me.username;
  const banner = h('div', { class: 'profile-banner' });
  banner.style.background = /^#[0-9a-f]{6}$/i.test(p.color || '') ? p.color : '';
  const actions = [];
  let d;
  if (isMe) actions.push(h('button', { type: 'button', class: 'btn btn-primary', onclick: () => { d.close(); openEditProfile(); } }, 'Edit profile'));
  actions.push(...extra(() => d.close()));
  const content = h('div', { class: 'profile-card' },
    banner,
    h('img', { class: 'avatar profile-avatar', alt: `Avatar of ${p.display_name || p.username}`, width: 96, height: 96, src: p.avatar_url || avatarUrl(p.username) }),
    h('p', { class: 'profile-name' }, p.display_name || p.username),
    h('p', { class: 'muted' }, `@${p.username}`),
    p.status ? h('p', { class: 'profile-status' }, p.status) : null,
    p.bio ? h('p', { class: 'profile-bio' }, p.bio) : null,
    p.created_at ? h('p', { class: 'muted small' }, `Joined ${joined.format(new Date(p.created_at))}`) : null,
    actions.length ? h('div', { class: 'dlg-actions profile-actions' }, actions) : null);
  d = openDialog({ title: isMe ? 'Your profile' : 'Profile', content, className: 'dlg-profile' });
}

function field(id, label, input, hint) {
  input.id = id;
  input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, h('p', { class: 'hint', id: `${id}-hint` }, hint));
}

/** The "edit your profile" dialog. */
export function openEditProfile() {
  const me = state.me;
  const name = h('input', { value: me.display_name || '', autocomplete: 'nickname' });
  const status = h('input', { value: me.status || '', autocomplete: 'off', placeholder: 'What are you up to?' });
  const bio = h('textarea', { rows: 3 });
  bio.value = me.bio || '';
  const color = h('input', { type: 'color', value: /^#[0-9a-f]{6}$/i.test(me.color || '') ? me.color.toLowerCase() : '#3b5bdb' });
  const preview = h('img', { class: 'avatar avatar-preview', alt: 'Avatar preview', width: 96, height: 96, src: me.avatar_url || avatarUrl(me.username) });
  const file = h('input', { type: 'file', accept: AVATAR_ACCEPT, id: 'avatar-file', class: 'file-input' });
  const removeBtn = h('button', { type: 'button', class: 'btn btn-small' }, 'Remove avatar');
  const avatarNote = h('p', { class: 'hint', id: 'avatar-note' }, 'PNG, JPEG, WebP or GIF. Cropped to a square and resized to 256 px.');
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
  let newAvatar = null;
  let previewUrl = null;
  let removeAvatar = false;

  file.addEventListener('change', async () => {
    formError(err, '');
    const f = file.files && file.files[0];
    if (!f) return;
    try {
      newAvatar = await prepareAvatar(f);
      removeAvatar = false;
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(newAvatar);
      preview.src = previewUrl;
      avatarNote.textContent = 'Preview of your new avatar. Save to upload it.';
    } catch (ex) {
      newAvatar = null;
      formError(err, ex.message);
    }
  });
  removeBtn.addEventListener('click', () => {
    newAvatar = null;
    removeAvatar = true;
    preview.removeAttribute('src');
    avatarNote.textContent = 'Your avatar will go back to the default picture when you save.';
  });

  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'avatar-edit' }, preview,
      h('div', { class: 'avatar-controls' },
        h('label', { for: 'avatar-file', class: 'btn btn-small file-label' }, 'Choose image…'), file,
        removeBtn, avatarNote)),
    field('profile-display', 'Display name', name, `${DISPLAY_NAME_MIN}–${DISPLAY_NAME_MAX} characters.`),
    field('profile-status', 'Status', status, `Up to ${STATUS_MAX} characters.`),
    field('profile-bio', 'Bio', bio, `Up to ${BIO_MAX} characters.`),
    field('profile-color', 'Colour', color, 'Used for your profile banner.'),
    err,
    h('div', { class: 'dlg-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, 'Cancel'), save));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(err, '');
    const dn = name.value.trim();
    const st = status.value.trim();
    const bi = bio.value.trim();
    if (charCount(dn) < DISPLAY_NAME_MIN || charCount(dn) > DISPLAY_NAME_MAX) { formError(err, `Display names are ${DISPLAY_NAME_MIN} to ${DISPLAY_NAME_MAX} characters.`); name.focus(); return; }
    if (/[\u0000-\u001f\u007f]/.test(dn)) { formError(err, 'Display names cannot contain control characters.'); name.focus(); return; }
    if (hasInvisible(dn)) { formError(err, invisibleMessage('A display name')); name.focus(); return; }
    if (hasInvisible(st)) { formError(err, invisibleMessage('A status')); status.focus(); return; }
    if (hasInvisible(bi)) { formError(err, invisibleMessage('A bio')); bio.focus(); return; }
    if (charCount(st) > STATUS_MAX) { formError(err, `Status is at most ${STATUS_MAX} characters.`); status.focus(); return; }
    if (charCount(bi) > BIO_MAX) { formError(err, `Bio is at most ${BIO_MAX} characters.`); bio.focus(); return; }
    const body = {};
    if (dn !== me.display_name) body.display_name = dn;
    if (st !== (me.status || '')) body.status = st;
    if (bi !== (me.bio || '')) body.bio = bi;
    if (color.value.toLowerCase() !== (me.color || '').toLowerCase()) body.color = color.value.toLowerCase();
    save.disabled = true;
    try {
      if (newAvatar) updateProfile(await api('PUT', '/api/me/avatar', { raw: newAvatar, contentType: newAvatar.type }));
      else if (removeAvatar) updateProfile(await api('DELETE', '/api/me/avatar'));
      if (Object.keys(body).length) updateProfile(await api('PATCH', '/api/me', { body }));
      toast('Profile saved.');
      d.close();
    } catch (ex) {
      formError(err, humanError(ex));
    } finally {
      save.disabled = false;
    }
  });
  const d = openDialog({ title: 'Edit your profile', content: form, className: 'dlg-wide', onClose: () => { if (previewUrl) URL.revokeObjectURL(previewUrl); } });
  name.focus();
}
