// The open room's header: drawer button, title with its lock/hash icon, topic,
// the notification bell (notifymenu.js), the member toggle with its count,
// and room settings (admins) or "about" (everyone else). It only draws the store's room info; the view says when.

import { h, clear, icon, iconButton } from './dom.js';
import { openRoomSettings, isAdmin } from './admin.js';
import { isDm, peerOf, dmLabel, closeDm } from './dms.js';
import { avatarUrl } from './profiles.js';
import { createNotifyMenu } from './notifymenu.js';

/** Builds the header of room `name`; call `render()` when room, members or role change. */
export function createRoomHeader({ name, store, navigate, openDrawer }) {
  const titleText = h('span', { class: 'room-title-text' });
  const titleIcon = h('span', { class: 'room-title-icon' });
  const topic = h('p', { class: 'room-topic' });
  const memberCount = h('span', { class: 'count' });
  const membersBtn = h('button', { type: 'button', class: 'icon-btn with-count', aria: { controls: 'members-panel', expanded: 'false', label: 'Show members' }, title: 'Members' }, icon('users'), memberCount);
  const settingsBtn = iconButton('settings', 'Room settings', () => openRoomSettings(name, store, { navigate }));
  const infoBtn = iconButton('info', 'About this room', () => openRoomSettings(name, store, { navigate }));
  const closeBtn = iconButton('x', 'Close this conversation', () => closeDm(name));
  // In a DM, the other person's profile (Message is there, and Block).
  const profileBtn = iconButton('info', 'Profile', () => {}, 'icon-btn');
  const notify = createNotifyMenu({ name, store });
  const el = h('header', { class: 'room-head' },
    h('button', { type: 'button', class: 'icon-btn drawer-btn', id: 'open-drawer', aria: { label: 'Open the room list', controls: 'sidebar' }, title: 'Rooms', onclick: openDrawer }, icon('menu')),
    h('div', { class: 'room-id' }, h('h1', { class: 'room-name', id: 'room-heading' }, titleIcon, titleText), topic),
    h('div', { class: 'head-actions' }, notify.el, membersBtn, settingsBtn, infoBtn, profileBtn, closeBtn));

  function render() {
    notify.render();
    const room = store.room;
    const dm = isDm(room);
    closeBtn.hidden = !dm;
    profileBtn.hidden = !dm;
    if (dm) {
      // A DM is the other person: their name and face, no room settings.
      const peer = peerOf(store);
      profileBtn.dataset.profile = peer;
      profileBtn.setAttribute('aria-label', `Profile of ${dmLabel(store)}`);
      profileBtn.title = `Profile of ${dmLabel(store)}`;
      titleText.textContent = dmLabel(store);
      const online = !!store.members.get(peer)?.online;
      clear(titleIcon).appendChild(h('span', { class: 'avatar-wrap' },
        h('img', { class: 'avatar', alt: '', width: 24, height: 24, src: avatarUrl(peer), data: { user: peer } }),
        h('span', { class: `presence${online ? ' on' : ''}`, 'aria-hidden': 'true' })));
      topic.textContent = online ? 'Online' : 'Direct message';
      topic.hidden = false;
      membersBtn.hidden = true;
      settingsBtn.hidden = true;
      infoBtn.hidden = true;
      return;
    }
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

  return { el, membersBtn, render, renderNotify: notify.render };
}
